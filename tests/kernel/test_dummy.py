"""vnet.linux.dummy and the dummy kind of vnet.linux.topology.

The dummy kind is declared once (its spec), and reaches the kernel through
the engine every link module and the topology use. The machine's kernel has
no dummy driver: tests that create one are marked guest_kernel
(scripts/vm/pytest-in-guest.sh tests/kernel/test_dummy.py). Check mode and
input errors change nothing, so they also run here.
"""

import pytest

from conftest import ip, run_module

GUEST = pytest.mark.guest_kernel


def apply_exactly(args):
    """Check mode, real run (same actions), second run (no change)."""
    predicted = run_module('dummy', args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module('dummy', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    assert made['changed'] is True
    again = run_module('dummy', args)
    assert again['changed'] is False and again['actions'] == [], again['actions']
    return made


def link(netns, name):
    return ip(netns, 'link', 'show', name)[0]


@GUEST
def test_create_idempotent_diff_change_and_absent(namespaces):
    ns, = namespaces(1)
    args = {'name': 'dum0', 'netns': ns, 'mtu': 9000, 'mac_address': '02:00:00:00:0d:01',
            'addresses': ['10.77.0.1/32'], 'admin_state': 'up', 'alias': 'service'}
    made = apply_exactly(args)
    assert made['actions'][0] == "create dummy dum0 in namespace '%s'" % ns
    assert made['diff']['before'] == {'link': {}}
    after = made['diff']['after']['link']
    assert (after['kind'], after['mtu'], after['addresses']) == ('dummy', 9000, ['10.77.0.1/32'])
    seen = link(ns, 'dum0')
    assert (seen['linkinfo']['info_kind'], seen['mtu'], seen['address'], seen['ifalias']) == \
        ('dummy', 9000, '02:00:00:00:0d:01', 'service')
    assert 'UP' in seen['flags']
    assert made['link']['addresses'] == ['10.77.0.1/32']

    changed = apply_exactly(dict(args, mtu=1400, mac_address='02:00:00:00:0d:02'))
    assert changed['actions'] == [
        "set mac_address=02:00:00:00:0d:02, mtu=1400 on dummy dum0 in namespace '%s'" % ns]
    assert changed['diff']['before']['link']['mtu'] == 9000
    assert changed['diff']['after']['link']['mtu'] == 1400
    assert (link(ns, 'dum0')['mtu'], link(ns, 'dum0')['address']) == (1400, '02:00:00:00:0d:02')

    absent = {'name': 'dum0', 'netns': ns, 'state': 'absent'}
    predicted = run_module('dummy', absent, check=True)
    assert predicted['changed'] is True and ip(ns, 'link', 'show')[-1]['ifname'] == 'dum0'
    gone = run_module('dummy', absent)
    assert gone['actions'] == predicted['actions'] and gone['link'] == {}
    assert [entry['ifname'] for entry in ip(ns, 'link', 'show')] == ['lo']
    assert run_module('dummy', absent)['changed'] is False


@GUEST
def test_a_dummy_port_of_a_bridge(namespaces):
    ns, = namespaces(1)
    assert not run_module('bridge', {'name': 'br0', 'netns': ns, 'admin_state': 'up'}).get(
        'failed')
    made = apply_exactly({'name': 'dum1', 'netns': ns, 'master': 'br0', 'admin_state': 'up'})
    assert "attach dummy dum1 in namespace '%s' to br0" % ns in made['actions']
    assert link(ns, 'dum1')['master'] == 'br0'
    released = apply_exactly({'name': 'dum1', 'netns': ns, 'master': ''})
    assert 'master' not in link(ns, 'dum1')
    assert released['diff']['after']['link']['master'] == ''


def test_check_mode_predicts_without_a_dummy_driver(namespaces):
    ns, = namespaces(1)
    predicted = run_module('dummy', {'name': 'dum0', 'netns': ns, 'mtu': 1280,
                                     'addresses': ['10.0.0.1/32']}, check=True)
    assert predicted['changed'] is True
    assert predicted['actions'] == [
        "create dummy dum0 in namespace '%s'" % ns,
        "add address 10.0.0.1/32 to dummy dum0 in namespace '%s'" % ns]
    assert predicted['diff']['after']['link']['kind'] == 'dummy'
    assert [entry['ifname'] for entry in ip(ns, 'link', 'show')] == ['lo']


@pytest.mark.parametrize('args, message', [
    ({'mtu': 20}, 'mtu: 20 is out of range'),
    ({'mac_address': '01:00:00:00:00:01'}, 'multicast'),
    ({'addresses': ['10.0.0.1']}, 'addresses[0]'),
])
def test_input_errors_change_nothing(namespaces, args, message):
    ns, = namespaces(1)
    failed = run_module('dummy', dict(args, name='dum0', netns=ns))
    assert failed.get('failed') and message in failed['msg'], failed
    assert [entry['ifname'] for entry in ip(ns, 'link', 'show')] == ['lo']


def test_another_kind_of_the_same_name_is_left_alone(namespaces):
    ns, = namespaces(1)
    assert not run_module('veth', {'name': 'dum0', 'netns': ns,
                                   'peer': {'name': 'dum0p'}}).get('failed')
    failed = run_module('dummy', {'name': 'dum0', 'netns': ns, 'state': 'absent'})
    assert failed.get('failed') and 'is a veth, not a dummy' in failed['msg'], failed
    assert link(ns, 'dum0')['linkinfo']['info_kind'] == 'veth'


# --- the topology's dummy kind ----------------------------------------------------

@GUEST
def test_topology_dummies_as_bridge_and_bond_ports_and_the_facts_round_trip(lab):
    h = lab.n('h')
    description = dict(
        nodes=[{'name': h}],
        bridges=[{'name': 'br0', 'node': h, 'stp': False, 'addresses': ['10.5.0.1/24']}],
        links=[
            # the bond is listed before its dummy ports: the model orders them
            {'kind': 'bond', 'node': h, 'name': 'bond0', 'mode': 'active-backup',
             'ports': ['d1', 'd2'], 'options': {'miimon': 100}},
            {'kind': 'dummy', 'node': h, 'name': 'd0', 'bridge': 'br0', 'mtu': 1400},
            {'kind': 'dummy', 'node': h, 'name': 'd1'},
            {'kind': 'dummy', 'node': h, 'name': 'd2'},
            {'kind': 'dummy', 'node': h, 'name': 'svc', 'addresses': ['10.255.0.9/32'],
             'mac_address': '02:00:00:00:0d:09'},
        ])
    predicted = lab.run(check=True, **description)
    assert predicted.get('failed') is None, predicted.get('msg')
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert 'create dummy d0 in node %s' % h in made['actions']
    assert (link(h, 'd0')['master'], link(h, 'd0')['mtu']) == ('br0', 1400)
    assert link(h, 'd1')['master'] == link(h, 'd2')['master'] == 'bond0'
    svc = link(h, 'svc')
    assert (svc['linkinfo']['info_kind'], svc['address'], svc['ifalias']) == \
        ('dummy', '02:00:00:00:0d:09', 'vnet:' + lab.name)
    assert lab.run(**description)['changed'] is False

    facts = lab.info()
    dummies = sorted((entry['name'], entry.get('bridge')) for entry in facts['links']
                     if entry.get('kind') == 'dummy')
    assert dummies == [('d0', 'br0'), ('d1', None), ('d2', None), ('svc', None)]
    assert facts['other_links'] == []
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'))

    gone = run_module('topology', {'lab': lab.name, 'state': 'absent'})
    assert gone.get('failed') is None and lab.namespaces() == []
