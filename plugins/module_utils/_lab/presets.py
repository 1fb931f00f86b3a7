# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate common lab topologies in the input format of vnet.linux.topology.

The one implementation behind the `vnet.linux.lab_preset` filter (on the
controller) and the topology module's `generate` option (on the managed
host, so that a large lab's arguments are a few bytes).

`lab_preset(params, name)` returns {lab, nodes, bridges, links} and, where
not every node is meant to reach every other, `expect` (the pairs that must
reach each other). Addresses come from three pools: /31 for point-to-point
links, /24 for LANs, /32 for router loopbacks. Routers get IP forwarding and
static routes along shortest paths, so that every node reaches every other.

Everything here is pure Python (no Ansible imports) so that it runs on the
controller and in a module, and is unit-tested without a kernel.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict, deque

DEFAULT_POOLS = {
    'p2p_pool': '10.0.0.0/16',
    'lan_pool': '10.1.0.0/16',
    'loopback_pool': '10.255.0.0/24',
}
IMPAIRMENT_KEYS = ('delay', 'jitter', 'loss', 'rate')
IFNAMSIZ = 15
# vnet.linux.topology takes namespace names of at most 15 bytes, as it does
# interface names
MAX_NODE_NAME = 15
# presets with static routes: every router gets a route per remote subnet,
# so their routing tables (and the search that makes them) grow with the
# square of the lab; keep them a reasonable size
MAX_NODES = 128
# a Linux bridge takes at most 1023 ports (BR_MAX_PORTS, port 0 reserved):
# the largest LAN, and so the largest star
MAX_BRIDGE_PORTS = 1023
# no preset makes more namespaces than a star of MAX_BRIDGE_PORTS hosts
MAX_LAB_NODES = MAX_BRIDGE_PORTS + 1


class PresetError(ValueError):
    """Invalid preset parameters."""


def _int_param(params, key, default, low, high):
    """Read an int parameter; -e on the command line gives strings."""
    value = params.get(key)
    if value is None or value == '':
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PresetError('preset parameter %s must be an integer, got %r' % (key, value))
    if not low <= number <= high:
        raise PresetError('preset parameter %s must be between %d and %d, got %d'
                          % (key, low, high, number))
    return number


def _choice_param(params, key, default, choices):
    value = params.get(key) or default
    if value not in choices:
        raise PresetError('preset parameter %s must be one of %s, got %r'
                          % (key, ', '.join(choices), value))
    return value


def _impairment(params):
    """The netem settings to put on every veth endpoint (None: no impairment)."""
    wanted = params.get('impairment') or {}
    if not isinstance(wanted, dict):
        raise PresetError('preset parameter impairment must be a dict')
    unknown = sorted(set(wanted) - set(IMPAIRMENT_KEYS))
    if unknown:
        raise PresetError('unknown impairment keys: %s (known: %s)'
                          % (', '.join(unknown), ', '.join(IMPAIRMENT_KEYS)))
    kept = dict((k, str(v)) for k, v in wanted.items() if v not in (None, ''))
    return kept or None


