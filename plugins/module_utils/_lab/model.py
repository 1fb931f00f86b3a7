# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology description: argument spec, input checks, and the model.

The user's description (nodes, bridges, links) is checked as a whole before
anything is read or changed, and every message names the field path
(`links[3].endpoints[1].node: unknown node 'r9'`). The result is a Lab: a
flat, ordered set of namespaces and interfaces that the planner compares
with the kernel.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.vnet.linux.plugins.module_utils._engine import strict, validate
from ansible_collections.vnet.linux.plugins.module_utils._kinds import bond as bond_rules
from ansible_collections.vnet.linux.plugins.module_utils._kinds.lower import TAP_KINDS
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    BRIDGE,
    VETH,
    link_kinds,
    no_mac_text,
    spec_of,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.generate import GENERATE_OPTIONS
from ansible_collections.vnet.linux.plugins.module_utils._lab.spread import SPREAD_OPTIONS
from ansible_collections.vnet.linux.plugins.module_utils._lab import vm as vm_nodes
from ansible_collections.vnet.linux.plugins.module_utils._netlink import netem, rtnl, tapdev
from ansible_collections.vnet.linux.plugins.module_utils._kinds.teamd import TEAMD_SPEC, build_config
from ansible_collections.vnet.linux.plugins.module_utils._kinds import wireguard
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import sysctl_path

InputError = validate.InputError

MARK_PREFIX = 'vnet:'
_LAB_NAME = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')

# Kinds of `links` entries, and how each is laid out, come from the kind
# specs (specs.py): a kind added there is a lab kind without edits here.
LINK_KINDS = tuple(link_kinds())
# single-device links are created in this order: plain devices (which may
# be ports), then masters (teamd takes its ports as it starts), then links
# stacked on a parent (which may be any of them)
_CREATION_ORDER = {'device': 0, 'ports': 1, 'stacked': 2}
kind_spec = spec_of
# Former names of kinds, still accepted (with a deprecation warning): a team
# was `teamd` (its daemon's name) in release 1.0; it is `team` as for the
# kernel, `ip link` and topology_info.
KIND_ALIASES = {'teamd': ('team', '2.0.0')}


# --- argument spec (documented option by option in the module) -------------

# every netem setting of the one codec (what topology_info reads back, and
# what the impairment module sets at run time)
IMPAIRMENT_OPTIONS = netem.OPTION_SPEC

ENDPOINT_OPTIONS = dict(
    node=dict(type='str'),
    bridge=dict(type='str'),
    name=dict(type='str', required=True),
    addresses=dict(type='list', elements='str', default=[]),
    mtu=dict(type='int'),
    mac_address=dict(type='str'),
    impairment=dict(type='dict', options=IMPAIRMENT_OPTIONS),
)

ROUTE_OPTIONS = dict(
    dst=dict(type='str', required=True),
    via=dict(type='str'),
    dev=dict(type='str'),
    metric=dict(type='int'),
    table=dict(type='int'),
    vrf=dict(type='str'),
)
# the kernel's tables a route can name: main is where a route without a
# table goes; local is the kernel's own (addresses of the namespace)
RT_TABLE_MAIN, RT_TABLE_LOCAL = rtnl.RT_TABLE_MAIN, rtnl.RT_TABLE_LOCAL

NODE_OPTIONS = dict(
    name=dict(type='str', required=True),
    external=dict(type='bool', default=False),
    root=dict(type='bool', default=False),
    # a namespace outside the lab's: pid:, path:, container: (external)
    netns=dict(type='str'),
    sysctls=dict(type='dict', default={}),
    loopback=dict(type='list', elements='str', default=[]),
    routes=dict(type='list', elements='dict', default=[], options=ROUTE_OPTIONS),
    # where the node lives when the lab is spread over hosts (spread.py)
    host=dict(type='str'),
    weight=dict(type='int', default=1),
    # a QEMU virtual machine on the node's macvtap (vm.py)
    vm=dict(type='dict', options=vm_nodes.VM_OPTIONS),
)

BRIDGE_SETTINGS = tuple(option.name for option in BRIDGE.options)

BRIDGE_OPTIONS = dict(
    BRIDGE.argument_spec(),
    name=dict(type='str', required=True),
    node=dict(type='str', required=True),
    mtu=dict(type='int'),
    mac_address=dict(type='str'),
    addresses=dict(type='list', elements='str', default=[]),
)

