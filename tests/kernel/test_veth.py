"""vnet.linux.veth on the machine's kernel, in throwaway namespaces."""

import os
import subprocess

import pytest

from conftest import ip, run_module


def link(netns, name):
    info = ip(netns, 'link', 'show', 'dev', name)[0]
    info['addr_info'] = ip(netns, 'addr', 'show', 'dev', name)[0]['addr_info']
    return info


def cidrs(info):
    return sorted('%s/%s' % (a['local'], a['prefixlen']) for a in info['addr_info']
                  if a.get('scope') != 'link')


def pair(a, b, **extra):
    args = {'name': 'va', 'netns': a, 'addresses': ['10.77.0.1/24'], 'admin_state': 'up',
            'peer': {'name': 'vb', 'netns': b, 'addresses': ['10.77.0.2/24'],
                     'admin_state': 'up'}}
    args.update(extra)
    return args


def test_create_check_idempotent_traffic_absent(namespaces):
    a, b = namespaces(2)
    args = pair(a, b)
    predicted = run_module('veth', args, check=True)
    assert predicted['changed'] and ip(a, 'link', 'show') == ip(a, 'link', 'show', 'lo')
    made = run_module('veth', args)
    assert made['actions'] == predicted['actions']
    va, vb = link(a, 'va'), link(b, 'vb')
    assert va['linkinfo']['info_kind'] == 'veth' and 'UP' in va['flags']
    assert cidrs(va) == ['10.77.0.1/24'] and cidrs(vb) == ['10.77.0.2/24']
    assert made['link']['addresses'] == ['10.77.0.1/24']
    assert made['peer']['netns'] == b
    subprocess.check_call(['ip', 'netns', 'exec', a, 'ping', '-c1', '-W2', '10.77.0.2'],
                          stdout=subprocess.DEVNULL)
    again = run_module('veth', args)
    assert again['changed'] is False and again['diff']['before'] == again['diff']['after']
    gone = run_module('veth', {'name': 'va', 'netns': a, 'state': 'absent'})
    assert gone['changed']
    assert [l['ifname'] for l in ip(b, 'link', 'show')] == ['lo']
    assert run_module('veth', {'name': 'va', 'netns': a, 'state': 'absent'})['changed'] is False


def test_every_attribute_applied_and_changed_in_place(namespaces):
    a, b = namespaces(2)
    args = pair(a, b, mtu=1400, mac_address='02:00:00:aa:00:01', txqueuelen=500,
                alias='left end')
    args['peer'].update(mac_address='02:00:00:aa:00:02', txqueuelen=600, alias='right end')
    run_module('veth', args)
    va, vb = ip(a, 'link', 'show', 'va')[0], ip(b, 'link', 'show', 'vb')[0]
    assert (va['mtu'], va['address'], va['txqlen'], va['ifalias']) == \
        (1400, '02:00:00:aa:00:01', 500, 'left end')
    assert (vb['mtu'], vb['address'], vb['txqlen'], vb['ifalias']) == \
        (1400, '02:00:00:aa:00:02', 600, 'right end'), 'peer mtu defaults to mtu'
    index_before = va['ifindex']

    changed = dict(args, mtu=9000, alias='renamed', admin_state='down')
    changed['peer'] = dict(args['peer'], mtu=1300, addresses=['10.77.0.3/24'],
                           purge_addresses=True)
    predicted = run_module('veth', changed, check=True)
    made = run_module('veth', changed)
    assert made.get('actions') == predicted['actions'], made.get('msg')
    assert not any(step.startswith('create') or step.startswith('delete')
                   for step in made['actions']), 'in place, no re-create'
    va, vb = link(a, 'va'), link(b, 'vb')
    assert va['ifindex'] == index_before
    assert (va['mtu'], va['ifalias'], 'UP' in va['flags']) == (9000, 'renamed', False)
    assert vb['mtu'] == 1300 and cidrs(vb) == ['10.77.0.3/24']
    assert run_module('veth', changed)['changed'] is False


def test_addresses_kept_unless_purged_ipv6_too(namespaces):
    a, b = namespaces(2)
    run_module('veth', pair(a, b))
    subprocess.check_call(['ip', '-n', a, 'addr', 'add', '10.99.0.1/32', 'dev', 'va'])
    args = pair(a, b, addresses=['10.77.0.1/24', '2001:db8::1/64'])
    first = run_module('veth', args)
    assert first['changed'] and '10.99.0.1/32' in first['link']['addresses']
    purge = run_module('veth', dict(args, purge_addresses=True))
    assert purge['actions'] == ["remove address 10.99.0.1/32 from veth va in namespace '%s'" % a]
    assert cidrs(link(a, 'va')) == ['10.77.0.1/24', '2001:db8::1/64']


