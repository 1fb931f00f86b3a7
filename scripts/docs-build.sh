#!/usr/bin/env bash
# Lint and build the collection's docs site, and check the changelog.
#   scripts/docs-build.sh [OUTPUT_DIR]     (default build/docs; HTML in OUTPUT_DIR/html)
#   scripts/docs-build.sh --lint-only      only antsibull-docs lint-collection-docs
# Fails on any error or warning: changelog fragments that do not lint, a
# CHANGELOG.rst that is not up to date, plugin or role docs that do not
# parse, broken references in docs/docsite/rst, Sphinx warnings.
# SHIP_VENV=... picks the virtualenv with requirements-ship.txt (made if missing).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LINT_ONLY=false
if [ "${1:-}" = --lint-only ]; then LINT_ONLY=true; shift; fi
OUT=$(realpath -m "${1:-$ROOT/build/docs}")
# shellcheck source=tests/packaging/ship-venv.sh
. "$ROOT/tests/packaging/ship-venv.sh"
ship_venv

WORK=$(mktemp -d /tmp/vnet-docs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# antsibull-docs resolves the collection by name: link the checkout into a
# collections path of its own.
mkdir -p "$WORK/collections/ansible_collections/vnet"
ln -s "$ROOT" "$WORK/collections/ansible_collections/vnet/linux"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
COLLECTION="$WORK/collections/ansible_collections/vnet/linux"

REFRESH="--refresh-plugins prevent-removal --refresh-fragments"

check_changelog() {
    echo "==> changelog: lint the fragments"
    (cd "$ROOT" && antsibull-changelog lint)

    echo "==> changelog: CHANGELOG.rst is up to date"
    # Regenerate the (only) release from fragments and plugins in a copy, and compare.
    mkdir "$WORK/copy"
    tar -C "$ROOT" --exclude=./.git --exclude=./tests/output --exclude=./build --exclude=./.ansible -cf - . | tar -C "$WORK/copy" -xf -
    read -r VERSION DATE < <(python - "$ROOT/changelogs/changelog.yaml" <<'PY'
import sys, yaml
releases = yaml.safe_load(open(sys.argv[1]))['releases']
version = sorted(releases, key=lambda v: [int(p) for p in v.split('.')])[-1]
print(version, releases[version]['release_date'])
PY
    )
    # prevent-removal: a module renamed since (topology_facts, now a redirect)
    # stays in the release that brought it
    (cd "$WORK/copy" && antsibull-changelog release --version "$VERSION" --date "$DATE" \
        --update-existing $REFRESH --reload-plugins >/dev/null 2>"$WORK/changelog.err") || { cat "$WORK/changelog.err" >&2; exit 1; }
    for f in CHANGELOG.rst changelogs/changelog.yaml; do
        if ! diff -u "$ROOT/$f" "$WORK/copy/$f"; then
            echo "$f is out of date; regenerate it with:" >&2
            echo "  antsibull-changelog release --version $VERSION --date $DATE --update-existing $REFRESH --reload-plugins" >&2
            exit 1
        fi
    done
}

lint_docs() {
    echo "==> antsibull-docs lint-collection-docs"
    # The lint copies the collection into a temporary folder of its own
    # (antsibull-docs-<random>) and runs ansible-doc there, with our collections
    # path added behind it. Given the collection on that path too, it took the
    # plugin files from the copy and the collection's root from our path, and
    # wrote each plugin's "Edit on GitHub" link as the relative path between them
    # (../../../antsibull-docs-<random>/ansible_collections/...). When the random
    # part ended in "_" (one run in 37), RST read "antsibull-docs-<random>_" as a
    # reference to an unknown target and every plugin failed. An empty collections
    # path leaves the copy as the only vnet.linux: the links are right, always.
    mkdir "$WORK/no-collections"
    ANSIBLE_COLLECTIONS_PATH="$WORK/no-collections" antsibull-docs lint-collection-docs \
        --plugin-docs --check-extra-docs-refs --validate-collection-refs all \
        --disallow-unknown-collection-refs "$COLLECTION"
}

if $LINT_ONLY; then lint_docs; exit 0; fi
check_changelog
lint_docs

echo "==> antsibull-docs sphinx-init"
mkdir -m 0755 "$WORK/site"
antsibull-docs sphinx-init --use-current --dest-dir "$WORK/site" --fail-on-error \
    --project vnet.linux --title "vnet.linux collection" --html-short-title vnet.linux \
    --copyright "vnet.linux contributors" vnet.linux >"$WORK/sphinx-init.log" 2>&1 \
    || { cat "$WORK/sphinx-init.log" >&2; exit 1; }
# Offline (as in CI), Sphinx cannot download the Ansible docs' inventory:
# give it a local fallback with the labels the generated pages point to.
python - "$WORK/site" <<'PY'
import sys, zlib
labels = {
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings', 'Ansible Configuration Settings'),
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values', 'Return Values'),
    'action_plugins': ('plugins/action.html#action-plugins', 'Action plugins'),
}
body = ''.join('%s std:label -1 %s %s\n' % (name, uri, title) for name, (uri, title) in labels.items())
header = '# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n# The remainder of this file is compressed using zlib.\n'
with open(sys.argv[1] + '/ansible_devel.inv', 'wb') as f:
    f.write(header.encode() + zlib.compress(body.encode()))
PY
cat >> "$WORK/site/conf.py" <<'PY'

# Added by scripts/docs-build.sh: only the Ansible docs are linked, with a
# local fallback inventory when the network is not reachable.
import os.path
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/',
                      (None, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ansible_devel.inv'))),
}
intersphinx_timeout = 10
PY

echo "==> antsibull-docs collection (RST) and sphinx-build (HTML)"
cd "$WORK/site"
mkdir -p rst && chmod og-w rst
antsibull-docs --config-file antsibull-docs.cfg collection --use-current --fail-on-error \
    --cleanup everything --dest-dir rst vnet.linux >"$WORK/collection.log" 2>&1 \
    || { cat "$WORK/collection.log" >&2; exit 1; }
sphinx-build -q -b html -c . -W --keep-going -d "$WORK/doctrees" rst "$WORK/html"

rm -rf "$OUT/html"
mkdir -p "$OUT"
cp -a "$WORK/html" "$OUT/html"
echo "==> docs built: $OUT/html/index.html"
