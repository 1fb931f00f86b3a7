# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A test hook: make the k-th state-changing kernel request of a run fail.

With VNET_FAULT_AT=k (k >= 1) in a module's environment, the k-th request
of the run that changes kernel state (a netlink add/set/del, a namespace
created or removed, a sysctl written, a teamd/teamdctl command, a tap
device node made or changed) fails with EIO as if the kernel had refused
it; reads (dumps, gets) are not counted. The fault-injection tests use it
to prove that a run failing at any step leaves the kernel as it found it.

Each request path asks `injected()` in one place just before it sends its
request and raises its own error type (the one its callers already
handle) when told to. Off (the variable unset or empty, which is how every
real run goes) `injected()` returns at its first test: the variable is read
once, when the module starts.

Counting is per module run: one process per run under Ansible. In-process
tests call `reset()` before each run to start from request 1 again.
"""

from __future__ import annotations

import errno
import os

ENV = 'VNET_FAULT_AT'
FAULT_ERRNO = errno.EIO

_at = None
_count = 0


def reset():
    """Read VNET_FAULT_AT again and count from zero (a new module run)."""
    global _at, _count
    value = os.environ.get(ENV, '').strip()
    _at = int(value) if value else None
    _count = 0


def injected(what=''):
    """None, or the text of the failure this state-changing request must
    raise (it is the k-th of the run)."""
    global _count
    if _at is None:
        return None
    _count += 1
    if _count != _at:
        return None
    return 'fault injected at state-changing request %d (%s=%d)%s' % (
        _count, ENV, _at, ': ' + what if what else '')


def counted():
    """How many state-changing requests this run has made so far (counted
    only while the hook is on)."""
    return _count


def os_error(what=''):
    """For the paths whose failures are OSError (namespaces, sysctls, files):
    raises it when this request is the one to fail."""
    fault = injected(what)
    if fault is not None:
        raise OSError(FAULT_ERRNO, fault)


reset()