def test_peer_in_root_namespace_created_directly(namespaces):
    a, = namespaces(1)
    peer = 'vtroot%d' % (abs(hash(a)) % 1000)
    try:
        run_module('veth', {'name': 'vr', 'netns': a, 'peer': {'name': peer}})
        assert ip(None, 'link', 'show', peer)[0]['ifname'] == peer
        assert run_module('veth', {'name': 'vr', 'netns': a,
                                   'peer': {'name': peer}})['changed'] is False
    finally:
        subprocess.call(['ip', 'link', 'del', peer], stderr=subprocess.DEVNULL)


def test_moved_peer_namespace_recreates_pair(namespaces):
    a, b, c = namespaces(3)
    run_module('veth', pair(a, b))
    moved = pair(a, c)
    result = run_module('veth', moved)
    assert result['actions'][0].startswith('delete veth va')
    assert 'its peer is not vb' in result['actions'][0]
    assert [l['ifname'] for l in ip(b, 'link', 'show')] == ['lo']
    assert link(c, 'vb')['linkinfo']['info_kind'] == 'veth'


@pytest.mark.parametrize('check', [True, False])
def test_named_end_moved_elsewhere_is_refused_saying_where_it_is(namespaces, check):
    a, b, elsewhere = namespaces(3)
    run_module('veth', pair(a, b))
    subprocess.check_call(['ip', '-n', a, 'link', 'set', 'va', 'netns', elsewhere])
    result = run_module('veth', pair(a, b), check=check)
    assert result['failed'], result
    assert "name: va is no longer in namespace '%s': it is in namespace '%s' now" % (
        a, elsewhere) in result['msg'], result['msg']
    assert 'give netns: %s' % elsewhere in result['msg']
    assert [l['ifname'] for l in ip(elsewhere, 'link', 'show')] == ['lo', 'va'], 'left alone'
    assert [l['ifname'] for l in ip(b, 'link', 'show')] == ['lo', 'vb']


def test_peer_moved_elsewhere_is_named_in_the_plan(namespaces):
    a, b, elsewhere = namespaces(3)
    run_module('veth', pair(a, b))
    subprocess.check_call(['ip', '-n', b, 'link', 'set', 'vb', 'netns', elsewhere])
    result = run_module('veth', pair(a, b), check=True)
    assert result['actions'][0].startswith(
        "delete veth va in namespace '%s' (its peer is not vb in namespace '%s' but vb in "
        "namespace '%s')" % (a, b, elsewhere)), result['actions']


def test_peer_name_taken_by_another_pair_is_reported_not_duplicated(namespaces):
    a, b, c = namespaces(3)
    run_module('veth', {'name': 'other', 'netns': c, 'peer': {'name': 'vb', 'netns': b}})
    result = run_module('veth', pair(a, b))
    assert result['failed'] and 'another veth pair' in result['msg']
    assert "whose other end is other in namespace '%s', not va" % c in result['msg']
    assert [l['ifname'] for l in ip(a, 'link', 'show')] == ['lo'], 'nothing was created'


def test_existing_non_veth_is_left_alone(namespaces):
    a, b = namespaces(2)
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'va', 'type', 'bridge'])
    result = run_module('veth', pair(a, b))
    assert result['failed'] and 'is a bridge, not a veth' in result['msg']
    assert ip(a, 'link', 'show', 'va')[0]['ifname'] == 'va'


@pytest.mark.parametrize('state', ['present', 'absent'])
def test_a_device_without_kind_is_named_so(namespaces, state):
    """lo (like a physical NIC) has no link kind: the refusal says so."""
    a, b = namespaces(2)
    result = run_module('veth', pair(a, b, name='lo', state=state))
    assert result['failed'], result
    assert "lo in namespace '%s' exists but is a device without kind, not a veth" % a \
        in result['msg'], result['msg']
    assert 'None' not in result['msg']
    assert [l['ifname'] for l in ip(b, 'link', 'show')] == ['lo']


def test_peer_name_taken_by_a_device_without_kind(namespaces):
    a, b = namespaces(2)
    result = run_module('veth', pair(a, b, peer={'name': 'lo', 'netns': b}))
    assert result['failed'] and 'as a device without kind' in result['msg'], result['msg']


