#!/usr/bin/env bash
# Run a command in a running guest, as root, over SSH.
#
#   scripts/vm/run.sh [STATE_DIR] -- CMD [ARG...]
# STATE_DIR defaults to $VNET_VM_STATE. The command's arguments keep their
# quoting; its exit code is run.sh's. Stdin is passed through.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm/lib.sh
. "$here/lib.sh"

state_arg=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then state_arg=$1; shift; fi
[ "${1:-}" = "--" ] || vm_die "usage: $0 [STATE_DIR] -- CMD [ARG...]"
shift
[ $# -gt 0 ] || vm_die "usage: $0 [STATE_DIR] -- CMD [ARG...]"
state=$(vm_state_dir "$state_arg")
# ssh joins its arguments with spaces for the remote shell: quote each one.
vm_ssh "$state" -- "$(printf '%q ' "$@")"
