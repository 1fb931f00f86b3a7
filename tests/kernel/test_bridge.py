"""vnet.linux.bridge on the machine's kernel (VLAN filtering: guest kernel)."""

import subprocess

import pytest

from conftest import ip, run_module

from pyroute2 import netns as pyroute2_netns


def ports_in(sw, other, names):
    """Veth pairs: one end (the port) in the switch namespace."""
    for name in names:
        result = run_module('veth', {'name': name, 'netns': sw, 'admin_state': 'up',
                                     'peer': {'name': 'e' + name, 'netns': other,
                                              'admin_state': 'up'}})
        assert not result.get('failed'), result


def bridge_info(sw, name='br0'):
    return ip(sw, 'link', 'show', name)[0]['linkinfo']['info_data']


def port_info(sw, name):
    return ip(sw, 'link', 'show', name)[0]['linkinfo']['info_slave_data']


BRIDGE = {'name': 'br0', 'stp': True, 'priority': 4096, 'forward_delay': 4,
          'hello_time': 1, 'max_age': 10, 'ageing_time': 60,
          'mcast_snooping': False, 'mcast_querier': True, 'group_fwd_mask': 8,
          'admin_state': 'up', 'alias': 'switch'}


def test_every_bridge_option_applied_idempotent_changed_in_place(namespaces):
    sw, = namespaces(1)
    args = dict(BRIDGE, netns=sw)
    predicted = run_module('bridge', args, check=True)
    made = run_module('bridge', args)
    assert made['actions'] == predicted['actions']
    info = bridge_info(sw)
    assert (info['stp_state'], info['priority'], info['forward_delay'], info['hello_time'],
            info['max_age'], info['ageing_time'], info['mcast_snooping'],
            info['mcast_querier'], info['group_fwd_mask']) == \
        (1, 4096, 400, 100, 1000, 6000, 0, 1, '0x8')
    assert made['link']['options']['forward_delay'] == 4.0
    again = run_module('bridge', args)
    assert again['changed'] is False and again['actions'] == []

    index = ip(sw, 'link', 'show', 'br0')[0]['ifindex']
    changed = dict(args, stp=False, forward_delay=15, ageing_time=300, mcast_snooping=True)
    result = run_module('bridge', changed)
    assert len(result['actions']) == 1 and result['actions'][0].startswith('set ')
    assert result['diff']['before']['link']['options']['stp'] is True
    assert result['diff']['after']['link']['options']['stp'] is False
    info = bridge_info(sw)
    assert (info['stp_state'], info['forward_delay'], info['ageing_time'],
            info['mcast_snooping']) == (0, 1500, 30000, 1)
    assert ip(sw, 'link', 'show', 'br0')[0]['ifindex'] == index, 'changed in place'


def test_ports_with_settings_traffic_and_release(namespaces):
    sw, h1, h2 = namespaces(3)
    ports_in(sw, h1, ['p1'])
    ports_in(sw, h2, ['p2'])
    subprocess.check_call(['ip', '-n', h1, 'addr', 'add', '10.66.0.1/24', 'dev', 'ep1'])
    subprocess.check_call(['ip', '-n', h2, 'addr', 'add', '10.66.0.2/24', 'dev', 'ep2'])
    args = {'name': 'br0', 'netns': sw, 'stp': False, 'admin_state': 'up',
            'ports': [{'name': 'p1', 'cost': 7, 'priority': 3, 'hairpin': True,
                       'learning': False, 'flooding': True, 'mcast_flood': False,
                       'bcast_flood': True},
                      {'name': 'p2', 'isolated': False}]}
    predicted = run_module('bridge', args, check=True)
    made = run_module('bridge', args)
    assert made['actions'] == predicted['actions']
    p1 = port_info(sw, 'p1')
    assert (p1['cost'], p1['priority'], p1['hairpin'], p1['learning'], p1['flood'],
            p1['mcast_flood'], p1['bcast_flood']) == (7, 3, True, False, True, False, True)
    assert {p['name']: p['master'] for p in made['ports']} == {'p1': 'br0', 'p2': 'br0'}
    subprocess.check_call(['ip', 'netns', 'exec', h1, 'ping', '-c1', '-W2', '10.66.0.2'],
                          stdout=subprocess.DEVNULL)
    assert run_module('bridge', args)['changed'] is False

    isolated = dict(args, ports=[dict(args['ports'][0], cost=9),
                                 {'name': 'p2', 'isolated': True}])
    result = run_module('bridge', isolated)
    assert len(result['actions']) == 2
    assert port_info(sw, 'p1')['cost'] == 9 and port_info(sw, 'p2')['isolated'] is True

    purge = dict(args, ports=[{'name': 'p1'}], purge_ports=True)
    result = run_module('bridge', purge)
    assert result['actions'] == ["release link p2 in namespace '%s' from br0" % sw]
    assert 'master' not in ip(sw, 'link', 'show', 'p2')[0]
    assert run_module('bridge', purge)['changed'] is False


