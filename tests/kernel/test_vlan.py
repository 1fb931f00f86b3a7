"""vnet.linux.vlan and vlan links of a lab. The machine's kernel has no
8021q: tests marked guest_kernel run in the VM lane
(scripts/vm/pytest-in-guest.sh). Input errors are refused before any
netlink change, so they run here too.

The tests are few and each proves many options: every guest test costs a
boot's share of CI time.
"""

import subprocess

import pytest

from conftest import ip, run_module

GUEST = pytest.mark.guest_kernel


def veth_between(one, two, name='tr'):
    """A veth 'tr' in `one` with its peer 'tr' in `two`, both up: the trunk."""
    result = run_module('veth', {'name': name, 'netns': one, 'admin_state': 'up',
                                 'peer': {'name': name, 'netns': two, 'admin_state': 'up'}})
    assert not result.get('failed'), result


def vlan_data(netns, name):
    return ip(netns, 'link', 'show', name)[0]['linkinfo']['info_data']


def exactly(args):
    """Check mode predicts the real run's steps; the second run changes nothing."""
    predicted = run_module('vlan', args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module('vlan', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    again = run_module('vlan', args)
    assert again['changed'] is False and again['actions'] == [], again['actions']
    return made


def ping(netns, address, expect=True):
    ok = any(subprocess.call(['ip', 'netns', 'exec', netns, 'ping', '-c1', '-W1', address],
                             stdout=subprocess.DEVNULL) == 0
             for _attempt in range(3 if expect else 1))
    assert ok is expect, 'ping %s from %s: expected %s' % (address, netns, expect)


def names(netns):
    return [link['ifname'] for link in ip(netns, 'link', 'show')]


@GUEST
def test_vlan_options_in_place_recreate_drift_and_traffic(namespaces):
    """Every flag and both QoS maps set, changed in place and read back by
    iproute2; an id change re-creates the link with its addresses; drift
    is repaired; frames cross only between equal VLAN ids."""
    left, right = namespaces(2)
    veth_between(left, right)
    args = {'name': 'v10', 'netns': left, 'link': 'tr', 'id': 10, 'admin_state': 'up',
            'addresses': ['10.80.10.1/24'], 'reorder_hdr': False, 'gvrp': True,
            'loose_binding': True, 'egress_qos_map': {'5': 5, 6: 7},
            'ingress_qos_map': {3: 300}}
    made = exactly(args)
    options = made['link']['options']
    assert options['id'] == 10 and options['protocol'] == '802.1Q'
    assert (options['reorder_hdr'], options['gvrp'], options['mvrp'],
            options['loose_binding']) == (False, True, False, True)
    witness = vlan_data(left, 'v10')
    assert witness['id'] == 10 and witness['protocol'] == '802.1Q'
    assert set(witness['flags']) >= {'GVRP', 'LOOSE_BINDING'}
    assert 'REORDER_HDR' not in witness['flags']
    assert {(m['from'], m['to']) for m in witness['egress_qos']} == {(5, 5), (6, 7)}
    assert {(m['from'], m['to']) for m in witness['ingress_qos']} == {(3, 300)}
    exactly({'name': 'v10', 'netns': right, 'link': 'tr', 'id': 10, 'admin_state': 'up',
             'addresses': ['10.80.10.2/24']})
    ping(left, '10.80.10.2')

    # flags and maps change in place: a dropped map entry is cleared
    changed = dict(args, gvrp=False, mvrp=True, egress_qos_map={6: 1}, ingress_qos_map={})
    made = exactly(changed)
    assert len(made['actions']) == 1 and made['actions'][0].startswith('set '), made['actions']
    witness = vlan_data(left, 'v10')
    assert 'GVRP' not in witness['flags'] and 'MVRP' in witness['flags']
    assert {(m['from'], m['to']) for m in witness['egress_qos']} == {(6, 1)}
    assert not witness.get('ingress_qos')

    # drift behind the module's back is repaired
    subprocess.check_call(['ip', '-n', left, 'link', 'set', 'v10', 'type', 'vlan',
                           'egress-qos-map', '2:2', 'reorder_hdr', 'on'])
    repaired = run_module('vlan', changed)
    assert repaired['changed'] is True, repaired
    assert {(m['from'], m['to']) for m in vlan_data(left, 'v10')['egress_qos']} == {(6, 1)}
    assert 'REORDER_HDR' not in vlan_data(left, 'v10')['flags']

    # another id re-creates the link; its addresses and state come along,
    # and frames tagged 20 no longer reach the other side's VLAN 10
    moved = dict(changed, id=20)
    made = exactly(moved)
    assert any(action.startswith('delete vlan v10') for action in made['actions']), made
    assert vlan_data(left, 'v10')['id'] == 20
    assert ip(left, 'addr', 'show', 'v10')[0]['addr_info'][0]['local'] == '10.80.10.1'
    ping(left, '10.80.10.2', expect=False)

    absent = run_module('vlan', {'name': 'v10', 'netns': left, 'state': 'absent'})
    assert absent['changed'] is True and 'v10' not in names(left)
    assert 'tr' in names(left)  # the parent stays


@GUEST
def test_qinq_across_namespaces(namespaces):
    """An 802.1ad service VLAN on each end of a trunk, an 802.1Q customer
    VLAN on it placed into a node of its own: two tags, and traffic."""
    sw1, sw2, node1, node2 = namespaces(4)
    veth_between(sw1, sw2)
    for switch, node, address in ((sw1, node1, '10.81.0.1/24'), (sw2, node2, '10.81.0.2/24')):
        exactly({'name': 'svc', 'netns': switch, 'link': 'tr', 'id': 100,
                 'protocol': '802.1ad', 'admin_state': 'up'})
        made = exactly({'name': 'cust', 'netns': node, 'link': 'svc', 'link_netns': switch,
                        'id': 20, 'admin_state': 'up', 'addresses': [address]})
        assert made['link']['link'] == 'svc' and made['link']['link_netns'] == switch
    assert vlan_data(sw1, 'svc')['protocol'] == '802.1ad'
    ping(node1, '10.81.0.2')
    # the kernel deletes a vlan with its parent: the service VLAN's delete
    # would take the customer VLAN in another namespace along, which the
    # task does not name
    refused = run_module('vlan', {'name': 'svc', 'netns': sw1, 'state': 'absent'})
    assert refused['failed'] and 'cust' in refused['msg'], refused
    assert 'svc' in names(sw1) and 'cust' in names(node1)


@GUEST
def test_vlan_lab_round_trip(lab):
    """A trunk between two nodes with VLANs 10 and 20 on both ends, one
    node's VLAN 20 on a parent in the other node: applied, the same again
    changes nothing, facts give it back, absent leaves nothing."""
    a, b, c = lab.n('a'), lab.n('b'), lab.n('c')
    description = dict(
        nodes=[{'name': a}, {'name': b}, {'name': c}],
        links=[{'endpoints': [{'node': a, 'name': 'tr'}, {'node': b, 'name': 'tr'}]},
               {'kind': 'vlan', 'node': a, 'name': 'tr.10', 'parent': 'tr',
                'options': {'id': 10, 'egress_qos_map': {1: 1}}, 'addresses': ['10.82.10.1/24']},
               {'kind': 'vlan', 'node': b, 'name': 'tr.10', 'parent': 'tr',
                'options': {'id': 10}, 'addresses': ['10.82.10.2/24']},
               {'kind': 'vlan', 'node': c, 'name': 'v20', 'parent': 'tr', 'parent_node': a,
                'options': {'id': 20, 'protocol': '802.1ad'}, 'addresses': ['10.82.20.1/24']},
               {'kind': 'vlan', 'node': b, 'name': 'tr.20', 'parent': 'tr',
                'options': {'id': 20, 'protocol': '802.1ad'}, 'addresses': ['10.82.20.2/24']}])
    predicted = lab.run(check=True, **description)
    made = lab.run(**description)
    assert not made.get('failed'), made.get('msg')
    assert made['actions'] == predicted['actions']
    again = lab.run(**description)
    assert again['changed'] is False, again['actions']
    ping(a, '10.82.10.2')
    ping(c, '10.82.20.2')
    ping(a, '10.82.20.2', expect=False)   # another VLAN: not reachable
    facts = lab.info()
    vlans = sorted((link['node'], link['name'], link['options']['id'], link.get('parent_node'))
                   for link in facts['links'] if link.get('kind') == 'vlan')
    assert vlans == sorted([(a, 'tr.10', 10, a), (b, 'tr.10', 10, b), (c, 'v20', 20, a),
                            (b, 'tr.20', 20, b)])
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied['changed'] is False, applied['actions']
    # an id change re-creates the link in the lab too
    description['links'][1]['options']['id'] = 11
    changed = lab.run(**description)
    assert any('id cannot change in place' in action for action in changed['actions'])
    assert vlan_data(a, 'tr.10')['id'] == 11
    gone = lab.run(state='absent')
    assert not gone.get('failed') and lab.namespaces() == []


@pytest.mark.parametrize('extra, message', [
    ({'id': 4095}, 'id: 4095 is out of range; allowed 0..4094'),
    ({'id': None}, 'id: required for a new vlan'),
    ({'protocol': '802.1x'}, 'value of protocol must be one of'),
    ({'egress_qos_map': {1: 8}}, 'egress_qos_map.1: 8 is out of range; allowed 0..7'),
    ({'ingress_qos_map': {8: 1}}, 'ingress_qos_map key 8: 8 is out of range; allowed 0..7'),
    ({'ingress_qos_map': {'x': 1}}, "ingress_qos_map: key 'x' is not an integer"),
    ({'egress_qos_map': {1: True}}, 'egress_qos_map.1: True is a bool; expected an int'),
    ({'link': None}, 'link: required with state=present'),
    ({'link': 'nothere'}, 'link: parent nothere does not exist'),
    ({'mtu': 9000}, 'mtu: 9000 is above the MTU of the parent tr'),
])
def test_input_errors_change_nothing(namespaces, extra, message):
    left, right = namespaces(2)
    veth_between(left, right)
    result = run_module('vlan', dict({'name': 'v10', 'netns': left, 'link': 'tr', 'id': 10},
                                     **extra))
    assert result['failed'] and message in result['msg'], result['msg']
    assert 'v10' not in names(left)


def test_lab_input_errors_change_nothing(lab):
    a = lab.n('a')
    failed = lab.run(nodes=[{'name': a}],
                     links=[{'kind': 'vlan', 'node': a, 'name': 'v0', 'parent': 'e0',
                             'options': {'id': 'ten'}},
                            {'kind': 'dummy', 'node': a, 'name': 'e0'}])
    assert failed['failed'] and 'links[0].options.id' in failed['msg'], failed['msg']
    failed = lab.run(nodes=[{'name': a}],
                     links=[{'kind': 'vlan', 'node': a, 'name': 'v0', 'parent': 'e0'},
                            {'kind': 'dummy', 'node': a, 'name': 'e0'}])
    assert failed['failed'] and failed['msg'].startswith(
        'links[0].options.id: required for a new vlan'), failed['msg']
    assert lab.namespaces() == []


def test_check_mode_predicts_on_any_kernel(namespaces):
    left, right = namespaces(2)
    veth_between(left, right)
    result = run_module('vlan', {'name': 'v10', 'netns': right, 'link': 'tr',
                                 'link_netns': left, 'id': 10, 'protocol': '802.1ad',
                                 'mvrp': True}, check=True)
    assert result['actions'] == [
        "create vlan v10 in namespace '%s' on tr in namespace '%s' with id=10, mvrp=True, "
        "protocol=802.1ad" % (right, left)]
