# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs side by side on one host: serialise those that touch the same objects.

Two runs that plan the same objects from the same reading both think they
must create them, and the slower one then trips over the faster one's work.
So every run holds a lock for what it touches, from before it reads the
kernel until after it verified:

  lab:<name>     a topology run (all of that lab's objects)
  netns:<name>   a single-link module run, per namespace it touches
                 (netns:/ for the root namespace, netns:@<dev>:<inode>
                 for one outside /run/netns, such as a container's)

Runs of different labs, or modules in different namespaces, do not wait for
each other. Locks are flock(2) locks on files under /run (tmpfs: gone at
reboot, released by the kernel when a process dies, even by kill -9), so a
crashed run never leaves a stale lock. The holder writes who it is into the
file, so a run that gives up waiting can name the run it waited for.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import time

from ansible_collections.vnet.linux.plugins.module_utils._netlink import namespaces

LOCK_DIR = '/run/vnet-linux/locks'
DEFAULT_TIMEOUT = 300
POLL_SECONDS = 0.05


class LockTimeout(Exception):
    """Another run held a lock for longer than the caller would wait."""


def lock_file(key):
    """A file name for a key: readable for short keys, hashed for long ones
    (namespace names may be 255 bytes, file names too, with a prefix)."""
    safe = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in key)
    if len(safe) > 100:
        safe = safe[:60] + '-' + hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]
    return os.path.join(LOCK_DIR, safe + '.lock')


class HostLocks(object):
    """Locks held by this run, taken in sorted order (no deadlock between
    two runs that need overlapping sets) and released together."""

    def __init__(self, holder, timeout=DEFAULT_TIMEOUT):
        self.holder = holder
        self.timeout = timeout
        self._held = {}

    def acquire(self, keys):
        deadline = time.monotonic() + self.timeout
        for key in sorted(set(keys)):
            if key not in self._held:
                self._held[key] = self._take(key, deadline)

    def _take(self, key, deadline):
        os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
        fd = os.open(lock_file(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as err:
                    if err.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        'another run is working on %s and held it for more than %d s '
                        '(lock_timeout): %s. Wait for it to finish, or raise lock_timeout.'
                        % (describe_key(key), self.timeout, read_holder(fd)))
                time.sleep(POLL_SECONDS)
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(dict(self.holder, pid=os.getpid(),
                                          since=int(time.time()))).encode('utf-8'), 0)
            return fd
        except BaseException:
            os.close(fd)
            raise

    def release(self):
        for fd in self._held.values():
            os.close(fd)  # closing drops the flock
        self._held = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def describe_key(key):
    kind, _sep, name = key.partition(':')
    if kind == 'lab':
        return 'lab %r' % name
    if name.startswith('@'):
        return 'the namespace with nsfs inode %s' % name.rsplit(':', 1)[1]
    return 'the root namespace' if name == '/' else 'namespace %r' % name


def read_holder(fd):
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode('utf-8') or '{}')
    except (OSError, ValueError):
        info = {}
    if not info:
        return 'holder unknown'
    parts = ['pid %s' % info.get('pid')]
    if info.get('task'):
        parts.append(info['task'])
    if info.get('since'):
        parts.append('since %s' % time.strftime('%H:%M:%S', time.localtime(info['since'])))
    return ', '.join(parts)


def lab_key(name):
    return 'lab:' + name


def netns_key(netns):
    """A namespace's lock key: by name, or for one outside /run/netns (a
    container's, reached by pid:, path: or container:) by its nsfs inode,
    which stays one key whatever path reached it."""
    if netns is not None and netns.startswith('/'):
        found = namespaces.identity(netns)
        if found is not None:
            return 'netns:@%d:%d' % found
    return 'netns:' + (netns or '/')
