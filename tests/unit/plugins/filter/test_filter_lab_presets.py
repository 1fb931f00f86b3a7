"""Preset generators: counts, unique addresses and names, and static routes
that really connect every node to every other.

Routing is checked with a small forwarding simulator: from each node, a
packet to each address of each other node follows connected subnets and
longest-prefix routes hop by hop, must arrive, and must find a way back.
"""

import ipaddress

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.vnet.linux.plugins.filter import lab_presets as preset_filter
from ansible_collections.vnet.linux.plugins.filter.lab_presets import lab_preset_names
from ansible_collections.vnet.linux.plugins.module_utils._lab.presets import (
    PRESETS,
    PresetError,
    lab_preset,
)
from ansible_collections.vnet.linux.plugins.filter.lab_views import lab_ping_targets

ROUTED = ['chain', 'ring', 'tree', 'leaf_spine']


# helpers ---------------------------------------------------------------------
def interfaces(topology):
    """(node, ifname, [cidr]) for every interface the topology defines."""
    bridge_node = dict((b['name'], b['node']) for b in topology['bridges'])
    for link in topology['links']:
        if 'endpoints' in link:
            for end in link['endpoints']:
                node = end.get('node') or bridge_node[end['bridge']]
                yield node, end['name'], end.get('addresses', [])
        else:
            yield link['node'], link['name'], link.get('addresses', [])
    for node in topology['nodes']:
        for cidr in node.get('loopback', []):
            yield node['name'], 'lo', [cidr]


def addressed(topology):
    """[(node, ip_interface)] of every address."""
    return [(node, ipaddress.ip_interface(cidr))
            for node, _name, cidrs in interfaces(topology) for cidr in cidrs]


def forwarding(topology, node):
    return str(next(n for n in topology['nodes'] if n['name'] == node)
               .get('sysctls', {}).get('net.ipv4.ip_forward', 0)) == '1'


def next_hop(topology, node, target):
    """Where `node` sends a packet for `target`: the owner on a connected
    subnet, or the owner of the gateway of the longest matching route."""
    owners = addressed(topology)
    mine = [iface for owner, iface in owners if owner == node]
    for iface in mine:
        if iface.network.prefixlen < 32 and target in iface.network:
            return [owner for owner, other in owners if other.ip == target][0]
    best = None
    for route in next(n for n in topology['nodes'] if n['name'] == node).get('routes', []):
        dst = ipaddress.ip_network('0.0.0.0/0' if route['dst'] == 'default' else route['dst'])
        if target in dst and (best is None or dst.prefixlen > best[0].prefixlen):
            best = (dst, route)
    if best is None:
        return None
    via = ipaddress.ip_address(best[1]['via'])
    return [owner for owner, other in owners if other.ip == via][0]


def path(topology, src, target):
    """The nodes a packet visits from src to the owner of target, or None."""
    owner = [o for o, iface in addressed(topology) if iface.ip == target][0]
    visited, current = [src], src
    while current != owner:
        if current != src and not forwarding(topology, current):
            return None                     # a host does not forward
        current = next_hop(topology, current, target)
        if current is None or current in visited:
            return None                     # no route, or a loop
        visited.append(current)
    return visited


# counts ------------------------------------------------------------------------
@pytest.mark.parametrize('name', list(PRESETS))
def test_every_preset_generates_with_defaults(name):
    topology = lab_preset({'lab': 't'}, name)
    assert topology['lab'] == 't'
    assert topology['nodes'] and topology['links']


def test_star_counts():
    topology = lab_preset({'lab': 's', 'nodes': 5}, 'star')
    assert len(topology['nodes']) == 6          # 5 hosts + the switch
    assert len(topology['links']) == 5
    assert [b['node'] for b in topology['bridges']] == ['s-sw1']


