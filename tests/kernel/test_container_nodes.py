"""Container nodes: the namespace of a running process or container as a
lab node and as any module's `netns` (pid:, path:, container:).

The "containers" are processes the test starts with `unshare --net sleep`
(their own network namespaces, outside /run/netns), found by PID and by a
bind mount of their namespace file in a directory the test makes; every one
is killed and every mount removed afterwards, also when a test fails. The
podman test runs a real container from an image the test imports from a
root filesystem tarball (no registry is reachable), where podman can run.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import run_module, unique_name

from ansible_collections.vnet.linux.plugins.module_utils._engine.lock import netns_key
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import identity


def own_inode(pid):
    return os.stat('/proc/%d/ns/net' % pid).st_ino


class Processes(object):
    """Processes in namespaces of their own, killed at the end."""

    def __init__(self):
        self.procs = []
        self.mounts = []
        self.dir = tempfile.mkdtemp(prefix='vnet-ctr-')

    def start(self):
        proc = subprocess.Popen(['unshare', '--net', 'sleep', '600'])
        self.procs.append(proc)
        deadline = time.monotonic() + 10
        while own_inode(proc.pid) == os.stat('/proc/self/ns/net').st_ino:
            assert time.monotonic() < deadline, 'unshare did not make a namespace'
            time.sleep(0.01)
        return proc.pid

    def bind(self, pid):
        """A namespace file outside /run/netns, as Docker keeps them."""
        path = os.path.join(self.dir, 'ns%d' % len(self.mounts))
        open(path, 'w').close()
        subprocess.check_call(['mount', '--bind', '/proc/%d/ns/net' % pid, path])
        self.mounts.append(path)
        return path

    def kill(self, pid):
        for proc in self.procs:
            if proc.pid == pid:
                proc.send_signal(signal.SIGKILL)
                proc.wait()

    def close(self):
        for path in self.mounts:
            subprocess.call(['umount', path])
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def processes():
    made = Processes()
    yield made
    made.close()


def links_in(pid):
    """Link names in a process's namespace, read with iproute2 (witness)."""
    out = subprocess.check_output(['nsenter', '-t', str(pid), '-n', 'ip', '-j', 'link', 'show'])
    return sorted(link['ifname'] for link in json.loads(out))


def in_ns(pid, *args):
    subprocess.check_call(['nsenter', '-t', str(pid), '-n'] + list(args))


def ok(result):
    assert not result.get('failed'), result
    return result


def container_lab(lab, c1, c2):
    """A hub namespace of the lab with a bridge; two container nodes on it
    by veths; a macvlan in c1 on a veth end in the hub."""
    hub = lab.n('hub')
    return hub, dict(
        nodes=[{'name': hub}, {'name': 'c1', 'netns': c1}, {'name': 'c2', 'netns': c2}],
        bridges=[{'name': 'br0', 'node': hub, 'addresses': ['10.77.0.254/24'], 'stp': False}],
        links=[{'endpoints': [{'node': 'c1', 'name': 'eth0', 'addresses': ['10.77.0.1/24']},
                              {'bridge': 'br0', 'name': 'p1'}]},
               {'endpoints': [{'node': 'c2', 'name': 'eth0', 'addresses': ['10.77.0.2/24']},
                              {'bridge': 'br0', 'name': 'p2'}]},
               {'endpoints': [{'node': hub, 'name': 'm1'},
                              {'node': hub, 'name': 'm2', 'addresses': ['10.77.1.2/24']}]},
               {'kind': 'macvlan', 'node': 'c1', 'name': 'mv0', 'parent': 'm1',
                'parent_node': hub, 'mode': 'bridge', 'addresses': ['10.77.1.1/24']}])


def ping(namespaces, nodes, pairs):
    result = run_module('reachability', {'nodes': nodes, 'namespaces': namespaces,
                                         'pairs': pairs, 'count': 2, 'interval': 0.1,
                                         'timeout': 2, 'warmup': 3})
    return result


