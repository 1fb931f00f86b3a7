# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named network namespaces: the one place that creates, enters and removes
them (every module, the topology, reachability probes and tap device reads
go through here).

Why not pyroute2's own helpers: `pyroute2.netns.create` and
`IPRoute(netns=...)` fork a helper process each, about 5 to 7 ms per
namespace. The kernel needs none of that: a thread can unshare a new network
namespace, bind-mount it under /run/netns (what `ip netns add` does) and
return with setns, all in well under a millisecond; a socket opened while
the thread is inside a namespace stays bound to it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os

from ansible_collections.vnet.linux.plugins.module_utils._netlink import faults, rtnl

NETNS_DIR = '/run/netns'
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_SHARED = 1 << 20
MNT_DETACH = 2

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


def unshare(flags):
    if hasattr(os, 'unshare'):  # Python >= 3.12
        os.unshare(flags)
    else:
        _check(_libc().unshare(flags), 'unshare')


def _unshare_net():
    unshare(CLONE_NEWNET)


def setns(fd, flags=CLONE_NEWNET):
    """Move this thread into the namespace open at fd."""
    if hasattr(os, 'setns'):
        os.setns(fd, flags)
    else:
        _check(_libc().setns(fd, flags), 'setns')


_setns = setns


def mount(source, target, flags, fstype=b'none'):
    _check(_libc().mount(source.encode(), target.encode(), fstype, flags, None),
           'mount %s' % target)


_mount = mount


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

    def create(self, name, mark=None):
        """Create a named namespace. With a mark, lo carries it (as its
        alias) and is up before the namespace is bound to its name: a run
        killed at any point never leaves a named but unmarked namespace of
        a lab, and the lab needs no second request for lo."""
        faults.os_error('creating namespace %s' % name)
        self._prepare_run_dir()
        path = netns_path(name)
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0)
        os.close(fd)
        try:
            _unshare_net()
            try:
                if mark:
                    _loopback_up_and_marked(mark)
                _mount('/proc/thread-self/ns/net', path, MS_BIND)
            finally:
                _setns(self.home)
        except OSError:
            os.unlink(path)
            raise

    def remove(self, name):
        """Unmount and unlink; the kernel frees the namespace (and every
        link inside, veth peers elsewhere included) once nothing uses it."""
        faults.os_error('removing namespace %s' % name)
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


def _loopback_up_and_marked(mark):
    """Bring lo up and set its alias, in one request, in the namespace this
    thread is in (lo is index 1 in every namespace)."""
    sock = rtnl.Socket()
    try:
        rtnl.set_link(sock, 1, up=True, alias=mark)
    finally:
        sock.close()


class _Inside(object):
    def __init__(self, namespaces, name):
        self.namespaces = namespaces
        self.name = name

    def __enter__(self):
        self.namespaces.enter(self.name)

    def __exit__(self, *exc):
        self.namespaces.enter(None)


def list_namespaces():
    """Names of the named network namespaces, as `ip netns` sees them."""
    try:
        return sorted(n for n in os.listdir(NETNS_DIR)
                      if os.path.isfile(os.path.join(NETNS_DIR, n)))
    except FileNotFoundError:
        return []


def namespace_exists(name):
    return name is None or os.path.isfile(os.path.join(NETNS_DIR, name))


@contextlib.contextmanager
def entered(netns):
    """Run the block with this thread inside a named namespace (None: stay),
    then return to the namespace it was in. Never creates one: a missing
    namespace raises FileNotFoundError."""
    if netns is None:
        yield
        return
    target = os.open(netns_path(netns), os.O_RDONLY)
    home = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
    try:
        setns(target)
        try:
            yield
        finally:
            setns(home)
    finally:
        os.close(target)
        os.close(home)


def net_ns_target(netns):
    """What pyroute2's net_ns_fd takes to place a new link into a namespace:
    its name, or for the root namespace (it has no name; the module runs
    in it) an open descriptor of this process's own. Returns (value, the
    descriptor to close after the request, or None)."""
    if netns is not None:
        return netns, None
    fd = os.open('/proc/self/ns/net', os.O_RDONLY)
    return fd, fd


def create_named(name, mark=None):
    """Create one named namespace (for callers without a Namespaces)."""
    namespaces = Namespaces()
    try:
        namespaces.create(name, mark=mark)
    finally:
        namespaces.close()


def remove_named(name):
    namespaces = Namespaces()
    try:
        namespaces.remove(name)
    finally:
        namespaces.close()