def test_star_scales_to_a_full_bridge_with_a_larger_lan():
    """Beyond 253 hosts a star's LAN is the smallest subnet that holds them
    (a /22 for 1000), up to the 1023 ports a Linux bridge takes."""
    small = lab_preset({'lab': 's', 'nodes': 254}, 'star')
    assert small['links'][-1]['endpoints'][0]['addresses'] == ['10.1.0.254/24']
    large = lab_preset({'lab': 's', 'nodes': 1000}, 'star')
    assert len(large['nodes']) == 1001
    cidrs = [e['addresses'][0] for l in large['links'] for e in l['endpoints'] if 'node' in e]
    assert cidrs[0] == '10.1.0.1/22' and cidrs[-1] == '10.1.3.232/22'
    assert len(set(cidrs)) == 1000
    full = lab_preset({'lab': 's', 'nodes': 1023}, 'star')
    assert full['links'][-1]['endpoints'][0]['addresses'] == ['10.1.3.255/21']
    with pytest.raises(PresetError, match='between 2 and 1023'):
        lab_preset({'nodes': 1024}, 'star')


def test_star_chain_counts_and_names():
    topology = lab_preset({'lab': 'x', 'nodes': 4}, 'star_chain')
    assert [n['name'] for n in topology['nodes']] == ['x-sw1', 'x-h1', 'x-h2', 'x-h3', 'x-h4']
    lan, chain = topology['links'][:4], topology['links'][4:]
    assert [l['endpoints'][0]['name'] for l in lan] == ['eth0'] * 4
    assert [[e['node'][2:] + ':' + e['name'] for e in l['endpoints']] for l in chain] == [
        ['h1:eth1', 'h2:eth1'], ['h2:eth2', 'h3:eth1'], ['h3:eth2', 'h4:eth1']]
    assert chain[0]['endpoints'][1]['addresses'] == ['10.0.0.1/31']
    assert lab_preset({}, 'star_chain')['nodes'][0]['name'] == 'sc-sw1'


def test_a_larger_lan_does_not_overlap_the_next():
    """Pools hand out subnets of several sizes, each aligned to its size."""
    from ansible_collections.vnet.linux.plugins.module_utils._lab.presets import AddressPool
    pool = AddressPool('10.1.0.0/16', 24, 'lan_pool')
    taken = [pool.take(), pool.take(22), pool.take(), pool.take(21)]
    assert [str(n) for n in taken] == ['10.1.0.0/24', '10.1.4.0/22', '10.1.8.0/24',
                                       '10.1.16.0/21']
    with pytest.raises(PresetError, match='exhausted'):
        AddressPool('10.1.0.0/23', 24, 'lan_pool').take(22)


def test_the_filter_is_the_generator_and_reports_errors_as_filter_errors():
    assert preset_filter.lab_preset({'nodes': 5}, 'star') == lab_preset({'nodes': 5}, 'star')
    with pytest.raises(AnsibleFilterError, match='between'):
        preset_filter.lab_preset({'nodes': 1}, 'star')


def test_command_line_strings_are_numbers():
    assert len(lab_preset({'nodes': '4'}, 'star')['links']) == 4


def test_chain_ring_tree_counts():
    assert len(lab_preset({'routers': 5}, 'chain')['links']) == 4
    assert len(lab_preset({'routers': 5}, 'ring')['links']) == 5
    tree = lab_preset({'depth': 2, 'fanout': 3}, 'tree')
    assert len(tree['nodes']) == 1 + 3 + 9
    assert len(tree['links']) == 12


def test_leaf_spine_counts():
    topology = lab_preset({'spines': 2, 'leaves': 3, 'hosts_per_leaf': 2}, 'leaf_spine')
    names = [n['name'] for n in topology['nodes']]
    assert len([n for n in names if '-s' in n and 'sw' not in n]) == 2
    assert len(names) == 2 + 3 + 3 * (1 + 2)     # spines, leaves, switch + hosts per leaf
    fabric = [l for l in topology['links'] if all('node' in e for e in l['endpoints'])]
    assert len(fabric) == 2 * 3


def test_prefix_default_and_override():
    assert lab_preset({'lab': 'x'}, 'p2p')['nodes'][0]['name'] == 'x-h1'
    assert lab_preset({'lab': 'x', 'prefix': 'q'}, 'p2p')['nodes'][0]['name'] == 'qh1'
    # a lab named after its preset gets a short prefix
    assert lab_preset({}, 'macvlan_lan')['nodes'][0]['name'] == 'mvl-host'
    assert lab_preset({'lab': 'leaf_spine'}, 'leaf_spine')['nodes'][0]['name'] == 'ls-s1'


