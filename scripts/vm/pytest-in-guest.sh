#!/usr/bin/env bash
# Run the guest_kernel tests of this checkout inside a fresh guest.
#
#   scripts/vm/pytest-in-guest.sh [PYTEST ARGS/PATHS...]
# Boots a VM (scripts/vm/start.sh), copies the working tree as it is
# (tracked and untracked-but-not-ignored files, uncommitted changes included)
# to /tmp/src/ansible_collections/vnet/linux in the guest, runs
#   python3 -m pytest -m guest_kernel -p no:cacheprovider ARGS
# there (default ARGS: tests/unit tests/kernel, those that exist), stops the
# VM and exits with pytest's code. Exit 5 (no tests collected) counts as a
# failure unless VNET_ALLOW_EMPTY=1. VNET_PYTEST_MARK changes the marker
# expression. PYTHONPATH=/tmp/src, so `ansible_collections.vnet.linux`
# imports resolve to the copy, as under ansible-test.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm/lib.sh
. "$here/lib.sh"
repo=$(git -C "$here" rev-parse --show-toplevel)
dest=/tmp/src/ansible_collections/vnet/linux
mark=${VNET_PYTEST_MARK:-guest_kernel}

args=("$@")
if [ ${#args[@]} -eq 0 ]; then
    for d in tests/unit tests/kernel; do [ -d "$repo/$d" ] && args+=("$d"); done
fi
if [ ${#args[@]} -eq 0 ]; then
    vm_log "no test paths given and neither tests/unit nor tests/kernel exists"
    [ "${VNET_ALLOW_EMPTY:-0}" = 1 ] && exit 0
    exit 5
fi

state=$(mktemp -d /tmp/vnet-vm.XXXXXX)
trap '"$here/stop.sh" "$state"' EXIT
"$here/start.sh" "$state" >/dev/null

vm_log "copying the working tree to the guest"
# -z/--null: any file name; skip tracked files deleted in the working tree.
(cd "$repo" && git ls-files -z -co --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) \
    | vm_ssh "$state" "mkdir -p $dest && tar -xf - -C $dest"

vm_log "python3 -m pytest -m $mark -p no:cacheprovider ${args[*]}"
rc=0
vm_ssh "$state" "cd $dest && PYTHONPATH=/tmp/src python3 -m pytest -m $(printf '%q' "$mark") -p no:cacheprovider $(printf '%q ' "${args[@]}")" || rc=$?
if [ "$rc" -eq 5 ]; then
    if [ "${VNET_ALLOW_EMPTY:-0}" = 1 ]; then
        vm_log "no tests collected (allowed: VNET_ALLOW_EMPTY=1)"
        rc=0
    else
        vm_log "no tests collected: failing (set VNET_ALLOW_EMPTY=1 to allow)"
    fi
fi
exit "$rc"
