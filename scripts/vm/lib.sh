# shellcheck shell=bash
# Helpers shared by the scripts/vm/*.sh scripts (sourced, not run).

# shellcheck disable=SC2034 # used by the scripts that source this file
VM_DIR=${VNET_VM_DIR:-/var/cache/vnet-linux/vm}

vm_log() { printf '[vm] %s\n' "$*" >&2; }
vm_die() { vm_log "ERROR: $*"; exit 1; }

# The state dir of a VM: first argument, else $VNET_VM_STATE.
vm_state_dir() {
    local d=${1:-${VNET_VM_STATE:-}}
    [ -n "$d" ] || vm_die "no state dir: pass it as an argument or set VNET_VM_STATE"
    [ -f "$d/port" ] || vm_die "$d is not the state dir of a running VM (no port file)"
    printf '%s\n' "$d"
}

# ssh options for a guest: its host keys are throwaway, so no checking.
# A connection costs about 2 s under TCG: a master connection (closed by
# stop.sh) makes the later ones cheap.
vm_ssh_opts() {
    local state=$1
    printf '%s\n' -p "$(cat "$state/port")" -i "$(cat "$state/ssh_key")" \
        -o IdentitiesOnly=yes -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=8 \
        -o ControlMaster=auto -o "ControlPath=$state/ssh-ctl" -o ControlPersist=60
}

# vm_ssh STATE [ssh args...]: ssh to root@guest.
vm_ssh() {
    local state=$1; shift
    local opts
    mapfile -t opts < <(vm_ssh_opts "$state")
    # shellcheck disable=SC2029 # callers quote what the remote shell must see
    ssh "${opts[@]}" root@127.0.0.1 "$@"
}
