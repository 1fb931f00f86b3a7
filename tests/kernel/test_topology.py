"""vnet.linux.topology and topology_info on the machine's kernel.

Every test builds its lab in namespaces whose names start with a prefix
unique to the test run and the test; the `lab` fixture removes the lab with
state=absent afterwards and then deletes any namespace left with the prefix,
also when the test fails.
"""

import os
import subprocess

import pytest

from conftest import Lab, ip, run_module

from pyroute2 import netns as pyroute2_netns


def ping(netns, address, tries=3):
    """One answered ping, with a few tries: the first packet waits for ARP
    and IPv4 forwarding on a busy machine."""
    for _attempt in range(tries):
        if subprocess.call(['ip', 'netns', 'exec', netns, 'ping', '-c1', '-W1', address],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
            return True
    return False


def routed_lab(lab):
    """Two routers, a switch with two hosts behind r1, routes both ways."""
    r1, r2, sw, h1, h2 = (lab.n(t) for t in ('r1', 'r2', 'sw', 'h1', 'h2'))
    return dict(
        nodes=[
            {'name': r1, 'sysctls': {'net.ipv4.ip_forward': 1},
             'loopback': ['10.255.0.1/32'],
             'routes': [{'dst': '10.255.0.2/32', 'via': '10.1.0.1'}]},
            {'name': r2, 'loopback': ['10.255.0.2/32'],
             'routes': [{'dst': '10.2.0.0/24', 'via': '10.1.0.0'},
                        {'dst': '10.255.0.1/32', 'via': '10.1.0.0'}]},
            {'name': sw},
            {'name': h1, 'routes': [{'dst': 'default', 'via': '10.2.0.1'}]},
            {'name': h2, 'routes': [{'dst': 'default', 'via': '10.2.0.1'}]},
        ],
        bridges=[{'name': 'br0', 'node': sw, 'stp': False}],
        links=[
            {'endpoints': [{'node': r1, 'name': 'eth0', 'addresses': ['10.1.0.0/31']},
                           {'node': r2, 'name': 'eth0', 'addresses': ['10.1.0.1/31']}]},
            {'endpoints': [{'node': r1, 'name': 'eth1', 'addresses': ['10.2.0.1/24']},
                           {'bridge': 'br0', 'name': 'r1-p'}]},
            {'endpoints': [{'node': h1, 'name': 'eth0', 'addresses': ['10.2.0.11/24']},
                           {'bridge': 'br0', 'name': 'h1-p'}]},
            {'endpoints': [{'node': h2, 'name': 'eth0', 'addresses': ['10.2.0.12/24'],
                            'mtu': 1400},
                           {'bridge': 'br0', 'name': 'h2-p', 'mtu': 1400}]},
        ])


def test_build_second_run_unchanged_and_reachable(lab):
    description = routed_lab(lab)
    made = lab.run(**description)
    assert made['changed']
    assert made['actions'][0] == 'create namespace %s (lo up, marked)' % lab.n('r1')
    assert sorted(lab.namespaces()) == sorted(n['name'] for n in description['nodes'])
    h1, h2, r2 = lab.n('h1'), lab.n('h2'), lab.n('r2')
    assert ping(h1, '10.2.0.12')            # across the bridge
    assert ping(h1, '10.255.0.2')           # through r1 to r2's loopback
    assert ping(r2, '10.2.0.11')
    eth0 = ip(h2, 'link', 'show', 'eth0')[0]
    assert eth0['mtu'] == 1400 and eth0['ifalias'] == 'vnet:' + lab.name
    assert ip(lab.n('sw'), 'link', 'show', 'h1-p')[0]['master'] == 'br0'
    again = lab.run(**description)
    assert again['changed'] is False and again['actions'] == []
    assert again['diff']['before'] == again['diff']['after']
    assert made['timing']['total'] > 0 and made['peak_memory_mb'] > 0


def test_new_namespace_has_lo_up_and_marked_in_one_step_and_lo_drift_is_repaired(lab):
    a = lab.n('a')
    made = lab.run(nodes=[{'name': a}])
    assert made['actions'] == ['create namespace %s (lo up, marked)' % a]
    lo = ip(a, 'link', 'show', 'lo')[0]
    assert 'UP' in lo['flags'] and lo['ifalias'] == 'vnet:' + lab.name
    assert lab.run(nodes=[{'name': a}])['changed'] is False
    # an existing namespace whose lo went down still gets its own step
    subprocess.check_call(['ip', '-n', a, 'link', 'set', 'lo', 'down'])
    predicted = lab.run(check=True, nodes=[{'name': a}])
    repaired = lab.run(nodes=[{'name': a}])
    assert repaired['actions'] == predicted['actions'] == [
        'mark namespace %s and bring lo up' % a]
    assert 'UP' in ip(a, 'link', 'show', 'lo')[0]['flags']
    assert lab.run(nodes=[{'name': a}])['changed'] is False


def test_check_mode_plan_equals_real_actions(lab):
    description = routed_lab(lab)
    predicted = lab.run(check=True, **description)
    assert predicted['changed'] and lab.namespaces() == []
    made = lab.run(**description)
    assert made['actions'] == predicted['actions']
    assert made['plan'] == predicted['plan']
    # a change predicted in check mode is the change made
    description['links'][0]['endpoints'][0]['mtu'] = 9000
    predicted = lab.run(check=True, **description)
    assert ip(lab.n('r1'), 'link', 'show', 'eth0')[0]['mtu'] == 1500
    assert lab.run(**description)['actions'] == predicted['actions']


def test_change_in_place_keeps_the_links(lab):
    description = routed_lab(lab)
    lab.run(**description)
    r1, sw = lab.n('r1'), lab.n('sw')
    index = ip(r1, 'link', 'show', 'eth0')[0]['ifindex']
    endpoint = description['links'][0]['endpoints'][0]
    endpoint['mtu'] = 1300
    endpoint['addresses'].append('10.9.0.1/24')
    endpoint['mac_address'] = '02:00:00:00:77:01'
    description['bridges'][0]['ageing_time'] = 100
    description['nodes'][0]['loopback'].append('10.255.1.1/32')
    changed = lab.run(**description)
    assert changed['changed'] and changed['plan']['recreated'] == []
    assert changed['plan']['added'] == []
    assert 'set mac_address=02:00:00:00:77:01, mtu=1300 on veth eth0 in node %s' % r1 \
        in changed['actions']
    assert 'set ageing_time=100.0 on bridge br0 in node %s' % sw in changed['actions']
    eth0 = ip(r1, 'link', 'show', 'eth0')[0]
    assert (eth0['ifindex'], eth0['mtu'], eth0['address']) == (index, 1300,
                                                               '02:00:00:00:77:01')
    entry = [c for c in changed['plan']['changed'] if c.get('name') == 'eth0'
             and c['node'] == r1][0]
    assert entry['changes']['mtu'] == {'before': 1500, 'after': 1300}
    assert changed['diff']['before'] != changed['diff']['after']
    assert lab.run(**description)['changed'] is False


def test_recreated_when_the_peer_changes(lab):
    a, b, c = lab.n('a'), lab.n('b'), lab.n('c')
    nodes = [{'name': a}, {'name': b}, {'name': c}]
    lab.run(nodes=nodes, links=[{'endpoints': [{'node': a, 'name': 'e0'},
                                               {'node': b, 'name': 'e0'}]}])
    moved = lab.run(nodes=nodes, links=[{'endpoints': [{'node': a, 'name': 'e0'},
                                                       {'node': c, 'name': 'e0'}]}])
    assert [r['name'] for r in moved['plan']['recreated']] == ['e0']
    assert 'its peer is not e0 in node %s' % c in moved['plan']['recreated'][0]['reason']
    assert [l['ifname'] for l in ip(b, 'link', 'show')] == ['lo']
    assert ip(c, 'link', 'show', 'e0')[0]['ifalias'] == 'vnet:' + lab.name


def test_prune_removes_only_marked_objects(lab):
    a, b, c = lab.n('a'), lab.n('b'), lab.n('c')
    full = dict(nodes=[{'name': a, 'routes': [{'dst': '10.50.0.0/16', 'via': '10.3.0.2'}]},
                       {'name': b}, {'name': c}],
                links=[{'endpoints': [{'node': a, 'name': 'ab', 'addresses': ['10.3.0.1/24']},
                                      {'node': b, 'name': 'ba', 'addresses': ['10.3.0.2/24']}]},
                       {'endpoints': [{'node': a, 'name': 'ac'}, {'node': c, 'name': 'ca'}]}])
    lab.run(**full)
    # things the lab did not make: a veth in its namespace, a namespace, an address
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'mine', 'type', 'veth', 'peer',
                           'mine2'])
    subprocess.check_call(['ip', '-n', b, 'addr', 'add', '10.3.0.99/24', 'dev', 'ba'])
    unmarked = lab.n('u')
    pyroute2_netns.create(unmarked)
    smaller = dict(nodes=[{'name': a}, {'name': b}],
                   links=[{'endpoints': [{'node': a, 'name': 'ab',
                                          'addresses': ['10.3.0.1/24']},
                                         {'node': b, 'name': 'ba',
                                          'addresses': ['10.3.0.2/24']}]}])
    kept = lab.run(**smaller)
    assert kept['changed'] is False and c in lab.namespaces()
    pruned = lab.run(prune=True, **smaller)
    assert 'plan' in pruned, pruned.get('msg')
    removed = pruned['plan']['removed']
    assert {'type': 'node', 'name': c} in removed
    assert any(r.get('name') == 'ac' for r in removed)
    assert any(r['type'] == 'route' for r in removed)
    assert sorted(lab.namespaces()) == sorted([a, b, unmarked])
    names = [l['ifname'] for l in ip(a, 'link', 'show')]
    assert 'mine' in names and 'mine2' in names and 'ac' not in names
    ba = ip(b, 'addr', 'show', 'ba')[0]['addr_info']
    assert '10.3.0.99' not in [x['local'] for x in ba]   # on a marked link: pruned
    assert lab.run(prune=True, **smaller)['changed'] is False