def test_processes_by_pid_and_path_join_a_lab(lab, processes):
    pid1, pid2 = processes.start(), processes.start()
    path2 = processes.bind(pid2)
    inodes = own_inode(pid1), own_inode(pid2)
    # the container's own links, unmarked
    in_ns(pid1, 'ip', 'link', 'add', 'keep0', 'type', 'veth', 'peer', 'name', 'keep1')
    hub, description = container_lab(lab, 'pid:%d' % pid1, 'path:' + path2)
    made = ok(lab.run(**description))
    assert made['changed']
    assert links_in(pid1) == ['eth0', 'keep0', 'keep1', 'lo', 'mv0']
    assert links_in(pid2) == ['eth0', 'lo']
    result = ping({'c1': 'pid:%d' % pid1, 'c2': path2, 'hub': hub},
                  {'c1': ['10.77.0.1'], 'c2': ['10.77.0.2'], 'hub': ['10.77.0.254', '10.77.1.2']},
                  [{'src': 'c1', 'dst': 'c2'}, {'src': 'c2', 'dst': 'c1'},
                   {'src': 'c1', 'dst': 'hub'}])
    assert result['summary'] == {'paths': 4, 'ok': 4, 'broken': 0}, result['table']
    again = ok(lab.run(**description))
    assert again['changed'] is False, again.get('actions')
    # the lab never marks a namespace it did not make: lo is the process's
    lo = json.loads(subprocess.check_output(['nsenter', '-t', str(pid1), '-n', 'ip', '-j', '-d',
                                             'link', 'show', 'lo']))[0]
    assert not lo.get('ifalias'), lo
    # the lab's readers find its links in the containers (node pid:PID)
    facts = ok(lab.info())
    ends = [ep for link in facts['links'] for ep in link.get('endpoints', [link])]
    assert sorted((ep['node'], ep['name']) for ep in ends if ep['node'].startswith('pid:')) == \
        sorted([('pid:%d' % pid1, 'eth0'), ('pid:%d' % pid1, 'mv0'), ('pid:%d' % pid2, 'eth0')])
    applied = ok(lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                         links=facts['links']))
    assert applied['changed'] is False, applied.get('actions')
    nodes = dict((node['name'], node) for node in facts['nodes'])
    reference = 'pid:%d' % pid1
    assert nodes[reference] == {'name': reference, 'external': True, 'netns': reference}, nodes
    status = ok(run_module('impairment', {'lab': lab.name, 'state': 'query'}))
    rows = set((row['node'], row['name']) for row in status['interfaces'])
    assert {('pid:%d' % pid1, 'eth0'), ('pid:%d' % pid1, 'mv0'), ('pid:%d' % pid2, 'eth0')} <= rows
    assert ('pid:%d' % pid1, 'keep0') not in rows
    gone = ok(lab.run(state='absent', nodes=description['nodes']))
    assert gone['changed']
    assert not any(r['type'] == 'node' and r['name'] in ('c1', 'c2')
                   for r in gone['plan']['removed'])
    assert [processes.procs[0].poll(), processes.procs[1].poll()] == [None, None]
    assert (own_inode(pid1), own_inode(pid2)) == inodes
    assert links_in(pid1) == ['keep0', 'keep1', 'lo'] and links_in(pid2) == ['lo']
    assert lab.namespaces() == []


