"""vnet.linux.macvlan on the machine's kernel, in throwaway namespaces.

The parent is always a veth end inside a namespace the test creates; the
host's own interfaces are never used.
"""

import os
import subprocess

import pytest

from conftest import ip, run_module, unique_name

MODES = ['private', 'vepa', 'bridge', 'passthru', 'source']


def parent_in(netns, name='par'):
    """A veth end with carrier (its peer is up too), as the parent."""
    result = run_module('veth', {'name': name, 'netns': netns, 'admin_state': 'up',
                                 'peer': {'name': name + 'x', 'netns': netns,
                                          'admin_state': 'up'}})
    assert not result.get('failed'), result


def show(netns, name='mv0'):
    return ip(netns, 'link', 'show', name)[0]


def data(netns, name='mv0'):
    return show(netns, name)['linkinfo']['info_data']


def exactly(args):
    """Check mode, then the real run makes exactly the predicted actions,
    then a second run changes nothing."""
    predicted = run_module('macvlan', args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module('macvlan', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    again = run_module('macvlan', args)
    assert again['changed'] is False and again['actions'] == []
    assert again['diff']['before'] == again['diff']['after']
    return made


def warned(result, text):
    """True if the module warned `text` (conftest.run_module keeps module
    warnings in the result)."""
    return text in str(result.get('warnings'))


@pytest.mark.parametrize('mode', MODES)
def test_every_mode_on_a_parent_in_another_namespace(namespaces, mode):
    host, node = namespaces(2)
    parent_in(host)
    args = {'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host, 'mode': mode}
    made = exactly(args)
    assert made['link']['options']['mode'] == mode
    assert (made['link']['link'], made['link']['link_netns']) == ('par', host)
    assert data(node)['mode'] == mode
    assert show(node)['link_netnsid'] is not None, 'the parent lives in another namespace'
    assert [link['ifname'] for link in ip(host, 'link', 'show')] == ['lo', 'parx', 'par']


def test_every_option_applied_then_changed_in_place(namespaces):
    host, node = namespaces(2)
    parent_in(host)
    args = {'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host,
            'mode': 'source', 'bcqueuelen': 200,
            'source_macs': ['02:00:00:00:0a:02', '02:00:00:00:0A:01'],
            'mtu': 1400, 'mac_address': '02:00:00:00:0b:01', 'txqueuelen': 700,
            'alias': 'lab nic', 'addresses': ['10.60.0.1/24', '2001:db8:60::1/64'],
            'admin_state': 'up'}
    made = exactly(args)
    link = show(node)
    assert (link['mtu'], link['address'], link['txqlen'], link['ifalias']) == \
        (1400, '02:00:00:00:0b:01', 700, 'lab nic')
    assert 'UP' in link['flags']
    witness = data(node)
    assert (witness['mode'], witness['bcqueuelen']) == ('source', 200)
    assert sorted(witness['macaddr_data']) == ['02:00:00:00:0a:01', '02:00:00:00:0a:02']
    assert made['link']['options'] == {'mode': 'source', 'bcqueuelen': 200,
                                       'source_macs': ['02:00:00:00:0a:01', '02:00:00:00:0a:02']}
    addresses = [a['local'] for a in ip(node, 'addr', 'show', 'mv0')[0]['addr_info']]
    assert '10.60.0.1' in addresses and '2001:db8:60::1' in addresses

    index = link['ifindex']
    fewer = dict(args, source_macs=['02:00:00:00:0a:03'])
    result = run_module('macvlan', fewer)
    assert result['actions'] == ["set source_macs=['02:00:00:00:0a:03'] on macvlan mv0 in "
                                 "namespace '%s'" % node]
    assert data(node)['macaddr_data'] == ['02:00:00:00:0a:03']
    bridge = dict(args, mode='bridge', source_macs=None, bcqueuelen=300, mtu=1300)
    predicted = run_module('macvlan', bridge, check=True)
    result = run_module('macvlan', bridge)
    assert result['actions'] == predicted['actions'] and len(result['actions']) == 2
    assert (data(node)['mode'], data(node)['bcqueuelen'], show(node)['mtu']) == \
        ('bridge', 300, 1300)
    assert show(node)['ifindex'] == index, 'changed in place'
    assert result['diff']['before']['link']['options']['mode'] == 'source'
    assert result['diff']['after']['link']['options']['mode'] == 'bridge'


def test_passthru_switch_and_parent_change_recreate(namespaces):
    host, node = namespaces(2)
    parent_in(host, 'par')
    parent_in(host, 'other')
    args = {'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host, 'mode': 'bridge',
            'addresses': ['10.61.0.1/24']}
    exactly(args)
    index = show(node)['ifindex']
    passthru = dict(args, mode='passthru')
    predicted = run_module('macvlan', passthru, check=True)
    result = run_module('macvlan', passthru)
    assert result['actions'] == predicted['actions']
    assert result['actions'][0] == ("delete macvlan mv0 in namespace '%s' (mode bridge -> "
                                    "passthru cannot change in place)" % node)
    assert data(node)['mode'] == 'passthru'
    moved = dict(args, link='other')
    result = run_module('macvlan', moved)
    # another parent: the new link is built first, under a temporary name
    temporary = result['actions'][0].split(' as ')[-1].split()[0]
    assert result['actions'][0].startswith(
        "create macvlan mv0 in namespace '%s' on other in namespace '%s'" % (node, host))
    assert result['actions'][1].startswith(
        "delete macvlan mv0 in namespace '%s' (its parent is not other in namespace '%s'"
        % (node, host))
    assert result['actions'][2] == "rename %s to mv0 in namespace '%s'" % (temporary, node)
    assert result['link']['link'] == 'other' and data(node)['mode'] == 'bridge'
    assert show(node)['ifindex'] != index or show(node)['link_index'] != index
    assert ip(node, 'addr', 'show', 'mv0')[0]['addr_info'][0]['local'] == '10.61.0.1'
    assert run_module('macvlan', moved)['changed'] is False


def test_recreate_keeps_settings_and_addresses_not_given(namespaces):
    host, node = namespaces(2)
    parent_in(host, 'par')
    parent_in(host, 'other')
    exactly({'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host,
             'mode': 'private', 'bcqueuelen': 77, 'mtu': 1300, 'alias': 'kept',
             'addresses': ['10.64.0.1/24'], 'admin_state': 'up'})
    moved = {'name': 'mv0', 'netns': node, 'link': 'other', 'link_netns': host}
    predicted = run_module('macvlan', moved, check=True)
    result = run_module('macvlan', moved)
    assert result['actions'] == predicted['actions']
    assert result['actions'][1].startswith('delete macvlan mv0')
    link = show(node)
    assert (data(node)['mode'], data(node)['bcqueuelen'], link['mtu'], link['ifalias'],
            'UP' in link['flags']) == ('private', 77, 1300, 'kept', True)
    assert ip(node, 'addr', 'show', 'mv0')[0]['addr_info'][0]['local'] == '10.64.0.1'
    assert run_module('macvlan', moved)['changed'] is False


def test_parent_in_the_same_namespace(namespaces):
    node, = namespaces(1)
    parent_in(node)
    made = exactly({'name': 'mv0', 'netns': node, 'link': 'par', 'mode': 'private'})
    assert (made['link']['link'], made['link']['link_netns']) == ('par', node)
    assert 'link_netnsid' not in show(node)


def test_bridge_mode_macvlans_in_two_namespaces_talk(namespaces):
    host, one, two = namespaces(3)
    parent_in(host)
    for netns, address in ((one, '10.62.0.1/24'), (two, '10.62.0.2/24')):
        exactly({'name': 'mv', 'netns': netns, 'link': 'par', 'link_netns': host,
                 'mode': 'bridge', 'addresses': [address], 'admin_state': 'up'})
    # a few tries: the first ARP exchange may race with the links coming up
    assert any(subprocess.call(['ip', 'netns', 'exec', one, 'ping', '-c1', '-W2', '10.62.0.2'],
                               stdout=subprocess.DEVNULL) == 0 for _attempt in range(3))


def test_absent(namespaces):
    host, node = namespaces(2)
    parent_in(host)
    exactly({'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host})
    gone = {'name': 'mv0', 'netns': node, 'state': 'absent'}
    predicted = run_module('macvlan', gone, check=True)
    result = run_module('macvlan', gone)
    assert result['actions'] == predicted['actions'] == \
        ["delete macvlan mv0 in namespace '%s'" % node]
    assert [link['ifname'] for link in ip(node, 'link', 'show')] == ['lo']
    assert run_module('macvlan', gone)['changed'] is False


def test_a_link_of_another_kind_is_left_alone(namespaces):
    node, = namespaces(1)
    parent_in(node)
    result = run_module('macvlan', {'name': 'parx', 'netns': node, 'link': 'par'})
    assert result['failed'] and 'is a veth, not a macvlan' in result['msg']


@pytest.mark.parametrize('extra, message', [
    ({'mode': 'bridge', 'source_macs': ['02:00:00:00:00:01']}, 'only used in mode source'),
    ({'mode': 'source', 'source_macs': ['01:00:5e:00:00:01']}, 'multicast'),
    ({'mode': 'source', 'source_macs': ['02:00:00:00:00:01', '02-00-00-00-00-01']},
     'listed twice'),
    ({'mode': 'sideways'}, 'value of mode must be one of'),
    ({'link': None}, 'link: required with state=present'),
    ({'link': 'mv0'}, 'cannot be its own parent'),
    ({'link': 'nothere'}, 'link: parent nothere does not exist'),
    ({'bcqueuelen': -1}, 'bcqueuelen: -1 is out of range'),
])
def test_input_errors_change_nothing(namespaces, extra, message):
    node, = namespaces(1)
    parent_in(node)
    args = dict({'name': 'mv0', 'netns': node, 'link': 'par'}, **extra)
    result = run_module('macvlan', args)
    assert result['failed'] and message in result['msg'], result['msg']
    assert 'mv0' not in [link['ifname'] for link in ip(node, 'link', 'show')]


def test_parent_found_elsewhere_is_named_in_the_error(namespaces):
    host, node = namespaces(2)
    parent_in(host)
    result = run_module('macvlan', {'name': 'mv0', 'netns': node, 'link': 'par'})
    assert result['failed'] and "It exists in namespace '%s'" % host in result['msg']
    assert 'set link_netns' in result['msg']


def test_check_mode_with_parent_and_namespaces_an_earlier_task_makes(namespaces):
    host, node = namespaces(2, create=False)
    args = {'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host, 'mode': 'vepa'}
    predicted = run_module('macvlan', args, check=True)
    assert predicted['changed'] and not predicted.get('failed')
    assert predicted['actions'] == [
        "create macvlan mv0 in namespace '%s' on par in namespace '%s' with mode=vepa"
        % (node, host)]
    assert warned(predicted, 'does not exist yet'), predicted
    real = run_module('macvlan', args)
    assert real['failed'] and "namespace '%s' does not exist" % node in real['msg']

    subprocess.check_call(['ip', 'netns', 'add', host])
    subprocess.check_call(['ip', 'netns', 'add', node])
    predicted = run_module('macvlan', args, check=True)
    assert warned(predicted, 'parent par does not exist in namespace')
    real = run_module('macvlan', args)
    assert real['failed'] and "link: parent par does not exist in namespace '%s'" % host \
        in real['msg']


def test_a_failing_step_undoes_the_steps_before_it(namespaces):
    host, node = namespaces(2)
    parent_in(host)
    result = run_module('macvlan', {'name': 'mv0', 'netns': node, 'link': 'par',
                                    'link_netns': host, 'master': 'nobridge'})
    assert result['failed']
    assert "link 'nobridge' is missing" in result['msg']
    assert "undone: create macvlan mv0 in namespace '%s'" % node in result['msg']
    assert [link['ifname'] for link in ip(node, 'link', 'show')] == ['lo']


def test_enslaved_to_a_bridge_in_its_namespace(namespaces):
    host, node = namespaces(2)
    parent_in(host)
    assert not run_module('bridge', {'name': 'br0', 'netns': node}).get('failed')
    made = exactly({'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host,
                    'master': 'br0', 'admin_state': 'up'})
    assert made['link']['master'] == 'br0' and show(node)['master'] == 'br0'


# --- issue 9: nothing lost, rules on the kernel's state, the root namespace ---

def names_in(netns):
    return [link['ifname'] for link in ip(netns, 'link', 'show')]


def test_passthru_beside_a_sibling_is_refused_before_anything_changes(namespaces):
    """The kernel refuses a passthru macvlan beside another one (EINVAL);
    the old link used to be deleted first, and the run reported
    changed: false."""
    host, node = namespaces(2)
    parent_in(host)
    args = {'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host, 'mode': 'bridge',
            'addresses': ['10.65.0.1/24']}
    exactly(args)
    exactly({'name': 'mv1', 'netns': host, 'link': 'par', 'mode': 'bridge'})
    index = show(node)['ifindex']
    for check in (True, False):
        result = run_module('macvlan', dict(args, mode='passthru'), check=check)
        assert result['failed'], result
        assert "macvlan mv1 in namespace '%s'" % host in result['msg'], result['msg']
        assert 'nothing was changed' in result['msg']
    assert show(node)['ifindex'] == index and data(node)['mode'] == 'bridge'
    assert ip(node, 'addr', 'show', 'mv0')[0]['addr_info'][0]['local'] == '10.65.0.1'


def test_a_failed_delete_first_recreate_brings_the_old_link_back(namespaces):
    """A switch to passthru must delete the old link first; when a later
    step fails, the undo builds the old link again as it was."""
    host, node = namespaces(2)
    parent_in(host)
    assert not run_module('bridge', {'name': 'br0', 'netns': node}).get('failed')
    args = {'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host, 'mode': 'bridge',
            'bcqueuelen': 55, 'mtu': 1400, 'mac_address': '02:00:00:00:66:01',
            'txqueuelen': 321, 'alias': 'keep me', 'master': 'br0', 'admin_state': 'up',
            'addresses': ['10.66.0.1/24', '2001:db8:66::1/64']}
    exactly(args)
    before = show(node)
    result = run_module('macvlan', dict(args, mode='passthru', master='nobridge',
                                        mac_address=None))
    assert result['failed'] and "link 'nobridge' is missing" in result['msg'], result['msg']
    undone = result['msg'].split('undone: ')[1].split('; could not undo')[0]
    assert 'delete macvlan mv0' in undone, result['msg']
    after = show(node)
    for key in ('mtu', 'address', 'txqlen', 'ifalias', 'master', 'flags', 'link_netnsid'):
        assert after.get(key) == before.get(key), key
    assert (data(node)['mode'], data(node)['bcqueuelen']) == ('bridge', 55)
    addresses = [a['local'] for a in ip(node, 'addr', 'show', 'mv0')[0]['addr_info']]
    assert '10.66.0.1' in addresses and '2001:db8:66::1' in addresses
    assert run_module('macvlan', args)['changed'] is False


def test_another_parent_is_built_before_the_old_link_goes(namespaces):
    """A parent the kernel refuses (a bridge port: EBUSY) leaves the old
    link untouched: the new one is built first, under a temporary name."""
    host, node = namespaces(2)
    parent_in(host, 'par')
    parent_in(host, 'other')
    assert not run_module('bridge', {'name': 'brh', 'netns': host,
                                     'ports': [{'name': 'other'}]}).get('failed')
    args = {'name': 'mv0', 'netns': node, 'link': 'par', 'link_netns': host, 'mode': 'bridge',
            'admin_state': 'up'}
    exactly(args)
    index = show(node)['ifindex']
    result = run_module('macvlan', dict(args, link='other'))
    assert result['failed'] and 'busy' in result['msg'], result['msg']
    assert show(node)['ifindex'] == index and 'UP' in show(node)['flags']
    assert names_in(node) == ['lo', 'mv0']


def test_a_macvlan_on_a_macvlan_is_refused(namespaces):
    """The kernel would stack it on the lower macvlan's own parent, and
    every later run would fail its verification."""
    node, = namespaces(1)
    parent_in(node)
    exactly({'name': 'mv0', 'netns': node, 'link': 'par', 'mode': 'bridge'})
    for module in ('macvlan', 'macvtap'):
        result = run_module(module, {'name': 'mv1', 'netns': node, 'link': 'mv0'})
        assert result['failed'] and 'link: mv0' in result['msg'], result['msg']
        assert 'is a macvlan' in result['msg']
    assert names_in(node) == ['lo', 'parx', 'par', 'mv0']


def test_an_mtu_above_the_parents_names_the_field_and_the_limit(namespaces):
    node, = namespaces(1)
    parent_in(node)
    subprocess.check_call(['ip', '-n', node, 'link', 'set', 'par', 'mtu', '1400'])
    result = run_module('macvlan', {'name': 'mv0', 'netns': node, 'link': 'par', 'mtu': 1500})
    assert result['failed'] and result['msg'].startswith('mtu: 1500 is above the MTU of the '
                                                         'parent par'), result['msg']
    assert '(1400)' in result['msg']
    assert 'mv0' not in names_in(node)
    exactly({'name': 'mv0', 'netns': node, 'link': 'par', 'mtu': 1300})
    result = run_module('macvlan', {'name': 'mv0', 'netns': node, 'link': 'par', 'mtu': 9000})
    assert result['failed'] and result['msg'].startswith('mtu: 9000'), result['msg']
    assert show(node)['mtu'] == 1300


def test_a_kernel_refusal_of_a_create_names_the_mtu(namespaces):
    """The kernel's own refusal still says which values the request sent
    (here: the parent is not known in check mode, so nothing is checked
    before; the real run's create step names mtu)."""
    node, = namespaces(1)
    parent_in(node)
    predicted = run_module('macvlan', {'name': 'mv0', 'netns': node, 'link': 'par',
                                       'mtu': 1400}, check=True)
    assert predicted['actions'] == [
        "create macvlan mv0 in namespace '%s' on par in namespace '%s' with mtu=1400"
        % (node, node)]


@pytest.fixture
def root_parent(namespaces):
    """A veth end of the test's own in the root namespace (never the
    machine's NIC), its peer in a test namespace: removing that namespace
    removes both ends."""
    other, = namespaces(1)
    name = unique_name('r')
    result = run_module('veth', {'name': name, 'admin_state': 'up',
                                 'peer': {'name': 'rp0', 'netns': other, 'admin_state': 'up'}})
    assert not result.get('failed'), result
    yield name
    subprocess.call(['ip', 'link', 'del', name], stderr=subprocess.DEVNULL)


def test_the_root_namespace_as_the_parents_namespace(namespaces, root_parent):
    """link_netns: "" names the root namespace (omitted, the parent is
    looked for in the link's own namespace)."""
    node, = namespaces(1)
    args = {'name': 'mv0', 'netns': node, 'link': root_parent, 'link_netns': '',
            'mode': 'bridge'}
    made = exactly(args)
    assert (made['link']['link'], made['link']['link_netns']) == (root_parent, None)
    assert show(node)['link_netnsid'] is not None
    missing = run_module('macvlan', dict(args, link_netns=None, name='mv1'))
    assert missing['failed'] and 'It exists in the root namespace' in missing['msg']
    assert 'link_netns' in missing['msg'] and '""' in missing['msg']


def test_passthru_on_a_protected_parent_needs_allow_disruptive(root_parent, monkeypatch):
    """A passthru macvlan takes its parent over: the lock-out guard applies."""
    subprocess.check_call(['ip', 'addr', 'add', '198.51.100.9/32', 'dev', root_parent])
    monkeypatch.setenv('SSH_CONNECTION', '203.0.113.9 50000 198.51.100.9 22')
    # in the root namespace too (deleted with its parent by the fixture)
    name = unique_name('m')
    args = {'name': name, 'link': root_parent, 'mode': 'passthru'}
    for check in (True, False):
        refused = run_module('macvlan', args, check=check)
        assert refused['failed'], refused
        assert 'refusing to let passthru macvlan %s' % name in refused['msg'], refused['msg']
        assert root_parent in refused['msg'] and 'allow_disruptive' in refused['msg']
    assert not os.path.exists('/sys/class/net/' + name)
    allowed = run_module('macvlan', dict(args, allow_disruptive=True))
    assert allowed['changed'] and not allowed.get('failed'), allowed
    assert data(None, name)['mode'] == 'passthru'


# --- the same rules in a topology -------------------------------------------

def two_macvlans(lab, mode='bridge', extra_links=(), routes=()):
    host, one = lab.n('h'), lab.n('a')
    return dict(
        nodes=[{'name': host}, {'name': one, 'routes': list(routes)}],
        links=[{'endpoints': [{'node': host, 'name': 'e0'}, {'node': one, 'name': 'e1'}]},
               {'kind': 'macvlan', 'node': one, 'name': 'mv0', 'parent': 'e0',
                'parent_node': host, 'mode': mode, 'addresses': ['10.67.0.1/24']}]
        + list(extra_links))


def test_topology_passthru_beside_a_sibling_is_refused(lab):
    host, one = lab.n('h'), lab.n('a')
    sibling = {'kind': 'macvlan', 'node': host, 'name': 'mv1', 'parent': 'e0', 'mode': 'bridge'}
    made = lab.run(**two_macvlans(lab, extra_links=[sibling]))
    assert not made.get('failed'), made.get('msg')
    index = ip(one, 'link', 'show', 'mv0')[0]['ifindex']
    for check in (True, False):
        passthru = two_macvlans(lab, mode='passthru', extra_links=[sibling])
        refused = lab.run(check=check, **passthru)
        assert refused['failed'] and 'macvlan mv1 in node %s' % host in refused['msg'], refused
    # a sibling outside the lab's description is found in the kernel
    subprocess.check_call(['ip', '-n', host, 'link', 'add', 'mv9', 'link', 'e0', 'type',
                           'macvlan'])
    refused = lab.run(**two_macvlans(lab, mode='passthru'))
    assert refused['failed'] and "macvlan mv9 in namespace '%s'" % host in refused['msg'], \
        refused['msg']
    assert ip(one, 'link', 'show', 'mv0')[0]['ifindex'] == index
    assert data(one)['mode'] == 'bridge'


def test_topology_failed_recreate_brings_the_old_macvlan_back(lab):
    one = lab.n('a')
    assert not lab.run(**two_macvlans(lab)).get('failed')
    # the switch to passthru deletes mv0 first; the route step then fails
    unreachable = {'dst': '10.68.0.0/24', 'via': '10.250.0.1'}
    failed = lab.run(**two_macvlans(lab, mode='passthru', routes=[unreachable]))
    assert failed['failed'] and 'undone' in failed['msg'], failed['msg']
    assert 'delete macvlan mv0' in failed['msg'].split('undone: ')[1]
    assert data(one)['mode'] == 'bridge'
    assert ip(one, 'addr', 'show', 'mv0')[0]['addr_info'][0]['local'] == '10.67.0.1'
    assert lab.run(**two_macvlans(lab))['changed'] is False


def test_topology_parent_rules(lab):
    host = lab.n('h')
    on_macvlan = {'kind': 'macvtap', 'node': host, 'name': 'mvt1', 'parent': 'mv0',
                  'parent_node': lab.n('a')}
    refused = lab.run(**two_macvlans(lab, extra_links=[on_macvlan]))
    assert refused['failed'] and refused['msg'].startswith('links[2].parent: mv0 in node')
    assert 'is a macvlan' in refused['msg']
    assert lab.namespaces() == []
    description = two_macvlans(lab)
    description['links'][0]['endpoints'][0]['mtu'] = 1400
    description['links'][1]['mtu'] = 1500
    refused = lab.run(**description)
    assert refused['failed'] and refused['msg'].startswith(
        'links[1].mtu: 1500 is above the MTU of the parent e0 in node %s (1400)' % host), \
        refused['msg']


def test_topology_parent_in_the_root_namespace(lab):
    """A root node names the root namespace; the parent is a veth end of the
    test's own there (never the machine's NIC), removed with the lab."""
    root_end, one = unique_name('r'), lab.n('a')
    description = dict(
        nodes=[{'name': lab.n('root'), 'root': True}, {'name': one}],
        links=[{'endpoints': [{'node': lab.n('root'), 'name': root_end},
                              {'node': one, 'name': 'e1'}]},
               {'kind': 'macvlan', 'node': one, 'name': 'mv0', 'parent': root_end,
                'parent_node': lab.n('root'), 'mode': 'bridge'}])
    try:
        made = lab.run(**description)
        assert not made.get('failed'), made.get('msg')
        assert show(one)['link_netnsid'] is not None
        assert lab.run(**description)['changed'] is False
    finally:
        subprocess.call(['ip', 'link', 'del', root_end], stderr=subprocess.DEVNULL)


def test_topology_passthru_on_a_protected_parent_needs_allow_disruptive(lab, monkeypatch):
    root_end, one = unique_name('r'), lab.n('a')

    def description(mode):
        return dict(
            nodes=[{'name': lab.n('root'), 'root': True}, {'name': one}],
            links=[{'endpoints': [{'node': lab.n('root'), 'name': root_end},
                                  {'node': one, 'name': 'e1'}]},
                   {'kind': 'macvlan', 'node': one, 'name': 'mv0', 'parent': root_end,
                    'parent_node': lab.n('root'), 'mode': mode}])
    try:
        assert not lab.run(**description('bridge')).get('failed')
        subprocess.check_call(['ip', 'addr', 'add', '198.51.100.11/32', 'dev', root_end])
        monkeypatch.setenv('SSH_CONNECTION', '203.0.113.9 50000 198.51.100.11 22')
        for check in (True, False):
            refused = lab.run(check=check, **description('passthru'))
            assert refused['failed'] and 'refusing to let passthru macvlan mv0 in node %s take ' \
                'over %s' % (one, root_end) in refused['msg'], refused['msg']
        assert data(one)['mode'] == 'bridge'
        allowed = lab.run(allow_disruptive=True, **description('passthru'))
        assert not allowed.get('failed'), allowed['msg']
        assert data(one)['mode'] == 'passthru'
    finally:
        subprocess.call(['ip', 'link', 'del', root_end], stderr=subprocess.DEVNULL)