LINK_OPTIONS = dict(
    kind=dict(type='str', default='veth', choices=list(LINK_KINDS) + sorted(KIND_ALIASES)),
    endpoints=dict(type='list', elements='dict', options=ENDPOINT_OPTIONS),
    node=dict(type='str'),
    name=dict(type='str'),
    bridge=dict(type='str'),
    addresses=dict(type='list', elements='str', default=[]),
    mtu=dict(type='int'),
    mac_address=dict(type='str'),
    parent=dict(type='str'),
    parent_node=dict(type='str'),
    mode=dict(type='str'),
    # a name, or (bond ports) a dict of name, prio and queue_id: checked in _ports
    ports=dict(type='list', elements='raw', default=[]),
    options=dict(type='dict', default={}),
    runner=dict(type='str'),
    impairment=dict(type='dict', options=IMPAIRMENT_OPTIONS),
    device_owner=dict(type='str'),
    device_group=dict(type='str'),
    device_mode=dict(type='str'),
)
TAP_DEVICE_KEYS = ('owner', 'group', 'mode')

TOPOLOGY_SPEC = dict(
    lab=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    prune=dict(type='bool', default=False),
    verify=dict(type='bool', default=True),
    allow_disruptive=dict(type='bool', default=False),
    allow_port_takeover=dict(type='bool', default=False),
    allow_collateral=dict(type='bool', default=False),
    lock_timeout=dict(type='int', default=300),
    report=dict(type='str', default='auto', choices=['auto', 'full', 'summary']),
    persist=dict(type='bool', default=False),
    nodes=dict(type='list', elements='dict', default=[], options=NODE_OPTIONS),
    bridges=dict(type='list', elements='dict', default=[], options=BRIDGE_OPTIONS),
    links=dict(type='list', elements='dict', default=[], options=LINK_OPTIONS),
    generate=dict(type='dict', options=GENERATE_OPTIONS),
    spread=dict(type='dict', options=SPREAD_OPTIONS),
)


# --- the model ---------------------------------------------------------------

class Node(object):
    """A network namespace of the lab (or an external one it uses)."""

    def __init__(self, name, netns, external, sysctls, loopback, routes, field):
        self.name = name
        self.netns = netns          # None: the root namespace
        self.external = external    # True: used, never created, marked or removed
        self.sysctls = sysctls      # key -> (path, value)
        self.loopback = loopback    # CIDRs on lo
        self.routes = routes        # list of Route
        self.field = field
        self.vm = None              # a VM node: its vm.Vm


class Route(object):
    def __init__(self, dst, via, dev, metric, field, table=None, vrf=None):
        self.dst = dst              # canonical network, or 'default' / 'default6'
        self.via = via
        self.dev = dev
        self.metric = metric
        self.field = field
        self.table = table          # None: the main table
        self.vrf = vrf              # the VRF of the node whose table it is (or None)

    @property
    def family(self):
        if self.dst in ('default', 'default6'):
            return 10 if self.dst == 'default6' or (self.via and ':' in self.via) else 2
        return 10 if ':' in self.dst else 2

    @property
    def key(self):
        # the kernel gives IPv6 routes metric 1024 when none is asked for
        return (self.family, self.prefix, self.metric or (1024 if self.family == 10 else 0),
                self.table or RT_TABLE_MAIN)

    @property
    def prefix(self):
        """(network, prefixlen) as the kernel reports it."""
        if self.dst.startswith('default'):
            return ('::' if self.family == 10 else '0.0.0.0', 0)
        net = ipaddress.ip_network(self.dst)
        return (str(net.network_address), net.prefixlen)

    def describe(self):
        out = {'dst': 'default' if self.dst.startswith('default') else self.dst}
        if self.via:
            out['via'] = self.via
        if self.dev:
            out['dev'] = self.dev
        if self.metric:
            out['metric'] = self.metric
        if self.vrf:
            out['vrf'] = self.vrf
        elif self.table:
            out['table'] = self.table
        return out