@pytest.mark.parametrize('check', [True, False])
def test_a_master_that_cannot_take_ports_is_named_before_changes(namespaces, check):
    """The kernel answers EOPNOTSUPP ("a missing kernel module?"): the run
    says instead what the master is, and changes nothing."""
    a, b = namespaces(2)
    run_module('veth', {'name': 'x1', 'netns': b, 'peer': {'name': 'x2', 'netns': b}})
    result = run_module('veth', pair(a, b, peer={'name': 'vb', 'netns': b, 'master': 'x1'}),
                        check=check)
    assert result['failed'], result
    assert "master of veth vb in namespace '%s': x1 is a veth, which cannot take ports" % b \
        in result['msg'], result['msg']
    assert 'a bridge, a bond, a team' in result['msg'] and 'kernel module' not in result['msg']
    assert [l['ifname'] for l in ip(a, 'link', 'show')] == ['lo'], 'nothing was created'
    lo_master = run_module('veth', pair(a, b, master='lo'), check=check)
    assert 'lo is a device without kind, which cannot take ports' in lo_master['msg']


def test_check_mode_with_namespaces_from_earlier_tasks(namespaces):
    a, b = namespaces(2, create=False)
    result = run_module('veth', pair(a, b), check=True)
    assert result['changed'] is True
    assert 'does not exist yet' in str(result['warnings'])
    real = run_module('veth', pair(a, b))
    assert real['failed'] and 'does not exist; create it first' in real['msg']


@pytest.mark.parametrize('change, field, rule', [
    ({'name': 'x' * 16}, 'name', '15 bytes'),
    ({'name': 'a/b'}, 'name', '"/"'),
    ({'netns': 'a b'}, 'netns', 'whitespace'),
    ({'mac_address': '02:00:00:00:00'}, 'mac_address', 'not a MAC'),
    ({'mac_address': '01:00:5e:00:00:01'}, 'mac_address', 'multicast'),
    ({'addresses': ['10.0.0.1']}, 'addresses[0]', 'prefix length'),
    ({'addresses': ['10.0.0.300/24']}, 'addresses[0]', 'not a valid'),
    ({'mtu': 20}, 'mtu', 'out of range'),
])
def test_bad_input_names_field_and_changes_nothing(namespaces, change, field, rule):
    a, b = namespaces(2)
    result = run_module('veth', pair(a, b, **change))
    assert result['failed'] and result['msg'].startswith(field + ':'), result['msg']
    assert rule in result['msg']
    assert [l['ifname'] for l in ip(a, 'link', 'show')] == ['lo']


def test_bad_peer_input(namespaces):
    a, b = namespaces(2)
    args = pair(a, b)
    args['peer']['addresses'] = ['nonsense/8']
    result = run_module('veth', args)
    assert result['failed'] and result['msg'].startswith('peer.addresses[0]:')


def test_failure_half_way_undoes_own_steps(namespaces):
    a, b = namespaces(2)
    args = pair(a, b)
    args['peer']['master'] = 'nobridge'  # fails after the pair was created
    result = run_module('veth', args)
    assert result['failed'] and 'undone' in result['msg']
    assert [l['ifname'] for l in ip(a, 'link', 'show')] == ['lo']
    assert [l['ifname'] for l in ip(b, 'link', 'show')] == ['lo']


def test_topology_names_where_a_moved_peer_is(lab_name):
    a, b, c = lab_name + 'a', lab_name + 'b', lab_name + 'c'
    lab = dict(lab=lab_name, nodes=[{'name': a}, {'name': b}, {'name': c}],
               links=[{'endpoints': [{'node': a, 'name': 'ea'}, {'node': b, 'name': 'eb'}]}])
    assert not run_module('topology', lab).get('failed')
    subprocess.check_call(['ip', '-n', a, 'link', 'set', 'dev', 'ea', 'netns', c])
    result = run_module('topology', lab, check=True)
    assert result['actions'][0].startswith(
        "delete veth eb in node %s (its peer is not ea in node %s but ea in namespace %s)"
        % (b, a, c)), result['actions']


def test_a_namespace_removed_meanwhile_has_no_id(namespaces):
    """Another run may remove a namespace while this one reads (facts, the
    search for a moved veth end): it has no id then, and the read goes on."""
    from ansible_collections.vnet.linux.plugins.module_utils._netlink.fast import SessionPool
    from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import Session
    a, gone, unmounted = namespaces(3, create=False)
    subprocess.check_call(['ip', 'netns', 'add', a])
    # what another run's namespace is before it is mounted: an empty file
    placeholder = os.path.join('/run/netns', unmounted)
    open(placeholder, 'w').close()
    session, kernel = Session(a), SessionPool()
    try:
        for other in (gone, unmounted):
            assert session.nsid_of(other) is None
            assert kernel.session(a).nsid_of(other) is None
    finally:
        session.close()
        kernel.close()
        os.unlink(placeholder)
