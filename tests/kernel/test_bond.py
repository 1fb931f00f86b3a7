"""vnet.linux.bond; tests marked guest_kernel need a kernel with bonding.

Run with scripts/vm/pytest-in-guest.sh tests/kernel/test_bond.py. Every
option is applied, read back from the kernel (also with `ip -d -j` as an
independent witness), a second run changes nothing, and check mode predicts
exactly the actions then made. Input errors are refused before any
netlink change, so they run on the machine's kernel too.
"""

import subprocess
import time

import pytest

from conftest import ip, run_module

GUEST = pytest.mark.guest_kernel


def veth_ports(bond_ns, peer_ns, names):
    """p<N> in the bond's namespace, its peer e<N> (up) in peer_ns."""
    for name in names:
        result = run_module('veth', {'name': name, 'netns': bond_ns, 'admin_state': 'up',
                                     'peer': {'name': 'e' + name, 'netns': peer_ns,
                                              'admin_state': 'up'}})
        assert not result.get('failed'), result


def info(netns, name='bond0'):
    return ip(netns, 'link', 'show', name)[0]['linkinfo']['info_data']


def port(netns, name):
    return ip(netns, 'link', 'show', name)[0]


def warned(result, text):
    """True if the module warned `text` (conftest.run_module keeps module
    warnings in the result)."""
    return text in str(result.get('warnings'))


