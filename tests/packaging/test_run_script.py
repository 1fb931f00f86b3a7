"""scripts/run, the README's first command: quiet installs whose errors still
show, and a demo that leaves the checkout's tracked files as they are."""

import hashlib
import os
import subprocess

import pytest

from conftest import ROOT, unique

RUN = os.path.join(ROOT, 'scripts', 'run')
VENV = os.environ.get('VNET_VENV', '/var/cache/vnet-linux/venv')
APT_NOISE = 'Selecting previously unselected package'


def git_state():
    """Tracked changes and untracked files that git does not ignore."""
    return subprocess.run(['git', '-C', ROOT, 'status', '--porcelain', '--untracked-files=all'],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture
def ready_venv(tmp_path):
    """A virtualenv scripts/run takes as up to date (its stamp matches the
    requirements), so that `setup` only does the apt step."""
    if not os.path.exists(os.path.join(VENV, 'bin', 'python')):
        pytest.skip('the project virtualenv %s is not there' % VENV)
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True)
    (venv / 'bin' / 'python').symlink_to(os.path.join(VENV, 'bin', 'python'))
    with open(os.path.join(ROOT, 'tests', 'requirements.txt'), 'rb') as handle:
        (venv / '.requirements.sha').write_text(hashlib.sha256(handle.read()).hexdigest() + '\n')
    return str(venv)


def fake_apt(tmp_path, exit_code):
    """dpkg-query that knows no package and an apt-get as chatty as the real
    one on a fresh machine (the machine's own packages are not touched)."""
    bin_dir = tmp_path / 'fake-bin'
    bin_dir.mkdir()
    (bin_dir / 'dpkg-query').write_text('#!/bin/sh\nexit 1\n')
    (bin_dir / 'apt-get').write_text(
        '#!/bin/sh\n'
        'case "$1" in update) exit 0 ;; esac\n'
        'i=0; while [ $i -lt 130 ]; do echo "%s noise-$i."; i=$((i+1)); done\n'
        '[ %d -eq 0 ] || echo "E: Unable to locate package graphviz" >&2\n'
        'exit %d\n' % (APT_NOISE, exit_code, exit_code))
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return str(bin_dir)


def setup(tmp_path, venv, exit_code):
    env = dict(os.environ, VNET_VENV=venv,
               PATH=fake_apt(tmp_path, exit_code) + os.pathsep + os.environ.get('PATH', ''))
    return subprocess.run([RUN, 'setup'], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_installs_are_quiet(ready_venv, tmp_path):
    done = setup(tmp_path, ready_venv, 0)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert '==> apt-get install iproute2' in output
    assert APT_NOISE not in output


def test_install_errors_show(ready_venv, tmp_path):
    done = setup(tmp_path, ready_venv, 100)
    assert done.returncode != 0
    assert 'E: Unable to locate package graphviz' in done.stderr
    assert 'failed (exit 100): env DEBIAN_FRONTEND=noninteractive apt-get install' in done.stderr


def test_demo_leaves_tracked_files_alone(needs_root):
    """`scripts/run demo` from the checkout, as the README has it: the files
    go to lab-output/ there, which git ignores."""
    if not os.path.exists(os.path.join(ROOT, '.git')):
        pytest.skip('not a git checkout')
    lab = unique('dm')
    before = git_state()
    files = os.path.join(ROOT, 'lab-output', 'localhost', lab)
    try:
        demo = subprocess.run([RUN, 'demo', '-e', 'preset=p2p', '-e', 'lab=' + lab], cwd=ROOT,
                              capture_output=True, text=True, timeout=900, check=False)
        assert demo.returncode == 0, demo.stdout[-6000:] + demo.stderr[-3000:]
        assert os.path.isfile(files + '.up.json')
        assert git_state() == before
    finally:
        subprocess.run([RUN, 'clean-demo', '-e', 'preset=p2p', '-e', 'lab=' + lab], cwd=ROOT,
                       capture_output=True, timeout=900, check=False)
        folder = os.path.dirname(files)
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            if name.startswith(lab + '.'):
                os.unlink(os.path.join(folder, name))
        try:
            os.removedirs(folder)   # lab-output/localhost and lab-output, when empty
        except OSError:
            pass
        for name in ('h1', 'h2'):
            subprocess.run(['ip', 'netns', 'delete', '%s-%s' % (lab, name)], capture_output=True, check=False)
