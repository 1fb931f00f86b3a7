"""scripts/package-test.sh: build, inspect, install and run the artifact."""

import os
import subprocess
import sys

from conftest import ROOT, run, tool, unique


def test_package_script(needs_root, tmp_path):
    env = dict(os.environ, SHIP_VENV=sys.prefix, KEEP_ARTIFACT=str(tmp_path))
    proc = subprocess.run(['bash', os.path.join(ROOT, 'scripts', 'package-test.sh')],
                          env=env, capture_output=True, text=True, timeout=900, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert 'package test passed' in output
    assert [p.name for p in tmp_path.glob('vnet-linux-*.tar.gz')]
    # Nothing of the lab is left behind.
    namespaces = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True, check=True).stdout
    lab_ids = [line.split('lab id ')[1].split(')')[0] for line in output.splitlines() if 'lab id ' in line]
    assert lab_ids and not any(lab_ids[0] in line for line in namespaces.splitlines())


def test_demo_lab_cleans_up_on_failure(needs_root, ansible_env):
    """A failing step (a ping to an address nobody has) still removes the lab."""
    lab_id = unique('')
    proc = run([tool('ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', 'lab_id=%s' % lab_id,
                '-e', 'lab_ping_target=198.18.0.3',
                os.path.join(ROOT, 'tests', 'packaging', 'playbooks', 'demo_lab.yml')], ansible_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert 'Ping from the first namespace to the second' in output
    namespaces = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True, check=True).stdout
    assert lab_id not in namespaces, output
