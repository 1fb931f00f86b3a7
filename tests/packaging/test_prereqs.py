"""The vnet.linux.prereqs role on this host: check mode, then for real.

The real run installs pyroute2 into a throwaway virtualenv under pytest's
tmp_path with the system Python (on Debian 12 an externally managed one), so
the host's own Python is left alone; the distribution packages it installs
(iproute2, libteam-utils, python3-venv) are wanted on a lab host anyway.
"""

import os
import re
import sys

import pytest

from conftest import ROOT, run, tool, unique

PLAYBOOK = os.path.join(ROOT, 'tests', 'packaging', 'playbooks', 'prereqs.yml')
SYSTEM_PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable


def recap(output):
    match = re.search(r'localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', output)
    assert match, output
    return dict(zip(('ok', 'changed', 'unreachable', 'failed'), map(int, match.groups())))


@pytest.fixture
def playbook(tmp_path, ansible_env):
    inventory = tmp_path / 'inventory.ini'
    # The interpreter comes from inventory, not -e: extra vars would win over
    # the role's set_fact of ansible_python_interpreter.
    inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % SYSTEM_PYTHON)

    def play(*extra, check=False):
        argv = [tool('ansible-playbook'), '-i', str(inventory), PLAYBOOK,
                '-e', 'prereqs_virtualenv=%s' % (tmp_path / 'venv'),
                '-e', 'prereqs_probe_ns=%s' % unique('vpr')]
        for item in extra:
            argv += ['-e', item]
        if check:
            argv.append('--check')
        proc = run(argv, ansible_env, timeout=900)
        return proc, proc.stdout + proc.stderr
    return play


def test_argument_spec_rejects_bad_mode(playbook, needs_root):
    proc, output = playbook('prereqs_pyroute2_mode=conda', check=True)
    assert proc.returncode != 0
    assert 'prereqs_pyroute2_mode' in output and 'conda' in output


@pytest.mark.parametrize('mode', ['virtualenv', 'system', 'none'])
def test_check_mode(playbook, tmp_path, mode, needs_root):
    proc, output = playbook('prereqs_pyroute2_mode=%s' % mode, check=True)
    assert proc.returncode == 0, output
    assert recap(output)['failed'] == 0
    assert not (tmp_path / 'venv').exists(), 'check mode created the virtualenv'


def test_virtualenv_install_then_idempotent(playbook, tmp_path, needs_root):
    proc, output = playbook()
    assert proc.returncode == 0, output
    # The play's last task ran vnet.linux.netns with the venv's interpreter.
    assert (tmp_path / 'venv' / 'bin' / 'python').exists()
    proc, output = playbook()
    assert proc.returncode == 0, output
    assert recap(output)['changed'] == 0, output
