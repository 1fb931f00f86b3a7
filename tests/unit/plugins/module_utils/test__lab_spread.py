"""A lab spread over hosts (module_utils/_lab/spread.py): placement, the
plan's independence from the order of the hosts and from the process,
VNIs, MTUs, what is refused, each host's share as the model builds it,
and the single-host path left exactly as it was."""

import copy
import json
import os
import random
import subprocess
import sys

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.vnet.linux.plugins.filter.lab_spread import lab_placement, lab_share
from ansible_collections.vnet.linux.plugins.module_utils._lab import spread
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import (
    TOPOLOGY_SPEC,
    InputError,
    build,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.presets import lab_preset
from ansible_collections.vnet.linux.plugins.module_utils._lab.run import build_lab

from ansible.errors import AnsibleFilterError


def hosts(count, family=4, mtu=None):
    """{h0: {address: ...}, ...}: `count` hosts on one underlay."""
    result = {}
    for index in range(count):
        address = ('192.0.2.%d' if family == 4 else 'fd00::%d') % (index + 1)
        result['h%d' % index] = dict({'address': address}, **({'mtu': mtu} if mtu else {}))
    return result


def with_spread(description, count=2, **options):
    spread_option = dict({'this_host': 'h0', 'hosts': hosts(count)}, **options)
    return dict(copy.deepcopy(description), spread=spread_option)


def veth(a, a_name, b, b_name, **extra):
    first = dict({'node': a, 'name': a_name}, **extra.get('first', {}))
    return {'endpoints': [first, {'node': b, 'name': b_name}]}


def chain(count, prefix='r'):
    nodes = [{'name': '%s%d' % (prefix, index)} for index in range(count)]
    links = [veth('%s%d' % (prefix, i), 'right', '%s%d' % (prefix, i + 1), 'left')
             for i in range(count - 1)]
    return {'lab': 'c', 'nodes': nodes, 'links': links}


def fabric(spines, leaves, hosts_per_leaf):
    """Leaf-spine: every leaf to every spine; each leaf on a LAN (a bridge
    in a switch node of its own) with its hosts."""
    nodes = [{'name': 's%d' % i} for i in range(spines)]
    bridges, links = [], []
    for leaf in range(leaves):
        nodes += [{'name': 'l%d' % leaf}, {'name': 'w%d' % leaf}]
        bridges.append({'name': 'br0', 'node': 'w%d' % leaf})
        links += [veth('s%d' % s, 'e%d' % leaf, 'l%d' % leaf, 'u%d' % s) for s in range(spines)]
        links.append({'endpoints': [{'node': 'l%d' % leaf, 'name': 'lan'},
                                    {'bridge': 'br0', 'node': 'w%d' % leaf, 'name': 'up'}]})
        for host in range(hosts_per_leaf):
            nodes.append({'name': 'h%d.%d' % (leaf, host)})
            links.append({'endpoints': [{'node': 'h%d.%d' % (leaf, host), 'name': 'eth0'},
                                        {'bridge': 'br0', 'node': 'w%d' % leaf,
                                         'name': 'p%d' % host}]})
    return {'lab': 'f', 'nodes': nodes, 'bridges': bridges, 'links': links}


def links_crossing(result):
    """veth links whose two ends are on different hosts (a LAN member's
    link with its switch elsewhere counts: its traffic crosses)."""
    return sum(1 for ends in result.desc.ends.values()
               if len(set(result.where[node] for node, _bridge in ends)) > 1)


def loads(result, weights=None):
    totals = dict((host, 0) for host in result.settings.hosts)
    for node, host in result.where.items():
        totals[host] += (weights or {}).get(node, 1)
    return totals


def module_params(args):
    checked = ArgumentSpecValidator(TOPOLOGY_SPEC).validate(args)
    assert not checked.error_messages, checked.error_messages
    return checked.validated_parameters


def two_site_lab():
    """r1 (h0) -- r2 (h1) crossing; LAN br0 in sw (h0) with h1n (h0) and
    h2n (h1) and a gateway address on the bridge."""
    return {
        'lab': 'two',
        'nodes': [{'name': 'r1', 'host': 'h0'}, {'name': 'r2', 'host': 'h1'},
                  {'name': 'sw', 'host': 'h0'}, {'name': 'h1n', 'host': 'h0'},
                  {'name': 'h2n', 'host': 'h1', 'routes': [{'dst': 'default',
                                                           'via': '10.1.0.1'}]}],
        'bridges': [{'name': 'br0', 'node': 'sw', 'addresses': ['10.1.0.1/24'],
                     'mac_address': '02:00:00:00:00:01', 'stp': False}],
        'links': [
            {'endpoints': [{'node': 'r1', 'name': 'eth0', 'addresses': ['10.0.0.0/31']},
                           {'node': 'r2', 'name': 'eth0', 'addresses': ['10.0.0.1/31']}]},
            {'endpoints': [{'node': 'h1n', 'name': 'eth0', 'addresses': ['10.1.0.11/24']},
                           {'bridge': 'br0', 'name': 'h1-p'}]},
            {'endpoints': [{'node': 'h2n', 'name': 'eth0', 'addresses': ['10.1.0.12/24']},
                           {'bridge': 'br0', 'name': 'h2-p'}]},
        ],
    }


# --- placement ----------------------------------------------------------------

def test_none_keeps_unpinned_nodes_at_home():
    description = chain(4)
    description['nodes'][2]['host'] = 'h1'
    where = spread.placement(with_spread(description, 3, home='h2'))
    assert where == {'r0': 'h2', 'r1': 'h2', 'r2': 'h1', 'r3': 'h2'}
    # home defaults to the first host by name
    assert set(spread.placement(with_spread(chain(3), 3)).values()) == {'h0'}


def test_balanced_spreads_the_weight_evenly():
    description = chain(30)
    weights = {}
    for index, node in enumerate(description['nodes']):
        node['weight'] = weights[node['name']] = 1 + index % 4
    result = spread.plan(with_spread(description, 4, placement='balanced'))
    totals = loads(result, weights)
    assert max(totals.values()) - min(totals.values()) <= 4, totals
    assert sum(totals.values()) == sum(weights.values())


def test_balanced_counts_pinned_nodes_and_a_heavy_node_fills_a_host():
    description = chain(7)
    description['nodes'][0].update(host='h0', weight=3)
    description['nodes'][1]['weight'] = 3
    result = spread.plan(with_spread(description, 2, placement='balanced'))
    weights = {'r0': 3, 'r1': 3}
    assert loads(result, weights) == {'h0': 5, 'h1': 6} or \
        loads(result, weights) == {'h0': 6, 'h1': 5}
    assert result.where['r0'] == 'h0' and result.where['r1'] == 'h1'


def test_root_and_external_nodes_stay_at_home_whatever_the_placement():
    description = chain(6)
    description['nodes'] += [{'name': 'host', 'root': True}, {'name': 'ext', 'external': True}]
    for placement in ('balanced', 'compact'):
        where = spread.placement(with_spread(description, 3, placement=placement, home='h1'))
        assert (where['host'], where['ext']) == ('h1', 'h1')


def test_compact_cuts_a_chain_in_as_many_runs_as_hosts():
    for count in (2, 4, 7):
        result = spread.plan(with_spread(chain(100), count, placement='compact'))
        assert links_crossing(result) == count - 1
        totals = loads(result)
        assert max(totals.values()) - min(totals.values()) <= 1, totals
        balanced = spread.plan(with_spread(chain(100), count, placement='balanced'))
        assert links_crossing(balanced) > 10 * (count - 1)


def test_compact_spreads_nodes_without_links_evenly():
    description = {'lab': 'i', 'nodes': [{'name': 'n%d' % i} for i in range(1000)]}
    totals = loads(spread.plan(with_spread(description, 7, placement='compact')))
    assert max(totals.values()) - min(totals.values()) <= 1, totals


def test_compact_keeps_each_lan_of_a_leaf_spine_on_one_host():
    description = fabric(4, 40, 6)      # 324 nodes
    compact = spread.plan(with_spread(description, 4, placement='compact'))
    balanced = spread.plan(with_spread(description, 4, placement='balanced'))
    # the spine-leaf links cannot all be local; nothing else crosses
    assert compact.lans == {}
    assert links_crossing(compact) <= 4 * 40
    assert links_crossing(balanced) > 2 * links_crossing(compact)
    totals = loads(compact)
    assert max(totals.values()) - min(totals.values()) <= 8, totals


# --- determinism -------------------------------------------------------------------

def dumped(description, host='h0'):
    return json.dumps(spread.share(description, host), sort_keys=True)


def test_the_share_does_not_depend_on_the_order_of_the_hosts():
    description = with_spread(fabric(2, 6, 3), 5, placement='balanced')
    names = list(description['spread']['hosts'].items())
    reference = dict((host, dumped(description, host)) for host in sorted(dict(names)))
    shuffler = random.Random(7)
    for _attempt in range(5):
        shuffler.shuffle(names)
        description['spread']['hosts'] = dict(names)
        for host, text in reference.items():
            assert dumped(description, host) == text


SHARE_SCRIPT = '''
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.vnet.linux.plugins.module_utils._lab import spread
description = json.loads(sys.stdin.read())
print(json.dumps([spread.share(description, host) for host in sorted(description['spread']['hosts'])],
                 sort_keys=True))
'''


@pytest.mark.parametrize('placement', ['balanced', 'compact'])
def test_the_share_is_the_same_in_processes_with_other_hash_seeds(placement):
    description = with_spread(fabric(3, 8, 4), 4, placement=placement)
    collections = [path for path in sys.path if path.endswith('.collections')][0]
    outputs = set()
    for seed in ('1', '2', '4242'):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outputs.add(subprocess.run([sys.executable, '-c', SHARE_SCRIPT, collections],
                                   input=json.dumps(description), env=env, check=True,
                                   capture_output=True, text=True).stdout)
    assert len(outputs) == 1


# --- VNIs ----------------------------------------------------------------------------

def test_vnis_are_unique_in_range_and_stable_when_links_are_added():
    description = with_spread(chain(60), 3)
    for index, node in enumerate(description['nodes']):
        node['host'] = 'h%d' % (index % 3)
    result = spread.plan(description)
    vnis = list(result.vnis.values())
    assert len(vnis) == len(set(vnis)) == len(result.crossing) > 20
    assert all(spread.DEFAULT_VNI_BASE <= vni < spread.DEFAULT_VNI_BASE + spread.VNI_SPAN
               for vni in vnis)
    by_ends = dict((spread._link_key(result.desc, pos), vni)
                   for (_kind, pos), vni in result.vnis.items())
    # one more crossing link (first in the list): the others keep theirs
    description['nodes'].append({'name': 'x', 'host': 'h2'})
    description['links'].insert(0, veth('r0', 'x0', 'x', 'eth0', first={}))
    again = spread.plan(description)
    moved = [key for key, vni in by_ends.items()
             if dict((spread._link_key(again.desc, pos), v)
                     for (_k, pos), v in again.vnis.items()).get(key) != vni]
    assert moved == [] and len(again.vnis) == len(result.vnis) + 1
    based = spread.plan(dict(description, spread=dict(description['spread'], vni_base=5000)))
    assert min(based.vnis.values()) >= 5000


def test_a_vni_range_beyond_the_24_bits_is_refused():
    with pytest.raises(spread.SpreadError, match=r'spread\.vni_base: 16777000 is not between'):
        spread.plan(with_spread(chain(2), 2, vni_base=16777000))


# --- the share -------------------------------------------------------------------------

def test_a_crossing_link_is_a_vxlan_at_each_end_over_the_root_namespace():
    description = with_spread(two_site_lab(), 2)
    share0, share1 = (spread.share(description, host) for host in ('h0', 'h1'))
    tunnels = []
    for share in (share0, share1):
        found = [link for link in share['links'] if link.get('kind') == 'vxlan'
                 and link['name'] == 'eth0']
        assert len(found) == 1
        tunnels.append(found[0])
        assert {'name': 'underlay', 'root': True} in share['nodes']
    first, second = tunnels
    assert (first['node'], second['node']) == ('r1', 'r2')
    assert first['options']['vni'] == second['options']['vni']
    assert (first['options']['local'], first['options']['remote']) == ('192.0.2.1', '192.0.2.2')
    assert (second['options']['local'], second['options']['remote']) == \
        ('192.0.2.2', '192.0.2.1')
    assert first['options']['dstport'] == 4789
    assert first['parent_node'] == 'underlay' and first['addresses'] == ['10.0.0.0/31']
    assert first['mtu'] == 1450


def test_a_lan_over_two_hosts_is_a_bridge_on_each_joined_by_flooding_vxlan_ports():
    description = with_spread(two_site_lab(), 2)
    share0, share1 = (spread.share(description, host) for host in ('h0', 'h1'))
    home, copy_ = share0['bridges'][0], share1['bridges'][0]
    assert home['addresses'] == ['10.1.0.1/24'] and home['mac_address'] == '02:00:00:00:00:01'
    assert copy_['addresses'] == [] and 'mac_address' not in copy_
    assert home['stp'] is False and copy_['stp'] is False
    assert home['mtu'] == copy_['mtu'] == 1450
    # the switch node on h1 is bare: no routes, sysctls or loopbacks of h0's
    assert {'name': 'sw'} in share1['nodes']
    ports = [[link for link in share['links'] if link.get('bridge') == 'br0']
             for share in (share0, share1)]
    assert [len(found) for found in ports] == [1, 1]
    port0, port1 = ports[0][0], ports[1][0]
    assert port0['name'] == port1['name'] == 'vx%d' % port0['options']['vni']
    assert port0['options']['fdb'] == [{'dst': '192.0.2.2'}]
    assert port1['options']['fdb'] == [{'dst': '192.0.2.1'}]
    assert 'remote' not in port0['options']
    # each member's pair is built where the member is; its ends get the LAN's MTU
    member = [link for link in share1['links'] if link.get('endpoints')]
    assert [ep['name'] for ep in member[0]['endpoints']] == ['eth0', 'h2-p']
    assert [ep['mtu'] for ep in member[0]['endpoints']] == [1450, 1450]
    assert [n['name'] for n in share1['nodes']] == ['r2', 'sw', 'h2n', 'underlay']
    assert [n['name'] for n in share0['nodes']] == ['r1', 'sw', 'h1n', 'underlay']


def test_geneve_joins_crossing_links_and_the_lans_stay_vxlan():
    description = with_spread(two_site_lab(), 2, tunnel='geneve')
    share0, share1 = (spread.share(description, host) for host in ('h0', 'h1'))
    ends = []
    for share in (share0, share1):
        found = [link for link in share['links'] if link.get('kind') == 'geneve'
                 and link['name'] == 'eth0']
        assert len(found) == 1
        ends.append(found[0])
        lan_ports = [link for link in share['links'] if link.get('bridge') == 'br0'
                     and link.get('kind')]
        assert [(port['kind'], port['options']['dstport']) for port in lan_ports] == \
            [('vxlan', 4789)]
    first, second = ends
    # a geneve takes no source address: the route of the root namespace picks it
    assert first['options'] == {'vni': second['options']['vni'], 'remote': '192.0.2.2',
                                'dstport': 6081}
    assert second['options']['remote'] == '192.0.2.1'
    assert first['parent_node'] == 'underlay' and first['mtu'] == 1450
    lab = build_lab(module_params(dict(description)))
    assert lab.ifaces[('r1', 'eth0')].kind == 'geneve'
    assert lab.ifaces[('r1', 'eth0')].parent == ('underlay', None)


def test_ports_given_for_geneve_links_and_vxlan_lans():
    description = with_spread(two_site_lab(), 2, tunnel='geneve', port=7000, lan_port=7001)
    share = spread.share(description, 'h0')
    ports = sorted((link['kind'], link['options']['dstport'])
                   for link in share['links'] if link.get('kind') in ('geneve', 'vxlan'))
    assert ports == [('geneve', 7000), ('vxlan', 7001)]


def test_each_share_builds_through_the_module_path():
    description = with_spread(two_site_lab(), 2)
    for host in ('h0', 'h1'):
        params = module_params(dict(description, spread=dict(description['spread'],
                                                             this_host=host)))
        lab = build_lab(params)
        kinds = sorted((i.node, i.name, i.kind) for i in lab.ifaces.values())
        assert ('r1' if host == 'h0' else 'r2', 'eth0', 'vxlan') in kinds
        assert lab.ifaces[('r1' if host == 'h0' else 'r2', 'eth0')].parent == ('underlay', None)
        assert lab.nodes['underlay'].netns is None


def test_a_user_root_node_on_the_host_is_the_underlay():
    description = two_site_lab()
    description['nodes'].append({'name': 'machine', 'root': True, 'host': 'h1'})
    share1 = spread.share(with_spread(description, 2), 'h1')
    assert [link['parent_node'] for link in share1['links'] if link.get('kind') == 'vxlan'] \
        == ['machine', 'machine']
    assert 'underlay' not in [node['name'] for node in share1['nodes']]
    # a node already named underlay: the added root node takes another name
    description['nodes'].append({'name': 'underlay', 'host': 'h1'})
    share0 = spread.share(with_spread(description, 2), 'h0')
    assert {'name': 'underlay-1', 'root': True} in share0['nodes']


def test_bridge_to_bridge_across_hosts_is_a_tunnel_port_on_each_bridge():
    description = {
        'lab': 'bb', 'nodes': [{'name': 'a', 'host': 'h0'}, {'name': 'b', 'host': 'h1'}],
        'bridges': [{'name': 'br0', 'node': 'a'}, {'name': 'br0', 'node': 'b'}],
        'links': [{'endpoints': [{'bridge': 'br0', 'node': 'a', 'name': 'to-b'},
                                 {'bridge': 'br0', 'node': 'b', 'name': 'to-a'}]}]}
    share0 = spread.share(with_spread(description, 2), 'h0')
    tunnel, = share0['links']
    assert (tunnel['kind'], tunnel['node'], tunnel['name'], tunnel['bridge']) == \
        ('vxlan', 'a', 'to-b', 'br0')
    assert share0['bridges'] == [{'name': 'br0', 'node': 'a'}]


def test_only_the_hosts_nodes_with_their_routes_sysctls_and_loopbacks():
    description = chain(4)
    description['nodes'][3].update(host='h1', routes=[{'dst': 'default', 'via': '10.0.0.1'}],
                                   sysctls={'net.ipv4.ip_forward': 1}, loopback=['10.255.0.4/32'])
    share0, share1 = (spread.share(with_spread(description, 2), host) for host in ('h0', 'h1'))
    assert [node['name'] for node in share0['nodes']] == ['r0', 'r1', 'r2', 'underlay']
    r3, = [node for node in share1['nodes'] if node['name'] == 'r3']
    assert r3 == {'name': 'r3', 'routes': [{'dst': 'default', 'via': '10.0.0.1'}],
                  'sysctls': {'net.ipv4.ip_forward': 1}, 'loopback': ['10.255.0.4/32']}
    assert 'spread' not in share0 and 'spread' not in share1


def test_a_host_with_nothing_gets_an_empty_share():
    share = spread.share(with_spread(chain(3), 3), 'h2')
    assert (share['nodes'], share['bridges'], share['links']) == ([], [], [])


# --- MTU -------------------------------------------------------------------------------

def test_mtu_is_the_smallest_underlay_less_the_overhead_of_its_family():
    description = two_site_lab()
    six = dict(with_spread(description, 2), spread={'this_host': 'h0', 'hosts': hosts(2, 6)})
    tunnel = [link for link in spread.share(six)['links'] if link.get('kind') == 'vxlan'][0]
    assert tunnel['mtu'] == 1430
    jumbo = with_spread(description, 2)
    jumbo['spread']['hosts']['h0']['mtu'] = 9000
    tunnel = [link for link in spread.share(jumbo)['links'] if link.get('kind') == 'vxlan'][0]
    assert tunnel['mtu'] == 1450    # h1's 1500 is the smallest
    jumbo['spread']['hosts']['h1']['mtu'] = 9000
    assert [link['mtu'] for link in spread.share(jumbo)['links']
            if link.get('kind') == 'vxlan'] == [8950, 8950]


def test_a_lower_mtu_is_kept_and_a_higher_one_refused_naming_the_field():
    description = two_site_lab()
    description['links'][0]['endpoints'][1]['mtu'] = 1400
    share1 = spread.share(with_spread(description, 2), 'h1')
    assert [link['mtu'] for link in share1['links'] if link.get('name') == 'eth0'
            and link.get('kind') == 'vxlan'] == [1400]
    description['links'][0]['endpoints'][1]['mtu'] = 1500
    with pytest.raises(spread.SpreadError, match=r'^links\[0\]\.endpoints\[1\]\.mtu: 1500 is '
                       r'above 1450, the most a link between hosts h0 and h1 carries \(the '
                       r'underlay MTU 1500 of host h0 less 50 bytes of vxlan over IPv4\)'):
        spread.plan(with_spread(description, 2))
    description['links'][0]['endpoints'][1]['mtu'] = None
    description['links'][2]['endpoints'][0]['mtu'] = 9000
    with pytest.raises(spread.SpreadError, match=r'^links\[2\]\.endpoints\[0\]\.mtu: 9000'):
        spread.plan(with_spread(description, 2))
    description['links'][2]['endpoints'][0]['mtu'] = None
    description['bridges'][0]['mtu'] = 1500
    with pytest.raises(spread.SpreadError, match=r'^bridges\[0\]\.mtu: 1500 is above 1450'):
        spread.plan(with_spread(description, 2))


def test_links_that_stay_on_one_host_keep_their_mtu():
    description = chain(3)
    description['links'][0]['endpoints'][0]['mtu'] = 9000
    share = spread.share(with_spread(description, 2))
    assert share['links'] == description['links']


# --- refused -----------------------------------------------------------------------------

REFUSED = [
    ('host not a host', lambda d: d['nodes'][0].update(host='h9'),
     r"^nodes\[0\]\.host: 'h9' is not a host of spread\.hosts \(h0, h1\)"),
    ('this_host unknown', lambda d: d['spread'].update(this_host='x'),
     r"^spread\.this_host: 'x' is not a host"),
    ('home unknown', lambda d: d['spread'].update(home='x'), r"^spread\.home: 'x'"),
    ('mixed families', lambda d: d['spread']['hosts'].update(h1={'address': 'fd00::2'}),
     r'^spread\.hosts: the underlay addresses mix IPv4 and IPv6'),
    ('same address', lambda d: d['spread']['hosts'].update(h1={'address': '192.0.2.1'}),
     r'^spread\.hosts\.h1\.address: 192\.0\.2\.1 is also the address of host h0'),
    ('bad address', lambda d: d['spread']['hosts'].update(h1={'address': 'x'}),
     r"^spread\.hosts\.h1\.address: 'x' is not an IP address"),
    ('multicast', lambda d: d['spread']['hosts'].update(h1={'address': '239.1.1.1'}),
     r'^spread\.hosts\.h1\.address: 239\.1\.1\.1 is not a unicast address'),
    ('unknown host key', lambda d: d['spread']['hosts'].update(h1={'address': '192.0.2.9',
                                                                   'port': 1}),
     r'^spread\.hosts\.h1\.port: not a host setting; known: address, mtu'),
    ('small underlay', lambda d: d['spread']['hosts']['h1'].update(mtu=500),
     r'^spread\.hosts\.h1\.mtu: 500 is not between 576 and 65535'),
    ('no hosts', lambda d: d['spread'].update(hosts={}), r'^spread\.hosts: give at least one'),
    ('weight', lambda d: d['nodes'][0].update(weight=0),
     r'^nodes\[0\]\.weight: 0 is not between 1 and'),
    ('geneve and vxlan on one port', lambda d: d['spread'].update(tunnel='geneve', port=4789),
     r'^spread\.lan_port: 4789 is also spread\.port, the geneve port; a UDP port takes one '),
    ('parent on another host', lambda d: d['links'].append(
        {'kind': 'macvlan', 'node': 'r2', 'name': 'mv0', 'parent': 'eth0', 'parent_node': 'r1'}),
     r'^links\[3\]\.parent_node: node r1 is on host h0, and node r2 of the link on host h1; '
     r'a device and its parent \(or underlay\) must be on one host'),
    ('underlay on another host', lambda d: d['links'].append(
        {'kind': 'vxlan', 'node': 'r2', 'name': 'vx0', 'parent_node': 'r1',
         'options': {'vni': 5}}),
     r'^links\[3\]\.parent_node: node r1 is on host h0'),
    ('port built on another host', lambda d: d['links'].append(
        {'kind': 'bond', 'node': 'sw', 'name': 'bond0', 'ports': ['h2-p']}),
     r'^links\[3\]\.ports\[0\]: h2-p is built on host h1 \(with its LAN member\), bond0 on '
     r'host h0; a port cannot cross hosts'),
    ('wireguard peer on another host', lambda d: d['links'].append(
        {'kind': 'wireguard', 'node': 'r1', 'name': 'wg0',
         'options': {'peers': [{'peer': {'node': 'r2', 'name': 'wg0'}}]}}),
     r'^links\[3\]\.options\.peers\[0\]\.peer: wg0 in node r2 is on host h1, this link on '
     r'host h0; name a peer on another host by its public_key'),
    ('tunnel port name taken', lambda d: d['links'].append(
        {'kind': 'dummy', 'node': 'sw', 'name': 'vx%d' % spread.plan(d).vnis[('lan', 0)]}),
     r'^links\[3\]\.name: vx\d+ in node sw is the name of the tunnel port of the spread LAN '
     r'of bridges\[0\]; rename it'),
    ('node twice', lambda d: d['nodes'].append({'name': 'r1', 'host': 'h1'}),
     r"^nodes\[5\]\.name: node 'r1' is listed twice"),
    ('unknown node', lambda d: d['links'][0]['endpoints'][0].update(node='zz'),
     r"^links\[0\]\.endpoints\[0\]\.node: unknown node 'zz'"),
]


@pytest.mark.parametrize('change,message', [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_what_cannot_be_spread_is_refused_with_its_field(change, message):
    description = with_spread(two_site_lab(), 2)
    change(description)
    with pytest.raises(spread.SpreadError, match=message):
        spread.share(description, 'h0')
    # every host refuses alike (it is the whole lab's plan)
    with pytest.raises(spread.SpreadError, match=message):
        spread.share(description, 'h1')


def test_a_host_without_spread_is_refused_in_the_module():
    params = module_params(two_site_lab())
    with pytest.raises(InputError, match=r'^nodes\[0\]\.host: a node\'s host needs spread'):
        build_lab(params)


def test_a_model_error_in_a_share_names_the_users_field():
    description = two_site_lab()
    description['links'][2]['endpoints'][0]['addresses'] = ['10.1.0.300/24']
    params = module_params(dict(description, spread={'this_host': 'h1', 'hosts': hosts(2)}))
    # in h1's share that link is links[0]: the message names links[2]
    with pytest.raises(InputError, match=r'^links\[2\]\.endpoints\[0\]\.addresses'):
        build_lab(params)


# --- one host: exactly as before ----------------------------------------------------------

def test_without_spread_the_description_is_untouched():
    description = lab_preset({'lab': 'p', 'spines': 2, 'leaves': 2}, 'leaf_spine')
    description.pop('expect', None)
    params = module_params(description)
    assert spread.share(params) is params
    assert spread.share_with_origin(params) == (params, {})
    assert spread.placement(params) == {}
    built, plain = build_lab(params), build(params)
    assert list(built.nodes) == list(plain.nodes) and list(built.ifaces) == list(plain.ifaces)


def test_absent_ignores_the_description():
    params = module_params({'lab': 'x', 'state': 'absent', 'nodes': [{'name': 'a',
                                                                     'host': 'nowhere'}]})
    assert spread.share(params) is params


def test_one_host_spread_is_the_description_less_spread():
    description = two_site_lab()
    for node in description['nodes']:
        node['host'] = 'h0'
    spread_one = dict(description, spread={'this_host': 'h0', 'hosts': hosts(1)})
    share = spread.share(spread_one)
    expected = copy.deepcopy(description)
    for node in expected['nodes']:
        del node['host']
    assert share == expected


def test_generated_then_spread():
    params = module_params({'lab': 'g', 'generate': {'preset': 'leaf_spine', 'spines': 2,
                                                     'leaves': 4, 'hosts_per_leaf': 2},
                            'spread': {'this_host': 'h1', 'hosts': hosts(2),
                                       'placement': 'compact'}})
    lab = build_lab(params)
    assert 0 < len(lab.nodes) < 20


# --- the filters -------------------------------------------------------------------------

def test_filters_give_the_share_and_the_placement():
    description = with_spread(two_site_lab(), 2)
    assert lab_share(description, 'h1') == spread.share(description, 'h1')
    assert lab_share(description) == spread.share(description, 'h0')
    assert lab_placement(description) == {'r1': 'h0', 'r2': 'h1', 'sw': 'h0', 'h1n': 'h0',
                                          'h2n': 'h1'}
    generated = {'lab': 'g', 'generate': {'preset': 'chain', 'routers': 4, 'prefix': ''},
                 'spread': {'hosts': hosts(2), 'placement': 'compact'}}
    assert lab_placement(generated) == {'r1': 'h0', 'r2': 'h0', 'r3': 'h1', 'r4': 'h1'}
    assert len(lab_share(generated, 'h1')['links']) == 2
    with pytest.raises(AnsibleFilterError, match=r"^host: 'h7' is not a host"):
        lab_share(description, 'h7')
