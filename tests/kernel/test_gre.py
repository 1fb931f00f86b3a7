"""vnet.linux.gre, gretap, ip6gre, ip6gretap and their topology kinds.

The machine's kernel has no GRE drivers: everything that creates a tunnel
runs in the guest (scripts/vm/pytest-in-guest.sh tests/kernel/test_gre.py).
The tests are few and batched: one module call proves several options, and
iproute2 (`ip -d -j`) is the independent witness of what the kernel has.
Input errors change nothing and are proven on the host (test__gre.py) and
here, where the kernel could have taken the request.
"""

import os
import subprocess

import pytest

from conftest import ip, run_module

GUEST = pytest.mark.guest_kernel
FALLBACK = ('gre0', 'gretap0', 'erspan0', 'ip6gre0', 'ip6tnl0')
FB_ONLY_FOR_INIT_NET = '/proc/sys/net/core/fb_tunnels_only_for_init_net'


@pytest.fixture
def fallbacks_everywhere():
    """The kernel's default: every namespace made from now on gets the
    fallback devices (the guest image keeps them in the root namespace for
    the other tests, docs/vm-lane.md); put back afterwards."""
    with open(FB_ONLY_FOR_INIT_NET) as handle:
        old = handle.read().strip()
    with open(FB_ONLY_FOR_INIT_NET, 'w') as handle:
        handle.write('0')
    yield
    with open(FB_ONLY_FOR_INIT_NET, 'w') as handle:
        handle.write(old)