def test_absent_leaves_no_namespace_and_no_link(lab, namespaces):
    (outside,) = namespaces(1)
    description = routed_lab(lab)
    # an external node: the lab puts a link into it but does not own it
    description['nodes'].append({'name': outside, 'external': True})
    description['links'].append({'endpoints': [{'node': lab.n('r1'), 'name': 'ext0'},
                                               {'node': outside, 'name': 'lab0'}]})
    lab.run(**description)
    assert ip(outside, 'link', 'show', 'lab0')[0]['ifalias'] == 'vnet:' + lab.name
    predicted = run_module('topology', {'lab': lab.name, 'state': 'absent'}, check=True)
    assert len(lab.namespaces()) == 5
    gone = run_module('topology', {'lab': lab.name, 'state': 'absent'})
    assert gone.get("actions") == predicted["actions"], gone.get("msg")
    assert lab.namespaces() == []
    assert outside in pyroute2_netns.listnetns()
    assert [l['ifname'] for l in ip(outside, 'link', 'show')] == ['lo']
    assert not [l for l in ip(None, 'link', 'show') if l.get('ifalias') == 'vnet:' + lab.name]
    again = run_module('topology', {'lab': lab.name, 'state': 'absent'})
    assert again['changed'] is False


def test_facts_round_trip_and_counters(lab):
    lab.run(**routed_lab(lab))
    assert ping(lab.n('h1'), '10.2.0.12')
    facts = lab.info()
    assert sorted(n['name'] for n in facts['nodes']) == sorted(lab.namespaces())
    assert [b['name'] for b in facts['bridges']] == ['br0']
    assert len(facts['links']) == 4 and facts['other_links'] == []
    counters = facts['counters'][lab.n('h1')]['eth0']
    assert counters['tx_packets'] >= 1 and counters['rx_packets'] >= 1
    assert set(counters) >= {'rx_bytes', 'tx_bytes', 'rx_dropped', 'tx_dropped',
                             'rx_errors', 'tx_errors'}
    applied = lab.run(nodes=facts['nodes'], bridges=facts['bridges'], links=facts['links'])
    assert applied['changed'] is False, applied['actions']
    # the same with prune: nothing that was read is left out
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied['changed'] is False, applied['actions']
    everything = lab.info(lab=False)
    ours = [n for n in everything['nodes'] if n['name'].startswith(lab.prefix)]
    assert len(ours) == 5


