"""Every module that needs pyroute2 refuses Debian 12's pyroute2 (0.7.2) with
the version it needs, and changes nothing.

pyroute2 0.7.2 is installed from PyPI into a folder of its own (once, under
tests/output) that goes first on PYTHONPATH, so the modules' Python imports
it as a managed host with Debian's python3-pyroute2 would. The modules run
through `ansible -m` with arguments that would create something: a link in
a namespace this test made, a new namespace (netns, topology). The test
checks the message, that the new namespace was not made and that the test's
namespace still has only its loopback. (Other namespaces may come and go:
other tests share the host.)
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import MODULES, ROOT, module_doc, required_args, run, tool, unique

OLD_VERSION = '0.7.2'
OLD_DIR = os.path.join(ROOT, 'tests', 'output', 'pyroute2-%s' % OLD_VERSION)
MESSAGE = 'pyroute2 0.9.1 or newer is needed on the managed host'


@pytest.fixture(scope='module')
def old_pyroute2():
    """A folder with pyroute2 0.7.2 alone in it, for PYTHONPATH."""
    if not os.path.exists(os.path.join(OLD_DIR, 'pyroute2', '__init__.py')):
        proc = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
                               '--target', OLD_DIR, 'pyroute2==%s' % OLD_VERSION],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    probe = subprocess.run([sys.executable, '-c', 'import pyroute2; print(pyroute2.__version__)'],
                           env=dict(os.environ, PYTHONPATH=OLD_DIR), capture_output=True,
                           text=True, check=False)
    assert probe.stdout.strip() == OLD_VERSION, probe.stdout + probe.stderr
    return OLD_DIR


@pytest.fixture(scope='module')
def test_netns():
    """A namespace of this test, with only its loopback, removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip('needs root (network namespaces)')
    name = unique('vnold')
    subprocess.run(['ip', 'netns', 'add', name], check=True)
    try:
        yield name
    finally:
        subprocess.run(['ip', 'netns', 'del', name], check=False)


def namespaces():
    return sorted(os.listdir('/run/netns')) if os.path.isdir('/run/netns') else []


def links_in(netns):
    proc = subprocess.run(['ip', '-n', netns, '-j', 'link', 'show'], capture_output=True,
                          text=True, check=True)
    return sorted(link['ifname'] for link in json.loads(proc.stdout))


def creating_args(module, doc, netns, new_netns):
    """Arguments with which the module, if it ran, would create something."""
    if module == 'netns':
        return {'name': new_netns}
    if module == 'topology':
        return {'lab': new_netns, 'nodes': [{'name': new_netns}]}
    options = doc.get('options') or {}
    args = required_args(options)
    if 'netns' in options:
        args['netns'] = netns
    return args


@pytest.mark.parametrize('module', MODULES)
def test_old_pyroute2_is_refused_before_any_change(module, ansible_env, all_docs, old_pyroute2,
                                                   test_netns):
    doc = module_doc(module, ansible_env, all_docs)
    if not any('pyroute2' in req for req in doc.get('requirements') or []):
        pytest.skip('vnet.linux.%s does not list pyroute2 in its requirements' % module)
    new_netns = unique('vnnew')
    args = creating_args(module, doc, test_netns, new_netns)
    try:
        proc = run([tool('ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
                    '-e', 'ansible_python_interpreter=%s' % sys.executable,
                    '-m', 'vnet.linux.%s' % module] + (['-a', json.dumps(args)] if args else []),
                   dict(ansible_env, PYTHONPATH=old_pyroute2))
        made = new_netns in namespaces()
    finally:  # what a module without the check would have made
        if new_netns in namespaces():
            subprocess.run(['ip', 'netns', 'del', new_netns], check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert MESSAGE in output, output
    assert 'has pyroute2 %s' % OLD_VERSION in output, output
    assert 'vnet.linux.prereqs' in output, output
    assert 'Traceback' not in output, output
    assert not made, output
    assert links_in(test_netns) == ['lo'], output
