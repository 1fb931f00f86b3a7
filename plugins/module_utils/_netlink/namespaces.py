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
import fcntl
import os
import shutil

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


# --- references: the namespace of a process, a file or a container ------------
#
# Every `netns` option and lab node takes a reference, resolved once, where
# a run starts, into what the rest of the code opens: None (the namespace
# the module runs in), the name of a namespace under /run/netns, or the
# absolute path of a namespace file elsewhere (/proc/PID/ns/net, a runtime's
# own directory). A path is opened as it is wherever a name is joined to
# /run/netns (os.path.join keeps an absolute second part), by pyroute2 too.

REFERENCE_KINDS = ('pid', 'path', 'container', 'name')
# tried in this order for container:NAME; container:RUNTIME/NAME picks one
CONTAINER_CLIS = ('podman', 'docker', 'nerdctl')
NS_GET_NSTYPE = 0xb703  # ioctl: the type of the namespace a file is (Linux 4.11)
OWN_NAMESPACE = '/proc/self/ns/net'

# canonical value -> the reference the user wrote, for messages (a run
# resolves each reference once, where it starts: link_run.resolve_namespaces)
_LABELS = {}
# [the module's run_command] (use_command_runner)
_RUNNER = []


class ReferenceFailure(ValueError):
    """A reference that names no network namespace (the caller adds the field)."""


class ReferenceGone(ReferenceFailure):
    """The process, file or container a well-formed reference names is gone."""


def is_reference(text):
    """Is this a reference (pid:, path:, container:, name:, an absolute
    path) rather than a plain namespace name?"""
    kind, sep, _rest = text.partition(':')
    return text.startswith('/') or bool(sep and kind in REFERENCE_KINDS)


def resolve(text):
    """The canonical value of a reference: None for the module's own
    namespace, a name for a namespace under /run/netns (whatever way it was
    reached), else the absolute path of its file. Raises ReferenceFailure
    when the process, file or container is missing, or is no network
    namespace."""
    kind, _sep, rest = text.partition(':')
    if text.startswith('/'):
        kind, rest = 'path', text
    if kind == 'name':
        return rest
    path, reached_by = _REFERENCE_PATHS[kind](rest, text)
    canonical = _canonical(path, _namespace_identity(path, reached_by))
    if canonical is not None and (reached_by != canonical or canonical not in _LABELS):
        # checked again as a path later in the run: keep how it was reached
        _LABELS[canonical] = reached_by
    return canonical


def label(netns):
    """The reference a canonical value was reached by, or None (a name or
    path given as it is)."""
    reached_by = _LABELS.get(netns)
    return reached_by if reached_by != netns else None


def external_paths():
    """Namespaces outside /run/netns that references of this run named
    (those that still exist)."""
    return sorted(path for path in _LABELS
                  if path.startswith('/') and _identity_of(path) is not None)


def _pid_path(rest, text):
    if not rest.isdigit() or int(rest) < 1:
        raise ReferenceFailure('%r: a PID is a positive number (pid:1234)' % text)
    if not os.path.isdir('/proc/%d' % int(rest)):
        raise ReferenceGone('%s: no process %d runs (it exited, or it was never started)'
                            % (text, int(rest)))
    return '/proc/%d/ns/net' % int(rest), text


def _file_path(rest, text):
    if not rest.startswith('/') or '\0' in rest:
        raise ReferenceFailure('%r: a namespace file is given by its absolute path '
                               '(path:/var/run/docker/netns/NAME)' % text)
    return os.path.normpath(rest), text


def _container_path(rest, text):
    pid, cli = container_pid(rest, text)
    return '/proc/%d/ns/net' % pid, '%s (%s, PID %d)' % (text, cli, pid)


_REFERENCE_PATHS = {'pid': _pid_path, 'path': _file_path, 'container': _container_path}


