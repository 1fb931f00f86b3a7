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

# vm_wait_ready STATE TIMEOUT: wait until the guest's SSH answers and its init
# has loaded the kernel modules (/run/vnet-ready); after a boot, and after a
# reboot inside the guest (start.sh, tests that reboot).
vm_wait_ready() {
    local state=$1 timeout=$2 port pid deadline
    port=$(cat "$state/port")
    pid=$(cat "$state/pid")
    deadline=$(( $(date +%s) + timeout ))
    # A master connection to the guest before a reboot is dead: drop it.
    if [ -S "$state/ssh-ctl" ]; then
        ssh -o "ControlPath=$state/ssh-ctl" -O exit root@127.0.0.1 2>/dev/null || true
        rm -f "$state/ssh-ctl"
    fi
    # sshd's banner, read without ssh: a cheap probe (a full SSH handshake
    # costs seconds under TCG), bounded because until the guest's NIC is up
    # qemu holds the connection open without an answer.
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    banner() { timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && head -c 4 <&3' _ "$port" 2>/dev/null; }
    until [ "$(banner)" = SSH- ] && vm_ssh "$state" test -e /run/vnet-ready 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            vm_log "qemu exited before SSH answered; console log tail:"
            tail -n 40 "$state/console.log" >&2 || true
            vm_die "guest did not boot (state dir $state)"
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            vm_log "SSH did not answer within ${timeout}s; console log tail:"
            tail -n 40 "$state/console.log" >&2 || true
            vm_die "guest boot timed out (VM left running: scripts/vm/stop.sh $state)"
        fi
        sleep 1
    done
}
