"""vnet.linux.teamd on real teamd and a real team driver.

Lanes: tests marked guest_kernel need the team driver, which the host kernel
lacks: they run in the Debian 6.1 guest (scripts/vm/pytest-in-guest.sh).
The others run anywhere (check mode and input errors never start teamd).

Topology of the guest tests, in throwaway namespaces:
    [team ns] team0 = p1 + p2 (+ p3 spare)  --veth--  [peer ns] br0 = q1 + q2 (+ q3)
team0 has 10.77.0.1/24, br0 10.77.0.2/24.
"""

import json
import os
import shutil
import subprocess
import time

import pytest

from pyroute2 import IPRoute
from pyroute2 import netns as pyroute2_netns

from ansible_collections.vnet.linux.plugins.module_utils._kinds.teamd import (
    RUNTIME_ROOT,
    runtime_dir,
)

from conftest import ip, remove_namespace, run_module, unique_name

TEAM_IP, PEER_IP = '10.77.0.1', '10.77.0.2'
guest = pytest.mark.guest_kernel
needs_teamd = pytest.mark.skipif(shutil.which('teamd') is None or shutil.which('teamdctl') is None,
                                 reason='teamd/teamdctl not installed (libteam-utils)')


# ---------------------------------------------------------------- helpers --

def make_ports(team_ns, peer_ns, count=3, bridge=True):
    """veth pairs p<i> (team ns) -- q<i> (peer ns), q ends in an up bridge."""
    with IPRoute(netns=team_ns, flags=0) as ipr:
        for i in range(1, count + 1):
            ipr.link('add', ifname='p%d' % i, kind='veth',
                     peer={'ifname': 'q%d' % i, 'net_ns_fd': peer_ns})
    if not bridge:
        return
    with IPRoute(netns=peer_ns, flags=0) as ipr:
        ipr.link('add', ifname='br0', kind='bridge', br_stp_state=0, br_forward_delay=0)
        br = ipr.link_lookup(ifname='br0')[0]
        for i in range(1, count + 1):
            index = ipr.link_lookup(ifname='q%d' % i)[0]
            ipr.link('set', index=index, master=br)
            ipr.link('set', index=index, state='up')
        ipr.link('set', index=br, state='up')
        ipr.addr('add', index=br, address=PEER_IP, prefixlen=24)


def set_state(netns, name, state):
    with IPRoute(netns=netns, flags=0) as ipr:
        ipr.link('set', index=ipr.link_lookup(ifname=name)[0], state=state)


def teamdctl(netns, team, *args):
    """teamdctl in the namespaces of the running daemon (witness)."""
    with open(os.path.join(runtime_dir(netns), team + '.pid')) as handle:
        pid = int(handle.read())
    cmd = ['nsenter', '--net=/run/netns/' + netns, '--mount=/proc/%d/ns/mnt' % pid,
           'teamdctl', team] + list(args)
    return subprocess.check_output(cmd, stderr=subprocess.STDOUT).decode()


def state_dump(netns, team):
    return json.loads(teamdctl(netns, team, 'state', 'dump'))


def config_dump(netns, team):
    return json.loads(teamdctl(netns, team, 'config', 'dump', 'actual'))


def teamd_processes(netns):
    """pids of teamd processes started with this namespace's runtime dir."""
    marker = runtime_dir(netns).encode()
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                argv = handle.read().split(b'\0')
        except OSError:
            continue
        if os.path.basename(argv[0]) == b'teamd' and any(marker in a for a in argv):
            found.append(int(entry))
    return found