def test_input_errors_change_nothing(lab):
    a = lab.n('a')
    failed = run_module('topology', {
        'lab': lab.name, 'nodes': [{'name': a}],
        'links': [{'endpoints': [{'node': a, 'name': 'e0'},
                                 {'node': lab.n('r9'), 'name': 'e0'}]}]})
    assert failed['failed']
    assert failed['msg'] == "links[0].endpoints[1].node: unknown node '%s' (not in nodes)" \
        % lab.n('r9')
    assert lab.namespaces() == []


def test_failure_undoes_the_runs_own_steps(lab):
    a, b = lab.n('a'), lab.n('b')
    failed = lab.run(nodes=[{'name': a, 'routes': [{'dst': '10.60.0.0/16',
                                                    'via': '192.0.2.1'}]},
                            {'name': b}],
                     links=[{'endpoints': [{'node': a, 'name': 'e0',
                                            'addresses': ['10.4.0.1/24']},
                                           {'node': b, 'name': 'e0'}]}])
    assert failed['failed']
    assert 'step "add route 10.60.0.0/16 via 192.0.2.1 in node %s" failed' % a \
        in failed['msg']
    assert 'undone: ' in failed['msg']
    assert lab.namespaces() == []


def test_refuses_what_is_not_the_labs(lab):
    a, b = lab.n('a'), lab.n('b')
    pyroute2_netns.create(a)
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'e0', 'type', 'bridge'])
    failed = lab.run(nodes=[{'name': a}, {'name': b}],
                     links=[{'endpoints': [{'node': a, 'name': 'e0'},
                                           {'node': b, 'name': 'e0'}]}])
    assert failed['failed'] and 'not part of lab' in failed['msg']
    assert ip(a, 'link', 'show', 'e0')[0]['linkinfo']['info_kind'] == 'bridge'
    # a namespace of another lab is left alone too
    other = Lab()
    try:
        run_module('topology', {'lab': other.name, 'nodes': [{'name': b}]})
        failed = lab.run(nodes=[{'name': b}])
        assert failed['failed'] and 'belongs to lab %r' % other.name in failed['msg']
    finally:
        run_module('topology', {'lab': other.name, 'state': 'absent'})