class Iface(object):
    """One interface the lab owns, in one node."""

    def __init__(self, node, name, kind, field):
        self.node = node
        self.name = name
        self.kind = kind
        self.spec = spec_of(kind)
        self.field = field
        self.attrs = {}            # mtu, mac_address
        self.options = {}          # kind options (user units)
        self.addresses = []
        self.master = None         # bridge or bond in the same node
        self.peer = None           # veth: the other Iface
        self.primary = False       # veth: the end whose request creates the pair
        self.parent = None         # stacked kinds: (node, ifname); tunnels: (underlay node,
        #                            ifname or None)
        self.ports = []            # bond: port names in the same node
        self.port_settings = {}    # bond: port name -> {prio, queue_id} given
        self.port_options = {}     # a bond port: its settings in the bond
        self.impairment = None
        self.teamd_config = None   # teamd: the configuration teamd runs with
        self.wireguard = None      # wireguard: its Settings (keys, port, peers)
        self.device = None         # macvtap/ipvtap: owner, group, mode of the device node

    @property
    def key(self):
        return (self.node, self.name)

    def field_of(self, option):
        """Where the user wrote a kind option: bridge settings and a link's
        mode are fields of their entry, other kind options are in `options`."""
        if self.kind == 'bridge' or option == 'mode':
            return '%s.%s' % (self.field, option)
        return '%s.options.%s' % (self.field, option)

    def label(self):
        return '%s %s in node %s' % (self.kind, self.name, self.node)


class Lab(object):
    def __init__(self, name, state, prune):
        self.name = name
        self.state = state
        self.prune = prune
        self.nodes = {}            # name -> Node, in input order
        self.ifaces = {}           # (node, name) -> Iface, in dependency order
        self._by_netns = None
        self.deprecations = []     # (message, version) for input written the old way
        self.warnings = []         # (state absent) nodes whose namespace is gone

    @property
    def mark(self):
        return MARK_PREFIX + self.name

    def node_of_netns(self, netns):
        # built once, after build() has added every node
        if self._by_netns is None:
            self._by_netns = dict((node.netns, node) for node in self.nodes.values())
        return self._by_netns.get(netns)


def lab_name(value):
    if not isinstance(value, str) or not _LAB_NAME.match(value):
        raise InputError('lab: %r must be 1 to 64 characters of letters, digits, '
                         '"_", "." or "-" (it is written into interface aliases)'
                         % (value,))
    return value


def build(params):
    """Check the whole description and return the Lab it describes."""
    lab = Lab(lab_name(params['lab']), params['state'], params['prune'])
    if lab.state == 'absent':
        _referenced_nodes(lab, params.get('nodes') or [])
        return lab
    for pos, node in enumerate(params.get('nodes') or []):
        _add_node(lab, node, 'nodes[%d]' % pos)
    bridges = {}
    for pos, bridge in enumerate(params.get('bridges') or []):
        _add_bridge(lab, bridges, bridge, 'bridges[%d]' % pos)
    stacked = []
    for pos, link in enumerate(params.get('links') or []):
        field = 'links[%d]' % pos
        kind = _link_kind(lab, link, field)
        if kind == 'veth':
            _add_veth(lab, bridges, link, field)
        else:
            stacked.append((dict(link, kind=kind), field))
    # devices on top of others come after the links they may sit on,
    # whatever order the user wrote them in
    for link, field in sorted(stacked, key=lambda item: _CREATION_ORDER[
            spec_of(item[0]['kind']).layout]):
        _add_device(lab, bridges, link, field)
    bond_port_checks(lab)
    one_ipvlan_mode_per_parent(lab)
    wireguard_peer_checks(lab)
    vm_nodes.check(lab, params.get('nodes'))
    names = {}
    for node_name, name in lab.ifaces:
        names.setdefault(node_name, set()).add(name)
    for node in lab.nodes.values():
        _resolve_vrfs(lab, node)
        _check_routes(node, names.get(node.name, set()))
    return lab


def _link_kind(lab, link, field):
    """The link's kind, a former name translated (and deprecated)."""
    kind = link.get('kind') or 'veth'
    if kind in KIND_ALIASES:
        new, version = KIND_ALIASES[kind]
        lab.deprecations.append((
            '%s.kind: %r is the former name of kind %r; write kind: %s (the former name '
            'is accepted until release %s)' % (field, kind, new, new, version), version))
        kind = new
    return kind