@pytest.mark.parametrize('name', list(PRESETS))
def test_default_names_fit_the_namespace_limit(name):
    for node in lab_preset({}, name)['nodes']:
        assert len(node['name']) <= 15, node['name']


def test_too_long_node_names_are_refused():
    with pytest.raises(PresetError, match='longer than 15 bytes'):
        lab_preset({'lab': 'a-rather-long-lab'}, 'p2p')
    demo = lab_preset({}, 'demo')
    assert [n['name'] for n in demo['nodes']] == ['netns0', 'netns1', 'netnsbr', 'netns2', 'netns3']


def test_demo_is_the_classic_veth_example():
    link = lab_preset({}, 'demo')['links'][0]['endpoints']
    assert (link[0]['node'], link[0]['name'], link[0]['addresses']) == \
        ('netns0', 'veth01', ['192.168.254.10/24'])
    assert (link[1]['node'], link[1]['name'], link[1]['addresses']) == \
        ('netns1', 'veth10', ['192.168.254.11/24'])


# names and addresses -------------------------------------------------------------
# vrf_router reuses addresses on purpose (test_vrf_router_overlaps_only_its_shared_sites)
@pytest.mark.parametrize('name', [n for n in PRESETS if n != 'vrf_router'])
def test_addresses_are_unique(name):
    topology = lab_preset({'lab': 'u', 'nodes': 4}, name)
    addresses = [iface.ip for _node, iface in addressed(topology)]
    assert len(addresses) == len(set(addresses))


@pytest.mark.parametrize('name', list(PRESETS))
def test_interface_names_fit_and_are_unique_per_node(name):
    topology = lab_preset({'lab': 'a-rather-long-lab-name', 'prefix': 'lo-'}, name)
    seen = set()
    for node, ifname, _cidrs in interfaces(topology):
        assert len(ifname) <= 15, ifname
        assert (node, ifname) not in seen
        seen.add((node, ifname))


def test_bridge_names_are_unique_in_the_lab():
    topology = lab_preset({'leaves': 4}, 'leaf_spine')
    names = [b['name'] for b in topology['bridges']]
    assert len(names) == len(set(names)) == 4


def test_address_kinds():
    chain = lab_preset({'routers': 3}, 'chain')
    prefixes = set(iface.network.prefixlen for _n, iface in addressed(chain))
    assert prefixes == {31, 32}
    star = lab_preset({'nodes': 3}, 'star')
    assert set(iface.network.prefixlen for _n, iface in addressed(star)) == {24}


def test_custom_pools():
    topology = lab_preset({'routers': 2, 'p2p_pool': '172.16.0.0/30',
                           'loopback_pool': '192.0.2.0/28'}, 'chain')
    cidrs = [str(iface) for _n, iface in addressed(topology)]
    assert '172.16.0.0/31' in cidrs and '192.0.2.1/32' in cidrs


def test_exhausted_pool_is_an_error():
    with pytest.raises(PresetError, match='exhausted'):
        lab_preset({'routers': 4, 'p2p_pool': '172.16.0.0/30'}, 'chain')


# routing -----------------------------------------------------------------------
@pytest.mark.parametrize('name,params', [
    ('chain', {'routers': 5}),
    ('ring', {'routers': 5}),
    ('ring', {'routers': 6}),
    ('tree', {'depth': 3, 'fanout': 2}),
    ('leaf_spine', {'spines': 2, 'leaves': 3, 'hosts_per_leaf': 2}),
    ('leaf_spine', {'spines': 1, 'leaves': 2, 'hosts_per_leaf': 0}),
])
def test_every_node_reaches_every_address_and_back(name, params):
    topology = lab_preset(dict(params, lab='r'), name)
    targets = lab_ping_targets(topology)
    for src in targets:
        for dst, addresses in targets.items():
            if dst == src:
                continue
            for address in addresses:
                there = path(topology, src, ipaddress.ip_address(address))
                assert there, '%s cannot reach %s (%s)' % (src, dst, address)
                back = path(topology, dst, ipaddress.ip_address(targets[src][0]))
                assert back, '%s cannot answer %s' % (dst, src)