def ping(netns, address, count=1):
    return subprocess.call(['ip', 'netns', 'exec', netns, 'ping', '-c', str(count), '-W', '2',
                            '-i', '0.2', address],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def wait_for(predicate, timeout=15.0, what='condition'):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError('timed out waiting for %s' % what)


def failing_teamd(tmp_path, monkeypatch, fail_on):
    """Put a teamd first in PATH that runs the real one, except that its
    start number `fail_on` fails as teamd does when it refuses to start."""
    real = shutil.which('teamd')
    counter = tmp_path / 'teamd-starts'
    wrapper = tmp_path / 'teamd'
    wrapper.write_text(
        '#!/bin/sh\n'
        'n=$(($(cat %s 2>/dev/null || echo 0) + 1)); echo $n > %s\n'
        'if [ "$n" = %d ]; then echo "teamd: injected failure of start $n" >&2; exit 1; fi\n'
        'exec %s "$@"\n' % (counter, counter, fail_on, real))
    wrapper.chmod(0o755)
    monkeypatch.setenv('PATH', '%s:%s' % (tmp_path, os.environ.get('PATH', '')))
    return counter


def links_of(netns):
    return dict((link['ifname'], link) for link in ip(netns, 'link', 'show'))


def addresses_of(netns, name):
    return ['%s/%s' % (a['local'], a['prefixlen']) for a in ip(netns, 'addr', 'show', name)[0]
            ['addr_info'] if a.get('scope') != 'link']


def empty_dirs_left(before_run_teamd):
    """Empty directories the collection made that are still there."""
    left = []
    for top, dirs, files in os.walk(RUNTIME_ROOT):
        if not dirs and not files:
            left.append(top)
    if not os.path.exists(RUNTIME_ROOT) and not before_run_teamd and \
            os.path.isdir('/run/teamd') and not os.listdir('/run/teamd'):
        left.append('/run/teamd')
    return left


def team_args(netns, **extra):
    args = dict(name='team0', netns=netns,
                runner=dict(name='activebackup'),
                ports=[dict(name='p1', prio=10), dict(name='p2')],
                addresses=[TEAM_IP + '/24'], admin_state='up')
    args.update(extra)
    return args


@pytest.fixture
def lab(namespaces):
    """(team namespace, peer namespace) with ports; every teamd of the team
    namespace is stopped before the namespaces go (a daemon would keep its
    namespace alive)."""
    team_ns, peer_ns = namespaces(2)
    make_ports(team_ns, peer_ns)
    yield team_ns, peer_ns
    run_module('teamd', dict(name='team0', netns=team_ns, state='absent'))
    for pid in teamd_processes(team_ns):
        os.kill(pid, 9)
    shutil.rmtree(runtime_dir(team_ns), ignore_errors=True)


# ------------------------------------------------------ anywhere (host) --

def test_missing_teamd_names_the_package(monkeypatch, tmp_path):
    # teamd lives in /usr/bin; get_bin_path also looks in the sbin dirs only
    monkeypatch.setenv('PATH', str(tmp_path))
    result = run_module('teamd', dict(name='team0', runner=dict(name='activebackup')),
                        check=True)
    assert result['failed']
    assert 'libteam-utils' in result['msg'] and 'teamd' in result['msg']


@pytest.mark.parametrize('args, message', [
    (dict(runner=dict(name='activebackup', fast_rate=True)), 'runner.fast_rate: only the lacp'),
    (dict(runner=dict(name='roundrobin', hwaddr_policy='by_active')),
     'runner.hwaddr_policy: only the activebackup'),
    (dict(runner=dict(name='broadcast', tx_hash=['eth'])), 'runner.tx_hash'),
    (dict(link_watch=[dict(name='ethtool', missed_max=3)]), 'link_watch[0].missed_max'),
    (dict(link_watch=[dict(name='nsna_ping', target_host='10.0.0.1')]), 'IPv6'),
    (dict(ports=[dict(name='p1', lacp_key=1)]), 'ports[0].lacp_key: only the lacp'),
    (dict(ports=[dict(name='p1'), dict(name='p1')]), 'listed twice'),
    (dict(runner=dict(name='lacp', sys_prio=70000)), 'runner.sys_prio'),
])
def test_misfit_options_fail_before_anything(namespaces, args, message):
    netns, = namespaces(1)
    full = dict(name='team0', netns=netns, **args)
    result = run_module('teamd', full)
    assert result['failed'] and message in result['msg'], result['msg']
    assert not os.path.exists(runtime_dir(netns))
    assert [link['ifname'] for link in ip(netns, 'link', 'show')] == ['lo']


@needs_teamd
def test_check_mode_predicts_a_start_and_changes_nothing(namespaces):
    team_ns, peer_ns = namespaces(2)
    make_ports(team_ns, peer_ns, count=2, bridge=False)
    result = run_module('teamd', team_args(team_ns), check=True)
    assert result['changed'] and not result['restarted']
    assert result['actions'][0].startswith("start teamd for team team0 in namespace '%s' "
                                           "(runner activebackup, ports p1, p2)" % team_ns)
    assert result['config']['ports'] == {'p1': {'prio': 10}, 'p2': {}}
    assert result['link']['addresses'] == [TEAM_IP + '/24']
    assert result['diff']['before'] == {'link': {}, 'config': {}}
    assert sorted(link['ifname'] for link in ip(team_ns, 'link', 'show')) == ['lo', 'p1', 'p2']
    assert not os.path.exists(runtime_dir(team_ns))
    assert teamd_processes(team_ns) == []


# ------------------------------------------------------------ guest only --

@guest
def test_activebackup_passes_traffic_and_fails_over(lab):
    team_ns, peer_ns = lab
    result = run_module('teamd', team_args(team_ns))
    assert result['changed'] and not result['restarted'], result
    team = result['team']
    assert team['runner'] == 'activebackup' and team['kernel_team_mode'] == 'activebackup'
    assert [p['name'] for p in team['ports']] == ['p1', 'p2']
    assert all(p['link_up'] for p in team['ports'])
    assert team['active_port'] == 'p1'  # prio 10 beats 0
    assert result['link']['kind'] == 'team' and result['link']['admin_state'] == 'up'
    assert ping(team_ns, PEER_IP, count=3)

    # the cable of the active port is pulled: teamd moves to p2, traffic flows
    set_state(peer_ns, 'q1', 'down')
    wait_for(lambda: state_dump(team_ns, 'team0')['runner']['active_port'] == 'p2',
             what='failover to p2')
    assert ping(team_ns, PEER_IP, count=3)
    set_state(peer_ns, 'q1', 'up')

    again = run_module('teamd', team_args(team_ns))
    assert not again['changed'] and again['actions'] == [] and not again['restarted']
    assert again['diff']['before'] == again['diff']['after']


@guest
def test_check_mode_is_exact_and_second_run_is_idempotent(lab):
    team_ns, _peer = lab
    predicted = run_module('teamd', team_args(team_ns), check=True)
    assert not os.path.exists(runtime_dir(team_ns)) and teamd_processes(team_ns) == []
    done = run_module('teamd', team_args(team_ns))
    assert done['actions'] == predicted['actions']
    assert done['config'] == predicted['config']
    for key in ('name', 'kind', 'admin_state', 'addresses'):
        assert done['link'][key] == predicted['link'][key]
    pid = done['team']['pid']

    changed = team_args(team_ns, ports=[dict(name='p1', prio=20), dict(name='p3')],
                        mtu=1400, mac_address='02:00:00:00:77:01')
    predicted = run_module('teamd', changed, check=True)
    assert state_dump(team_ns, 'team0')['setup']['pid'] == pid
    assert sorted(config_dump(team_ns, 'team0')['ports']) == ['p1', 'p2']
    done = run_module('teamd', changed)
    assert done['actions'] == predicted['actions'] and done['changed'] and predicted['changed']
    assert done['restarted'] is predicted['restarted'] is False
    assert done['config'] == predicted['config']
    assert done['link']['mac_address'] == '02:00:00:00:77:01'
    # same_all: teamd gives the ports the team's new address
    wait_for(lambda: all(p['ifinfo']['dev_addr'] == '02:00:00:00:77:01' for p in
                         state_dump(team_ns, 'team0')['ports'].values()),
             what='ports to take the team MAC')
    assert not run_module('teamd', changed)['changed']


@guest
def test_ports_change_live_without_restart(lab):
    team_ns, _peer = lab
    first = run_module('teamd', team_args(team_ns))
    pid = first['team']['pid']

    swapped = run_module('teamd', team_args(team_ns, ports=[dict(name='p1', prio=10),
                                                            dict(name='p3', prio=5)]))
    assert swapped['changed'] and not swapped['restarted']
    assert swapped['actions'] == [
        "remove port p2 from team team0 in namespace '%s'" % team_ns,
        "add port p3 to team team0 in namespace '%s' (prio=5)" % team_ns]
    assert swapped['team']['pid'] == pid
    assert sorted(p['name'] for p in swapped['team']['ports']) == ['p1', 'p3']
    links = dict((link['ifname'], link) for link in ip(team_ns, 'link', 'show'))
    assert links['p3'].get('master') == 'team0' and 'UP' in links['p3']['flags']
    assert 'master' not in links['p2'] and 'UP' not in links['p2']['flags']

    updated = run_module('teamd', team_args(team_ns, ports=[dict(name='p1', prio=1, sticky=True),
                                                            dict(name='p3', prio=5)]))
    assert not updated['restarted'] and updated['team']['pid'] == pid
    assert updated['actions'] == [
        "update port p1 of team team0 in namespace '%s' to prio=1, sticky=True "
        "(removed and added again)" % team_ns]
    # (teamd adds an implicit ethtool watcher to ports that have none)
    assert_contains(config_dump(team_ns, 'team0')['ports']['p1'], {'prio': 1, 'sticky': True})
    wait_for(lambda: state_dump(team_ns, 'team0')['runner'].get('active_port') == 'p3',
             what='p3 (prio 5) to become active')

    # dropping an option of a port is a change too (it was applied before)
    dropped = run_module('teamd', team_args(team_ns, ports=[dict(name='p1', prio=1),
                                                            dict(name='p3', prio=5)]))
    assert dropped['changed'] and not dropped['restarted']
    p1 = config_dump(team_ns, 'team0')['ports']['p1']
    assert p1['prio'] == 1 and 'sticky' not in p1


@guest
def test_runner_change_restarts_and_keeps_link_settings(lab):
    team_ns, _peer = lab
    first = run_module('teamd', team_args(team_ns, alias='uplink', mtu=1400))
    assert first['link']['mtu'] == 1400  # set after teamd made the device
    pid = first['team']['pid']
    # the task no longer gives addresses, state or alias: they are carried over
    args = dict(name='team0', netns=team_ns, runner=dict(name='roundrobin'),
                ports=[dict(name='p1'), dict(name='p2')])
    predicted = run_module('teamd', args, check=True)
    assert predicted['restarted'] and predicted['changed']
    done = run_module('teamd', args)
    assert done['restarted'] and done['actions'] == predicted['actions']
    assert done['actions'][0].startswith(
        "restart teamd for team team0 in namespace '%s' because runner.name changed "
        "(runner roundrobin, ports p1, p2)" % team_ns)
    assert done['team']['pid'] != pid and done['team']['runner'] == 'roundrobin'
    assert done['team']['kernel_team_mode'] == 'roundrobin'
    assert done['link']['addresses'] == [TEAM_IP + '/24']
    assert done['link']['admin_state'] == 'up' and done['link']['alias'] == 'uplink'
    assert done['link']['mtu'] == 1400
    assert len(teamd_processes(team_ns)) == 1
    assert ping(team_ns, PEER_IP, count=3)
    assert not run_module('teamd', args)['changed']


WATCHERS = [
    dict(name='ethtool', delay_up=100, delay_down=200),
    dict(name='arp_ping', interval=500, init_wait=10, missed_max=4, source_host=TEAM_IP,
         target_host=PEER_IP, validate_active=True, validate_inactive=False,
         send_always=True, vlanid=12),
    dict(name='nsna_ping', interval=700, missed_max=6, target_host='fe80::1'),
]
OPTION_GROUPS = [
    ('activebackup',
     dict(runner=dict(name='activebackup', hwaddr_policy='by_active'),
          link_watch=WATCHERS,
          notify_peers=dict(count=2, interval=50), mcast_rejoin=dict(count=3, interval=60),
          ports=[dict(name='p1', prio=-10, sticky=True, queue_id=1,
                      link_watch=[dict(name='ethtool', delay_up=5)]),
                 dict(name='p2', prio=100)])),
    ('lacp',
     dict(runner=dict(name='lacp', active=False, fast_rate=True, sys_prio=100, min_ports=2,
                      agg_select_policy='count', tx_hash=['eth', 'ipv4', 'l4'],
                      tx_balancer=dict(name='basic', balancing_interval=20)),
          ports=[dict(name='p1', lacp_prio=10, lacp_key=7, prio=3, sticky=True),
                 dict(name='p2', lacp_prio=20, lacp_key=7)])),
    ('loadbalance',
     dict(runner=dict(name='loadbalance', tx_hash=['l3', 'tcp', 'udp'],
                      tx_balancer=dict(balancing_interval=30)),
          ports=[dict(name='p1', queue_id=2), dict(name='p2')])),
    ('broadcast', dict(runner=dict(name='broadcast'), ports=[dict(name='p1'), dict(name='p2')])),
    ('random', dict(runner=dict(name='random'), ports=[dict(name='p1'), dict(name='p2')])),
    ('roundrobin', dict(runner=dict(name='roundrobin'), ports=[dict(name='p1')])),
]


def expected_config(options):
    """What teamdctl must report, from what the test gave (teamd's JSON)."""
    runner = dict((k, v) for k, v in options['runner'].items())
    if 'tx_balancer' in runner:
        runner['tx_balancer'] = dict({'name': 'basic'}, **runner['tx_balancer'])
    config = {'runner': runner}
    for key in ('link_watch', 'notify_peers', 'mcast_rejoin'):
        if key in options:
            config[key] = options[key]
    config['ports'] = dict((p['name'], dict((k, v) for k, v in p.items() if k != 'name'))
                           for p in options['ports'])
    return config


def assert_contains(have, want, path='config'):
    if isinstance(want, dict):
        assert isinstance(have, dict), '%s: %r is not an object' % (path, have)
        for key, value in want.items():
            assert key in have, '%s.%s missing in %r' % (path, key, have)
            assert_contains(have[key], value, '%s.%s' % (path, key))
    elif isinstance(want, list) and want and isinstance(want[0], dict):
        have = have if isinstance(have, list) else [have]
        assert len(have) == len(want), '%s: %r' % (path, have)
        for pos, (one, other) in enumerate(zip(have, want)):
            assert_contains(one, other, '%s[%d]' % (path, pos))
    else:
        assert have == want, '%s: %r != %r' % (path, have, want)


@guest
def test_every_option_group_is_applied_and_read_back(lab):
    team_ns, _peer = lab
    previous_pid = None
    for runner, options in OPTION_GROUPS:
        args = dict(name='team0', netns=team_ns, admin_state='up', **options)
        result = run_module('teamd', args)
        assert result['changed'] and not result.get('failed'), result
        assert result['restarted'] is (previous_pid is not None), (runner, result['actions'])
        live = config_dump(team_ns, 'team0')
        assert_contains(live, expected_config(options))
        assert result['team']['runner'] == runner
        assert result['team']['pid'] != previous_pid
        again = run_module('teamd', args)
        assert not again['changed'], (runner, again['actions'])
        previous_pid = result['team']['pid']
        if runner == 'activebackup':
            # watchers of the team and of the port, as teamd runs them
            watches = dict((p['ifname'] if 'ifname' in p else name, p)
                           for name, p in state_dump(team_ns, 'team0')['ports'].items())
            names = sorted(w['name'] for w in watches['p1']['link_watches']['list'].values())
            assert names == ['arp_ping', 'ethtool', 'ethtool', 'nsna_ping']


@guest
def test_absent_stops_the_daemon_and_leaves_nothing(lab):
    team_ns, _peer = lab
    run_module('teamd', team_args(team_ns))
    assert len(teamd_processes(team_ns)) == 1
    predicted = run_module('teamd', dict(name='team0', netns=team_ns, state='absent'),
                           check=True)
    assert predicted['changed'] and len(teamd_processes(team_ns)) == 1
    done = run_module('teamd', dict(name='team0', netns=team_ns, state='absent'))
    assert done['changed'] and done['actions'] == predicted['actions']
    assert done['diff']['before']['config']['runner']['name'] == 'activebackup'
    assert teamd_processes(team_ns) == []
    assert not os.path.exists(runtime_dir(team_ns))
    names = [link['ifname'] for link in ip(team_ns, 'link', 'show')]
    assert 'team0' not in names and {'p1', 'p2'} <= set(names)
    assert not run_module('teamd', dict(name='team0', netns=team_ns, state='absent'))['changed']


@guest
def test_same_team_name_in_two_namespaces(namespaces):
    """teamd's socket path is per name: the module isolates it per namespace."""
    first, second, peer = namespaces(3)
    make_ports(first, peer, count=1, bridge=False)
    with IPRoute(netns=second, flags=0) as ipr:
        ipr.link('add', ifname='p1', kind='veth', peer='x1')
    try:
        for netns in (first, second):
            result = run_module('teamd', dict(name='team0', netns=netns,
                                              ports=[dict(name='p1')]))
            assert result['changed'], result
        pids = [state_dump(netns, 'team0')['setup']['pid'] for netns in (first, second)]
        assert pids[0] != pids[1]
        assert teamd_processes(first) == [pids[0]] and teamd_processes(second) == [pids[1]]
    finally:
        for netns in (first, second):
            run_module('teamd', dict(name='team0', netns=netns, state='absent'))
    assert teamd_processes(first) == [] and teamd_processes(second) == []


@guest
def test_a_killed_daemon_is_restarted(lab):
    team_ns, _peer = lab
    first = run_module('teamd', team_args(team_ns))
    os.kill(first['team']['pid'], 9)  # no cleanup: device and pid file stay
    wait_for(lambda: teamd_processes(team_ns) == [], what='teamd to die')
    result = run_module('teamd', team_args(team_ns))
    assert result['changed'] and result['restarted'], result
    assert 'the teamd of this team is not running' in result['actions'][0]
    assert result['team']['pid'] != first['team']['pid']
    assert result['team']['active_port'] == 'p1'
    assert ping(team_ns, PEER_IP, count=3)


@guest
def test_a_team_without_our_daemon_is_left_alone_until_absent(namespaces):
    netns, = namespaces(1)
    with IPRoute(netns=netns, flags=0) as ipr:
        ipr.link('add', ifname='team0', kind='team')  # a bare team, no teamd
    result = run_module('teamd', dict(name='team0', netns=netns, runner=dict(name='random')))
    assert result['failed'] and 'no teamd started by this module drives it' in result['msg']
    gone = run_module('teamd', dict(name='team0', netns=netns, state='absent'))
    assert gone['changed'] and gone['actions'] == [
        "delete team team0 in namespace '%s'" % netns]
    assert [link['ifname'] for link in ip(netns, 'link', 'show')] == ['lo']


@guest
def test_absent_stops_a_daemon_whose_namespace_was_deleted(namespaces):
    team_ns, peer_ns = namespaces(2)
    make_ports(team_ns, peer_ns, count=1, bridge=False)
    run_module('teamd', dict(name='team0', netns=team_ns, ports=[dict(name='p1')]))
    pids = teamd_processes(team_ns)
    subprocess.check_call(['ip', 'netns', 'delete', team_ns])
    assert teamd_processes(team_ns) == pids and len(pids) == 1  # the daemon lives on
    predicted = run_module('teamd', dict(name='team0', netns=team_ns, state='absent'),
                           check=True)
    done = run_module('teamd', dict(name='team0', netns=team_ns, state='absent'))
    assert done['changed'] and done['actions'] == predicted['actions'] == [
        "stop teamd for team team0 in namespace '%s' (the namespace was deleted while "
        "the daemon ran)" % team_ns]
    assert teamd_processes(team_ns) == [] and not os.path.exists(runtime_dir(team_ns))


@guest
def test_absent_removes_the_run_directories_it_made(lab):
    team_ns, _peer = lab
    had_run_teamd = os.path.isdir('/run/teamd')
    run_module('teamd', team_args(team_ns))
    assert os.path.isdir(runtime_dir(team_ns)) and os.path.isdir('/run/teamd')
    done = run_module('teamd', dict(name='team0', netns=team_ns, state='absent'))
    assert done['changed'] and teamd_processes(team_ns) == []
    assert not os.path.exists(runtime_dir(team_ns))
    assert empty_dirs_left(had_run_teamd) == []


@guest
def test_a_failed_restart_brings_the_old_team_back(lab, tmp_path, monkeypatch):
    team_ns, _peer = lab
    failing_teamd(tmp_path, monkeypatch, fail_on=2)
    first = run_module('teamd', team_args(team_ns, alias='uplink', mtu=1400))
    assert first['changed'] and not first.get('failed'), first
    conf = os.path.join(runtime_dir(team_ns), 'team0.conf')
    with open(conf) as handle:
        old_conf = handle.read()
    changed = dict(team_args(team_ns), runner=dict(name='roundrobin'))
    predicted = run_module('teamd', changed, check=True)
    assert predicted['restarted']

    failed = run_module('teamd', changed)
    assert failed.get('failed'), failed
    msg = failed['msg']
    assert 'step "%s" failed' % predicted['actions'][0] in msg, msg
    assert 'injected failure of start 2' in msg, msg
    assert 'restored the old team: teamd with its previous configuration (runner ' \
        'activebackup, ports p1, p2)' in msg, msg
    # the old team, as it was: daemon, its configuration file, device, ports
    assert len(teamd_processes(team_ns)) == 1
    assert config_dump(team_ns, 'team0')['runner']['name'] == 'activebackup'
    with open(conf) as handle:
        assert handle.read() == old_conf
    links = links_of(team_ns)
    assert 'UP' in links['team0']['flags'] and links['team0']['mtu'] == 1400
    assert links['team0'].get('ifalias') == 'uplink'
    assert addresses_of(team_ns, 'team0') == [TEAM_IP + '/24']
    for port in ('p1', 'p2'):
        assert links[port].get('master') == 'team0' and 'UP' in links[port]['flags'], port
    assert ping(team_ns, PEER_IP, count=3)
    again = run_module('teamd', team_args(team_ns, alias='uplink', mtu=1400))
    assert not again['changed'], again['actions']


@guest
def test_a_refused_live_port_add_leaves_the_port_as_it_was(lab):
    team_ns, _peer = lab
    run_module('teamd', team_args(team_ns))
    set_state(team_ns, 'lo', 'up')
    conf = os.path.join(runtime_dir(team_ns), 'team0.conf')
    with open(conf) as handle:
        old_conf = handle.read()
    # p2 is released first, then the kernel refuses a loopback device as a
    # team port: both are undone
    refused = run_module('teamd', team_args(team_ns, ports=[dict(name='p1', prio=10),
                                                            dict(name='lo')]))
    assert refused.get('failed'), refused
    assert 'step "add port lo to team team0' in refused['msg'], refused['msg']
    assert 'undone: remove port p2 from team team0' in refused['msg'], refused['msg']
    with open(conf) as handle:
        assert handle.read() == old_conf
    links = links_of(team_ns)
    assert 'UP' in links['lo']['flags'] and 'master' not in links['lo']
    for port in ('p1', 'p2'):
        assert links[port].get('master') == 'team0' and 'UP' in links[port]['flags'], port
    assert not run_module('teamd', team_args(team_ns))['changed']


# ------------------------------------------------- teams in a topology --

@pytest.fixture
def topo():
    """(lab name, team node, peer node) for a topology; the lab is removed
    afterwards, and any teamd of the team node is stopped."""
    host, peer = unique_name('h'), unique_name('s')
    lab_name = 'lab-' + host
    yield lab_name, host, peer
    try:
        run_module('topology', {'lab': lab_name, 'state': 'absent'})
    finally:
        for pid in teamd_processes(host):
            os.kill(pid, 9)
        shutil.rmtree(runtime_dir(host), ignore_errors=True)
        for name in (host, peer):
            if name in pyroute2_netns.listnetns():
                remove_namespace(name)


def team_lab(lab_name, host, peer, runner='activebackup', team=True, kind='team'):
    links = [{'endpoints': [{'node': host, 'name': 't0'}, {'node': peer, 'name': 'q0'}]},
             {'endpoints': [{'node': host, 'name': 't1'}, {'node': peer, 'name': 'q1'}]}]
    if team:
        links.append({'kind': kind, 'node': host, 'name': 'team0', 'runner': runner,
                      'ports': ['t0', 't1'], 'addresses': ['10.6.0.1/24']})
    return dict(lab=lab_name, nodes=[{'name': host}, {'name': peer}], links=links)


def test_topology_kind_teamd_is_the_former_name_of_team(topo):
    lab_name, host, peer = topo
    predicted = run_module('topology', team_lab(lab_name, host, peer, kind='teamd'),
                           check=True)
    assert predicted['changed'] and not predicted.get('failed'), predicted
    # (ansible-core 2.19 nests the message in an event)
    messages = [d.get('msg') or d['event']['msg'] for d in predicted.get('deprecations', [])]
    assert any(m.startswith("links[2].kind: 'teamd' is the former name of kind 'team'")
               for m in messages), messages
    assert 'start teamd for team team0 in node %s (runner activebackup, ports t0, t1)' \
        % host in predicted['actions']
    assert {'type': 'link', 'kind': 'team', 'node': host, 'name': 'team0'} in \
        predicted['plan']['added']
    same = run_module('topology', team_lab(lab_name, host, peer), check=True)
    assert same['actions'] == predicted['actions']


@guest
def test_topology_failed_team_start_puts_the_ports_back(topo, tmp_path, monkeypatch):
    lab_name, host, peer = topo
    made = run_module('topology', team_lab(lab_name, host, peer, team=False))
    assert made['changed'] and not made.get('failed'), made
    failing_teamd(tmp_path, monkeypatch, fail_on=1)
    failed = run_module('topology', team_lab(lab_name, host, peer))
    assert failed.get('failed'), failed
    assert 'step "start teamd for team team0 in node %s (runner activebackup, ports t0, ' \
        't1)" failed' % host in failed['msg'], failed['msg']
    assert 'injected failure of start 1' in failed['msg']
    assert teamd_processes(host) == [] and not os.path.exists(runtime_dir(host))
    links = links_of(host)
    assert 'team0' not in links
    for port in ('t0', 't1'):
        assert 'UP' in links[port]['flags'] and 'master' not in links[port], port


@guest
def test_topology_failed_team_restart_brings_the_old_team_back(topo, tmp_path, monkeypatch):
    lab_name, host, peer = topo
    failing_teamd(tmp_path, monkeypatch, fail_on=2)
    first = run_module('topology', team_lab(lab_name, host, peer))
    assert first['changed'] and not first.get('failed'), first
    facts = run_module('topology_info', {'lab': lab_name})
    team = [link for link in facts['links'] if link.get('name') == 'team0']
    assert team and team[0]['kind'] == 'team', facts['links']
    conf = os.path.join(runtime_dir(host), 'team0.conf')
    with open(conf) as handle:
        old_conf = handle.read()

    failed = run_module('topology', team_lab(lab_name, host, peer, runner='roundrobin'))
    assert failed.get('failed'), failed
    msg = failed['msg']
    assert 'step "start teamd for team team0 in node %s (runner roundrobin' % host in msg, msg
    assert 'undone: ' in msg and 'stop teamd and delete team team0 in node %s' % host in msg
    assert len(teamd_processes(host)) == 1
    assert config_dump(host, 'team0')['runner']['name'] == 'activebackup'
    with open(conf) as handle:
        assert handle.read() == old_conf
    links = links_of(host)
    assert 'UP' in links['team0']['flags'] and links['team0'].get('ifalias') == 'vnet:' + lab_name
    assert addresses_of(host, 'team0') == ['10.6.0.1/24']
    for port in ('t0', 't1'):
        assert links[port].get('master') == 'team0' and 'UP' in links[port]['flags'], port
    again = run_module('topology', team_lab(lab_name, host, peer))
    assert again['changed'] is False, again.get('actions') or again.get('msg')

    gone = run_module('topology', {'lab': lab_name, 'state': 'absent'})
    assert 'stop teamd for team0 in namespace %s' % host in gone['actions']
    assert teamd_processes(host) == [] and not os.path.exists(runtime_dir(host))


# ------------------------------------------- a port of another master --

def bridge_port(netns, port, bridge='br9'):
    """Make `port` an up port of a new bridge (another master)."""
    with IPRoute(netns=netns, flags=0) as ipr:
        ipr.link('add', ifname=bridge, kind='bridge')
        ipr.link('set', index=ipr.link_lookup(ifname=port)[0],
                 master=ipr.link_lookup(ifname=bridge)[0])
        ipr.link('set', index=ipr.link_lookup(ifname=port)[0], state='up')


@needs_teamd
@pytest.mark.parametrize('check', [True, False])
def test_a_port_of_another_master_is_refused_without_opt_in(namespaces, check):
    team_ns, peer_ns = namespaces(2)
    make_ports(team_ns, peer_ns, count=2, bridge=False)
    bridge_port(team_ns, 'p1')
    result = run_module('teamd', dict(name='team0', netns=team_ns,
                                      ports=[dict(name='p1'), dict(name='p2')]), check=check)
    assert result.get('failed'), result
    assert 'refusing to make p1' in result['msg'] and 'a port of br9 already' in \
        result['msg'] and 'allow_port_takeover' in result['msg'], result['msg']
    assert links_of(team_ns)['p1'].get('master') == 'br9'
    assert not os.path.exists(runtime_dir(team_ns)) and teamd_processes(team_ns) == []


def test_topology_team_port_of_a_foreign_master_is_refused(topo):
    lab_name, host, peer = topo
    made = run_module('topology', team_lab(lab_name, host, peer, team=False))
    assert made['changed'] and not made.get('failed'), made
    bridge_port(host, 't0')  # a bridge the lab does not own
    for check in (True, False):
        refused = run_module('topology', team_lab(lab_name, host, peer), check=check)
        assert refused.get('failed'), refused
        assert 'refusing to make t0' in refused['msg'] and 'allow_port_takeover' in \
            refused['msg'], refused['msg']
    assert links_of(host)['t0'].get('master') == 'br9' and 'team0' not in links_of(host)


@guest
def test_port_takeover_moves_the_port_and_a_failed_start_gives_it_back(lab, tmp_path,
                                                                       monkeypatch):
    team_ns, _peer = lab
    bridge_port(team_ns, 'p1')
    failing_teamd(tmp_path, monkeypatch, fail_on=1)
    args = dict(name='team0', netns=team_ns, ports=[dict(name='p1')], allow_port_takeover=True)
    failed = run_module('teamd', args)
    assert failed.get('failed') and 'injected failure of start 1' in failed['msg'], failed
    assert 'p1 a port of br9' in failed['msg'], failed['msg']
    links = links_of(team_ns)
    assert links['p1'].get('master') == 'br9' and 'UP' in links['p1']['flags']
    assert teamd_processes(team_ns) == [] and not os.path.exists(runtime_dir(team_ns))
    taken = run_module('teamd', args)
    assert taken['changed'] and not taken.get('failed'), taken
    assert links_of(team_ns)['p1'].get('master') == 'team0'
