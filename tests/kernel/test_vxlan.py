"""vnet.linux.vxlan and the vxlan kind of vnet.linux.topology, on this kernel.

The machine's kernel has vxlan, so everything here runs in the fast lane:
creation, every option changed in place or by re-creation as the kind spec
says (measured on 6.1 and 6.18: they agree), check mode equal to the real
run, idempotence, drift repair (an option or a forwarding entry changed
with `ip`/`bridge` behind the module's back), bad input refused before
anything changes, and traffic across a unicast overlay (static flood
entries, no multicast) between namespaces joined by a veth underlay.
`ip -d` and `bridge fdb` are the witnesses.
"""

import subprocess
import time

import pytest

from conftest import ip, run_module
from test_fault_injection import Scenario, inject_every_fault
import test_fault_injection

from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import VXLAN


def ok(result):
    assert not result.get('failed'), result.get('msg')
    return result


def apply_exactly(args, module='vxlan'):
    """Check mode, the real run (same actions), a second run (no change)."""
    predicted = ok(run_module(module, args, check=True))
    made = ok(run_module(module, args))
    assert made['actions'] == predicted['actions']
    assert made['changed'] is True
    again = ok(run_module(module, args))
    assert again['changed'] is False and again['actions'] == [], again['actions']
    return made


def info(netns, name):
    return ip(netns, 'link', 'show', name)[0]['linkinfo']['info_data']


def static_fdb(netns, name):
    out = subprocess.check_output(['bridge', '-n', netns, 'fdb', 'show', 'dev', name])
    return sorted(line.strip() for line in out.decode().splitlines() if 'permanent' in line)


def link_names(netns):
    return [entry['ifname'] for entry in ip(netns, 'link', 'show')]


BASE = {'name': 'vx0', 'vni': 10, 'local': '10.0.0.1', 'remote': '10.0.0.2', 'dstport': 4789,
        'tos': 8, 'mtu': 1400, 'addresses': ['10.9.0.1/24'], 'admin_state': 'up',
        'fdb': [{'dst': '10.0.0.3'}, {'mac': '02:00:00:00:00:05', 'dst': '10.0.0.4'}]}
BASE6 = dict(BASE, local='fd00::1', remote='fd00::2',
             fdb=[{'dst': 'fd00::3'}, {'mac': '02:00:00:00:00:05', 'dst': 'fd00::4',
                                       'port': 5000, 'vni': 77}])
BASE_EXTERNAL = {'name': 'vx0', 'local': '10.0.0.1', 'dstport': 4789, 'mtu': 1400,
                 'addresses': ['10.9.0.1/24'], 'admin_state': 'up'}

# option -> (the link before, the change, re-created?); the change names
# only that option, so the rest must survive a re-create
CHANGES = [
    ('vni', BASE, 11, True),
    ('remote', BASE, '10.0.0.7', False),
    ('local', BASE, '10.0.0.5', False),
    ('dstport', BASE, 4790, True),
    ('srcport', dict(BASE, srcport=[2000, 3000]), [2000, 4000], True),
    ('ttl', BASE, 9, False),
    ('tos', BASE, 12, False),
    ('df', BASE, 'inherit', False),
    ('flowlabel', BASE6, 0x12345, False),
    ('learning', BASE, False, False),
    ('ageing', BASE, 100, False),
    ('proxy', BASE, True, True),
    ('l2miss', BASE, True, True),
    ('l3miss', BASE, True, True),
    ('udpcsum', BASE, False, True),
    ('udp6zerocsumtx', BASE6, True, True),
    ('udp6zerocsumrx', BASE6, True, True),
    ('external', BASE_EXTERNAL, True, True),
]


def test_every_option_is_covered():
    assert sorted(name for name, _b, _v, _r in CHANGES) == \
        sorted(o.name for o in VXLAN.options if o.name not in ('group', 'fdb'))
    for name, _base, _value, recreate in CHANGES:
        assert VXLAN.options_by_name[name].recreate is recreate, name