@pytest.mark.parametrize('name', ROUTED)
def test_routers_forward_and_hosts_do_not(name):
    topology = lab_preset({'lab': 'f'}, name)
    for node in topology['nodes']:
        is_router = bool(node.get('loopback'))
        assert forwarding(topology, node['name']) == is_router


def test_stub_nodes_get_one_default_route():
    chain = lab_preset({'routers': 4, 'lab': 'c'}, 'chain')
    ends = [n for n in chain['nodes'] if n['name'] in ('c-r1', 'c-r4')]
    for end in ends:
        assert [r['dst'] for r in end['routes']] == ['default']


def test_ipvlan_l3_routes_through_the_host():
    topology = lab_preset({'mode': 'l3', 'lab': 'i'}, 'ipvlan_lan')
    gateway = [n for n in topology['nodes'] if n['name'] == 'i-gw'][0]
    assert gateway['routes'][0]['dst'].endswith('/24')
    child = [n for n in topology['nodes'] if n['name'] == 'i-n1'][0]
    assert child['routes'] == [{'dst': 'default', 'dev': 'iv0'}]
    pairs = set((p['src'], p['dst']) for p in topology['expect'])
    assert ('i-n1', 'i-gw') in pairs and ('i-n1', 'i-n2') in pairs and ('i-host', 'i-gw') in pairs
    assert ('i-n1', 'i-host') not in pairs and ('i-host', 'i-n1') not in pairs


# kinds and impairments --------------------------------------------------------------
def test_macvlan_private_mode_lists_expected_pairs():
    topology = lab_preset({'mode': 'private', 'lab': 'm', 'nodes': 2}, 'macvlan_lan')
    pairs = set((p['src'], p['dst']) for p in topology['expect'])
    assert ('m-n1', 'm-gw') in pairs and ('m-n1', 'm-n2') not in pairs
    assert 'expect' not in lab_preset({'lab': 'm'}, 'macvlan_lan')


def test_bond_and_team_use_both_ports():
    bond = lab_preset({'mode': 'balance-rr'}, 'bond_host')['links'][-1]
    assert (bond['kind'], bond['mode'], bond['ports']) == ('bond', 'balance-rr', ['eth0', 'eth1'])
    team = lab_preset({'runner': 'roundrobin'}, 'team_host')['links'][-1]
    assert (team['kind'], team['runner']) == ('team', 'roundrobin')


def test_macvtap_passthru_allows_one_vm():
    with pytest.raises(PresetError, match='passthru'):
        lab_preset({'mode': 'passthru', 'vms': 2}, 'macvtap_vms')
    assert len(lab_preset({'vms': 3}, 'macvtap_vms')['links']) == 4


@pytest.mark.parametrize('name,params,groups', [
    ('vlan_trunk', {'vlans': 3, 'hosts_per_vlan': 2}, 3),
    ('qinq', {'customers': 4}, 4),
    ('vxlan_overlay', {'segments': 3, 'hosts_per_segment': 2}, 3),
])
def test_isolation_presets_share_one_subnet_and_expect_isolation(name, params, groups):
    """Only the tags keep the groups apart: every host is in one /24, the
    groups reach within, and one path between each two groups is expected
    to fail."""
    topology = lab_preset(dict(params, lab='t'), name)
    hosts = set(pair['src'] for pair in topology['expect'])
    networks = set(str(ipaddress.ip_interface(cidr).network)
                   for node, _name, cidrs in interfaces(topology) for cidr in cidrs
                   if node in hosts)
    assert len(networks) == 1
    isolated = [pair for pair in topology['expect'] if pair.get('expect') is False]
    assert len(isolated) == groups * (groups - 1) // 2
    reached = [pair for pair in topology['expect'] if pair.get('expect', True)]
    assert reached and all(pair['src'] != pair['dst'] for pair in reached)


