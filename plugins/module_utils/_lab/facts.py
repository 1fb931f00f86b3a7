# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel readings -> the topology description (nodes, bridges, links).

Readings first become a "scope": nodes and interfaces keyed by (node,
name), with each veth's peer and each stacked device's parent resolved
across namespaces. A scope is rendered either as the module's input
structure (the facts module: what was read can be applied as it is) or as a
flat dict keyed by node/name (readable before/after diffs).
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._kinds.lower import TAP_KINDS
from ansible_collections.vnet.linux.plugins.module_utils._netlink.sockets import (
    udp_ports,
    underlay_candidates,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    geneve_remote,
    tunnel_port,
    underlay_by_socket,
    BOND,
    KINDS,
    by_netlink_kind,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink import tapdev
from ansible_collections.vnet.linux.plugins.module_utils._kinds.teamd import Daemon
from ansible_collections.vnet.linux.plugins.module_utils._kinds import wireguard
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import (
    display_name,
    process_namespaces,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import NetlinkFailure, sysctl_path
from ansible_collections.vnet.linux.plugins.module_utils._netlink.fast import (
    ROUTE_PROTOCOL,
    list_namespaces,
    read_namespace,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import MARK_PREFIX, lab_name
from ansible_collections.vnet.linux.plugins.module_utils._netlink.netem import user_view
from ansible_collections.vnet.linux.plugins.module_utils._lab.node_state import (
    route_view,
    vrf_names,
)

# kinds a lab describes (as the kernel names them), from the kind specs
MODELLED_KINDS = tuple(sorted(spec.netlink_kind for spec in KINDS.values() if spec.layout))
FACT_SYSCTLS = ('net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding')
ROOT_NODE = 'host'
LOOPBACK_DEFAULTS = ('127.0.0.1/8', '::1/128')


# --- peers and parents across namespaces -----------------------------------

def resolve_links(kernel, readings):
    """(netns, name) -> (netns, name) of each veth's peer and each stacked
    device's parent, among the namespaces read.

    A link names its peer by index plus a netnsid that only means something
    inside its own namespace. A veth pair is found by the indexes pointing
    at each other; only when several candidates remain (or for a parent,
    which does not point back) is the netnsid asked of the kernel.
    """
    by_index = {}
    for netns, reading in readings.items():
        for view in reading['links'].values():
            by_index.setdefault(view['index'], []).append((netns, view))
    result = {}
    for netns, reading in readings.items():
        for view in reading['links'].values():
            target = _target(kernel, netns, reading, view, by_index, readings)
            if target is not None:
                result[(netns, view['name'])] = target
    return result


def _layout(kind):
    """How a lab lays out a link of this (kernel) kind; None: not at all."""
    spec = by_netlink_kind(kind)
    return spec.layout if spec is not None else None


def _parent_optional(kind):
    spec = by_netlink_kind(kind)
    return spec is not None and spec.parent in ('optional', 'underlay')


def _underlay(kernel, netns, view, readings):
    """(underlay netns, None) of a tunnel on no device created in another
    namespace than its own; None when that namespace was not read."""
    session = kernel.session(netns)
    for other in readings:
        if other != netns and session.nsid_of(other) == view['link_netnsid']:
            return (other, None)
    return None


def _socket_underlay(kernel, netns, view, readings):
    """(underlay netns, None) of a geneve whose socket is not in its own
    namespace: the read namespace whose socket table holds its port (the
    kernel reports no link namespace for it; lower.socket_in_underlay).
    Several hold one (the two ends of a tunnel in one lab, other labs):
    those that route the geneve's remote away (the other end's underlay
    has it as its own address), then those of the geneve's own lab (the
    same mark). None: its own, down (no socket to see), not among those
    read, or still several."""
    if view['admin_state'] != 'up':
        return None
    holders = underlay_candidates(netns, tunnel_port(view), readings, udp_ports,
                                  lambda: geneve_remote(view), kernel.session)
    mark = readings[netns].get('mark')
    if len(holders) > 1 and mark:
        holders = [other for other in holders if readings[other].get('mark') == mark]
    return (holders[0], None) if len(holders) == 1 else None


def _target(kernel, netns, reading, view, by_index, readings=()):
    if underlay_by_socket(view['kind']):
        return _socket_underlay(kernel, netns, view, readings)
    if not view['link_index'] and view['link_netnsid'] is not None and \
            _parent_optional(view['kind']):
        return _underlay(kernel, netns, view, readings)
    if _layout(view['kind']) not in ('pair', 'stacked') or not view['link_index']:
        return None
    if view['link_netnsid'] is None and view['kind'] == 'ipvtap':
        # an ipvtap never reports its parent's namespace on some kernels (6.1;
        # see lower.sits_on): an ipvlan/ipvtap beside it on the same parent
        # index that does report one names it
        hint = next((other for other in reading['links'].values()
                     if other['kind'] in ('ipvlan', 'ipvtap') and other['link_netnsid'] is not None
                     and other['link_index'] == view['link_index']), None)
        if hint is not None:
            return _target(kernel, netns, reading, hint, by_index)
    if view['link_netnsid'] is None:
        for other in reading['links'].values():
            if other['index'] == view['link_index'] and other is not view:
                return (netns, other['name'])
        if view['kind'] != 'ipvtap':
            return None
        # an ipvtap never reports its parent's namespace on some kernels
        # (6.1; see lower.sits_on): a single candidate elsewhere is its parent
        candidates = [(n, v) for n, v in by_index.get(view['link_index'], [])
                      if n != netns and v['kind'] not in ('ipvlan', 'ipvtap')]
        return (candidates[0][0], candidates[0][1]['name']) if len(candidates) == 1 else None
    candidates = [(n, v) for n, v in by_index.get(view['link_index'], []) if n != netns]
    veth = _layout(view['kind']) == 'pair'
    if veth:
        candidates = [(n, v) for n, v in candidates
                      if v['kind'] == view['kind'] and v['link_index'] == view['index']]
    if len(candidates) > 1 or (candidates and not veth):
        session = kernel.session(netns)
        candidates = [(n, v) for n, v in candidates
                      if session.nsid_of(n) == view['link_netnsid']]
    if len(candidates) == 1:
        return (candidates[0][0], candidates[0][1]['name'])
    return None


# --- scopes --------------------------------------------------------------------

def node_name_of(netns, root_name=ROOT_NODE):
    return root_name if netns is None else display_name(netns)


def _node_entry(name, netns, reading, external=False, sysctl_values=None, all_routes=True):
    lo = reading['links'].get('lo', {})
    tables = vrf_names(reading)
    routes = [route_view(r, tables) for r in reading['routes']]
    for route in routes:
        if route.get('metric') == 1024 and ':' in route.get('via', route['dst']):
            del route['metric']  # the kernel's default for IPv6
    return {
        'name': name, 'netns': netns, 'external': external or netns is None,
        'root': netns is None,
        'sysctls': sysctl_values or {},
        'loopback': [a for a in lo.get('addresses', []) if a not in LOOPBACK_DEFAULTS],
        'routes': routes,
    }


def scope_of(kernel, readings, nodes, include, root_name=ROOT_NODE):
    """A scope from readings: `nodes` maps netns -> node entry, `include`
    decides per link view whether it belongs."""
    targets = resolve_links(kernel, readings)
    ifaces = {}
    for netns, reading in readings.items():
        if netns not in nodes:
            continue
        node = nodes[netns]['name']
        for name, view in sorted(reading['links'].items(), key=lambda i: i[1]['index']):
            if name == 'lo' or not include(netns, view):
                continue
            target = targets.get((netns, name))
            entry = _iface_entry(node, view, reading)
            if target is not None:
                ref = (node_name_of(target[0], root_name), target[1])
                entry['peer' if _layout(view['kind']) == 'pair' else 'parent'] = ref
            entry['netns'] = netns
            if view['kind'] == 'team':
                entry['teamd'] = _teamd_config(kernel, netns, name)
            if view['kind'] == 'wireguard':
                # keys, port and peers (never a private or preshared key)
                entry['options'] = wireguard.view(wireguard.read_config(netns, name))
            ifaces[(node, name)] = entry
    return {'nodes': dict((e['name'], e) for e in nodes.values()), 'ifaces': ifaces}


def _teamd_config(kernel, netns, name):
    """The configuration our teamd runs the team with (None: not ours)."""
    module = getattr(kernel, 'module', None)
    if module is None:
        return None
    return Daemon(module, netns, name).applied()


def _iface_entry(node, view, reading):
    kind = view['kind']
    entry = {'node': node, 'name': view['name'], 'kind': kind, 'mtu': view['mtu'],
             'mac_address': view['mac_address'], 'addresses': list(view['addresses']),
             'master': view['master'] or None, 'peer': None, 'parent': None,
             'options': {}, 'impairment': user_view(reading.get('qdiscs', {}).get(
                 view['index'])), 'counters': view['counters'], 'alias': view['alias']}
    if kind in TAP_KINDS:
        entry['device'] = tap_device(view['netns'], view['name'])
    if view.get('port_kind') == 'bond':
        # the kernel's defaults (0) are left out, as a description leaves them
        entry['port_options'] = dict((k, v) for k, v in BOND.current(
            view['port_data'], port=True).items() if v)
    spec = by_netlink_kind(kind)
    if spec is not None:
        entry['options'] = spec.described(spec.current(view['data']))
    return entry


def tap_device(netns, name):
    """Owner, group and mode of a macvtap/ipvtap's device node as the
    description gives them (None: no node)."""
    node = tapdev.node_state(tapdev.node_path(netns, name))
    if node is None:
        return None
    return {'owner': str(node['uid']), 'group': str(node['gid']), 'mode': '%04o' % node['mode']}


def lab_scope(kernel, lab, current):
    """The part of what was read that belongs to the lab: its nodes, and the
    links that are marked or described."""
    readings = dict((n, r) for n, r in current.items() if r is not None)
    nodes = {}
    root_name = ROOT_NODE
    for node in lab.nodes.values():
        if node.netns is None:
            root_name = node.name
    for netns, reading in readings.items():
        node = lab.node_of_netns(netns)
        name = node.name if node else node_name_of(netns, root_name)
        keys = dict((k, reading['sysctls'].get(k)) for k in (node.sysctls if node else {}))
        nodes[netns] = _node_entry(name, netns, reading,
                                   external=bool(node and node.external) or not node,
                                   sysctl_values=keys)
    described = set((lab.nodes[i.node].netns, i.name) for i in lab.ifaces.values())

    def include(netns, view):
        return view['alias'] == lab.mark or (netns, view['name']) in described
    return scope_of(kernel, readings, nodes, include, root_name)


def desired_scope(lab, before):
    """The scope the description asks for; what it leaves open (MTU, MAC,
    unspecified options) is taken from before."""
    nodes = {}
    for node in lab.nodes.values():
        nodes[node.name] = {
            'name': node.name, 'netns': node.netns, 'external': node.external,
            'root': node.netns is None,
            'sysctls': dict((k, v) for k, (_p, v) in node.sysctls.items()),
            'loopback': list(node.loopback),
            'routes': _routes_with_dev(node, before['nodes'].get(node.name))}
    ifaces = {}
    for key, iface in lab.ifaces.items():
        old = before['ifaces'].get(key) or {}
        options = dict(old.get('options') or {})
        options.update(iface.options)
        if iface.wireguard is not None:
            options = _wireguard_after(lab, iface, options, before)
        ifaces[key] = {
            'node': iface.node, 'name': iface.name, 'kind': iface.kind,
            'mtu': iface.attrs.get('mtu', old.get('mtu')),
            'mac_address': iface.attrs.get('mac_address', old.get('mac_address')),
            'addresses': list(iface.addresses) + (
                [] if lab.prune else [a for a in old.get('addresses', [])
                                      if a not in iface.addresses]),
            'master': iface.master, 'options': options,
            'port_options': dict(old.get('port_options') or {}, **iface.port_options)
            if iface.master == old.get('master') else dict(iface.port_options),
            'peer': iface.peer.key if iface.peer else None, 'parent': iface.parent,
            'impairment': _user_impairment(iface.impairment),
            'alias': lab.mark}
        if iface.kind in TAP_KINDS:
            ifaces[key]['device'] = _desired_device(iface, old.get('device'))
    if not lab.prune:
        for key, entry in before['ifaces'].items():
            if key not in ifaces:
                ifaces[key] = entry
        for name, entry in before['nodes'].items():
            nodes.setdefault(name, entry)
    return {'nodes': nodes, 'ifaces': ifaces}


def _wireguard_after(lab, iface, old, before):
    """A wireguard's settings after the run: the description over what
    the kernel has; peers named by reference with the key of that link's
    key file, else the key it has now."""
    def key_file(other):
        settings = other.wireguard
        return wireguard.KeyFile(settings.key_file, settings.generate, other.field) \
            if settings.key_file else None

    def key_of(peer):
        if peer.key is not None:
            return peer.key
        other = lab.ifaces[peer.ref]
        if key_file(other) is not None:
            return key_file(other).public_key()
        return ((before['ifaces'].get(peer.ref) or {}).get('options') or {}).get('public_key')
    target = wireguard.Target(iface.node, iface.name, iface.label(), iface.wireguard,
                              key_file(iface), key_of)
    return wireguard.predicted_view(target, old)


def _desired_device(iface, old):
    """The device node a tap will have: what is described (numeric, as
    read back), the rest as it is (root:root 0600 for a new node)."""
    device = dict(old or {'owner': '0', 'group': '0', 'mode': '%04o' % tapdev.DEFAULT_MODE})
    given = iface.device or {}
    if given.get('owner') is not None:
        device['owner'] = str(tapdev.resolve_owner(given['owner'], 'device_owner'))
    if given.get('group') is not None:
        device['group'] = str(tapdev.resolve_group(given['group'], 'device_group'))
    if given.get('mode') is not None:
        device['mode'] = '%04o' % tapdev.parse_mode(given['mode'], 'device_mode')
    return device


def _routes_with_dev(node, old):
    """Routes as described; where only a gateway is given, the interface
    the kernel chose for it is shown as it will read back."""
    def key(view):
        return (view['dst'], view.get('via'), view.get('vrf'), view.get('table'))
    chosen = dict((key(r), r.get('dev')) for r in (old or {}).get('routes', []))
    result = []
    for route in node.routes:
        view = route.describe()
        if 'dev' not in view and chosen.get(key(view)):
            view['dev'] = chosen[key(view)]
        result.append(view)
    return result


def _user_impairment(impairment):
    return user_view(impairment) if impairment else None


# --- renderings ----------------------------------------------------------------

def flat_view(scope):
    """{'nodes': {name: ...}, 'interfaces': {'node/name': ...}}: one line per
    setting in a diff."""
    nodes = {}
    for name, node in sorted(scope['nodes'].items()):
        entry = {'sysctls': node['sysctls'], 'loopback': node['loopback'],
                 'routes': node['routes']}
        if node.get('external'):
            entry['external'] = True
        nodes[name] = entry
    interfaces = {}
    for (node, name), iface in sorted(scope['ifaces'].items()):
        keys = ('kind', 'mtu', 'mac_address', 'addresses', 'master', 'options', 'port_options',
                'impairment', 'device')
        entry = dict((k, iface[k]) for k in keys if iface.get(k) not in (None, {}, []))
        for ref in ('peer', 'parent'):
            if iface.get(ref):
                entry[ref] = '%s/%s' % tuple(iface[ref])
        interfaces['%s/%s' % (node, name)] = entry
    return {'nodes': nodes, 'interfaces': interfaces}


def render(scope, lab=None):
    """The module's input structure, so that what is read can be applied."""
    nodes = []
    for node in scope['nodes'].values():
        entry = {'name': node['name']}
        if node['root']:
            entry['root'] = True
        elif node['external']:
            entry['external'] = True
            if node['netns'] != node['name']:
                entry['netns'] = node['name']   # a container's: pid:PID
        if node['sysctls']:
            entry['sysctls'] = node['sysctls']
        if node['loopback']:
            entry['loopback'] = node['loopback']
        if node['routes']:
            entry['routes'] = node['routes']
        nodes.append(entry)
    ifaces = scope['ifaces']
    bridges, links, others, done = [], [], [], set()
    for key, iface in ifaces.items():
        if _layout(iface['kind']) == 'bridge':
            bridges.append(_bridge(iface))
            done.add(key)
    for key, iface in ifaces.items():
        if key in done:
            continue
        link = _link(iface, ifaces)
        if link is None:
            others.append({'node': iface['node'], 'name': iface['name'],
                           'kind': iface['kind']})
            continue
        links.append(link)
        done.add(key)
        if iface['peer']:
            done.add(tuple(iface['peer']))
    result = {'nodes': nodes, 'bridges': bridges, 'links': links, 'other_links': others}
    if lab:
        result['lab'] = lab
    return result


def _common(iface):
    out = {'name': iface['name']}
    spec = KINDS.get(iface['kind'])
    # a kind that takes its parent's MAC (ipvlan) is not given one
    keys = ('mtu',) if spec is not None and spec.fixed_mac else ('mtu', 'mac_address')
    for key in keys:
        if iface.get(key) is not None:
            out[key] = iface[key]
    if iface['addresses']:
        out['addresses'] = iface['addresses']
    if iface.get('impairment'):
        out['impairment'] = iface['impairment']
    return out


def _bridge(iface):
    out = dict(_endpoint(iface, {}))
    out.update(iface['options'])
    return out


def _endpoint(iface, ifaces):
    out = dict(_common(iface), node=iface['node'])
    master = ifaces.get((iface['node'], iface['master'])) if iface['master'] else None
    if master is not None and master['kind'] == 'bridge':
        out['bridge'] = master['name']
    return out


def _link(iface, ifaces):
    """A `links` entry, laid out as the kind's spec says (None: it cannot
    be described from what was read)."""
    kind = iface['kind']
    spec = KINDS.get(kind)
    layout = spec.layout if spec is not None else None
    if layout == 'pair':
        peer = ifaces.get(tuple(iface['peer'])) if iface['peer'] else None
        if peer is None:
            return None  # the other end is outside what was read
        return {'endpoints': [_endpoint(iface, ifaces), _endpoint(peer, ifaces)]}
    if kind == 'team':
        return _teamd_link(iface, ifaces)
    if layout not in ('device', 'stacked', 'ports'):
        return None
    out = dict(_endpoint(iface, ifaces), kind=kind)
    if layout == 'stacked':
        if not iface['parent'] and not _parent_optional(kind):
            return None
        parent_node, parent = iface['parent'] or (iface['node'], None)
        if parent is not None:
            out['parent'] = parent
        if parent is not None or parent_node != iface['node']:
            out['parent_node'] = parent_node
        for key, value in sorted((iface.get('device') or {}).items()):
            out['device_' + key] = value
    options = dict(iface['options'])
    if kind == 'wireguard':
        options = wireguard.described(options, _wireguard_names(ifaces))
    if 'mode' in options:
        out['mode'] = options.pop('mode')
    if options:
        out['options'] = options
    if layout == 'ports':
        out['ports'] = _ports_of(iface, ifaces)
    return out


def _wireguard_names(ifaces):
    """Public key -> (node, name) of the wireguard links read: a peer that
    is one of them is given back by reference (peer: {node, name})."""
    return dict((iface['options']['public_key'], (iface['node'], iface['name']))
                for iface in ifaces.values()
                if iface['kind'] == 'wireguard' and (iface.get('options') or {}).get('public_key'))


def _ports_of(iface, ifaces):
    """Ports by name; a bond's with their port settings where they have some."""
    return [_bond_port(i) if iface['kind'] == 'bond' else i['name'] for i in ifaces.values()
            if i['node'] == iface['node'] and i['master'] == iface['name']]


def _bond_port(iface):
    """A bond port by name, or with its port settings where it has some."""
    if not iface.get('port_options'):
        return iface['name']
    return dict(iface['port_options'], name=iface['name'])


def _teamd_link(iface, ifaces):
    """A team as the topology module describes it: runner, ports, and the
    rest of the teamd configuration in options."""
    config = iface.get('teamd')
    if not config:
        return None  # a team not run by this collection's teamd
    out = dict(_endpoint(iface, ifaces), kind='team')
    runner = dict(config.get('runner') or {})
    out['runner'] = runner.pop('name', 'roundrobin')
    options = dict((k, v) for k, v in config.items() if k not in ('device', 'runner', 'ports'))
    if runner:
        options['runner'] = runner
    if options:
        out['options'] = options
    out['ports'] = list(config.get('ports') or [])
    return out


def counters(scope):
    result = {}
    for (node, name), iface in scope['ifaces'].items():
        result.setdefault(node, {})[name] = iface['counters']
    return result


# --- the facts module's read -------------------------------------------------

def read_host(kernel, lab=None):
    """Every named namespace (or only a lab's) read back into the module's
    input structure, with each link's counters."""
    mark = MARK_PREFIX + lab_name(lab) if lab else None
    keys = [(key, sysctl_path(key)) for key in FACT_SYSCTLS]
    readings = {None: read_namespace(kernel, None, keys, qdiscs=True, counters=True)}
    for netns in list_namespaces() + (_containers_with(kernel, mark) if mark else []):
        try:
            readings[netns] = read_namespace(kernel, netns, keys, qdiscs=True, counters=True)
        except (OSError, Exception) as err:  # vanished while reading, or no namespace
            # (a stale file under /run/netns, or one another run is still making)
            if not isinstance(err, OSError) and \
                    not any(text in str(err) for text in ('does not exist', 'cannot be entered')):
                raise
    nodes = {}
    for netns, reading in readings.items():
        if netns is None:
            continue
        if mark and reading['mark'] != mark:
            continue
        nodes[netns] = _fact_node(netns, reading, external=False)

    def include(netns, view):
        if mark:
            return view['alias'] == mark
        return view['kind'] in MODELLED_KINDS or netns is not None

    if mark:
        # marked links in namespaces the lab does not own (or the root one)
        for netns, reading in readings.items():
            if netns not in nodes and any(v['alias'] == mark
                                          for v in reading['links'].values()):
                nodes[netns] = _fact_node(netns, reading, external=True)
    else:
        # the root namespace is listed only where a namespace's links reach it
        pass
    scope = scope_of(kernel, readings, nodes, include)
    if not mark:
        _add_root_ends(kernel, readings, scope, nodes)
    _add_parent_nodes(scope, readings)
    facts = render(scope, lab)
    facts['counters'] = counters(scope)
    return facts


def _containers_with(kernel, mark):
    """The namespaces of containers and processes (outside /run/netns) that
    hold links with the lab's mark: the lab's container nodes."""
    found = []
    for path in process_namespaces():
        try:
            links = kernel.session(path).parsed_links()
        except (NetlinkFailure, OSError):
            continue  # the process exited meanwhile
        if any(link['alias'] == mark for link in links):
            found.append(path)
    return found


def _fact_node(netns, reading, external):
    sysctls = dict((k, v) for k, v in reading['sysctls'].items() if v not in (None, '0'))
    if external:
        # a namespace the lab does not own (the host's, above all): its own
        # routes are not the lab's, only those the lab added (their protocol)
        reading = dict(reading, routes=[route for route in reading['routes']
                                        if route['proto'] == ROUTE_PROTOCOL])
    return _node_entry(node_name_of(netns), netns, reading, external=external,
                       sysctl_values=sysctls)


def _add_root_ends(kernel, readings, scope, nodes):
    """Without a lab filter, veth ends in the root namespace whose peers are
    in a named namespace are shown, under a root node."""
    targets = resolve_links(kernel, readings)
    wanted = set()
    for (netns, name), target in targets.items():
        if netns is not None and target[0] is None:
            wanted.add(target[1])
    if not wanted:
        return
    root = readings[None]
    entry = _node_entry(ROOT_NODE, None, root, external=True)
    entry['routes'] = []  # the host's own routes are not the lab's
    entry['loopback'] = []
    scope['nodes'][ROOT_NODE] = entry
    for name in sorted(wanted):
        view = root['links'][name]
        iface = _iface_entry(ROOT_NODE, view, root)
        iface['master'] = None  # a host bridge is not rendered
        target = targets.get((None, name))
        if target is not None:
            iface['peer'] = (node_name_of(target[0]), target[1])
        scope['ifaces'][(ROOT_NODE, name)] = iface


def _add_parent_nodes(scope, readings):
    """A stacked device's parent may live in a namespace not shown yet: list
    it as an external node so that parent_node refers to something."""
    for iface in list(scope['ifaces'].values()):
        if iface['parent'] and iface['parent'][0] not in scope['nodes']:
            name = iface['parent'][0]
            netns = None if name == ROOT_NODE else name
            entry = _node_entry(name, netns, readings[netns], external=True)
            entry['routes'] = []
            entry['loopback'] = []
            scope['nodes'][name] = entry
