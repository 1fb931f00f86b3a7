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

import ctypes
import ctypes.util
import errno
import ipaddress
import os

from ansible_collections.vnet.linux.plugins.module_utils._netlink import (
    IFF_UP,
    IPRoute,
    NETNS_DIR,
    NetlinkFailure,
    Session,
    list_namespaces,
    nla,
    nla_dict,
    read_sysctl,
    where,
)

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 1 << 20
MNT_DETACH = 2
RT_TABLE_MAIN = 254
RTN_UNICAST = 1
# routes the kernel makes itself (kernel, redirect, router advertisement)
KERNEL_PROTOCOLS = (1, 2, 9)
# protocol number that marks the routes this collection adds
ROUTE_PROTOCOL = 118

_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)
    return _LIBC


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, '%s: %s' % (what, os.strerror(code)))


def _unshare_net():
    if hasattr(os, 'unshare'):  # Python >= 3.12
        os.unshare(CLONE_NEWNET)
    else:
        _check(_libc().unshare(CLONE_NEWNET), 'unshare')


def _setns(fd):
    if hasattr(os, 'setns'):
        os.setns(fd, CLONE_NEWNET)
    else:
        _check(_libc().setns(fd, CLONE_NEWNET), 'setns')


def _mount(source, target, flags):
    _check(_libc().mount(source.encode(), target.encode(), b'none', flags, None),
           'mount %s' % target)


def netns_path(name):
    return os.path.join(NETNS_DIR, name)


class Namespaces(object):
    """Creates, enters and removes named namespaces from this thread."""

    def __init__(self):
        # taken now, while this thread is surely in the namespace the module
        # started in: opened lazily it could be one we entered meanwhile
        self._home = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
        self._run_dir_ready = False

    @property
    def home(self):
        """The namespace the module started in (kept open to return to)."""
        if self._home is None:
            raise OSError(errno.EBADF, 'namespace handles already closed')
        return self._home

    def close(self):
        if self._home is not None:
            os.close(self._home)
            self._home = None

    def _prepare_run_dir(self):
        """Make /run/netns a shared mount point, as `ip netns add` does, so
        that removing a namespace also unmounts it in other mount
        namespaces and the kernel can free it."""
        if self._run_dir_ready:
            return
        os.makedirs(NETNS_DIR, mode=0o755, exist_ok=True)
        try:
            _mount('', NETNS_DIR, MS_SHARED | MS_REC)
        except OSError as err:
            if err.errno != errno.EINVAL:
                raise
            _mount(NETNS_DIR, NETNS_DIR, MS_BIND | MS_REC)
            _mount('', NETNS_DIR, MS_SHARED | MS_REC)
        self._run_dir_ready = True

    def create(self, name):
        self._prepare_run_dir()
        path = netns_path(name)
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0)
        os.close(fd)
        try:
            _unshare_net()
            try:
                _mount('/proc/thread-self/ns/net', path, MS_BIND)
            finally:
                _setns(self.home)
        except OSError:
            os.unlink(path)
            raise

    def remove(self, name):
        """Unmount and unlink; the kernel frees the namespace (and every
        link inside, veth peers elsewhere included) once nothing uses it."""
        path = netns_path(name)
        result = _libc().umount2(path.encode(), MNT_DETACH)
        if result != 0 and ctypes.get_errno() not in (errno.EINVAL, errno.ENOENT):
            _check(result, 'umount %s' % path)
        os.unlink(path)

    def enter(self, name):
        """Move this thread into a namespace (None: back home)."""
        if name is None:
            _setns(self.home)
            return
        fd = os.open(netns_path(name), os.O_RDONLY)
        try:
            _setns(fd)
        finally:
            os.close(fd)

    def inside(self, name):
        return _Inside(self, name)


class _Inside(object):
    def __init__(self, namespaces, name):
        self.namespaces = namespaces
        self.name = name

    def __enter__(self):
        self.namespaces.enter(self.name)

    def __exit__(self, *exc):
        self.namespaces.enter(None)


class FastSession(Session):
    """An engine Session whose socket is opened from inside the namespace,
    with an index cache filled by one dump (so steps do not ask the kernel
    for an index each time)."""

    def __init__(self, netns, namespaces):
        Session.__init__(self, netns)
        self.namespaces = namespaces
        self._indexes = None
        self._nsids = {}

    @property
    def ipr(self):
        if self._ipr is None:
            if self.netns is None:
                self._ipr = IPRoute(ext_ack=True)
                return self._ipr
            try:
                with self.namespaces.inside(self.netns):
                    self._ipr = IPRoute(ext_ack=True)
            except FileNotFoundError:
                raise NetlinkFailure('%s does not exist' % where(self.netns))
        return self._ipr

    def forget_indexes(self):
        """Links were added or deleted: read the indexes again when needed."""
        self._indexes = None

    def index(self, name):
        if self._indexes is None or name not in self._indexes:
            self._indexes = dict((msg.get_attr('IFLA_IFNAME'), msg['index'])
                                 for msg in self.dump('link'))
        if name not in self._indexes:
            raise NetlinkFailure('link %r is missing in %s' % (name, where(self.netns)))
        return self._indexes[name]

    def nsid_of(self, netns):
        # only ids are kept: "none yet" changes when a link first joins the two
        if self._nsids.get(netns) is None:
            self._nsids[netns] = Session.nsid_of(self, netns)
        return self._nsids[netns]


