# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology module's `spread` option: one lab description spread over
several hosts, each host building its share with the same engine.

`plan(params)` places every node on a host and decides, for the whole lab,
which links cross hosts, which LANs (bridges) span hosts, their VNIs and
their MTUs. `share(params, host)` turns the whole description into the
part one host builds: a plain description (nodes, bridges, links) that
vnet.linux.topology builds unchanged, in which

- a veth link whose ends land on two hosts is, on each of them, a tunnel
  (vxlan) in the end's node, with the end's name, addresses and MTU, made
  over the host's root namespace (the underlay) to the other host;
- a LAN whose members land on several hosts is a bridge of the same name
  in a node of the same name on each of them (the switch's home keeps the
  bridge's addresses and the node's routes and sysctls), joined by one vxlan
  port per host with a static flood entry per other host (no multicast).

Every host computes the same plan from the same description, whatever the
order of `spread.hosts` or of the inventory: hosts and keys are sorted,
and VNIs come from a cryptographic hash (Python's hash() of a str is salted
per process). Everything that cannot cross hosts is refused for the whole
lab, on every host alike, before anything is read or changed.

Pure Python (no Ansible imports), like presets.py, so that the
`lab_share` and `lab_placement` filters run it on the controller.
"""

from __future__ import annotations

import hashlib
import heapq
import ipaddress
import re
from collections import deque

PLACEMENTS = ('none', 'balanced', 'compact')
TUNNELS = ('vxlan', 'geneve')
# IANA's ports (the kernel's own vxlan default, 8472, predates IANA's)
TUNNEL_PORTS = {'vxlan': 4789, 'geneve': 6081}
DEFAULT_MTU = 1500
# outer IP header + UDP 8 + VXLAN/GENEVE 8 (without options) + the inner
# Ethernet header 14: 20 + 30 over IPv4, 40 + 30 over IPv6
OVERHEAD = {4: 50, 6: 70}
VNI_MAX = 2 ** 24 - 1
# a lab takes its VNIs in [vni_base, vni_base + VNI_SPAN): labs spread over
# the same hosts share each host's UDP port and need disjoint ranges
VNI_SPAN = 2 ** 16
DEFAULT_VNI_BASE = 100000
# the smallest MTU of a link (IPv4's minimum), and of an underlay
MIN_LAB_MTU = 68
MIN_UNDERLAY_MTU = {4: 576, 6: 1280}
IFNAMSIZ = 15
# the node of the root namespace a share adds when the description has
# none on the host (the tunnels' underlay): the first of these names free
UNDERLAY_NODE = 'underlay'
LAN_PORT_PREFIX = 'vx'

SPREAD_OPTIONS = dict(
    this_host=dict(type='str', required=True),
    hosts=dict(type='dict', required=True),
    placement=dict(type='str', default='none', choices=list(PLACEMENTS)),
    home=dict(type='str'),
    tunnel=dict(type='str', default='vxlan', choices=list(TUNNELS)),
    port=dict(type='int'),
    lan_port=dict(type='int'),
    vni_base=dict(type='int', default=DEFAULT_VNI_BASE),
)
HOST_KEYS = ('address', 'mtu')
_FIELD = re.compile(r'\b(nodes|bridges|links)\[(\d+)\]')


class SpreadError(ValueError):
    """A description that cannot be spread as given (the message names the field)."""


# --- the spread option --------------------------------------------------------

class Settings(object):
    """The `spread` option, checked: hosts sorted by name."""

    def __init__(self, spread):
        hosts = spread.get('hosts')
        if not isinstance(hosts, dict) or not hosts:
            raise SpreadError('spread.hosts: give at least one host (name: {address: ...})')
        hosts = dict((str(name), entry) for name, entry in hosts.items())
        self.hosts = sorted(hosts)
        self.address, self.mtu = {}, {}
        for name in self.hosts:
            self._host(name, hosts[name])
        families = sorted(set(_family(a) for a in self.address.values()))
        if len(families) > 1:
            raise SpreadError('spread.hosts: the underlay addresses mix IPv4 and IPv6; a '
                              'tunnel has one address family, so give all hosts one')
        self.family = families[0]
        # the placement does not need it (the filters may go without)
        self.this_host = spread.get('this_host')
        if self.this_host is not None:
            _a_host(self, self.this_host, 'spread.this_host')
        self.placement = spread.get('placement') or 'none'
        if self.placement not in PLACEMENTS:
            raise SpreadError('spread.placement: %r is not one of %s'
                              % (self.placement, ', '.join(PLACEMENTS)))
        self.home = _a_host(self, spread.get('home') or self.hosts[0], 'spread.home')
        self.tunnel = spread.get('tunnel') or 'vxlan'
        if self.tunnel not in TUNNELS:
            raise SpreadError('spread.tunnel: %r is not one of %s'
                              % (self.tunnel, ', '.join(TUNNELS)))
        self.port = _int(spread.get('port'), 'spread.port', 1, 65535,
                         TUNNEL_PORTS[self.tunnel])
        # a spread LAN is joined by vxlan whatever the tunnel of the links:
        # its flood entries (one port, every other host) have no geneve form
        self.lan_port = _int(spread.get('lan_port'), 'spread.lan_port', 1, 65535,
                             self.port if self.tunnel == 'vxlan' else TUNNEL_PORTS['vxlan'])
        if self.tunnel != 'vxlan' and self.lan_port == self.port:
            raise SpreadError('spread.lan_port: %d is also spread.port, the %s port; a UDP '
                              'port takes one kind of tunnel' % (self.port, self.tunnel))
        self.vni_base = _int(spread.get('vni_base'), 'spread.vni_base', 1,
                             VNI_MAX - VNI_SPAN + 1, DEFAULT_VNI_BASE)

    def _host(self, name, entry):
        field = 'spread.hosts.%s' % name
        if not isinstance(entry, dict):
            raise SpreadError('%s: %r is not a dict of address and mtu' % (field, entry))
        unknown = sorted(set(entry) - set(HOST_KEYS))
        if unknown:
            raise SpreadError('%s.%s: not a host setting; known: %s'
                              % (field, unknown[0], ', '.join(HOST_KEYS)))
        try:
            address = ipaddress.ip_address(str(entry.get('address')))
        except ValueError:
            raise SpreadError('%s.address: %r is not an IP address (the host\'s underlay '
                              'address)' % (field, entry.get('address')))
        if address.is_multicast or address.is_unspecified:
            raise SpreadError('%s.address: %s is not a unicast address' % (field, address))
        for other, known in self.address.items():
            if known == address.compressed:
                raise SpreadError('%s.address: %s is also the address of host %s'
                                  % (field, known, other))
        self.address[name] = address.compressed
        family = _family(address.compressed)
        self.mtu[name] = _int(entry.get('mtu'), field + '.mtu', MIN_UNDERLAY_MTU[family],
                              65535, DEFAULT_MTU)

    def limit(self, hosts):
        """The largest MTU of a lab link between `hosts`: the smallest of
        their underlay MTUs, less the tunnel's overhead."""
        return min(self.mtu[h] for h in hosts) - OVERHEAD[self.family]

    def limit_text(self, hosts):
        smallest = min(hosts, key=lambda h: (self.mtu[h], h))
        return ('the most a link between hosts %s carries (the underlay MTU %d of host %s '
                'less %d bytes of %s over IPv%d)'
                % (' and '.join(hosts), self.mtu[smallest], smallest,
                   OVERHEAD[self.family], self.tunnel, self.family))