def test_links_only_in_containers_go_with_absent(lab, processes):
    """A veth between two containers has no end in a lab namespace: absent
    finds it in the nodes' namespaces, given again or not (the namespaces
    of running processes are searched for the lab's links)."""
    pid1, pid2 = processes.start(), processes.start()
    nodes = [{'name': 'c1', 'netns': 'pid:%d' % pid1}, {'name': 'c2', 'netns': 'pid:%d' % pid2}]
    ok(lab.run(nodes=nodes, links=[{'endpoints': [
        {'node': 'c1', 'name': 'x1', 'addresses': ['10.78.0.1/30']},
        {'node': 'c2', 'name': 'x2', 'addresses': ['10.78.0.2/30']}]}]))
    result = ping({'c1': 'pid:%d' % pid1, 'c2': 'pid:%d' % pid2},
                  {'c1': ['10.78.0.1'], 'c2': ['10.78.0.2']}, None)
    assert result['summary']['broken'] == 0, result['table']
    gone = ok(lab.run(state='absent'))
    assert gone['changed']
    assert links_in(pid1) == ['lo'] and links_in(pid2) == ['lo']
    assert [processes.procs[0].poll(), processes.procs[1].poll()] == [None, None]
    assert ok(lab.run(state='absent'))['changed'] is False


def test_a_container_that_exited_is_reported_and_absent_cleans_the_rest(lab, processes):
    pid1, pid2 = processes.start(), processes.start()
    hub, description = container_lab(lab, 'pid:%d' % pid1, 'pid:%d' % pid2)
    ok(lab.run(**description))
    processes.kill(pid1)
    again = lab.run(**description)
    assert again['failed']
    assert again['msg'] == 'nodes[1].netns: node c1: pid:%d: no process %d runs (it exited, ' \
                           'or it was never started)' % (pid1, pid1)
    gone = ok(lab.run(state='absent', nodes=description['nodes']))
    assert 'node c1: its namespace is gone' in str(gone['warnings'])
    assert 'pid:%d' % pid1 in str(gone['warnings'])
    assert lab.namespaces() == [] and links_in(pid2) == ['lo']


@pytest.mark.parametrize('reference, says', [
    ('pid:0', 'a PID is a positive number'),
    ('pid:abc', 'a PID is a positive number'),
    ('path:relative/file', 'absolute path'),
    ('/etc/hostname', 'is not a namespace file'),
    ('path:/proc/self/ns/uts', 'not a network namespace'),
    ('/nonexistent/vnet-ns', 'does not exist'),
    ('container:nerdctl/', 'container:NAME'),
    ('container:lxc/web', 'container:NAME'),
])
def test_references_that_name_no_network_namespace_are_refused(namespaces, reference, says):
    netns, = namespaces(1)
    result = run_module('veth', {'name': 'v0', 'netns': netns,
                                 'peer': {'name': 'v1', 'netns': reference}})
    assert result['failed'] and result['msg'].startswith('peer.netns: '), result
    assert says in result['msg'], result['msg']
    assert subprocess.check_output(['ip', '-n', netns, '-o', 'link']).count(b'\n') == 1


def test_a_dead_pid_is_refused_naming_the_field(processes):
    pid = processes.start()
    processes.kill(pid)
    result = run_module('dummy', {'name': 'd0', 'netns': 'pid:%d' % pid})
    assert result['failed']
    assert result['msg'] == 'netns: pid:%d: no process %d runs (it exited, or it was never ' \
                            'started)' % (pid, pid)


def test_the_container_lookup_names_what_each_cli_said():
    """container:NAME asks the installed CLIs, each through the module's
    run_command; a CLI that is not installed is not asked."""
    if shutil.which('nerdctl') is None:
        result = run_module('dummy', {'name': 'd0', 'netns': 'container:nerdctl/web'})
        assert result['msg'] == 'netns: container:nerdctl/web: no container CLI to ask ' \
                                '(looked for nerdctl in PATH)', result
    installed = [cli for cli in ('podman', 'docker') if shutil.which(cli)]
    if not installed:
        pytest.skip('neither podman nor docker is installed')
    name = unique_name('none')
    result = run_module('dummy', {'name': 'd0', 'netns': 'container:' + name})
    assert result['failed']
    assert result['msg'].startswith("netns: container:%s: no running container '%s' (%s: "
                                    % (name, name, installed[0])), result
    for cli in installed:
        assert '%s: ' % cli in result['msg']


