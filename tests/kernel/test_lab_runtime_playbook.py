"""The lab role's run-time actions (impair, flap, status) as a playbook
runs them, on a two-node lab with a unique name, removed also on failure.
The machine's kernel has no netem: impair runs in check mode here (its real
runs are the module's, tests/kernel/test_impairment.py, in the guest lane)."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'playbooks'))
import lab_runner  # noqa: E402

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: vnet.linux.lab
      vars:
        lab_write_files: false
        lab_verify: false
"""


@pytest.fixture
def lab(tmp_path):
    name = lab_runner.unique_lab('rt')
    yield name
    if lab_runner.namespaces_with_prefix(name):
        lab_runner.tear_down(name, name, str(tmp_path))


def role(tmp_path, check=False, **extra_vars):
    playbook = tmp_path / 'play.yml'
    playbook.write_text(PLAY)
    result = lab_runner.run_playbook(str(playbook), str(tmp_path), extra_vars=extra_vars,
                                     check=check)
    assert result.returncode == 0, result.stdout[-5000:]
    return result.stdout


def test_status_flap_and_impair_in_check_mode(lab, tmp_path):
    a, b = lab + 'a', lab + 'b'
    topology = {'lab': lab, 'nodes': [{'name': a}, {'name': b}],
                'links': [{'endpoints': [{'node': a, 'name': 'e1', 'addresses': ['10.93.0.1/24']},
                                         {'node': b, 'name': 'e2',
                                          'addresses': ['10.93.0.2/24']}]}]}
    role(tmp_path, lab_topology=topology)
    out = role(tmp_path, lab_topology=topology, lab_action='status')
    assert 'node' in out and 'interface' in out and 'ingress' in out
    assert any(a in line and 'e1' in line and ' up ' in line for line in out.splitlines())

    flaps = json.dumps([{'node': a, 'interface': 'e1', 'count': 2, 'down_time': 0.2,
                         'up_time': 0.2}])
    checked = role(tmp_path, check=True, lab_topology=topology, lab_action='flap',
                   lab_flaps=flaps)
    assert "take e1 in namespace '%s' (flap 2 of 2) down for 0.2s" % a in checked
    out = role(tmp_path, lab_topology=topology, lab_action='flap', lab_flaps=flaps)
    assert 'changed: [localhost]' in out and "(flap 2 of 2) up" in out

    impairments = [{'node': a, 'interface': 'e1', 'direction': 'both', 'delay': '50ms'},
                   {'node': b, 'interface': 'e2', 'state': 'absent'}]
    out = role(tmp_path, check=True, lab_topology=topology, lab_action='impair',
               lab_impairments=impairments)
    assert "set impairment (egress) delay=50ms on e1 in namespace '%s'" % a in out
    assert "create ifb ifb-e1 in namespace '%s'" % a in out

    wrong = lab_runner.run_playbook(str(tmp_path / 'play.yml'), str(tmp_path), extra_vars={
        'lab_topology': topology, 'lab_action': 'flap',
        'lab_flaps': [{'node': 'nowhere', 'interface': 'e1'}]})
    assert wrong.returncode != 0 and 'lab_flaps[0]: needs node' in wrong.stdout