@pytest.mark.parametrize('name, base, value, recreate', CHANGES, ids=[c[0] for c in CHANGES])
def test_each_option_changes_in_place_or_by_recreate_as_the_spec_says(
        namespaces, name, base, value, recreate):
    ns, = namespaces(1)
    start = ok(run_module('vxlan', dict(base, netns=ns)))['link']
    change = {'name': 'vx0', 'netns': ns, name: value}
    made = apply_exactly(change)
    deletes = [a for a in made['actions'] if a.startswith('delete vxlan vx0')]
    assert bool(deletes) is recreate, made['actions']
    if recreate:
        assert '%s cannot change in place' % name in deletes[0]
    else:
        assert made['actions'] == ["set %s=%s on vxlan vx0 in namespace '%s'"
                                   % (name, value, ns)]
    after = made['link']
    assert after['options'][name] == value
    # what the task left open is what it was (a re-create carries it over)
    for key in ('mtu', 'addresses', 'admin_state', 'mac_address'):
        assert after[key] == start[key], key
    kept = dict((k, v) for k, v in start['options'].items()
                if k != name and not (name == 'external' and k == 'vni'))
    assert dict((k, after['options'][k]) for k in kept) == kept
    assert made['diff']['before']['link']['options'][name] == start['options'][name]


def test_create_with_every_option_check_mode_diff_and_the_witness(namespaces):
    ns, = namespaces(1)
    args = dict(BASE6, netns=ns, srcport=[40000, 40100], ttl=17, df='set', flowlabel=0xabcde,
                learning=False, ageing=120, proxy=True, l2miss=True, l3miss=True,
                udp6zerocsumtx=True, udp6zerocsumrx=True)
    made = apply_exactly(args)
    assert made['actions'][0] == (
        "create vxlan vx0 in namespace '%s' with ageing=120, df=set, dstport=4789, "
        "flowlabel=703710, l2miss=True, l3miss=True, learning=False, local=fd00::1, mtu=1400, "
        "proxy=True, "
        "remote=fd00::2, srcport=[40000, 40100], tos=8, ttl=17, udp6zerocsumrx=True, "
        "udp6zerocsumtx=True, vni=10" % ns)
    assert "add fdb entry 02:00:00:00:00:05 dst fd00::4 port 5000 vni 77 to vxlan vx0 in " \
           "namespace '%s'" % ns in made['actions']
    assert made['diff']['before'] == {'link': {}}
    seen = info(ns, 'vx0')
    assert (seen['id'], seen['remote6'], seen['local6'], seen['port'], seen['ttl'], seen['tos'],
            seen['df'], seen['label'], seen['learning'], seen['ageing'], seen['proxy'],
            seen['l2miss'], seen['l3miss'], seen['udp_zero_csum6_tx'],
            seen['udp_zero_csum6_rx'], seen['port_range']) == \
        (10, 'fd00::2', 'fd00::1', 4789, 17, '0x8', 'set', '0xabcde', False, 120, True, True,
         True, True, True, {'low': 40000, 'high': 40100})
    assert static_fdb(ns, 'vx0') == [
        '00:00:00:00:00:00 dst fd00::2 self permanent',
        '00:00:00:00:00:00 dst fd00::3 self permanent',
        '02:00:00:00:00:05 dst fd00::4 port 5000 vni 77 self permanent']
    link = ip(ns, 'link', 'show', 'vx0')[0]
    assert (link['mtu'], 'UP' in link['flags']) == (1400, True)
    # the view the module returns is the kernel's (the remote's own flood
    # entry is the kernel's, not an entry of fdb)
    assert made['link']['options']['fdb'] == [
        {'mac': '00:00:00:00:00:00', 'dst': 'fd00::3'},
        {'mac': '02:00:00:00:00:05', 'dst': 'fd00::4', 'port': 5000, 'vni': 77}]

    absent = {'name': 'vx0', 'netns': ns, 'state': 'absent'}
    predicted = ok(run_module('vxlan', absent, check=True))
    assert 'vx0' in link_names(ns)
    gone = ok(run_module('vxlan', absent))
    assert gone['actions'] == predicted['actions'] == ["delete vxlan vx0 in namespace '%s'" % ns]
    assert link_names(ns) == ['lo']
    assert run_module('vxlan', absent)['changed'] is False


