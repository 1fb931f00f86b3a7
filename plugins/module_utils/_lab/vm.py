# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lab nodes that are QEMU virtual machines (a node's `vm:` settings).

A VM node is a lab namespace that holds one macvtap (or ipvtap) of the lab.
The collection opens the tap's device node (kept by tapdev under
/run/vnet-linux/tap, so qemu needs no view of the namespace) and hands it to
qemu as an inherited file descriptor (`-netdev tap,fd=N`); the guest NIC takes the
macvtap's MAC address, which the macvtap filters on. qemu daemonizes with
its pid file and console log (`-serial file:`) at

    /run/vnet-linux/vm/<lab>/<node>.pid
    /run/vnet-linux/vm/<lab>/<node>.log

A process counts as the lab's VM only when /proc/<pid>/cmdline is a qemu
(a program whose file name has "qemu" in it) whose `-pidfile` is that very
path (the marker): the collection never
signals a process it did not start. The whole qemu command line is the VM's
state: a running VM whose command line is the one the description gives
(the fd number aside) and whose tap fd is still the macvtap's node is left
alone; any difference re-creates it (stop, start).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import time
import xml.etree.ElementTree as ET

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._kinds.lower import TAP_KINDS
from ansible_collections.vnet.linux.plugins.module_utils._kinds.teamd import is_zombie
from ansible_collections.vnet.linux.plugins.module_utils._netlink import tapdev

InputError = validate.InputError

RUN_ROOT = '/run/vnet-linux/vm'
_TAP_FD = re.compile(r'(^|,)fd=(\d+)')   # the tap's fd in -netdev's value
KVM_DEVICE = '/dev/kvm'
# the verdict of the KVM probe, per host boot (/run is a tmpfs)
KVM_VERDICT = os.path.join(RUN_ROOT, 'kvm-usable')
KVM_PROBE_SECONDS = 10
ACCELS = ('auto', 'kvm', 'tcg')

VM_OPTIONS = dict(
    image=dict(type='path', required=True),
    image_format=dict(type='str', default='raw', choices=['raw', 'qcow2']),
    snapshot=dict(type='bool', default=True),
    kernel=dict(type='path'),
    initrd=dict(type='path'),
    append=dict(type='str', default=''),
    memory=dict(type='int', default=512),
    cpus=dict(type='int', default=1),
    accel=dict(type='str', default='auto', choices=list(ACCELS)),
    interface=dict(type='str'),
    address=dict(type='str'),
    gateway=dict(type='str'),
    qemu=dict(type='str', default='qemu-system-x86_64'),
    stop_timeout=dict(type='int', default=10),
)


class Vm(object):
    """The VM of one node: its settings and where its files are."""

    def __init__(self, lab_name, node, settings, tap, field):
        self.lab_name = lab_name
        self.node = node                # the Node (its netns holds the tap)
        self.settings = settings        # VM_OPTIONS, checked
        self.tap = tap                  # the Iface of its macvtap/ipvtap
        self.field = field
        self.pid_path = pid_path(lab_name, node.name)
        self.log_path = log_path(lab_name, node.name)

    @property
    def tap_node_path(self):
        return tapdev.node_path(self.node.netns, self.tap.name)

    def label(self):
        return 'VM %s' % self.node.name

    def kernel_append(self):
        """The guest's command line: the user's, then the lab's address for
        the guest's init (vnet.ip, vnet.gw: the VM lane's image reads them)."""
        words = [self.settings['append']] if self.settings['append'] else []
        if self.settings.get('address'):
            words.append('vnet.ip=%s' % self.settings['address'])
        if self.settings.get('gateway'):
            words.append('vnet.gw=%s' % self.settings['gateway'])
        return ' '.join(words)

    def argv(self, mac, accel, fd):
        """The qemu command line (accel: 'kvm' or 'tcg'; fd: the tap's)."""
        s = self.settings
        drive = 'file=%s,if=virtio,format=%s' % (s['image'], s['image_format'])
        if s['snapshot']:
            drive += ',snapshot=on'
        args = [s['qemu'], '-name', 'vnet-%s-%s' % (self.lab_name, self.node.name),
                '-accel', accel, '-m', str(s['memory']), '-smp', str(s['cpus']),
                '-nodefaults', '-no-user-config', '-display', 'none',
                '-serial', 'file:%s' % self.log_path, '-monitor', 'none',
                '-drive', drive]
        if s.get('kernel'):
            args += ['-kernel', s['kernel']]
            if s.get('initrd'):
                args += ['-initrd', s['initrd']]
            args += ['-append', self.kernel_append()]
        args += ['-netdev', 'tap,id=lab0,fd=%d' % fd,
                 '-device', 'virtio-net-pci,netdev=lab0,mac=%s' % mac,
                 # entropy: without it a guest's crng takes long to start
                 '-device', 'virtio-rng-pci',
                 '-daemonize', '-pidfile', self.pid_path]
        return args

    def describe(self):
        s = self.settings
        text = '%s (%s, %d MiB, %d CPU%s, accel %s) on %s %s' % (
            self.label(), os.path.basename(s['image']), s['memory'], s['cpus'],
            '' if s['cpus'] == 1 else 's', s['accel'], self.tap.kind, self.tap.name)
        if s.get('address'):
            text += ', address %s' % s['address']
        return text