def _a_host(settings, name, field):
    if name not in settings.hosts:
        raise SpreadError('%s: %r is not a host of spread.hosts (%s)'
                          % (field, name, ', '.join(settings.hosts)))
    return name


def _family(address):
    return 6 if ':' in address else 4


def _int(value, field, low, high, default):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpreadError('%s: %r is not an integer' % (field, value))
    if not low <= value <= high:
        raise SpreadError('%s: %d is not between %d and %d' % (field, value, low, high))
    return value


# --- the description, indexed ---------------------------------------------------

class Description(object):
    """The nodes, bridges and links of a description, and where each veth
    end and device lives (its node, and for a bridge port its bridge)."""

    def __init__(self, params):
        self.nodes = list(params.get('nodes') or [])
        self.bridges = list(params.get('bridges') or [])
        self.links = list(params.get('links') or [])
        self.node_names = {}
        for pos, node in enumerate(self.nodes):
            if node.get('name') in self.node_names:
                raise SpreadError('nodes[%d].name: node %r is listed twice'
                                  % (pos, node.get('name')))
            self.node_names[node.get('name')] = pos
        self.bridges_by_name = {}
        for pos, bridge in enumerate(self.bridges):
            self._node(bridge.get('node'), 'bridges[%d].node' % pos)
            self.bridges_by_name.setdefault(bridge.get('name'), []).append(pos)
        # per veth link: two (node, bridge position or None)
        self.ends = {}
        self.devices = {}           # (node, name) of a single-device link -> position
        for pos, link in enumerate(self.links):
            field = 'links[%d]' % pos
            if (link.get('kind') or 'veth') == 'veth':
                endpoints = link.get('endpoints') or []
                if len(endpoints) != 2:
                    raise SpreadError('%s.endpoints: a veth link has exactly two endpoints '
                                      '(%d given)' % (field, len(endpoints)))
                self.ends[pos] = [self._end(ep, '%s.endpoints[%d]' % (field, side))
                                  for side, ep in enumerate(endpoints)]
            else:
                self._node(link.get('node'), field + '.node')
                self.devices[(link['node'], link.get('name'))] = pos

    def _node(self, name, field):
        if name not in self.node_names:
            raise SpreadError('%s: unknown node %r (not in nodes)' % (field, name))
        return name

    def _end(self, endpoint, field):
        """(node, bridge position or None), as the model resolves an end."""
        if not endpoint.get('bridge'):
            return self._node(endpoint.get('node'), field + '.node'), None
        found = [pos for pos in self.bridges_by_name.get(endpoint['bridge'], ())
                 if not endpoint.get('node') or self.bridges[pos]['node'] == endpoint['node']]
        if len(found) != 1:
            raise SpreadError('%s.bridge: %s bridge %r%s' % (
                field, 'unknown' if not found else 'ambiguous', endpoint['bridge'],
                ' (add node: to say which)' if found else ' (not in bridges)'))
        return self.bridges[found[0]]['node'], found[0]