def test_absent_releases_ports_without_deleting_them(namespaces):
    sw, h1 = namespaces(2)
    ports_in(sw, h1, ['p1'])
    run_module('bridge', {'name': 'br0', 'netns': sw, 'ports': [{'name': 'p1'}]})
    result = run_module('bridge', {'name': 'br0', 'netns': sw, 'state': 'absent'})
    assert result['changed']
    names = [l['ifname'] for l in ip(sw, 'link', 'show')]
    assert 'br0' not in names and 'p1' in names
    assert run_module('bridge', {'name': 'br0', 'netns': sw, 'state': 'absent'})['changed'] is False


def test_veth_end_enslaved_through_master_option(namespaces):
    sw, h1 = namespaces(2)
    run_module('bridge', {'name': 'br0', 'netns': sw})
    result = run_module('veth', {'name': 'h1', 'netns': h1,
                                 'peer': {'name': 'p-h1', 'netns': sw, 'master': 'br0'}})
    assert not result.get('failed'), result
    assert ip(sw, 'link', 'show', 'p-h1')[0]['master'] == 'br0'
    released = run_module('veth', {'name': 'h1', 'netns': h1,
                                   'peer': {'name': 'p-h1', 'netns': sw, 'master': ''}})
    assert released['changed'] and 'master' not in ip(sw, 'link', 'show', 'p-h1')[0]


def test_unknown_port_and_port_in_other_namespace(namespaces):
    sw, h1 = namespaces(2)
    ports_in(sw, h1, ['p1'])
    missing = run_module('bridge', {'name': 'br0', 'netns': sw, 'ports': [{'name': 'zz'}]})
    assert missing['failed'] and 'ports: zz does not exist' in missing['msg']
    elsewhere = run_module('bridge', {'name': 'br0', 'netns': sw, 'ports': [{'name': 'ep1'}]})
    assert elsewhere['failed'] and "exists in namespace '%s'" % h1 in elsewhere['msg']
    assert 'br0' not in [l['ifname'] for l in ip(sw, 'link', 'show')], 'undone'


def test_check_mode_on_fresh_host_predicts_ports_from_earlier_tasks(namespaces):
    sw, = namespaces(1, create=False)
    result = run_module('bridge', {'name': 'br0', 'netns': sw, 'ports': [{'name': 'p1'}]},
                        check=True)
    assert result['changed']
    assert "attach link p1 in namespace '%s' to br0" % sw in result['actions']
    assert 'does not exist yet' in str(result['warnings'])


@pytest.mark.parametrize('change, field', [
    ({'forward_delay': 1}, 'forward_delay'),
    ({'hello_time': 11}, 'hello_time'),
    ({'priority': 70000}, 'priority'),
    ({'ports': [{'name': 'p1', 'priority': 64}]}, 'ports[0].priority'),
    ({'ports': [{'name': 'p1'}, {'name': 'p1'}]}, 'ports[1].name'),
    ({'ports': [{'name': 'p1', 'vlans': [{'vid': '0'}]}]}, 'ports[0].vlans[0].vid'),
    ({'ports': [{'name': 'p1', 'vlans': [{'vid': '10-5'}]}]}, 'ports[0].vlans[0].vid'),
    ({'ports': [{'name': 'p1', 'vlans': [{'vid': '1', 'pvid': True},
                                         {'vid': '2', 'pvid': True}]}]}, 'ports[0].vlans'),
])
def test_bad_input_rejected_before_changes(namespaces, change, field):
    sw, = namespaces(1)
    result = run_module('bridge', dict(BRIDGE, netns=sw, **change))
    assert result['failed'] and result['msg'].startswith(field + ':'), result['msg']
    assert [l['ifname'] for l in ip(sw, 'link', 'show')] == ['lo']


