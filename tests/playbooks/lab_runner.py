"""Run the lab playbooks through ansible-playbook, as users do, in unique
namespace names, and clean up after them whatever happened.

Shared by tests/playbooks and tests/kernel/test_lab_*.py (which put this
directory on sys.path).
"""

import itertools
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = os.path.join(ROOT, 'playbooks')
CYCLE = os.path.join(HERE, 'lab_cycle.yml')
NETNS_DIR = '/run/netns'
_COUNTER = itertools.count()
_FILES = itertools.count()


def collections_path():
    """Where `vnet.linux` resolves: the checkout itself when it already sits
    at ansible_collections/vnet/linux, else the link tests/conftest.py makes."""
    parent = os.path.dirname(os.path.dirname(ROOT))
    if os.path.basename(parent) == 'ansible_collections':
        return os.path.dirname(parent)
    return os.path.join(ROOT, 'tests', 'output', '.collections')


def unique_lab(tag):
    """A lab name that is also the prefix of its namespaces: unique per test,
    and short (namespace names have 15 bytes at most: 'v1234d5-netnsbr')."""
    number = next(_COUNTER)
    digits = '0123456789abcdefghijklmnopqrstuvwxyz'
    counter = digits[number % 36] + (digits[number // 36 % 36] if number >= 36 else '')
    return 'v%04d%s%s' % (os.getpid() % 10000, tag[:1], counter)


def ansible_env(workdir):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_path(),
        'ANSIBLE_HOME': os.path.join(workdir, 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, 'ansible-tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCALHOST_WARNING': '0',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0',
    })
    return env


def run_playbook(playbook, workdir, extra_vars=None, args=(), check=False, timeout=900):
    """ansible-playbook on the implicit localhost (so the modules run with
    this interpreter); extra_vars go in as JSON, `args` as given."""
    argv = [sys.executable, '-m', 'ansible.cli.playbook', playbook]
    if extra_vars:
        path = os.path.join(workdir, 'extra-vars-%d.json' % next(_FILES))
        with open(path, 'w') as handle:
            json.dump(extra_vars, handle)
        argv += ['-e', '@' + path]
    argv += list(args)
    if check:
        argv.append('--check')
    return subprocess.run(argv, cwd=workdir, env=ansible_env(workdir), timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)


def namespaces_with_prefix(prefix):
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix))
    except FileNotFoundError:
        return []


def tear_down(lab, prefix, workdir):
    """Remove the lab with the playbook, then anything it may have left."""
    run_playbook(os.path.join(PLAYBOOKS, 'lab_down.yml'), workdir,
                 {'lab': lab, 'output_dir': os.path.join(workdir, 'out')})
    for name in namespaces_with_prefix(prefix):
        subprocess.run(['ip', 'netns', 'delete', name], check=False)


def cycle(preset, params, workdir, tag='c', write_files=True, max_loss=0):
    """Run tests/playbooks/lab_cycle.yml for one preset in a unique lab and
    return its record: plan, up, again, verify, down, down_again; always
    tearing the lab down."""
    lab = unique_lab(tag)
    plan = os.path.join(workdir, 'plan.json')
    record = os.path.join(workdir, 'record.json')
    extra = {'cycle_preset': preset, 'cycle_params': dict(params, prefix=lab + '-'),
             'cycle_lab': lab, 'cycle_write_files': write_files,
             'cycle_output_dir': os.path.join(workdir, 'out'), 'cycle_max_loss': max_loss}
    try:
        result = run_playbook(CYCLE, workdir, dict(extra, cycle_phase='plan', cycle_record=plan),
                              check=True)
        assert result.returncode == 0, result.stdout[-6000:]
        assert namespaces_with_prefix(lab + '-') == [], 'check mode created namespaces'
        result = run_playbook(CYCLE, workdir, dict(extra, cycle_phase='life', cycle_record=record))
        assert result.returncode == 0, result.stdout[-6000:]
        with open(record) as handle:
            data = json.load(handle)
        with open(plan) as handle:
            data['plan'] = json.load(handle)
        data['lab'] = lab
        data['left_behind'] = namespaces_with_prefix(lab + '-')
        data['stdout'] = result.stdout
        return data
    finally:
        if namespaces_with_prefix(lab + '-'):
            tear_down(lab, lab + '-', workdir)


def has_dot():
    return any(os.access(os.path.join(d, 'dot'), os.X_OK)
               for d in os.environ.get('PATH', '').split(os.pathsep) if d)
