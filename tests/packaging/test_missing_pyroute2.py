"""Every module that needs pyroute2 fails with Ansible's standard message without it,
naming the version needed and the role that installs it.

"Needs" is what the module's documentation says in `requirements` (a module
such as reachability, which talks to the kernel without pyroute2, is skipped).

Each module runs through `ansible -m` with block_pyroute2/ on PYTHONPATH, whose
sitecustomize makes `import pyroute2` fail in the module's Python, as on a
managed host without pyroute2. The arguments are the module's required
options (from ansible-doc) with state=absent where it has one, so that
nothing would be created even if the guard were missing.
"""

import json
import os
import sys

import pytest

from conftest import MODULES, module_doc, required_args, run, tool

BLOCKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'block_pyroute2')
MESSAGE = 'Failed to import the required Python library (pyroute2 >= 0.9.1)'


def minimal_args(doc):
    options = doc.get('options') or {}
    args = required_args(options)
    if 'absent' in (options.get('state') or {}).get('choices', []):
        args['state'] = 'absent'
    return args


def test_modules_found():
    assert {'netns', 'veth', 'bridge'} <= set(MODULES)


@pytest.mark.parametrize('module', MODULES)
def test_missing_pyroute2_message(module, ansible_env, all_docs):
    doc = module_doc(module, ansible_env, all_docs)
    if not any('pyroute2' in req for req in doc.get('requirements') or []):
        pytest.skip('vnet.linux.%s does not list pyroute2 in its requirements' % module)
    args = minimal_args(doc)
    env = dict(ansible_env, PYTHONPATH=BLOCKER)
    proc = run([tool('ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
                '-e', 'ansible_python_interpreter=%s' % sys.executable,
                '-m', 'vnet.linux.%s' % module] + (['-a', json.dumps(args)] if args else []), env)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert MESSAGE in output, output
    assert 'vnet.linux.prereqs' in output, output
    assert 'Traceback' not in output, output