class AddressPool(object):
    """Hands out consecutive subnets from a pool: of its usual prefix length,
    or larger ones (a LAN of more than 253 hosts) aligned to their size."""

    def __init__(self, cidr, new_prefix, what):
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as err:
            raise PresetError('%s: %s' % (what, err))
        if network.version != 4 or network.prefixlen > new_prefix:
            raise PresetError('%s must be an IPv4 network of /%d or larger, got %s'
                              % (what, new_prefix, cidr))
        self._network = network
        self._next = int(network.network_address)   # first address not handed out
        self._prefix = new_prefix
        self._what = what
        if new_prefix == 32:
            # loopbacks from .1: a .0 address looks like a network to people
            self.take()

    def take(self, prefix=None):
        """The next free subnet of /prefix (default: the pool's usual one)."""
        prefix = self._prefix if prefix is None else prefix
        size = 1 << (32 - prefix)
        start = -(-self._next // size) * size       # rounded up to its size
        if prefix < self._network.prefixlen or \
                start + size > int(self._network.broadcast_address) + 1:
            raise PresetError('%s is exhausted: give a larger one' % self._what)
        self._next = start + size
        return ipaddress.ip_network((start, prefix))


class Subnet(object):
    """One L3 segment (a /31 link or a /24 LAN) and who sits on it."""

    def __init__(self, network):
        self.network = network
        self.members = []      # (node name, address without prefix length)

    def address_of(self, node):
        for member, address in self.members:
            if member == node:
                return address
        return None


class LabBuilder(object):
    """Accumulates nodes, bridges and links, then computes static routes."""

    def __init__(self, lab, prefix, params):
        self.lab = lab
        self.prefix = prefix
        self.nodes = OrderedDict()
        self.bridges = []
        self.links = []
        self.subnets = []
        self.routers = set()
        self.expect = None
        self._next_if = {}
        self._bridge_ports = {}
        self.impairment = _impairment(params)
        pools = dict((k, params.get(k) or v) for k, v in DEFAULT_POOLS.items())
        self.p2p_pool = AddressPool(pools['p2p_pool'], 31, 'p2p_pool')
        self.lan_pool = AddressPool(pools['lan_pool'], 24, 'lan_pool')
        self.loopback_pool = AddressPool(pools['loopback_pool'], 32, 'loopback_pool')

    # nodes -----------------------------------------------------------------
    def node(self, short, router=False):
        name = self.prefix + short
        if len(name.encode()) > MAX_NODE_NAME:
            raise PresetError('node name %s is longer than %d bytes: give a shorter lab '
                              'name or prefix' % (name, MAX_NODE_NAME))
        if name in self.nodes:
            raise PresetError('duplicate node %s' % name)
        if len(self.nodes) >= MAX_LAB_NODES:
            raise PresetError('a preset lab is limited to %d nodes' % MAX_LAB_NODES)
        entry = dict(name=name)
        if router:
            self.routers.add(name)
            entry['sysctls'] = {'net.ipv4.ip_forward': 1}
            entry['loopback'] = ['%s/32' % self.loopback_pool.take().network_address]
        self.nodes[name] = entry
        self._next_if[name] = 0
        return name

    def ifname(self, node):
        """eth0, eth1, ... in the order links are added to the node."""
        number = self._next_if[node]
        self._next_if[node] = number + 1
        return 'eth%d' % number

    def _endpoint(self, node, ifname, addresses=None):
        end = dict(node=node, name=ifname)
        if addresses:
            end['addresses'] = addresses
        if self.impairment:
            end['impairment'] = dict(self.impairment)
        return end

    # segments --------------------------------------------------------------
    def point_to_point(self, left, right):
        """A veth pair with a /31 between two nodes."""
        network = self.p2p_pool.take()
        low, high = network[0], network[1]
        subnet = Subnet(network)
        subnet.members = [(left, str(low)), (right, str(high))]
        self.subnets.append(subnet)
        self.links.append({'endpoints': [
            self._endpoint(left, self.ifname(left), ['%s/31' % low]),
            self._endpoint(right, self.ifname(right), ['%s/31' % high]),
        ]})
        return subnet

    def switch(self, short, bridge=None):
        """A namespace that holds only a bridge (a pure L2 switch). Bridges
        are named uniquely in the lab: link endpoints name only the bridge."""
        node = self.node(short)
        bridge = bridge or 'br%d' % (len(self.bridges) + 1)
        self.bridges.append(dict(name=bridge, node=node, stp=False))
        self._bridge_ports[bridge + '@' + node] = set()
        return node, bridge

    def lan(self, switch, members, first_host=1):
        """Each member joins the switch's bridge with a veth and gets an
        address; members are (node, host number) or bare nodes. The LAN is a
        /24, or the smallest larger subnet that holds the highest host
        number (a star of 1000 hosts gets a /22)."""
        numbers = [m[1] if isinstance(m, tuple) else n
                   for n, m in enumerate(members, start=first_host)]
        network = self.lan_pool.take(lan_prefix(max(numbers)))
        subnet = Subnet(network)
        switch_node, bridge = switch
        for number, member in enumerate(members, start=first_host):
            if isinstance(member, tuple):
                member, number = member
            address = network[number]
            subnet.members.append((member, str(address)))
            self.links.append({'endpoints': [
                self._endpoint(member, self.ifname(member),
                               ['%s/%d' % (address, network.prefixlen)]),
                self._port(switch_node, bridge, member),
            ]})
        self.subnets.append(subnet)
        return subnet

    def _port(self, switch_node, bridge, member):
        """The bridge end of a LAN link, named after the member node."""
        used = self._bridge_ports[bridge + '@' + switch_node]
        short = member[len(self.prefix):] if member.startswith(self.prefix) else member
        name = (short + '-p')[:IFNAMSIZ]
        number = 0
        while name in used:
            # a member with several ports (bond, team): h1-p, h1-p1, ...
            number += 1
            suffix = '-p%d' % number
            name = short[:IFNAMSIZ - len(suffix)] + suffix
        used.add(name)
        end = dict(bridge=bridge, name=name)
        if self.impairment:
            end['impairment'] = dict(self.impairment)
        return end

    # routing ---------------------------------------------------------------
    def route_all(self):
        """Static routes so that every node reaches every subnet and loopback."""
        for name in self.nodes:
            routes = routes_for(name, self.subnets, self.routers, self.nodes)
            if routes:
                self.nodes[name]['routes'] = routes

    def topology(self):
        result = dict(lab=self.lab)
        result['nodes'] = list(self.nodes.values())
        result['bridges'] = self.bridges
        result['links'] = self.links
        if self.expect is not None:
            result['expect'] = self.expect
        return result


def lan_prefix(highest_host):
    """/24, or the longest shorter prefix whose subnet has the host number
    `highest_host` below its broadcast address."""
    prefix = 24
    while highest_host >= (1 << (32 - prefix)) - 1:
        prefix -= 1
    return prefix


def _neighbours(node, subnets):
    """(neighbour, its address on the shared subnet) for each segment."""
    for subnet in subnets:
        if subnet.address_of(node) is None:
            continue
        for member, address in subnet.members:
            if member != node:
                yield member, address


def first_hops(source, subnets, routers):
    """Breadth-first search from `source`, forwarding only through routers.

    Returns {reached node: the address of the first hop towards it}. Ties are
    broken by the order segments were added, so the result is deterministic.
    """
    hops = {}
    queue = deque()
    for neighbour, address in _neighbours(source, subnets):
        if neighbour not in hops and neighbour != source:
            hops[neighbour] = address
            queue.append(neighbour)
    while queue:
        current = queue.popleft()
        if current not in routers:
            continue
        for neighbour, _address in _neighbours(current, subnets):
            if neighbour not in hops and neighbour != source:
                hops[neighbour] = hops[current]
                queue.append(neighbour)
    return hops


def routes_for(node, subnets, routers, nodes):
    """The static routes `node` needs: one per remote subnet and loopback,
    or one default route when they would all use the same next hop."""
    hops = first_hops(node, subnets, routers)
    wanted = OrderedDict()
    for subnet in subnets:
        if subnet.address_of(node) is not None:
            continue
        via = _hop_to_subnet(subnet, hops, routers)
        if via:
            wanted[str(subnet.network)] = via
    for other, entry in nodes.items():
        if other != node and other in hops and other in routers:
            for loopback in entry.get('loopback', []):
                wanted[loopback] = hops[other]
    if not wanted:
        return []
    next_hops = set(wanted.values())
    if len(next_hops) == 1:
        return [dict(dst='default', via=next_hops.pop())]
    return [dict(dst=dst, via=via) for dst, via in wanted.items()]


def _hop_to_subnet(subnet, hops, routers):
    """Through the first router on the subnet that the search reached."""
    for member, _address in subnet.members:
        if member in routers and member in hops:
            return hops[member]
    return None


# presets -------------------------------------------------------------------
def preset_demo(builder, params):
    """The classic example: two namespaces on a veth pair, two on a bridge
    that lives in its own namespace. Fixed names and addresses."""
    left, right = builder.node('netns0'), builder.node('netns1')
    builder.links.append({'endpoints': [
        builder._endpoint(left, 'veth01', ['192.168.254.10/24']),
        builder._endpoint(right, 'veth10', ['192.168.254.11/24']),
    ]})
    switch = builder.switch('netnsbr', 'br0')
    hosts = [builder.node('netns2'), builder.node('netns3')]
    lan = ipaddress.ip_network('192.168.253.0/24')
    for number, host in enumerate(hosts, start=2):
        builder.links.append({'endpoints': [
            builder._endpoint(host, 'eth0', ['%s/24' % lan[number]]),
            builder._port(switch[0], switch[1], host),
        ]})
    # two separate islands: each pings only within its own
    builder.expect = [dict(src=a, dst=b) for island in ([left, right], hosts)
                      for a in island for b in island if a != b]


def preset_p2p(builder, params):
    """Two hosts on one veth pair with a /31."""
    builder.point_to_point(builder.node('h1'), builder.node('h2'))


def preset_star(builder, params):
    """N hosts on one bridge in a switch namespace, one LAN (a /24 up to
    254 hosts, larger above)."""
    _star_hosts(builder, params)


def _star_hosts(builder, params):
    count = _int_param(params, 'nodes', 3, 2, MAX_BRIDGE_PORTS)
    switch = builder.switch('sw1')
    hosts = [builder.node('h%d' % i) for i in range(1, count + 1)]
    builder.lan(switch, hosts)
    return hosts


def preset_star_chain(builder, params):
    """A star whose hosts are also joined in a line, h1 - h2 - ... - hN, by
    veth pairs with a /31 each: every host has eth0 on the LAN and eth1,
    eth2 towards its neighbours. No routing: each pair of hosts meets on
    the LAN, neighbours also directly."""
    hosts = _star_hosts(builder, params)
    for left, right in zip(hosts, hosts[1:]):
        builder.point_to_point(left, right)


def preset_chain(builder, params):
    """Routers in a line: r1 - r2 - ... - rN."""
    count = _int_param(params, 'routers', 3, 2, MAX_NODES)
    routers = [builder.node('r%d' % i, router=True) for i in range(1, count + 1)]
    for left, right in zip(routers, routers[1:]):
        builder.point_to_point(left, right)
    builder.route_all()


def preset_ring(builder, params):
    """Routers in a cycle: a chain whose ends are joined."""
    count = _int_param(params, 'routers', 4, 3, MAX_NODES)
    routers = [builder.node('r%d' % i, router=True) for i in range(1, count + 1)]
    for index, left in enumerate(routers):
        builder.point_to_point(left, routers[(index + 1) % count])
    builder.route_all()


def preset_tree(builder, params):
    """A tree of routers: depth levels below the root, fanout children each."""
    depth = _int_param(params, 'depth', 2, 1, 6)
    fanout = _int_param(params, 'fanout', 2, 1, 8)
    total = sum(fanout ** level for level in range(depth + 1))
    if total > MAX_NODES:
        raise PresetError('a tree of depth %d and fanout %d has %d nodes; the limit is %d'
                          % (depth, fanout, total, MAX_NODES))
    level = [builder.node('r1', router=True)]
    counter = 1
    for _level in range(depth):
        below = []
        for parent in level:
            for _child in range(fanout):
                counter += 1
                child = builder.node('r%d' % counter, router=True)
                builder.point_to_point(parent, child)
                below.append(child)
        level = below
    builder.route_all()


def preset_leaf_spine(builder, params):
    """Every leaf linked to every spine; each leaf is the gateway of a LAN
    (a bridge in its own switch namespace) with its hosts."""
    spines = _int_param(params, 'spines', 2, 1, 8)
    leaves = _int_param(params, 'leaves', 2, 1, 16)
    hosts = _int_param(params, 'hosts_per_leaf', 1, 0, 16)
    if spines + leaves * (hosts + 2) > MAX_NODES:
        raise PresetError('leaf-spine lab too large (limit %d nodes)' % MAX_NODES)
    spine_nodes = [builder.node('s%d' % i, router=True) for i in range(1, spines + 1)]
    leaf_nodes = [builder.node('l%d' % i, router=True) for i in range(1, leaves + 1)]
    for leaf in leaf_nodes:
        for spine in spine_nodes:
            builder.point_to_point(spine, leaf)
    for number, leaf in enumerate(leaf_nodes, start=1):
        if not hosts:
            continue
        switch = builder.switch('sw%d' % number)
        members = [(leaf, 1)] + [(builder.node('l%dh%d' % (number, i)), 10 + i)
                                 for i in range(1, hosts + 1)]
        builder.lan(switch, members)
    builder.route_all()


def _uplink_lan(builder):
    """A host namespace whose eth0 is the lower device of virtual NICs, joined
    by a veth to a gateway namespace: returns (host, gateway, network)."""
    host, gateway = builder.node('host'), builder.node('gw')
    network = builder.lan_pool.take()
    builder.links.append({'endpoints': [
        builder._endpoint(host, builder.ifname(host)),
        builder._endpoint(gateway, builder.ifname(gateway),
                          ['%s/24' % network[1]]),
    ]})
    return host, gateway, network


def _child_lan(builder, params, kind, mode, prefix_name):
    """N namespaces each with one macvlan/ipvlan child of the host's eth0."""
    count = _int_param(params, 'nodes', 2, 1, MAX_NODES - 2)
    host, gateway, network = _uplink_lan(builder)
    children = []
    for number in range(1, count + 1):
        child = builder.node('n%d' % number)
        children.append(child)
        builder.links.append(dict([
            ('kind', kind), ('node', child), ('name', prefix_name + '0'),
            ('parent', 'eth0'), ('parent_node', host), ('mode', mode),
            ('addresses', ['%s/24' % network[10 + number]])]))
    return host, gateway, children


def preset_macvlan_lan(builder, params):
    """macvlan children of one lower device, each in its own namespace."""
    mode = _choice_param(params, 'mode', 'bridge', ('bridge', 'private', 'vepa'))
    _host, gateway, children = _child_lan(builder, params, 'macvlan', mode, 'mv')
    if mode != 'bridge':
        # without bridge mode, siblings reach only the outside (the gateway)
        builder.expect = _pairs_with(gateway, children)


def preset_ipvlan_lan(builder, params):
    """ipvlan children of one lower device; l2 shares the gateway's /24, l3
    routes a /24 of its own through the host namespace."""
    mode = _choice_param(params, 'mode', 'l2', ('l2', 'l3'))
    if mode == 'l2':
        _child_lan(builder, params, 'ipvlan', 'l2', 'iv')
        return
    count = _int_param(params, 'nodes', 2, 1, MAX_NODES - 2)
    host, gateway = builder.node('host'), builder.node('gw')
    uplink = builder.point_to_point(host, gateway)
    network = builder.lan_pool.take()
    children = []
    for number in range(1, count + 1):
        child = builder.node('n%d' % number)
        children.append(child)
        builder.nodes[child]['routes'] = [dict(dst='default', dev='iv0')]
        builder.links.append(dict([
            ('kind', 'ipvlan'), ('node', child), ('name', 'iv0'), ('parent', 'eth0'),
            ('parent_node', host), ('mode', 'l3'),
            ('addresses', ['%s/32' % network[10 + number]])]))
    # l3 slaves answer for their addresses behind the host's own address
    builder.nodes[gateway]['routes'] = [dict(
        dst=str(network), via=uplink.address_of(host))]
    # like macvlan, ipvlan children cannot talk to their lower device's own
    # address: every pair but host <-> child
    talkers = children + [gateway]
    builder.expect = [dict(src=a, dst=b) for a in talkers for b in talkers if a != b]
    builder.expect += _pairs_with(host, [gateway])


def _pairs_with(center, others):
    pairs = []
    for other in others:
        pairs.append({'src': center, 'dst': other})
        pairs.append({'src': other, 'dst': center})
    return pairs


def _dual_homed(builder):
    """A host with eth0 and eth1 both on a switch, and a peer on that switch."""
    switch = builder.switch('sw1')
    host, peer = builder.node('h1'), builder.node('peer')
    network = builder.lan_pool.take()
    for _port in range(2):
        builder.links.append({'endpoints': [
            builder._endpoint(host, builder.ifname(host)),
            builder._port(switch[0], switch[1], host),
        ]})
    builder.links.append({'endpoints': [
        builder._endpoint(peer, builder.ifname(peer), ['%s/24' % network[2]]),
        builder._port(switch[0], switch[1], peer),
    ]})
    return host, '%s/24' % network[1]


BOND_MODES = ('active-backup', 'balance-rr', 'balance-xor', 'broadcast',
              'balance-tlb', 'balance-alb')
TEAM_RUNNERS = ('activebackup', 'roundrobin', 'loadbalance', 'broadcast', 'random')


def preset_bond_host(builder, params):
    """A host whose bond0 over eth0+eth1 is its uplink to a switch."""
    mode = _choice_param(params, 'mode', 'active-backup', BOND_MODES)
    miimon = _int_param(params, 'miimon', 100, 0, 10000)
    host, address = _dual_homed(builder)
    builder.links.append(dict([
        ('kind', 'bond'), ('node', host), ('name', 'bond0'), ('mode', mode),
        ('ports', ['eth0', 'eth1']), ('options', {'miimon': miimon}),
        ('addresses', [address])]))


def preset_team_host(builder, params):
    """A host whose team0 (teamd) over eth0+eth1 is its uplink to a switch."""
    runner = _choice_param(params, 'runner', 'activebackup', TEAM_RUNNERS)
    host, address = _dual_homed(builder)
    builder.links.append(dict([
        ('kind', 'team'), ('node', host), ('name', 'team0'), ('runner', runner),
        ('ports', ['eth0', 'eth1']), ('addresses', [address])]))


def preset_macvtap_vms(builder, params):
    """A hypervisor namespace with one macvtap per VM on its uplink. The
    macvtaps carry no address (the VMs configure their own); the uplink has
    one, so the hypervisor and the gateway can check the LAN."""
    count = _int_param(params, 'vms', 2, 1, 64)
    mode = _choice_param(params, 'mode', 'bridge', ('bridge', 'private', 'vepa', 'passthru'))
    if mode == 'passthru' and count > 1:
        raise PresetError('macvtap passthru mode allows one VM per lower device')
    hypervisor, gateway = builder.node('hv'), builder.node('gw')
    network = builder.lan_pool.take()
    builder.links.append({'endpoints': [
        builder._endpoint(hypervisor, builder.ifname(hypervisor), ['%s/24' % network[2]]),
        builder._endpoint(gateway, builder.ifname(gateway), ['%s/24' % network[1]]),
    ]})
    for number in range(1, count + 1):
        builder.links.append(dict([
            ('kind', 'macvtap'), ('node', hypervisor), ('name', 'vm%d' % number),
            ('parent', 'eth0'), ('parent_node', hypervisor), ('mode', mode)]))


def _isolated(first, second):
    """A path that must not work (one direction is proof enough, and a
    failing ping costs its timeout)."""
    return {'src': first, 'dst': second, 'expect': False}


def _reach_within(groups):
    """Every ordered pair inside each group reaches; one host of each group
    must not reach one of every other group."""
    pairs = [{'src': a, 'dst': b} for group in groups for a in group for b in group if a != b]
    for number, group in enumerate(groups):
        pairs += [_isolated(group[0], other[0]) for other in groups[number + 1:]]
    return pairs


def _vlan(node, name, parent, vid, parent_node=None, protocol=None, addresses=None,
          bridge=None):
    link = OrderedDict([('kind', 'vlan'), ('node', node), ('name', name), ('parent', parent)])
    if parent_node:
        link['parent_node'] = parent_node
    if bridge:
        link['bridge'] = bridge
    link['options'] = dict(id=vid, **({'protocol': protocol} if protocol else {}))
    if addresses:
        link['addresses'] = addresses
    return link


def preset_vlan_trunk(builder, params):
    """Two switches joined by an 802.1Q trunk carrying N VLANs (ids 10, 20,
    ...). On each switch, a bridge per VLAN joins the trunk's VLAN
    interface and the access ports of that VLAN's hosts. Every host is in
    one /24, so only the tags keep the VLANs apart: hosts of a VLAN reach
    each other across the trunk, and must not reach another VLAN's."""
    count = _int_param(params, 'vlans', 2, 1, 32)
    hosts = _int_param(params, 'hosts_per_vlan', 1, 1, 8)
    switches = [builder.node('sw1'), builder.node('sw2')]
    builder.links.append({'endpoints': [builder._endpoint(switch, 'trunk')
                                        for switch in switches]})
    network = builder.lan_pool.take()
    subnet = Subnet(network)
    groups = []
    for number in range(1, count + 1):
        vid = 10 * number
        group = []
        for side, switch in enumerate(switches, start=1):
            bridge = 'br%d-%d' % (vid, side)
            builder.bridges.append(dict(name=bridge, node=switch, stp=False))
            builder._bridge_ports[bridge + '@' + switch] = set()
            builder.links.append(_vlan(switch, 'trunk.%d' % vid, 'trunk', vid, bridge=bridge))
            for host_number in range(1, hosts + 1):
                host = builder.node('h%d%s%d' % (vid, 'ab'[side - 1], host_number))
                address = network[len(subnet.members) + 1]
                subnet.members.append((host, str(address)))
                builder.links.append({'endpoints': [
                    builder._endpoint(host, builder.ifname(host), ['%s/24' % address]),
                    builder._port(switch, bridge, host)]})
                group.append(host)
        groups.append(group)
    builder.subnets.append(subnet)
    builder.expect = _reach_within(groups)


def preset_qinq(builder, params):
    """A provider's 802.1ad service VLAN between two edge switches carries
    its customers' 802.1Q VLANs (ids 10, 20, ...): each customer has a site
    behind each edge, whose interface is a customer VLAN on the edge's
    service VLAN (two tags on the wire). All sites are in one /24: sites of
    a customer reach each other, and must not reach another customer's."""
    count = _int_param(params, 'customers', 2, 1, 16)
    service = _int_param(params, 'service_vlan', 100, 1, 4094)
    edges = [builder.node('pe1'), builder.node('pe2')]
    builder.links.append({'endpoints': [builder._endpoint(edge, 'core') for edge in edges]})
    for edge in edges:
        builder.links.append(_vlan(edge, 'svc', 'core', service, protocol='802.1ad'))
    network = builder.lan_pool.take()
    subnet = Subnet(network)
    groups = []
    for number in range(1, count + 1):
        group = []
        for side, edge in enumerate(edges):
            site = builder.node('c%d%s' % (number, 'ab'[side]))
            address = network[len(subnet.members) + 1]
            subnet.members.append((site, str(address)))
            builder.links.append(_vlan(site, 'eth0', 'svc', 10 * number, parent_node=edge,
                                       addresses=['%s/24' % address]))
            group.append(site)
        groups.append(group)
    builder.subnets.append(subnet)
    builder.expect = _reach_within(groups)


FLOOD_MAC = '00:00:00:00:00:00'


def preset_vxlan_overlay(builder, params):
    """Two VTEPs joined by a routed underlay (vtep1 - core - vtep2, /31s and
    static routes) carry N layer 2 segments (VNIs 100, 200, ...). On each
    VTEP a segment is a bridge with a vxlan port (unicast: a static flood
    entry names the other VTEP, no multicast) and the access ports of the
    segment's hosts. Every host is in one /24, so only the VNIs keep the
    segments apart: a segment's hosts reach each other across the
    underlay, and must not reach another segment's."""
    count = _int_param(params, 'segments', 2, 1, 16)
    hosts = _int_param(params, 'hosts_per_segment', 1, 1, 8)
    vteps = [builder.node('vtep1', router=True), builder.node('vtep2', router=True)]
    core = builder.node('core', router=True)
    underlay = [builder.point_to_point(vtep, core).address_of(vtep) for vtep in vteps]
    builder.route_all()
    network = builder.lan_pool.take()
    subnet = Subnet(network)
    groups = []
    for number in range(1, count + 1):
        vni = 100 * number
        group = []
        for side, vtep in enumerate(vteps):
            bridge = 'bs%d-%d' % (vni, side + 1)
            builder.bridges.append(dict(name=bridge, node=vtep, stp=False))
            builder._bridge_ports[bridge + '@' + vtep] = set()
            builder.links.append(OrderedDict([
                ('kind', 'vxlan'), ('node', vtep), ('name', 'vx%d' % vni), ('bridge', bridge),
                ('options', {'vni': vni, 'local': underlay[side], 'dstport': 4789,
                             'fdb': [{'mac': FLOOD_MAC, 'dst': underlay[1 - side]}]})]))
            for host_number in range(1, hosts + 1):
                host = builder.node('s%dh%d%s' % (number, host_number, 'ab'[side]))
                address = network[len(subnet.members) + 1]
                subnet.members.append((host, str(address)))
                builder.links.append({'endpoints': [
                    builder._endpoint(host, builder.ifname(host), ['%s/24' % address]),
                    builder._port(vtep, bridge, host)]})
                group.append(host)
        groups.append(group)
    builder.expect = _reach_within(groups)


def preset_vrf_router(builder, params):
    """One router `pe` with N VRFs (vrf1, vrf2, ...; tables 10, 20, ...),
    each joining two sites: a site `v<n>a` on the same /24 in every VRF
    (the same addresses, told apart only by the VRF of the router's port)
    and a site `v<n>b` on a /24 of its own. A VRF's sites reach each other
    through the router; a site must not reach another VRF's site."""
    count = _int_param(params, 'vrfs', 2, 1, 8)
    router = builder.node('pe')
    # forwarding, but no loopback: every address of the router is in a VRF
    builder.nodes[router]['sysctls'] = {'net.ipv4.ip_forward': 1}
    shared = builder.lan_pool.take()
    groups = []
    for number in range(1, count + 1):
        own = builder.lan_pool.take()
        group = []
        for side, network in (('a', shared), ('b', own)):
            site = builder.node('v%d%s' % (number, side))
            builder.nodes[site]['routes'] = [{'dst': 'default', 'via': str(network[1])}]
            builder.links.append({'endpoints': [
                builder._endpoint(router, 'v%d%s' % (number, side), ['%s/24' % network[1]]),
                builder._endpoint(site, builder.ifname(site), ['%s/24' % network[2]])]})
            group.append(site)
        builder.links.append(OrderedDict([
            ('kind', 'vrf'), ('node', router), ('name', 'vrf%d' % number),
            ('options', {'table': 10 * number}), ('ports', ['v%da' % number, 'v%db' % number])]))
        groups.append(group)
    pairs = [{'src': a, 'dst': b} for group in groups for a in group for b in group if a != b]
    # the shared side cannot be the destination of a path that must fail:
    # its address answers in every VRF (from that VRF's own site)
    builder.expect = pairs + [_isolated(group[0], other[1])
                              for group in groups for other in groups if other is not group]


def _key_dir_param(params):
    value = params.get('key_dir') or '/run'
    if not isinstance(value, str) or not value.startswith('/'):
        raise PresetError('preset parameter key_dir must be an absolute path, got %r' % (value,))
    return value.rstrip('/')


WIREGUARD_PORT = 51820
KEEPALIVE = 25


def preset_wireguard_sites(builder, params):
    """Two sites joined by a WireGuard tunnel over an underlay network:
    gateways `gw1` and `gw2` and the underlay's own host `inet` share one
    LAN (the bridge `wan` in `inet`). Each gateway has its site's LAN on a
    bridge (`lan1`, `lan2`) with the site's hosts, and a tunnel `wg0` to
    the other gateway whose allowed IPs are the other site's LAN. The sites
    reach each other through the tunnel; the underlay has no route to them,
    so `inet` must not reach a site's host."""
    hosts = _int_param(params, 'hosts_per_site', 1, 1, 8)
    key_dir = _key_dir_param(params)
    gateways = [builder.node('gw1'), builder.node('gw2')]
    for gateway in gateways:
        builder.nodes[gateway]['sysctls'] = {'net.ipv4.ip_forward': 1}
    inet, wan = builder.switch('inet', bridge='wan')
    # the gateways share the underlay's link: the first handshake, started
    # as gw2's tunnel comes up, needs no route (the lab's routes are added
    # after its links are up)
    underlay = builder.lan((inet, wan), gateways)
    builder.bridges[-1]['addresses'] = ['%s/%d' % (underlay.network[len(gateways) + 1],
                                                   underlay.network.prefixlen)]
    tunnel = builder.p2p_pool.take()
    lans = [builder.lan_pool.take() for _gateway in gateways]
    sites = [_site(builder, gateway, 'lan%d' % side, lans[side - 1], 's%d' % side, hosts)
             for side, gateway in enumerate(gateways, start=1)]
    for side, gateway in enumerate(gateways):
        other = 1 - side
        builder.nodes[gateway]['routes'] = [{'dst': str(lans[other]), 'via': str(tunnel[other])}]
        peer = OrderedDict([('peer', {'node': gateways[other], 'name': 'wg0'}),
                            ('allowed_ips', ['%s/32' % tunnel[other], str(lans[other])])])
        if side == 1:
            # gw2 dials gw1 and keeps the tunnel open, as a site behind NAT
            # does; gw1 learns gw2's endpoint from its handshake. Only one
            # end starts handshakes: two started at once (traffic from both
            # sites) cross, and both ends wait 5 s to retry.
            peer['endpoint'] = '%s:%d' % (underlay.address_of(gateways[0]), WIREGUARD_PORT)
            peer['persistent_keepalive'] = KEEPALIVE
        builder.links.append(OrderedDict([
            ('kind', 'wireguard'), ('node', gateway), ('name', 'wg0'),
            ('addresses', ['%s/31' % tunnel[side]]),
            ('options', {
                'private_key_file': '%s/%s-wg0.key' % (key_dir, gateway),
                'generate_key': True, 'listen_port': WIREGUARD_PORT, 'peers': [peer]})]))
    everyone = sites[0] + sites[1]
    builder.expect = [{'src': a, 'dst': b} for a in everyone for b in everyone if a != b] + \
        [_isolated(inet, site[0]) for site in sites]


def _site(builder, gateway, bridge, lan, short, hosts):
    """A site's LAN: a bridge on its gateway, holding the gateway's address,
    and the site's hosts, whose default route is the gateway."""
    builder.bridges.append(dict(name=bridge, node=gateway, stp=False,
                                addresses=['%s/24' % lan[1]]))
    builder._bridge_ports[bridge + '@' + gateway] = set()
    site = []
    for number in range(1, hosts + 1):
        host = builder.node('%sh%d' % (short, number))
        builder.nodes[host]['routes'] = [{'dst': 'default', 'via': str(lan[1])}]
        builder.links.append({'endpoints': [
            builder._endpoint(host, builder.ifname(host), ['%s/24' % lan[number + 1]]),
            builder._port(gateway, bridge, host)]})
        site.append(host)
    return site


PRESETS = OrderedDict([
    ('demo', preset_demo),
    ('p2p', preset_p2p),
    ('star', preset_star),
    ('star_chain', preset_star_chain),
    ('chain', preset_chain),
    ('ring', preset_ring),
    ('tree', preset_tree),
    ('leaf_spine', preset_leaf_spine),
    ('macvlan_lan', preset_macvlan_lan),
    ('ipvlan_lan', preset_ipvlan_lan),
    ('bond_host', preset_bond_host),
    ('team_host', preset_team_host),
    ('macvtap_vms', preset_macvtap_vms),
    ('vlan_trunk', preset_vlan_trunk),
    ('qinq', preset_qinq),
    ('vxlan_overlay', preset_vxlan_overlay),
    ('vrf_router', preset_vrf_router),
    ('wireguard_sites', preset_wireguard_sites),
])


# node name prefixes of labs named after their preset: short enough to leave
# room for the node names within 15 bytes
SHORT_PREFIX = {
    'demo': '', 'p2p': 'p2p-', 'star': 'star-', 'star_chain': 'sc-', 'chain': 'chain-', 'ring': 'ring-',
    'tree': 'tree-', 'leaf_spine': 'ls-', 'macvlan_lan': 'mvl-', 'ipvlan_lan': 'ivl-',
    'bond_host': 'bond-', 'team_host': 'team-', 'macvtap_vms': 'mvt-', 'vlan_trunk': 'vt-',
    'qinq': 'qq-', 'vxlan_overlay': 'vx-', 'vrf_router': 'vr-', 'wireguard_sites': 'wg-',
}


def default_prefix(preset, lab):
    """`<lab>-`, or a short prefix for a lab named after its preset (and
    none for the demo, whose names are the classic ones)."""
    if lab == preset:
        return SHORT_PREFIX[preset]
    return lab + '-'


def lab_preset(params, name):
    """The topology of preset `name` with `params` (its parameters, and the
    lab's name as `lab`); PresetError names a wrong parameter."""
    if name not in PRESETS:
        raise PresetError('unknown preset %r; known: %s' % (name, ', '.join(PRESETS)))
    params = dict(params or {})
    lab = str(params.get('lab') or name)
    prefix = params.get('prefix')
    builder = LabBuilder(lab, default_prefix(name, lab) if prefix is None else str(prefix), params)
    PRESETS[name](builder, params)
    return builder.topology()


def lab_preset_names():
    """The names of the presets."""
    return list(PRESETS)