def test_macvlan_and_macvtap_on_a_lab_link(lab):
    host, n1, n2 = lab.n('h'), lab.n('n1'), lab.n('n2')
    description = dict(
        nodes=[{'name': host}, {'name': n1}, {'name': n2}],
        links=[{'endpoints': [{'node': host, 'name': 'eth1', 'addresses': ['192.0.2.1/24']},
                              {'node': n2, 'name': 'up0', 'addresses': ['192.0.2.2/24']}]},
               {'kind': 'macvlan', 'node': n1, 'name': 'mv0', 'parent': 'eth1',
                'parent_node': host, 'mode': 'bridge', 'addresses': ['192.0.2.10/24']},
               {'kind': 'macvtap', 'node': host, 'name': 'mvt0', 'parent': 'eth1',
                'mode': 'bridge'}])
    made = lab.run(**description)
    assert 'create macvlan mv0 in node %s with mode=bridge on eth1 in node %s' % (n1, host) \
        in made['actions']
    mv0 = ip(n1, 'link', 'show', 'mv0')[0]
    assert mv0['linkinfo']['info_kind'] == 'macvlan'
    assert mv0['linkinfo']['info_data']['mode'] == 'bridge'
    assert ip(host, 'link', 'show', 'mvt0')[0]['linkinfo']['info_data']['mode'] == 'bridge'
    assert ping(n1, '192.0.2.2')   # out through eth1 (a macvlan never reaches its parent)
    assert lab.run(**description)['changed'] is False
    description['links'][1]['mode'] = 'private'
    changed = lab.run(**description)
    assert changed['actions'] == ['set mode=private on macvlan mv0 in node %s' % n1]
    facts = lab.info()
    assert lab.run(nodes=facts['nodes'], links=facts['links'])['changed'] is False
    description['links'][1]['parent_node'] = n2
    description['links'][1]['parent'] = 'up0'
    moved = lab.run(**description)
    assert moved.get("plan", {}).get("recreated", [{}])[0].get("name") == "mv0", moved.get("msg")