def _add_node(lab, params, field):
    name = validate.namespace_name(params['name'], field + '.name')
    if name in lab.nodes:
        raise InputError('%s.name: node %r is listed twice' % (field, name))
    root = bool(params.get('root'))
    if root and any(n.netns is None for n in lab.nodes.values()):
        raise InputError('%s.root: only one node can be the root namespace' % field)
    sysctls = {}
    for key, value in (params.get('sysctls') or {}).items():
        try:
            path = sysctl_path(key)
        except ValueError:
            raise InputError('%s.sysctls: %r is not a per-namespace sysctl (only '
                             'net.* keys are)' % (field, key))
        sysctls[key] = (path, validate.sysctl_value(value, '%s.sysctls.%s' % (field, key)))
    loopback = validate.cidrs(params.get('loopback'), field + '.loopback')
    if loopback and (root or params.get('external')):
        raise InputError('%s.loopback: an external or root node is not the lab\'s; its lo '
                         'is left alone' % field)
    routes = []
    for pos, route in enumerate(params.get('routes') or []):
        routes.append(_route(route, '%s.routes[%d]' % (field, pos)))
    netns = None if root else name
    if params.get('netns') is not None:
        if root:
            raise InputError('%s.netns: a node is the root namespace (root) or the namespace '
                             'netns names, not both' % field)
        netns = _node_namespace(lab, name, params['netns'], field)
        if loopback:
            raise InputError('%s.loopback: a node given by netns is not the lab\'s; its lo '
                             'is left alone' % field)
    external = bool(params.get('external')) or root or params.get('netns') is not None
    lab.nodes[name] = Node(name, netns, external,
                           sysctls, loopback, routes, field)


def _node_namespace(lab, name, reference, field):
    """The namespace a node's `netns` reference resolves to (a container's,
    a process's, a file's): always external, one node per namespace. A
    refusal names the node too (a container that exited since the last run)."""
    try:
        netns = validate.namespace_reference(reference, field + '.netns')
    except InputError as err:
        raise InputError('%s.netns: node %s: %s' % (field, name, str(err).split(': ', 1)[1]))
    for other in lab.nodes.values():
        if other.netns == netns:
            raise InputError('%s.netns: %s is the namespace of node %r already'
                             % (field, reference, other.name))
    return netns


def _referenced_nodes(lab, nodes):
    """state absent: the nodes given by a `netns` reference, whose
    namespaces (outside /run/netns) the removal must visit for the lab's
    links. One that is gone (the container exited) is reported and
    skipped: its links went with it, and the rest is still removed."""
    for pos, params in enumerate(nodes):
        if params.get('netns') is None:
            continue
        field = 'nodes[%d]' % pos
        try:
            netns = validate.namespace_reference(params['netns'], field + '.netns')
        except validate.NamespaceGone as err:
            lab.warnings.append('node %s: its namespace is gone, and the lab\'s links in it '
                                'with it; the rest of the lab is removed (%s)'
                                % (params['name'], err))
            continue
        lab.nodes[params['name']] = Node(params['name'], netns, True, {}, [], [], field)


def _route(params, field):
    dst = str(params['dst']).strip()
    via = validate.ip_address(params['via'], field + '.via') if params.get('via') else None
    dev = validate.interface_name(params['dev'], field + '.dev') if params.get('dev') else None
    if not via and not dev:
        raise InputError('%s: a route needs via (a gateway) or dev (an interface)' % field)
    if dst == 'default':
        if via and ':' in via:
            dst = 'default6'
    else:
        try:
            dst = ipaddress.ip_network(dst, strict=True).with_prefixlen
        except ValueError:
            raise InputError('%s.dst: %r is not "default" or a network in CIDR form with '
                             'no host bits set (like 10.0.0.0/8)' % (field, params['dst']))
        if via and (':' in via) != (':' in dst):
            raise InputError('%s.via: %s and %s are of different IP versions'
                             % (field, via, dst))
    metric = validate.int_range(params.get('metric'), field + '.metric', 0, 2 ** 32 - 1)
    table = _route_table(params, field)
    return Route(dst, via, dev, metric, field, table=table, vrf=params.get('vrf'))


def _route_table(params, field):
    """The table a route names (None: main). A VRF's table is found once
    the node's links are known (_resolve_vrfs)."""
    table = params.get('table')
    if params.get('vrf') is not None:
        if table is not None:
            raise InputError('%s: give table or vrf, not both (a vrf names its table)' % field)
        validate.interface_name(params['vrf'], field + '.vrf')
    if table is None:
        return None
    if isinstance(table, bool) or not isinstance(table, int):
        raise InputError('%s.table: %r is not an integer' % (field, table))
    validate.int_range(table, field + '.table', 1, 2 ** 32 - 1)
    if table == RT_TABLE_LOCAL:
        raise InputError('%s.table: 255 is the local table, which is the kernel\'s own'
                         % field)
    return None if table == RT_TABLE_MAIN else table


