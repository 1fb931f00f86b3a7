#!/usr/bin/env bash
# Boot a guest of the VM test lane and wait until its SSH answers.
#
#   scripts/vm/start.sh [STATE_DIR]
#
# STATE_DIR (or $VNET_VM_STATE; default: a new /tmp/vnet-vm.XXXXXX) receives:
#   pid, port, ssh_key, inventory.ini, ssh_args, console.log, qemu.log
# and its path is printed on stdout. One state dir per VM: several VMs can
# run at once, each on its own loopback port.
# Env: VNET_VM_DIR (image cache), VNET_VM_MEM (MiB, default 1024),
#      VNET_VM_CPUS (default 2), VNET_VM_BOOT_TIMEOUT (s, default 300),
#      VNET_VM_NAME (inventory host name, default vnet-vm),
#      VNET_VM_QEMU_ARGS (extra qemu arguments, split on spaces),
#      VNET_VM_INIT (vnet, default: the lane's own /sbin/vnet-init; systemd:
#      boot with systemd as PID 1, and a reboot in the guest boots it again
#      in the same qemu, its snapshot=on overlay kept).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm/lib.sh
. "$here/lib.sh"

mem=${VNET_VM_MEM:-1024}
cpus=${VNET_VM_CPUS:-2}
timeout=${VNET_VM_BOOT_TIMEOUT:-300}
name=${VNET_VM_NAME:-vnet-vm}
case ${VNET_VM_INIT:-vnet} in
    # -no-reboot: a panic or a halt ends qemu
    vnet) init=/sbin/vnet-init; reboot=(-no-reboot) ;;
    # a guest reboot resets the machine and keeps the overlay; qemu ends on poweroff
    systemd) init=/lib/systemd/systemd; reboot=() ;;
    *) vm_die "VNET_VM_INIT must be vnet or systemd (got '$VNET_VM_INIT')" ;;
esac

state=${1:-${VNET_VM_STATE:-}}
if [ -z "$state" ]; then
    state=$(mktemp -d /tmp/vnet-vm.XXXXXX)
else
    mkdir -p "$state"
fi
state=$(cd "$state" && pwd)
if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    vm_die "a VM already runs with state dir $state (stop it with scripts/vm/stop.sh $state)"
fi

# Build the image if it is missing or stale (a no-op otherwise).
"$here/build-image.sh"

t0=$(date +%s%N)
kver=$(cat "$VM_DIR/kernel-version")
# snapshot=on: guest writes go to a throwaway overlay, the image stays clean.
# Nested KVM does not work on these machines: TCG (software emulation).
# shellcheck disable=SC2054 # commas belong to qemu's option syntax
qemu_args=(
    -name "vnet-vm,debug-threads=off" -accel tcg -m "$mem" -smp "$cpus"
    -nodefaults -no-user-config -display none ${reboot[@]+"${reboot[@]}"}
    -serial "file:$state/console.log" -monitor none
    -kernel "$VM_DIR/vmlinuz" -initrd "$VM_DIR/initrd.img"
    -drive "file=$VM_DIR/rootfs.img,if=virtio,format=raw,snapshot=on"
    -device virtio-net-pci,netdev=n0
    -device virtio-rng-pci   # entropy: sshd waits for the crng otherwise
    -append "root=/dev/vda rw console=ttyS0 init=$init quiet panic=-1 mitigations=off"
    -daemonize -pidfile "$state/pid"
)
# shellcheck disable=SC2206 # split on purpose
extra_args=(${VNET_VM_QEMU_ARGS:-})

# Pick a free loopback port. Two VMs may race for one: qemu then fails to set
# up the forward and we try another port.
port=""
for _ in $(seq 1 20); do
    p=$((20000 + RANDOM % 30000))
    # Something already listens there: skip.
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    rm -f "$state/pid"
    if qemu-system-x86_64 "${qemu_args[@]}" ${extra_args[@]+"${extra_args[@]}"} \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$p-:22" >"$state/qemu.log" 2>&1; then
        port=$p
        break
    fi
    grep -qi 'forward' "$state/qemu.log" || { cat "$state/qemu.log" >&2; vm_die "qemu failed to start"; }
done
[ -n "$port" ] || vm_die "no free loopback port found for the guest's SSH"
pid=$(cat "$state/pid")

echo "$port" >"$state/port"
echo "$VM_DIR/id_ed25519" >"$state/ssh_key"
echo "$kver" >"$state/kernel-version"
ssh_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR"
echo "$ssh_args" >"$state/ssh_args"
cat >"$state/inventory.ini" <<INV
# Written by scripts/vm/start.sh: a guest with kernel $kver (qemu pid $pid)
[vnet_vm]
$name ansible_host=127.0.0.1 ansible_port=$port ansible_user=root ansible_ssh_private_key_file=$VM_DIR/id_ed25519 ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='$ssh_args'
INV

vm_log "qemu pid $pid, SSH on 127.0.0.1:$port, waiting for the guest (timeout ${timeout}s)"
vm_wait_ready "$state" "$timeout"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
vm_log "guest up after $((ms / 1000)).$(printf %03d $((ms % 1000))) s: state dir $state"
echo "$state"
