"""playbooks/lab_up.yml, lab_verify.yml and lab_down.yml as people run them:
ansible-playbook with -e key=value extra vars (what an AWX survey sends),
in labs with unique names, removed also when a test fails."""

import json
import os
import re
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'playbooks'))
import lab_runner  # noqa: E402  (shared with tests/kernel/test_lab_presets.py)

UP = os.path.join(lab_runner.PLAYBOOKS, 'lab_up.yml')
VERIFY = os.path.join(lab_runner.PLAYBOOKS, 'lab_verify.yml')
DOWN = os.path.join(lab_runner.PLAYBOOKS, 'lab_down.yml')
AWX = os.path.join(lab_runner.PLAYBOOKS, 'awx')


@pytest.fixture
def lab(tmp_path):
    """A unique lab name (also its namespaces' prefix); removed afterwards."""
    name = lab_runner.unique_lab('pb')
    yield name
    if lab_runner.namespaces_with_prefix(name):
        lab_runner.tear_down(name, name, str(tmp_path))


def run(playbook, tmp_path, *pairs, check=False):
    """ansible-playbook with -e key=value pairs, as the command line gives them."""
    args = ['-e', 'output_dir=%s' % (tmp_path / 'out')]
    for pair in pairs:
        args += ['-e', pair]
    result = lab_runner.run_playbook(playbook, str(tmp_path), args=args, check=check)
    return result


def files(tmp_path, lab):
    return os.path.join(str(tmp_path), 'out', 'localhost', lab)


def table_rows(tmp_path, lab):
    """The rows of the reachability table (the matrix follows a blank line)."""
    with open(files(tmp_path, lab) + '.reachability.txt') as handle:
        table = handle.read().split('\n\n')[0]
    return table.splitlines()[1:]


def test_demo_up_verify_down(lab, tmp_path):
    """The default lab (here with a prefix so that it cannot clash): built,
    pinged, looked into from the inventory hosts, verified, removed."""
    result = run(UP, tmp_path, 'lab=' + lab, 'prefix=%s-' % lab)
    assert result.returncode == 0, result.stdout[-5000:]
    assert sorted(lab_runner.namespaces_with_prefix(lab)) == sorted(
        '%s-%s' % (lab, n) for n in ('netns0', 'netns1', 'netns2', 'netns3', 'netnsbr'))
    # the second play ran in every namespace, found through the inventory
    assert 'veth01' in result.stdout and '192.168.254.10/24' in result.stdout
    assert 'ok: [%s-netnsbr]' % lab in result.stdout
    rows = table_rows(tmp_path, lab)
    assert len(rows) == 4 and all(row.endswith(' ok') for row in rows)

    result = run(VERIFY, tmp_path, 'lab=' + lab, 'prefix=%s-' % lab)
    assert result.returncode == 0, result.stdout[-5000:]

    result = run(DOWN, tmp_path, 'lab=' + lab)
    assert result.returncode == 0, result.stdout[-5000:]
    assert lab_runner.namespaces_with_prefix(lab) == []


def test_star_from_the_command_line(lab, tmp_path):
    """-e preset=star -e nodes=4: numbers arrive as strings."""
    result = run(UP, tmp_path, 'preset=star', 'nodes=4', 'lab=' + lab, 'add_hosts=false')
    assert result.returncode == 0, result.stdout[-5000:]
    with open(files(tmp_path, lab) + '.topology.json') as handle:
        topology = json.load(handle)
    assert len(topology['links']) == 4
    rows = table_rows(tmp_path, lab)
    assert len(rows) == 4 * 3 and all(row.endswith(' ok') for row in rows)
    assert run(DOWN, tmp_path, 'preset=star', 'lab=' + lab).returncode == 0
    assert lab_runner.namespaces_with_prefix(lab) == []


