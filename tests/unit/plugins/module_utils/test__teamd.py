"""Pure logic of the teamd module: building the config, option rules per
runner and watcher, comparing configurations, and the plan of changes.

Runs on any kernel: nothing here starts teamd or touches netlink.
"""

import copy

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._kinds import teamd
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError


def params(**extra):
    """Module parameters as AnsibleModule hands them over (omitted: None)."""
    base = dict(runner=None, link_watch=None, notify_peers=None, mcast_rejoin=None, ports=[])
    base.update(extra)
    return base


def runner(name, **options):
    spec = dict((key, None) for key in teamd.RUNNER_SPEC)
    spec.update(name=name, **options)
    return spec


def watcher(name, **options):
    spec = dict((key, None) for key in teamd.WATCHER_SPEC)
    spec.update(name=name, **options)
    return spec


def port(name, **options):
    spec = dict((key, None) for key in teamd.PORT_SPEC)
    spec.update(name=name, **options)
    return spec


# ------------------------------------------------------------ building --

def test_minimal_config_is_roundrobin_without_ports():
    assert teamd.build_config('team0', params()) == {
        'device': 'team0', 'runner': {'name': 'roundrobin'}, 'ports': {}}


def test_activebackup_config_with_watchers_and_ports():
    config = teamd.build_config('team0', params(
        runner=runner('activebackup', hwaddr_policy='by_active'),
        link_watch=[watcher('ethtool', delay_up=100),
                    watcher('arp_ping', interval=200, target_host='192.0.2.1',
                            validate_active=True)],
        notify_peers={'count': 2, 'interval': None},
        ports=[port('eth1', prio=-10, sticky=True,
                    link_watch=[watcher('nsna_ping', target_host='2001:db8::1')]),
               port('eth2')]))
    assert config == {
        'device': 'team0',
        'runner': {'name': 'activebackup', 'hwaddr_policy': 'by_active'},
        'link_watch': [{'name': 'ethtool', 'delay_up': 100},
                       {'name': 'arp_ping', 'interval': 200, 'target_host': '192.0.2.1',
                        'validate_active': True}],
        'notify_peers': {'count': 2},
        'ports': {'eth1': {'prio': -10, 'sticky': True,
                           'link_watch': [{'name': 'nsna_ping', 'target_host': '2001:db8::1'}]},
                  'eth2': {}},
    }


def test_lacp_config_keeps_every_runner_option():
    config = teamd.build_config('t', params(
        runner=runner('lacp', active=True, fast_rate=False, sys_prio=0, min_ports=2,
                      agg_select_policy='port_config', tx_hash=['eth', 'l4'],
                      tx_balancer={'name': None, 'balancing_interval': 10}),
        ports=[port('a', lacp_prio=1, lacp_key=2, prio=3, sticky=False, queue_id=0)]))
    assert config['runner'] == {
        'name': 'lacp', 'active': True, 'fast_rate': False, 'sys_prio': 0, 'min_ports': 2,
        'agg_select_policy': 'port_config', 'tx_hash': ['eth', 'l4'],
        'tx_balancer': {'name': 'basic', 'balancing_interval': 10}}
    assert config['ports'] == {'a': {'lacp_prio': 1, 'lacp_key': 2, 'prio': 3,
                                     'sticky': False, 'queue_id': 0}}


def test_false_and_zero_are_kept_none_is_omitted():
    args = params(runner=runner('lacp', active=False, sys_prio=0, fast_rate=None))
    config = teamd.build_config('t', args)
    assert config['runner'] == {'name': 'lacp', 'active': False, 'sys_prio': 0}


# ------------------------------------------------ options that don't fit --

@pytest.mark.parametrize('name', ['broadcast', 'roundrobin', 'random', 'activebackup',
                                  'loadbalance'])
@pytest.mark.parametrize('option, value', [
    ('active', True), ('fast_rate', True), ('sys_prio', 1), ('min_ports', 1),
    ('agg_select_policy', 'count')])
def test_lacp_options_need_the_lacp_runner(name, option, value):
    with pytest.raises(InputError, match=r'runner\.%s: only the lacp runner reads this '
                                         r'option, not %s' % (option, name)):
        teamd.build_config('t', params(runner=runner(name, **{option: value})))


@pytest.mark.parametrize('name', ['broadcast', 'roundrobin', 'random', 'activebackup'])
def test_hashing_needs_loadbalance_or_lacp(name):
    with pytest.raises(InputError, match='only the loadbalance and lacp runners read'):
        teamd.build_config('t', params(runner=runner(name, tx_hash=['eth'])))
    with pytest.raises(InputError, match='tx_balancer'):
        teamd.build_config('t', params(runner=runner(name, tx_balancer={'name': 'basic'})))


