"""vnet.linux.vrf and the vrf kind of vnet.linux.topology.

The machine's kernel has no VRF driver: tests that create one are marked
guest_kernel (scripts/vm/pytest-in-guest.sh tests/kernel/test_vrf.py).
Check mode and refusals made while planning change nothing and need no
driver, so they run here too.
"""

import subprocess

import pytest

from conftest import ip, run_module
import test_fault_injection as harness
from test_fault_injection import Scenario, inject_every_fault, ok

names = harness.names  # the fault-injection fixture: namespaces it removes afterwards

GUEST = pytest.mark.guest_kernel


def apply_exactly(args, **extra):
    """Check mode, real run (same actions), second run (no change)."""
    predicted = run_module('vrf', args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module('vrf', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    assert made['changed'] is True
    assert made['diff']['after']['ports'] == predicted['diff']['after']['ports']
    assert made['diff']['after']['link']['options'] == \
        predicted['diff']['after']['link']['options']
    again = run_module('vrf', args)
    assert again['changed'] is False and again['actions'] == [], again['actions']
    return made


def link(netns, name):
    return ip(netns, 'addr', 'show', name)[0]


def master_of(netns, name):
    return link(netns, name).get('master', '')


def table_of(netns, name):
    return link(netns, name)['linkinfo']['info_data']['table']


def veth(netns, name, peer_netns=None, addresses=(), peer_addresses=()):
    ok(run_module('veth', {'name': name, 'netns': netns, 'admin_state': 'up',
                           'addresses': list(addresses),
                           'peer': {'name': 'e' + name, 'netns': peer_netns or netns,
                                    'admin_state': 'up', 'addresses': list(peer_addresses)}}))


def addresses(netns, name):
    return ['%s/%d' % (a['local'], a['prefixlen']) for a in link(netns, name)['addr_info']
            if a['scope'] == 'global']


def links_of(netns):
    return [entry['ifname'] for entry in ip(netns, 'link', 'show')]


# --- the module ---------------------------------------------------------------------

@GUEST
def test_create_change_table_drift_purge_and_absent(namespaces):
    ns, = namespaces(1)
    for name in ('p1', 'p2', 'p3'):
        veth(ns, name, addresses=['2001:db8:%s::1/64' % name[1]])
    args = {'name': 'red', 'netns': ns, 'table': 10, 'ports': ['p1', 'p2'],
            'admin_state': 'up', 'addresses': ['10.255.1.1/32']}
    made = apply_exactly(args)
    label = "vrf red in namespace '%s'" % ns
    assert made['actions'][0] == 'create %s with table=10' % label
    assert "attach link p1 in namespace '%s' to red" % ns in made['actions']
    assert "put back the IPv6 addresses 2001:db8:1::1/64 of link p1 in namespace '%s' (the " \
        "kernel drops them when a vrf cycles a port)" % ns in made['actions']
    assert made['diff']['before'] == {'link': {}, 'ports': []}
    assert made['link']['options'] == {'table': 10} and made['ports'] == ['p1', 'p2']
    assert (table_of(ns, 'red'), master_of(ns, 'p1'), master_of(ns, 'p2')) == (10, 'red', 'red')
    # a VRF takes its ports as they are: they stay up, with the IPv6
    # addresses the kernel dropped when it cycled them put back
    assert 'UP' in link(ns, 'p1')['flags']
    assert addresses(ns, 'p1') == ['2001:db8:1::1/64']

    # p3 joins outside the task; the kernel cannot change a table in place:
    # the VRF is re-created with what it had, its ports (p3 included) again
    subprocess.check_call(['ip', '-n', ns, 'link', 'set', 'p3', 'master', 'red'])
    moved = apply_exactly(dict(args, table=20, addresses=None))
    assert moved['actions'][:2] == [
        'delete %s (table cannot change in place: the kernel refuses it)' % label,
        'create %s with table=20' % label]
    assert (table_of(ns, 'red'), [master_of(ns, p) for p in ('p1', 'p2', 'p3')]) == \
        (20, ['red'] * 3)
    red = link(ns, 'red')
    assert 'UP' in red['flags'] and [a['local'] for a in red['addr_info']
                                     if a['family'] == 'inet'] == ['10.255.1.1']
    assert moved['diff']['before']['link']['options'] == {'table': 10}
    assert sorted(moved['ports']) == ['p1', 'p2', 'p3']
    # (p3 lost its IPv6 address when it joined by hand; p1 keeps its own)
    assert addresses(ns, 'p1') == ['2001:db8:1::1/64']

    # drift: a port leaves, and the VRF is made again on another table
    subprocess.check_call(['ip', '-n', ns, 'link', 'set', 'p1', 'nomaster'])
    repaired = run_module('vrf', dict(args, table=20))
    # (releasing it cycled it: its IPv6 address went then, not by this run)
    assert repaired['actions'] == ["attach link p1 in namespace '%s' to red" % ns]
    subprocess.check_call(['ip', '-n', ns, 'link', 'del', 'red'])
    subprocess.check_call(['ip', '-n', ns, 'link', 'add', 'red', 'type', 'vrf', 'table', '30'])
    repaired = run_module('vrf', dict(args, table=20))
    assert repaired['changed'] and table_of(ns, 'red') == 20
    assert (master_of(ns, 'p1'), master_of(ns, 'p2')) == ('red', 'red')

    # only the listed ports: p2 and p3 are released (not deleted)
    purged = apply_exactly(dict(args, table=20, ports=['p1'], purge_ports=True))
    assert purged['ports'] == ['p1']
    assert (master_of(ns, 'p2'), master_of(ns, 'p3')) == ('', '')

    absent = {'name': 'red', 'netns': ns, 'state': 'absent'}
    predicted = run_module('vrf', absent, check=True)
    gone = run_module('vrf', absent)
    assert gone['actions'] == predicted['actions'] == ['delete %s' % label]
    assert 'red' not in links_of(ns) and master_of(ns, 'p1') == ''
    # (the guest's gre modules put fallback devices into every namespace)
    assert set(['p1', 'ep1', 'p2', 'ep2', 'p3', 'ep3']) <= set(links_of(ns))
    assert run_module('vrf', absent)['changed'] is False


@GUEST
def test_a_failed_table_change_brings_the_old_vrf_and_its_ports_back(names):
    """Every state-changing request of a re-create fails once in turn; each
    time the old VRF comes back on its table with its ports, their port
    table and their addresses (an IPv6 one too: the kernel drops it when a
    VRF cycles the port)."""
    (ns,) = names(1)

    def build():
        for pos, name in enumerate(('p1', 'p2', 'p3')):
            veth(ns, name, addresses=['2001:db8:%d::1/64' % pos])
        ok(run_module('vrf', {'name': 'red', 'netns': ns, 'table': 10, 'mtu': 9000,
                              'ports': ['p1', 'p2'], 'admin_state': 'up',
                              'addresses': ['10.255.2.1/32'], 'alias': 'r'}))

    def run():
        return run_module('vrf', {'name': 'red', 'netns': ns, 'table': 20,
                                  'ports': ['p1', 'p3']})

    assert inject_every_fault(Scenario([ns], build, run)) >= 5


@GUEST
def test_two_vrfs_with_overlapping_addresses_route_apart(namespaces):
    """Router r has VRFs red and blue, each with a port on 10.0.0.1/24 to its
    own host (hr, hb: both 10.0.0.2/24); blue also reaches hc. Each VRF
    reaches its own host (the neighbour it resolves is that host's MAC),
    hb reaches hc through blue, and hr does not (red has no route there)."""
    r, hr, hb, hc = namespaces(4)
    subprocess.check_call(['ip', 'netns', 'exec', r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    veth(r, 'ra', hr, ['10.0.0.1/24'], ['10.0.0.2/24'])
    veth(r, 'rb', hb, ['10.0.0.1/24'], ['10.0.0.2/24'])
    veth(r, 'rc', hc, ['10.2.0.1/24'], ['10.2.0.2/24'])
    for host, gateway in ((hr, '10.0.0.1'), (hb, '10.0.0.1'), (hc, '10.2.0.1')):
        subprocess.check_call(['ip', '-n', host, 'route', 'add', 'default', 'via', gateway])
    ok(run_module('vrf', {'name': 'red', 'netns': r, 'table': 10, 'ports': ['ra'],
                          'admin_state': 'up'}))
    ok(run_module('vrf', {'name': 'blue', 'netns': r, 'table': 20, 'ports': ['rb', 'rc'],
                          'admin_state': 'up'}))

    def ping(netns, target, *via):
        return subprocess.call(['ip', 'netns', 'exec', netns, 'ping', '-c', '1', '-W', '2']
                               + list(via) + [target], stdout=subprocess.DEVNULL) == 0

    assert ping(r, '10.0.0.2', '-I', 'red') and ping(r, '10.0.0.2', '-I', 'blue')
    neighbours = dict((dev, [n['lladdr'] for n in ip(r, 'neigh', 'show', 'dev', dev)
                             if n['dst'] == '10.0.0.2']) for dev in ('ra', 'rb'))
    assert neighbours == {'ra': [link(hr, 'era')['address']],
                          'rb': [link(hb, 'erb')['address']]}
    assert ping(hb, '10.2.0.2')
    assert not ping(hr, '10.2.0.2')           # red has no way to hc
    assert not ping(r, '10.0.0.2')            # nor has the main table


# --- refused while planning (no VRF driver needed) ---------------------------------------

@pytest.mark.parametrize('args, message', [
    ({'table': 0}, 'table: 0 is the unspec table, which is no VRF table'),
    ({'table': 254}, 'table: 254 is the main table'),
    ({'table': 255}, 'table: 255 is the local table'),
    ({}, 'table: required to create a vrf'),
    ({'table': 10, 'ports': ['p1', 'p1']}, 'ports[1]: p1 is listed twice'),
    ({'table': 10, 'ports': ['red']}, 'ports[0]: red cannot be a port of itself'),
    ({'table': 10, 'ports': ['nope']}, "ports: nope does not exist in namespace"),
    ({'table': 10, 'ports': ['away']}, "It exists in namespace"),
    ({'table': 10, 'ports': ['b1']}, 'it is a port of br0 already'),
])
def test_bad_input_is_refused_before_any_change(namespaces, args, message):
    ns, other = namespaces(2)
    veth(other, 'away')
    ok(run_module('bridge', {'name': 'br0', 'netns': ns}))
    veth(ns, 'b1')
    subprocess.check_call(['ip', '-n', ns, 'link', 'set', 'b1', 'master', 'br0'])
    before = ip(ns, 'link', 'show')
    for check in (True, False):
        failed = run_module('vrf', dict(args, name='red', netns=ns), check=check)
        if check and args.get('ports') in (['nope'], ['away']):
            # check mode assumes an earlier task makes a missing port (warned)
            assert not failed.get('failed') and message in str(failed['warnings'])
            continue
        assert failed.get('failed') and message in failed['msg'], failed
    assert ip(ns, 'link', 'show') == before
    assert sorted(links_of(other)) == ['away', 'eaway', 'lo']


def test_check_mode_predicts_without_a_vrf_driver(namespaces):
    ns, = namespaces(1)
    veth(ns, 'p1')
    predicted = run_module('vrf', {'name': 'red', 'netns': ns, 'table': 10, 'ports': ['p1'],
                                   'admin_state': 'up'}, check=True)
    assert predicted['actions'] == [
        "create vrf red in namespace '%s' with table=10" % ns,
        "bring vrf red in namespace '%s' up" % ns,
        "attach link p1 in namespace '%s' to red" % ns]
    assert predicted['diff']['after'] == {'link': predicted['link'], 'ports': ['p1']}
    assert predicted['link']['options'] == {'table': 10}
    assert 'red' not in links_of(ns)


# --- the topology's vrf kind ----------------------------------------------------------------

@GUEST
def test_topology_two_vrfs_on_one_router_with_routes_in_their_tables(lab):
    """A PE router with VRFs red and blue: the same link subnet towards each
    CE, and the same prefix routed in each VRF to its own CE. Each CE's
    loopback is reachable only through its VRF. Re-run changes nothing, the
    facts read back apply unchanged, absent leaves nothing."""
    pe, cr, cb = lab.n('pe'), lab.n('cr'), lab.n('cb')
    pe_routes = [{'dst': '172.16.0.0/24', 'via': '10.0.0.2', 'vrf': 'red'},
                 {'dst': '172.16.0.0/24', 'via': '10.0.0.2', 'table': 20},
                 {'dst': '2001:db8:16::/64', 'via': '2001:db8::2', 'vrf': 'red'}]
    description = dict(
        nodes=[{'name': pe, 'routes': pe_routes},
               {'name': cr, 'loopback': ['172.16.0.1/32', '2001:db8:16::1/128'],
                'routes': [{'dst': 'default', 'via': '10.0.0.1'},
                           {'dst': 'default', 'via': '2001:db8::1'}]},
               {'name': cb, 'loopback': ['172.16.0.2/32'],
                'routes': [{'dst': 'default', 'via': '10.0.0.1'}]}],
        links=[
            {'endpoints': [{'node': pe, 'name': 'to-red',
                            'addresses': ['10.0.0.1/24', '2001:db8::1/64']},
                           {'node': cr, 'name': 'eth0',
                            'addresses': ['10.0.0.2/24', '2001:db8::2/64']}]},
            {'endpoints': [{'node': pe, 'name': 'to-blue', 'addresses': ['10.0.0.1/24']},
                           {'node': cb, 'name': 'eth0', 'addresses': ['10.0.0.2/24']}]},
            {'kind': 'vrf', 'node': pe, 'name': 'red', 'options': {'table': 10},
             'ports': ['to-red']},
            {'kind': 'vrf', 'node': pe, 'name': 'blue', 'options': {'table': 20},
             'ports': ['to-blue']},
        ])
    predicted = lab.run(check=True, **description)
    assert predicted.get('failed') is None, predicted.get('msg')
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert 'add route 172.16.0.0/24 via 10.0.0.2 vrf blue in node %s' % pe in made['actions']
    assert (master_of(pe, 'to-red'), master_of(pe, 'to-blue')) == ('red', 'blue')
    assert (table_of(pe, 'red'), table_of(pe, 'blue')) == (10, 20)
    for table in ('10', '20'):
        routes = ip(pe, 'route', 'show', 'table', table, 'proto', '118')
        assert [(r['dst'], r['gateway']) for r in routes] == [('172.16.0.0/24', '10.0.0.2')]
    assert ip(pe, '-6', 'route', 'show', 'table', '10', 'proto', '118')[0]['dst'] == \
        '2001:db8:16::/64'
    # the kernel's own l3mdev rule sends each port's traffic to its VRF's table
    assert any('l3mdev' in rule for rule in ip(pe, 'rule', 'show'))

    def ping(target, vrf, tries=1):
        # IPv6 addresses answer once the kernel's duplicate address detection is over
        return any(subprocess.call(['ip', 'netns', 'exec', pe, 'ping', '-c', '1', '-W', '2',
                                    '-I', vrf, target], stdout=subprocess.DEVNULL) == 0
                   for _try in range(tries))
    assert ping('172.16.0.1', 'red') and ping('172.16.0.2', 'blue')
    assert not ping('172.16.0.2', 'red') and not ping('172.16.0.1', 'blue')
    assert ping('2001:db8:16::1', 'red', tries=4)

    again = lab.run(**description)
    assert again['changed'] is False, again['actions']

    facts = lab.info()
    vrfs = sorted((e['name'], e['options'], e['ports']) for e in facts['links']
                  if e.get('kind') == 'vrf')
    assert vrfs == [('blue', {'table': 20}, ['to-blue']), ('red', {'table': 10}, ['to-red'])]
    read_routes = [n for n in facts['nodes'] if n['name'] == pe][0]['routes']
    assert sorted((r['dst'], r.get('vrf')) for r in read_routes) == [
        ('172.16.0.0/24', 'blue'), ('172.16.0.0/24', 'red'), ('2001:db8:16::/64', 'red')]
    assert facts['other_links'] == []
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'))

    # blue moves to table 30: the VRF is re-created with its port (which keeps
    # its IPv6 address), its route follows it, and prune removes the route of
    # table 20 (the kernel flushed it when the port was cycled)
    description['links'][1]['endpoints'][0]['addresses'].append('2001:db8:b::1/64')
    assert lab.run(**description)['changed'] is True
    description['links'][3]['options'] = {'table': 30}
    description['nodes'][0]['routes'][1] = {'dst': '172.16.0.0/24', 'via': '10.0.0.2',
                                            'vrf': 'blue'}
    predicted = lab.run(check=True, prune=True, **description)
    moved = lab.run(prune=True, **description)
    assert moved.get('failed') is None, moved.get('msg')
    assert moved['actions'] == predicted['actions']
    assert moved['actions'][0] == 'delete vrf blue in node %s (table cannot change in place)' \
        % pe
    # named as read: the route of table 20, blue's table then
    assert 'delete route 172.16.0.0/24 via 10.0.0.2 dev to-blue vrf blue in node %s' % pe \
        in moved['actions']
    assert (table_of(pe, 'blue'), master_of(pe, 'to-blue')) == (30, 'blue')
    assert addresses(pe, 'to-blue') == ['10.0.0.1/24', '2001:db8:b::1/64']
    assert ip(pe, 'route', 'show', 'table', '20', 'proto', '118') == []
    assert ping('172.16.0.2', 'blue') and not ping('172.16.0.1', 'blue')
    assert lab.run(prune=True, **description)['changed'] is False

    gone = run_module('topology', {'lab': lab.name, 'state': 'absent'})
    assert gone.get('failed') is None and lab.namespaces() == []
