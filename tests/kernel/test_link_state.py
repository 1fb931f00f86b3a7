"""vnet.linux.link_state: down, up and flaps, seen by a running ping and by
the link's own state changes (`ip monitor link`). Runs on the machine's
kernel (veth only)."""

import os
import re
import subprocess
import time

import pytest

from conftest import ip, run_module, unique_name
from test_guard import default_route_interface
import test_impairment

pair = test_impairment.pair   # the fixture: two namespaces joined by a veth

ENV = 'VNET_FAULT_AT'


def admin(netns, name):
    return 'UP' in ip(netns, 'link', 'show', name)[0]['flags']


def test_down_up_check_mode_idempotent_and_truthful(pair):
    a, _b = pair
    args = {'name': 'va', 'netns': a, 'state': 'down'}
    predicted = run_module('link_state', args, check=True)
    assert predicted['changed'] and admin(a, 'va')
    made = run_module('link_state', args)
    assert made['actions'] == predicted['actions'] == ["bring va in namespace '%s' down" % a]
    assert made['diff'] == {'before': {'name': 'va', 'netns': a, 'admin_state': 'up'},
                            'after': {'name': 'va', 'netns': a, 'admin_state': 'down'}}
    assert not admin(a, 'va')
    again = run_module('link_state', args)
    assert again['changed'] is False and again['actions'] == []
    up = run_module('link_state', dict(args, state='up'))
    assert up['changed'] and admin(a, 'va') and up['admin_state'] == 'up'
    assert run_module('link_state', dict(args, state='up'))['changed'] is False


def test_flap_seen_by_a_running_ping_and_by_link_events(pair):
    a, b = pair
    # a fixed neighbour entry: requests sent while va is down are dropped
    # (lost), not held in the ARP queue until it is back (late)
    mac = ip(a, 'link', 'show', 'va')[0]['address']
    subprocess.check_call(['ip', '-n', b, 'neigh', 'replace', '10.91.0.1', 'lladdr', mac,
                           'dev', 'vb', 'nud', 'permanent'])
    monitor = subprocess.Popen(['ip', '-n', a, '-o', 'monitor', 'link'],
                               stdout=subprocess.PIPE, text=True)
    pinger = subprocess.Popen(['ip', 'netns', 'exec', b, 'ping', '-n', '-i', '0.2', '-c', '25',
                               '-W', '1', '10.91.0.1'], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        args = {'name': 'va', 'netns': a, 'state': 'flap', 'count': 2, 'down_time': 1.0,
                'up_time': 0.5}
        predicted = run_module('link_state', args, check=True)
        started = time.time()
        made = run_module('link_state', args)
        took = time.time() - started
        assert not made.get('failed'), made
        assert made['changed'] and made['actions'] == predicted['actions']
        assert made['actions'] == [
            "take va in namespace '%s' (flap 1 of 2) down for 1s" % a,
            "bring va in namespace '%s' (flap 1 of 2) up for 0.5s" % a,
            "take va in namespace '%s' (flap 2 of 2) down for 1s" % a,
            "bring va in namespace '%s' (flap 2 of 2) up" % a]
        assert took >= 2.5 and admin(a, 'va') and made['admin_state'] == 'up'
        out = pinger.communicate(timeout=30)[0]
    finally:
        pinger.kill()
        monitor.terminate()
    events = monitor.communicate(timeout=10)[0]
    downs = [line for line in events.splitlines() if 'va' in line and 'state DOWN' in line]
    ups = [line for line in events.splitlines() if 'va' in line and 'state UP' in line]
    assert len(downs) >= 2 and len(ups) >= 2, events
    sent, received = map(int, re.search(r'(\d+) packets transmitted, (\d+) received',
                                        out).groups())
    # about 2 s of 5 lost; at least one echo per flap, whatever the load
    # does to ping's own timing (a busy machine delays its sends)
    assert received <= sent - 2, out
    assert received > 5, out            # and back after the flaps


def test_flap_needs_an_up_link_and_bad_input_refused(pair):
    a, _b = pair
    for extra, field in (({'count': 0}, 'count'), ({'down_time': -1.0}, 'down_time'),
                         ({'up_time': 7200.0}, 'up_time')):
        result = run_module('link_state', dict({'name': 'va', 'netns': a, 'state': 'flap'},
                                               **extra))
        assert result['failed'] and result['msg'].startswith(field), result
    missing = run_module('link_state', {'name': 'nope', 'netns': a, 'state': 'down'})
    assert missing['failed'] and missing['msg'].startswith('name: nope does not exist')
    subprocess.check_call(['ip', '-n', a, 'link', 'set', 'va', 'down'])
    refused = run_module('link_state', {'name': 'va', 'netns': a, 'state': 'flap'})
    assert refused['failed'] and 'bring it up first' in refused['msg']
    assert not admin(a, 'va')


def test_failed_flap_brings_the_link_back_up(pair):
    a, _b = pair
    os.environ[ENV] = '2'   # the first "up" fails
    try:
        result = run_module('link_state', {'name': 'va', 'netns': a, 'state': 'flap',
                                           'down_time': 0.1})
    finally:
        del os.environ[ENV]
    assert result['failed'] and 'fault injected at state-changing request 2' in result['msg']
    assert 'undone: take va' in result['msg'] and admin(a, 'va')


def test_lock_out_guard(namespaces, monkeypatch):
    device = default_route_interface()
    if device is not None:
        for state in ('down', 'flap'):
            refused = run_module('link_state', {'name': device, 'state': state}, check=True)
            assert refused['failed'] and 'refusing to take down %s' % device in refused['msg']
        up = run_module('link_state', {'name': device, 'state': 'up'}, check=True)
        assert not up.get('failed') and up['changed'] is False
    other, = namespaces(1)
    end = unique_name('g')
    subprocess.check_call(['ip', 'link', 'add', end, 'type', 'veth', 'peer', 'name', 'g0',
                           'netns', other])
    try:
        subprocess.check_call(['ip', 'addr', 'add', '198.51.100.8/32', 'dev', end])
        subprocess.check_call(['ip', 'link', 'set', end, 'up'])
        monkeypatch.setenv('SSH_CONNECTION', '203.0.113.9 50000 198.51.100.8 22')
        refused = run_module('link_state', {'name': end, 'state': 'flap', 'down_time': 0.1})
        assert refused['failed'] and 'SSH connection' in refused['msg']
        assert admin(None, end)
        allowed = run_module('link_state', {'name': end, 'state': 'flap', 'down_time': 0.1,
                                            'allow_disruptive': True})
        assert allowed['changed'] and not allowed.get('failed') and admin(None, end)
    finally:
        subprocess.call(['ip', 'link', 'del', end])


def test_query_shows_the_flapped_link_state(pair):
    a, _b = pair
    run_module('link_state', {'name': 'va', 'netns': a, 'state': 'down'})
    rows = run_module('impairment', {'netns': a, 'state': 'query'})['interfaces']
    assert [(r['name'], r['admin_state'], r['oper_state']) for r in rows] == \
        [('va', 'down', 'down')]


@pytest.mark.parametrize('state', ['up', 'down', 'flap'])
def test_check_mode_on_a_namespace_made_later(state):
    netns = unique_name('x')
    result = run_module('link_state', {'name': 'e0', 'netns': netns, 'state': state},
                        check=True)
    assert not result.get('failed') and result['changed'] == (state != 'up')
    assert 'does not exist yet' in str(result.get('warnings'))