@pytest.mark.parametrize('name', ['broadcast', 'roundrobin', 'random', 'loadbalance', 'lacp'])
def test_hwaddr_policy_needs_activebackup(name):
    with pytest.raises(InputError, match='hwaddr_policy: only the activebackup runner'):
        teamd.build_config('t', params(runner=runner(name, hwaddr_policy='same_all')))


@pytest.mark.parametrize('option, runners', [
    ('lacp_prio', ['lacp']), ('lacp_key', ['lacp']), ('sticky', ['activebackup', 'lacp']),
    ('prio', teamd.RUNNERS), ('queue_id', teamd.RUNNERS)])
def test_port_options_per_runner(option, runners):
    value = True if option == 'sticky' else 1
    for name in teamd.RUNNERS:
        args = params(runner=runner(name), ports=[port('p', **{option: value})])
        if name in runners:
            assert teamd.build_config('t', args)['ports']['p'] == {option: value}
        else:
            with pytest.raises(InputError, match=r'ports\[0\]\.%s: only' % option):
                teamd.build_config('t', args)


@pytest.mark.parametrize('kind, option, value', [
    ('ethtool', 'interval', 5), ('ethtool', 'target_host', '192.0.2.1'),
    ('arp_ping', 'delay_up', 5), ('nsna_ping', 'source_host', '2001:db8::1'),
    ('nsna_ping', 'validate_active', True), ('nsna_ping', 'vlanid', 5)])
def test_watcher_options_of_another_watcher_are_refused(kind, option, value):
    extra = {} if kind == 'ethtool' else {
        'target_host': '192.0.2.1' if kind == 'arp_ping' else '2001:db8::1'}
    extra[option] = value
    with pytest.raises(InputError, match=r'link_watch\[0\]\.%s: only the' % option):
        teamd.build_config('t', params(link_watch=[watcher(kind, **extra)]))


@pytest.mark.parametrize('kind', ['arp_ping', 'nsna_ping'])
def test_pings_need_a_target(kind):
    with pytest.raises(InputError, match=r'link_watch\[0\]\.target_host: required'):
        teamd.build_config('t', params(link_watch=[watcher(kind)]))


@pytest.mark.parametrize('kind, target, message', [
    ('arp_ping', '2001:db8::1', 'IPv4'), ('nsna_ping', '192.0.2.1', 'IPv6'),
    ('arp_ping', 'gateway.example', 'not an IP address')])
def test_ping_targets_are_addresses_of_the_right_family(kind, target, message):
    with pytest.raises(InputError, match=message):
        teamd.build_config('t', params(link_watch=[watcher(kind, target_host=target)]))


def test_port_watchers_are_checked_with_their_path():
    with pytest.raises(InputError, match=r'ports\[1\]\.link_watch\[0\]\.delay_up'):
        teamd.build_config('t', params(ports=[port('a'), port('b', link_watch=[
            watcher('arp_ping', target_host='192.0.2.1', delay_up=3)])]))


@pytest.mark.parametrize('args, message', [
    (params(runner=runner('lacp', sys_prio=65536)), r'runner\.sys_prio: 65536 is out of range'),
    (params(runner=runner('lacp', min_ports=0)), r'runner\.min_ports'),
    (params(runner=runner('lacp', tx_balancer={'name': 'basic', 'balancing_interval': 0})),
     'balancing_interval'),
    (params(runner=runner('lacp', tx_hash=[])), 'at least one'),
    (params(runner=runner('lacp', tx_hash=['eth', 'eth'])), 'listed twice'),
    (params(link_watch=[]), 'at least one link watcher'),
    (params(link_watch=[watcher('ethtool', delay_up=-1)]), r'delay_up: -1 is out of range'),
    (params(link_watch=[watcher('arp_ping', target_host='192.0.2.1', vlanid=4095)]), 'vlanid'),
    (params(link_watch=[watcher('arp_ping', target_host='192.0.2.1', interval=0)]), 'interval'),
    (params(ports=[port('a', queue_id=-1)]), 'queue_id'),
    (params(runner=runner('lacp'), ports=[port('a', lacp_prio=70000)]), 'lacp_prio'),
    (params(notify_peers={'count': -1, 'interval': None}), r'notify_peers\.count'),
    (params(ports=[port('a'), port('a')]), 'port a is listed twice'),
    (params(ports=[port('t')]), 'cannot be its own port'),
    (params(ports=[port('bad/name')]), 'may not contain'),
])
def test_values_are_checked_before_anything_runs(args, message):
    with pytest.raises(InputError, match=message):
        teamd.build_config('t', args)