def test_fdb_is_the_whole_set_and_other_entries_are_left_alone(namespaces):
    ns, = namespaces(1)
    ok(run_module('vxlan', dict(BASE, netns=ns, learning=True)))
    # a temporary entry (it ages out) is not the vxlan's configuration
    subprocess.check_call(['bridge', '-n', ns, 'fdb', 'add', '02:00:00:00:00:09', 'dev', 'vx0',
                           'dst', '10.0.0.9', 'dynamic'])
    made = apply_exactly({'name': 'vx0', 'netns': ns,
                          'fdb': [{'dst': '10.0.0.3'}, {'dst': '10.0.0.8', 'port': 6000}]})
    assert made['actions'] == [
        "remove fdb entry 02:00:00:00:00:05 dst 10.0.0.4 from vxlan vx0 in namespace '%s'" % ns,
        "add fdb entry 00:00:00:00:00:00 dst 10.0.0.8 port 6000 to vxlan vx0 in namespace '%s'"
        % ns]
    assert static_fdb(ns, 'vx0') == [
        '00:00:00:00:00:00 dst 10.0.0.2 self permanent',
        '00:00:00:00:00:00 dst 10.0.0.3 self permanent',
        '00:00:00:00:00:00 dst 10.0.0.8 port 6000 self permanent']
    assert '02:00:00:00:00:09 dst 10.0.0.9 self ' in subprocess.check_output(
        ['bridge', '-n', ns, 'fdb', 'show', 'dev', 'vx0']).decode()
    # omitted: left as it is; []: none
    assert ok(run_module('vxlan', {'name': 'vx0', 'netns': ns, 'ttl': 3}))['actions'] == [
        "set ttl=3 on vxlan vx0 in namespace '%s'" % ns]
    apply_exactly({'name': 'vx0', 'netns': ns, 'fdb': []})
    assert static_fdb(ns, 'vx0') == ['00:00:00:00:00:00 dst 10.0.0.2 self permanent']


def test_drift_behind_the_modules_back_is_repaired(namespaces):
    ns, = namespaces(1)
    args = dict(BASE, netns=ns, ttl=5, learning=False)
    ok(run_module('vxlan', args))
    subprocess.check_call(['ip', '-n', ns, 'link', 'set', 'vx0', 'type', 'vxlan', 'ttl', '40',
                           'learning'])
    subprocess.check_call(['bridge', '-n', ns, 'fdb', 'del', '00:00:00:00:00:00', 'dev', 'vx0',
                           'dst', '10.0.0.3'])
    subprocess.check_call(['bridge', '-n', ns, 'fdb', 'append', '00:00:00:00:00:00', 'dev',
                           'vx0', 'dst', '10.0.0.66'])
    repaired = apply_exactly(args)
    assert sorted(repaired['actions']) == sorted([
        "set learning=False, ttl=5 on vxlan vx0 in namespace '%s'" % ns,
        "remove fdb entry 00:00:00:00:00:00 dst 10.0.0.66 from vxlan vx0 in namespace '%s'" % ns,
        "add fdb entry 00:00:00:00:00:00 dst 10.0.0.3 to vxlan vx0 in namespace '%s'" % ns])
    assert repaired['diff']['before']['link']['options']['ttl'] == 40
    assert (info(ns, 'vx0')['ttl'], info(ns, 'vx0')['learning']) == (5, False)
    assert '00:00:00:00:00:00 dst 10.0.0.3 self permanent' in static_fdb(ns, 'vx0')