def pid_path(lab_name, node_name):
    return os.path.join(RUN_ROOT, lab_name, node_name + '.pid')


def log_path(lab_name, node_name):
    return os.path.join(RUN_ROOT, lab_name, node_name + '.log')


# --- the description ----------------------------------------------------------

def check(lab, raw_nodes):
    """Attach a Vm to every node that has `vm:` settings (node.vm, else
    None), checked against the lab's links; raw_nodes: the user's entries."""
    for pos, params in enumerate(raw_nodes or []):
        node = lab.nodes[params['name']]
        node.vm = None
        if params.get('vm'):
            node.vm = _vm(lab, node, params['vm'], 'nodes[%d].vm' % pos)


def _vm(lab, node, params, field):
    if node.external:
        raise InputError('%s: an external or root node cannot be a VM node (the lab makes '
                         'the namespace that holds the VM\'s macvtap)' % field)
    settings = dict(params)
    for key, option in VM_OPTIONS.items():
        if settings.get(key) is None and 'default' in option:
            settings[key] = option['default']
    validate.int_range(settings['memory'], field + '.memory', 16, 1 << 20, ' MiB')
    validate.int_range(settings['cpus'], field + '.cpus', 1, 256)
    validate.int_range(settings['stop_timeout'], field + '.stop_timeout', 1, 3600, ' s')
    if settings['accel'] not in ACCELS:
        raise InputError('%s.accel: %r is not one of %s' % (field, settings['accel'],
                                                            ', '.join(ACCELS)))
    _files(settings, field)
    _address(settings, field)
    return Vm(lab.name, node, settings, _tap_of(lab, node, settings.get('interface'), field),
              field)


def _files(settings, field):
    for key in ('image', 'kernel', 'initrd'):
        path = settings.get(key)
        if path and not os.path.isfile(path):
            raise InputError('%s.%s: %s is not a file on this host' % (field, key, path))
    for key in ('initrd', 'append'):
        if settings.get(key) and not settings.get('kernel'):
            raise InputError('%s.%s: only with kernel (qemu passes it to a kernel it '
                             'boots itself)' % (field, key))
    if settings['accel'] == 'kvm' and not os.path.exists(KVM_DEVICE):
        raise InputError('%s.accel: kvm, but this host has no %s (use auto or tcg)'
                         % (field, KVM_DEVICE))


def _address(settings, field):
    if settings.get('address'):
        settings['address'] = validate.cidr(settings['address'], field + '.address')
        if not settings.get('kernel'):
            raise InputError('%s.address: needs kernel: the address reaches the guest on '
                             'the kernel command line (vnet.ip=)' % field)
    if settings.get('gateway'):
        if not settings.get('address'):
            raise InputError('%s.gateway: only with address' % field)
        settings['gateway'] = validate.ip_address(settings['gateway'], field + '.gateway')


