# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Character devices of macvtap and ipvtap links, one node per namespace.

The kernel names the device tap<ifindex>, and devtmpfs creates /dev/tap<N>
for it whatever namespace the link lives in; ifindexes are per namespace,
so two namespaces clash on one /dev/tap<N> (the second link gets no node, or
the wrong one). The collection therefore keeps its own node for each link at

    /run/vnet-linux/tap/root/<ifname>            (the root namespace)
    /run/vnet-linux/tap/netns/<netns>/<ifname>   (a named namespace)
    /run/vnet-linux/tap/path/<path>/<ifname>     (one outside /run/netns,
                                                 its path with % for /)

(two directories, so that a namespace called "root" cannot clash), created
with os.mknod from the device number the kernel gives the link. That number
is read from /sys/class/net/<ifname>/<kind>/tap*/dev as seen inside the
link's namespace: sysfs shows the links of the namespace that mounted it,
so a forked child enters the namespace, mounts a private sysfs in a private
mount namespace (what `ip netns exec` does) and reads it there.
"""

from __future__ import annotations

import glob
import grp
import os
import pwd
import re
import stat

from ansible_collections.vnet.linux.plugins.module_utils._netlink import faults, namespaces

TAP_ROOT = '/run/vnet-linux/tap'
DEFAULT_MODE = 0o600


class TapDeviceError(OSError):
    """The device number of a tap link could not be read."""


def node_path(netns, ifname):
    if netns is None:
        return os.path.join(TAP_ROOT, 'root', ifname)
    if netns.startswith('/'):
        # a namespace outside /run/netns (a container's): its path, flattened
        return os.path.join(TAP_ROOT, 'path', netns.strip('/').replace('/', '%'), ifname)
    return os.path.join(TAP_ROOT, 'netns', netns, ifname)


def _read_in_child(netns, ifname, kind):
    """Runs in the forked child: returns 'major:minor' or ''."""
    namespaces.unshare(namespaces.CLONE_NEWNS)
    # keep our sysfs mount out of the parent's mount namespace
    namespaces.mount('none', '/', namespaces.MS_REC | namespaces.MS_PRIVATE)
    if netns is not None:
        fd = os.open(namespaces.netns_path(netns), os.O_RDONLY)
        namespaces.setns(fd)
        os.close(fd)
    # sysfs shows the network namespace of the process that mounts it
    namespaces.mount('sysfs', '/sys', 0, fstype=b'sysfs')
    found = glob.glob('/sys/class/net/%s/%s/tap*/dev' % (ifname, kind))
    if not found:
        return ''
    with open(found[0]) as handle:
        return handle.read().strip()


def device_number(netns, ifname, kind):
    """(major, minor) of the link's character device, or None if absent."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into the module
        code = 0
        try:
            os.close(read_end)
            os.write(write_end, _read_in_child(netns, ifname, kind).encode())
        except BaseException as err:  # reported to the parent through the pipe
            os.write(write_end, ('!' + str(err)).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    text = b''.join(chunks).decode()
    if text.startswith('!'):
        raise TapDeviceError('reading the device number of %s: %s' % (ifname, text[1:]))
    if not text:
        return None
    major, minor = text.split(':')
    return int(major), int(minor)


def resolve_owner(value, field):
    """A user name or uid -> uid (None stays None)."""
    return _resolve(value, field, pwd.getpwnam, 'pw_uid', 'user')


def resolve_group(value, field):
    return _resolve(value, field, grp.getgrnam, 'gr_gid', 'group')


def _resolve(value, field, lookup, attr, what):
    if value is None:
        return None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        return getattr(lookup(text), attr)
    except KeyError:
        raise ValueError('%s: no %s named %r on this host' % (field, what, text))


_OCTAL_MODE = re.compile(r'^[0-7]{1,5}$')


def parse_mode(value, field):
    """'0660' / '660' -> 0o660: octal digits as text, as ansible.builtin.file
    takes them. A number is refused: YAML reads an unquoted 0660 as 432, and
    432 read as octal digits would be another mode."""
    if value is None:
        return None
    if not isinstance(value, str) or not _OCTAL_MODE.match(value.strip()):
        raise ValueError('%s: %r is not an octal file mode written as text like \'0660\' '
                         '(quote it)' % (field, value))
    mode = int(value.strip(), 8)
    if mode > 0o7777:
        raise ValueError('%s: %r is out of range (0000..7777)' % (field, value))
    return mode


def node_state(path):
    """{'rdev': (major, minor), 'uid', 'gid', 'mode'} of a node, or None."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    rdev = (os.major(info.st_rdev), os.minor(info.st_rdev)) \
        if stat.S_ISCHR(info.st_mode) else None
    return {'rdev': rdev, 'uid': info.st_uid, 'gid': info.st_gid,
            'mode': stat.S_IMODE(info.st_mode)}


def make_node(path, number, uid, gid, mode):
    """(Re)create the node atomically: mknod beside it, then rename over."""
    faults.os_error('creating device node %s' % path)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temporary = path + '.new'
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.mknod(temporary, stat.S_IFCHR | mode, os.makedev(*number))
    os.chown(temporary, uid, gid)
    os.chmod(temporary, mode)  # mknod's mode is filtered by the umask
    os.rename(temporary, path)


def set_perms(path, uid, gid, mode):
    faults.os_error('changing device node %s' % path)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def remove_namespace_nodes(netns):
    """Every node kept for links of a named namespace (removed with it)."""
    directory = os.path.dirname(node_path(netns, 'x'))
    if netns is None or not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        os.unlink(os.path.join(directory, name))
    os.rmdir(directory)


def remove_node(path):
    if os.path.lexists(path):
        faults.os_error('removing device node %s' % path)
        os.unlink(path)
    try:  # a namespace's directory goes with its last node
        os.rmdir(os.path.dirname(path))
    except OSError:
        pass