def test_single_link_modules_take_references(namespaces, processes):
    """veth (peer by PID), macvlan (by path, parent in a named namespace)
    and bridge: created, idempotent, check mode exact, then deleted."""
    host, = namespaces(1)
    pid = processes.start()
    path = processes.bind(pid)
    veth = {'name': 'h0', 'netns': host, 'admin_state': 'up',
            'peer': {'name': 'c0', 'netns': 'pid:%d' % pid, 'admin_state': 'up',
                     'addresses': ['10.79.0.2/24']}}
    macvlan = {'name': 'mv0', 'netns': path, 'link': 'h0', 'link_netns': host,
               'mode': 'bridge', 'addresses': ['10.79.1.2/24']}
    bridge = {'name': 'br9', 'netns': 'pid:%d' % pid, 'admin_state': 'up'}
    for module, args in (('veth', veth), ('macvlan', macvlan), ('bridge', bridge)):
        predicted = ok(run_module(module, args, check=True))
        made = ok(run_module(module, args))
        assert made['changed'] and made['actions'] == predicted['actions'], made
        assert ok(run_module(module, args))['changed'] is False
    assert links_in(pid) == ['br9', 'c0', 'lo', 'mv0']
    assert ok(run_module('macvlan', dict(macvlan, state='absent')))['changed']
    assert ok(run_module('bridge', dict(bridge, state='absent')))['changed']
    assert ok(run_module('veth', dict(veth, state='absent')))['changed']
    assert links_in(pid) == ['lo'] and processes.procs[0].poll() is None


def test_one_lock_and_one_canonical_value_per_namespace(namespaces, processes):
    """Whatever way a namespace is reached, runs agree on what it is."""
    from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
    pid = processes.start()
    path = processes.bind(pid)
    by_pid = validate.namespace_reference('pid:%d' % pid, 'netns')
    by_path = validate.namespace_reference(path, 'netns')
    assert netns_key(by_pid) == netns_key(by_path) == 'netns:@%d:%d' % identity(by_pid)
    # this process's namespace is the one a module runs in: no name, None
    assert validate.namespace_reference('pid:%d' % os.getpid(), 'netns') is None
    named, = namespaces(1)
    assert validate.namespace_reference('path:/run/netns/' + named, 'netns') == named
    assert validate.namespace_reference('name:pid:7', 'netns') == 'pid:7'


