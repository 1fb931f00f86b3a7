"""Each module through ansible-playbook and the installed collection.

For every module: --check on fresh namespaces predicts exactly the actions
the real run then makes; the first run changes, the second reports
changed=0; state=absent leaves nothing behind. And module_defaults for the
action group vnet.linux.links reach the link modules.
"""

import glob
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope='session')
def installed_collection(tmp_path_factory):
    """Build the collection artifact and install it into a clean path."""
    work = tmp_path_factory.mktemp('collection')
    subprocess.check_call([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build',
                           ROOT, '--output-path', str(work)], stdout=subprocess.DEVNULL)
    artifact, = glob.glob(str(work / 'vnet-linux-*.tar.gz'))
    path = work / 'collections'
    # --force: a vnet.linux installed elsewhere (~/.ansible) would make
    # ansible-galaxy skip this clean path
    subprocess.check_call([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install',
                           '--force', artifact, '-p', str(path)], stdout=subprocess.DEVNULL)
    return str(path)


def playbook(collections, name, prefix, results, state='present', check=False):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections,
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
           '-e', 'ansible_python_interpreter=' + sys.executable,
           '-e', 'prefix=' + prefix, '-e', 'lab_state=' + state,
           '-e', 'results_file=' + results, os.path.join(HERE, name + '.yml')]
    if check:
        cmd.append('--check')
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    changed = int(re.search(r'changed=(\d+)', proc.stdout).group(1))
    with open(results) as handle:
        return changed, json.load(handle)


def actions(results):
    """Every module's actions, in task (and loop item) order."""
    found = []

    def walk(result):
        if not isinstance(result, dict):
            return
        if 'results' in result:
            for item in result['results']:
                walk(item)
        found.extend(result.get('actions', []))
    for key in sorted(results):
        walk(results[key])
    return found


def namespaces_with(prefix):
    return [n for n in os.listdir('/run/netns') if n.startswith(prefix)] \
        if os.path.isdir('/run/netns') else []


def links_in(netns):
    out = subprocess.run(['ip', '-n', netns, '-j', 'link', 'show'], capture_output=True,
                         text=True, check=True).stdout
    return dict((link['ifname'], link) for link in json.loads(out))


@pytest.mark.parametrize('module', ['netns', 'veth', 'bridge'])
def test_module_playbook(installed_collection, tmp_path, module):
    prefix = 'pb%d%s' % (os.getpid() % 10000, module[:2])
    results = str(tmp_path / 'results.json')
    try:
        changed_check, predicted = playbook(installed_collection, module, prefix, results,
                                            check=True)
        assert namespaces_with(prefix) == [], 'check mode created something'
        changed_real, made = playbook(installed_collection, module, prefix, results)
        assert changed_check == changed_real > 0
        # in check mode the namespaces and ports of earlier tasks do not exist
        # yet: later tasks still predict their steps (with a warning)
        assert actions(predicted) == actions(made)
        changed_again, _again = playbook(installed_collection, module, prefix, results)
        assert changed_again == 0
        playbook(installed_collection, module, prefix, results, state='absent')
        assert namespaces_with(prefix) == []
    finally:
        for name in namespaces_with(prefix):
            subprocess.call(['ip', 'netns', 'del', name])


def test_module_defaults_of_the_links_group(installed_collection, tmp_path):
    """module_defaults: group/vnet.linux.links gives netns and mtu to the
    bridge and veth tasks, which name neither (group_defaults.yml)."""
    prefix = 'pb%dgd' % (os.getpid() % 10000)
    results = str(tmp_path / 'results.json')
    try:
        changed, made = playbook(installed_collection, 'group_defaults', prefix, results)
        assert changed > 0
        assert made['bridge']['link']['netns'] == made['veth']['link']['netns'] == prefix + 'a'
        links = links_in(prefix + 'a')
        assert links[prefix + 'br']['mtu'] == links[prefix + 'v']['mtu'] == 1400, links
        assert links[prefix + 'v']['master'] == prefix + 'br', links
        changed_again, _again = playbook(installed_collection, 'group_defaults', prefix, results)
        assert changed_again == 0
        playbook(installed_collection, 'group_defaults', prefix, results, state='absent')
        assert namespaces_with(prefix) == []
    finally:
        for name in namespaces_with(prefix):
            subprocess.call(['ip', 'netns', 'del', name])