# --- placement -------------------------------------------------------------------

def _weight(node, field):
    return _int(node.get('weight'), field + '.weight', 1, 2 ** 31 - 1, 1)


def _place(desc, settings):
    """node -> host: pinned nodes (`host:`) where they say; the root node and
    external namespaces (which exist on one host) at home; the others at
    home, or balanced by weight, or compact."""
    where, free, weights = {}, [], {}
    for pos, node in enumerate(desc.nodes):
        field = 'nodes[%d]' % pos
        weights[node['name']] = _weight(node, field)
        if node.get('host') is not None:
            where[node['name']] = _a_host(settings, node['host'], field + '.host')
        elif node.get('root') or node.get('external') or settings.placement == 'none':
            where[node['name']] = settings.home
        else:
            free.append(node['name'])
    if free and settings.placement == 'balanced':
        _balanced(settings.hosts, free, weights, where)
    elif free:
        _compact(settings.hosts, desc, free, weights, where)
    return where


def _loads(hosts, weights, where):
    loads = dict((host, 0) for host in hosts)
    for name, host in where.items():
        loads[host] += weights[name]
    return loads


def _balanced(hosts, free, weights, where):
    """Heaviest first, each on the least loaded host (ties: the first by
    name): within one node's weight of an even spread."""
    loads = _loads(hosts, weights, where)
    heap = [(loads[host], index) for index, host in enumerate(hosts)]
    heapq.heapify(heap)
    for name in sorted(free, key=lambda n: (-weights[n], n)):
        load, index = heapq.heappop(heap)
        where[name] = hosts[index]
        heapq.heappush(heap, (load + weights[name], index))