def test_the_podman_cli_finds_a_container(lab, processes):
    """container:NAME through podman's CLI, with an image imported from a
    root filesystem tarball (sleep and its libraries)."""
    if not shutil.which('podman'):
        pytest.skip('podman is not installed')
    name = unique_name('ctr')
    image = 'localhost/vnet-test-sleep:latest'
    root = tempfile.mkdtemp(prefix='vnet-rootfs-')
    try:
        _rootfs(root)
        tarball = root + '.tar'
        subprocess.check_call(['tar', '-cf', tarball, '-C', root, '.'])
        subprocess.check_call(['podman', 'import', '-q', tarball, image],
                              stdout=subprocess.DEVNULL)
        os.unlink(tarball)
        started = subprocess.run(['podman', 'run', '-d', '--name', name, '--network', 'none']
                                 + PODMAN_RUN_OPTIONS + [image, '/bin/sleep', '600'],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        created = subprocess.run(['podman', 'container', 'exists', name], check=False)
        pid = subprocess.check_output(['podman', 'container', 'inspect', '--format',
                                       '{{.State.Pid}}', name]).strip() \
            if created.returncode == 0 else b''
        if started.returncode != 0:
            # the CLI answers for a container it made but could not start
            refused = run_module('dummy', {'name': 'd0', 'netns': 'container:podman/' + name})
            assert refused['failed'] and 'podman: the container is not running' in \
                refused['msg'], refused
            assert pid == b'0'
            pytest.skip('podman cannot start a container on this machine: %s'
                        % started.stderr.decode().strip().splitlines()[-1])
        hub = lab.n('hub')
        ok(lab.run(nodes=[{'name': hub}, {'name': 'web', 'netns': 'container:' + name}],
                   links=[{'endpoints': [
                       {'node': hub, 'name': 'h0', 'addresses': ['10.80.0.1/24']},
                       {'node': 'web', 'name': 'eth0', 'addresses': ['10.80.0.2/24']}]}]))
        result = ping({'web': 'container:' + name, 'hub': hub},
                      {'web': ['10.80.0.2'], 'hub': ['10.80.0.1']}, None)
        assert result['summary']['broken'] == 0, result['table']
    finally:
        subprocess.call(['podman', 'rm', '-f', '-t', '0', name],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.call(['podman', 'rmi', '-f', image],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


# The CI machine runs the tests in a container without CAP_SYS_RESOURCE
# (crun may not set the limits podman asks for: give lower ones) on a
# hybrid cgroup hierarchy, where crun (podman's default) refuses to run
# and runc works (scripts/run installs it).
PODMAN_RUN_OPTIONS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'] + \
    (['--runtime', 'runc'] if shutil.which('runc') else [])


def _rootfs(root):
    """sleep and the libraries it links, under root."""
    sleep = shutil.which('sleep')
    needed = [sleep] + [word for line in subprocess.check_output(['ldd', sleep]).decode()
                        .splitlines() for word in line.split() if word.startswith('/')]
    for source in needed:
        target = os.path.join(root, source.lstrip('/'))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy(source, target)
    os.makedirs(os.path.join(root, 'bin'), exist_ok=True)
    if not os.path.exists(os.path.join(root, 'bin', 'sleep')):
        shutil.copy(sleep, os.path.join(root, 'bin', 'sleep'))


def test_a_capture_and_a_link_state_in_a_process_namespace(processes, namespaces, tmp_path):
    """The run-time modules take the same references: a capture in a
    process's namespace (by pid:) holds the pings sent to it, and a link
    taken down there (by path) is down, idempotently."""
    pid = processes.start()
    lab_ns, = namespaces(1)
    subprocess.check_call(['ip', '-n', lab_ns, 'link', 'add', 'to-ctr', 'type', 'veth', 'peer',
                           'name', 'eth9', 'netns', '/proc/%d/ns/net' % pid])
    subprocess.check_call(['ip', '-n', lab_ns, 'addr', 'add', '10.68.0.1/24', 'dev', 'to-ctr'])
    subprocess.check_call(['ip', '-n', lab_ns, 'link', 'set', 'to-ctr', 'up'])
    subprocess.check_call(['nsenter', '-t', str(pid), '-n', 'ip', 'addr', 'add', '10.68.0.2/24',
                           'dev', 'eth9'])
    subprocess.check_call(['nsenter', '-t', str(pid), '-n', 'ip', 'link', 'set', 'eth9', 'up'])
    dest = str(tmp_path / 'ctr.pcap')
    result = {}
    thread = threading.Thread(target=lambda: result.update(run_module('capture', dict(
        netns='pid:%d' % pid, interface='eth9', duration=3, filter='icmp', dest=dest))))
    thread.start()
    time.sleep(1.0)  # tcpdump is listening (it starts in well under a second)
    subprocess.call(['ip', 'netns', 'exec', lab_ns, 'ping', '-c', '3', '-i', '0.2', '-q',
                     '10.68.0.2'], stdout=subprocess.DEVNULL)
    thread.join(15)
    assert not result.get('failed'), result
    assert result['packets'] >= 2, result

    path = processes.bind(pid)
    args = dict(netns=path, name='eth9', state='down')
    made = run_module('link_state', args)
    assert not made.get('failed'), made
    assert made['changed'] is True
    assert run_module('link_state', args)['changed'] is False
    out = subprocess.check_output(['nsenter', '-t', str(pid), '-n', 'ip', '-o', 'link', 'show',
                                   'eth9'], universal_newlines=True)
    assert ',UP' not in out and '<UP' not in out, out