def _node(lab, name, field, what='node'):
    if name is None:
        raise InputError('%s: required (the node the interface is in)' % field)
    if name not in lab.nodes:
        raise InputError('%s: unknown %s %r (not in nodes)' % (field, what, name))
    return lab.nodes[name]


def _claim(lab, iface):
    if iface.key in lab.ifaces:
        other = lab.ifaces[iface.key]
        raise InputError('%s.name: %s is already described in node %s at %s'
                         % (iface.field, iface.name, iface.node, other.field))
    if iface.name == 'lo':
        raise InputError('%s.name: lo is the loopback interface; use nodes[].loopback'
                         % iface.field)
    validate.own_link_name(iface.name, iface.field + '.name')
    lab.ifaces[iface.key] = iface


def _common(iface, params, field):
    if params.get('mtu') is not None:
        iface.attrs['mtu'] = validate.int_range(params['mtu'], field + '.mtu', 68,
                                                iface.spec.max_mtu)
    if params.get('mac_address') is not None:
        if iface.spec.fixed_mac:
            raise InputError('%s.mac_address: an %s always uses its parent\'s MAC address'
                             % (field, iface.kind))
        if iface.spec.no_mac:
            raise InputError(no_mac_text(field + '.mac_address', iface.kind))
        iface.attrs['mac_address'] = validate.mac_address(params['mac_address'],
                                                          field + '.mac_address')
    iface.addresses = validate.cidrs(params.get('addresses'), field + '.addresses')
    if params.get('impairment'):
        iface.impairment = impairment(params['impairment'], field + '.impairment')


def _add_bridge(lab, bridges, params, field):
    node = _node(lab, params['node'], field + '.node')
    name = validate.interface_name(params['name'], field + '.name')
    iface = Iface(node.name, name, 'bridge', field)
    _common(iface, params, field)
    settings = dict((k, params[k]) for k in BRIDGE_SETTINGS if params.get(k) is not None)
    iface.options = BRIDGE.check(settings, field_of=iface.field_of)
    _claim(lab, iface)
    bridges.setdefault(name, []).append(iface)


def _bridge_of(bridges, params, field):
    """The bridge an entry names as its master (None: no bridge)."""
    if not params.get('bridge'):
        return None
    candidates = bridges.get(params['bridge'], [])
    if params.get('node'):
        candidates = [b for b in candidates if b.node == params['node']]
    if not candidates:
        raise InputError('%s.bridge: unknown bridge %r%s (not in bridges)'
                         % (field, params['bridge'],
                            ' in node %r' % params['node'] if params.get('node') else ''))
    if len(candidates) > 1:
        raise InputError('%s.bridge: there are bridges %r in nodes %s; add node: to '
                         'say which' % (field, params['bridge'],
                                        ', '.join(b.node for b in candidates)))
    return candidates[0]


def _endpoint(lab, bridges, params, field):
    name = validate.interface_name(params['name'], field + '.name')
    bridge = _bridge_of(bridges, params, field)
    if bridge is not None:
        node_name = bridge.node
    else:
        node_name = _node(lab, params.get('node'), field + '.node').name
    iface = Iface(node_name, name, 'veth', field)
    _common(iface, params, field)
    if bridge is not None:
        iface.master = bridge.name
    return iface


def _add_veth(lab, bridges, params, field):
    endpoints = params.get('endpoints') or []
    if len(endpoints) != 2:
        raise InputError('%s.endpoints: a veth link has exactly two endpoints (%d given)'
                         % (field, len(endpoints)))
    _no_single_options(params, field, 'veth')
    _no_ports(params, field, 'veth')
    first, second = [_endpoint(lab, bridges, ep, '%s.endpoints[%d]' % (field, pos))
                     for pos, ep in enumerate(endpoints)]
    first.peer, second.peer = second, first
    # the request that creates the pair is sent for the bridge port end, so
    # that it is enslaved in the same request
    primary = second if second.master and not first.master else first
    primary.primary = True
    for iface in (first, second):
        _claim(lab, iface)


def _no_single_options(params, field, kind):
    for key in ('node', 'name', 'bridge', 'parent', 'parent_node', 'mode', 'runner',
                'device_owner', 'device_group', 'device_mode'):
        if params.get(key) is not None:
            raise InputError('%s.%s: not an option of a %s link (give it per endpoint)'
                             % (field, key, kind))