def _compact(hosts, desc, free, weights, where):
    """Greedy graph growing: host after host, a region grows from the
    host's pinned nodes (or the free node with the fewest links) by the free
    node with the most links into the region less its links elsewhere, up
    to an even share of the weight; the last host takes the rest. Nodes
    with one neighbour (a LAN's hosts, then the LAN's switch) are merged
    into it first, so that a LAN stays whole where it fits."""
    graph = _graph(desc)
    loads = _loads(hosts, weights, where)
    target = (sum(loads.values()) + sum(weights[n] for n in free)) / float(len(hosts))
    groups, weights = _stubs_merged(graph, free, weights, target)
    unplaced = set(groups)
    seeds = _Seeds(sorted(groups, key=lambda n: (sum(graph[n].values()), n)), unplaced)
    for index, host in enumerate(hosts):
        if index == len(hosts) - 1:
            for name in unplaced:
                where[name] = host
            break
        # an even share of what is left, so that rounding does not pile up
        # on the last host
        target = (sum(loads[h] for h in hosts[index:]) +
                  sum(weights[n] for n in unplaced)) / float(len(hosts) - index)
        region = _Region(graph, unplaced)
        for name in [n for n, h in where.items() if h == host]:
            region.take(name)
        while unplaced:
            name = region.best() or seeds.next()
            if loads[host] and loads[host] + weights[name] / 2.0 > target:
                break  # past the middle of the node: the next host takes it
            region.take(name)
            unplaced.discard(name)
            where[name] = host
            loads[host] += weights[name]
    for name, members in groups.items():
        for member in members:
            where[member] = where[name]


def _stubs_merged(graph, free, weights, target):
    """({group: its free nodes}, weights of the groups), a free node with
    one neighbour merged into that neighbour (when free, and while the
    group stays within `target`); `graph` loses the merged nodes' links."""
    groups = dict((name, [name]) for name in free)
    weights = dict(weights)
    queue = deque(sorted(n for n in free if len(graph[n]) == 1))
    while queue:
        name = queue.popleft()
        if name not in groups or len(graph[name]) != 1:
            continue
        other = next(iter(graph[name]))
        if other not in groups or weights[other] + weights[name] > target:
            continue
        groups[other].extend(groups.pop(name))
        weights[other] += weights[name]
        del graph[other][name]
        if len(graph[other]) == 1:
            queue.append(other)
    return groups, weights


class _Seeds(object):
    """The first unplaced node of a fixed order (each node passed once)."""

    def __init__(self, order, unplaced):
        self.order = order
        self.unplaced = unplaced
        self.at = 0

    def next(self):
        while self.order[self.at] not in self.unplaced:
            self.at += 1
        return self.order[self.at]


class _Region(object):
    """The candidates of a growing region: free nodes by their links into
    it less their other links (a heap, stale entries skipped)."""

    def __init__(self, graph, unplaced):
        self.graph = graph
        self.unplaced = unplaced
        self.inside = {}
        self.heap = []

    def gain(self, name):
        return 2 * self.inside.get(name, 0) - sum(self.graph[name].values())

    def take(self, name):
        for other, count in self.graph[name].items():
            if other in self.unplaced and other != name:
                self.inside[other] = self.inside.get(other, 0) + count
                heapq.heappush(self.heap, (-self.gain(other), other))

    def best(self):
        while self.heap:
            gain, name = self.heap[0]
            if name in self.unplaced and -gain == self.gain(name):
                return name
            heapq.heappop(self.heap)
        return None