def test_topology_given_as_text(lab, tmp_path):
    """A whole topology as JSON text (an AWX textarea answer; compact, as
    -e key=value splits on spaces); its lab key names the lab, and lab_down
    needs only that name."""
    topology = {
        'lab': lab,
        'nodes': [{'name': lab + '-a', 'routes': [{'dst': '10.77.2.0/24', 'via': '10.77.1.2'}]},
                  {'name': lab + '-r', 'sysctls': {'net.ipv4.ip_forward': 1}},
                  {'name': lab + '-b', 'routes': [{'dst': 'default', 'via': '10.77.2.1'}]}],
        'links': [
            {'endpoints': [{'node': lab + '-a', 'name': 'eth0', 'addresses': ['10.77.1.1/24']},
                           {'node': lab + '-r', 'name': 'eth0', 'addresses': ['10.77.1.2/24']}]},
            {'endpoints': [{'node': lab + '-r', 'name': 'eth1', 'addresses': ['10.77.2.1/24']},
                           {'node': lab + '-b', 'name': 'eth0', 'addresses': ['10.77.2.2/24']}]},
        ],
    }
    text = json.dumps(topology, separators=(',', ':'))
    result = run(UP, tmp_path, 'topology=' + text, 'add_hosts=false')
    assert result.returncode == 0, result.stdout[-5000:]
    rows = table_rows(tmp_path, lab)
    assert len(rows) == 3 * 2 + 2 and all(row.endswith(' ok') for row in rows)
    assert run(DOWN, tmp_path, 'lab=' + lab).returncode == 0
    assert lab_runner.namespaces_with_prefix(lab) == []


def test_topology_text_cut_at_a_space_is_refused_with_the_way_out(lab, tmp_path):
    """-e topology=TEXT with spaces arrives cut at the first one ('lab:'):
    refused naming the lab key and how to pass it, before any change."""
    result = run(UP, tmp_path, 'topology=lab: %s\nnodes:\n  - {name: %s-a}' % (lab, lab),
                 'add_hosts=false')
    assert result.returncode != 0
    assert 'a topology needs its lab name (key lab)' in result.stdout, result.stdout[-3000:]
    assert "-e @file.yml" in result.stdout
    assert lab_runner.namespaces_with_prefix(lab) == []


def test_check_mode_builds_nothing_writes_nothing_and_shows_the_plan(lab, tmp_path):
    result = run(UP, tmp_path, 'preset=p2p', 'lab=' + lab, check=True)
    assert result.returncode == 0, result.stdout[-5000:]
    assert lab_runner.namespaces_with_prefix(lab) == []
    assert not os.path.exists(os.path.join(str(tmp_path), 'out'))
    assert 'create namespace %s-h1 (lo up, marked)' % lab in result.stdout


def test_lab_files_default_to_the_working_directory(lab, tmp_path, monkeypatch):
    """Without output_dir the files go to lab-output/ where ansible-playbook
    runs (here tmp_path), not beside the playbook; PWD plays no part."""
    monkeypatch.delenv('PWD', raising=False)
    result = lab_runner.run_playbook(UP, str(tmp_path), args=['-e', 'preset=p2p', '-e', 'lab=' + lab,
                                                              '-e', 'add_hosts=false'])
    assert result.returncode == 0, result.stdout[-5000:]
    assert os.path.isfile(os.path.join(str(tmp_path), 'lab-output', 'localhost', lab + '.up.json'))
    assert not os.path.exists(os.path.join(lab_runner.PLAYBOOKS, 'lab-output'))
    assert run(DOWN, tmp_path, 'lab=' + lab).returncode == 0


def test_the_play_connection_reaches_the_nodes(lab, tmp_path):
    """-i localhost, -c local: localhost has no ansible_connection variable,
    the play's connection is local, and so is the nodes' (not ssh)."""
    result = lab_runner.run_playbook(UP, str(tmp_path), args=[
        '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=' + sys.executable,
        '-e', 'preset=p2p', '-e', 'lab=' + lab, '-e', 'output_dir=%s' % (tmp_path / 'out')])
    assert result.returncode == 0, result.stdout[-5000:]
    assert 'ok: [%s-h1]' % lab in result.stdout and 'ok: [%s-h2]' % lab in result.stdout
    assert run(DOWN, tmp_path, 'lab=' + lab).returncode == 0


def test_a_broken_path_fails_verify(lab, tmp_path):
    """A lab whose expected path is cut: verify reports drift and fails."""
    assert run(UP, tmp_path, 'preset=p2p', 'lab=' + lab, 'add_hosts=false').returncode == 0
    os.system('ip -n %s-h2 link set eth0 down' % lab)
    result = run(VERIFY, tmp_path, 'preset=p2p', 'lab=' + lab)
    assert result.returncode != 0
    assert 'differs from its description' in result.stdout


def test_bad_preset_parameter_changes_nothing(lab, tmp_path):
    result = run(UP, tmp_path, 'preset=star', 'nodes=1', 'lab=' + lab)
    assert result.returncode != 0
    assert 'between 2 and' in result.stdout
    assert lab_runner.namespaces_with_prefix(lab) == []


