"""The execution environment definition: ansible-builder create and introspect.

There is no container engine here, so the image itself is not built; what is
checked is everything ansible-builder does before the engine runs: schema
validation of execution-environment.yml, the generated build context, and
the dependencies it reads from the installed collection's
meta/execution-environment.yml.
"""

import os
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT, run, tool


def _requirements_range():
    with open(os.path.join(ROOT, 'requirements.txt')) as f:
        return [line.strip() for line in f if line.strip().startswith('pyroute2')]


@pytest.fixture(scope='module')
def artifact(tmp_path_factory, ansible_env_module):
    """The collection built under the name execution-environment.yml expects."""
    base = tmp_path_factory.mktemp('ee')
    out = base / 'build' / 'ee'
    proc = run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(out), ROOT], ansible_env_module)
    assert proc.returncode == 0, proc.stderr
    (built,) = out.glob('vnet-linux-*.tar.gz')
    built.rename(out / 'vnet-linux.tar.gz')
    return base


def test_builder_create(artifact, ansible_env_module):
    shutil.copy(os.path.join(ROOT, 'execution-environment.yml'), artifact)
    proc = run([tool('ansible-builder'), 'create', '--file', 'execution-environment.yml',
                '--context', 'context', '--output-filename', 'Containerfile'],
               ansible_env_module, cwd=str(artifact))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    context = artifact / 'context'
    containerfile = (context / 'Containerfile').read_text()
    assert 'FROM $EE_BASE_IMAGE AS base' in containerfile
    assert 'introspect.py introspect' in containerfile
    assert (context / '_build' / 'collections' / 'vnet-linux.tar.gz').is_file()
    requirements = yaml.safe_load((context / '_build' / 'requirements.yml').read_text())
    assert requirements['collections'] == [{'name': '/build/collections/vnet-linux.tar.gz', 'type': 'file'}]


def test_introspect_reads_collection_dependencies(artifact, ansible_env_module, tmp_path):
    proc = run([tool('ansible-galaxy'), 'collection', 'install', '--offline', '--force', '-p', str(tmp_path),
                str(artifact / 'build' / 'ee' / 'vnet-linux.tar.gz')], ansible_env_module)
    assert (tmp_path / 'ansible_collections' / 'vnet' / 'linux' / 'MANIFEST.json').is_file(), proc.stdout
    assert proc.returncode == 0, proc.stderr
    proc = run([tool('ansible-builder'), 'introspect', '--sanitize', str(tmp_path)], ansible_env_module)
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(proc.stdout.split('\n', 1)[1])
    python = [entry.split('#')[0].strip() for entry in data['python']]
    system = [entry.split('#')[0].strip() for entry in data['system']]
    assert python == _requirements_range() == ['pyroute2>=0.9.1,<0.10']
    assert 'iproute2 [platform:dpkg]' in system and 'iproute [platform:rpm]' in system
    assert 'libteam-utils [platform:dpkg]' in system and 'teamd [platform:rpm]' in system


def test_bindep_resolves_on_this_platform(ansible_env_module):
    if not shutil.which('dpkg'):
        pytest.skip('checked on Debian/Ubuntu')
    proc = subprocess.run([tool('bindep'), '--file', os.path.join(ROOT, 'meta', 'ee-bindep.txt'), '--list_all', 'newline'],
                          capture_output=True, text=True, env=ansible_env_module, check=False)
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split()) == ['iproute2', 'libteam-utils']