def _graph(desc):
    """node -> {neighbour: links}: veth links (a bridge port's end is the
    bridge's node), and a device with its parent's (underlay's) node."""
    graph = dict((name, {}) for name in desc.node_names)
    for pos, link in enumerate(desc.links):
        if pos in desc.ends:
            pair = [node for node, _bridge in desc.ends[pos]]
        else:
            pair = [link['node'], link.get('parent_node') or link['node']]
        if pair[0] != pair[1] and pair[1] in graph:
            for one, other in (pair, pair[::-1]):
                graph[one][other] = graph[one].get(other, 0) + 1
    return graph


# --- the plan ---------------------------------------------------------------------

class Plan(object):
    """The whole lab's spread, the same on every host."""

    def __init__(self, settings, desc, where):
        self.settings = settings
        self.desc = desc
        self.where = where          # node -> host
        self.link_host = {}         # link position -> the host that builds it whole
        self.crossing = {}          # veth link position -> (host of end 0, of end 1)
        self.lans = {}              # bridge position -> sorted hosts with the LAN
        self.moved = {}             # (switch node, ifname) -> host of a LAN port built away
        self.vnis = {}              # ('link', pos) or ('lan', bridge pos) -> VNI


def plan(params):
    """The Plan of a description with `spread` (a SpreadError says what
    cannot be spread, with its field)."""
    settings = Settings(params['spread'])
    desc = Description(params)
    where = _place(desc, settings)
    result = Plan(settings, desc, where)
    for pos, link in enumerate(desc.links):
        if pos in desc.ends:
            _veth(result, pos)
        else:
            result.link_host[pos] = where[link['node']]
    for pos, bridge in enumerate(desc.bridges):
        hosts = result.lans.get(pos)
        if hosts is not None:
            hosts.add(where[bridge['node']])
            result.lans[pos] = sorted(hosts)
    _cannot_cross(result)
    _allocate_vnis(result)
    _check_mtus(result)
    return result


def _veth(result, pos):
    """A veth link: whole on one host, a LAN member built at the member's
    host (the LAN spreads), or crossing hosts (a tunnel at each end)."""
    (node0, bridge0), (node1, bridge1) = result.desc.ends[pos]
    host0, host1 = result.where[node0], result.where[node1]
    if host0 == host1:
        result.link_host[pos] = host0
        return
    if (bridge0 is None) == (bridge1 is None):
        result.crossing[pos] = (host0, host1)
        return
    # one end is a bridge port: the pair is made at the other end's host,
    # where the LAN gets a copy of its bridge
    side = 0 if bridge0 is not None else 1
    bridge, member_host = (bridge0, host1) if side == 0 else (bridge1, host0)
    result.link_host[pos] = member_host
    result.lans.setdefault(bridge, set()).add(member_host)
    endpoint = result.desc.links[pos]['endpoints'][side]
    result.moved[(result.desc.bridges[bridge]['node'], endpoint['name'])] = member_host


def _cannot_cross(result):
    """A device and its parent or underlay, a master and its ports, a
    wireguard link and a peer named by reference live on one host."""
    desc, where = result.desc, result.where
    for pos, link in enumerate(desc.links):
        if pos in desc.ends:
            continue
        field, host = 'links[%d]' % pos, where[link['node']]
        parent_node = link.get('parent_node')
        if parent_node in where and where[parent_node] != host:
            raise SpreadError('%s.parent_node: node %s is on host %s, and node %s of the link '
                              'on host %s; a device and its parent (or underlay) must be on '
                              'one host' % (field, parent_node, where[parent_node],
                                            link['node'], host))
        for index, port in enumerate(link.get('ports') or []):
            name = port.get('name') if isinstance(port, dict) else port
            away = result.moved.get((link['node'], name))
            if away is not None:
                raise SpreadError('%s.ports[%d]: %s is built on host %s (with its LAN '
                                  'member), %s on host %s; a port cannot cross hosts'
                                  % (field, index, name, away, link['name'], host))
        peers = (link.get('options') or {}).get('peers') or []
        for index, peer in enumerate(peers):
            ref = peer.get('peer') if isinstance(peer, dict) else None
            if isinstance(ref, dict) and where.get(ref.get('node'), host) != host:
                raise SpreadError(
                    '%s.options.peers[%d].peer: %s in node %s is on host %s, this link on '
                    'host %s; name a peer on another host by its public_key (and endpoint), '
                    'as its key file and its kernel state are on that host'
                    % (field, index, ref.get('name'), ref['node'], where[ref['node']], host))