class Kernel(object):
    """Every session of one module run, one per namespace."""

    def __init__(self):
        self.namespaces = Namespaces()
        self._sessions = {}

    def session(self, netns):
        if netns not in self._sessions:
            self._sessions[netns] = FastSession(netns, self.namespaces)
        return self._sessions[netns]

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

def read_namespace(kernel, netns, sysctl_keys=(), routes=True, qdiscs=False):
    """Everything the topology manages in one namespace, as plain dicts.
    Qdiscs (impairments) only when asked: most labs have none."""
    session = kernel.session(netns)
    msgs = session.dump('link')
    names = dict((msg['index'], msg.get_attr('IFLA_IFNAME')) for msg in msgs)
    addresses = _addresses(session)
    links = {}
    for msg in msgs:
        view = link_view(msg, netns, names, addresses.get(msg['index'], []))
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
        from ansible_collections.vnet.linux.plugins.module_utils import _topology_netem
        state['qdiscs'] = _topology_netem.read_all(session)
    return state


def link_view(msg, netns, names, addresses):
    """The same plain dict as Session.view, from already dumped data."""
    info = msg.get_attr('IFLA_LINKINFO')
    master = msg.get_attr('IFLA_MASTER')
    stats = msg.get_attr('IFLA_STATS64') or {}
    return {
        'name': msg.get_attr('IFLA_IFNAME'),
        'index': msg['index'],
        'netns': netns,
        'kind': nla(info, 'IFLA_INFO_KIND') if info else None,
        'admin_state': 'up' if msg['flags'] & IFF_UP else 'down',
        'oper_state': (msg.get_attr('IFLA_OPERSTATE') or 'UNKNOWN').lower(),
        'mtu': msg.get_attr('IFLA_MTU'),
        'mac_address': msg.get_attr('IFLA_ADDRESS'),
        'txqueuelen': msg.get_attr('IFLA_TXQLEN'),
        'alias': msg.get_attr('IFLA_IFALIAS') or '',
        'master': names.get(master, '') if master else '',
        'link_index': msg.get_attr('IFLA_LINK'),
        'link_netnsid': msg.get_attr('IFLA_LINK_NETNSID'),
        'data': nla_dict(nla(info, 'IFLA_INFO_DATA')) if info else {},
        'port_kind': nla(info, 'IFLA_INFO_SLAVE_KIND') if info else None,
        'port_data': nla_dict(nla(info, 'IFLA_INFO_SLAVE_DATA')) if info else {},
        'addresses': addresses,
        'counters': dict((key, stats.get(key, 0)) for key in COUNTERS),
    }


COUNTERS = ('rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes', 'rx_dropped',
            'tx_dropped', 'rx_errors', 'tx_errors')


def _addresses(session):
    """index -> canonical CIDRs (kernel order), IPv6 link-local left out: the
    kernel makes those itself."""
    result = {}
    for msg in session.dump('addr'):
        addr = msg.get_attr('IFA_ADDRESS')
        if msg['family'] == 2 and msg.get_attr('IFA_LOCAL'):
            addr = msg.get_attr('IFA_LOCAL')
        iface = ipaddress.ip_interface('%s/%d' % (addr, msg['prefixlen']))
        if iface.version == 6 and iface.ip.is_link_local:
            continue
        result.setdefault(msg['index'], []).append(iface.with_prefixlen)
    return result


def _routes(session, names):
    """Unicast routes of the main table that someone added (not the kernel's
    own connected and link-local routes)."""
    result = []
    for family in (2, 10):
        for msg in session.dump('route', family=family):
            table = msg.get_attr('RTA_TABLE') or msg['table']
            if table != RT_TABLE_MAIN or msg['type'] != RTN_UNICAST:
                continue
            if msg['proto'] in KERNEL_PROTOCOLS:
                continue
            dst = msg.get_attr('RTA_DST')
            oif = msg.get_attr('RTA_OIF')
            result.append({
                'family': family,
                'prefix': (dst or ('::' if family == 10 else '0.0.0.0'), msg['dst_len']),
                'via': msg.get_attr('RTA_GATEWAY'),
                'dev': names.get(oif) if oif else None,
                'metric': msg.get_attr('RTA_PRIORITY') or 0,
                'proto': msg['proto'],
            })
    return result


def read_sysctls(kernel, netns, keys):
    values = {}
    with kernel.namespaces.inside(netns):
        for key, path in keys:
            try:
                values[key] = read_sysctl(path)
            except (IOError, OSError):
                values[key] = None
    return values


def read_marks(kernel, netns_names):
    """netns -> the alias of its lo (where the lab mark of a namespace is)."""
    marks = {}
    for netns in netns_names:
        session = kernel.session(netns)
        try:
            msg = session.get_msg(name='lo')
        except (NetlinkFailure, OSError):
            continue
        marks[netns] = (msg.get_attr('IFLA_IFALIAS') or '') if msg is not None else ''
    return marks


__all__ = ['Kernel', 'Namespaces', 'FastSession', 'read_namespace', 'read_marks',
           'list_namespaces', 'ROUTE_PROTOCOL', 'COUNTERS', 'netns_path']