@pytest.mark.parametrize('args, message', [
    ({'vni': 2 ** 24}, 'vni: 16777216 is out of range; allowed 0..16777215'),
    ({'dstport': 0}, 'dstport: 0 is out of range'),
    ({'srcport': [3000, 2000]}, 'srcport: the low port 3000 is above the high port 2000'),
    ({'srcport': [1000]}, 'srcport: give two ports'),
    ({'remote': '10.0.0.2', 'group': '239.1.1.1'}, 'remote and group exclude each other'),
    ({'group': '10.0.0.2'}, 'group: 10.0.0.2 is not a multicast address'),
    ({'remote': '239.1.1.1'}, 'remote: 239.1.1.1 is a multicast address'),
    ({'local': '239.1.1.1'}, 'local: 239.1.1.1 is a multicast address'),
    ({'remote': 'fd00::2', 'local': '10.0.0.1'}, 'are of different IP versions'),
    ({'remote': '10.0.0.2', 'flowlabel': 5}, 'flowlabel: a flow label is an IPv6 header field'),
    ({'external': True, 'vni': 5}, 'vni: not used with external'),
    ({'external': True, 'fdb': [{'dst': '10.0.0.3'}]}, 'fdb: not used with external'),
    ({'ageing': 0}, 'ageing: 0 s is out of range'),
    ({'df': 'maybe'}, 'value of df must be one of'),
    ({'fdb': [{'dst': '10.0.0.3'}, {'dst': '10.0.0.3', 'mac': '00:00:00:00:00:00'}]},
     'fdb[1]: the entry 00:00:00:00:00:00 dst 10.0.0.3 is listed twice'),
    ({'fdb': [{'mac': '01:00:5e:00:00:01', 'dst': '10.0.0.3'}]}, 'fdb[0].mac'),
    ({'fdb': [{'dst': 'fd00::3'}]}, 'fdb[0].dst: fd00::3 is IPv6; the tunnel is IPv4'),
    ({'vni': 10, 'fdb': [{'dst': '10.0.0.3', 'vni': 10}]}, "fdb[0].vni: 10 is the vxlan's own"),
    ({'fdb': [{'dst': '10.0.0.3', 'port': 8472}]}, "fdb[0].port: 8472 is the vxlan's own"),
    ({'remote': '10.0.0.2', 'fdb': [{'dst': '10.0.0.2'}]},
     'fdb[0]: the kernel keeps this flood entry itself for remote 10.0.0.2'),
    ({'fdb': [{'dst': '10.0.0.3', 'via': 'eth0'}]}, 'fdb.via'),
    ({'group': '239.1.1.1'}, 'group: needs an underlay device (link)'),
    ({'fdb': [{'mac': '02:00:00:00:00:01'}]}, 'missing required arguments: dst found in fdb'),
    ({'ttl': 'five'}, 'ttl'),
])
def test_bad_input_is_refused_before_anything_changes(namespaces, args, message):
    ns, = namespaces(1)
    failed = run_module('vxlan', dict(args, name='vx0', netns=ns))
    assert failed.get('failed') and message in failed['msg'], failed
    assert link_names(ns) == ['lo']


def test_a_change_judged_against_the_existing_link(namespaces):
    """Rules that need the kernel's state: an IPv6 vxlan takes a flow
    label given alone; an IPv4 one refuses it, and an entry of the other
    family; the link is left as it was."""
    ns, = namespaces(1)
    ok(run_module('vxlan', dict(BASE6, netns=ns)))
    assert ok(run_module('vxlan', {'name': 'vx0', 'netns': ns, 'flowlabel': 7}))['changed']
    ok(run_module('vxlan', dict(BASE, name='vx1', netns=ns, vni=20)))
    for args, message in (({'flowlabel': 7}, 'flowlabel: a flow label is an IPv6 header field'),
                          ({'fdb': [{'dst': 'fd00::9'}]}, 'fdb[0].dst: fd00::9 is IPv6')):
        failed = run_module('vxlan', dict(args, name='vx1', netns=ns))
        assert failed.get('failed') and message in failed['msg'], failed
    assert info(ns, 'vx1')['label'] == '0' if 'label' in info(ns, 'vx1') else True
    assert static_fdb(ns, 'vx1') == [
        '00:00:00:00:00:00 dst 10.0.0.2 self permanent',
        '00:00:00:00:00:00 dst 10.0.0.3 self permanent',
        '02:00:00:00:00:05 dst 10.0.0.4 self permanent']


