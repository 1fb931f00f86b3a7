"""Fixtures for tests on real netlink, inside throwaway namespaces.

Every namespace a test uses is created here with a unique name and removed
afterwards, also when the test fails. The machine's own interfaces are never
touched.
"""

import contextlib
import importlib
import io
import itertools
import json
import os
import subprocess

import pytest

from pyroute2 import netns as pyroute2_netns

from ansible.module_utils import _internal as module_internals
from ansible.module_utils.testing import patch_module_args

_COUNTER = itertools.count()
PREFIX = 'vt%d' % (os.getpid() % 100000)


def unique_name(tag=''):
    """A namespace or link name unique to this test run (<= 15 bytes)."""
    return ('%s%s%d' % (PREFIX, tag, next(_COUNTER)))[:15]


@pytest.fixture
def namespaces():
    """Factory: namespaces(n, create=True) -> list of fresh namespace names."""
    made = []

    def make(count=1, create=True):
        names = [unique_name('n') for _index in range(count)]
        for name in names:
            made.append(name)
            if create:
                pyroute2_netns.create(name)
        return names
    yield make
    for name in made:
        if name in pyroute2_netns.listnetns():
            remove_namespace(name)


class Lab(object):
    """Names for one test's topology lab: node names are prefix + a short tag."""

    def __init__(self):
        self.prefix = unique_name('t')
        self.name = 'lab-' + self.prefix

    def n(self, tag):
        name = self.prefix + tag
        assert len(name) <= 15, name
        return name

    def run(self, check=False, diff=True, **description):
        args = dict(description, lab=self.name)
        return run_module('topology', args, check=check, diff=diff)

    def info(self, lab=True):
        return run_module('topology_info', {'lab': self.name} if lab else {})

    def namespaces(self):
        return [n for n in pyroute2_netns.listnetns() if n.startswith(self.prefix)]


@pytest.fixture
def lab():
    """A Lab; afterwards the lab is removed (what it took with it in foreign
    objects too: tests make such on purpose) and every namespace left with
    its prefix, also when the test fails."""
    made = Lab()
    yield made
    try:
        run_module('topology', {'lab': made.name, 'state': 'absent', 'allow_collateral': True})
    finally:
        for name in made.namespaces():
            remove_namespace(name)


@pytest.fixture
def lab_name():
    """A topology lab name, also the prefix of its node names (which must
    start with it); the lab and any namespace with the prefix are removed
    afterwards, also when the test fails."""
    prefix = unique_name('l')
    yield prefix
    try:
        run_module('topology', {'lab': prefix, 'state': 'absent'})
    finally:
        for name in pyroute2_netns.listnetns():
            if name.startswith(prefix):
                remove_namespace(name)


def remove_namespace(name):
    """Delete the links inside first, so that no peer outlives the test."""
    from pyroute2 import IPRoute
    with IPRoute(netns=name, flags=0) as ipr:
        for link in ipr.link('dump'):
            if link.get_attr('IFLA_IFNAME') != 'lo':
                try:
                    ipr.link('del', index=link['index'])
                except Exception:  # already gone with its peer
                    pass
    pyroute2_netns.remove(name)


def run_module(name, args, check=False, diff=True):
    """Run a module's main() in-process; returns its result dict.

    Once controller code is imported in this pytest process (the filter
    plugin tests do that), ansible marks the process as the controller and
    routes module warnings to its display instead of the result: the module
    runs as a module here, so the flag is cleared for the run.
    """
    module = importlib.import_module('ansible_collections.vnet.linux.plugins.modules.' + name)
    # a module run is one process under Ansible: the fault-injection hook
    # (VNET_FAULT_AT) counts the requests of this run from the first
    importlib.import_module('ansible_collections.vnet.linux.plugins.module_utils'
                            '._netlink.faults').reset()
    full = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    out = io.StringIO()
    was_controller = module_internals.is_controller
    module_internals.is_controller = False
    try:
        with patch_module_args(full), contextlib.redirect_stdout(out):
            with pytest.raises(SystemExit):
                module.main()
    finally:
        module_internals.is_controller = was_controller
    return json.loads(out.getvalue())


def ip(netns, *args):
    """Read kernel state with iproute2 as an independent witness."""
    cmd = ['ip', '-j', '-d'] + (['-n', netns] if netns else []) + list(args)
    return json.loads(subprocess.check_output(cmd) or b'[]')