def test_existing_link_of_other_kind_left_alone(namespaces):
    sw, h1 = namespaces(2)
    ports_in(sw, h1, ['br0'])
    result = run_module('bridge', {'name': 'br0', 'netns': sw})
    assert result['failed'] and 'is a veth, not a bridge' in result['msg']


@pytest.mark.parametrize('state', ['present', 'absent'])
def test_a_device_without_kind_is_named_so(namespaces, state):
    sw, = namespaces(1)
    result = run_module('bridge', {'name': 'lo', 'netns': sw, 'state': state})
    assert result['failed'], result
    assert 'lo in namespace \'%s\' exists but is a device without kind, not a bridge' % sw \
        in result['msg'], result['msg']


@pytest.mark.guest_kernel
def test_vlan_filtering_and_port_vlans(namespaces):
    sw, h1, h2 = namespaces(3)
    ports_in(sw, h1, ['p1'])
    ports_in(sw, h2, ['p2'])
    args = {'name': 'br0', 'netns': sw, 'vlan_filtering': True, 'vlan_protocol': '802.1Q',
            'default_pvid': 1, 'admin_state': 'up',
            'ports': [{'name': 'p1', 'vlans': [{'vid': '10', 'pvid': True, 'untagged': True}]},
                      {'name': 'p2', 'vlans': [{'vid': '10', 'pvid': True, 'untagged': True},
                                               {'vid': '20-22'}]}]}
    predicted = run_module('bridge', args, check=True)
    made = run_module('bridge', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    info = bridge_info(sw)
    assert info['vlan_filtering'] == 1 and info['vlan_protocol'] == '802.1Q'
    p2 = next(p for p in made['ports'] if p['name'] == 'p2')
    assert [v['vid'] for v in p2['vlans']] == [10, 20, 21, 22]
    assert run_module('bridge', args)['changed'] is False
    # untagged traffic between the two access ports in VLAN 10
    subprocess.check_call(['ip', '-n', h1, 'addr', 'add', '10.55.0.1/24', 'dev', 'ep1'])
    subprocess.check_call(['ip', '-n', h2, 'addr', 'add', '10.55.0.2/24', 'dev', 'ep2'])
    subprocess.check_call(['ip', 'netns', 'exec', h1, 'ping', '-c1', '-W2', '10.55.0.2'],
                          stdout=subprocess.DEVNULL)
    narrowed = dict(args, ports=[args['ports'][0], {'name': 'p2', 'vlans': [{'vid': '20'}]}])
    predicted = run_module('bridge', narrowed, check=True)
    result = run_module('bridge', narrowed)
    # the diff shows the port's VLAN membership before and after
    before, after = (dict((p['name'], [v['vid'] for v in p['vlans']]) for p in side['ports'])
                     for side in (result['diff']['before'], result['diff']['after']))
    assert (before['p2'], after['p2'], before['p1'], after['p1']) == \
        ([10, 20, 21, 22], [20], [10], [10]), result['diff']
    assert predicted['diff']['after']['ports'] == result['diff']['after']['ports']
    assert sorted(result['actions']) == sorted([
        "remove VLAN 10 from port link p2 in namespace '%s'" % sw,
        "remove VLAN 21 from port link p2 in namespace '%s'" % sw,
        "remove VLAN 22 from port link p2 in namespace '%s'" % sw])
    # now p2 is not in VLAN 10: no traffic
    assert subprocess.call(['ip', 'netns', 'exec', h1, 'ping', '-c1', '-W1', '10.55.0.2'],
                           stdout=subprocess.DEVNULL) != 0


def test_vlan_filtering_unsupported_kernel_fails_clearly(namespaces):
    """On a kernel without CONFIG_BRIDGE_VLAN_FILTERING the run must fail, not
    pretend; on one with it the option takes (the guest lane proves that)."""
    sw, = namespaces(1)
    result = run_module('bridge', {'name': 'br0', 'netns': sw, 'vlan_filtering': True})
    if result.get('failed'):
        assert 'vlan_filtering' in result['msg']
        assert 'does not support' in result['msg'] or 'did not take' in result['msg']
    else:
        assert bridge_info(sw)['vlan_filtering'] == 1


def test_vlan_filtering_off_is_what_a_kernel_without_it_does(namespaces):
    """`vlan_filtering: false` asks for what a kernel without bridge VLAN
    filtering does anyway: it succeeds there (this machine's kernel refuses
    the attribute, even to turn filtering off) and on any other kernel."""
    sw, = namespaces(1)
    args = {'name': 'br0', 'netns': sw, 'vlan_filtering': False}
    predicted = run_module('bridge', args, check=True)
    made = run_module('bridge', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    assert bridge_info(sw)['vlan_filtering'] == 0
    assert made['link']['options']['vlan_filtering'] is False
    again = run_module('bridge', args)
    assert again['changed'] is False and again['actions'] == [], again


def test_topology_info_of_bridges_rebuild_the_lab(lab_name):
    """What topology_info reads (vlan_filtering included, whatever the
    kernel) builds the same lab again from nothing, and applies to it with
    no change."""
    sw, host = lab_name + 's', lab_name + 'h'
    built = run_module('topology', {
        'lab': lab_name, 'nodes': [{'name': sw}, {'name': host}],
        'bridges': [{'name': 'br0', 'node': sw, 'stp': False},
                    {'name': 'br1', 'node': sw, 'ageing_time': 60}],
        'links': [{'endpoints': [{'node': host, 'name': 'eth0', 'addresses': ['10.77.0.2/24']},
                                 {'bridge': 'br0', 'name': 'p-h'}]}]})
    assert not built.get('failed'), built
    facts = run_module('topology_info', {'lab': lab_name})
    assert not facts.get('failed'), facts
    assert all('vlan_filtering' in bridge for bridge in facts['bridges']), facts['bridges']
    saved = dict(lab=lab_name, nodes=facts['nodes'], bridges=facts['bridges'],
                 links=facts['links'])
    assert run_module('topology', saved)['changed'] is False
    removed = run_module('topology', {'lab': lab_name, 'state': 'absent'})
    assert removed['changed'] and not pyroute2_netns.listnetns().count(sw)
    rebuilt = run_module('topology', saved)
    assert not rebuilt.get('failed'), rebuilt.get('msg')
    assert sorted(l['ifname'] for l in ip(sw, 'link', 'show')) == ['br0', 'br1', 'lo', 'p-h']
    assert ip(sw, 'link', 'show', 'p-h')[0]['master'] == 'br0'
    again = run_module('topology', saved)
    assert again['changed'] is False, again['actions']


def test_topology_link_that_cannot_take_ports_is_refused_before_changes(lab_name):
    node = lab_name + 'n'
    result = run_module('topology', {
        'lab': lab_name, 'nodes': [{'name': node}],
        'links': [{'endpoints': [{'node': node, 'name': 'a1'}, {'node': node, 'name': 'a2'}]},
                  {'endpoints': [{'node': node, 'name': 'b1'}, {'node': node, 'name': 'b2'}],
                   'ports': ['a1']}]})
    assert result['failed'] and result['msg'].startswith(
        'links[1].ports: a veth cannot take ports'), result
    assert node not in pyroute2_netns.listnetns()


def test_diff_shows_port_vlans_before_and_after(namespaces):
    """Port VLAN membership is part of the ports' before/after (and the
    prediction of check mode equals what a real run reads back). On a
    kernel without VLAN filtering the lists are empty; in the guest a
    joining port gets the default PVID."""
    sw, h1, h2 = namespaces(3)
    ports_in(sw, h1, ['p1'])
    ports_in(sw, h2, ['p2'])
    run_module('bridge', {'name': 'br0', 'netns': sw, 'ports': [{'name': 'p1'}]})
    args = {'name': 'br0', 'netns': sw, 'ports': [{'name': 'p1'}, {'name': 'p2'}]}
    predicted = run_module('bridge', args, check=True)
    made = run_module('bridge', args)
    assert not made.get('failed'), made
    before = dict((p['name'], p) for p in made['diff']['before']['ports'])
    after = dict((p['name'], p) for p in made['diff']['after']['ports'])
    assert 'vlans' in before['p1'] and 'vlans' in before['p2'] and 'vlans' in after['p2']
    assert before['p2']['vlans'] == [], 'not a bridge port before'
    assert after['p1']['vlans'] == before['p1']['vlans']
    assert after['p2']['vlans'] == after['p1']['vlans'], 'joined with the default PVID'
    assert [(p['name'], p['vlans']) for p in predicted['diff']['after']['ports']] == \
        [(p['name'], p['vlans']) for p in made['diff']['after']['ports']]
    assert made['ports'] == made['diff']['after']['ports']
