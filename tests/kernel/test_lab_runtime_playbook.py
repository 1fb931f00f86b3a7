"""The lab role's run-time actions (impair, flap, status) through the
playbooks lab_impair.yml, lab_flap.yml and lab_status.yml, with -e extra
vars as an AWX survey sends them, on a two-node lab with a unique name,
removed also on failure. The machine's kernel has no netem: impair runs in
check mode here (its real runs are the module's, tests/kernel/test_impairment.py,
in the guest lane)."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'playbooks'))
import lab_runner  # noqa: E402


@pytest.fixture
def lab(tmp_path):
    name = lab_runner.unique_lab('rt')
    yield name
    if lab_runner.namespaces_with_prefix(name):
        lab_runner.tear_down(name, name, str(tmp_path))


def compact(value):
    return json.dumps(value, separators=(',', ':'))  # -e key=value splits at spaces


def playbook(name, tmp_path, *pairs, check=False, ok=True):
    args = []
    for pair in pairs:
        args += ['-e', pair]
    result = lab_runner.run_playbook(os.path.join(lab_runner.PLAYBOOKS, name), str(tmp_path),
                                     args=args, check=check)
    if ok:
        assert result.returncode == 0, result.stdout[-5000:]
    return result


def test_status_flap_and_impair(lab, tmp_path):
    a, b = lab + 'a', lab + 'b'
    topology = 'topology=' + compact({
        'lab': lab, 'nodes': [{'name': a}, {'name': b}],
        'links': [{'endpoints': [{'node': a, 'name': 'e1', 'addresses': ['10.93.0.1/24']},
                                 {'node': b, 'name': 'e2', 'addresses': ['10.93.0.2/24']}]}]})
    playbook('lab_up.yml', tmp_path, topology, 'add_hosts=false',
             'output_dir=%s' % (tmp_path / 'out'))
    out = playbook('lab_status.yml', tmp_path, topology).stdout
    assert 'interface' in out and 'ingress' in out
    assert any(a in line and 'e1' in line and ' up ' in line for line in out.splitlines())

    flap = (topology, 'node=' + a, 'interface=e1', 'count=2', 'down_time=0.2', 'up_time=0.2')
    checked = playbook('lab_flap.yml', tmp_path, *flap, check=True).stdout
    assert "take e1 in namespace '%s' (flap 2 of 2) down for 0.2s" % a in checked
    out = playbook('lab_flap.yml', tmp_path, *flap).stdout
    assert 'changed: [localhost]' in out and '(flap 2 of 2) up' in out

    impairments = 'impairments=' + compact([
        {'node': a, 'interface': 'e1', 'direction': 'both', 'delay': '50ms'},
        {'node': b, 'interface': 'e2', 'state': 'absent'}])
    out = playbook('lab_impair.yml', tmp_path, topology, impairments, check=True).stdout
    assert "set impairment (egress) delay=50ms on e1 in namespace '%s'" % a in out
    assert "create ifb ifb-e1 in namespace '%s'" % a in out

    wrong = playbook('lab_flap.yml', tmp_path, topology, 'node=nowhere', 'interface=e1',
                     ok=False)
    assert wrong.returncode != 0 and 'lab_flaps[0]: needs node' in wrong.stdout