def _link_key(desc, pos):
    endpoints = desc.links[pos]['endpoints']
    ends = [(node, ep['name']) for (node, _b), ep in zip(desc.ends[pos], endpoints)]
    return 'link\0' + '\0'.join('%s\0%s' % end for end in sorted(ends))


def _allocate_vnis(result):
    """A VNI per crossing link and per spread LAN, from a hash of the link's
    ends (the LAN's bridge), the next free one on a collision (keys in
    sorted order): the same on every host, and unchanged for the other
    links when one is added or removed (unless it collided)."""
    desc, base = result.desc, result.settings.vni_base
    keys = [(_link_key(desc, pos), ('link', pos)) for pos in result.crossing]
    keys += [('lan\0%s\0%s' % (desc.bridges[pos]['node'], desc.bridges[pos]['name']),
              ('lan', pos)) for pos in result.lans]
    if len(keys) > VNI_SPAN:
        raise SpreadError('spread.vni_base: the lab needs %d VNIs (links and LANs crossing '
                          'hosts), more than the %d of its range' % (len(keys), VNI_SPAN))
    taken = set()
    for text, key in sorted(keys):
        slot = int(hashlib.sha256(text.encode('utf-8')).hexdigest()[:8], 16) % VNI_SPAN
        while slot in taken:
            slot = (slot + 1) % VNI_SPAN
        taken.add(slot)
        result.vnis[key] = base + slot


def _check_mtus(result):
    """A user MTU above what the tunnel carries is refused (packets of that
    size would be dropped, silently, on the underlay)."""
    settings, desc = result.settings, result.desc
    for pos, hosts in result.crossing.items():
        for side, endpoint in enumerate(desc.links[pos]['endpoints']):
            _mtu(settings, endpoint.get('mtu'), sorted(set(hosts)),
                 'links[%d].endpoints[%d].mtu' % (pos, side))
    for pos, hosts in result.lans.items():
        _mtu(settings, desc.bridges[pos].get('mtu'), hosts, 'bridges[%d].mtu' % pos)
    for pos, link in enumerate(desc.links):
        lan = _lan_of_link(result, pos)
        if lan is None:
            continue
        for field, entry in _mtu_fields(link, pos):
            _mtu(settings, entry.get('mtu'), result.lans[lan], field)


def _lan_of_link(result, pos):
    """The spread LAN a link is a port of (a veth end or a device), or None."""
    desc = result.desc
    if pos in desc.ends:
        for _node, bridge in desc.ends[pos]:
            if bridge in result.lans:
                return bridge
        return None
    link = desc.links[pos]
    if not link.get('bridge'):
        return None
    for bridge in desc.bridges_by_name.get(link['bridge'], ()):
        if desc.bridges[bridge]['node'] == link['node'] and bridge in result.lans:
            return bridge
    return None


def _mtu_fields(link, pos):
    if link.get('endpoints') and (link.get('kind') or 'veth') == 'veth':
        return [('links[%d].endpoints[%d].mtu' % (pos, side), ep)
                for side, ep in enumerate(link['endpoints'])]
    return [('links[%d].mtu' % pos, link)]


def _mtu(settings, given, hosts, field):
    limit = settings.limit(hosts)
    if given is None:
        return limit
    if given > limit:
        raise SpreadError('%s: %d is above %d, %s; lower it, leave it out, or raise the '
                          'underlay MTU (spread.hosts.<host>.mtu)'
                          % (field, given, limit, settings.limit_text(hosts)))
    return given