def test_vlan_presets_stack_as_described():
    trunk = lab_preset({'lab': 'vt', 'vlans': 2}, 'vlan_trunk')
    vlans = [(l['node'], l['name'], l['options']['id'], l['bridge'])
             for l in trunk['links'] if l.get('kind') == 'vlan']
    assert vlans == [('vt-sw1', 'trunk.10', 10, 'br10-1'), ('vt-sw2', 'trunk.10', 10, 'br10-2'),
                     ('vt-sw1', 'trunk.20', 20, 'br20-1'), ('vt-sw2', 'trunk.20', 20, 'br20-2')]
    qinq = lab_preset({'lab': 'q', 'service_vlan': 300}, 'qinq')
    tags = [(l['node'], l['parent'], l.get('parent_node'), l['options'])
            for l in qinq['links'] if l.get('kind') == 'vlan']
    assert tags[:2] == [('q-pe1', 'core', None, {'id': 300, 'protocol': '802.1ad'}),
                        ('q-pe2', 'core', None, {'id': 300, 'protocol': '802.1ad'})]
    assert tags[2:4] == [('q-c1a', 'svc', 'q-pe1', {'id': 10}), ('q-c1b', 'svc', 'q-pe2', {'id': 10})]


def test_vrf_router_overlaps_only_its_shared_sites():
    topology = lab_preset({'lab': 'v', 'vrfs': 3}, 'vrf_router')
    vrfs = [(l['name'], l['options']['table'], l['ports'])
            for l in topology['links'] if l.get('kind') == 'vrf']
    assert vrfs == [('vrf1', 10, ['v1a', 'v1b']), ('vrf2', 20, ['v2a', 'v2b']),
                    ('vrf3', 30, ['v3a', 'v3b'])]
    owners = {}
    for node, iface in addressed(topology):
        owners.setdefault(str(iface), []).append(node)
    shared = dict((cidr, nodes) for cidr, nodes in owners.items() if len(nodes) > 1)
    # the router's port and the site of each VRF's shared side, nothing else
    assert sorted(shared.values()) == [['v-pe'] * 3, ['v-v1a', 'v-v2a', 'v-v3a']]
    router = next(n for n in topology['nodes'] if n['name'] == 'v-pe')
    assert router['sysctls'] == {'net.ipv4.ip_forward': 1} and 'loopback' not in router
    for site in (n for n in topology['nodes'] if n['name'] != 'v-pe'):
        gateway = ipaddress.ip_address(site['routes'][0]['via'])
        assert site['routes'] == [{'dst': 'default', 'via': str(gateway)}]
        assert [n for n, iface in addressed(topology) if iface.ip == gateway] \
            in (['v-pe'], ['v-pe'] * 3)


def test_vrf_router_expects_isolation_only_where_an_address_is_unique():
    """A shared address answers in every VRF (from that VRF's own site), so
    a path that must fail always targets the other VRF's own site."""
    topology = lab_preset({'lab': 'v', 'vrfs': 3}, 'vrf_router')
    reached = set((p['src'], p['dst']) for p in topology['expect'] if p.get('expect', True))
    isolated = set((p['src'], p['dst']) for p in topology['expect'] if p.get('expect') is False)
    sites = dict((n, ('v-v%da' % n, 'v-v%db' % n)) for n in (1, 2, 3))
    assert reached == set(pair for a, b in sites.values() for pair in ((a, b), (b, a)))
    assert isolated == set((sites[k][0], sites[j][1]) for k in sites for j in sites if k != j)