def apply_exactly(args):
    """Check mode, real run (same actions), second run (no change)."""
    predicted = run_module('bond', args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module('bond', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    again = run_module('bond', args)
    assert again['changed'] is False and again['actions'] == [], again['actions']
    return made


@GUEST
def test_active_backup_every_option_and_port_settings(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2'])
    args = {'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
            'updelay': 200, 'downdelay': 300, 'peer_notify_delay': 400, 'use_carrier': True,
            'primary': 'p2', 'primary_reselect': 'better', 'fail_over_mac': 'active',
            'resend_igmp': 3, 'num_grat_arp': 2, 'all_ports_active': True, 'min_links': 1,
            'lp_interval': 2, 'admin_state': 'up', 'mtu': 1400, 'alias': 'ab bond',
            'addresses': ['10.55.0.1/24'],
            'ports': [{'name': 'p1', 'prio': 5, 'queue_id': 1}, {'name': 'p2', 'prio': 7}]}
    made = apply_exactly(args)
    assert "take link p1 in namespace '%s' down (a port must be down to be enslaved)" % ns \
        in made['actions']
    data = info(ns)
    assert (data['mode'], data['miimon'], data['updelay'], data['downdelay'],
            data['peer_notify_delay'], data['use_carrier'], data['primary'],
            data['primary_reselect'], data['fail_over_mac'], data['resend_igmp'],
            data['num_peer_notif'], data['all_slaves_active'], data['min_links'],
            data['lp_interval']) == \
        ('active-backup', 100, 200, 300, 400, 1, 'p2', 'better', 'active', 3, 2, 1, 1, 2)
    p1, p2 = port(ns, 'p1'), port(ns, 'p2')
    assert p1['master'] == p2['master'] == 'bond0'
    assert 'UP' in p1['flags'] and 'UP' in p2['flags'], 'ports are brought back up'
    assert (p1['linkinfo']['info_slave_data']['queue_id'],
            p1['linkinfo']['info_slave_data']['prio']) == (1, 5)
    assert p2['linkinfo']['info_slave_data']['prio'] == 7
    assert made['link']['options']['peer_notify_delay'] == 400
    assert made['link']['primary'] == 'p2'
    assert {p['name']: p['port_options'] for p in made['ports']}['p1'] == \
        {'queue_id': 1, 'prio': 5}

    changed = dict(args, active_port='p1', updelay=0, primary_reselect='always',
                   ports=[{'name': 'p1', 'prio': 9}, {'name': 'p2'}])
    index = port(ns, 'bond0')['ifindex']
    result = run_module('bond', changed)
    assert not result.get('failed'), result
    assert port(ns, 'bond0')['ifindex'] == index, 'changed in place'
    assert info(ns)['active_slave'] == 'p1' and info(ns)['updelay'] == 0
    assert port(ns, 'p1')['linkinfo']['info_slave_data']['prio'] == 9
    assert run_module('bond', changed)['changed'] is False


@GUEST
def test_arp_monitoring_and_xor_hash(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1'])
    args = {'name': 'bond0', 'netns': ns, 'mode': 'balance-xor', 'miimon': 0,
            'arp_interval': 250, 'arp_ip_target': ['10.56.0.9', '10.56.0.8'],
            'arp_validate': 'all', 'arp_all_targets': 'all', 'arp_missed_max': 4,
            'xmit_hash_policy': 'vlan+srcmac', 'ports': [{'name': 'p1', 'queue_id': 2}]}
    made = apply_exactly(args)
    data = info(ns)
    assert (data['arp_interval'], data['arp_ip_target'], data['arp_validate'],
            data['arp_all_targets'], data['arp_missed_max'], data['xmit_hash_policy'],
            data['miimon']) == \
        (250, ['10.56.0.9', '10.56.0.8'], 'all', 'all', 4, 'vlan+srcmac', 0)
    assert made['link']['options']['arp_ip_target'] == ['10.56.0.9', '10.56.0.8']
    shorter = dict(args, arp_ip_target=['10.56.0.8'])
    assert run_module('bond', shorter)['changed'] is True
    assert info(ns)['arp_ip_target'] == ['10.56.0.8']


@GUEST
def test_lacp_options_and_change_that_needs_the_bond_down(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2'])
    args = {'name': 'bond0', 'netns': ns, 'mode': '802.3ad', 'miimon': 100,
            'lacp_rate': 'fast', 'lacp_active': False, 'ad_select': 'bandwidth',
            'ad_actor_sys_prio': 100, 'ad_actor_system': '02:00:00:00:01:01',
            'ad_user_port_key': 5, 'xmit_hash_policy': 'layer3+4', 'min_links': 1,
            'admin_state': 'up', 'ports': [{'name': 'p1'}, {'name': 'p2'}]}
    apply_exactly(args)
    data = info(ns)
    assert (data['mode'], data['ad_lacp_rate'], data['ad_lacp_active'], data['ad_select'],
            data['ad_actor_sys_prio'], data['ad_actor_system'], data['ad_user_port_key'],
            data['xmit_hash_policy']) == \
        ('802.3ad', 'fast', 'off', 'bandwidth', 100, '02:00:00:00:01:01', 5, 'layer3+4')
    index = port(ns, 'bond0')['ifindex']
    slow = dict(args, lacp_rate='slow')
    predicted = run_module('bond', slow, check=True)
    result = run_module('bond', slow)
    assert result['actions'] == predicted['actions']
    assert result['actions'][0].startswith("take bond bond0 in namespace '%s' down" % ns)
    assert result['actions'][-1] == "bring bond bond0 in namespace '%s' up" % ns
    assert info(ns)['ad_lacp_rate'] == 'slow' and 'UP' in port(ns, 'bond0')['flags']
    assert port(ns, 'bond0')['ifindex'] == index


@GUEST
def test_tlb_and_round_robin_options(namespaces):
    ns, = namespaces(1)
    tlb = {'name': 'bt', 'netns': ns, 'mode': 'balance-tlb', 'tlb_dynamic_lb': False,
           'xmit_hash_policy': 'layer2+3'}
    apply_exactly(tlb)
    assert (info(ns, 'bt')['tlb_dynamic_lb'], info(ns, 'bt')['xmit_hash_policy']) == \
        (0, 'layer2+3')
    rr = {'name': 'br', 'netns': ns, 'mode': 'balance-rr', 'packets_per_port': 3,
          'num_unsol_na': 4}
    apply_exactly(rr)
    assert (info(ns, 'br')['packets_per_slave'], info(ns, 'br')['num_peer_notif']) == (3, 4)
    broadcast = {'name': 'bb', 'netns': ns, 'mode': 'broadcast', 'miimon': 50}
    apply_exactly(broadcast)
    assert info(ns, 'bb')['mode'] == 'broadcast'


@GUEST
def test_mode_change_with_ports_needs_recreate(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2'])
    args = {'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
            'admin_state': 'up', 'ports': [{'name': 'p1'}, {'name': 'p2'}]}
    apply_exactly(args)
    refused = run_module('bond', dict(args, mode='balance-xor'))
    assert refused['failed']
    assert 'mode cannot change while the bond has ports (p1, p2)' in refused['msg']
    assert 'recreate: true' in refused['msg']
    assert info(ns)['mode'] == 'active-backup', 'nothing changed'
    again = dict(args, mode='balance-xor', recreate=True)
    predicted = run_module('bond', again, check=True)
    made = run_module('bond', again)
    assert made['actions'] == predicted['actions']
    assert made['actions'][0].startswith("delete bond bond0 in namespace '%s' (recreate: " % ns)
    assert info(ns)['mode'] == 'balance-xor'
    assert port(ns, 'p1')['master'] == port(ns, 'p2')['master'] == 'bond0'
    assert run_module('bond', again)['changed'] is False


@GUEST
def test_recreate_keeps_what_was_not_given(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2'])
    apply_exactly({'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
                   'updelay': 200, 'min_links': 1, 'mtu': 1400, 'alias': 'kept',
                   'addresses': ['10.58.0.1/24'], 'admin_state': 'up', 'primary': 'p2',
                   'ports': [{'name': 'p1'}, {'name': 'p2', 'prio': 4}]})
    # only the mode is given: ports, addresses and fitting settings survive
    change = {'name': 'bond0', 'netns': ns, 'mode': 'balance-tlb', 'recreate': True}
    predicted = run_module('bond', change, check=True)
    made = run_module('bond', change)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    data = info(ns)
    assert (data['mode'], data['miimon'], data['updelay'], data['min_links'], data['primary']) \
        == ('balance-tlb', 100, 200, 1, 'p2')
    bond = port(ns, 'bond0')
    assert (bond['mtu'], bond['ifalias'], 'UP' in bond['flags']) == (1400, 'kept', True)
    assert [a['local'] for a in ip(ns, 'addr', 'show', 'bond0')[0]['addr_info']
            if a['family'] == 'inet'] == ['10.58.0.1']
    assert port(ns, 'p1')['master'] == port(ns, 'p2')['master'] == 'bond0'
    assert run_module('bond', change)['changed'] is False


@GUEST
def test_traffic_and_active_backup_failover(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2'])
    switch = run_module('bridge', {'name': 'sw', 'netns': peer, 'stp': False,
                                   'admin_state': 'up', 'addresses': ['10.57.0.2/24'],
                                   'ports': [{'name': 'ep1'}, {'name': 'ep2'}]})
    assert not switch.get('failed'), switch
    args = {'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 50,
            'primary': 'p1', 'admin_state': 'up', 'addresses': ['10.57.0.1/24'],
            'ports': [{'name': 'p1'}, {'name': 'p2'}]}
    apply_exactly(args)
    ping(ns, '10.57.0.2')
    assert info(ns)['active_slave'] == 'p1'
    subprocess.check_call(['ip', '-n', peer, 'link', 'set', 'ep1', 'down'])
    wait_for(lambda: info(ns).get('active_slave') == 'p2', 'failover to p2')
    ping(ns, '10.57.0.2')


def ping(netns, address):
    for _attempt in range(5):
        if subprocess.call(['ip', 'netns', 'exec', netns, 'ping', '-c1', '-W2', address],
                           stdout=subprocess.DEVNULL) == 0:
            return
    raise AssertionError('no answer from %s in %s' % (address, netns))


def wait_for(condition, what, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError('timed out waiting for ' + what)


@pytest.mark.parametrize('extra, message', [
    ({'mode': 'active-backup', 'lacp_rate': 'fast'},
     'lacp_rate is only used in mode 802.3ad, not in mode active-backup'),
    ({'mode': 'balance-rr', 'primary': 'p1'},
     'primary is only used in mode active-backup / balance-tlb / balance-alb'),
    ({'mode': '802.3ad', 'arp_interval': 100},
     'arp_interval: ARP monitoring is not available in mode 802.3ad'),
    ({'lacp_rate': 'fast'}, 'not in mode balance-rr'),
    ({'miimon': 100, 'arp_interval': 100}, 'exclude each other'),
    ({'miimon': 100, 'updelay': 150}, 'not a multiple of miimon'),
    ({'ad_actor_system': '01:00:5e:00:00:01', 'mode': '802.3ad'}, 'multicast'),
    ({'num_grat_arp': 1, 'num_unsol_na': 2}, 'one kernel setting'),
])
def test_input_errors_change_nothing(namespaces, extra, message):
    ns, = namespaces(1)
    result = run_module('bond', dict({'name': 'bond0', 'netns': ns}, **extra))
    assert result['failed'] and message in result['msg'], result['msg']
    assert [link['ifname'] for link in ip(ns, 'link', 'show')] == ['lo']


def test_missing_port_warns_in_check_mode_and_fails_for_real(namespaces):
    ns, = namespaces(1)
    args = {'name': 'bond0', 'netns': ns, 'ports': [{'name': 'later'}]}
    predicted = run_module('bond', args, check=True)
    assert predicted['changed'] and warned(predicted, 'later does not exist')
    result = run_module('bond', args)
    assert result['failed'] and 'ports: later does not exist' in result['msg']
    assert [link['ifname'] for link in ip(ns, 'link', 'show')] == ['lo'], 'undone'


@GUEST
def test_absent_releases_ports(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1'])
    run_module('bond', {'name': 'bond0', 'netns': ns, 'ports': [{'name': 'p1'}]})
    predicted = run_module('bond', {'name': 'bond0', 'netns': ns, 'state': 'absent'}, check=True)
    gone = run_module('bond', {'name': 'bond0', 'netns': ns, 'state': 'absent'})
    assert gone['actions'] == predicted['actions'] == \
        ["delete bond bond0 in namespace '%s'" % ns]
    assert 'master' not in port(ns, 'p1')
    assert run_module('bond', {'name': 'bond0', 'netns': ns, 'state': 'absent'})['changed'] \
        is False


# --- issue 9: nothing lost, rules that see the kernel, honest diffs ---------

def bond_state(netns, name='bond0'):
    """What a failed run must leave as it found: the bond's settings,
    attributes, addresses, admin state and its ports' membership,
    port settings and admin state."""
    bond = port(netns, name)
    data = bond['linkinfo']['info_data']
    ports = sorted(link['ifname'] for link in ip(netns, 'link', 'show')
                   if link.get('master') == name)
    return {
        'options': dict((k, data.get(k)) for k in ('mode', 'miimon', 'updelay', 'min_links',
                                                   'primary', 'arp_interval')),
        'mtu': bond['mtu'], 'alias': bond.get('ifalias'), 'up': 'UP' in bond['flags'],
        'addresses': [a['local'] for a in ip(netns, 'addr', 'show', name)[0]['addr_info']
                      if a['family'] == 'inet'],
        'ports': dict((p, (port(netns, p)['linkinfo']['info_slave_data']['prio'],
                           port(netns, p)['linkinfo']['info_slave_data']['queue_id'],
                           'UP' in port(netns, p)['flags'])) for p in ports),
    }


@GUEST
def test_recreate_with_a_port_the_kernel_refuses_restores_the_old_bond(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2', 'p3'])
    # a macvlan on p3 holds its receive handler: the kernel refuses to
    # enslave p3 (EBUSY) after the old bond is gone and p1, p2 are taken
    macvlan = run_module('macvlan', {'name': 'mv3', 'netns': ns, 'link': 'p3',
                                     'mode': 'bridge'})
    assert not macvlan.get('failed'), macvlan
    apply_exactly({'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
                   'updelay': 200, 'min_links': 1, 'mtu': 1400, 'alias': 'kept',
                   'addresses': ['10.59.0.1/24'], 'admin_state': 'up', 'primary': 'p2',
                   'ports': [{'name': 'p1', 'prio': 3, 'queue_id': 1}, {'name': 'p2'}]})
    before = bond_state(ns)
    result = run_module('bond', {'name': 'bond0', 'netns': ns, 'mode': 'balance-xor',
                                 'recreate': True,
                                 'ports': [{'name': 'p1'}, {'name': 'p2'}, {'name': 'p3'}]})
    assert result.get('failed'), result
    assert 'step "attach link p3' in result['msg'], result['msg']
    # the undo of the delete is the restore of the old bond
    assert "delete bond bond0 in namespace '%s' (recreate" % ns in \
        result['msg'].split('undone: ')[1], result['msg']
    assert 'could not undo' not in result['msg'], result['msg']
    assert bond_state(ns) == before
    assert 'UP' in port(ns, 'p3')['flags'] and 'master' not in port(ns, 'p3')


@GUEST
def test_primary_that_is_not_a_port_is_refused_before_any_change(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2', 'p3'])
    args = {'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
            'primary': 'p1', 'ports': [{'name': 'p1'}, {'name': 'p2'}]}
    apply_exactly(args)
    for check in (True, False):
        refused = run_module('bond', dict(args, primary='p3', updelay=100), check=check)
        assert refused.get('failed'), refused
        assert 'primary: p3 is not a port of bond0 (its ports: p1, p2)' in refused['msg']
    assert (info(ns)['primary'], info(ns)['updelay']) == ('p1', 0), 'nothing changed'
    # a port listed in the same task may be named
    made = run_module('bond', dict(args, primary='p3',
                                   ports=args['ports'] + [{'name': 'p3'}]))
    assert not made.get('failed'), made
    assert info(ns)['primary'] == 'p3'


@GUEST
def test_primary_step_is_undone_when_a_later_step_fails(namespaces):
    """A step after `set primary` fails: the primary goes back."""
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2'])
    args = {'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
            'primary': 'p1', 'admin_state': 'up', 'ports': [{'name': 'p1'}, {'name': 'p2'}]}
    apply_exactly(args)
    # the kernel refuses an active port whose link is down (EINVAL)
    subprocess.check_call(['ip', '-n', peer, 'link', 'set', 'ep2', 'down'])
    wait_for(lambda: 'NO-CARRIER' in port(ns, 'p2')['flags'], 'p2 down')
    failed = run_module('bond', dict(args, primary='p2', active_port='p2'))
    assert failed.get('failed'), failed
    assert 'step "set active_port=p2' in failed['msg'] and 'undone: set primary=p2' \
        in failed['msg'], failed['msg']
    assert info(ns)['primary'] == 'p1'


@GUEST
def test_arp_interval_on_a_bond_running_miimon_is_refused(namespaces):
    ns, = namespaces(1)
    args = {'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
            'updelay': 200}
    apply_exactly(args)
    switch = {'name': 'bond0', 'netns': ns, 'arp_interval': 300,
              'arp_ip_target': ['10.60.0.9']}
    for check in (True, False):
        refused = run_module('bond', switch, check=check)
        assert refused.get('failed'), refused
        assert 'arp_interval: the bond runs MII monitoring (miimon=100)' in refused['msg']
        assert 'set miimon: 0' in refused['msg']
    assert (info(ns)['miimon'], info(ns)['arp_interval']) == (100, 0), 'nothing changed'
    # said explicitly, the switch is made
    assert 'updelay: leave it out when miimon is set to 0' in \
        run_module('bond', dict(switch, miimon=0, updelay=0))['msg']
    made = apply_exactly(dict(switch, miimon=0))
    assert made['changed']
    assert (info(ns)['miimon'], info(ns)['arp_interval']) == (0, 300)
    # and the other way round
    refused = run_module('bond', {'name': 'bond0', 'netns': ns, 'miimon': 50})
    assert refused.get('failed') and 'set arp_interval: 0' in refused['msg'], refused


@GUEST
def test_check_mode_diff_shows_what_the_ports_keep(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2'])
    subprocess.check_call(['ip', '-n', ns, 'addr', 'add', '10.61.0.5/24', 'dev', 'p2'])
    args = {'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
            'mtu': 1400, 'ports': [{'name': 'p1', 'prio': 3, 'queue_id': 1}, {'name': 'p2'}]}
    apply_exactly(args)
    predicted = run_module('bond', dict(args, miimon=200), check=True, diff=True)
    made = run_module('bond', dict(args, miimon=200), diff=True)
    assert predicted['diff']['after'] == made['diff']['after']
    assert predicted['diff']['before']['ports'] == predicted['diff']['after']['ports']
    after = dict((p['name'], p) for p in predicted['diff']['after']['ports'])
    assert (after['p1']['port_options'], after['p1']['mtu']) == ({'prio': 3, 'queue_id': 1},
                                                                 1400)
    assert after['p2']['addresses'] == ['10.61.0.5/24']
    # ports that join take the bond's MTU and the kernel's default port settings
    fresh = dict(args, name='bond1', ports=[{'name': 'p3'}])
    veth_ports(ns, peer, ['p3'])
    predicted = run_module('bond', fresh, check=True, diff=True)
    made = run_module('bond', fresh, diff=True)
    assert predicted['diff']['after']['ports'] == made['diff']['after']['ports']


@GUEST
def test_port_of_a_bridge_or_another_bond_is_not_taken(namespaces):
    ns, peer = namespaces(2)
    veth_ports(ns, peer, ['p1', 'p2'])
    bridge = run_module('bridge', {'name': 'br0', 'netns': ns, 'ports': [{'name': 'p1'}]})
    assert not bridge.get('failed'), bridge
    other = run_module('bond', {'name': 'bond1', 'netns': ns, 'ports': [{'name': 'p2'}]})
    assert not other.get('failed'), other
    for taken, master in (('p1', 'br0'), ('p2', 'bond1')):
        refused = run_module('bond', {'name': 'bond0', 'netns': ns,
                                      'ports': [{'name': taken}]})
        assert refused.get('failed'), refused
        assert master in refused['msg'] and taken in refused['msg'], refused['msg']
        assert port(ns, taken)['master'] == master
    assert [l['ifname'] for l in ip(ns, 'link', 'show') if l['ifname'] == 'bond0'] == []
