"""Every module fails with Ansible's standard message when pyroute2 is missing.

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

from conftest import ROOT, run, tool

MODULES_DIR = os.path.join(ROOT, 'plugins', 'modules')
MODULES = sorted(f[:-3] for f in os.listdir(MODULES_DIR) if f.endswith('.py') and not f.startswith('_'))
BLOCKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'block_pyroute2')
DUMMY = {'str': 'vnetmissing0', 'int': 1, 'bool': False, 'list': [], 'dict': {}, 'path': '/nonexistent', 'raw': 'x'}
MESSAGE = 'Failed to import the required Python library (pyroute2)'


@pytest.fixture(scope='module')
def docs(ansible_env_module):
    """The modules' documentation as ansible-doc merges it (with doc fragments)."""
    proc = run([tool('ansible-doc'), '--json', '-t', 'module'] + ['vnet.linux.' + m for m in MODULES], ansible_env_module)
    assert proc.returncode == 0, proc.stderr
    return {name.split('.')[-1]: entry['doc'] for name, entry in json.loads(proc.stdout).items()}


def minimal_args(doc):
    options = doc.get('options') or {}
    args = {}
    for name, spec in options.items():
        if spec.get('required'):
            args[name] = DUMMY.get(spec.get('type', 'str'), 'x')
    if 'absent' in (options.get('state') or {}).get('choices', []):
        args['state'] = 'absent'
    return args


def test_modules_found():
    assert {'netns', 'veth', 'bridge'} <= set(MODULES)


@pytest.mark.parametrize('module', MODULES)
def test_missing_pyroute2_message(module, docs, ansible_env):
    env = dict(ansible_env, PYTHONPATH=BLOCKER)
    proc = run([tool('ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
                '-e', 'ansible_python_interpreter=%s' % sys.executable,
                '-m', 'vnet.linux.%s' % module, '-a', json.dumps(minimal_args(docs[module]))], env)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert MESSAGE in output, output
    assert 'Traceback' not in output, output
