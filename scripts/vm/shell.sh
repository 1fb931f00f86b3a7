#!/usr/bin/env bash
# Open an interactive root shell in a running guest (for debugging).
#
#   scripts/vm/shell.sh [STATE_DIR]      (or $VNET_VM_STATE)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm/lib.sh
. "$here/lib.sh"
state=$(vm_state_dir "${1:-}")
# BatchMode is fine for a key login; -t gives the shell a terminal.
vm_ssh "$state" -t
