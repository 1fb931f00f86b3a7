# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-node state of a lab that is not a link: routes and sysctls.

Steps go into the planner's phases (routes after `up`: the kernel refuses a
gateway that no up link reaches; sysctls with the in-place changes).
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._engine.errors import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import undone_with_its_object
from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.fast import (
    ROUTE_PROTOCOL,
    route_entry,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import write_sysctl


def plan_routes(planner, node):
    """Routes of one node: add or replace what differs; with prune, delete
    the routes this module added that are no longer described."""
    ns = planner.current.get(node.netns)
    have = dict((route_key(r), r) for r in (ns['routes'] if ns else []))
    tables = vrf_names(ns)
    session = planner.session(node.name)
    wanted_keys = set()
    for route in node.routes:
        wanted_keys.add(route.key)
        now = have.get(route.key)
        if now is not None and now['via'] == route.via and \
                (route.dev is None or now['dev'] == route.dev):
            continue
        ref = {'type': 'route', 'node': node.name, 'dst': route.describe()['dst']}
        if now is not None and node.external and now['proto'] != ROUTE_PROTOCOL:
            # the host's own routes (its default route above all) are not ours
            raise EngineError('%s: node %s already has a route to %s that this module '
                              'did not add; it is left alone' % (route.field, node.name,
                                                                 ref['dst']))
        command = 'replace' if now is not None else 'add'
        text = '%s route %s in node %s' % (command, route_text(route.describe()),
                                           node.name)
        if now is None:
            planner.report.added.append(ref)
            undo = _route(session, 'del', route.key, None, None)
        else:
            planner.record_change(ref, 'route', route_text(route_view(now, tables)),
                                  route_text(route.describe()))
            undo = _route(session, 'replace', route.key, now['via'], now['dev'])
        planner.add('route', text,
                    _route(session, command, route.key, route.via, route.dev), undo)
    if not planner.lab.prune or ns is None:
        return
    for key, now in sorted(have.items(), key=lambda item: str(item[0])):
        if key in wanted_keys or now['proto'] != ROUTE_PROTOCOL:
            continue
        text = 'delete route %s in node %s' % (route_text(route_view(now, tables)), node.name)
        planner.report.removed.append({'type': 'route', 'node': node.name,
                                       'dst': route_view(now)['dst']})
        # removals first: a described route may replace one to the same place.
        # The kernel may have flushed it already: routes through a port go
        # when a VRF re-created by this run cycles the port.
        planner.steps['route'].insert(0, (text, _route(session, 'del', key, None, None,
                                                       gone_ok=True),
                                          _route(session, 'add', key, now['via'],
                                                 now['dev'])))


def route_key(route):
    """A route as read, keyed as model.Route.key: family, prefix, metric,
    table."""
    return (route['family'], route['prefix'], route['metric'], route['table'])


def vrf_names(reading):
    """table -> name of the one VRF of a namespace reading on that table
    (a table two VRFs share is named by number)."""
    found = {}
    for view in (reading['links'].values() if reading else ()):
        table = view['data'].get('IFLA_VRF_TABLE') if view['kind'] == 'vrf' else None
        if table:
            found.setdefault(table, []).append(view['name'])
    return dict((table, names[0]) for table, names in found.items() if len(names) == 1)


def _route(session, command, key, via, dev, gone_ok=False):
    family, (network, length), metric, table = key
    where = ' in table %d' % table if table != rtnl.RT_TABLE_MAIN else ''

    def run():
        if gone_ok and not any(route_key(route_entry(route, {})) == key for route in
                               session.raw('reading routes', rtnl.routes, family)):
            return
        session.raw('%s route %s/%d%s' % (command, network, length, where), rtnl.route,
                    command, family, network, length, gateway=via,
                    oif=session.index(dev) if dev else None, metric=metric,
                    proto=ROUTE_PROTOCOL, table=table)
    return run


def plan_sysctls(planner, node):
    """Per-namespace sysctls of one node."""
    if not node.sysctls:
        return
    ns = planner.current.get(node.netns)
    have = ns['sysctls'] if ns else {}
    for key, (path, value) in sorted(node.sysctls.items()):
        old = have.get(key)
        if ns is not None and old is None and not _names_new_link(planner, node, key):
            raise EngineError('%s.sysctls: %s does not exist in node %s (a typo, or an '
                              'interface that is not there?)' % (node.field, key, node.name))
        if old == value:
            continue
        ref = {'type': 'node', 'name': node.name}
        if ns is not None:
            planner.record_change(ref, 'sysctls.' + key, old, value)
        planner.add('change', 'set %s=%s in node %s' % (key, value, node.name),
                    _sysctl(planner, node, path, value, key),
                    _sysctl(planner, node, path, old, key) if old is not None
                    else undone_with_its_object)


def _names_new_link(planner, node, key):
    return any(('.%s.' % i.name) in key for i in planner.lab.ifaces.values()
               if i.node == node.name)


def _sysctl(planner, node, path, value, key):
    def run():
        with planner.kernel.namespaces.inside(node.netns):
            try:
                write_sysctl(path, value)
            except (IOError, OSError) as err:
                raise EngineError('setting %s=%s in node %s failed: %s'
                                  % (key, value, node.name, err))
    return run


def route_view(route, tables=None):
    """A route as read, in the description's terms (dst, via, dev, metric,
    and outside the main table the VRF whose table it is (tables: table ->
    VRF name, see vrf_names) or the table)."""
    network, length = route['prefix']
    dst = 'default' if length == 0 else '%s/%d' % (network, length)
    out = {'dst': dst}
    if route['via']:
        out['via'] = route['via']
    if route['dev']:
        out['dev'] = route['dev']
    if route['metric']:
        out['metric'] = route['metric']
    table = route.get('table', rtnl.RT_TABLE_MAIN)
    if table != rtnl.RT_TABLE_MAIN:
        if (tables or {}).get(table):
            out['vrf'] = tables[table]
        else:
            out['table'] = table
    return out


def route_text(view):
    text = view['dst']
    if view.get('via'):
        text += ' via %s' % view['via']
    if view.get('dev'):
        text += ' dev %s' % view['dev']
    if view.get('metric'):
        text += ' metric %s' % view['metric']
    if view.get('vrf'):
        text += ' vrf %s' % view['vrf']
    elif view.get('table'):
        text += ' table %s' % view['table']
    return text
