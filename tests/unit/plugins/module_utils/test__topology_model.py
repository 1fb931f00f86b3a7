"""Input checks of the topology description: every error names its field."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._lab.model import (
    InputError,
    build,
    impairment,
)


def lab(**description):
    base = {'lab': 'demo', 'state': 'present', 'prune': False, 'nodes': [], 'bridges': [],
            'links': []}
    base.update(description)
    return build(base)


def error(**description):
    with pytest.raises(InputError) as caught:
        lab(**description)
    return str(caught.value)


def veth(a, b, **extra):
    first = dict({'node': a, 'name': 'eth0'}, **extra)
    return {'kind': 'veth', 'endpoints': [first, {'node': b, 'name': 'eth0'}]}


NODES = [{'name': 'r1'}, {'name': 'r2'}]


def test_a_full_description_is_modelled_in_dependency_order():
    model = lab(nodes=NODES + [{'name': 'sw', 'sysctls': {'net.ipv4.ip_forward': 1}}],
                bridges=[{'name': 'br0', 'node': 'sw', 'stp': False}],
                links=[{'kind': 'macvlan', 'node': 'r2', 'name': 'mv0', 'parent': 'eth0',
                        'parent_node': 'r1', 'mode': 'bridge'},
                       veth('r1', 'r2', addresses=['10.0.0.1/31']),
                       {'endpoints': [{'node': 'r1', 'name': 'e1'},
                                      {'bridge': 'br0', 'name': 'r1-p'}]}])
    assert list(model.ifaces) == [('sw', 'br0'), ('r1', 'eth0'), ('r2', 'eth0'),
                                  ('r1', 'e1'), ('sw', 'r1-p'), ('r2', 'mv0')]
    port = model.ifaces[('sw', 'r1-p')]
    assert port.master == 'br0' and port.primary          # enslaved in its create request
    assert not model.ifaces[('r1', 'e1')].primary
    assert model.ifaces[('r1', 'eth0')].addresses == ['10.0.0.1/31']
    assert model.ifaces[('r2', 'mv0')].parent == ('r1', 'eth0')
    assert model.nodes['sw'].sysctls == {
        'net.ipv4.ip_forward': ('/proc/sys/net/ipv4/ip_forward', '1')}
    assert model.mark == 'vnet:demo'


def test_unknown_node_names_the_field():
    assert error(nodes=NODES, links=[veth('r1', 'r9')]) == \
        "links[0].endpoints[1].node: unknown node 'r9' (not in nodes)"


def test_unknown_bridge_and_ambiguous_bridge():
    assert error(nodes=NODES, links=[{'endpoints': [{'node': 'r1', 'name': 'e'},
                                                    {'bridge': 'brX', 'name': 'p'}]}]) \
        == "links[0].endpoints[1].bridge: unknown bridge 'brX' (not in bridges)"
    message = error(nodes=NODES, bridges=[{'name': 'br0', 'node': 'r1'},
                                          {'name': 'br0', 'node': 'r2'}],
                    links=[{'endpoints': [{'node': 'r1', 'name': 'e'},
                                          {'bridge': 'br0', 'name': 'p'}]}])
    assert message.startswith('links[0].endpoints[1].bridge: there are bridges')


def test_names_are_checked():
    assert 'nodes[1].name' in error(nodes=[{'name': 'ok'}, {'name': 'a/b'}])
    assert 'is 16 bytes long' in error(nodes=NODES, links=[veth('r1', 'r2')] + [
        {'endpoints': [{'node': 'r1', 'name': 'x' * 16}, {'node': 'r2', 'name': 'y'}]}])
    assert error(lab='bad lab', nodes=NODES).startswith("lab: 'bad lab'")


def test_duplicates_are_refused():
    assert error(nodes=[{'name': 'a'}, {'name': 'a'}]) == \
        "nodes[1].name: node 'a' is listed twice"
    message = error(nodes=NODES, links=[veth('r1', 'r2'), veth('r1', 'r2')])
    assert message.startswith('links[1].endpoints[0].name: eth0 is already described')


def test_veth_needs_two_endpoints_and_no_single_options():
    assert error(nodes=NODES, links=[{'endpoints': [{'node': 'r1', 'name': 'e'}]}]) == \
        'links[0].endpoints: a veth link has exactly two endpoints (1 given)'
    link = veth('r1', 'r2')
    link['parent'] = 'x'
    assert error(nodes=NODES, links=[link]).startswith('links[0].parent: not an option')


def test_addresses_routes_and_sysctls():
    assert error(nodes=NODES, links=[veth('r1', 'r2', addresses=['10.0.0.1'])]) \
        .startswith('links[0].endpoints[0].addresses[0]: ')
    assert error(nodes=[{'name': 'a', 'routes': [{'dst': '10.0.0.1/8', 'via': '10.1.0.1'}]}]) \
        .startswith('nodes[0].routes[0].dst: ')
    assert error(nodes=[{'name': 'a', 'routes': [{'dst': '10.0.0.0/8'}]}]) == \
        'nodes[0].routes[0]: a route needs via (a gateway) or dev (an interface)'
    assert error(nodes=[{'name': 'a', 'routes': [{'dst': '10.0.0.0/8', 'dev': 'eth9'}]}]) \
        == 'nodes[0].routes[0].dev: eth9 is not an interface of node a'
    assert error(nodes=[{'name': 'a', 'routes': [{'dst': '2001:db8::/32',
                                                  'via': '10.0.0.1'}]}]) \
        .startswith('nodes[0].routes[0].via: ')
    assert error(nodes=[{'name': 'a', 'sysctls': {'kernel.hostname': 'x'}}]) \
        .startswith("nodes[0].sysctls: 'kernel.hostname'")
    model = lab(nodes=[{'name': 'a', 'routes': [{'dst': 'default', 'via': 'fe80::1'},
                                                {'dst': 'default', 'via': '10.0.0.1'}]}])
    assert [r.family for r in model.nodes['a'].routes] == [10, 2]
    assert model.nodes['a'].routes[0].key == (10, ('::', 0), 1024, 254)


def test_stacked_and_bond_rules():
    assert error(nodes=NODES, links=[{'kind': 'macvlan', 'node': 'r1', 'name': 'm'}]) == \
        'links[0].parent: required for a macvlan link (the lower interface)'
    assert 'not a macvlan mode' in error(nodes=NODES, links=[
        {'kind': 'macvlan', 'node': 'r1', 'name': 'm', 'parent': 'p', 'mode': 'l2'}])
    assert 'not a bond option' in error(nodes=NODES, links=[
        {'kind': 'bond', 'node': 'r1', 'name': 'b', 'options': {'nope': 1}}])
    assert error(nodes=NODES, links=[{'kind': 'bond', 'node': 'r1', 'name': 'b',
                                      'ports': ['eth7']}]) == \
        'links[0].ports[0]: eth7 is not an interface of node r1'
    model = lab(nodes=NODES, links=[
        {'kind': 'bond', 'node': 'r1', 'name': 'b', 'mode': 'active-backup',
         'ports': ['eth0'], 'options': {'miimon': 100}}, veth('r1', 'r2')])
    assert model.ifaces[('r1', 'eth0')].master == 'b'
    assert model.ifaces[('r1', 'b')].options == {'mode': 'active-backup', 'miimon': 100}


def test_teamd_configuration_comes_from_the_teamd_module():
    model = lab(nodes=NODES, links=[veth('r1', 'r2'), {
        'kind': 'team', 'node': 'r1', 'name': 'team0', 'runner': 'activebackup',
        'ports': ['eth0']}])
    team = model.ifaces[('r1', 'team0')]
    assert team.kind == 'team' and team.label() == 'team team0 in node r1'
    assert team.teamd_config['runner']['name'] == 'activebackup'
    assert list(team.teamd_config['ports']) == ['eth0']
    assert model.ifaces[('r1', 'eth0')].master == 'team0'
    assert model.deprecations == []


def test_the_former_kind_name_teamd_still_works_and_is_deprecated():
    model = lab(nodes=NODES, links=[{
        'kind': 'teamd', 'node': 'r1', 'name': 'team0', 'runner': 'lacp',
        'ports': ['eth0']}, veth('r1', 'r2')])
    team = model.ifaces[('r1', 'team0')]
    assert team.kind == 'team' and team.teamd_config['runner']['name'] == 'lacp'
    assert model.ifaces[('r1', 'eth0')].master == 'team0'
    (message, version), = model.deprecations
    assert message.startswith("links[0].kind: 'teamd' is the former name of kind 'team'")
    assert version == '2.0.0'


def test_a_runner_on_a_link_that_is_not_a_team_is_refused():
    with pytest.raises(InputError, match=r'links\[1\]\.runner: only a team link has a runner'):
        lab(nodes=NODES, links=[veth('r1', 'r2'), {
            'kind': 'bond', 'node': 'r1', 'name': 'b', 'runner': 'lacp', 'ports': ['eth0']}])


def test_absent_needs_only_the_lab_name():
    model = lab(state='absent', nodes=[{'name': 'x/y'}])
    assert model.nodes == {} and model.state == 'absent'


def test_impairment_units():
    assert impairment({'delay': '10ms', 'jitter': '500us', 'loss': '1%',
                       'rate': '10mbit'}, 'f') == \
        {'delay': 10000, 'jitter': 500, 'loss': 1.0, 'rate': 10000000}
    with pytest.raises(InputError, match='f.delay: '):
        impairment({'delay': 'soon'}, 'f')
    with pytest.raises(InputError, match='f.jitter: needs a delay'):
        impairment({'jitter': '1ms'}, 'f')


def test_bond_ports_take_prio_and_queue_id_with_the_bond_modules_rules():
    def bond(ports, mode='active-backup'):
        return {'kind': 'bond', 'node': 'r1', 'name': 'b', 'mode': mode, 'ports': ports}
    model = lab(nodes=NODES, links=[
        bond([{'name': 'eth0', 'prio': 5, 'queue_id': 1}]), veth('r1', 'r2')])
    assert model.ifaces[('r1', 'eth0')].port_options == {'prio': 5, 'queue_id': 1}
    assert model.ifaces[('r1', 'b')].ports == ['eth0']
    assert lab(nodes=NODES, links=[bond(['eth0']), veth('r1', 'r2')]).ifaces[
        ('r1', 'eth0')].port_options == {}
    for ports, message in (
            ([{'name': 'eth0', 'queue_id': 70000}],
             'links[0].ports[0].queue_id: 70000 is out of range'),
            ([{'name': 'eth0', 'prio': '5'}], "links[0].ports[0].prio: '5' is not an integer"),
            ([{'name': 'eth0', 'weight': 1}], 'links[0].ports[0].weight: not a bond port'),
            ([{'prio': 1}], 'links[0].ports[0].name: interface name must be'),
            ([['eth0']], 'links[0].ports[0]: [\'eth0\'] is not an interface name')):
        assert message in error(nodes=NODES, links=[bond(ports), veth('r1', 'r2')])
    assert 'links[0].ports: ports[].prio is only used in mode' in error(
        nodes=NODES, links=[bond([{'name': 'eth0', 'prio': 1}], mode='balance-xor'),
                            veth('r1', 'r2')])
    assert "links[0].ports[0]: {'name': 'eth0'} is not an interface name" in error(
        nodes=NODES, links=[{'kind': 'teamd', 'node': 'r1', 'name': 't',
                             'ports': [{'name': 'eth0'}]}, veth('r1', 'r2')])


# --- kind options are checked by the kind spec, as the modules check them ----

def bond(**extra):
    return dict({'kind': 'bond', 'node': 'r1', 'name': 'b'}, **extra)


def test_a_bad_choice_names_the_field_and_the_choices():
    message = error(nodes=NODES, links=[bond(options={'xmit_hash_policy': 'bogus'})])
    assert message.startswith("links[0].options.xmit_hash_policy: 'bogus' is not")
    assert 'layer2, layer3+4' in message
    assert error(nodes=NODES, links=[bond(mode='fast')]).startswith("links[0].mode: 'fast'")


def test_bond_options_that_do_not_fit_the_mode_are_refused():
    assert error(nodes=NODES, links=[bond(mode='balance-rr', options={'lacp_rate': 'fast'})]) \
        == 'links[0].options.lacp_rate is only used in mode 802.3ad, not in mode balance-rr'
    assert error(nodes=NODES, links=[bond(mode='802.3ad', options={'arp_interval': 100})]) \
        .startswith('links[0].options.arp_interval: ARP monitoring is not available')
    assert 'exclude each other' in error(nodes=NODES, links=[
        bond(options={'miimon': 100, 'arp_interval': 100})])
    assert 'links[0].options.arp_missed_max: 0 is out of range' in error(
        nodes=NODES, links=[bond(options={'arp_missed_max': 0})])


def test_kind_option_types_are_checked_with_the_field():
    # before: a list reached the range check (TypeError), 1 became a flag
    assert error(nodes=NODES, links=[bond(options={'miimon': [100]})]) \
        .startswith('links[0].options.miimon: ')
    assert error(nodes=NODES, links=[bond(options={'use_carrier': 1})]) \
        .startswith('links[0].options.use_carrier: ')
    assert error(nodes=NODES, links=[bond(options={'arp_ip_target': ['10.0.0.1', 7]})]) \
        .startswith('links[0].options.arp_ip_target[1]: ')


@pytest.mark.parametrize('settings, field', [
    ({'stp': True, 'forward_delay': 1.0}, 'forward_delay: 1.0 s is out of range'),
    ({'stp': True, 'hello_time': 11.0}, 'hello_time: 11.0 s is out of range'),
    ({'stp': True, 'max_age': 41.0}, 'max_age: 41.0 s is out of range'),
    ({'ageing_time': -1.0}, 'ageing_time: -1.0 s is out of range'),
    ({'priority': 70000}, 'priority: 70000 is out of range'),
])
def test_bridge_ranges_are_the_modules(settings, field):
    assert error(nodes=NODES, bridges=[dict({'name': 'br0', 'node': 'r1'}, **settings)]) \
        .startswith('bridges[0].' + field)


def test_a_dummy_is_a_device_in_a_node_and_may_be_a_port():
    model = lab(nodes=NODES, bridges=[{'name': 'br0', 'node': 'r1'}], links=[
        bond(ports=['d1']),
        {'kind': 'dummy', 'node': 'r1', 'name': 'd0', 'bridge': 'br0', 'mtu': 9000,
         'addresses': ['10.0.0.1/32']},
        {'kind': 'dummy', 'node': 'r1', 'name': 'd1'}])
    # plain devices are created first: they may be ports of what follows
    assert list(model.ifaces) == [('r1', 'br0'), ('r1', 'd0'), ('r1', 'd1'), ('r1', 'b')]
    d0 = model.ifaces[('r1', 'd0')]
    assert (d0.master, d0.attrs, d0.addresses) == ('br0', {'mtu': 9000}, ['10.0.0.1/32'])
    assert model.ifaces[('r1', 'd1')].master == 'b'
    assert error(nodes=NODES, links=[{'kind': 'dummy', 'node': 'r1', 'name': 'd',
                                      'options': {'mode': 'x'}}]) == \
        'links[0].options.mode: not a dummy option; known: none'
    assert error(nodes=NODES, links=[{'kind': 'dummy', 'node': 'r1', 'name': 'd',
                                      'parent': 'eth0'}]) == \
        'links[0].parent: a dummy link has no parent'
    assert error(nodes=NODES, links=[{'kind': 'dummy', 'node': 'r1', 'name': 'd',
                                      'bridge': 'br9'}]) == \
        "links[0].bridge: unknown bridge 'br9' in node 'r1' (not in bridges)"


def test_an_ipvlan_takes_its_parents_mac():
    assert error(nodes=NODES, links=[{'kind': 'ipvlan', 'node': 'r1', 'name': 'i',
                                      'parent': 'eth0', 'mac_address': '02:00:00:00:00:01'}]) \
        == "links[0].mac_address: an ipvlan always uses its parent's MAC address"


def test_node_names_are_namespace_names_of_up_to_255_bytes():
    cni = 'cni-6f1c2c4e-7d1a-4c0b-9a57-2f0e5d3b8c11'   # a container runtime's, 40 bytes
    model = lab(nodes=[{'name': cni}, {'name': 'n' * 255}],
                links=[veth(cni, 'n' * 255)])
    assert model.nodes[cni].netns == cni and ('n' * 255, 'eth0') in model.ifaces
    assert error(nodes=[{'name': 'n' * 256}]) == (
        "nodes[0].name: namespace name %r is 256 bytes long; the limit is 255 bytes" % ('n' * 256))


def test_kind_options_have_their_modules_types():
    """`options` is a free-form mapping for Ansible: its values are held to
    the types the kind's own module declares, text is converted as a module
    converts it, and a wrong type is named by its path."""
    bond = {'kind': 'bond', 'node': 'r1', 'name': 'bond0',
            'options': {'miimon': '100', 'use_carrier': 'no', 'arp_ip_target': []}}
    model = lab(nodes=NODES, links=[bond])
    assert model.ifaces[('r1', 'bond0')].options == {
        'miimon': 100, 'use_carrier': False, 'arp_ip_target': []}
    bond['options'] = {'miimon': [100]}
    assert error(nodes=NODES, links=[bond]) == \
        'links[0].options.miimon: must be an integer, not a list [100]'
    bond['options'] = {'use_carrier': 1}
    assert error(nodes=NODES, links=[bond]).startswith(
        'links[0].options.use_carrier: must be a boolean')
    macvlan = {'kind': 'macvlan', 'node': 'r2', 'name': 'mv0', 'parent': 'eth0',
               'parent_node': 'r1', 'options': {'bcqueuelen': True}}
    assert error(nodes=NODES, links=[veth('r1', 'r2'), macvlan]).startswith(
        'links[1].options.bcqueuelen: must be an integer, not the boolean true')


def test_sysctl_values_are_text_or_numbers():
    assert error(nodes=[{'name': 'r1', 'sysctls': {'net.ipv4.ip_forward': True}}]) == (
        "nodes[0].sysctls.net.ipv4.ip_forward: True is not a sysctl value; give text or a "
        "number (1, not true)")
    assert error(nodes=[{'name': 'r1', 'sysctls': {'net.ipv4.ip_forward': [1]}}]).startswith(
        'nodes[0].sysctls.net.ipv4.ip_forward: [1] is not a sysctl value')


def test_ipvlans_on_one_parent_share_one_mode():
    links = [veth('r1', 'r2'),
             {'kind': 'ipvlan', 'node': 'r1', 'name': 'i0', 'parent': 'eth0', 'mode': 'l2'},
             {'kind': 'ipvtap', 'node': 'r1', 'name': 'i1', 'parent': 'eth0', 'mode': 'l3'}]
    message = error(nodes=NODES, links=links)
    assert message.startswith('links[2].mode: i0 and i1 sit on eth0 in node r1'), message
    links[2]['mode'] = 'l2'
    assert lab(nodes=NODES, links=links).ifaces[('r1', 'i1')].options['mode'] == 'l2'
