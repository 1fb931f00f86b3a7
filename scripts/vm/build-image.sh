#!/usr/bin/env bash
# Build (once) the Debian guest image of the VM test lane.
#
# The machine's own kernel lacks bond, team, ipvlan/ipvtap, vlan, dummy,
# bridge VLAN filtering and netem; Debian's generic kernel has all of them.
# This script makes, in $VNET_VM_DIR (default /var/cache/vnet-linux/vm):
#   rootfs.img      ext4 image of a debootstrap minbase bookworm (booted
#                   read-only with qemu snapshot=on, so one image serves all)
#   vmlinuz, initrd.img   the guest kernel (Debian's linux-image-amd64)
#   id_ed25519{,.pub}     SSH key authorized for root in the guest
#   stamp           hash of this script: a changed script rebuilds the image
# It installs the host packages it needs with apt-get. Idempotent: a second
# run with an unchanged script only checks the stamp.
set -euo pipefail

VM_DIR=${VNET_VM_DIR:-/var/cache/vnet-linux/vm}
SUITE=bookworm
# Packages in the guest (libteam-utils: teamd/teamdctl; wireguard-tools: `wg`,
# which the wireguard tests read back with as an independent witness).
GUEST_DEBS=python3,iproute2,openssh-server,libteam-utils,iputils-ping,kmod,procps,wireguard-tools
# systemd-sysv: the systemd-booting variant (start.sh with VNET_VM_INIT=systemd);
# the default lane boots /sbin/vnet-init and never starts it.
GUEST_DEBS=$GUEST_DEBS,systemd-sysv
# Python packages baked into the guest (it has no network at run time).
# ansible-core 2.19 is the last release that runs on bookworm's Python 3.11;
# unit tests that import ansible.module_utils need it.
GUEST_PIP=("pyroute2==0.9.7" "pytest>=8,<9" "ansible-core>=2.19,<2.20")
# Modules the guest init loads (the kinds the host kernel lacks, and more).
GUEST_MODULES="bonding team team_mode_activebackup team_mode_broadcast team_mode_loadbalance team_mode_random team_mode_roundrobin ipvlan ipvtap macvlan macvtap 8021q dummy veth bridge sch_netem vxlan geneve ip_gre ip6_gre vrf wireguard"
IMAGE_SIZE=${VNET_VM_IMAGE_SIZE:-2G}
HOST_DEBS=(debootstrap qemu-system-x86 linux-image-amd64 openssh-client e2fsprogs python3-pip busybox-static cpio)

# Everything this script prints is a log: keep stdout clean for callers.
exec 1>&2