def test_a_mac_address_conflicts_with_hwaddr_policy_by_active():
    with pytest.raises(InputError, match='mac_address: with runner.hwaddr_policy by_active'):
        teamd.build_config('t', params(mac_address='02:00:00:00:00:01',
                                       runner=runner('activebackup', hwaddr_policy='by_active')))
    config = teamd.build_config('t', params(mac_address='02:00:00:00:00:01',
                                            runner=runner('activebackup',
                                                          hwaddr_policy='same_all')))
    assert 'hwaddr' not in config  # the MAC is set with netlink, not by teamd


def test_argument_specs_match_the_option_tables():
    """Every option the rules know is in the argument spec, and back."""
    runner_options = set(teamd.RUNNER_SPEC) - {'name'}
    assert runner_options == set(teamd.RUNNER_OPTION_RUNNERS)
    watcher_options = set(teamd.WATCHER_SPEC) - {'name'}
    assert watcher_options == set().union(*teamd.WATCHER_OPTIONS.values())
    assert set(teamd.PORT_SPEC) - {'name', 'link_watch'} == set(teamd.PORT_OPTION_RUNNERS)
    assert tuple(teamd.RUNNER_SPEC['name']['choices']) == teamd.RUNNERS


# ---------------------------------------------------------- comparing --

DESIRED = {
    'device': 'team0',
    'runner': {'name': 'activebackup', 'hwaddr_policy': 'same_all'},
    'link_watch': [{'name': 'ethtool', 'delay_up': 100}],
    'ports': {'p1': {'prio': 10}, 'p2': {}},
}


def running_from(desired):
    """What teamdctl "config dump actual" returns for it: teamd's defaults
    added (activebackup counts, an implicit watcher on ports without one)."""
    running = copy.deepcopy(desired)
    running['notify_peers'] = {'count': 1}
    running['mcast_rejoin'] = {'count': 1}
    return running


def test_defaults_teamd_adds_are_not_differences():
    assert teamd.differences(DESIRED, running_from(DESIRED), DESIRED) == []
    running = running_from(DESIRED)
    del running['link_watch']
    running['ports']['p2']['link_watch'] = {'name': 'ethtool'}
    desired = dict(DESIRED)
    del desired['link_watch']
    assert teamd.plan_changes(desired, teamd.normalised(running), desired, True).mode == 'none'


def test_a_lone_watcher_object_equals_a_list_of_one():
    running = running_from(DESIRED)
    running['link_watch'] = {'name': 'ethtool', 'delay_up': 100}
    assert teamd.differences(DESIRED, running, {}) == []
    assert teamd.normalised(running)['link_watch'] == [{'name': 'ethtool', 'delay_up': 100}]


def test_order_of_hashes_and_watchers_does_not_matter():
    desired = {'runner': {'name': 'lacp', 'tx_hash': ['eth', 'ipv4']},
               'link_watch': [{'name': 'ethtool'}, {'name': 'arp_ping', 'target_host': 'x'}]}
    running = {'runner': {'name': 'lacp', 'tx_hash': ['ipv4', 'eth']},
               'link_watch': [{'name': 'arp_ping', 'target_host': 'x'}, {'name': 'ethtool'}]}
    assert teamd.differences(desired, running, desired) == []


def test_changed_values_are_named_by_path():
    running = running_from(DESIRED)
    running['runner']['hwaddr_policy'] = 'by_active'
    running['link_watch'] = [{'name': 'ethtool', 'delay_up': 5}]
    assert teamd.differences(DESIRED, running, DESIRED) == ['link_watch', 'runner.hwaddr_policy']


def test_an_option_removed_from_the_task_is_a_difference():
    applied = copy.deepcopy(DESIRED)
    applied['runner']['hwaddr_policy'] = 'by_active'
    running = running_from(applied)
    desired = copy.deepcopy(DESIRED)
    del desired['runner']['hwaddr_policy']
    assert teamd.differences(desired, running, applied) == ['runner.hwaddr_policy']
    # without the applied config the module cannot tell it from a teamd default
    assert teamd.differences(desired, running, {}) == []


