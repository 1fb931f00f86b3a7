#!/usr/bin/env bash
# The shipping virtualenv (requirements-ship.txt): docs, changelog, packaging,
# execution environment, ansible-runner. SHIP_VENV overrides its place.
#   sourced:   . tests/packaging/ship-venv.sh; ship_venv   (as the scripts do)
#   executed:  tests/packaging/ship-venv.sh COMMAND...     (runs COMMAND with
#              the venv first on PATH, for example
#              tests/packaging/ship-venv.sh python -m pytest tests/packaging)

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SHIP_VENV=${SHIP_VENV:-/var/cache/vnet-linux/venv-ship}
SHIP_REQS="$ROOT/requirements-ship.txt"

ship_python() {
    local v p
    for v in 3.13 3.12; do
        if command -v "python$v" >/dev/null 2>&1 && "python$v" -c 'import venv' 2>/dev/null; then
            command -v "python$v"; return
        fi
        for p in /root/.pyenv/versions/"$v".*/bin/"python$v"; do
            if [ -x "$p" ]; then echo "$p"; return; fi
        done
    done
    command -v python3
}

ship_venv() {
    local stamp="$SHIP_VENV/.requirements-ship.txt"
    if [ ! -x "$SHIP_VENV/bin/python" ]; then
        echo "==> creating $SHIP_VENV" >&2
        "$(ship_python)" -m venv "$SHIP_VENV"
    fi
    if ! cmp -s "$SHIP_REQS" "$stamp"; then
        echo "==> pip install -r requirements-ship.txt into $SHIP_VENV" >&2
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$SHIP_VENV/bin/pip" install -q -r "$SHIP_REQS" >&2
        cp "$SHIP_REQS" "$stamp"
    fi
    export PATH="$SHIP_VENV/bin:$PATH" SHIP_VENV
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    ship_venv
    cd "$ROOT"
    exec "$@"
fi