@pytest.mark.guest_kernel
def test_bond_team_ipvlan_and_impairment(lab):
    h, s = lab.n('h'), lab.n('s')
    description = dict(
        nodes=[{'name': h}, {'name': s}],
        links=[{'endpoints': [{'node': h, 'name': 'eth0'}, {'node': s, 'name': 'p0'}]},
               {'endpoints': [{'node': h, 'name': 'eth1'}, {'node': s, 'name': 'p1'}]},
               {'kind': 'bond', 'node': h, 'name': 'bond0', 'mode': 'active-backup',
                'ports': ['eth0', 'eth1'], 'options': {'miimon': 100},
                'addresses': ['10.7.0.1/24']},
               {'kind': 'ipvlan', 'node': s, 'name': 'ipv0', 'parent': 'p0', 'mode': 'l2',
                'addresses': ['10.8.0.1/24']},
               {'endpoints': [{'node': h, 'name': 't0'}, {'node': s, 'name': 'q0'}]},
               {'endpoints': [{'node': h, 'name': 't1'}, {'node': s, 'name': 'q1'}]},
               {'kind': 'team', 'node': h, 'name': 'team0', 'runner': 'activebackup',
                'ports': ['t0', 't1'], 'addresses': ['10.6.0.1/24']},
               {'endpoints': [{'node': h, 'name': 'slow', 'addresses': ['10.9.0.1/24'],
                               'impairment': {'delay': '10ms', 'loss': '1%'}},
                              {'node': s, 'name': 'slow', 'addresses': ['10.9.0.2/24']}]}])
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert ip(h, 'link', 'show', 'eth0')[0]['master'] == 'bond0'
    assert lab.run(**description)['changed'] is False
    facts = lab.info()
    applied = lab.run(nodes=facts['nodes'], links=facts['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'), facts)
    qdisc = subprocess.check_output(['tc', '-n', h, 'qdisc', 'show', 'dev', 'slow'])
    assert b'netem' in qdisc and b'delay 10' in qdisc
    assert ip(h, 'link', 'show', 't0')[0]['master'] == 'team0'
    gone = run_module('topology', {'lab': lab.name, 'state': 'absent'})
    assert 'stop teamd for team0 in namespace %s' % h in gone['actions']
    assert lab.namespaces() == []
    assert b'team0' not in subprocess.check_output(['ps', '-eo', 'args'])


def test_topology_module_names_its_timing(lab):
    made = lab.run(nodes=[{'name': lab.n('a')}])
    assert set(made['timing']) >= {'validate', 'read', 'plan', 'apply', 'total'}
    assert 0 < made['peak_memory_mb'] < 150
    assert os.path.exists('/run/netns/' + lab.n('a'))


@pytest.mark.guest_kernel  # it puts a link into the root namespace: only in a throwaway VM
def test_root_node_link_is_marked_and_removed(lab):
    a, end = lab.n('a'), lab.n('x')
    description = dict(nodes=[{'name': 'host', 'root': True}, {'name': a}],
                       links=[{'endpoints': [{'node': 'host', 'name': end,
                                              'addresses': ['10.251.0.1/30']},
                                             {'node': a, 'name': 'up0',
                                              'addresses': ['10.251.0.2/30']}]}])
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert ip(None, 'link', 'show', end)[0]['ifalias'] == 'vnet:' + lab.name
    assert ping(a, '10.251.0.1')
    assert lab.run(**description)['changed'] is False
    gone = run_module('topology', {'lab': lab.name, 'state': 'absent'})
    # the step names its collateral: the peer in the lab's namespace (owned)
    assert any(step.startswith('delete veth %s in the root namespace' % end)
               for step in gone['actions']), gone['actions']
    assert not [l for l in ip(None, 'link', 'show') if l['ifname'] == end]


