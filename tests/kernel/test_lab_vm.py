"""A lab node that is a QEMU VM on a macvtap (topology nodes[].vm), on this
machine's kernel: the VM lane's guest image booted on a macvtap on a veth end
inside the test's namespaces, pinged from a namespace and pinging from
itself, then torn down with nothing left.

It boots one guest (about 16 s to SSH under TCG): it takes the guest lanes'
lock (/tmp/vnet-guest.lock) so that two VMs never share the two cores.
"""

import fcntl
import os
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import ip, run_module

from ansible_collections.vnet.linux.plugins.module_utils._kinds.teamd import is_zombie
from ansible_collections.vnet.linux.plugins.module_utils._lab import vm as vm_nodes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VM_DIR = os.environ.get('VNET_VM_DIR', '/var/cache/vnet-linux/vm')
GUEST_LOCK = '/tmp/vnet-guest.lock'
BOOT_SECONDS = 90
APPEND = 'root=/dev/vda rw console=ttyS0 init=/sbin/vnet-init quiet panic=-1 mitigations=off'

pytestmark = pytest.mark.qemu


@pytest.fixture(scope='module')
def image():
    """The VM lane's guest image (built here when missing or stale: the
    script is a no-op when its stamp matches)."""
    if os.geteuid() != 0:
        pytest.skip('needs root (qemu, macvtap)')
    subprocess.run([os.path.join(ROOT, 'scripts', 'vm', 'build-image.sh')], check=True,
                   env=dict(os.environ, VNET_VM_DIR=VM_DIR), stdout=subprocess.DEVNULL)
    return dict((name, os.path.join(VM_DIR, name))
                for name in ('rootfs.img', 'vmlinuz', 'initrd.img', 'id_ed25519'))


@pytest.fixture
def guest_lock():
    with open(GUEST_LOCK, 'w') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
        fcntl.flock(handle, fcntl.LOCK_UN)


def vm_lab(lab, image, memory=256):
    router, guest = lab.n('r'), lab.n('vm')
    return router, guest, dict(
        nodes=[{'name': router},
               {'name': guest, 'vm': {
                   'image': image['rootfs.img'], 'kernel': image['vmlinuz'],
                   'initrd': image['initrd.img'], 'append': APPEND, 'memory': memory,
                   'cpus': 1, 'accel': 'auto', 'address': '192.0.2.10/24',
                   'gateway': '192.0.2.1'}}],
        links=[{'endpoints': [{'node': router, 'name': 'eth0', 'addresses': ['192.0.2.1/24']},
                              {'node': guest, 'name': 'eth0'}]},
               {'kind': 'macvtap', 'node': guest, 'name': 'mvt0', 'parent': 'eth0',
                'mode': 'bridge'}])


