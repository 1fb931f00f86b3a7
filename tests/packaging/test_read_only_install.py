"""The collection as an execution environment image or a system path holds
it: the built artifact installed into a read-only directory, and its own
playbooks run by name from an empty folder with `-c local`.

The lab's files must land in lab-output/ of the folder ansible-playbook runs
from (the lab role's documented default), nothing may be written inside the
collection, and check mode writes nothing at all. Root ignores file modes,
so besides chmod -R a-w the collection is a read-only bind mount.
"""

import os
import subprocess
import sys

import pytest

from conftest import ROOT, run, tool, unique


def listing(top):
    """Every path under `top` with its type, size and modification time."""
    entries = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(folder, name)
            stat = os.lstat(path)
            entries[os.path.relpath(path, top)] = (stat.st_mode, stat.st_size, stat.st_mtime_ns)
    return entries


def namespaces_with_prefix(prefix):
    out = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True, check=True).stdout
    return sorted(line.split()[0] for line in out.splitlines() if line.startswith(prefix))


def remount_read_only(path):
    """A read-only bind mount of `path` onto itself; False when not allowed here."""
    if subprocess.run(['mount', '--bind', path, path], capture_output=True, check=False).returncode:
        return False
    if subprocess.run(['mount', '-o', 'remount,bind,ro', path], capture_output=True, check=False).returncode:
        subprocess.run(['umount', path], check=False)
        return False
    return True


@pytest.fixture(scope='module')
def read_only_collections(tmp_path_factory, ansible_env_module):
    """A collections path holding the installed artifact, read-only."""
    if os.geteuid() != 0:
        pytest.skip('needs root (network namespaces, bind mounts)')
    base = tmp_path_factory.mktemp('ro-collections')
    env = {k: v for k, v in ansible_env_module.items() if k != 'ANSIBLE_COLLECTIONS_PATH'}
    proc = run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(base / 'dist'), ROOT], env)
    assert proc.returncode == 0, proc.stderr
    (artifact,) = (base / 'dist').glob('vnet-linux-*.tar.gz')
    collections = base / 'collections'
    # --force: a vnet.linux installed elsewhere would make ansible-galaxy skip this path
    proc = run([tool('ansible-galaxy'), 'collection', 'install', '--offline', '--force', '-p',
                str(collections), str(artifact)], env)
    assert proc.returncode == 0, proc.stderr
    installed = collections / 'ansible_collections' / 'vnet' / 'linux'
    assert (installed / 'playbooks' / 'lab_up.yml').is_file()
    subprocess.run(['chmod', '-R', 'a-w', str(collections)], check=True)
    if not remount_read_only(str(collections)):
        subprocess.run(['chmod', '-R', 'u+w', str(collections)], check=True)
        pytest.skip('bind mounts are not allowed here')
    try:
        with pytest.raises(OSError):
            (installed / 'probe').write_text('')
        yield str(collections), str(installed)
    finally:
        if subprocess.run(['umount', str(collections)], check=False).returncode:
            subprocess.run(['umount', '-l', str(collections)], check=False)
        subprocess.run(['chmod', '-R', 'u+w', str(collections)], check=True)


def playbook(name, collections, workdir, *args):
    """ansible-playbook vnet.linux.<name> from `workdir`, on localhost with
    -c local (the modules run with this Python, which has pyroute2)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCALHOST_WARNING='0',
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    # the working directory is taken from the process, not from PWD: pytest's
    # PWD (the checkout) would be the wrong place, and AWX may set none
    env.pop('PWD', None)
    argv = [tool('ansible-playbook'), 'vnet.linux.' + name, '-i', 'localhost,', '-c', 'local',
            '-e', 'ansible_python_interpreter=%s' % sys.executable] + list(args)
    return subprocess.run(argv, cwd=str(workdir), env=env, capture_output=True, text=True,
                          timeout=900, check=False)


class Project(object):
    """An empty folder to run the installed playbooks from, and a unique lab."""

    def __init__(self, collections, workdir, lab):
        self.collections, self.workdir, self.lab = collections, workdir, lab

    def run(self, name, *args):
        lab_args = ('-e', 'preset=p2p', '-e', 'lab=' + self.lab)
        return playbook(name, self.collections, self.workdir, *(args + lab_args))


@pytest.fixture
def project(read_only_collections, tmp_path):
    """The lab's namespaces are removed whatever happens, and the installed
    collection must be left as it was."""
    collections, installed = read_only_collections
    before = listing(installed)
    workdir = tmp_path / 'project'
    workdir.mkdir()
    lab = unique('ro')
    yield Project(collections, workdir, lab)
    for name in namespaces_with_prefix(lab + '-'):
        subprocess.run(['ip', 'netns', 'delete', name], check=False)
    assert listing(installed) == before


def test_lab_up_and_down_from_a_read_only_install(project):
    lab, workdir = project.lab, project.workdir
    up = project.run('lab_up')
    assert up.returncode == 0, up.stdout[-6000:] + up.stderr[-3000:]
    assert namespaces_with_prefix(lab + '-') == [lab + '-h1', lab + '-h2']
    # the second play reached the lab's nodes with the play's connection
    assert 'ok: [%s-h1]' % lab in up.stdout and 'ok: [%s-h2]' % lab in up.stdout
    files = workdir / 'lab-output' / 'localhost'
    assert sorted(p.name for p in files.iterdir() if p.suffix != '.svg') == sorted(
        lab + suffix for suffix in ('.dot', '.junit.xml', '.mmd', '.reachability.txt',
                                    '.topology.json', '.up.json'))
    assert 'on the controller: %s.*' % (files / lab) in up.stdout

    down = project.run('lab_down')
    assert down.returncode == 0, down.stdout[-6000:] + down.stderr[-3000:]
    assert namespaces_with_prefix(lab + '-') == []
    assert (files / (lab + '.down.json')).is_file()


def test_check_mode_writes_nothing(project):
    lab = project.lab
    proc = project.run('lab_up', '--check')
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    # the plan is shown, nothing is built and nothing written
    assert 'create namespace %s-h1' % lab in proc.stdout
    assert namespaces_with_prefix(lab + '-') == []
    assert list(project.workdir.iterdir()) == []
