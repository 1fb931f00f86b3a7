"""vnet.linux.netns on the machine's kernel, in throwaway namespaces."""

import os

import pytest

from conftest import ip, run_module

pytestmark = pytest.mark.usefixtures('namespaces')


def sysctl_in(netns, key):
    import subprocess
    return subprocess.check_output(['ip', 'netns', 'exec', netns, 'sysctl', '-n', key]).decode().strip()


def test_create_idempotent_and_delete(namespaces):
    name, = namespaces(1, create=False)
    predicted = run_module('netns', {'name': name}, check=True)
    assert predicted['changed'] is True
    assert not os.path.exists('/run/netns/' + name), 'check mode must not create it'

    made = run_module('netns', {'name': name})
    assert made['changed'] is True
    assert made['actions'] == predicted['actions']
    assert os.path.exists('/run/netns/' + name)
    lo = ip(name, 'link', 'show', 'lo')[0]
    assert 'UP' in lo['flags']

    again = run_module('netns', {'name': name})
    assert again['changed'] is False and again['actions'] == []

    gone = run_module('netns', {'name': name, 'state': 'absent'})
    assert gone['changed'] is True
    assert not os.path.exists('/run/netns/' + name)
    assert run_module('netns', {'name': name, 'state': 'absent'})['changed'] is False


def test_exact_name_match_not_substring(namespaces):
    longer, = namespaces(1)
    shorter = longer[:-1]
    result = run_module('netns', {'name': shorter}, check=True)
    assert result['changed'] is True, 'an existing %s must not count as %s' % (longer, shorter)


def test_sysctls_set_changed_and_verified(namespaces):
    name, = namespaces(1)
    args = {'name': name, 'sysctls': {'net.ipv4.ip_forward': 1,
                                      'net.ipv6.conf.all.forwarding': '1'}}
    first = run_module('netns', args)
    assert first['changed'] is True
    assert sysctl_in(name, 'net.ipv4.ip_forward') == '1'
    assert sysctl_in(name, 'net.ipv6.conf.all.forwarding') == '1'
    assert run_module('netns', args)['changed'] is False
    # the host's own value is untouched by a namespace's sysctl
    back = run_module('netns', dict(args, sysctls={'net.ipv4.ip_forward': 0}))
    assert back['changed'] and sysctl_in(name, 'net.ipv4.ip_forward') == '0'
    assert back['diff']['before']['namespace']['sysctls'] == {'net.ipv4.ip_forward': '1'}
    assert back['diff']['after']['namespace']['sysctls'] == {'net.ipv4.ip_forward': '0'}


def test_loopback_down_and_up(namespaces):
    name, = namespaces(1)
    down = run_module('netns', {'name': name, 'loopback': False})
    assert down['changed'] is False  # a fresh namespace has lo down
    up = run_module('netns', {'name': name, 'loopback': True})
    assert up['changed'] is True and up['namespace']['loopback'] is True


def test_delete_leaves_no_stray_links(namespaces):
    a, b = namespaces(2)
    run_module('veth', {'name': 'x0', 'netns': a, 'peer': {'name': 'x1', 'netns': b}})
    # x1 in b goes too: the other end of a pair inside a (test_ownership.py)
    result = run_module('netns', {'name': a, 'state': 'absent'})
    assert result['changed'] is True
    assert [l['ifname'] for l in ip(b, 'link', 'show')] == ['lo']


@pytest.mark.parametrize('bad, rule', [
    ('a/b', '"/"'), ('../x', '"/"'), ('.', '"."'), ('..', '".."'),
    ('x' * 256, '256 bytes long; the limit is 255'), ('has space', 'whitespace'),
    ('', 'non-empty'),
])
def test_bad_names_rejected(bad, rule):
    result = run_module('netns', {'name': bad})
    assert result.get('failed') is True
    assert result['msg'].startswith('name:') and rule in result['msg']


def test_non_net_sysctl_rejected(namespaces):
    name, = namespaces(1, create=False)
    result = run_module('netns', {'name': name, 'sysctls': {'kernel.pid_max': 1}})
    assert result['failed'] and 'only net.*' in result['msg']
    assert not os.path.exists('/run/netns/' + name)


def test_unknown_sysctl_fails_clearly(namespaces):
    name, = namespaces(1)
    result = run_module('netns', {'name': name, 'sysctls': {'net.ipv4.no_such_thing': 1}})
    assert result['failed'] and 'net.ipv4.no_such_thing' in result['msg']
