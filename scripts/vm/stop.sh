#!/usr/bin/env bash
# Stop a guest started by scripts/vm/start.sh and remove its state dir.
#
#   scripts/vm/stop.sh [STATE_DIR]     (or $VNET_VM_STATE)
# A missing or already stopped VM is not an error (destroy must be re-runnable).
set -euo pipefail
state=${1:-${VNET_VM_STATE:-}}
[ -n "$state" ] || { echo "usage: $0 STATE_DIR (or set VNET_VM_STATE)" >&2; exit 2; }
[ -d "$state" ] || exit 0

# Close the shared SSH connection that run.sh & co. opened, if any.
if [ -S "$state/ssh-ctl" ]; then
    ssh -o "ControlPath=$state/ssh-ctl" -O exit root@127.0.0.1 2>/dev/null || true
fi
if [ -f "$state/pid" ]; then
    pid=$(cat "$state/pid")
    # Only kill the pid if it still is our qemu (its command line names this
    # state dir), never a process that reused the number.
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$state/pid"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
fi
# Remove only what start.sh wrote, then the dir if it is empty.
rm -f "$state"/{pid,port,ssh_key,ssh_args,inventory.ini,console.log,qemu.log,kernel-version,ssh-ctl}
rmdir "$state" 2>/dev/null || true