def test_a_vni_the_namespace_already_has_fails_and_changes_nothing(namespaces):
    ns, = namespaces(1)
    ok(run_module('vxlan', dict(BASE, netns=ns)))
    failed = run_module('vxlan', dict(BASE, name='vx1', netns=ns))
    assert failed.get('failed') and 'A VXLAN device with the specified VNI already exists' in \
        failed['msg'], failed
    assert failed['changed'] is False
    assert link_names(ns) == ['lo', 'vx0']


# --- traffic: a unicast overlay over a veth underlay ---------------------------

def ping(netns, address):
    return subprocess.run(['ip', 'netns', 'exec', netns, 'ping', '-c', '1', '-W', '2', address],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)


def test_traffic_across_a_unicast_overlay(namespaces):
    a, b = namespaces(2)
    ok(run_module('veth', {'name': 'u0', 'netns': a, 'addresses': ['192.0.2.1/24'],
                           'admin_state': 'up',
                           'peer': {'name': 'u0', 'netns': b, 'addresses': ['192.0.2.2/24'],
                                    'admin_state': 'up'}}))
    for here, local, there, overlay in ((a, '192.0.2.1', '192.0.2.2', '10.100.0.1/24'),
                                        (b, '192.0.2.2', '192.0.2.1', '10.100.0.2/24')):
        apply_exactly({'name': 'vx100', 'netns': here, 'vni': 100, 'local': local,
                       'dstport': 4789, 'learning': True, 'fdb': [{'dst': there}],
                       'addresses': [overlay], 'admin_state': 'up'})
    result = ping(a, '10.100.0.2')
    assert result.returncode == 0, result.stdout
    # the overlay is what carries it: without the flood entry nothing gets across
    ok(run_module('vxlan', {'name': 'vx100', 'netns': a, 'fdb': []}))
    subprocess.check_call(['ip', '-n', a, 'neigh', 'flush', 'dev', 'vx100'])
    subprocess.call(['bridge', '-n', a, 'fdb', 'flush', 'dev', 'vx100', 'dynamic'],
                    stderr=subprocess.DEVNULL)
    assert ping(a, '10.100.0.2').returncode != 0


# --- the topology's vxlan kind ---------------------------------------------------

def overlay_lab(lab, fdb_a=None):
    a, b = lab.n('a'), lab.n('b')
    return a, b, dict(
        nodes=[{'name': a}, {'name': b}],
        links=[
            {'endpoints': [{'node': a, 'name': 'u0', 'addresses': ['192.0.2.1/24']},
                           {'node': b, 'name': 'u0', 'addresses': ['192.0.2.2/24']}]},
            {'kind': 'vxlan', 'node': a, 'name': 'vx100', 'addresses': ['10.100.0.1/24'],
             'options': {'vni': 100, 'local': '192.0.2.1', 'dstport': 4789, 'ttl': 8,
                         'fdb': fdb_a if fdb_a is not None else [{'dst': '192.0.2.2'}]}},
            {'kind': 'vxlan', 'node': b, 'name': 'vx100', 'addresses': ['10.100.0.2/24'],
             'options': {'vni': 100, 'local': '192.0.2.2', 'dstport': 4789,
                         'fdb': [{'dst': '192.0.2.1'}]}},
        ])