def test_routes_of_an_external_node_that_are_not_ours_are_left_alone(lab, namespaces):
    (outside,) = namespaces(1)
    a = lab.n('a')
    subprocess.check_call(['ip', '-n', outside, 'link', 'set', 'lo', 'up'])
    subprocess.check_call(['ip', '-n', outside, 'route', 'add', '10.252.0.0/16', 'dev', 'lo'])
    refused = lab.run(nodes=[{'name': a}, {'name': outside, 'external': True,
                                           'routes': [{'dst': '10.252.0.0/16',
                                                       'via': '10.253.0.2'}]}],
                      links=[{'endpoints': [{'node': outside, 'name': 'e0',
                                             'addresses': ['10.253.0.1/30']},
                                            {'node': a, 'name': 'e0',
                                             'addresses': ['10.253.0.2/30']}]}])
    assert refused.get('failed') and 'did not add; it is left alone' in refused['msg']
    assert lab.namespaces() == []
    assert ip(outside, 'route', 'show', '10.252.0.0/16')[0]['dev'] == 'lo'


def test_swapped_peers_and_a_macvlan_on_a_recreated_parent(lab):
    a, b, c, d = (lab.n(t) for t in 'abcd')
    nodes = [{'name': n} for n in (a, b, c, d)]
    macvlan = {'kind': 'macvlan', 'node': c, 'name': 'mv0', 'parent': 'e0',
               'parent_node': a, 'mode': 'bridge'}
    lab.run(nodes=nodes, links=[
        {'endpoints': [{'node': a, 'name': 'e0'}, {'node': b, 'name': 'e0'}]},
        {'endpoints': [{'node': c, 'name': 'e0'}, {'node': d, 'name': 'e0'}]}, macvlan])
    swapped = lab.run(nodes=nodes, links=[
        {'endpoints': [{'node': a, 'name': 'e0'}, {'node': d, 'name': 'e0'}]},
        {'endpoints': [{'node': c, 'name': 'e0'}, {'node': b, 'name': 'e0'}]}, macvlan])
    assert swapped.get('failed') is None, swapped.get('msg')
    assert sorted(r['name'] for r in swapped['plan']['recreated']) == ['e0', 'e0', 'mv0']
    assert ip(c, 'link', 'show', 'mv0')[0]['linkinfo']['info_kind'] == 'macvlan'
    assert lab.run(nodes=nodes, links=[
        {'endpoints': [{'node': a, 'name': 'e0'}, {'node': d, 'name': 'e0'}]},
        {'endpoints': [{'node': c, 'name': 'e0'}, {'node': b, 'name': 'e0'}]},
        macvlan])['changed'] is False


# --- bonds (issue 9) --------------------------------------------------------

def bond_lab(lab, bond_extra=None, ports=('eth0', 'eth1'), routes=None):
    h, s = lab.n('h'), lab.n('s')
    links = [{'endpoints': [{'node': h, 'name': 'eth0'}, {'node': s, 'name': 'p0'}]},
             {'endpoints': [{'node': h, 'name': 'eth1'}, {'node': s, 'name': 'p1'}]}]
    if bond_extra is not None:
        links.append(dict({'kind': 'bond', 'node': h, 'name': 'bond0',
                           'ports': list(ports), 'addresses': ['10.7.0.1/24']},
                          **bond_extra))
    return h, dict(nodes=[{'name': h, 'routes': routes or []}, {'name': s}], links=links)


def slave_data(netns, name):
    return ip(netns, 'link', 'show', name)[0]['linkinfo']['info_slave_data']


@pytest.mark.guest_kernel
def test_bond_mode_change_with_ports_is_a_recreate_in_check_mode_and_for_real(lab):
    h, description = bond_lab(lab, {'mode': 'active-backup', 'options': {'miimon': 100}})
    assert lab.run(**description).get('failed') is None
    description['links'][2]['mode'] = 'balance-xor'
    predicted = lab.run(check=True, **description)
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert [r['name'] for r in made['plan']['recreated']] == ['bond0']
    assert ip(h, 'link', 'show', 'bond0')[0]['linkinfo']['info_data']['mode'] == 'balance-xor'
    for name in ('eth0', 'eth1'):
        link = ip(h, 'link', 'show', name)[0]
        assert link['master'] == 'bond0' and 'UP' in link['flags'], link
    assert lab.run(**description)['changed'] is False