def _no_ports(params, field, kind):
    """Only masters take ports; the kernel would refuse the rest while
    applying (EOPNOTSUPP), so say it here, before anything changes."""
    if params.get('ports'):
        masters = [k for k in LINK_KINDS if spec_of(k).layout == 'ports']
        raise InputError('%s.ports: a %s cannot take ports (only %s links can; a bridge '
                         'takes its ports through their bridge: field)'
                         % (field, kind, ', '.join(masters)))


def _add_device(lab, bridges, params, field):
    """A single-device link: laid out as its kind spec says."""
    kind = params['kind']
    spec = spec_of(kind)
    if params.get('endpoints'):
        raise InputError('%s.endpoints: only veth links have endpoints; a %s link has '
                         'node and name' % (field, kind))
    node = _node(lab, params.get('node'), field + '.node')
    if not params.get('name'):
        raise InputError('%s.name: required for a %s link' % (field, kind))
    iface = Iface(node.name, validate.interface_name(params['name'], field + '.name'),
                  kind, field)
    _common(iface, params, field)
    _tap_device(iface, params, field)
    bridge = _bridge_of(bridges, dict(params, node=node.name), field)
    if bridge is not None:
        iface.master = bridge.name
    if spec.parent is not None:
        _parent(lab, iface, params, field)
    elif params.get('parent') is not None or params.get('parent_node') is not None:
        raise InputError('%s.parent: a %s link has no parent' % (field, kind))
    if spec.layout == 'ports':
        _ports(iface, params, field)
    else:
        _no_ports(params, field, kind)
    if kind == 'team':
        _team(iface, params, field)
    elif kind == 'wireguard':
        _wireguard(iface, params, field)
    else:
        _kind_options(iface, params, field)
    _tunnel_identity(iface)
    if kind == 'bond':
        _bond_port_settings(iface, field)
    if kind != 'team' and params.get('runner') is not None:
        raise InputError('%s.runner: only a team link has a runner' % field)
    _claim(lab, iface)


def _tap_device(iface, params, field):
    """Owner, group and mode of a macvtap/ipvtap's device node, checked as
    the modules check them (tapdev); None keeps what the node has."""
    given = dict((key, params.get('device_' + key)) for key in TAP_DEVICE_KEYS
                 if params.get('device_' + key) is not None)
    if not given:
        return
    if iface.kind not in TAP_KINDS:
        raise InputError('%s.device_%s: only a macvtap or ipvtap has a device node'
                         % (field, sorted(given)[0]))
    try:
        tapdev.resolve_owner(given.get('owner'), field + '.device_owner')
        tapdev.resolve_group(given.get('group'), field + '.device_group')
        tapdev.parse_mode(given.get('mode'), field + '.device_mode')
    except ValueError as err:
        raise InputError(str(err))
    iface.device = given


def _parent(lab, iface, params, field):
    """(node, name) of the lower interface. A tunnel's is optional: without
    it, parent_node alone names its underlay node, where it is created (its
    socket lives there) before it is placed into its own node."""
    if not params.get('parent') and iface.spec.parent == 'required':
        raise InputError('%s.parent: required for a %s link (the lower interface)'
                         % (field, iface.kind))
    if params.get('parent') and iface.spec.parent == 'underlay':
        raise InputError('%s.parent: a %s has no underlay device; parent_node names its '
                         'underlay node (where its socket lives)' % (field, iface.kind))
    parent_node = _node(lab, params.get('parent_node') or iface.node,
                        field + '.parent_node')
    name = validate.interface_name(params['parent'], field + '.parent') \
        if params.get('parent') else None
    iface.parent = (parent_node.name, name)
    if name is None:
        iface.spec.check_device_options(params.get('options') or {}, field + '.parent',
                                        iface.field_of)


def kind_option_spec(kind):
    """The argument spec the kind's own module gives these options: a link's
    `options` are held to the same types (strict.typed); a team's are the
    teamd module's."""
    if kind == 'team':
        return TEAMD_SPEC
    if kind == 'wireguard':
        return wireguard.LAB_OPTIONS
    return spec_of(kind).argument_spec()


def _typed_options(params, kind, field):
    options = params.get('options') or {}
    if not options:
        return {}
    return strict.typed(kind_option_spec(kind), options, field + '.options.')