def test_topology_overlay_traffic_rerun_facts_round_trip_and_absent(lab):
    a, b, description = overlay_lab(lab)
    predicted = lab.run(check=True, **description)
    assert predicted.get('failed') is None, predicted.get('msg')
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert 'create vxlan vx100 in node %s with dstport=4789, local=192.0.2.1, ttl=8, vni=100' \
        % a in made['actions']
    assert 'add fdb entry 00:00:00:00:00:00 dst 192.0.2.2 to vxlan vx100 in node %s' % a \
        in made['actions']
    assert static_fdb(a, 'vx100') == ['00:00:00:00:00:00 dst 192.0.2.2 self permanent']
    assert (info(a, 'vx100')['id'], info(a, 'vx100')['ttl']) == (100, 8)
    result = ping(a, '10.100.0.2')
    assert result.returncode == 0, result.stdout
    assert lab.run(**description)['changed'] is False

    # an entry changed behind the lab's back, and one more described
    subprocess.check_call(['bridge', '-n', a, 'fdb', 'append', '00:00:00:00:00:00', 'dev',
                           'vx100', 'dst', '192.0.2.77'])
    a, b, more = overlay_lab(lab, fdb_a=[{'dst': '192.0.2.2'}, {'dst': '192.0.2.3'}])
    repaired = lab.run(**more)
    assert repaired.get('failed') is None, repaired.get('msg')
    assert repaired['actions'] == [
        'remove fdb entry 00:00:00:00:00:00 dst 192.0.2.77 from vxlan vx100 in node %s' % a,
        'add fdb entry 00:00:00:00:00:00 dst 192.0.2.3 to vxlan vx100 in node %s' % a]
    changes = [entry for entry in repaired['plan']['changed'] if entry['name'] == 'vx100']
    assert list(changes[0]['changes']) == ['fdb'], changes

    facts = lab.info()
    vxlans = dict((entry['node'], entry) for entry in facts['links']
                  if entry.get('kind') == 'vxlan')
    assert vxlans[a]['options']['fdb'] == [{'mac': '00:00:00:00:00:00', 'dst': '192.0.2.2'},
                                           {'mac': '00:00:00:00:00:00', 'dst': '192.0.2.3'}]
    assert (vxlans[a]['options']['vni'], vxlans[a]['options']['local'],
            vxlans[a]['options']['ttl']) == (100, '192.0.2.1', 8)
    assert vxlans[a]['addresses'] == ['10.100.0.1/24']
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'))

    # a re-create in a lab: another dstport
    more['links'][1]['options']['dstport'] = 4790
    more['links'][2]['options']['dstport'] = 4790
    moved = lab.run(**more)
    assert moved.get('failed') is None, moved.get('msg')
    assert [entry['reason'] for entry in moved['plan']['recreated']] == [
        'dstport cannot change in place'] * 2
    assert ping(a, '10.100.0.2').returncode == 0
    assert lab.run(**more)['changed'] is False

    gone = lab.run(state='absent')
    assert gone.get('failed') is None, gone.get('msg')
    assert lab.namespaces() == []


# --- a run that fails at any step leaves the kernel as it found it -----------------

names = test_fault_injection.names  # the fixture: namespaces the scenarios make and clean


def test_every_fault_of_a_create_leaves_nothing(names):
    ns, = names(1)

    def run():
        return run_module('vxlan', dict(BASE, netns=ns, ttl=3))

    assert inject_every_fault(Scenario([ns], lambda: None, run)) >= 5


def test_every_fault_of_a_recreate_brings_the_old_vxlan_back(names):
    """dstport cannot change in place: the old vxlan is deleted first (its
    VNI and port are the namespace's), and a failure after that builds it
    again with its options, forwarding entries, addresses, MTU, MAC and
    state (kernel_state compares all of them, the entries included)."""
    ns, = names(1)

    def build():
        ok(run_module('vxlan', dict(BASE, netns=ns, ttl=3, learning=False,
                                    mac_address='02:00:00:00:0a:0b')))

    def run():
        return run_module('vxlan', {'name': 'vx0', 'netns': ns, 'dstport': 4790, 'ttl': 4,
                                    'fdb': [{'dst': '10.0.0.3'}, {'dst': '10.0.0.9'}]})

    assert inject_every_fault(Scenario([ns], build, run)) >= 4


# --- the underlay: the socket's namespace and device elsewhere ----------------------

def underlay(namespaces):
    """Two underlay namespaces joined by a veth (192.0.2.1, .2) and two
    nodes for the vxlans."""
    under_a, under_c, node_b, node_d = namespaces(4)
    ok(run_module('veth', {'name': 'u0', 'netns': under_a, 'addresses': ['192.0.2.1/24'],
                           'admin_state': 'up',
                           'peer': {'name': 'u0', 'netns': under_c,
                                    'addresses': ['192.0.2.2/24'], 'admin_state': 'up'}}))
    return under_a, under_c, node_b, node_d