@pytest.mark.guest_kernel
def test_undo_of_a_new_bond_brings_its_ports_back_up(lab):
    h, description = bond_lab(lab)
    assert lab.run(**description).get('failed') is None
    # the route's gateway is on no link: the last step fails, all is undone
    h, with_bond = bond_lab(lab, {'mode': 'active-backup'},
                            routes=[{'dst': '10.99.0.0/24', 'via': '10.123.0.1'}])
    failed = lab.run(**with_bond)
    assert failed.get('failed'), failed
    assert not [l for l in ip(h, 'link', 'show') if l['ifname'] == 'bond0']
    for name in ('eth0', 'eth1'):
        link = ip(h, 'link', 'show', name)[0]
        assert 'master' not in link and 'UP' in link['flags'], link
    assert lab.run(**description)['changed'] is False


@pytest.mark.guest_kernel
def test_bond_port_prio_and_queue_id(lab):
    h, description = bond_lab(lab, {'mode': 'active-backup'},
                              ports=[{'name': 'eth0', 'prio': 5, 'queue_id': 1}, 'eth1'])
    predicted = lab.run(check=True, **description)
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert (slave_data(h, 'eth0')['prio'], slave_data(h, 'eth0')['queue_id']) == (5, 1)
    assert lab.run(**description)['changed'] is False
    facts = lab.info()
    bond = [link for link in facts['links'] if link.get('kind') == 'bond'][0]
    assert bond['ports'] == [{'name': 'eth0', 'prio': 5, 'queue_id': 1}, 'eth1']
    assert lab.run(nodes=facts['nodes'], links=facts['links'])['changed'] is False
    description['links'][2]['ports'][0]['prio'] = 7
    changed = lab.run(**description)
    assert changed['actions'] == ['set port prio=7 on veth eth0 in node %s' % h]
    assert slave_data(h, 'eth0')['prio'] == 7
    # the same rules as the bond module's
    description['links'][2]['ports'][0]['queue_id'] = 70000
    refused = lab.run(**description)
    assert refused['failed'] and 'links[2].ports[0].queue_id' in refused['msg'], refused
    description['links'][2]['ports'][0]['queue_id'] = 1
    description['links'][2]['mode'] = 'balance-xor'
    refused = lab.run(**description)
    assert refused['failed'] and 'ports[].prio is only used in mode' in refused['msg'], refused


@pytest.mark.guest_kernel
def test_topology_bond_does_not_take_a_port_of_a_foreign_bridge(lab):
    h, description = bond_lab(lab)
    assert lab.run(**description).get('failed') is None
    subprocess.check_call(['ip', '-n', h, 'link', 'add', 'brx', 'type', 'bridge'])
    subprocess.check_call(['ip', '-n', h, 'link', 'set', 'eth0', 'master', 'brx'])
    h, with_bond = bond_lab(lab, {'mode': 'active-backup'})
    refused = lab.run(**with_bond)
    assert refused.get('failed') and 'brx' in refused['msg'], refused
    assert ip(h, 'link', 'show', 'eth0')[0]['master'] == 'brx'


@pytest.mark.guest_kernel
def test_failed_bond_recreate_restores_the_old_bond(lab):
    h, description = bond_lab(lab, {'mode': 'active-backup', 'options': {'miimon': 100}},
                              ports=[{'name': 'eth0', 'prio': 4}])
    assert lab.run(**description).get('failed') is None
    before = [ip(h, 'link', 'show', name)[0] for name in ('bond0', 'eth0', 'eth1')]
    # the re-created bond is to take eth1 too, which a macvlan holds (EBUSY)
    subprocess.check_call(['ip', '-n', h, 'link', 'add', 'mvx', 'link', 'eth1',
                           'type', 'macvlan'])
    description['links'][2]['mode'] = 'balance-tlb'
    description['links'][2]['ports'].append('eth1')
    failed = lab.run(**description)
    assert failed.get('failed') and 'step "attach eth1 to bond0' in failed['msg'], failed
    assert 'undone: ' in failed['msg'] and 'delete bond bond0' in \
        failed['msg'].split('undone: ')[1], failed['msg']
    after = [ip(h, 'link', 'show', name)[0] for name in ('bond0', 'eth0', 'eth1')]
    bond = after[0]['linkinfo']['info_data']
    assert (bond['mode'], bond['miimon']) == ('active-backup', 100)
    assert [a['local'] for a in ip(h, 'addr', 'show', 'bond0')[0]['addr_info']
            if a['family'] == 'inet'] == ['10.7.0.1']
    for old, new in zip(before, after):
        assert (new.get('master'), 'UP' in new['flags'], new.get('ifalias'), new['mtu']) == \
            (old.get('master'), 'UP' in old['flags'], old.get('ifalias'), old['mtu'])
    assert slave_data(h, 'eth0')['prio'] == 4


