#!/usr/bin/env bash
# Build the collection artifact, check what is in it, install it into a clean
# collections path and run a small lab from the installed copy (two
# namespaces, a veth pair, a ping), cleaned up also on failure. Needs root.
#   scripts/package-test.sh            (SHIP_VENV=... to use another venv)
#   KEEP_ARTIFACT=DIR scripts/package-test.sh   also copies the .tar.gz to DIR
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/packaging/ship-venv.sh
. "$ROOT/tests/packaging/ship-venv.sh"
ship_venv

WORK=$(mktemp -d /tmp/vnet-package.XXXXXX)
LAB_ID=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
cleanup() {
    local ns
    for ns in "va$LAB_ID" "vb$LAB_ID"; do
        if ip netns list | grep -qw "$ns"; then ip netns del "$ns" || true; fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> ansible-galaxy collection build"
ansible-galaxy collection build --output-path "$WORK/dist" "$ROOT" >/dev/null
ARTIFACT=$(ls "$WORK"/dist/vnet-linux-*.tar.gz)
tar tzf "$ARTIFACT" > "$WORK/contents.txt"
echo "    $(basename "$ARTIFACT"): $(wc -l < "$WORK/contents.txt") entries, $(du -h "$ARTIFACT" | cut -f1)"

echo "==> checking the artifact's contents"
BAD=$(grep -E '(^|/)(\.ci|\.git|\.ansible|\.venv|\.tox|\.pytest_cache|\.mypy_cache|\.ruff_cache|__pycache__|tests|benchmarks|scripts|build|lab-output)(/|$)|\.py[co]$|\.tar\.gz$|\.swp$|~$|changelogs/\.plugin-cache\.yaml' "$WORK/contents.txt" || true)
if [ -n "$BAD" ]; then
    echo "artifact holds files that must not ship:" >&2
    echo "$BAD" >&2
    exit 1
fi
for must in MANIFEST.json FILES.json COPYING meta/runtime.yml changelogs/changelog.yaml CHANGELOG.rst \
            plugins/modules/netns.py plugins/modules/veth.py roles/prereqs/meta/argument_specs.yml; do
    grep -qx "$must" "$WORK/contents.txt" || { echo "artifact lacks $must" >&2; exit 1; }
done

echo "==> ansible-galaxy collection install into a clean path"
# --force: a vnet.linux installed elsewhere (~/.ansible) would make it skip this path
ansible-galaxy collection install --offline --force -p "$WORK/collections" "$ARTIFACT" >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
INSTALLED=$(ansible-galaxy collection list vnet.linux 2>/dev/null)
case "$INSTALLED" in
    *"$WORK/collections/ansible_collections"*) ;;
    *) echo "vnet.linux is not installed in $WORK/collections: $INSTALLED" >&2; exit 1 ;;
esac

echo "==> demo lab from the installed collection (lab id $LAB_ID)"
mkdir "$WORK/project"
cp "$ROOT/tests/packaging/playbooks/demo_lab.yml" "$WORK/project/"
cd "$WORK/project"
ansible-playbook -i localhost, -e "lab_id=$LAB_ID" \
    -e "ansible_python_interpreter=$(command -v python)" demo_lab.yml

if [ -n "${KEEP_ARTIFACT:-}" ]; then
    mkdir -p "$KEEP_ARTIFACT" && cp "$ARTIFACT" "$KEEP_ARTIFACT/"
fi
echo "==> package test passed"