# --- a host's share -----------------------------------------------------------------

def placement(params):
    """node -> host of every node of a description with `spread` (without
    it, no node has a host: an empty dict)."""
    if not params.get('spread'):
        _no_hosts(params)
        return {}
    return dict(plan(params).where)


def share(params, host=None):
    """The description `host` (default spread.this_host) builds: the whole
    description when there is no `spread` (unchanged, the same object)."""
    return share_with_origin(params, host)[0]


def share_with_origin(params, host=None):
    """(the share, {field in the share: field in the description}), so that
    an error the model finds in the share names the user's field."""
    if params.get('state') == 'absent':
        return params, {}
    if not params.get('spread'):
        _no_hosts(params)
        return params, {}
    result = plan(params)
    if host is None:
        host = _a_host(result.settings, result.settings.this_host, 'spread.this_host')
    else:
        host = _a_host(result.settings, host, 'host')
    return Share(result, host).build(params)


def _no_hosts(params):
    for pos, node in enumerate(params.get('nodes') or []):
        if node.get('host') is not None:
            raise SpreadError('nodes[%d].host: a node\'s host needs spread (the hosts of '
                              'the lab, their underlay addresses, and which one this run '
                              'builds)' % pos)


def user_fields(message, origin):
    """`message` (of the model, about a share) with each field of the
    share replaced by the user's."""
    return _FIELD.sub(lambda match: origin.get(match.group(0), match.group(0)), message)