def test_a_vxlan_over_an_underlay_in_another_namespace(namespaces):
    under_a, under_c, node_b, node_d = underlay(namespaces)
    args = {'name': 'vx0', 'netns': node_b, 'link': 'u0', 'link_netns': under_a, 'vni': 42,
            'local': '192.0.2.1', 'dstport': 4789, 'fdb': [{'dst': '192.0.2.2'}],
            'addresses': ['10.42.0.1/24'], 'admin_state': 'up'}
    made = apply_exactly(args)
    assert made['actions'][0].startswith(
        "create vxlan vx0 in namespace '%s' on u0 in namespace '%s' with " % (node_b, under_a))
    assert (made['link']['link'], made['link']['link_netns']) == ('u0', under_a)
    assert link_names(under_a) == ['lo', 'u0'] and 'vx0' in link_names(node_b)
    # its other end: a vxlan in node_d whose socket lives in under_c, no device
    apply_exactly({'name': 'vx0', 'netns': node_d, 'link_netns': under_c, 'vni': 42,
                   'local': '192.0.2.2', 'dstport': 4789, 'fdb': [{'dst': '192.0.2.1'}],
                   'addresses': ['10.42.0.2/24'], 'admin_state': 'up'})
    result = ping(node_b, '10.42.0.2')
    assert result.returncode == 0, result.stdout

    # another underlay re-creates it (delete first: the VNI is the namespace's)
    moved = apply_exactly(dict(args, link=None, link_netns=node_b, local=None,
                               fdb=None, addresses=None))
    assert moved['actions'][0] == (
        "delete vxlan vx0 in namespace '%s' (its underlay is not namespace '%s'; "
        "the kernel cannot change that in place)" % (node_b, node_b))
    assert (moved['link']['link'], moved['link']['link_netns']) == (None, node_b)
    assert moved['link']['addresses'] == ['10.42.0.1/24']
    assert moved['link']['options']['fdb'] == [{'mac': '00:00:00:00:00:00', 'dst': '192.0.2.2'}]


def test_remote_to_group_in_place_over_an_underlay_device(namespaces):
    """remote and group are one kernel attribute: a switch between them
    is a change in place (a group needs the underlay device)."""
    under_a, _under_c, node_b, _node_d = underlay(namespaces)
    args = {'name': 'vx0', 'netns': node_b, 'link': 'u0', 'link_netns': under_a, 'vni': 9,
            'remote': '192.0.2.2', 'dstport': 4789}
    ok(run_module('vxlan', args))
    del args['remote']
    made = apply_exactly(dict(args, group='239.1.1.9'))
    assert made['actions'] == ["set group=239.1.1.9 on vxlan vx0 in namespace '%s'" % node_b]
    assert made['link']['options']['group'] == '239.1.1.9'
    assert 'remote' not in made['link']['options']
    assert info(node_b, 'vx0')['group'] == '239.1.1.9'


def test_a_group_needs_an_underlay_device_in_a_lab_too(lab):
    a = lab.n('a')
    failed = lab.run(check=True, nodes=[{'name': a}], links=[
        {'kind': 'vxlan', 'node': a, 'name': 'vx0',
         'options': {'vni': 1, 'group': '239.1.1.1'}}])
    assert failed.get('failed') and \
        'links[0].options.group: needs an underlay device (links[0].parent)' in failed['msg'], \
        failed


def test_the_kernel_deletes_a_tunnel_with_its_underlay_namespace(namespaces):
    """The guard names the vxlan that goes with the namespace it was created
    in, and refuses it unless the task allows collateral."""
    under_a, _under_c, node_b, _node_d = underlay(namespaces)
    ok(run_module('vxlan', {'name': 'vx0', 'netns': node_b, 'link_netns': under_a, 'vni': 7,
                            'dstport': 4789}))
    refused = run_module('netns', {'name': under_a, 'state': 'absent'})
    assert refused.get('failed') and 'vx0' in refused['msg'], refused
    assert 'vx0' in link_names(node_b)
    gone = ok(run_module('netns', {'name': under_a, 'state': 'absent', 'allow_collateral': True}))
    assert any('vx0' in action for action in gone['actions']), gone['actions']
    # the kernel cleans a namespace up in the background, its tunnels with it
    for _attempt in range(50):
        if 'vx0' not in link_names(node_b):
            break
        time.sleep(0.1)
    assert 'vx0' not in link_names(node_b)