def test_dropping_an_option_equal_to_teamds_default_converges_in_one_run():
    applied = running_from(DESIRED)  # the user gave notify_peers/mcast_rejoin count 1
    desired = copy.deepcopy(DESIRED)  # and now drops them
    # the module cannot know teamd's defaults: one restart...
    assert teamd.differences(desired, running_from(DESIRED), applied) == [
        'mcast_rejoin.count', 'notify_peers.count']
    # ...after which teamd's default (also 1) is no longer compared
    assert teamd.differences(desired, running_from(desired), desired) == []


# ------------------------------------------------------------- planning --

def test_plan_start_when_nothing_runs():
    changes = teamd.plan_changes(DESIRED, None, None, device_present=False)
    assert changes.mode == 'start'


def test_plan_restart_when_the_daemon_died_with_the_device_left():
    changes = teamd.plan_changes(DESIRED, None, DESIRED, device_present=True)
    assert changes.mode == 'restart' and 'not running' in changes.reasons[0]


def test_plan_restart_when_the_device_vanished():
    changes = teamd.plan_changes(DESIRED, running_from(DESIRED), DESIRED, device_present=False)
    assert changes.mode == 'restart' and 'missing' in changes.reasons[0]


def test_plan_nothing_when_equal():
    assert teamd.plan_changes(DESIRED, running_from(DESIRED), DESIRED, True).mode == 'none'


@pytest.mark.parametrize('change, reason', [
    (lambda c: c['runner'].update(name='lacp'), 'runner.name'),
    (lambda c: c['runner'].update(hwaddr_policy='only_active'), 'runner.hwaddr_policy'),
    (lambda c: c.update(link_watch=[{'name': 'ethtool'}]), 'link_watch'),
    (lambda c: c.update(notify_peers={'count': 3}), 'notify_peers.count'),
])
def test_plan_restart_for_team_wide_changes(change, reason):
    desired = copy.deepcopy(DESIRED)
    change(desired)
    changes = teamd.plan_changes(desired, running_from(DESIRED), DESIRED, True)
    assert changes.mode == 'restart' and changes.reasons == [reason]


def test_plan_live_port_changes_without_restart():
    desired = copy.deepcopy(DESIRED)
    desired['ports'] = {'p1': {'prio': 20}, 'p3': {}, 'p4': {'queue_id': 1}}
    changes = teamd.plan_changes(desired, running_from(DESIRED), DESIRED, True)
    assert (changes.mode, changes.add, changes.remove, changes.update) == (
        'live', ['p3', 'p4'], ['p2'], ['p1'])


def test_plan_port_option_dropped_is_an_update():
    desired = copy.deepcopy(DESIRED)
    desired['ports']['p1'] = {}
    changes = teamd.plan_changes(desired, running_from(DESIRED), DESIRED, True)
    assert changes.mode == 'live' and changes.update == ['p1']


def test_plan_implicit_port_watcher_is_not_an_update():
    desired = dict(DESIRED, link_watch=None)
    del desired['link_watch']
    running = running_from(desired)
    running['ports']['p1']['link_watch'] = [{'name': 'ethtool'}]
    assert teamd.plan_changes(desired, running, desired, True).mode == 'none'


def test_plan_restart_wins_over_port_changes():
    desired = copy.deepcopy(DESIRED)
    desired['runner']['name'] = 'roundrobin'
    del desired['runner']['hwaddr_policy']
    desired['ports'] = {'p9': {}}
    changes = teamd.plan_changes(desired, running_from(DESIRED), DESIRED, True)
    assert changes.mode == 'restart'
    assert changes.reasons == ['runner.hwaddr_policy', 'runner.name']
    assert changes.add == changes.remove == []


# -------------------------------------------------------------- views --

def test_managed_view_shows_only_managed_keys_and_present_ports():
    running = running_from(DESIRED)
    running['ports']['p9'] = {'link_watch': {'name': 'ethtool'}}
    view = teamd.managed_view(teamd.normalised(running), DESIRED, DESIRED)
    assert view == {'device': 'team0',
                    'runner': {'name': 'activebackup', 'hwaddr_policy': 'same_all'},
                    'link_watch': [{'name': 'ethtool', 'delay_up': 100}],
                    'ports': {'p1': {'prio': 10}, 'p2': {}, 'p9': {}}}
    assert teamd.managed_view(None, DESIRED, DESIRED) == {}


def test_managed_view_equals_desired_when_in_sync():
    view = teamd.managed_view(running_from(DESIRED), DESIRED, DESIRED)
    assert view == DESIRED