def _kind_options(iface, params, field):
    """The kind options (and mode) as the kind spec checks them. The
    kernel's state is not known yet: rules that need it are checked again
    by the planner (Planner.check_options)."""
    options = _typed_options(params, iface.kind, field)
    iface.spec.unknown(options, lambda name: '%s.options.%s' % (field, name))
    if params.get('mode') is not None:
        if 'mode' not in iface.spec.options_by_name:
            raise InputError('%s.mode: a %s link has no mode' % (field, iface.kind))
        options['mode'] = params['mode']
    iface.options = iface.spec.check(options, field_of=iface.field_of)


def _tunnel_identity(iface):
    """A GRE tunnel described by nothing that tells it from the kernel's
    fallback device of its kind (TunnelSpec.identity_problem) is refused
    here: the kernel would refuse it half-way through the run (EEXIST)."""
    problem = iface.spec.identity_problem(iface.options, bool(iface.parent and iface.parent[1]),
                                          iface.field_of)
    if problem:
        raise InputError(problem)


def _bond_port_settings(iface, field):
    """The bond module's rules for port settings (ranges, prio only in the
    modes that use it; a bond described without a mode is balance-rr)."""
    ports = [dict(iface.port_settings[name], name=name) for name in iface.ports]
    try:
        bond_rules.check_ports(ports, iface.name)
    except InputError as err:
        raise InputError('%s.%s' % (field, err))
    misfits = bond_rules.mode_misfits(iface.options.get('mode') or bond_rules.DEFAULT_MODE,
                                      {}, ports)
    if misfits:
        raise InputError('%s.ports: %s' % (field, '; '.join(misfits)))


def _team(iface, params, field):
    """A team is run by teamd: the configuration is built (and checked) by
    the teamd module's own code, from a runner name, the ports and the
    other teamd options given in `options` (link_watch, notify_peers, ...)."""
    if params.get('mode') is not None:
        raise InputError('%s.mode: a team has a runner, not a mode' % field)
    teamd_params = _typed_options(params, 'team', field)
    runner = dict(teamd_params.pop('runner', None) or {})
    runner['name'] = params.get('runner') or runner.get('name') or 'roundrobin'
    teamd_params['runner'] = runner
    teamd_params['ports'] = [{'name': port} for port in iface.ports]
    try:
        iface.teamd_config = build_config(iface.name, teamd_params)
    except InputError as err:
        raise InputError('%s.%s' % (field, err))


def _wireguard(iface, params, field):
    """A wireguard link's keys, port and peers are set over generic
    netlink (_kinds/wireguard.py): its `options` are checked by the
    wireguard module's own rules, plus peers named by reference."""
    if params.get('mode') is not None:
        raise InputError('%s.mode: a wireguard link has no mode' % field)
    options = _typed_options(params, 'wireguard', field)
    iface.wireguard = wireguard.check_settings(
        options, field_of=lambda name: '%s.options.%s' % (field, name), lab=True)


def wireguard_peer_checks(lab):
    """A peer named by reference is another wireguard link of the lab."""
    for iface in lab.ifaces.values():
        for peer in (iface.wireguard.peers or ()) if iface.wireguard else ():
            if peer.ref is None:
                continue
            other = lab.ifaces.get(peer.ref)
            if other is None or other.kind != 'wireguard':
                raise InputError('%s.peer: %s in node %s is not a wireguard link of the lab'
                                 % (peer.field, peer.ref[1], peer.ref[0]))
            if other is iface:
                raise InputError('%s.peer: a wireguard link cannot be its own peer'
                                 % peer.field)


BOND_PORT_KEYS = ('name', 'prio', 'queue_id')


def _ports(iface, params, field):
    """Ports by name; a bond's may also be dicts with their port settings."""
    for pos, port in enumerate(params.get('ports') or []):
        where = '%s.ports[%d]' % (field, pos)
        settings = {}
        if isinstance(port, dict) and iface.kind == 'bond':
            unknown = sorted(set(port) - set(BOND_PORT_KEYS))
            if unknown:
                raise InputError('%s.%s: not a bond port setting; known: %s'
                                 % (where, unknown[0], ', '.join(BOND_PORT_KEYS)))
            settings = dict((key, port[key]) for key in ('prio', 'queue_id')
                            if port.get(key) is not None)
            for key, value in settings.items():
                if isinstance(value, bool) or not isinstance(value, int):
                    raise InputError('%s.%s: %r is not an integer' % (where, key, value))
            port, where = port.get('name'), where + '.name'
        elif not isinstance(port, str):
            raise InputError('%s: %r is not an interface name%s'
                             % (where, port, ' (or a dict of name, prio, queue_id)'
                                if iface.kind == 'bond' else ''))
        name = validate.interface_name(port, where)
        if name in iface.ports:
            raise InputError('%s: %s is listed twice' % (where, name))
        iface.ports.append(name)
        iface.port_settings[name] = settings


