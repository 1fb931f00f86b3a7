"""vnet.linux.macvlan on the machine's kernel, in throwaway namespaces.

The parent is always a veth end inside a namespace the test creates; the
host's own interfaces are never used.
"""

import subprocess

import pytest

from conftest import ip, run_module

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
                                    "passthru; the kernel cannot change that in place)" % node)
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