STATE = {
    'ports': {
        'p2': {'link': {'up': False, 'speed': 0, 'duplex': 'half'},
               'link_watches': {'up': False, 'list': {
                   'link_watch_0': {'name': 'ethtool', 'up': False, 'down_count': 1}}}},
        'p1': {'link': {'up': True, 'speed': 10000, 'duplex': 'full'},
               'link_watches': {'up': True, 'list': {
                   'link_watch_0': {'name': 'ethtool', 'up': True, 'down_count': 0}}}},
    },
    'runner': {'active_port': 'p1'},
    'setup': {'pid': 42, 'runner_name': 'activebackup',
              'kernel_team_mode_name': 'activebackup'},
}


def test_team_view_from_state_dump():
    view = teamd.team_view(STATE)
    assert view['pid'] == 42 and view['runner'] == 'activebackup'
    assert view['active_port'] == 'p1' and view['kernel_team_mode'] == 'activebackup'
    assert [(p['name'], p['link_up'], p['link_watches_up'], p['active'])
            for p in view['ports']] == [('p1', True, True, True), ('p2', False, False, False)]
    assert view['ports'][1]['link_watches'][0]['down_count'] == 1
    assert teamd.team_view({}) == {}


def test_team_view_without_active_port():
    state = dict(STATE, runner={})
    assert teamd.team_view(state)['active_port'] is None
    assert all(p['active'] is None for p in teamd.team_view(state)['ports'])


# ------------------------------------------------------- runtime paths --

def test_runtime_dirs_never_collide():
    assert teamd.runtime_dir(None) == '/run/vnet-linux/teamd/root'
    assert teamd.runtime_dir('root') == '/run/vnet-linux/teamd/netns/root'


def test_launcher_is_only_used_in_named_namespaces():
    daemon = teamd.Daemon(None, None, 'team0', teamdctl='/usr/bin/teamdctl')
    assert daemon._argv(['teamdctl', 'team0']) == ['teamdctl', 'team0']
    daemon = teamd.Daemon(None, 'red', 'team0')
    argv = daemon._argv(['teamdctl', 'team0', 'state'])
    assert argv[1:5] == ['-I', '-S', '-c', teamd.LAUNCHER]
    assert argv[5:] == ['/run/netns/red', '/run/vnet-linux/teamd/netns/red',
                        'teamdctl', 'team0', 'state']
    compile(teamd.LAUNCHER, 'launcher', 'exec')


def test_teamdctl_joins_a_running_daemon_with_nsenter(monkeypatch):
    daemon = teamd.Daemon(None, 'red', 'team0', nsenter='/usr/bin/nsenter')
    monkeypatch.setattr(daemon, 'pid', lambda: 4242)
    assert daemon._ctl_argv(['teamdctl', 'team0']) == [
        '/usr/bin/nsenter', '--net=/run/netns/red', '--mount=/proc/4242/ns/mnt', '--',
        'teamdctl', 'team0']
    monkeypatch.setattr(daemon, 'pid', lambda: None)
    assert daemon._ctl_argv(['teamdctl', 'team0'])[4] == teamd.LAUNCHER
    daemon.nsenter = None
    monkeypatch.setattr(daemon, 'pid', lambda: 4242)
    assert daemon._ctl_argv(['teamdctl', 'team0'])[4] == teamd.LAUNCHER


def test_our_teamd_is_recognised_by_its_pid_file(tmp_path, monkeypatch):
    pidfile = str(tmp_path / 'team0.pid')
    cmdlines = {11: b'teamd\0-d\0-f\0x.conf\0-t\0team0\0-p\0' + pidfile.encode() + b'\0',
                12: b'teamd\0-d\0-p\0/other/team0.pid\0',
                13: b'sleep\0' + pidfile.encode() + b'\0'}

    def fake_open(path, mode='r', *args, **kwargs):
        pid = int(path.split('/')[2])
        if pid not in cmdlines:
            raise OSError('no such process')
        import io
        return io.BytesIO(cmdlines[pid])
    monkeypatch.setattr(teamd, 'open', fake_open, raising=False)
    assert teamd._is_our_teamd(11, pidfile)
    assert not teamd._is_our_teamd(12, pidfile)
    assert not teamd._is_our_teamd(13, pidfile)
    assert not teamd._is_our_teamd(14, pidfile)


def test_missing_binaries_name_the_packages():
    class Module(object):
        def get_bin_path(self, name):
            return None
    daemon = teamd.Daemon(Module(), None, 'team0')
    with pytest.raises(teamd.TeamdFailure, match='libteam-utils .Debian, Ubuntu. or teamd'):
        daemon.find_binaries()


def test_teamd_noise_is_dropped_from_messages():
    assert teamd._tidy('This program is not intended to be run as root.\nFailed to x\n') == \
        'Failed to x'
