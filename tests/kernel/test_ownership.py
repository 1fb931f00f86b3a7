"""Ownership, collateral and port take-over, the same in every module and
the topology (issue 9): a step that deletes or enslaves an object runs only
if the task names it or the lab's mark owns it, collateral included, and
the lock-out guard covers collateral too.

The protected link is a veth end of the test's own in the root namespace,
made protected by pointing SSH_CONNECTION at its address (as in
test_guard.py); nothing of the machine's own is touched.
"""

import subprocess
import time

import pytest

from conftest import ip, run_module, unique_name

from pyroute2 import netns as pyroute2_netns


def exists(netns, name):
    cmd = ['ip'] + (['-n', netns] if netns else []) + ['link', 'show', name]
    return subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def gone_soon(netns, name, seconds=10):
    deadline = time.time() + seconds
    while exists(netns, name):
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def protected_root_end(namespaces, monkeypatch):
    """(root end, its peer g0 in a test namespace); the root end carries the
    task's 'SSH connection'."""
    other, = namespaces(1)
    name = unique_name('g')
    run_module('veth', {'name': name, 'addresses': ['198.51.100.8/32'], 'admin_state': 'up',
                        'peer': {'name': 'g0', 'netns': other}})
    monkeypatch.setenv('SSH_CONNECTION', '203.0.113.9 50000 198.51.100.8 22')
    yield name, other
    subprocess.call(['ip', 'link', 'del', name], stderr=subprocess.DEVNULL)


def test_deleting_the_peer_of_a_protected_link_is_refused(protected_root_end):
    root_end, other = protected_root_end
    for check in (True, False):
        refused = run_module('veth', {'name': 'g0', 'netns': other, 'state': 'absent'},
                             check=check)
        assert refused['failed'] and 'refusing to delete %s' % root_end in refused['msg']
        assert 'SSH connection' in refused['msg']
    assert exists(None, root_end) and exists(other, 'g0')
    allowed = run_module('veth', {'name': 'g0', 'netns': other, 'state': 'absent',
                                  'allow_disruptive': True})
    assert allowed['changed'] and not allowed.get('failed'), allowed
    assert not exists(None, root_end)


def test_deleting_the_namespace_of_a_protected_peer_is_refused(protected_root_end):
    root_end, other = protected_root_end
    for check in (True, False):
        refused = run_module('netns', {'name': other, 'state': 'absent'}, check=check)
        assert refused['failed'] and 'refusing to delete %s' % root_end in refused['msg']
    assert other in pyroute2_netns.listnetns() and exists(None, root_end)
    gone = run_module('netns', {'name': other, 'state': 'absent', 'allow_disruptive': True})
    assert gone['changed'] and not gone.get('failed'), gone
    assert other not in pyroute2_netns.listnetns() and not exists(None, root_end)


def test_namespace_removal_lists_peers_and_guards_stacked_links(namespaces):
    a, b, c = namespaces(3)
    run_module('veth', {'name': 'a0', 'netns': a, 'peer': {'name': 'b0', 'netns': b}})
    # the peer b0 is the other end of a pair inside a: it goes, and is listed
    planned = run_module('netns', {'name': a, 'state': 'absent'}, check=True)
    assert not planned.get('failed'), planned
    assert any("b0 (veth in namespace %r)" % b in step for step in planned['actions'])
    # a macvlan of someone else's in c on that peer is an object of its own
    made = run_module('macvlan', {'name': 'mv0', 'netns': c, 'link': 'b0', 'link_netns': b})
    assert not made.get('failed'), made
    for check in (True, False):
        refused = run_module('netns', {'name': a, 'state': 'absent'}, check=check)
        assert refused['failed'], refused
        assert "refusing to delete mv0 (macvlan in namespace %r)" % c in refused['msg']
        assert 'allow_collateral' in refused['msg']
    assert exists(a, 'a0') and exists(b, 'b0') and exists(c, 'mv0')
    planned = run_module('netns', {'name': a, 'state': 'absent', 'allow_collateral': True},
                         check=True)
    done = run_module('netns', {'name': a, 'state': 'absent', 'allow_collateral': True})
    assert done['actions'] == planned['actions']
    assert a not in pyroute2_netns.listnetns()
    assert not exists(b, 'b0') and not exists(c, 'mv0')