def test_surveys_ask_only_for_what_the_playbooks_take():
    with open(os.path.join(lab_runner.PLAYBOOKS, 'vars', 'lab_extra_vars.yml')) as handle:
        known = yaml.safe_load(handle)
    names = set(known['lab_playbook_param_names'] + known['lab_playbook_impairment_names'])
    names |= {'preset', 'lab', 'topology', 'max_loss', 'add_hosts', 'output_dir', 'persist'}
    for survey in ('survey_lab_up.json', 'survey_lab_down.json'):
        with open(os.path.join(AWX, survey)) as handle:
            spec = json.load(handle)
        assert spec['name'] and spec['spec']
        for question in spec['spec']:
            assert question['variable'] in names, question['variable']
            assert question['type'] in ('text', 'textarea', 'integer', 'float',
                                        'multiplechoice', 'multiselect', 'password')
    with open(os.path.join(AWX, 'survey_lab_up.json')) as handle:
        choices = json.load(handle)['spec'][0]['choices'].split('\n')
    from ansible_collections.vnet.linux.plugins.module_utils._lab.presets import PRESETS
    assert choices == list(PRESETS)


def test_every_survey_asks_only_for_variables_its_playbook_reads():
    with open(os.path.join(lab_runner.PLAYBOOKS, 'vars', 'lab_extra_vars.yml')) as handle:
        shared = handle.read()
    for survey in sorted(os.listdir(AWX)):
        playbook = os.path.join(lab_runner.PLAYBOOKS, survey[len('survey_'):-len('.json')] + '.yml')
        with open(playbook) as handle:
            read = handle.read() + shared
        with open(os.path.join(AWX, survey)) as handle:
            spec = json.load(handle)
        assert spec['name'] and spec['description'] and spec['spec'], survey
        for question in spec['spec']:
            # read as `name | default(...)`, or listed by name in lab_extra_vars.yml
            assert re.search(r'\b%s\b' % question['variable'], read), (survey, question['variable'])


def survey_number_questions():
    """(variable, min, presets) of each integer question of the lab_up
    survey; the presets that take it are named in the question, in brackets."""
    with open(os.path.join(AWX, 'survey_lab_up.json')) as handle:
        spec = json.load(handle)['spec']
    for question in spec:
        if question['type'] == 'integer' and '(' in question['question_name']:
            presets = question['question_name'].split('(')[1].rstrip(')').split(', ')
            yield question['variable'], question['min'], presets


def test_survey_minimum_is_what_every_preset_it_names_accepts():
    """AWX refuses what is below a question's min before the job starts: the
    min must be a value each preset of the question takes (nodes: 1 is no
    star), and no higher than the lowest that all of them take."""
    from ansible_collections.vnet.linux.plugins.module_utils._lab.presets import (
        PRESETS, PresetError, lab_preset)

    def accepts(preset, variable, value):
        try:
            lab_preset({variable: value}, preset)
        except PresetError:
            return False
        return True

    questions = list(survey_number_questions())
    assert {'nodes', 'routers'} <= {question[0] for question in questions}
    for variable, low, presets in questions:
        assert set(presets) <= set(PRESETS), presets
        assert all(accepts(p, variable, low) for p in presets), (variable, low)
        assert not all(accepts(p, variable, low - 1) for p in presets), (variable, low)


def test_lab_hosts_naming_one_host_builds_the_lab_whole_there(lab, tmp_path):
    """-e lab_hosts=localhost: one host, no spread; as without lab_hosts."""
    result = run(UP, tmp_path, 'preset=p2p', 'lab=' + lab, 'lab_hosts=localhost',
                 'add_hosts=false')
    assert result.returncode == 0, result.stdout[-5000:]
    with open(files(tmp_path, lab) + '.topology.json') as handle:
        assert 'spread' not in json.load(handle)
    with open(files(tmp_path, lab) + '.mmd') as handle:
        assert 'subgraph host_' not in handle.read()
    rows = table_rows(tmp_path, lab)
    assert len(rows) == 2 and all(row.endswith(' ok') for row in rows)


def test_lab_hosts_naming_an_unknown_host_is_refused_before_any_change(lab, tmp_path):
    result = run(UP, tmp_path, 'preset=p2p', 'lab=' + lab, 'lab_hosts=localhost,nohost-x')
    assert result.returncode != 0
    assert "'nohost-x' is neither a host nor a group of the inventory" in result.stdout, \
        result.stdout[-5000:]
    assert lab_runner.namespaces_with_prefix(lab) == []
