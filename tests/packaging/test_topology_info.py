"""topology_facts is now topology_info: the new name is documented, the old
one is a redirect that still runs, with a deprecation warning."""

import json
import sys

from conftest import run, tool, unique


def test_ansible_doc_shows_topology_info(ansible_env):
    proc = run([tool('ansible-doc'), '--json', '-t', 'module', 'vnet.linux.topology_info'], ansible_env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)['vnet.linux.topology_info']['doc']
    assert doc['module'] == 'topology_info'
    assert 'lab' in doc['options']


def run_reader(name, ansible_env):
    """The module by `name`, reading a lab that does not exist (it only reads)."""
    return run([tool('ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
                '-e', 'ansible_python_interpreter=%s' % sys.executable,
                '-m', name, '-a', 'lab=%s' % unique('nolab')],
               dict(ansible_env, ANSIBLE_DEPRECATION_WARNINGS='1'))


def test_topology_info_runs_without_a_deprecation(ansible_env, needs_root):
    proc = run_reader('vnet.linux.topology_info', ansible_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'DEPRECATION' not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_topology_facts_still_runs_with_a_deprecation_warning(ansible_env, needs_root):
    proc = run_reader('vnet.linux.topology_facts', ansible_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert 'DEPRECATION' in output and 'vnet.linux.topology_facts has been deprecated' in output, output
    assert 'vnet.linux.topology_info' in output, output
    assert '2.0.0' in output, output