def test_report_summary_counts_what_the_full_report_lists(lab):
    """report=summary leaves out the step and object lists (a big lab's result
    would carry them to the controller) and counts them; a small plan
    (report=auto) and check mode list them in full."""
    a, b = lab.n('a'), lab.n('b')
    description = dict(nodes=[{'name': a}, {'name': b}], links=[{'endpoints': [
        {'node': a, 'name': 'e0', 'addresses': ['192.0.2.0/31']},
        {'node': b, 'name': 'e0', 'addresses': ['192.0.2.1/31']}]}])
    planned = lab.run(check=True, diff=False, report='summary', **description)
    assert 'actions' not in planned and 'plan' not in planned
    predicted = lab.run(check=True, diff=False, **description)
    counts = dict((key, len(value)) for key, value in predicted['plan'].items())
    assert predicted['summary'] == dict(counts, steps=len(predicted['actions']))
    assert planned['summary'] == predicted['summary']
    built = lab.run(diff=False, report='summary', **description)
    assert built['changed'] and built['summary'] == predicted['summary']
    assert 'actions' not in built and 'plan' not in built
    assert ip(a, 'addr', 'show', 'e0')[0]['addr_info'][0]['local'] == '192.0.2.0'
    again = lab.run(diff=False, **description)
    assert again['actions'] == [] and again['summary']['steps'] == 0
    gone = run_module('topology', {'lab': lab.name, 'state': 'absent', 'report': 'summary'},
                      diff=False)
    assert gone['summary']['removed'] == 2 and 'actions' not in gone


def test_crossed_pairs_whose_indexes_match_are_recreated_from_either_end(lab):
    """a:e0 and b:e0 name each other's index, but each one's peer lives in a
    third namespace: only the namespace id proves they are no pair. Both
    ends are re-created (the described pair made), whichever end is judged
    first."""
    a, b, c, d = (lab.n(t) for t in 'abcd')
    nodes = [{'name': n} for n in (a, b, c, d)]
    links = [{'endpoints': [{'node': a, 'name': 'e0'}, {'node': b, 'name': 'e0'}]}]
    lab.run(nodes=nodes, links=links)
    mark = 'vnet:' + lab.name
    subprocess.check_call(['ip', '-n', a, 'link', 'del', 'e0'])
    for here, there, own, other in ((a, c, '40', '41'), (b, d, '41', '40')):
        subprocess.check_call(['ip', '-n', here, 'link', 'add', 'e0', 'index', own, 'type',
                               'veth', 'peer', 'name', 'x', 'index', other, 'netns', there])
        subprocess.check_call(['ip', '-n', here, 'link', 'set', 'e0', 'alias', mark])
        subprocess.check_call(['ip', '-n', there, 'link', 'set', 'x', 'alias', mark])
    predicted = lab.run(check=True, nodes=nodes, links=links)
    made = lab.run(nodes=nodes, links=links)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert sorted((r['node'], r['name']) for r in made['plan']['recreated']) == [
        (a, 'e0'), (b, 'e0')], made['plan']['recreated']
    end = ip(a, 'link', 'show', 'e0')[0]
    assert end['link_index'] == ip(b, 'link', 'show', 'e0')[0]['ifindex']
    assert lab.run(nodes=nodes, links=links)['changed'] is False
