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
    assert model.nodes['a'].routes[0].key == (10, ('::', 0), 1024)


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