def test_links_stacked_on_a_deleted_veth_are_collateral(namespaces):
    a, b, c = namespaces(3)
    run_module('veth', {'name': 'a0', 'netns': a, 'peer': {'name': 'b0', 'netns': b}})
    made = run_module('macvlan', {'name': 'mv0', 'netns': c, 'link': 'b0', 'link_netns': b})
    assert not made.get('failed'), made
    # the veth module names the pair (a0 and b0), not the macvlan in c
    refused = run_module('veth', {'name': 'a0', 'netns': a, 'state': 'absent'})
    assert refused['failed'] and 'refusing to delete mv0 (macvlan in namespace %r)' % c \
        in refused['msg'], refused
    assert exists(c, 'mv0') and exists(a, 'a0')
    done = run_module('veth', {'name': 'a0', 'netns': a, 'state': 'absent',
                               'allow_collateral': True})
    assert not done.get('failed') and not exists(c, 'mv0') and not exists(b, 'b0')


def test_port_of_another_master_is_not_taken(namespaces):
    n, peer = namespaces(2)
    run_module('bridge', {'name': 'br1', 'netns': n})
    run_module('veth', {'name': 'p0', 'netns': n, 'master': 'br1',
                        'peer': {'name': 'q0', 'netns': peer}})
    for check in (True, False):
        refused = run_module('bridge', {'name': 'br2', 'netns': n,
                                        'ports': [{'name': 'p0'}]}, check=check)
        assert refused['failed'] and 'a port of br1 already' in refused['msg'], refused
        assert 'allow_port_takeover' in refused['msg']
    assert ip(n, 'link', 'show', 'p0')[0]['master'] == 'br1'
    assert not exists(n, 'br2')
    refused = run_module('veth', {'name': 'p0', 'netns': n, 'master': 'br2',
                                  'peer': {'name': 'q0', 'netns': peer}})
    assert refused['failed'] and 'a port of br1 already' in refused['msg']
    moved = run_module('bridge', {'name': 'br2', 'netns': n, 'ports': [{'name': 'p0'}],
                                  'allow_port_takeover': True})
    assert not moved.get('failed'), moved
    assert ip(n, 'link', 'show', 'p0')[0]['master'] == 'br2'


def test_lab_does_not_adopt_an_unmarked_namespace(lab):
    mine = lab.n('x')
    pyroute2_netns.create(mine)
    refused = lab.run(nodes=[{'name': mine}])
    assert refused['failed'] and 'is not part of lab' in refused['msg'], refused
    assert 'external: true' in refused['msg']
    assert ip(mine, 'link', 'show', 'lo')[0].get('ifalias', '') == ''
    used = lab.run(nodes=[{'name': mine, 'external': True}])
    assert not used.get('failed'), used
    lab.run(state='absent')
    assert mine in pyroute2_netns.listnetns()


def test_lab_removal_refuses_foreign_collateral(lab, namespaces):
    (foreign,) = namespaces(1)
    node = lab.n('a')
    built = lab.run(nodes=[{'name': node}])
    assert not built.get('failed'), built
    # someone else's veth between the lab's namespace and their own
    subprocess.check_call(['ip', '-n', foreign, 'link', 'add', 'f0', 'type', 'veth',
                           'peer', 'name', 'f1', 'netns', node])
    for check in (True, False):
        refused = run_module('topology', {'lab': lab.name, 'state': 'absent'}, check=check)
        assert refused['failed'], refused
        assert "refusing to delete f0 (veth in namespace %r)" % foreign in refused['msg']
    assert node in pyroute2_netns.listnetns() and exists(foreign, 'f0')
    planned = run_module('topology', {'lab': lab.name, 'state': 'absent',
                                      'allow_collateral': True}, check=True)
    assert any('f0 (veth in namespace %r)' % foreign in a for a in planned['actions'])
    gone = run_module('topology', {'lab': lab.name, 'state': 'absent',
                                   'allow_collateral': True})
    assert gone['actions'] == planned['actions']
    assert node not in pyroute2_netns.listnetns()
    # the kernel frees a removed namespace's links in the background
    assert gone_soon(foreign, 'f0')


def test_lab_port_takeover_refused(lab, namespaces):
    node = lab.n('a')
    lab.run(nodes=[{'name': node}])
    subprocess.check_call(['ip', '-n', node, 'link', 'add', 'theirs', 'type', 'bridge'])
    subprocess.check_call(['ip', '-n', node, 'link', 'add', 'p1', 'master', 'theirs',
                           'type', 'veth', 'peer', 'name', 'p0'])
    description = dict(nodes=[{'name': node}], bridges=[{'name': 'br0', 'node': node}],
                       links=[{'endpoints': [{'node': node, 'name': 'p0'},
                                             {'bridge': 'br0', 'name': 'p1'}]}])
    for check in (True, False):
        refused = lab.run(check=check, **description)
        assert refused.get('failed') and 'a port of theirs already' in refused['msg'], refused
    assert ip(node, 'link', 'show', 'p1')[0]['master'] == 'theirs'
    moved = lab.run(allow_port_takeover=True, **description)
    assert not moved.get('failed'), moved
    assert ip(node, 'link', 'show', 'p1')[0]['master'] == 'br0'
