# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Namespace-aware netlink sessions and plain-dict views of kernel state.

Everything that talks to pyroute2 lives here, so the rest of the engine works
on plain dicts and never sees netlink messages.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import time

from ansible_collections.vnet.linux.plugins.module_utils._netlink import faults, rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import (
    NETNS_DIR,
    create_named,
    entered,
    label as namespace_label,
    list_namespaces,
    namespace_exists,
    remove_named,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.rtnl import (
    ALWAYS_LINKED,
    ETH_ALEN,
    NLA_HEADER,
    fallback_device,
    PARENT_IN_DATA,
    link_index,
)

try:
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkDumpInterrupted, NetlinkError
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError as exc:  # the module reports missing_required_lib
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = exc
    IPRoute = None

    class NetlinkError(Exception):
        """Stand-in so that except clauses work without pyroute2."""

        code = 0

    class NetlinkDumpInterrupted(Exception):
        """Stand-in so that except clauses work without pyroute2."""


AF_BRIDGE = 7
RTEXT_FILTER_BRVLAN = 2
BRIDGE_VLAN_INFO_PVID = 2
BRIDGE_VLAN_INFO_UNTAGGED = 4
IFF_UP = 0x1
RTN_UNICAST = 1  # a route that leaves the namespace (RTN_LOCAL is 2)
DUMP_RETRIES = 5
# kinds whose own forwarding database is part of their configuration: a
# link's reading has its static entries in data[FDB_KEY] (see Session.fdb),
# beside the decoded IFLA_INFO_DATA, so that kind specs read and compare
# them like any other option
FDB_KINDS = ('vxlan',)
FDB_KEY = 'fdb'


class NetlinkFailure(Exception):
    """A kernel refusal, already explained for the user."""


# What to tell the user for the errors people actually hit.
_ERRNO_HINTS = {
    errno.EEXIST: 'it already exists',
    errno.ENODEV: 'no such interface',
    errno.EPERM: 'operation not permitted (a port must be down to be enslaved '
                 'to a bond or team; modules need root)',
    errno.EBUSY: 'the device is busy (it may be a port of a bridge/bond, or '
                 'need to be down for this change)',
    errno.EOPNOTSUPP: 'this kernel does not support it (a missing kernel module?'
                      ' try modprobe, or use a kernel that has it)',
    errno.EINVAL: 'the kernel rejected a value as invalid',
    errno.ERANGE: 'a value is out of the range the kernel accepts',
    errno.EADDRNOTAVAIL: 'the address is not configured',
    errno.ENOSPC: 'no space left (a kernel table is full)',
    errno.EMSGSIZE: 'the value is too large',
}


def explain(err, what):
    """Turn a NetlinkError into a message naming the object and the cause."""
    code = getattr(err, 'code', 0) or 0
    kernel_says = ''
    if len(getattr(err, 'args', ())) > 1 and err.args[1]:
        kernel_says = str(err.args[1])
    hint = _ERRNO_HINTS.get(code, os.strerror(code) if code else str(err))
    msg = '%s failed: %s' % (what, hint)
    if kernel_says and kernel_says not in (os.strerror(code), hint):
        msg += ' (kernel: %s)' % kernel_says
    return msg


def create_namespace(name):
    create_named(name)


def remove_namespace(name):
    remove_named(name)


def inside(netns):
    """Run a block with this thread in a named namespace (never creating it)."""
    return entered(netns)


def sysctl_path(key):
    """/proc/sys path of a per-namespace sysctl ('net.ipv4.ip_forward')."""
    rel = key.replace('.', '/') if '/' not in key else key
    if not rel.startswith('net/') or '..' in rel.split('/'):
        raise ValueError(key)
    return '/proc/sys/' + rel


def read_sysctl(path):
    with open(path) as handle:
        return ' '.join(handle.read().split())


def write_sysctl(path, value):
    faults.os_error('writing %s' % path)
    with open(path, 'w') as handle:
        handle.write(str(value))


def open_namespace(netns):
    """A descriptor of a named namespace (None: the one the module runs in),
    or None where the name is not, or no longer, a namespace: removed
    meanwhile, or still being made by another run (its file under /run/netns
    exists before the namespace is mounted on it)."""
    own = '/proc/self/ns/net'
    try:
        fd = os.open(own if netns is None else os.path.join(NETNS_DIR, netns), os.O_RDONLY)
    except FileNotFoundError:
        return None
    if os.fstat(fd).st_dev != os.stat(own).st_dev:  # not on nsfs
        os.close(fd)
        return None
    return fd


def where(netns):
    """The namespace for a message, with the reference (pid:, path:,
    container:) the user reached it by."""
    if not netns:
        return 'the root namespace'
    reached_by = namespace_label(netns)
    return 'namespace %r' % netns + (' (%s)' % reached_by if reached_by else '')


def nla(msg, *path):
    """Follow a path of NLA names; None where any step is missing."""
    node = msg
    for name in path:
        if node is None:
            return None
        node = node.get_attr(name)
    return node


def _parent_in_data(kind, info):
    """The parent index a PARENT_IN_DATA kind reports in its own data."""
    if kind not in PARENT_IN_DATA:
        return None
    return nla(info, 'IFLA_INFO_DATA', PARENT_IN_DATA[kind][1])


def nla_dict(node):
    """All attributes of a nested NLA as a plain dict of name -> value
    (empty for a kind pyroute2 cannot decode, which it gives as hex text)."""
    if node is None or not hasattr(node, 'get'):
        return {}
    return dict((name, value) for name, value in node.get('attrs', [])
                if name != 'UNKNOWN')


def _mac_only(msg):
    """The hardware address if it is a MAC (six octets), else None: an L3
    tunnel reports its local address there (rtnl.hardware_address), which
    pyroute2 decodes as six octets all the same (reading past its end)."""
    address = msg.get_attr('IFLA_ADDRESS')
    if address is None:
        return None
    header = msg.nla('IFLA_ADDRESS').get('header') or {}
    size = header.get('length', NLA_HEADER + ETH_ALEN) - NLA_HEADER
    return address if size == ETH_ALEN else None


class Session(object):
    """One netlink socket inside one namespace (None: the root namespace).

    The socket opens on first use, so check mode can plan steps for a
    namespace that an earlier task would create without touching it.
    flags=0 matters: pyroute2 otherwise creates a missing namespace, which
    would make check mode lie.
    """

    def __init__(self, netns=None):
        self.netns = netns
        self._ipr = None
        self._rtnl = None

    @property
    def ipr(self):
        if self._ipr is None:
            kwargs = {'ext_ack': True}
            if self.netns is not None:
                kwargs.update(netns=self.netns, flags=0)
            try:
                self._ipr = IPRoute(**kwargs)
            except FileNotFoundError:
                raise NetlinkFailure('%s does not exist; create it first (vnet.linux.netns)'
                                     % where(self.netns))
        return self._ipr

    @property
    def rtnl(self):
        """The session's own rtnetlink socket (rtnl.py), opened inside the
        namespace."""
        if self._rtnl is None:
            try:
                with entered(self.netns):
                    self._rtnl = rtnl.Socket()
            except FileNotFoundError:
                raise NetlinkFailure('%s does not exist; create it first (vnet.linux.netns)'
                                     % where(self.netns))
        return self._rtnl

    def close(self):
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None
        if self._rtnl is not None:
            self._rtnl.close()
            self._rtnl = None

    def raw(self, what, request, *args, **kwargs):
        """Run one rtnl.py request on this namespace's socket,
        translating a kernel refusal into a message for the user."""
        fault = faults.injected(what) if request in rtnl.CHANGES else None
        try:
            if fault is not None:
                raise rtnl.RtnlError(faults.FAULT_ERRNO, fault)
            return request(self.rtnl, *args, **kwargs)
        except rtnl.RtnlError as err:
            if 'namespace' not in what:
                what = '%s in %s' % (what, where(self.netns))
            raise NetlinkFailure(explain(err, what))

    def parsed_links(self):
        """Every link of the namespace as rtnl.parse_link gives it, from
        one raw dump (no counters)."""
        return [rtnl.parse_link(raw) for raw in self.raw('reading links', rtnl.link_messages, False)]

    def call(self, what, method, *args, **kwargs):
        """Run one pyroute2 request, translating kernel errors."""
        reads = args and args[0] in ('dump', 'get')
        fault = None if reads else faults.injected(what)
        try:
            if fault is not None:
                raise NetlinkError(faults.FAULT_ERRNO, fault)
            return getattr(self.ipr, method)(*args, **kwargs)
        except NetlinkError as err:
            if 'namespace' not in what:
                what = '%s in %s' % (what, where(self.netns))
            raise NetlinkFailure(explain(err, what))

    def dump(self, method, *args, **kwargs):
        """A dump, retried while links change under it."""
        for attempt in range(DUMP_RETRIES):
            try:
                return list(getattr(self.ipr, method)('dump', *args, **kwargs))
            except NetlinkDumpInterrupted:
                time.sleep(0.01 * (attempt + 1))
        return list(getattr(self.ipr, method)('dump', *args, **kwargs))

    def get_msg(self, name=None, index=None):
        """The RTM_NEWLINK message of one link, or None if it is absent."""
        query = {'ifname': name} if name is not None else {'index': index}
        try:
            return self.ipr.link('get', **query)[0]
        except NetlinkError as err:
            if err.code == errno.ENODEV:
                return None
            raise NetlinkFailure(explain(err, 'reading link %s in %s'
                                         % (name or index, where(self.netns))))

    def read(self, name):
        """The plain-dict view of a link, or None if it is absent."""
        msg = self.get_msg(name=name)
        return self.view(msg) if msg is not None else None

    def name_of(self, index):
        msg = self.get_msg(index=index)
        return msg.get_attr('IFLA_IFNAME') if msg is not None else None

    def view(self, msg):
        """Read a link into a plain dict of what the collection manages."""
        info = msg.get_attr('IFLA_LINKINFO')
        kind = nla(info, 'IFLA_INFO_KIND') if info else None
        master_index = msg.get_attr('IFLA_MASTER')
        state = {
            'name': msg.get_attr('IFLA_IFNAME'),
            'index': msg['index'],
            'netns': self.netns,
            'kind': kind,
            'admin_state': 'up' if msg['flags'] & IFF_UP else 'down',
            'oper_state': (msg.get_attr('IFLA_OPERSTATE') or 'UNKNOWN').lower(),
            'mtu': msg.get_attr('IFLA_MTU'),
            'mac_address': _mac_only(msg),
            'txqueuelen': msg.get_attr('IFLA_TXQLEN'),
            'alias': msg.get_attr('IFLA_IFALIAS') or '',
            'master': self.name_of(master_index) if master_index else '',
            'link_index': link_index(msg.get_attr('IFLA_LINK'), msg['index'], kind,
                                     _parent_in_data(kind, info)),
            'link_netnsid': msg.get_attr('IFLA_LINK_NETNSID'),
            'data': self.kind_data(msg['index'], kind,
                                   nla_dict(nla(info, 'IFLA_INFO_DATA')) if info else {}),
            'port_kind': nla(info, 'IFLA_INFO_SLAVE_KIND') if info else None,
            'port_data': nla_dict(nla(info, 'IFLA_INFO_SLAVE_DATA')) if info else {},
            'addresses': self.addresses(msg['index']),
        }
        return state

    def kind_data(self, index, kind, data):
        """A link's decoded IFLA_INFO_DATA, with its static forwarding
        entries for the kinds that keep their own (FDB_KINDS)."""
        if kind in FDB_KINDS:
            data = dict(data)
            data[FDB_KEY] = self.fdb(index, data)
        return data

    def fdb(self, index, data):
        """The static entries of a vxlan's forwarding database, without the
        one the kernel keeps for the device's own remote or group (that
        entry comes and goes with the `remote` setting, not as an entry)."""
        own = data.get('IFLA_VXLAN_GROUP') or data.get('IFLA_VXLAN_GROUP6')
        return [entry for entry in self.raw('reading the forwarding entries of link %d'
                                            % index, rtnl.fdb_entries, index)
                if entry != (rtnl.ZERO_MAC, own, None, None)]

    def addresses(self, index):
        """Configured addresses as canonical CIDRs (kernel order).

        IPv6 link-local addresses are the kernel's own, never the user's, so
        they are left out of what the collection compares and purges.
        """
        result = []
        for msg in self.dump('addr', index=index):
            addr = msg.get_attr('IFA_ADDRESS')
            if msg['family'] == 2 and msg.get_attr('IFA_LOCAL'):
                addr = msg.get_attr('IFA_LOCAL')
            iface = ipaddress.ip_interface('%s/%d' % (addr, msg['prefixlen']))
            if iface.version == 6 and iface.ip.is_link_local:
                continue
            result.append(iface.with_prefixlen)
        return result

    def index(self, name):
        """Index of a link that must exist (resolved when a step runs)."""
        msg = self.get_msg(name=name)
        if msg is None:
            raise NetlinkFailure('link %r is missing in %s' % (name, where(self.netns)))
        return msg['index']

    def port_vlans(self, index):
        """Bridge port VLANs as {vid: {'pvid': bool, 'untagged': bool}}."""
        vlans = {}
        for msg in self.dump('link', family=AF_BRIDGE, ext_mask=RTEXT_FILTER_BRVLAN):
            if msg['index'] != index:
                continue
            for name, value in (nla_dict(msg.get_attr('IFLA_AF_SPEC')) and
                                msg.get_attr('IFLA_AF_SPEC').get('attrs', [])):
                if name == 'IFLA_BRIDGE_VLAN_INFO':
                    vlans[value['vid']] = {
                        'pvid': bool(value['flags'] & BRIDGE_VLAN_INFO_PVID),
                        'untagged': bool(value['flags'] & BRIDGE_VLAN_INFO_UNTAGGED)}
        return vlans

    def links(self):
        return [self.view(msg) for msg in self.dump('link')]

    def link_names(self):
        """Names of the namespace's links, the kernel's fallback tunnel
        devices left out (rtnl.FALLBACK_DEVICES)."""
        names = []
        for msg in self.dump('link'):
            view = {'name': msg.get_attr('IFLA_IFNAME'),
                    'kind': nla(msg.get_attr('IFLA_LINKINFO'), 'IFLA_INFO_KIND')}
            if not fallback_device(view):
                names.append(view['name'])
        return names

    def nsid_of(self, netns):
        """The id this namespace gives another one (None: not known here)."""
        fd = open_namespace(netns)
        if fd is None:
            return None
        try:
            nsid = self.ipr.get_netnsid(fd=fd).get('nsid')
        finally:
            os.close(fd)
        # nsid 0 is a valid id; -1 (or its unsigned form) means "none yet"
        return None if nsid in (None, -1, 0xFFFFFFFF) else nsid

    def routes_away(self, address):
        """Does the namespace route `address` out (a unicast route; not
        one of its own addresses, not unreachable)?"""
        try:
            found = self.ipr.route('get', dst=address)
        except NetlinkError:
            return False
        return bool(found) and found[0]['type'] == RTN_UNICAST

    def default_route_indexes(self):
        """Indexes of links that carry a default route (IPv4 or IPv6)."""
        result = set()
        for family in (2, 10):
            for route in self.dump('route', family=family):
                if route['dst_len'] == 0 and route.get_attr('RTA_OIF'):
                    result.add(route.get_attr('RTA_OIF'))
                for hop in route.get_attr('RTA_MULTIPATH') or []:
                    if route['dst_len'] == 0:
                        result.add(hop['oif'])
        return result


# names other layers import from here (namespace helpers live in namespaces.py)
__all__ = ['Session', 'NetlinkFailure', 'FDB_KINDS', 'FDB_KEY', 'NetlinkError', 'IPRoute', 'HAS_PYROUTE2',
           'PYROUTE2_IMPORT_ERROR', 'NETNS_DIR', 'ALWAYS_LINKED', 'link_index',
           'list_namespaces', 'namespace_exists', 'create_namespace', 'remove_namespace',
           'inside', 'entered', 'explain', 'where', 'nla', 'nla_dict', 'sysctl_path',
           'read_sysctl', 'write_sysctl']