def test_wireguard_sites_route_the_sites_through_the_tunnel_only():
    topology = lab_preset({'lab': 'w', 'hosts_per_site': 3, 'key_dir': '/etc/wg/'},
                          'wireguard_sites')
    nodes = dict((n['name'], n) for n in topology['nodes'])
    tunnels = dict((l['node'], l) for l in topology['links'] if l.get('kind') == 'wireguard')
    assert sorted(tunnels) == ['w-gw1', 'w-gw2']
    lans = dict((b['node'], ipaddress.ip_interface(b['addresses'][0]).network)
                for b in topology['bridges'] if b['name'] in ('lan1', 'lan2'))
    for gateway, other in (('w-gw1', 'w-gw2'), ('w-gw2', 'w-gw1')):
        options = tunnels[gateway]['options']
        assert options['private_key_file'] == '/etc/wg/%s-wg0.key' % gateway
        assert options['generate_key'] is True and options['listen_port'] == 51820
        peer, = options['peers']
        assert peer['peer'] == {'node': other, 'name': 'wg0'}
        peer_address = ipaddress.ip_interface(tunnels[other]['addresses'][0]).ip
        assert peer['allowed_ips'] == ['%s/32' % peer_address, str(lans[other])]
        assert nodes[gateway]['routes'] == [{'dst': str(lans[other]), 'via': str(peer_address)}]
    # one end starts handshakes (see the preset), and it dials the other's underlay address
    dialing = [(g, l['options']['peers'][0]) for g, l in tunnels.items()
               if 'endpoint' in l['options']['peers'][0]]
    assert [(g, p['endpoint'], p['persistent_keepalive']) for g, p in dialing] == [
        ('w-gw2', '%s:51820' % [i.ip for n, i in addressed(topology)
                                if n == 'w-gw1' and i.network.prefixlen == 24
                                and i.network not in lans.values()][0], 25)]
    assert 'routes' not in nodes['w-inet']
    hosts = [n for n in nodes if n.startswith('w-s')]
    assert len(hosts) == 6
    isolated = [(p['src'], p['dst']) for p in topology['expect'] if p.get('expect') is False]
    assert isolated == [('w-inet', 'w-s1h1'), ('w-inet', 'w-s2h1')]
    reached = [p for p in topology['expect'] if p.get('expect', True)]
    assert len(reached) == 6 * 5


def test_impairment_is_put_on_every_veth_endpoint():
    topology = lab_preset({'routers': 3, 'impairment': {'delay': '10ms', 'loss': '1%'}}, 'chain')
    ends = [e for l in topology['links'] for e in l['endpoints']]
    assert ends and all(e['impairment'] == {'delay': '10ms', 'loss': '1%'} for e in ends)
    assert 'impairment' not in lab_preset({'routers': 3}, 'chain')['links'][0]['endpoints'][0]


# bad input -------------------------------------------------------------------------
@pytest.mark.parametrize('name,params,message', [
    ('nosuch', {}, 'unknown preset'),
    ('star', {'nodes': 'four'}, 'must be an integer'),
    ('star', {'nodes': 1}, 'between'),
    ('ring', {'routers': 2}, 'between'),
    ('tree', {'depth': 6, 'fanout': 8}, 'limit'),
    ('macvlan_lan', {'mode': 'l2'}, 'one of'),
    ('chain', {'impairment': {'delay': '1ms', 'corrupt': '1%'}}, 'unknown impairment'),
    ('chain', {'p2p_pool': '10.0.0.1/16'}, 'p2p_pool'),
    ('vrf_router', {'vrfs': 9}, 'between'),
    ('wireguard_sites', {'hosts_per_site': 0}, 'between'),
    ('wireguard_sites', {'key_dir': 'keys'}, 'absolute path'),
])
def test_bad_parameters(name, params, message):
    with pytest.raises(PresetError, match=message):
        lab_preset(params, name)


def test_names_filter():
    assert lab_preset_names()[:2] == ['demo', 'p2p'] and 'leaf_spine' in lab_preset_names()


# the generated labs are valid input of vnet.linux.topology -------------------
@pytest.mark.parametrize('name,params', [(n, {}) for n in PRESETS] + [
    ('ipvlan_lan', {'mode': 'l3'}),
    ('macvlan_lan', {'mode': 'private'}),
    ('bond_host', {'mode': 'balance-rr'}),
    ('chain', {'impairment': {'delay': '10ms', 'jitter': '1ms', 'loss': '1%', 'rate': '10mbit'}}),
])
def test_topology_module_accepts_every_preset(name, params):
    """Checked with the module's own argument spec and input model, so a
    format drift between presets and module fails here, without a kernel."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    from ansible_collections.vnet.linux.plugins.module_utils._lab.model import (
        TOPOLOGY_SPEC,
        build,
    )
    from ansible_collections.vnet.linux.plugins.filter.lab_views import lab_module_args

    topology = lab_module_args(lab_preset(dict(params, lab='m'), name))
    checked = ArgumentSpecValidator(TOPOLOGY_SPEC).validate(topology)
    assert not checked.error_messages, checked.error_messages
    lab = build(checked.validated_parameters)
    assert len(lab.nodes) == len(topology['nodes'])