def _tap_of(lab, node, name, field):
    """The macvtap/ipvtap of the node the VM uses: the one named, else the
    node's only one."""
    taps = [iface for iface in lab.ifaces.values()
            if iface.node == node.name and iface.kind in TAP_KINDS]
    if name is not None:
        taps = [iface for iface in taps if iface.name == name]
        if not taps:
            raise InputError('%s.interface: %s is not a macvtap or ipvtap link of node %s'
                             % (field, name, node.name))
    elif len(taps) != 1:
        raise InputError('%s.interface: node %s has %s macvtap or ipvtap links; %s'
                         % (field, node.name, len(taps) or 'no',
                            'name the one for the VM' if taps else
                            'add one (links[] with kind macvtap and node %s)' % node.name))
    tap = taps[0]
    if tap.addresses:
        raise InputError('%s.addresses: the address of a VM\'s interface is the guest\'s; '
                         'give it as %s.address' % (tap.field, field))
    return tap


# --- processes ------------------------------------------------------------------

def cmdline_of(pid):
    """The argv of a process, or None when it is gone."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            raw = handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return [arg.decode('utf-8', 'replace') for arg in raw.split(b'\0')[:-1]]


def is_ours(argv, pidfile):
    """Our marker: a qemu started with -pidfile at exactly this path."""
    if not argv or 'qemu' not in os.path.basename(argv[0]):
        return False
    return any(argv[pos:pos + 2] == ['-pidfile', pidfile] for pos in range(len(argv)))


def running(pidfile):
    """(pid, argv) of the VM this pid file names, or None when no process
    of ours runs (no file, a stale one, or someone else's process)."""
    try:
        with open(pidfile) as handle:
            pid = int(handle.read().strip() or 0)
    except (FileNotFoundError, ValueError):
        return None
    if pid <= 1:
        return None
    argv = cmdline_of(pid)
    if not is_ours(argv, pidfile):
        return None
    return pid, argv


def tap_fd(argv):
    """The fd number of the tap in a qemu command line (None: none)."""
    for pos, arg in enumerate(argv[:-1]):
        if arg == '-netdev':
            found = _TAP_FD.search(argv[pos + 1])
            if found:
                return int(found.group(2))
    return None


def without_fd(argv):
    """The command line with the tap's fd number left out (it is whatever
    number the module had free)."""
    return [_TAP_FD.sub(r'\1fd=N', arg) if pos and argv[pos - 1] == '-netdev' else arg
            for pos, arg in enumerate(argv)]


def tap_fd_target(pid, argv):
    """What the VM's tap fd is (the path of the macvtap node it opened)."""
    fd = tap_fd(argv)
    try:
        return os.readlink('/proc/%d/fd/%d' % (pid, fd)) if fd is not None else None
    except OSError:
        return None


def stop(pidfile, timeout, remove_files=True):
    """SIGTERM, then SIGKILL after `timeout` s, to our qemu only; then the
    pid file and console log go (and the lab's directory when empty)."""
    found = running(pidfile)
    if found is not None:
        pid = found[0]
        _signal(pid, signal.SIGTERM)
        if not _gone(pid, pidfile, timeout):
            _signal(pid, signal.SIGKILL)
            if not _gone(pid, pidfile, 5):
                raise EngineError('qemu (pid %d) of %s outlived SIGKILL' % (pid, pidfile))
    if remove_files:
        remove_files_of(pidfile)


def _signal(pid, number):
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def _gone(pid, pidfile, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # the pid may be reused by then: the marker tells ours from another
        if not is_ours(cmdline_of(pid), pidfile) or is_zombie(pid):
            return True
        time.sleep(0.05)
    return False


def remove_files_of(pidfile):
    base = pidfile[:-len('.pid')]
    for path in (pidfile, base + '.log'):
        if os.path.lexists(path):
            os.unlink(path)
    try:
        os.rmdir(os.path.dirname(pidfile))
    except OSError:
        pass  # other VMs of the lab, or gone already


def lab_pidfiles(lab_name):
    """node -> pid file path of every VM the lab has files of, running or
    not (qemu removes its pid file when it exits by itself: a console log
    alone stands for its VM too)."""
    directory = os.path.join(RUN_ROOT, lab_name)
    if not os.path.isdir(directory):
        return {}
    nodes = sorted(set(os.path.splitext(name)[0] for name in os.listdir(directory)
                       if name.endswith(('.pid', '.log'))))
    return dict((node, os.path.join(directory, node + '.pid')) for node in nodes)


# --- acceleration -------------------------------------------------------------------

def resolve_accel(vm, run):
    """kvm or tcg. `auto` is kvm only where a probe VM ran under KVM: a
    /dev/kvm that opens is not enough (nested KVM can hang or abort qemu).
    run: the module's run_command."""
    accel = vm.settings['accel']
    if accel != 'auto':
        return accel
    return 'kvm' if kvm_usable(run, vm.settings['qemu'], vm.settings.get('kernel')) else 'tcg'


def kvm_usable(run, qemu, kernel):
    """Boot the kernel under KVM to its panic (no root given): a host whose
    KVM works gets there in a second or two. The verdict is kept for the
    host's boot (in /run)."""
    if not os.access(KVM_DEVICE, os.R_OK | os.W_OK):
        return False
    kernel = kernel or _host_kernel()
    if kernel is None:
        return False
    key = '%s %s %d' % (qemu, kernel, int(os.stat(kernel).st_mtime))
    cached = _read_verdict(key)
    if cached is not None:
        return cached
    verdict = _probe_kvm(run, qemu, kernel)
    os.makedirs(RUN_ROOT, mode=0o755, exist_ok=True)
    with open(KVM_VERDICT, 'w') as handle:
        handle.write('%s\n%s\n' % (key, 'yes' if verdict else 'no'))
    return verdict


def _host_kernel():
    path = '/boot/vmlinuz-%s' % os.uname().release
    return path if os.path.isfile(path) else None


def _read_verdict(key):
    try:
        with open(KVM_VERDICT) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    if len(lines) == 2 and lines[0] == key:
        return lines[1] == 'yes'
    return None


def _probe_kvm(run, qemu, kernel):
    console = os.path.join(RUN_ROOT, 'kvm-probe.log')
    os.makedirs(RUN_ROOT, mode=0o755, exist_ok=True)
    # a KVM that hangs does so in the kernel: only SIGKILL ends it
    argv = ['timeout', '-s', 'KILL', str(KVM_PROBE_SECONDS),
            qemu, '-accel', 'kvm', '-m', '128', '-nodefaults', '-no-user-config',
            '-display', 'none', '-no-reboot', '-serial', 'file:%s' % console,
            '-kernel', kernel, '-append', 'console=ttyS0 panic=-1 root=/dev/vnet-none']
    try:
        code, _out, _err = run(argv, expand_user_and_vars=False)
        with open(console, 'rb') as handle:
            booted = b'Kernel panic' in handle.read()
        return code == 0 and booted
    except OSError:
        return False
    finally:
        if os.path.exists(console):
            os.unlink(console)


# --- starting -----------------------------------------------------------------------

def start(vm, mac, run):
    """Start qemu (run: the module's run_command) with the macvtap's node
    open at an inherited fd; fails naming qemu's own words (it prints them
    before it daemonizes)."""
    remove_files_of(vm.pid_path)   # a stale pid file (the VM stopped by itself)
    os.makedirs(os.path.dirname(vm.pid_path), mode=0o755, exist_ok=True)
    accel = resolve_accel(vm, run)
    tap = os.open(vm.tap_node_path, os.O_RDWR)
    argv = vm.argv(mac, accel, tap)
    try:
        code, out, err = run(argv, pass_fds=(tap,), expand_user_and_vars=False)
    finally:
        os.close(tap)
    if code != 0 or running(vm.pid_path) is None:
        output = (out + err).strip()
        raise EngineError('starting %s failed (exit %d): %s; command: %s'
                          % (vm.label(), code, output or 'no output',
                             ' '.join(shlex.quote(a) for a in argv)))


# --- the plan -----------------------------------------------------------------------

def plan_vms(planner):
    """Steps of the lab's VMs: stops first (phase `stop`, before links go),
    starts last (phase `vm`, once the lab's network is there)."""
    lab = planner.lab
    vm_nodes = dict((node.name, node.vm) for node in lab.nodes.values()
                    if getattr(node, 'vm', None) is not None)
    for vm in vm_nodes.values():
        _plan_vm(planner, vm)
    if lab.prune:
        for node_name, pidfile in lab_pidfiles(lab.name).items():
            if node_name not in vm_nodes:
                _plan_removal(planner, node_name, pidfile, 'no longer a VM node of the lab')


def _plan_vm(planner, vm):
    found = running(vm.pid_path)
    tap_now = planner.now(vm.tap)
    mac = (tap_now or {}).get('mac_address') or vm.tap.attrs.get('mac_address')
    reason = None
    if found is not None:
        reason = _restart_reason(vm, found, tap_now, mac)
        if reason is None:
            return
        planner.add('stop', 'stop %s (pid %d, %s)' % (vm.label(), found[0], reason),
                    lambda: stop(vm.pid_path, vm.settings['stop_timeout'], remove_files=False))
        planner.report.recreated.append({'type': 'vm', 'name': vm.node.name, 'reason': reason})
    else:
        planner.report.added.append({'type': 'vm', 'name': vm.node.name})
    session = planner.session(vm.tap.node)

    def run():
        view = session.read(vm.tap.name)
        if view is None:
            raise EngineError('%s: its %s %s is not there'
                              % (vm.label(), vm.tap.kind, vm.tap.name))
        start(vm, view['mac_address'], planner.kernel.module.run_command)
    planner.add('vm', 'start %s' % vm.describe(), run,
                lambda: stop(vm.pid_path, vm.settings['stop_timeout']))


def _restart_reason(vm, found, tap_now, mac):
    pid, argv = found
    if tap_now is None:
        return 'its %s %s is re-created' % (vm.tap.kind, vm.tap.name)
    if tap_fd_target(pid, argv) != vm.tap_node_path:
        return 'its %s %s is another device now' % (vm.tap.kind, vm.tap.name)
    accel = argv[argv.index('-accel') + 1] if '-accel' in argv else None
    if vm.settings['accel'] == 'auto' and accel in ('kvm', 'tcg'):
        wanted = vm.argv(mac, accel, 0)   # auto accepts the accel it found
    else:
        wanted = vm.argv(mac, vm.settings['accel'], 0)
    have, wanted = without_fd(argv), without_fd(wanted)
    if have != wanted:
        return 'settings changed: %s' % _first_difference(have, wanted)
    return None


def _first_difference(have, want):
    for pos, (old, new) in enumerate(zip(have, want)):
        if old != new:
            return '%s %s instead of %s' % (have[pos - 1] if pos else 'qemu', new, old)
    return 'qemu arguments'


def _plan_removal(planner, node_name, pidfile, why):
    found = running(pidfile)
    text = ('stop VM %s (pid %d, %s) and remove its files' % (node_name, found[0], why)
            if found else 'remove the files of VM %s (%s, not running)' % (node_name, why))
    planner.add('stop', text, lambda: stop(pidfile, VM_OPTIONS['stop_timeout']['default']))
    planner.report.removed.append({'type': 'vm', 'name': node_name})


def absent_steps(lab_name):
    """(text, run) for every VM of a lab that goes away: before its links."""
    steps = []
    for node_name, pidfile in lab_pidfiles(lab_name).items():
        found = running(pidfile)
        text = ('stop VM %s (pid %d) and remove its files' % (node_name, found[0]) if found
                else 'remove the files of VM %s (not running)' % node_name)
        steps.append((node_name, text, _stopper(pidfile)))
    return steps


def _stopper(pidfile):
    return lambda: stop(pidfile, VM_OPTIONS['stop_timeout']['default'])


# --- what topology_info reads back ---------------------------------------------------

def read_vms(lab_name):
    """The lab's VMs as their processes and files show them."""
    result = []
    for node_name, pidfile in lab_pidfiles(lab_name).items():
        found = running(pidfile)
        entry = {'node': node_name, 'running': found is not None, 'pid': None,
                 'pid_file': pidfile, 'console_log': pidfile[:-len('.pid')] + '.log'}
        if found is not None:
            entry['pid'] = found[0]
            entry.update(_settings_of(found[1]))
            entry['argv'] = found[1]
        result.append(entry)
    return result


def _after(argv, flag):
    """The value of a qemu option on its command line (None: not there)."""
    return argv[argv.index(flag) + 1] if flag in argv else None


def _settings_of(argv):
    def after(flag):
        return _after(argv, flag)
    device = after('-device') or ''
    mac = device.split('mac=', 1)[1].split(',')[0] if 'mac=' in device else None
    return {'accel': after('-accel'), 'memory': int(after('-m') or 0),
            'cpus': int(after('-smp') or 0), 'mac_address': mac}


def described(argv, interface):
    """The node's `vm` settings that give this command line (Vm.argv read
    backwards), so that a lab read back and applied again leaves the VM
    running: the accelerator as resolved, the guest's address and gateway
    taken out of its kernel command line."""
    def after(flag):
        return _after(argv, flag)
    drive = dict(part.split('=', 1) for part in (after('-drive') or '').split(',') if '=' in part)
    settings = {'image': drive.get('file'), 'image_format': drive.get('format', 'raw'),
                'snapshot': drive.get('snapshot') == 'on', 'qemu': argv[0],
                'memory': int(after('-m') or 0), 'cpus': int(after('-smp') or 0),
                'accel': after('-accel'), 'interface': interface}
    if after('-kernel'):
        settings['kernel'] = after('-kernel')
        if after('-initrd'):
            settings['initrd'] = after('-initrd')
        words = []
        for word in (after('-append') or '').split(' '):
            key, _sep, value = word.partition('=')
            if key in ('vnet.ip', 'vnet.gw'):
                settings['address' if key == 'vnet.ip' else 'gateway'] = value
            elif word:
                words.append(word)
        settings['append'] = ' '.join(words)
    return settings


def libvirt_interface(lower, mode, mac, target=None):
    """The libvirt <interface type='direct'> of a macvtap: libvirt makes
    the macvtap itself, on `lower` (source dev), with this mode and MAC."""
    interface = ET.Element('interface', type='direct')
    if mac:
        ET.SubElement(interface, 'mac', address=mac)
    ET.SubElement(interface, 'source', dev=lower, mode=mode or 'vepa')
    if target:
        ET.SubElement(interface, 'target', dev=target)
    ET.SubElement(interface, 'model', type='virtio')
    return ET.tostring(interface, encoding='unicode')


def facts(lab_name, lab_facts):
    """topology_info's `vms` (a lab's VMs, when a lab is named) and
    `libvirt_interfaces` (every macvtap link read back, as libvirt's
    <interface type='direct'> that makes the same macvtap)."""
    taps = [link for link in lab_facts.get('links') or []
            if link.get('kind') == 'macvtap' and link.get('parent')]
    interfaces = [{'node': link['node'], 'name': link['name'],
                   'xml': libvirt_interface(link['parent'], link.get('mode'),
                                            link.get('mac_address'), target=link['name'])}
                  for link in taps]
    result = {'libvirt_interfaces': interfaces}
    if lab_name:
        vms = read_vms(lab_name)
        nodes = dict((node['name'], node) for node in lab_facts.get('nodes') or [])
        for entry in vms:
            argv = entry.pop('argv', None)
            mine = [i for i in interfaces if i['node'] == entry['node']]
            if len(mine) == 1:
                entry.update(interface=mine[0]['name'], libvirt_interface=mine[0]['xml'])
            if argv is not None and entry['node'] in nodes:
                # the node as the topology takes it: applied again, the VM stays
                tap = _tap_name(entry['pid'], argv)
                nodes[entry['node']]['vm'] = described(argv, tap or entry.get('interface'))
        result['vms'] = vms
    return result


def _tap_name(pid, argv):
    """The name of the macvtap whose device node the VM holds (the node's
    file under /run/vnet-linux/tap is named after its link)."""
    target = tap_fd_target(pid, argv)
    return os.path.basename(target) if target else None