class Share(object):
    """One host's part of a Plan, as a plain description."""

    def __init__(self, result, host):
        self.plan = result
        self.desc = result.desc
        self.settings = result.settings
        self.host = host
        self.origin = {}
        self.nodes, self.bridges, self.links = [], [], []
        self.underlay = None

    def build(self, params):
        self._nodes()
        self._bridges()
        for pos in range(len(self.desc.links)):
            self._link(pos)
        for pos, hosts in sorted(self.plan.lans.items()):
            if self.host in hosts:
                self._lan_port(pos, hosts)
        description = dict((key, value) for key, value in params.items()
                           if key not in ('spread', 'generate', 'expect'))
        description.update(nodes=self.nodes, bridges=self.bridges, links=self.links)
        return description, self.origin

    def _add(self, kind, entries, entry, source):
        self.origin['%s[%d]' % (kind, len(entries))] = source
        entries.append(entry)

    def _nodes(self):
        here = self.host
        # switches with a LAN copy here, their home elsewhere
        copies = set(self.desc.bridges[pos]['node'] for pos, hosts in self.plan.lans.items()
                     if here in hosts)
        for pos, node in enumerate(self.desc.nodes):
            name = node['name']
            if self.plan.where[name] == here:
                entry = dict((k, v) for k, v in node.items() if k not in ('host', 'weight'))
                if entry.get('root') and self.underlay is None:
                    self.underlay = name
                self._add('nodes', self.nodes, entry, 'nodes[%d]' % pos)
            elif name in copies:
                self._add('nodes', self.nodes, {'name': name}, 'nodes[%d]' % pos)
        if self.underlay is None and self._needs_underlay():
            self.underlay = _free_name(UNDERLAY_NODE, self.desc.node_names)
            self._add('nodes', self.nodes, {'name': self.underlay, 'root': True},
                      'spread (the root namespace of host %s, the tunnels\' underlay)'
                      % here)

    def _needs_underlay(self):
        return any(self.host in hosts for hosts in self.plan.crossing.values()) or \
            any(self.host in hosts for hosts in self.plan.lans.values())

    def _bridges(self):
        for pos, bridge in enumerate(self.desc.bridges):
            home = self.plan.where[bridge['node']] == self.host
            hosts = self.plan.lans.get(pos)
            if not home and (hosts is None or self.host not in hosts):
                continue
            entry = dict(bridge)
            if hosts is not None:
                entry['mtu'] = _mtu(self.settings, bridge.get('mtu'), hosts, '')
                if not home:
                    # one gateway and one MAC address on the LAN: the home's
                    entry['addresses'] = []
                    entry.pop('mac_address', None)
            self._add('bridges', self.bridges, entry, 'bridges[%d]' % pos)

    def _link(self, pos):
        link = self.desc.links[pos]
        source = 'links[%d]' % pos
        if pos in self.plan.crossing:
            for side, host in enumerate(self.plan.crossing[pos]):
                if host == self.host:
                    self._add('links', self.links, self._tunnel(pos, side),
                              '%s.endpoints[%d]' % (source, side))
            return
        if self.plan.link_host[pos] != self.host:
            return
        lan = _lan_of_link(self.plan, pos)
        if lan is not None:
            link = self._lan_mtus(link, pos, self.plan.lans[lan])
        self._add('links', self.links, link, source)

    def _lan_mtus(self, link, pos, hosts):
        if pos in self.desc.ends:
            endpoints = [dict(ep, mtu=_mtu(self.settings, ep.get('mtu'), hosts, ''))
                         for ep in link['endpoints']]
            return dict(link, endpoints=endpoints)
        return dict(link, mtu=_mtu(self.settings, link.get('mtu'), hosts, ''))

    def _tunnel(self, pos, side):
        """The end `side` of a crossing veth link, as a tunnel in its node."""
        endpoint = self.desc.links[pos]['endpoints'][side]
        node, bridge = self.desc.ends[pos][side]
        hosts = self.plan.crossing[pos]
        other = hosts[1 - side]
        entry = {'kind': self.settings.tunnel, 'node': node, 'name': endpoint['name'],
                 'addresses': list(endpoint.get('addresses') or []),
                 'mtu': _mtu(self.settings, endpoint.get('mtu'), sorted(set(hosts)), ''),
                 'parent_node': self.underlay,
                 'options': {'vni': self.plan.vnis[('link', pos)],
                             'remote': self.settings.address[other],
                             'dstport': self.settings.port}}
        if self.settings.tunnel == 'vxlan':
            # a geneve has no source address setting: the route picks it
            entry['options']['local'] = self.settings.address[self.host]
        for key in ('mac_address', 'impairment'):
            if endpoint.get(key) is not None:
                entry[key] = endpoint[key]
        if bridge is not None:
            entry['bridge'] = self.desc.bridges[bridge]['name']
        return entry

    def _lan_port(self, pos, hosts):
        """The LAN's tunnel port on its bridge here: flooded to every other
        host of the LAN by static entries (00:00:00:00:00:00), no multicast;
        unicast MAC addresses are learned from the traffic."""
        bridge = self.desc.bridges[pos]
        vni = self.plan.vnis[('lan', pos)]
        name = '%s%d' % (LAN_PORT_PREFIX, vni)
        taken = self.desc.devices.get((bridge['node'], name))
        if taken is not None:
            raise SpreadError('links[%d].name: %s in node %s is the name of the tunnel '
                              'port of the spread LAN of bridges[%d]; rename it'
                              % (taken, name, bridge['node'], pos))
        entry = {'kind': 'vxlan', 'node': bridge['node'], 'name': name,
                 'bridge': bridge['name'], 'mtu': self.settings.limit(hosts),
                 'parent_node': self.underlay,
                 'options': {'vni': vni, 'local': self.settings.address[self.host],
                             'dstport': self.settings.lan_port,
                             'fdb': [{'dst': self.settings.address[other]}
                                     for other in hosts if other != self.host]}}
        self._add('links', self.links, entry,
                  'spread (the tunnel port of the LAN of bridges[%d])' % pos)


def _free_name(name, taken):
    candidate, number = name, 0
    while candidate in taken:
        number += 1
        candidate = '%s-%d' % (name, number)
    return candidate


__all__ = ['SPREAD_OPTIONS', 'SpreadError', 'Plan', 'plan', 'placement', 'share',
           'share_with_origin', 'user_fields']