def container_pid(rest, text):
    """(PID of the container's first process, the CLI that said so): asks
    each installed runtime CLI in turn, or the one `RUNTIME/NAME` names."""
    runtime, slash, name = rest.rpartition('/')
    clis = (runtime,) if slash else CONTAINER_CLIS
    if not name or (slash and runtime not in CONTAINER_CLIS):
        raise ReferenceFailure('%r: write container:NAME or container:RUNTIME/NAME (RUNTIME '
                               'one of %s)' % (text, ', '.join(CONTAINER_CLIS)))
    installed = [(cli, shutil.which(cli)) for cli in clis if shutil.which(cli)]
    if not installed:
        raise ReferenceFailure('%s: no container CLI to ask (looked for %s in PATH)'
                               % (text, ', '.join(clis)))
    problems = []
    for cli, exe in installed:
        answer = _inspect_pid(exe, name)
        if isinstance(answer, int) and answer > 0:
            return answer, cli
        problems.append('%s: %s' % (cli, 'the container is not running (it exited, or was '
                                    'never started)' if answer == 0 else answer))
    raise ReferenceGone('%s: no running container %r (%s)' % (text, name, '; '.join(problems)))


def use_command_runner(run_command):
    """How container CLIs are run: the module's run_command (every command
    a module runs goes through it), given where a run starts."""
    _RUNNER[:] = [run_command]


def _inspect_pid(exe, name):
    """The PID a runtime reports for a container (0: not running), or its
    complaint as text."""
    if not _RUNNER:
        return 'not asked (no command runner given to this run)'
    rc, out, err = _RUNNER[0]([exe, 'container', 'inspect', '--format', '{{.State.Pid}}', name],
                              check_rc=False, expand_user_and_vars=False)
    out = out.strip()
    if rc != 0 or not out.isdigit():
        said = err.strip().splitlines() or [out or 'no answer (exit %d)' % rc]
        return said[-1]
    return int(out)


def _namespace_identity(path, text):
    """(st_dev, st_ino) of a network namespace file; ReferenceFailure if
    the file is missing or no network namespace."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ReferenceGone('%s: %s does not exist' % (text, path))
    except OSError as err:
        raise ReferenceFailure('%s: %s cannot be opened: %s' % (text, path, err.strerror))
    try:
        info = os.fstat(fd)
        if info.st_dev != os.stat(OWN_NAMESPACE).st_dev:
            raise ReferenceFailure('%s: %s is not a namespace file (a namespace file is one of '
                                   '/proc/PID/ns/ or a bind mount of one)' % (text, path))
        try:
            kind = fcntl.ioctl(fd, NS_GET_NSTYPE)
        except OSError:
            kind = CLONE_NEWNET  # a kernel before 4.11 cannot tell; setns will
        if kind != CLONE_NEWNET:
            raise ReferenceFailure('%s: %s is a namespace of another type, not a network '
                                   'namespace' % (text, path))
        return info.st_dev, info.st_ino
    finally:
        os.close(fd)


def _canonical(path, identity):
    """None, a name under /run/netns, or the path: one value for one
    namespace, however it was reached (locks, readings and the lab compare
    these values)."""
    if _identity_of(OWN_NAMESPACE) == identity:
        return None
    for name in list_namespaces():
        if _identity_of(netns_path(name)) == identity:
            return name
    return path


def process_namespaces(known_paths=()):
    """The network namespaces running processes hold outside /run/netns (a
    container's), as '/proc/PID/ns/net' of the first process in each; the
    module's own namespace, the named ones and those of known_paths (files
    a run was given) are left out. How a lab's readers find the links it
    put into containers."""
    known = set(_identity_of(netns_path(name)) for name in list_namespaces())
    known.update(_identity_of(path) for path in known_paths)
    known.add(_identity_of(OWN_NAMESPACE))
    found = []
    for entry in sorted((int(e) for e in os.listdir('/proc') if e.isdigit())):
        path = '/proc/%d/ns/net' % entry
        identity = _identity_of(path)
        if identity is not None and identity not in known:
            known.add(identity)
            found.append(path)
    return found


def display_name(netns):
    """How a namespace reads in a node's place: a process's namespace as
    pid:PID, any other as it is."""
    if netns and netns.startswith('/proc/') and netns.endswith('/ns/net'):
        return 'pid:' + netns[len('/proc/'):-len('/ns/net')]
    return netns


def _identity_of(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def identity(netns):
    """(st_dev, st_ino) of a namespace (None: the module's own), or None
    where it does not exist: what locks are keyed by."""
    return _identity_of(OWN_NAMESPACE if netns is None else netns_path(netns))
