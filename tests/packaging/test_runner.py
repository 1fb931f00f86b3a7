"""The lab under ansible-runner, the engine AWX and AAP run jobs with.

A private data dir is laid out as AWX does it (project/, inventory/,
env/extravars, env/envvars), the collection is an installed copy of the built
artifact (ANSIBLE_COLLECTIONS_PATH in env/envvars, as an execution
environment has it), and ansible_runner.run() plays the lab: two namespaces,
a veth pair, a ping, all removed again.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import BIN, ROOT, run, tool, unique

ansible_runner = pytest.importorskip('ansible_runner')

PLAYBOOK = os.path.join(ROOT, 'tests', 'packaging', 'playbooks', 'demo_lab.yml')


@pytest.fixture(scope='module')
def installed_collection(tmp_path_factory, ansible_env_module):
    base = tmp_path_factory.mktemp('runner-collections')
    env = {k: v for k, v in ansible_env_module.items() if k != 'ANSIBLE_COLLECTIONS_PATH'}
    proc = run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(base / 'dist'), ROOT], env)
    assert proc.returncode == 0, proc.stderr
    (artifact,) = (base / 'dist').glob('vnet-linux-*.tar.gz')
    # --force: a vnet.linux installed elsewhere would make ansible-galaxy skip this path
    proc = run([tool('ansible-galaxy'), 'collection', 'install', '--offline', '--force', '-p',
                str(base / 'collections'), str(artifact)], env)
    assert proc.returncode == 0, proc.stderr
    assert (base / 'collections' / 'ansible_collections' / 'vnet' / 'linux' / 'MANIFEST.json').is_file()
    return str(base / 'collections')


def namespaces():
    out = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


@pytest.fixture
def private_data_dir(tmp_path, installed_collection):
    lab_id = unique('')
    (tmp_path / 'project').mkdir()
    shutil.copy(PLAYBOOK, tmp_path / 'project' / 'lab.yml')
    (tmp_path / 'inventory').mkdir()
    (tmp_path / 'inventory' / 'hosts').write_text(
        'localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    (tmp_path / 'env').mkdir()
    (tmp_path / 'env' / 'extravars').write_text(yaml.safe_dump({'lab_id': lab_id}))
    (tmp_path / 'env' / 'envvars').write_text(yaml.safe_dump({
        'ANSIBLE_COLLECTIONS_PATH': installed_collection,
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'PATH': BIN + os.pathsep + os.environ.get('PATH', ''),
    }))
    yield tmp_path, lab_id
    for ns in ('va' + lab_id, 'vb' + lab_id):  # only if the play's own cleanup failed
        if ns in namespaces():
            subprocess.run(['ip', 'netns', 'del', ns], check=False)


def test_lab_under_ansible_runner(private_data_dir, installed_collection, needs_root, monkeypatch):
    data_dir, lab_id = private_data_dir
    monkeypatch.setenv('PATH', BIN + os.pathsep + os.environ.get('PATH', ''))
    result = ansible_runner.run(private_data_dir=str(data_dir), playbook='lab.yml', ident='lab1', quiet=True,
                                verbosity=3)

    stdout = result.stdout.read()
    assert result.status == 'successful', stdout
    assert result.rc == 0

    artifacts = data_dir / 'artifacts' / 'lab1'
    assert (artifacts / 'stdout').is_file() and (artifacts / 'stdout').stat().st_size > 0
    assert (artifacts / 'rc').read_text().strip() == '0'
    assert (artifacts / 'status').read_text().strip() == 'successful'
    events = [json.loads(p.read_text()) for p in sorted((artifacts / 'job_events').glob('*.json'))]
    assert events, 'no job events'
    kinds = {e['event'] for e in events}
    assert {'playbook_on_start', 'runner_on_ok', 'playbook_on_stats'} <= kinds
    ok_tasks = {e['event_data'].get('task') for e in events if e['event'] == 'runner_on_ok'}
    assert 'Ping from the first namespace to the second' in ok_tasks
    assert result.stats['failures'] == {} and result.stats['ok'].get('localhost')
    # The modules came from the installed copy, and the lab is gone.
    installed = os.path.join(installed_collection, 'ansible_collections', 'vnet', 'linux', 'plugins', 'modules')
    assert 'Using module file %s' % os.path.join(installed, 'veth.py') in stdout
    assert not namespaces() & {'va' + lab_id, 'vb' + lab_id}


LAB_PLAYBOOKS = os.path.join(ROOT, 'playbooks')


@pytest.mark.skipif(not os.path.exists(os.path.join(LAB_PLAYBOOKS, 'lab_up.yml')),
                    reason='playbooks/lab_up.yml is not there yet')
def test_lab_up_and_down_under_ansible_runner(tmp_path, installed_collection, needs_root, monkeypatch):
    """The collection's own lab_up.yml and lab_down.yml as two AWX-style jobs.
    The lab's files go to lab-output/ in the job's working directory, the
    project directory."""
    monkeypatch.setenv('PATH', BIN + os.pathsep + os.environ.get('PATH', ''))
    lab = unique('rl')
    shutil.copytree(LAB_PLAYBOOKS, tmp_path / 'project')
    (tmp_path / 'inventory').mkdir()
    (tmp_path / 'inventory' / 'hosts').write_text(
        'localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    (tmp_path / 'env').mkdir()
    (tmp_path / 'env' / 'extravars').write_text(yaml.safe_dump({
        'preset': 'star', 'lab': lab, 'nodes': 2}))
    (tmp_path / 'env' / 'envvars').write_text(yaml.safe_dump({
        'ANSIBLE_COLLECTIONS_PATH': installed_collection,
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
        'PATH': BIN + os.pathsep + os.environ.get('PATH', ''),
    }))
    try:
        up = ansible_runner.run(private_data_dir=str(tmp_path), playbook='lab_up.yml', ident='up', quiet=True)
        assert up.status == 'successful', up.stdout.read()
        assert {lab + '-h1', lab + '-h2'} <= namespaces()
        events = [json.loads(p.read_text()) for p in (tmp_path / 'artifacts' / 'up' / 'job_events').glob('*.json')]
        assert any(e['event'] == 'playbook_on_stats' for e in events)
        assert (tmp_path / 'project' / 'lab-output' / 'localhost' / (lab + '.mmd')).is_file()
    finally:
        down = ansible_runner.run(private_data_dir=str(tmp_path), playbook='lab_down.yml', ident='down', quiet=True)
        left = sorted(ns for ns in namespaces() if ns.startswith(lab))
        for ns in left:  # only if lab_down failed
            subprocess.run(['ip', 'netns', 'del', ns], check=False)
    assert down.status == 'successful', down.stdout.read()
    assert (tmp_path / 'artifacts' / 'down' / 'stdout').is_file()
    assert not left, 'lab_down left %s' % left
