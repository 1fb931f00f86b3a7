# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fast namespace handling and whole-namespace reads for the topology module.

Why not pyroute2's own helpers: `pyroute2.netns.create` and
`IPRoute(netns=...)` fork a helper process each, about 5 to 7 ms per
namespace, which dominates a lab of a hundred namespaces. The kernel needs
none of that: a thread can unshare a new network namespace, bind-mount it
under /run/netns (what `ip netns add` does) and return with setns, all in
well under a millisecond; a netlink socket opened while the thread is inside
a namespace stays bound to it.

Reading is batched too: one link dump and one address dump per namespace
(instead of an address dump and a master lookup per link).
"""

from __future__ import annotations

import ipaddress
import os

from ansible_collections.vnet.linux.plugins.module_utils._netlink import netem, rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import (
    Namespaces,
    netns_path,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    IPRoute,
    NetlinkFailure,
    Session,
    list_namespaces,
    nla,
    nla_dict,
    open_namespace,
    read_sysctl,
    where,
)

RTN_UNICAST = 1
# routes the kernel makes itself (kernel, redirect, router advertisement)
KERNEL_PROTOCOLS = (1, 2, 9)
# protocol number that marks the routes this collection adds
ROUTE_PROTOCOL = 118


class FastSession(Session):
    """An engine Session whose sockets are opened from inside the namespace:
    a raw rtnetlink socket for the bulk requests (rtnl.py) and, for
    the kind-specific ones, pyroute2's. Link indexes are cached from one
    dump, so steps do not ask the kernel for an index each time."""

    def __init__(self, netns, namespaces, cache_indexes=True):
        Session.__init__(self, netns)
        self.namespaces = namespaces
        self.cache_indexes = cache_indexes
        self._indexes = None
        self._nsids = {}

    def _opened_inside(self, factory):
        if self.netns is None:
            return factory()
        try:
            with self.namespaces.inside(self.netns):
                return factory()
        except FileNotFoundError:
            raise NetlinkFailure('%s does not exist' % where(self.netns))
        except OSError as err:
            # a file under /run/netns that is no namespace (EINVAL): a
            # stale name, or one still being made by another run
            raise NetlinkFailure('%s cannot be entered: %s' % (where(self.netns), err))

    @property
    def ipr(self):
        if self._ipr is None:
            self._ipr = self._opened_inside(lambda: IPRoute(ext_ack=True))
        return self._ipr

    @property
    def rtnl(self):
        if self._rtnl is None:
            self._rtnl = self._opened_inside(rtnl.Socket)
        return self._rtnl

    def forget_indexes(self):
        """Links were added or deleted: read the indexes again when needed."""
        self._indexes = None

    def forget(self, name):
        if self._indexes is not None:
            self._indexes.pop(name, None)

    def index(self, name):
        if not self.cache_indexes:
            return Session.index(self, name)
        if self._indexes is None or name not in self._indexes:
            self._indexes = dict((link['name'], link['index']) for link in self.parsed_links())
        if name not in self._indexes:
            raise NetlinkFailure('link %r is missing in %s' % (name, where(self.netns)))
        return self._indexes[name]

    def nsid_of(self, netns):
        # only ids are kept: "none yet" changes when a link first joins the two
        if self._nsids.get(netns) is None:
            fd = open_namespace(netns)
            if fd is None:
                return None
            try:
                self._nsids[netns] = self.raw('reading a namespace id', rtnl.nsid, fd)
            finally:
                os.close(fd)
        return self._nsids[netns]


class SessionPool(object):
    """Every session of one module run, one per namespace, all entered from
    this thread (no helper process per namespace).

    cache_indexes: the topology resolves many names per namespace and
    forgets the cache itself where links come and go (forget_indexes); the
    single-link modules ask the kernel for each index, which is always
    right after a re-create under the same name.
    """

    def __init__(self, cache_indexes=True):
        self.namespaces = Namespaces()
        self.cache_indexes = cache_indexes
        self._sessions = {}
        self.module = None  # the AnsibleModule, for what runs programs (teamd)

    def session(self, netns):
        if netns not in self._sessions:
            self._sessions[netns] = FastSession(netns, self.namespaces, self.cache_indexes)
        return self._sessions[netns]

    get = session

    def forget_indexes(self):
        """A link was deleted: its veth peer, or devices stacked on it, may
        have gone with it in other namespaces, so no cached index is sure."""
        for session in self._sessions.values():
            session.forget_indexes()

    def drop(self, netns):
        """Close the session of a namespace that is being removed."""
        session = self._sessions.pop(netns, None)
        if session is not None:
            session.close()

    def close(self):
        for session in self._sessions.values():
            session.close()
        self._sessions = {}
        self.namespaces.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- reading -----------------------------------------------------------------

def read_namespace(kernel, netns, sysctl_keys=(), routes=True, qdiscs=False, addresses=True,
                   counters=False):
    """Everything the topology manages in one namespace, as plain dicts.
    Qdiscs (impairments) and packet counters only when asked: most labs
    have no impairments, and only the facts report counters. Routes and
    addresses can be left out where nothing looks at them (each is a dump
    per namespace: a third of a read of a thousand namespaces)."""
    session = kernel.session(netns)
    raws = session.raw('reading links', rtnl.link_messages, counters)
    parsed = [rtnl.parse_link(raw) for raw in raws]
    names = dict((link['index'], link['name']) for link in parsed)
    addresses = session.raw('reading addresses', rtnl.addresses) if addresses else {}
    links = {}
    for raw, link in zip(raws, parsed):
        if rtnl.fallback_device(link):
            continue  # the kernel's own (rtnl.FALLBACK_DEVICES): no lab's, never touched
        view = link_view(link, raw, netns, names, addresses.get(link['index'], []))
        view['data'] = session.kind_data(view['index'], view['kind'], view['data'])
        links[view['name']] = view
    session._indexes = dict((name, index) for index, name in names.items())
    lo = links.get('lo') or {}
    state = {
        'netns': netns,
        'mark': lo.get('alias', ''),
        'links': links,
        'names': names,
        'routes': _routes(session, names) if routes else [],
        'sysctls': {},
    }
    if sysctl_keys:
        state['sysctls'] = read_sysctls(kernel, netns, sysctl_keys)
    if qdiscs:
        state['qdiscs'] = netem.read_all(session)
    return state


# kinds whose IFLA_INFO_DATA is not decoded: a veth has none worth the
# decoding (and a lab has thousands), a dummy none at all; every other kind's
# is decoded by pyroute2 with the collection's attribute maps
UNDECODED_KINDS = (None, 'veth', 'dummy')


def link_view(link, raw, netns, names, addresses):
    """The same plain dict as Session.view, from a raw link message."""
    view = dict(link)
    master = view.pop('master_index')
    view.update(netns=netns, master=names.get(master, '') if master else '',
                data={}, port_data={},
                addresses=['%s/%d' % (addr, length) for family, addr, length in addresses
                           if not (family == 10 and ipaddress.ip_address(addr).is_link_local)])
    if link['kind'] not in UNDECODED_KINDS or link['port_kind'] == 'bond':
        # of port settings a topology describes only a bond port's (prio,
        # queue_id): other ports stay undecoded
        view['data'], view['port_data'] = _decoded_data(raw)
    return view


def _decoded_data(raw):
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    msg = ifinfmsg(rtnl._NLMSGHDR.pack(rtnl._NLMSGHDR.size + len(raw), rtnl.RTM_NEWLINK,
                                       0, 0, 0) + raw)
    msg.decode()
    info = msg.get_attr('IFLA_LINKINFO')
    if info is None:
        return {}, {}
    return (nla_dict(nla(info, 'IFLA_INFO_DATA')), nla_dict(nla(info, 'IFLA_INFO_SLAVE_DATA')))


COUNTERS = rtnl.STATS64_FIELDS


def _routes(session, names):
    """Unicast routes that someone added (not the kernel's own connected and
    link-local routes), of every table but the kernel's local one: the main
    table and those of VRFs or policy routing (one dump has them all)."""
    result = []
    for family in (2, 10):
        for route in session.raw('reading routes', rtnl.routes, family):
            if route['table'] == rtnl.RT_TABLE_LOCAL or route['type'] != RTN_UNICAST:
                continue
            if route['proto'] in KERNEL_PROTOCOLS:
                continue
            result.append(route_entry(route, names))
    return result


def route_entry(route, names):
    """A dumped route (rtnl.routes) as a lab reading gives it."""
    family = route['family']
    return {
        'family': family,
        'prefix': (route['dst'] or ('::' if family == 10 else '0.0.0.0'), route['dst_len']),
        'via': route['gateway'],
        'dev': names.get(route['oif']) if route['oif'] else None,
        'metric': route['priority'],
        'proto': route['proto'],
        'table': route['table'],
    }


def read_sysctls(kernel, netns, keys):
    values = {}
    with kernel.namespaces.inside(netns):
        for key, path in keys:
            try:
                values[key] = read_sysctl(path)
            except (IOError, OSError):
                values[key] = None
    return values


__all__ = ['SessionPool', 'Namespaces', 'FastSession', 'read_namespace',
           'list_namespaces', 'ROUTE_PROTOCOL', 'COUNTERS', 'netns_path']
