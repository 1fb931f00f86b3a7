"""The lock-out guard: interfaces carrying the default route or the SSH
connection of the task are not deleted, taken down, enslaved or stripped of
addresses unless allow_disruptive is set.

Only check mode is used against the machine's own default-route interface
(the guard refuses while planning, before anything could change); the real
refusal and the override are proven on a veth end of the test's own.
"""

import os
import subprocess

import pytest

from conftest import ip, run_module, unique_name


def default_route_interface():
    routes = ip(None, 'route', 'show', 'default')
    return routes[0]['dev'] if routes else None


@pytest.fixture
def root_end(namespaces):
    """A veth end of our own in the root namespace, with an address."""
    other, = namespaces(1)
    name = unique_name('g')
    run_module('veth', {'name': name, 'addresses': ['198.51.100.7/32'], 'admin_state': 'up',
                        'peer': {'name': 'g0', 'netns': other}})
    yield name, other
    subprocess.call(['ip', 'link', 'del', name], stderr=subprocess.DEVNULL)


def test_default_route_interface_is_not_enslaved(namespaces):
    device = default_route_interface()
    if device is None:
        pytest.skip('this machine has no default route')
    result = run_module('bridge', {'name': unique_name('b'), 'ports': [{'name': device}]},
                        check=True)
    assert result['failed'] and 'refusing to enslave %s' % device in result['msg']
    assert 'a default route' in result['msg'] and 'allow_disruptive' in result['msg']


def test_ssh_interface_refused_then_allowed(root_end, monkeypatch):
    root_end, other = root_end
    monkeypatch.setenv('SSH_CONNECTION', '203.0.113.9 50000 198.51.100.7 22')
    refused = run_module('veth', {'name': root_end, 'state': 'absent'})
    assert refused['failed'] and 'refusing to delete %s' % root_end in refused['msg']
    assert 'SSH connection' in refused['msg']
    down = run_module('veth', {'name': root_end, 'admin_state': 'down',
                               'peer': {'name': 'g0', 'netns': other}})
    assert down['failed'] and 'refusing to take down' in down['msg']
    purge = run_module('veth', {'name': root_end, 'addresses': [], 'purge_addresses': True,
                                'peer': {'name': 'g0', 'netns': other}})
    assert purge['failed'] and 'refusing to remove address 198.51.100.7/32' in purge['msg']
    assert ip(None, 'link', 'show', root_end)[0]['ifname'] == root_end
    allowed = run_module('veth', {'name': root_end, 'state': 'absent',
                                  'allow_disruptive': True})
    assert allowed['changed'] and not allowed.get('failed')
    assert not os.path.exists('/sys/class/net/' + root_end)