log() { printf '[build-image] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and apt-get need it)"

script_path=$(readlink -f "${BASH_SOURCE[0]}")
# The stamp covers everything that shapes the image: this file embeds all of it.
stamp=$(sha256sum "$script_path" | cut -d' ' -f1)

mkdir -p "$VM_DIR"
# Serialise concurrent builds (two lanes starting at once).
exec 9>"$VM_DIR/.build.lock"
flock 9

if [ -f "$VM_DIR/stamp" ] && [ "$(cat "$VM_DIR/stamp")" = "$stamp" ] \
    && [ -f "$VM_DIR/rootfs.img" ] && [ -f "$VM_DIR/vmlinuz" ] && [ -f "$VM_DIR/initrd.img" ]; then
    log "image up to date in $VM_DIR"
    exit 0
fi

# --- host packages -----------------------------------------------------------
missing=()
for p in "${HOST_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing host packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Update the lists first unless they look fresh (apt-cache knows the packages).
    if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
        apt-get update -qq
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
fi

# --- the guest kernel ----------------------------------------------------------
# linux-image-amd64 depends on the versioned package, e.g. linux-image-6.1.0-37-amd64.
kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | grep -o 'linux-image-[^ ,]*-amd64' | head -n1)
kver=${kver#linux-image-}
if [ -z "$kver" ] || [ ! -f "/boot/vmlinuz-$kver" ] || [ ! -d "/lib/modules/$kver" ]; then
    die "cannot find the kernel of linux-image-amd64 (got '$kver')"
fi
log "guest kernel: $kver"

# --- the mirror apt uses here (never hard-coded) --------------------------------
mirror=${VNET_VM_MIRROR:-}
if [ -z "$mirror" ]; then
    # apt knows its index targets only after an update; try once more after one.
    # shellcheck disable=SC2016 # $(SITE) etc. are apt's placeholders
    find_mirror() {
        apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' 2>/dev/null \
            | awk -v s="$SUITE" '$2 == s && $3 == "main" { print $1; exit }'
    }
    mirror=$(find_mirror)
    if [ -z "$mirror" ]; then apt-get update -qq; mirror=$(find_mirror); fi
fi
[ -n "$mirror" ] || die "no apt source for $SUITE main found (set VNET_VM_MIRROR)"
log "mirror: $mirror"

# --- the root filesystem -------------------------------------------------------
work="$VM_DIR/build.tmp"
rootfs="$work/rootfs"
cleanup() {
    # Never leave bind mounts behind; then drop the half-built tree.
    for m in "$rootfs/proc" "$rootfs/dev"; do mountpoint -q "$m" && umount -l "$m"; done
    rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"

log "debootstrap $SUITE (minbase) ..."
t0=$SECONDS
debootstrap --variant=minbase --include="$GUEST_DEBS" "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
log "debootstrap took $((SECONDS - t0)) s"

log "copying kernel modules"
mkdir -p "$rootfs/lib/modules"
cp -a "/lib/modules/$kver" "$rootfs/lib/modules/"
chroot "$rootfs" depmod -a "$kver"

log "installing Python packages: ${GUEST_PIP[*]}"
# The guest's python3 is bookworm's 3.11, the same as the host's /usr/bin/python3
# (both Debian 12): so the host's pip can install into the guest's tree.
gpy=$(chroot "$rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
hpy=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$gpy" = "$hpy" ] || die "guest Python $gpy differs from host /usr/bin/python3 $hpy"
site="$rootfs/usr/local/lib/python$gpy/dist-packages"
mkdir -p "$site"
# (grep drops the noise of find-links dirs that this machine's pip.conf may name)
/usr/bin/python3 -m pip install --quiet --no-compile --no-warn-script-location --root-user-action=ignore \
    --target "$site" "${GUEST_PIP[@]}" 2>&1 | { grep -v 'is ignored: it is neither a file' || true; }
rm -rf "${site:?}/bin"   # console scripts would point at the host's Python: use python3 -m
chroot "$rootfs" python3 -m compileall -q "/usr/local/lib/python$gpy/dist-packages" >/dev/null || true

log "configuring the guest"
# SSH: one key pair per cache dir, kept across rebuilds.
[ -f "$VM_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C vnet-vm -f "$VM_DIR/id_ed25519"
install -d -m 0700 "$rootfs/root/.ssh"
install -m 0600 "$VM_DIR/id_ed25519.pub" "$rootfs/root/.ssh/authorized_keys"
chroot "$rootfs" ssh-keygen -A >/dev/null
cat >"$rootfs/etc/ssh/sshd_config.d/vnet.conf" <<'CONF'
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
# Ansible opens many sessions: don't throttle them.
MaxStartups 100
MaxSessions 100
CONF
# No default bond0/dummy0 in the guest's root namespace: tests make their own.
printf 'options bonding max_bonds=0\noptions dummy numdummies=0\n' >"$rootfs/etc/modprobe.d/vnet.conf"
echo vnet-guest >"$rootfs/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 vnet-guest\n' >"$rootfs/etc/hosts"
: >"$rootfs/etc/fstab"
# Keep the image small: no package caches or lists.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

# PID 1 of the guest: no systemd, just what the tests need.
cat >"$rootfs/sbin/vnet-init" <<INIT
#!/bin/sh
# vnet.linux guest init (written by scripts/vm/build-image.sh)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mnt() { mountpoint -q "\$2" || mount -t "\$1" "\$1" "\$2"; }
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mnt devpts /dev/pts
mnt tmpfs /dev/shm
mnt tmpfs /run
mnt tmpfs /tmp
mkdir -p /run/sshd /run/netns /run/teamd
hostname vnet-guest
# The NIC first; the kinds load in the background while sshd starts (each
# module costs under TCG), then /run/vnet-ready tells start.sh all is there.
modprobe virtio_net
# ip_gre and ip6_gre put fallback devices (gre0, gretap0, erspan0, ip6gre0,
# ip6tnl0) into every namespace by default. Tests create thousands of
# namespaces and compare their links: keep the fallbacks in the root
# namespace only (1). The tests that prove the collection ignores them
# set 0 for the namespaces they make.
echo 1 >/proc/sys/net/core/fb_tunnels_only_for_init_net
(
    # One modprobe for all; one by one on error.
    modprobe -a $GUEST_MODULES 2>/dev/null \
        || for m in $GUEST_MODULES; do modprobe "\$m" || echo "vnet-init: modprobe \$m failed"; done
    touch /run/vnet-ready
    echo "vnet-init: modules loaded"
) &
ip link set lo up
# The NIC is virtio-net, named eth0 (no udev renames it): take the first NIC
# whatever its name.
nic=""
for i in 1 2 3 4 5 6 7 8 9 10; do
    for d in /sys/class/net/*; do
        n=\${d##*/}
        [ "\$n" = lo ] || [ ! -e "\$d/device" ] || { nic=\$n; break; }
    done
    [ -n "\$nic" ] && break
    sleep 0.5
done
# A lab VM node (the topology module's nodes[].vm) gets its address on the
# kernel command line: vnet.ip=ADDR/PLEN and optionally vnet.gw=GATEWAY.
# Without vnet.ip: the VM lane's user network, 10.0.2.15 via 10.0.2.2.
lab_ip=""
lab_gw=""
for arg in \$(cat /proc/cmdline); do
    case "\$arg" in
        vnet.ip=*) lab_ip=\${arg#vnet.ip=} ;;
        vnet.gw=*) lab_gw=\${arg#vnet.gw=} ;;
    esac
done
if [ -n "\$lab_ip" ]; then
    address=\$lab_ip
    gateway=\$lab_gw
else
    address=10.0.2.15/24
    gateway=10.0.2.2
fi
ip link set "\$nic" up
ip addr add "\$address" dev "\$nic"
[ -z "\$gateway" ] || ip route add default via "\$gateway"
/usr/sbin/sshd
echo "vnet-init: sshd started (nic \$nic, address \$address)"
# Stay PID 1; a foreground sleep makes the shell reap orphaned children too.
while :; do sleep 3600; done
INIT
chmod 0755 "$rootfs/sbin/vnet-init"

# The systemd variant (init=/lib/systemd/systemd): the same modules, sysctl
# and NIC set-up as vnet-init, by systemd's own means; no udev, no getty.
systemd_guest() {
    local sd=$rootfs/etc/systemd/system
    mkdir -p "$rootfs/etc/modules-load.d" "$rootfs/etc/sysctl.d" "$sd"
    # shellcheck disable=SC2086 # one module a line
    printf '%s\n' virtio_net $GUEST_MODULES >"$rootfs/etc/modules-load.d/vnet.conf"
    echo 'net.core.fb_tunnels_only_for_init_net = 1' >"$rootfs/etc/sysctl.d/50-vnet.conf"
    cat >"$rootfs/usr/local/sbin/vnet-guest-net" <<'NET'
#!/bin/sh
# the first NIC (no udev renames it) on qemu's user network; then ready
ip link set lo up
nic=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
    for d in /sys/class/net/*; do [ -e "$d/device" ] && nic=${d##*/} && break; done
    [ -n "$nic" ] && break
    sleep 0.5
done
ip link set "$nic" up && ip addr add 10.0.2.15/24 dev "$nic" \
    && ip route add default via 10.0.2.2 && touch /run/vnet-ready
NET
    chmod 0755 "$rootfs/usr/local/sbin/vnet-guest-net"
    cat >"$sd/vnet-guest-net.service" <<'UNIT'
[Unit]
Description=vnet guest NIC (10.0.2.15/24 via 10.0.2.2, qemu's user network)
DefaultDependencies=no
# as a network manager: after network-pre.target (labs persisted with the
# topology module come first), pulling in network.target, which sshd waits for
Wants=systemd-modules-load.service network.target
After=systemd-modules-load.service systemd-sysctl.service network-pre.target
Before=network.target ssh.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/vnet-guest-net

[Install]
WantedBy=multi-user.target
UNIT
    chroot "$rootfs" systemctl enable ssh.service vnet-guest-net.service >/dev/null 2>&1
    chroot "$rootfs" systemctl mask getty.target systemd-timesyncd.service >/dev/null 2>&1 || true
}
systemd_guest

log "making the ext4 image ($IMAGE_SIZE)"
rm -f "$work/rootfs.img"
mkfs.ext4 -q -F -L vnet-root -d "$rootfs" "$work/rootfs.img" "$IMAGE_SIZE"
cp "/boot/vmlinuz-$kver" "$work/vmlinuz"
# A tiny initramfs of our own (busybox and the root's drivers, no udev):
# Debian's takes about 10 s under TCG, mostly udev. It loads virtio-blk and
# ext4, and virtio-rng: without a hardware RNG the guest's crng takes 20-30 s
# to initialise under TCG, sshd blocks on it, and a loaded host can hang it.
ird="$work/initramfs"
mkdir -p "$ird"/{bin,dev,proc,sys,root,lib/modules}
cp /bin/busybox "$ird/bin/busybox"
mknod -m 600 "$ird/dev/console" c 5 1
for m in virtio_pci virtio_blk crc32c_generic ext4 virtio_rng; do
    modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$ird/lib/modules/"
    basename "$ko" >>"$ird/modules"
done
cat >"$ird/init" <<'RDINIT'
#!/bin/busybox sh
# vnet.linux guest initramfs (scripts/vm/build-image.sh): load the root's
# drivers, mount /dev/vda, hand over to /sbin/vnet-init. On failure PID 1
# exits: the kernel panics (panic=-1) and qemu (-no-reboot) stops.
bb=/bin/busybox
$bb mount -t devtmpfs dev /dev
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
# crc32c-intel fails on qemu's default CPU: crc32c_generic stands in.
for m in $($bb cat /modules); do $bb insmod "/lib/modules/$m" 2>/dev/null; done
i=0
until [ -b /dev/vda ]; do
    i=$((i + 1))
    [ $i -le 300 ] || { echo "vnet-initramfs: no /dev/vda"; exit 1; }
    $bb sleep 0.1
done
$bb mount -t ext4 -o rw /dev/vda /root || { echo "vnet-initramfs: cannot mount /dev/vda"; exit 1; }
# init= on the kernel's command line (start.sh's VNET_VM_INIT), else vnet-init
init=/sbin/vnet-init
for w in $($bb cat /proc/cmdline); do case $w in init=*) init=${w#init=} ;; esac; done
$bb umount /proc /sys
$bb mount --move /dev /root/dev
exec $bb switch_root /root "$init"
RDINIT
chmod 0755 "$ird/init"
(cd "$ird" && find . | cpio --quiet -o -H newc) >"$work/initrd.img"
echo "$kver" >"$work/kernel-version"
for f in rootfs.img vmlinuz initrd.img kernel-version; do mv -f "$work/$f" "$VM_DIR/$f"; done
echo "$stamp" >"$VM_DIR/stamp"
log "image ready in $VM_DIR (kernel $kver)"
