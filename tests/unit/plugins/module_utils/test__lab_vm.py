"""VM nodes without a kernel or qemu: the description's checks, the qemu
command line and its marker, the libvirt snippet, and the guest-side ping's
script and output."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._lab import guest_probe, vm
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import InputError, build
from ansible_collections.vnet.linux.plugins.module_utils._lab.reachability import Probe


@pytest.fixture
def files(tmp_path):
    for name in ('disk.img', 'vmlinuz', 'initrd.img'):
        (tmp_path / name).write_bytes(b'x')
    return dict((name, str(tmp_path / name)) for name in ('disk.img', 'vmlinuz', 'initrd.img'))


def lab(files, vm_settings=None, tap=None, extra_links=(), node_extra=None):
    settings = dict({'image': files['disk.img'], 'kernel': files['vmlinuz'],
                     'initrd': files['initrd.img'], 'address': '192.0.2.10/24',
                     'gateway': '192.0.2.1'}, **(vm_settings or {}))
    node = dict({'name': 'vm1', 'vm': settings}, **(node_extra or {}))
    links = [{'endpoints': [{'node': 'r1', 'name': 'eth0', 'addresses': ['192.0.2.1/24']},
                            {'node': 'vm1', 'name': 'eth0'}]},
             dict({'kind': 'macvtap', 'node': 'vm1', 'name': 'mvt0', 'parent': 'eth0',
                   'mode': 'bridge'}, **(tap or {}))] + list(extra_links)
    return build({'lab': 'demo', 'state': 'present', 'prune': False, 'bridges': [],
                  'nodes': [{'name': 'r1'}, node], 'links': links})


def error(*args, **kwargs):
    with pytest.raises(InputError) as caught:
        lab(*args, **kwargs)
    return str(caught.value)


def test_a_vm_node_gets_its_tap_defaults_and_paths(files):
    model = lab(files)
    node = model.nodes['vm1']
    assert model.nodes['r1'].vm is None
    assert node.vm.tap.name == 'mvt0'
    assert node.vm.settings['memory'] == 512 and node.vm.settings['accel'] == 'auto'
    assert node.vm.pid_path == '/run/vnet-linux/vm/demo/vm1.pid'
    assert node.vm.tap_node_path == '/run/vnet-linux/tap/netns/vm1/mvt0'


def test_the_qemu_command_line_carries_the_address_mac_fd_and_marker(files):
    machine = lab(files, {'append': 'console=ttyS0', 'memory': 300, 'cpus': 2}).nodes['vm1'].vm
    argv = machine.argv('02:00:00:00:00:0a', 'tcg', 7)
    assert argv[argv.index('-append') + 1] == \
        'console=ttyS0 vnet.ip=192.0.2.10/24 vnet.gw=192.0.2.1'
    assert argv[argv.index('-m') + 1] == '300' and argv[argv.index('-smp') + 1] == '2'
    assert 'tap,id=lab0,fd=7' in argv
    assert 'virtio-net-pci,netdev=lab0,mac=02:00:00:00:00:0a' in argv
    assert 'file:/run/vnet-linux/vm/demo/vm1.log' in argv
    assert vm.tap_fd(argv) == 7
    assert vm.without_fd(argv) == vm.without_fd(machine.argv('02:00:00:00:00:0a', 'tcg', 3))
    assert vm.is_ours(argv, machine.pid_path)
    assert not vm.is_ours(argv, '/run/vnet-linux/vm/demo/other.pid')
    assert not vm.is_ours(['sleep', '-pidfile', machine.pid_path], machine.pid_path)


@pytest.mark.parametrize('settings, tap, node_extra, extra, expected', [
    ({}, {}, {'external': True}, (),
     'nodes[1].vm: an external or root node cannot be a VM node'),
    ({}, {'addresses': ['192.0.2.10/24']}, None, (),
     "links[1].addresses: the address of a VM's interface is the guest's; give it as "
     'nodes[1].vm.address'),
    ({'interface': 'eth0'}, {}, None, (),
     'nodes[1].vm.interface: eth0 is not a macvtap or ipvtap link of node vm1'),
    ({}, {}, None, ({'kind': 'macvtap', 'node': 'vm1', 'name': 'mvt1', 'parent': 'eth0'},),
     'nodes[1].vm.interface: node vm1 has 2 macvtap or ipvtap links; name the one'),
    ({'kernel': None, 'initrd': None}, {}, None, (),
     'nodes[1].vm.address: needs kernel'),
    ({'image': '/nonexistent/disk.img'}, {}, None, (),
     'nodes[1].vm.image: /nonexistent/disk.img is not a file on this host'),
    ({'gateway': 'nope'}, {}, None, (), 'nodes[1].vm.gateway'),
    ({'memory': 8}, {}, None, (), 'nodes[1].vm.memory'),
])
def test_bad_vm_settings_name_their_field(files, settings, tap, node_extra, extra, expected):
    assert error(files, settings, tap, extra, node_extra).startswith(expected)


def test_a_vm_node_without_a_tap_is_refused(files):
    with pytest.raises(InputError, match='node vm1 has no macvtap or ipvtap links; add one'):
        build({'lab': 'demo', 'state': 'present', 'prune': False, 'bridges': [], 'links': [],
               'nodes': [{'name': 'vm1', 'vm': {'image': files['disk.img']}}]})


def test_libvirt_interface_is_a_direct_interface_on_the_lower_device():
    xml = ET.fromstring(vm.libvirt_interface('eth0', 'bridge', '02:00:00:00:00:0a', 'mvt0'))
    assert (xml.tag, xml.get('type')) == ('interface', 'direct')
    assert xml.find('source').attrib == {'dev': 'eth0', 'mode': 'bridge'}
    assert xml.find('mac').get('address') == '02:00:00:00:00:0a'
    assert xml.find('target').get('dev') == 'mvt0'
    assert xml.find('model').get('type') == 'virtio'


def test_facts_give_every_macvtap_its_snippet():
    facts = vm.facts(None, {'links': [
        {'kind': 'macvtap', 'node': 'vm1', 'name': 'mvt0', 'parent': 'eth0', 'mode': 'vepa',
         'mac_address': '02:00:00:00:00:0a'},
        {'kind': 'macvlan', 'node': 'vm1', 'name': 'mv0', 'parent': 'eth0'}]})
    assert 'vms' not in facts
    (entry,) = facts['libvirt_interfaces']
    assert (entry['node'], entry['name']) == ('vm1', 'mvt0')
    assert ET.fromstring(entry['xml']).find('source').get('mode') == 'vepa'


def test_the_guest_pings_every_address_at_once_and_its_output_is_read():
    probes = [Probe('vm1', 'r1', '192.0.2.1'), Probe('vm1', 'r2', '198.51.100.2')]
    text = guest_probe.script(probes, count=2, interval=0.2, timeout=1.0, warmup=2)
    assert text.count('ping -n -c 2 -i 0.2 -W 1') == 2 and text.endswith('wait')
    output = ('== 192.0.2.1\nPING 192.0.2.1 (192.0.2.1) 56(84) bytes of data.\n'
              '64 bytes from 192.0.2.1: icmp_seq=1 ttl=64 time=0.512 ms\n'
              '64 bytes from 192.0.2.1: icmp_seq=2 ttl=64 time=0.488 ms\n\n'
              '--- 192.0.2.1 ping statistics ---\n'
              '2 packets transmitted, 2 received, 0% packet loss, time 201ms\n'
              '== 198.51.100.2\nPING 198.51.100.2 (198.51.100.2) 56(84) bytes of data.\n\n'
              '--- 198.51.100.2 ping statistics ---\n'
              '2 packets transmitted, 0 received, 100% packet loss, time 1010ms\n')
    assert guest_probe.parse(output) == {'192.0.2.1': (2, [0.512, 0.488]),
                                         '198.51.100.2': (2, [])}


def test_guest_settings_are_checked_by_field():
    nodes = {'vm1': ['192.0.2.10'], 'r1': ['192.0.2.1']}
    checked = guest_probe.check_guests({'vm1': {'address': '192.0.2.10', 'via': 'r1'}}, nodes)
    assert checked['vm1']['user'] == 'root' and checked['vm1']['connect_timeout'] == 10
    with pytest.raises(guest_probe.GuestError, match=r'^guests.vm1.via: required'):
        guest_probe.check_guests({'vm1': {'address': '192.0.2.10'}}, nodes)
    with pytest.raises(guest_probe.GuestError, match=r'^guests.vm1.port: unknown'):
        guest_probe.check_guests({'vm1': {'address': 'a', 'via': 'r1', 'port': 22}}, nodes)
    with pytest.raises(guest_probe.GuestError, match=r'^guests.vm9: vm9 is not one of'):
        guest_probe.check_guests({'vm9': {'address': 'a', 'via': 'r1'}}, nodes)


def test_a_vm_that_stopped_by_itself_is_found_by_its_log(tmp_path, monkeypatch):
    monkeypatch.setattr(vm, 'RUN_ROOT', str(tmp_path))
    (tmp_path / 'demo').mkdir()
    (tmp_path / 'demo' / 'vm1.log').write_text('console')
    (tmp_path / 'demo' / 'vm2.pid').write_text('1\n')
    found = vm.lab_pidfiles('demo')
    assert found == {'vm1': str(tmp_path / 'demo' / 'vm1.pid'),
                     'vm2': str(tmp_path / 'demo' / 'vm2.pid')}
    assert [text for _node, text, _run in vm.absent_steps('demo')] == [
        'remove the files of VM vm1 (not running)', 'remove the files of VM vm2 (not running)']
    for _node, _text, run in vm.absent_steps('demo'):
        run()
    assert not (tmp_path / 'demo').exists()
