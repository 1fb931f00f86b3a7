"""Bond rules that need no kernel: options vs. mode, ranges, dependencies."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._kinds import bond as _bond
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import BOND, BOND_MODES
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError

ALL_MODES = sorted(BOND_MODES)


@pytest.mark.parametrize('mode', ALL_MODES)
def test_lacp_settings_fit_only_802_3ad(mode):
    for option, value in (('lacp_rate', 'fast'), ('lacp_active', True),
                          ('ad_select', 'count'), ('ad_actor_sys_prio', 10),
                          ('ad_actor_system', '02:00:00:00:00:01'), ('ad_user_port_key', 3)):
        problems = _bond.mode_misfits(mode, {option: value})
        if mode == '802.3ad':
            assert problems == []
        else:
            assert problems == ['%s is only used in mode 802.3ad, not in mode %s'
                                % (option, mode)]


@pytest.mark.parametrize('mode', ALL_MODES)
def test_primary_active_port_and_port_prio_fit_ab_tlb_alb(mode):
    fits = mode in ('active-backup', 'balance-tlb', 'balance-alb')
    for option in ('primary', 'active_port'):
        assert (_bond.mode_misfits(mode, {option: 'p1'}) == []) is fits
    assert (_bond.mode_misfits(mode, {}, ports=[{'name': 'p1', 'prio': 1}]) == []) is fits
    assert _bond.mode_misfits(mode, {}, ports=[{'name': 'p1', 'prio': None}]) == []


@pytest.mark.parametrize('mode', ALL_MODES)
def test_arp_monitoring_is_refused_where_the_kernel_has_none(mode):
    no_arp = mode in ('802.3ad', 'balance-tlb', 'balance-alb')
    problems = _bond.mode_misfits(mode, {'arp_interval': 100, 'arp_ip_target': ['10.0.0.1'],
                                         'arp_validate': 'all'})
    assert len(problems) == (3 if no_arp else 0)
    if no_arp:
        assert problems[0] == ('arp_interval: ARP monitoring is not available in mode %s '
                               '(use miimon)' % mode)
    # the kernel refuses these in such modes even when off; an empty target
    # list and the any rule it takes
    off = _bond.mode_misfits(mode, {'arp_interval': 0, 'arp_validate': 'none',
                                    'arp_missed_max': 2})
    assert len(off) == (3 if no_arp else 0)
    assert _bond.mode_misfits(mode, {'arp_ip_target': [], 'arp_all_targets': 'any'}) == []


def test_mode_specific_transmit_settings():
    assert _bond.mode_misfits('active-backup', {'packets_per_port': 2}) == \
        ['packets_per_port is only used in mode balance-rr, not in mode active-backup']
    assert _bond.mode_misfits('balance-rr', {'packets_per_port': 2}) == []
    assert _bond.mode_misfits('active-backup', {'xmit_hash_policy': 'layer2'}) != []
    assert _bond.mode_misfits('balance-xor', {'xmit_hash_policy': 'vlan+srcmac'}) == []
    assert _bond.mode_misfits('802.3ad', {'tlb_dynamic_lb': False}) != []
    assert _bond.mode_misfits('balance-alb', {'tlb_dynamic_lb': False}) == []


def test_settings_every_mode_accepts():
    common = {'miimon': 100, 'updelay': 200, 'downdelay': 100, 'peer_notify_delay': 100,
              'use_carrier': True, 'min_links': 1, 'num_grat_arp': 1, 'resend_igmp': 1,
              'all_ports_active': False, 'lp_interval': 1, 'fail_over_mac': 'none',
              'primary_reselect': 'always'}
    for mode in ALL_MODES:
        assert _bond.mode_misfits(mode, common) == []


def test_miimon_and_arp_interval_exclude_each_other():
    with pytest.raises(InputError, match='exclude each other'):
        _bond.check_settings({'miimon': 100, 'arp_interval': 100})
    assert _bond.check_settings({'miimon': 0, 'arp_interval': 100})['arp_interval'] == 100


def test_delays_are_multiples_of_miimon():
    with pytest.raises(InputError, match='updelay: 150 ms is not a multiple of miimon'):
        _bond.check_settings({'miimon': 100, 'updelay': 150})
    with pytest.raises(InputError, match='downdelay: 50 ms is not a multiple of miimon '
                                         r'\(40 ms\)'):
        _bond.check_settings({'downdelay': 50}, current_miimon=40)
    with pytest.raises(InputError, match='peer_notify_delay needs MII monitoring'):
        _bond.check_settings({'miimon': 0, 'peer_notify_delay': 100})
    # unknown miimon (new bond, not given): the kernel judges
    assert _bond.check_settings({'updelay': 150})['updelay'] == 150


@pytest.mark.parametrize('settings, message', [
    ({'arp_missed_max': 0}, 'arp_missed_max: 0 is out of range; allowed 1..255'),
    ({'ad_user_port_key': 1024}, 'ad_user_port_key: 1024 is out of range'),
    ({'ad_actor_sys_prio': 0}, 'ad_actor_sys_prio: 0 is out of range'),
    ({'peer_notify_delay': 300001}, 'peer_notify_delay: 300001 is out of range'),
    ({'ad_actor_system': '01:80:c2:00:00:02'}, 'multicast'),
    ({'arp_ip_target': ['10.0.0.1', '10.0.0.1']}, 'listed twice'),
    ({'arp_ip_target': ['2001:db8::1']}, 'is not IPv4'),
    ({'arp_ip_target': ['10.0.0.%d' % n for n in range(17)]}, 'at most 16'),
    ({'num_grat_arp': 1, 'num_unsol_na': 2}, 'one kernel setting'),
])
def test_bad_settings(settings, message):
    with pytest.raises(InputError) as err:
        _bond.check_settings(settings)
    assert message in str(err.value)


def test_settings_are_cleaned():
    clean = _bond.check_settings({'ad_actor_system': '02-00-00-00-00-AB',
                                  'arp_ip_target': [' 10.0.0.2 ', '10.0.0.1']})
    assert clean['ad_actor_system'] == '02:00:00:00:00:ab'
    assert clean['arp_ip_target'] == ['10.0.0.2', '10.0.0.1'], 'kernel keeps the order'


def test_changes_blocked_by_ports():
    assert _bond.blocked_by_ports(['mode', 'miimon'], ['p2', 'p1']) == \
        'mode cannot change while the bond has ports (p1, p2): the kernel refuses it (ENOTEMPTY)'
    assert _bond.blocked_by_ports(['fail_over_mac'], ['p1']).startswith('fail_over_mac ')
    assert _bond.blocked_by_ports(['mode'], []) is None
    assert _bond.blocked_by_ports(['miimon', 'lacp_rate'], ['p1']) is None


def test_what_needs_the_bond_down_follows_the_kernel():
    assert _bond.NEEDS_DOWN == {'mode', 'lacp_rate', 'lacp_active', 'ad_select',
                                'tlb_dynamic_lb', 'ad_user_port_key'}
    assert _bond.NEEDS_NO_PORTS == {'mode', 'fail_over_mac'}


def test_ports_input():
    _bond.check_ports([{'name': 'p1', 'queue_id': 1, 'prio': -3}], 'bond0')
    for ports, message in (([{'name': 'p1'}, {'name': 'p1'}], 'listed twice'),
                           ([{'name': 'bond0'}], 'its own port'),
                           ([{'name': 'p1', 'queue_id': 70000}], 'queue_id'),
                           ([{'name': 'a/b'}], 'may not contain "/"')):
        with pytest.raises(InputError, match=message):
            _bond.check_ports(ports, 'bond0')


def test_every_rule_name_is_a_setting():
    names = set(_bond.SETTINGS)
    assert set(_bond.NAMED_MODES) == {'primary', 'active_port', 'ports[].prio'}
    assert set(_bond.NEEDS_DOWN | _bond.NEEDS_NO_PORTS) <= names
    assert {o.name: o.nla for o in BOND.options}['num_unsol_na'] == 'IFLA_BOND_NUM_PEER_NOTIF'


def test_recreate_keeps_the_settings_that_fit_the_new_mode():
    old = {'mode': '802.3ad', 'miimon': 100, 'lacp_rate': 'fast', 'xmit_hash_policy': 'layer3+4',
           'ad_actor_system': '00:00:00:00:00:00', 'packets_per_port': 1,
           'tlb_dynamic_lb': True, 'min_links': 2, 'arp_interval': 0}
    assert _bond.carried_options(old, 'active-backup') == {
        'mode': '802.3ad', 'miimon': 100, 'min_links': 2, 'arp_interval': 0}
    assert 'arp_interval' not in _bond.carried_options(old, 'balance-tlb'), \
        'the kernel refuses arp_interval in tlb even at 0'
    kept = _bond.carried_options(old, '802.3ad')
    assert 'ad_actor_system' not in kept, 'the zero MAC means unset; the kernel refuses it'
    assert kept['lacp_rate'] == 'fast' and kept['xmit_hash_policy'] == 'layer3+4'


def test_starting_one_link_monitor_while_the_kernel_runs_the_other_is_refused():
    with pytest.raises(InputError, match=r'arp_interval: the bond runs MII monitoring '
                                         r'\(miimon=100\).*set miimon: 0'):
        _bond.monitor_switch({'arp_interval': 200}, {'miimon': 100, 'arp_interval': 0})
    with pytest.raises(InputError, match=r'miimon: the bond runs ARP monitoring '
                                         r'\(arp_interval=200\).*set arp_interval: 0'):
        _bond.monitor_switch({'miimon': 100}, {'miimon': 0, 'arp_interval': 200})
    # said explicitly, or nothing running, or a new bond: fine
    _bond.monitor_switch({'arp_interval': 200, 'miimon': 0}, {'miimon': 100})
    _bond.monitor_switch({'arp_interval': 200}, {'miimon': 0})
    _bond.monitor_switch({'arp_interval': 200}, {})
    _bond.monitor_switch({'arp_interval': 0}, {'miimon': 100})


def test_changes_the_kernel_refuses_in_place():
    assert 'ENOTEMPTY' in _bond.in_place_refusal(['mode'], ['p1'], 'down')
    assert _bond.in_place_refusal(['mode'], [], 'up') == \
        'mode cannot change while the bond is up: the kernel refuses it (EBUSY)'
    assert _bond.in_place_refusal(['mode', 'lacp_rate'], [], 'down') is None
    assert _bond.in_place_refusal(['miimon'], ['p1'], 'up') is None


def test_port_settings_kept_by_a_recreate():
    data = {'IFLA_BOND_SLAVE_PRIO': 4, 'IFLA_BOND_SLAVE_QUEUE_ID': 0}
    assert _bond.kept_port_options(data, 'active-backup') == {'prio': 4}
    assert _bond.kept_port_options(data, 'balance-xor') == {}, 'prio only where it is used'
    assert _bond.kept_port_options({'IFLA_BOND_SLAVE_QUEUE_ID': 2}, '802.3ad') == \
        {'queue_id': 2}


def test_delays_are_left_out_when_mii_monitoring_is_turned_off():
    with pytest.raises(InputError, match='updelay: leave it out when miimon is set to 0'):
        _bond.check_settings({'miimon': 0, 'updelay': 0}, current_miimon=100)
    assert _bond.check_settings({'miimon': 0, 'updelay': 0}, current_miimon=0)['updelay'] == 0
    assert _bond.check_settings({'miimon': 0}, current_miimon=100) == {'miimon': 0}
