#!/usr/bin/env bash
# Run `molecule test` for each scenario, one after another, timing each.
#
#   scripts/vm/molecule-lane.sh [SCENARIO...]    (default: every scenario
#                                                 under extensions/molecule)
# Needs molecule and ansible on PATH (the caller's venv). Prints a table of
# scenario times at the end; exits non-zero if any scenario failed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
cd "$repo"   # molecule finds the collection's scenarios from its root
command -v molecule >/dev/null || { echo "molecule is not on PATH (activate the venv)" >&2; exit 2; }

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    while IFS= read -r f; do
        d=${f%/molecule.yml}
        scenarios+=("${d#extensions/molecule/}")
    done < <(find extensions/molecule -mindepth 2 -name molecule.yml | sort)
fi
[ ${#scenarios[@]} -gt 0 ] || { echo "no molecule scenarios found" >&2; exit 2; }

# Each scenario gets its own ephemeral dir (molecule's state, inventory and
# the ansible_collections/vnet/linux link to this checkout) under a temp dir
# of this run: two lanes at once never share them.
run_tmp=$(mktemp -d /tmp/vnet-molecule.XXXXXX)
cleanup() {
    # A VM that a failed destroy left behind: stop it (stop.sh checks the pid).
    for d in "$run_tmp"/*/vm-*; do
        [ -f "$d/pid" ] && "$here/stop.sh" "$d"
    done
    rm -rf "$run_tmp"   # the collection link is removed, not followed
}
trap cleanup EXIT

results=()
failed=0
lane_start=$(date +%s)
for s in "${scenarios[@]}"; do
    echo "=== molecule test -s $s" >&2
    start=$(date +%s)
    rc=0
    MOLECULE_EPHEMERAL_DIRECTORY="$run_tmp/${s//\//--}" molecule test -s "$s" || rc=$?
    secs=$(( $(date +%s) - start ))
    if [ "$rc" -eq 0 ]; then status=passed; else status="FAILED (rc $rc)"; failed=$((failed + 1)); fi
    results+=("$(printf '%-24s %-16s %6d s' "$s" "$status" "$secs")")
done

echo
echo "Molecule lane summary"
printf '%-24s %-16s %8s\n' scenario result time
for r in "${results[@]}"; do echo "$r"; done
printf '%-24s %-16s %6d s\n' total "$(( ${#scenarios[@]} - failed ))/${#scenarios[@]} passed" "$(( $(date +%s) - lane_start ))"
[ "$failed" -eq 0 ]