def test_topology_vxlan_over_an_underlay_node(lab):
    a, b, c, d = lab.n('a'), lab.n('b'), lab.n('c'), lab.n('d')
    description = dict(
        nodes=[{'name': name} for name in (a, b, c, d)],
        links=[
            {'endpoints': [{'node': a, 'name': 'u0', 'addresses': ['192.0.2.1/24']},
                           {'node': c, 'name': 'u0', 'addresses': ['192.0.2.2/24']}]},
            {'kind': 'vxlan', 'node': b, 'name': 'vx0', 'parent': 'u0', 'parent_node': a,
             'addresses': ['10.42.0.1/24'],
             'options': {'vni': 42, 'local': '192.0.2.1', 'dstport': 4789,
                         'fdb': [{'dst': '192.0.2.2'}]}},
            {'kind': 'vxlan', 'node': d, 'name': 'vx0', 'parent_node': c,
             'addresses': ['10.42.0.2/24'],
             'options': {'vni': 42, 'local': '192.0.2.2', 'dstport': 4789,
                         'fdb': [{'dst': '192.0.2.1'}]}},
        ])
    predicted = lab.run(check=True, **description)
    assert predicted.get('failed') is None, predicted.get('msg')
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert 'create vxlan vx0 in node %s with dstport=4789, local=192.0.2.1, vni=42 on u0 in ' \
        'node %s' % (b, a) in made['actions']
    assert 'create vxlan vx0 in node %s with dstport=4789, local=192.0.2.2, vni=42 over ' \
        'underlay node %s' % (d, c) in made['actions']
    result = ping(b, '10.42.0.2')
    assert result.returncode == 0, result.stdout
    assert lab.run(**description)['changed'] is False

    facts = lab.info()
    vxlans = dict((entry['node'], entry) for entry in facts['links']
                  if entry.get('kind') == 'vxlan')
    assert (vxlans[b].get('parent'), vxlans[b].get('parent_node')) == ('u0', a)
    assert (vxlans[d].get('parent'), vxlans[d].get('parent_node')) == (None, c)
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'))

    gone = lab.run(state='absent')
    assert gone.get('failed') is None, gone.get('msg')
    assert lab.namespaces() == []


# The host's newer kernel looks the name up where the link goes: the 6.1
# guest's is where the request comes from, which this is about.
@pytest.mark.guest_kernel
def test_topology_vxlan_named_as_a_link_of_its_underlay(lab):
    """The kernel looks a new link's name up in the namespace the request
    comes from: a tunnel named eth0 over an underlay that has an eth0 (a
    host's root namespace, for a lab spread over hosts) is made under a
    transit name there and moved into its node."""
    a, b, c, d = lab.n('a'), lab.n('b'), lab.n('c'), lab.n('d')
    description = dict(
        nodes=[{'name': name} for name in (a, b, c, d)],
        links=[
            {'endpoints': [{'node': a, 'name': 'eth0', 'addresses': ['192.0.2.1/24']},
                           {'node': c, 'name': 'eth0', 'addresses': ['192.0.2.2/24']}]},
            {'kind': 'vxlan', 'node': b, 'name': 'eth0', 'parent_node': a,
             'addresses': ['10.42.0.1/24'],
             'options': {'vni': 42, 'local': '192.0.2.1', 'remote': '192.0.2.2',
                         'dstport': 4789}},
            {'kind': 'vxlan', 'node': d, 'name': 'eth0', 'parent_node': c,
             'addresses': ['10.42.0.2/24'],
             'options': {'vni': 42, 'local': '192.0.2.2', 'remote': '192.0.2.1',
                         'dstport': 4789}},
        ])
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert sorted(link_names(a)) == ['eth0', 'lo'] and 'eth0' in link_names(b)
    result = ping(b, '10.42.0.2')
    assert result.returncode == 0, result.stdout
    assert lab.run(**description)['changed'] is False