def _check_routes(node, names):
    for route in node.routes:
        if route.dev and route.dev not in names and route.dev != 'lo' and not node.external:
            raise InputError('%s.dev: %s is not an interface of node %s'
                             % (route.field, route.dev, node.name))
    keys = [r.key for r in node.routes]
    for pos, key in enumerate(keys):
        if key in keys[:pos]:
            raise InputError('%s.dst: %s is listed twice%s'
                             % (node.routes[pos].field, node.routes[pos].dst,
                                ' in table %d' % key[3] if key[3] != RT_TABLE_MAIN else ''))


def vrf_tables(lab, node_name):
    """table -> VRF name, for the VRFs of a node that give a table."""
    tables = {}
    for iface in lab.ifaces.values():
        if iface.node == node_name and iface.kind == 'vrf' and iface.options.get('table'):
            tables.setdefault(iface.options['table'], []).append(iface.name)
    return tables


def _resolve_vrfs(lab, node):
    """A route's vrf names a VRF link of its node: its table. A table that
    is the table of one VRF of the node is described by that VRF (the way
    the facts read it back). Two VRFs of a node on one table would route
    through each other's ports: refused."""
    tables = vrf_tables(lab, node.name)
    for table, names in sorted(tables.items()):
        if len(names) > 1:
            raise InputError('node %s: vrf links %s share table %d; each VRF needs a table '
                             'of its own' % (node.name, ' and '.join(names), table))
    by_name = dict((names[0], table) for table, names in tables.items())
    for route in node.routes:
        if route.vrf is not None:
            iface = lab.ifaces.get((node.name, route.vrf))
            if iface is None or iface.kind != 'vrf':
                raise InputError('%s.vrf: %s is not a vrf link of node %s'
                                 % (route.field, route.vrf, node.name))
            if route.vrf not in by_name:
                raise InputError('%s.vrf: vrf %s gives no options.table'
                                 % (route.field, route.vrf))
            route.table = by_name[route.vrf]
        elif route.table in tables:
            route.vrf = tables[route.table][0]


def one_ipvlan_mode_per_parent(lab):
    """The kernel keeps one ipvlan mode per parent device: every ipvlan and
    ipvtap on a parent runs in the mode of the last one set. Two described
    with different modes on one parent would flap each other's mode."""
    modes = {}
    for iface in lab.ifaces.values():
        if iface.kind not in ('ipvlan', 'ipvtap') or iface.parent is None:
            continue
        mode = iface.options.get('mode')
        if mode is None:
            continue
        first = modes.setdefault(iface.parent, (mode, iface))
        if first[0] != mode:
            raise InputError('%s.mode: %s and %s sit on %s in node %s, and the kernel keeps one '
                             'ipvlan mode per parent; give both mode %s (or put them on '
                             'different parents)'
                             % (iface.field, first[1].name, iface.name, iface.parent[1],
                                iface.parent[0], first[0]))


def bond_port_checks(lab):
    """The ports of a master (a bond, a team, a vrf) must be lab interfaces
    of its node, each a port of one master."""
    for iface in lab.ifaces.values():
        for pos, port in enumerate(iface.ports):
            key = (iface.node, port)
            if key not in lab.ifaces:
                raise InputError('%s.ports[%d]: %s is not an interface of node %s'
                                 % (iface.field, pos, port, iface.node))
            if lab.ifaces[key].master:
                raise InputError('%s.ports[%d]: %s is already a port of %s'
                                 % (iface.field, pos, port, lab.ifaces[key].master))
            lab.ifaces[key].master = iface.name
            lab.ifaces[key].port_options = dict(iface.port_settings.get(port, {}))


def impairment(params, field):
    """netem settings in canonical units (the one codec: _netlink/netem.py);
    a lab declares the settings of IMPAIRMENT_OPTIONS."""
    return netem.parse(params, field, settings=tuple(IMPAIRMENT_OPTIONS))


__all__ = ['build', 'Lab', 'Node', 'Iface', 'Route', 'TOPOLOGY_SPEC', 'InputError',
           'MARK_PREFIX', 'bond_port_checks', 'kind_spec', 'BRIDGE', 'VETH']