def apply_exactly(module, args):
    """Check mode, real run (same actions), second run (no change)."""
    predicted = run_module(module, args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module(module, args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    assert made['changed'] is True
    again = run_module(module, args)
    assert again['changed'] is False and again['actions'] == [], again['actions']
    return made


def refused(module, args, message):
    result = run_module(module, args)
    assert result.get('failed') and message in result['msg'], result
    assert not result.get('changed')


def tunnel(netns, name):
    return ip(netns, 'link', 'show', name)[0]['linkinfo']['info_data']


def names(netns):
    return [entry['ifname'] for entry in ip(netns, 'link', 'show')]


def sh(netns, *args):
    subprocess.check_call(['ip', '-n', netns] + list(args))


def ping(netns, address):
    return subprocess.call(['ip', 'netns', 'exec', netns, 'ping', '-c', '2', '-i', '0.2',
                            '-W', '2', address], stdout=subprocess.DEVNULL) == 0


def underlay(a, b, v4=('10.9.0.1/30', '10.9.0.2/30'), v6=None):
    """Two namespaces joined by a veth with addresses (the routed underlay)."""
    sh(a, 'link', 'add', 'ul', 'type', 'veth', 'peer', 'name', 'ul', 'netns', b)
    for netns, pos in ((a, 0), (b, 1)):
        if v4:
            sh(netns, 'addr', 'add', v4[pos], 'dev', 'ul')
        if v6:
            sh(netns, 'addr', 'add', v6[pos], 'dev', 'ul', 'nodad')
        sh(netns, 'link', 'set', 'ul', 'up')


@GUEST
def test_gre_and_gretap_end_to_end(fallbacks_everywhere, namespaces):
    a, b = namespaces(2)
    assert set(FALLBACK) <= set(names(a))
    underlay(a, b)
    ends = {a: ('10.9.0.1', '10.9.0.2', '192.168.50.1/30', '192.168.60.1/24'),
            b: ('10.9.0.2', '10.9.0.1', '192.168.50.2/30', '192.168.60.2/24')}
    for netns, (local, remote, inner, tap_inner) in ends.items():
        made = apply_exactly('gre', {
            'name': 'g1', 'netns': netns, 'local': local, 'remote': remote, 'key': 5,
            'ttl': 64, 'tos': 'inherit', 'addresses': [inner], 'admin_state': 'up'})
        assert made['actions'][0] == (
            "create gre g1 in namespace '%s' with ikey=5, local=%s, okey=5, remote=%s, "
            "tos=inherit, ttl=64" % (netns, local, remote))
        assert made['link']['options'] == {'local': local, 'remote': remote, 'ikey': 5,
                                           'okey': 5, 'ttl': 64, 'tos': 'inherit',
                                           'pmtudisc': True}
        assert made['link']['mac_address'] is None
        apply_exactly('gretap', {
            'name': 'gt1', 'netns': netns, 'local': local, 'remote': remote, 'ikey': 6,
            'okey': '0.0.0.6', 'mac_address': '02:00:00:00:60:0%s' % local[-1],
            'addresses': [tap_inner], 'admin_state': 'up'})
    seen = tunnel(a, 'g1')
    assert (seen['local'], seen['remote'], seen['ikey'], seen['okey'], seen['ttl'],
            seen['tos']) == ('10.9.0.1', '10.9.0.2', '0.0.0.5', '0.0.0.5', 64, '0x1')  # 1: inherit
    assert ip(a, 'link', 'show', 'gt1')[0]['address'] == '02:00:00:00:60:01'
    assert ping(a, '192.168.50.2') and ping(a, '192.168.60.2')

    # every option in place: one step, the tunnel (its index) kept
    index = ip(a, 'link', 'show', 'g1')[0]['ifindex']
    changed = apply_exactly('gre', {'name': 'g1', 'netns': a, 'ikey': 7, 'okey': 'none',
                                    'ttl': 9, 'tos': 16, 'pmtudisc': False})
    assert changed['actions'] == [
        "set ikey=7, okey=none, pmtudisc=False, tos=16, ttl=9 on gre g1 in namespace '%s'" % a]
    seen = tunnel(a, 'g1')
    assert (seen['ikey'], 'okey' in seen, seen['ttl'], seen['tos'], seen['pmtudisc']) == \
        ('0.0.0.7', False, 9, '0x10', False)
    assert (seen['local'], seen['remote']) == ('10.9.0.1', '10.9.0.2')  # not reset
    assert ip(a, 'link', 'show', 'g1')[0]['ifindex'] == index
    tap_changed = apply_exactly('gretap', {'name': 'gt1', 'netns': a, 'local': 'any',
                                           'remote': '10.9.0.9', 'key': 'none', 'ttl': 3})
    assert len(tap_changed['actions']) == 1
    seen = tunnel(a, 'gt1')
    assert (seen['local'], seen['remote'], 'ikey' in seen, seen['ttl']) == \
        ('any', '10.9.0.9', False, 3)

    # drift repair: changed behind the module's back, put back
    sh(a, 'link', 'set', 'g1', 'type', 'gre', 'ttl', '200')
    repaired = run_module('gre', {'name': 'g1', 'netns': a, 'ttl': 9})
    assert repaired['changed'] and tunnel(a, 'g1')['ttl'] == 9

    # a re-create that fails at its create step brings the old tunnel back
    wanted = {'name': 'g1', 'netns': a, 'remote': 'any'}
    steps = run_module('gre', wanted, check=True)['actions']
    assert steps[0].startswith('delete gre g1') and steps[1].startswith('create gre g1')
    os.environ['VNET_FAULT_AT'] = '2'
    try:
        failed = run_module('gre', wanted)
    finally:
        del os.environ['VNET_FAULT_AT']
    assert failed.get('failed') and 'undone' in failed['msg'], failed
    back = tunnel(a, 'g1')
    assert (back['remote'], back['ttl'], back['ikey']) == ('10.9.0.2', 9, '0.0.0.7')
    assert ip(a, 'addr', 'show', 'g1')[0]['addr_info'][0]['local'] == '192.168.50.1'

    # a gre's remote class cannot change in place: re-created, settings kept
    recreated = apply_exactly('gre', {'name': 'g1', 'netns': a, 'remote': 'any'})
    assert 'cannot change in place' in recreated['actions'][0]
    assert recreated['link']['options']['ttl'] == 9
    assert recreated['link']['addresses'] == ['192.168.50.1/30']
    assert recreated['link']['admin_state'] == 'up'

    # refused before anything changes
    before = ip(a, 'link', 'show')
    refused('gre', {'name': 'g1', 'netns': a, 'local': 'fd00::1'}, 'local: fd00::1 is an IPv6')
    refused('gre', {'name': 'g1', 'netns': a, 'mac_address': '02:00:00:00:00:01'},
            'mac_address: a gre is a layer-3 tunnel and has no MAC address')
    refused('gre', {'name': 'g2', 'netns': a, 'ttl': 5}, 'refuses a second one')
    refused('gretap', {'name': 'gretap0', 'netns': a, 'remote': '10.9.0.2'},
            "gretap0 is the name of the kernel's own gretap fallback device")
    refused('gre', {'name': 'gre0', 'netns': a, 'state': 'absent'}, 'fallback device')
    assert ip(a, 'link', 'show') == before

    gone = run_module('gre', {'name': 'g1', 'netns': a, 'state': 'absent'})
    assert gone['changed'] and 'g1' not in names(a)
    for netns in (a, b):
        assert set(FALLBACK) <= set(names(netns))  # the kernel's own, untouched


@GUEST
def test_ip6gre_and_ip6gretap_over_an_ipv6_underlay(namespaces):
    a, b = namespaces(2)
    underlay(a, b, v4=None, v6=('fd00:9::1/64', 'fd00:9::2/64'))
    for netns, local, remote, inner, tap_inner in (
            (a, 'fd00:9::1', 'fd00:9::2', '192.168.70.1/30', '192.168.80.1/24'),
            (b, 'fd00:9::2', 'fd00:9::1', '192.168.70.2/30', '192.168.80.2/24')):
        made = apply_exactly('ip6gre', {
            'name': 's1', 'netns': netns, 'local': local, 'remote': remote, 'key': 9,
            'ttl': 64, 'tos': 32, 'flowlabel': 0x123, 'encaplimit': 'none',
            'addresses': [inner], 'admin_state': 'up'})
        assert made['link']['options'] == {'local': local, 'remote': remote, 'ikey': 9,
                                           'okey': 9, 'ttl': 64, 'tos': 32,
                                           'flowlabel': 0x123, 'encaplimit': 'none'}
        apply_exactly('ip6gretap', {'name': 's2', 'netns': netns, 'local': local,
                                    'remote': remote, 'encaplimit': 4,
                                    'addresses': [tap_inner], 'admin_state': 'up'})
    seen = tunnel(a, 's1')
    assert (seen['local'], seen['remote'], seen['ikey'], seen['okey'], seen['ttl']) == \
        ('fd00:9::1', 'fd00:9::2', '0.0.0.9', '0.0.0.9', 64), seen
    assert ping(a, '192.168.70.2') and ping(a, '192.168.80.2')

    changed = apply_exactly('ip6gre', {'name': 's1', 'netns': a, 'tos': 'inherit',
                                       'flowlabel': 'inherit', 'encaplimit': 2, 'ttl': 0})
    assert len(changed['actions']) == 1
    assert changed['link']['options']['ikey'] == 9  # the rest kept
    assert ping(a, '192.168.70.2')
    refused('ip6gretap', {'name': 's2', 'netns': a, 'remote': '10.0.0.1'},
            'remote: 10.0.0.1 is an IPv4 address')


@GUEST
def test_a_lab_with_tunnels_round_trip_and_absent(fallbacks_everywhere, lab):
    a, b = lab.n('a'), lab.n('b')
    description = {
        'nodes': [{'name': a}, {'name': b}],
        'links': [
            {'endpoints': [{'node': a, 'name': 'ul', 'addresses': ['10.8.0.1/30']},
                           {'node': b, 'name': 'ul', 'addresses': ['10.8.0.2/30']}]},
            {'kind': 'gre', 'node': a, 'name': 'gre1', 'addresses': ['192.168.90.1/30'],
             'options': {'local': '10.8.0.1', 'remote': '10.8.0.2', 'key': 11, 'ttl': 64}},
            {'kind': 'gre', 'node': b, 'name': 'gre1', 'addresses': ['192.168.90.2/30'],
             'options': {'local': '10.8.0.2', 'remote': '10.8.0.1', 'key': 11, 'ttl': 64}},
            {'kind': 'gretap', 'node': a, 'name': 'gt1', 'bridge': 'br0',
             'options': {'local': '10.8.0.1', 'remote': '10.8.0.2', 'key': 12}},
            {'kind': 'gretap', 'node': b, 'name': 'gt1', 'addresses': ['192.168.91.2/24'],
             'options': {'local': '10.8.0.2', 'remote': '10.8.0.1', 'key': 12}},
        ],
        'bridges': [{'node': a, 'name': 'br0', 'addresses': ['192.168.91.1/24']}],
    }
    made = lab.run(**description)
    assert not made.get('failed'), made
    assert set(FALLBACK) <= set(names(a))
    again = lab.run(**description)
    assert again['changed'] is False, again.get('plan')
    assert ping(a, '192.168.90.2') and ping(a, '192.168.91.2')
    assert tunnel(a, 'gre1')['ikey'] == '0.0.0.11'
    assert ip(a, 'link', 'show', 'gt1')[0]['master'] == 'br0'

    facts = lab.info()
    assert not facts.get('failed'), facts
    assert facts['other_links'] == []
    links = [link for link in facts['links'] if link.get('kind') == 'gre']
    assert sorted(link['options']['key'] for link in links) == [11, 11]
    replay = dict((k, facts[k]) for k in ('nodes', 'bridges', 'links'))
    applied = lab.run(**replay)
    assert applied['changed'] is False, (applied.get('msg'), applied.get('actions'), facts)
    # read without a lab filter: the lab's namespaces show no fallback device
    host = lab.info(lab=False)
    ours = [entry for entry in host['links'] + host['other_links']
            if entry.get('node') in (a, b)]
    assert ours and not [e for e in ours if e.get('name') in FALLBACK]

    # a changed option in place, then absent: nothing left, fallbacks untouched
    description['links'][1]['options']['ttl'] = 9
    changed = lab.run(prune=True, **description)
    assert changed['changed'] and tunnel(a, 'gre1')['ttl'] == 9
    assert ip(a, 'link', 'show', 'gre1')
    assert set(FALLBACK) <= set(names(a))  # a re-run and prune left them
    gone = lab.run(state='absent')
    assert gone['changed'] and lab.namespaces() == []


@GUEST
def test_a_tunnel_with_its_underlay_in_another_namespace(namespaces, lab):
    """A gre created in its underlay namespace (link_netns without link)
    and placed into its own: its packets are routed in the underlay
    namespace, a second run finds it where it is, another underlay
    re-creates it, and deleting the underlay namespace (which the kernel
    does with every tunnel created there) is refused as collateral unless
    the task allows it. The topology does the same with parent_node alone."""
    ua, ub, node = namespaces(3)
    underlay(ua, ub)
    args = {'name': 'g9', 'netns': node, 'link_netns': ua, 'local': '10.9.0.1',
            'remote': '10.9.0.2', 'addresses': ['192.168.70.1/30'], 'admin_state': 'up'}
    made = apply_exactly('gre', args)
    assert made['actions'][0].startswith(
        "create gre g9 in namespace '%s' on underlay namespace '%s'" % (node, ua)), made
    assert made['link']['link_netns'] == ua and made['link']['link'] is None
    apply_exactly('gre', {'name': 'g9', 'netns': ub, 'local': '10.9.0.2', 'remote': '10.9.0.1',
                          'addresses': ['192.168.70.2/30'], 'admin_state': 'up'})
    assert ping(node, '192.168.70.2')
    assert 'g9' not in names(ua)

    refused('netns', {'name': ua, 'state': 'absent'}, 'g9')
    assert 'g9' in names(node)

    # the tunnel over another underlay namespace (with a key: ub's own g9
    # has these addresses without one): re-created there
    over_ub = dict(args, link_netns=ub, local='10.9.0.2', remote='10.9.0.1', key=3)
    moved = run_module('gre', over_ub)
    assert not moved.get('failed'), moved
    assert any('its underlay is not' in action for action in moved['actions']), moved
    assert run_module('gre', over_ub)['changed'] is False
    assert ip(node, 'link', 'show', 'g9')[0].get('link_netnsid') is not None

    # a lab: the tunnel of node c made in node u, where its underlay is
    u, c = lab.n('u'), lab.n('c')
    description = dict(
        nodes=[{'name': u}, {'name': c}],
        links=[{'kind': 'dummy', 'node': u, 'name': 'lo1', 'addresses': ['10.99.0.1/32']},
               {'kind': 'gre', 'node': c, 'name': 'gt', 'parent_node': u,
                'options': {'local': '10.99.0.1', 'remote': '10.99.0.2'}}])
    first = lab.run(**description)
    assert not first.get('failed'), first.get('msg')
    assert any(action.startswith('create gre gt in node %s' % c) and
               action.endswith('over underlay node %s' % u)
               for action in first['actions']), first['actions']
    assert lab.run(**description)['changed'] is False
    facts = lab.info()
    tunnel_entry = [link for link in facts['links'] if link.get('kind') == 'gre'][0]
    assert tunnel_entry.get('parent_node') == u and 'parent' not in tunnel_entry
    assert lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                   links=facts['links'])['changed'] is False
