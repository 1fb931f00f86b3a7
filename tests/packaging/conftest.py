"""Shared fixtures of the packaging tests (run with the shipping venv's pytest).

These tests run the collection the way users do: through ansible-playbook,
ansible, ansible-galaxy and ansible-runner, never by importing it.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
MODULES_DIR = os.path.join(ROOT, 'plugins', 'modules')
MODULES = sorted(f[:-3] for f in os.listdir(MODULES_DIR) if f.endswith('.py') and not f.startswith('_'))
# a value of each option type, for a module's required options
DUMMY = {'str': 'vnetmissing0', 'int': 1, 'bool': False, 'list': [], 'dict': {}, 'path': '/nonexistent', 'raw': 'x'}


def required_args(options):
    """A value for each required option: its first choice where it has
    choices (a dummy string would fail Ansible's own checks before the
    module runs), else a dummy of its type."""
    return dict((name, (spec.get('choices') or [DUMMY.get(spec.get('type', 'str'), 'x')])[0])
                for name, spec in options.items() if spec.get('required'))


def tool(name):
    """Path of an Ansible command of the venv running pytest."""
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        path = shutil.which(name)
    if not path:
        pytest.skip('%s is not installed' % name)
    return path


def unique(prefix):
    """A short unique name (interface and namespace names have 15 bytes)."""
    return '%s%s' % (prefix, uuid.uuid4().hex[:8])


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """A collections path where vnet.linux is this checkout (a symlink)."""
    base = tmp_path_factory.mktemp('collections')
    link = base / 'ansible_collections' / 'vnet' / 'linux'
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    return str(base)


def _ansible_env(collections_path):
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_FORCE_COLOR='0',
        ANSIBLE_RETRY_FILES_ENABLED='0',
        PATH=BIN + os.pathsep + env.get('PATH', ''),
    )
    return env


@pytest.fixture
def ansible_env(collections_path):
    return _ansible_env(collections_path)


@pytest.fixture(scope='module')
def ansible_env_module(collections_path):
    return _ansible_env(collections_path)


def run(argv, env, **kwargs):
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, **kwargs)
    return proc


@pytest.fixture
def needs_root():
    if os.geteuid() != 0:
        pytest.skip('needs root (network namespaces)')


@pytest.fixture(scope='module')
def all_docs(ansible_env_module):
    """Every module's documentation in one ansible-doc call ({} if one does not parse)."""
    proc = run([tool('ansible-doc'), '--json', '-t', 'module'] + ['vnet.linux.' + m for m in MODULES],
               ansible_env_module)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def module_doc(module, env, all_docs):
    """The module's documentation as ansible-doc merges it (with doc fragments)."""
    name = 'vnet.linux.' + module
    if name not in all_docs:  # one broken module must not hide the others: ask for it alone
        proc = run([tool('ansible-doc'), '--json', '-t', 'module', name], env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)[name]['doc']
    return all_docs[name]['doc']