def pings(netns, address):
    return subprocess.call(['ip', 'netns', 'exec', netns, 'ping', '-c1', '-W1', address],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def ssh(netns, key, address, command):
    return subprocess.run(
        ['ip', 'netns', 'exec', netns, 'ssh', '-i', key, '-o', 'IdentitiesOnly=yes',
         '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
         '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
         '-o', 'ConnectTimeout=10', 'root@' + address, command],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, check=False)


def wait_for(what, probe, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.5)
    pytest.fail('%s: not within %d s' % (what, seconds))


def alive(pid):
    """Running (a zombie is dead: this machine's init reaps it late)."""
    return not is_zombie(pid)


def test_vm_node_boots_on_a_macvtap_is_reached_and_goes_with_the_lab(lab, image, guest_lock):
    router, guest, description = vm_lab(lab, image)
    pidfile = vm_nodes.pid_path(lab.name, guest)
    logfile = vm_nodes.log_path(lab.name, guest)

    planned = lab.run(check=True, **description)
    assert any(a.startswith('start VM %s ' % guest) for a in planned['actions'])
    assert planned['actions'][-1].startswith('start VM %s ' % guest)  # after the network
    assert not os.path.exists(pidfile)

    made = lab.run(**description)
    assert made['actions'] == planned['actions']
    assert {'type': 'vm', 'name': guest} in made['plan']['added']
    pid, argv = vm_nodes.running(pidfile)
    mvt0 = ip(guest, 'link', 'show', 'mvt0')[0]
    assert 'virtio-net-pci,netdev=lab0,mac=%s' % mvt0['address'] in argv
    assert os.readlink('/proc/%d/fd/%d' % (pid, vm_nodes.tap_fd(argv))) == \
        '/run/vnet-linux/tap/netns/%s/mvt0' % guest
    assert 'vnet.ip=192.0.2.10/24 vnet.gw=192.0.2.1' in argv[argv.index('-append') + 1]
    assert os.path.exists(logfile)

    again = lab.run(**description)
    assert again['changed'] is False, again.get('actions')

    # from a namespace to the guest, and from the guest (over SSH) back
    wait_for('the guest answers ping', lambda: pings(router, '192.0.2.10'), BOOT_SECONDS)
    wait_for('the guest answers SSH',
             lambda: ssh(router, image['id_ed25519'], '192.0.2.10', 'true').returncode == 0,
             BOOT_SECONDS)
    with open(logfile) as handle:   # the console log is kept
        assert 'vnet-init: sshd started (nic eth0, address 192.0.2.10/24)' in handle.read()
    reach = run_module('reachability', {
        'nodes': {router: ['192.0.2.1'], guest: ['192.0.2.10']},
        'guests': {guest: {'address': '192.0.2.10', 'via': router,
                           'key': image['id_ed25519']}},
        'count': 2, 'warmup': 2})
    assert not reach.get('failed'), reach.get('msg')
    rows = dict(((row['src'], row['dst']), row) for row in reach['results'])
    assert rows[(router, guest)]['received'] == 2
    assert rows[(guest, router)]['received'] == 2   # pinged from inside the guest

    facts = run_module('topology_info', {'lab': lab.name})
    (entry,) = facts['vms']
    assert entry['node'] == guest and entry['pid'] == pid and entry['running']
    assert entry['mac_address'] == mvt0['address'] and entry['memory'] == 256
    xml = ET.fromstring(entry['libvirt_interface'])
    assert xml.tag == 'interface' and xml.get('type') == 'direct'
    assert xml.find('source').attrib == {'dev': 'eth0', 'mode': 'bridge'}
    assert xml.find('mac').get('address') == mvt0['address']
    assert xml.find('model').get('type') == 'virtio'
    # the lab read back (the VM node with its vm settings) and applied
    # again: nothing changes, the VM keeps running
    vm_entry = [node for node in facts['nodes'] if node['name'] == guest][0]['vm']
    assert (vm_entry['memory'], vm_entry['interface'], vm_entry['address'],
            vm_entry['gateway']) == (256, 'mvt0', '192.0.2.10/24', '192.0.2.1'), vm_entry
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'))
    assert vm_nodes.running(pidfile)[0] == pid

    # a changed setting re-creates the VM (check mode says so first)
    _r, _g, bigger = vm_lab(lab, image, memory=320)
    plan = lab.run(check=True, **bigger)
    assert plan['plan']['recreated'] == [{'type': 'vm', 'name': guest, 'reason': (
        'settings changed: -m 320 instead of 256')}]
    assert vm_nodes.running(pidfile)[0] == pid
    lab.run(**bigger)
    new_pid, new_argv = vm_nodes.running(pidfile)
    assert new_pid != pid and not alive(pid)
    assert new_argv[new_argv.index('-m') + 1] == '320'

    gone = lab.run(state='absent')
    assert gone['actions'][0] == 'stop VM %s (pid %d) and remove its files' % (guest, new_pid)
    assert not alive(new_pid)
    assert not os.path.exists(os.path.dirname(pidfile))
    assert not os.path.exists('/run/vnet-linux/tap/netns/%s' % guest)
    assert lab.namespaces() == []


def test_a_pid_file_naming_another_process_is_never_signalled(tmp_path):
    """The marker: only a qemu whose -pidfile is this very file is ours."""
    sleeper = subprocess.Popen(['sleep', '30'])
    try:
        pidfile = str(tmp_path / 'node.pid')
        with open(pidfile, 'w') as handle:
            handle.write('%d\n' % sleeper.pid)
        assert vm_nodes.running(pidfile) is None
        vm_nodes.stop(pidfile, timeout=1)
        assert sleeper.poll() is None          # still running
        assert not os.path.exists(pidfile)     # only the stale file went
    finally:
        sleeper.kill()
        sleeper.wait()
