"""The vrf kind on the host: its spec's rules, the topology's vrf links and
routes with a table or a VRF, and how a reading is described again.

The kernel behaviour these rules follow (checked on the guest's 6.1 kernel):
a VRF's table cannot change (EOPNOTSUPP), table 0 is refused, a VRF needs a
table; the guest tests (tests/kernel/test_vrf.py) prove the rest.
"""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    BOND,
    BRIDGE,
    KINDS,
    VRF,
    by_netlink_kind,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab import facts
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import build
from ansible_collections.vnet.linux.plugins.module_utils._lab.node_state import (
    route_key,
    route_text,
    route_view,
    vrf_names,
)


# --- the spec -------------------------------------------------------------------

def test_the_spec_is_registered_as_a_master_with_ports():
    assert KINDS['vrf'] is VRF and by_netlink_kind('vrf') is VRF
    assert VRF.layout == 'ports' and VRF.takes_ports and not VRF.ports_down
    assert BOND.ports_down and BRIDGE.takes_ports
    assert VRF.argument_spec() == {'table': {'type': 'int'}}
    assert VRF.kernel_args({'table': 10}) == {'vrf_table': 10}


@pytest.mark.parametrize('table, name', [(0, 'unspec'), (253, 'default'), (254, 'main'),
                                         (255, 'local')])
def test_reserved_tables_are_refused_with_their_name(table, name):
    with pytest.raises(InputError, match=r'^table: %d is the %s table' % (table, name)):
        VRF.check({'table': table})


@pytest.mark.parametrize('table', [-1, 2 ** 32])
def test_tables_outside_u32_are_refused(table):
    with pytest.raises(InputError, match='table: .* is out of range'):
        VRF.check({'table': table})


def test_a_table_is_needed_to_create_only():
    with pytest.raises(InputError, match='table: required to create a vrf'):
        VRF.check({'table': None}, current={})
    assert VRF.check({'table': None}, current={'table': 10}) == {'table': None}
    assert VRF.check({'table': 256}, current={}) == {'table': 256}
    with pytest.raises(InputError, match='expected an int'):
        VRF.check({'table': True})


def test_a_new_table_re_creates():
    data = {'IFLA_VRF_TABLE': 10}
    assert VRF.recreate_reason({'table': 20}, data) == 'table cannot change in place'
    assert VRF.recreate_reason({'table': 10}, data) is None
    assert VRF.recreate_reason({}, data) is None
    assert VRF.described(VRF.current(data)) == {'table': 10}


# --- the topology ---------------------------------------------------------------------

def lab(links=(), routes=(), nodes=None):
    return build({'lab': 'v', 'state': 'present', 'prune': False, 'bridges': [],
                  'nodes': nodes or [{'name': 'r', 'routes': list(routes)}, {'name': 'h'}],
                  'links': list(links)})


def error(**description):
    with pytest.raises(InputError) as caught:
        lab(**description)
    return str(caught.value)


def port(name, peer='h'):
    return {'endpoints': [{'node': 'r', 'name': name}, {'node': peer, 'name': name}]}


def vrf(name, table, ports=(), **extra):
    link = dict({'kind': 'vrf', 'node': 'r', 'name': name, 'ports': list(ports)}, **extra)
    if table is not None and 'options' not in link:
        link['options'] = {'table': table}
    return link


TWO = [port('a'), port('b'), vrf('red', 10, ['a']), vrf('blue', 20, ['b'])]


def test_vrf_links_own_their_ports_and_routes_name_their_table():
    model = lab(TWO, routes=[{'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'vrf': 'red'},
                             {'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'table': 20},
                             {'dst': '10.9.0.0/16', 'via': '10.0.0.2'},
                             {'dst': '10.8.0.0/16', 'dev': 'a', 'table': 254},
                             {'dst': '10.7.0.0/16', 'dev': 'a', 'table': 300}])
    assert model.ifaces[('r', 'red')].options == {'table': 10}
    assert model.ifaces[('r', 'a')].master == 'red'
    assert model.ifaces[('r', 'b')].master == 'blue'
    red, blue, main, main2, other = model.nodes['r'].routes
    # the same destination in three tables: three routes
    assert [r.key[3] for r in (red, blue, main, main2, other)] == [10, 20, 254, 254, 300]
    # a table that is one VRF's is described by that VRF, as facts read it
    assert blue.vrf == 'blue' and blue.describe()['vrf'] == 'blue'
    assert main2.table is None and 'table' not in main2.describe()
    assert other.describe() == {'dst': '10.7.0.0/16', 'dev': 'a', 'table': 300}


@pytest.mark.parametrize('links, routes, message', [
    (TWO, [{'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'vrf': 'red', 'table': 10}],
     'nodes[0].routes[0]: give table or vrf, not both'),
    (TWO, [{'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'vrf': 'green'}],
     'nodes[0].routes[0].vrf: green is not a vrf link of node r'),
    (TWO, [{'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'vrf': 'a'}],
     'nodes[0].routes[0].vrf: a is not a vrf link of node r'),
    (TWO, [{'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'table': 255}],
     "nodes[0].routes[0].table: 255 is the local table"),
    (TWO, [{'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'table': 0}],
     'nodes[0].routes[0].table: 0 is out of range'),
    (TWO, [{'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'vrf': 'red'},
           {'dst': '10.9.0.0/16', 'dev': 'a', 'table': 10}],
     'nodes[0].routes[1].dst: 10.9.0.0/16 is listed twice in table 10'),
    ([port('a'), vrf('red', None, ['a'])],
     [{'dst': '10.9.0.0/16', 'via': '10.0.0.2', 'vrf': 'red'}],
     'nodes[0].routes[0].vrf: vrf red gives no options.table'),
    ([port('a'), port('b'), vrf('red', 10, ['a']), vrf('blue', 10, ['b'])], [],
     'node r: vrf links red and blue share table 10'),
    ([port('a'), vrf('red', 254, ['a'])], [], 'links[1].options.table: 254 is the main table'),
    ([port('a'), vrf('red', 10, ['a']), vrf('blue', 20, ['a'])], [],
     'links[2].ports[0]: a is already a port of red'),
    ([port('a'), vrf('red', 10, ['zz'])], [], 'links[1].ports[0]: zz is not an interface of '
                                              'node r'),
    ([vrf('red', 10, mode='x')], [], 'links[0].mode: a vrf link has no mode'),
    ([vrf('red', 10, options={'table': 10, 'tabel': 2})], [],
     'links[0].options.tabel: not a vrf option; known: table'),
    ([{'kind': 'dummy', 'node': 'r', 'name': 'd', 'ports': ['x']}], [],
     'links[0].ports: a dummy cannot take ports (only bond, team, vrf links can'),
])
def test_bad_vrf_descriptions_name_the_field(links, routes, message):
    assert message in error(links=links, routes=routes)


# --- readings described again --------------------------------------------------------

def reading(*vrfs):
    links = dict((name, {'name': name, 'kind': 'vrf', 'data': {'IFLA_VRF_TABLE': table}})
                 for name, table in vrfs)
    links['a'] = {'name': 'a', 'kind': 'veth', 'data': {}}
    return {'links': links}


def route(table, **extra):
    return dict({'family': 2, 'prefix': ('10.9.0.0', 16), 'via': '10.0.0.2', 'dev': 'a',
                 'metric': 0, 'proto': 118, 'table': table}, **extra)


def test_routes_read_back_name_the_vrf_of_their_table():
    tables = vrf_names(reading(('red', 10), ('blue', 20), ('x', 30), ('y', 30)))
    assert tables == {10: 'red', 20: 'blue'}    # a shared table has no one name
    assert route_view(route(10), tables)['vrf'] == 'red'
    assert route_view(route(30), tables)['table'] == 30
    assert 'table' not in route_view(route(254), tables)
    assert 'vrf' not in route_view(route(254), tables)
    assert route_key(route(10)) == (2, ('10.9.0.0', 16), 0, 10)
    assert route_text(route_view(route(10), tables)) == '10.9.0.0/16 via 10.0.0.2 dev a vrf red'
    assert vrf_names(None) == {}


def test_a_vrf_reading_renders_as_a_vrf_link_with_its_ports():
    def entry(name, kind, master=None, options=None):
        return {'node': 'r', 'name': name, 'kind': kind, 'mtu': None, 'mac_address': None,
                'addresses': [], 'master': master, 'peer': None, 'parent': None,
                'options': options or {}}
    ifaces = {('r', 'red'): entry('red', 'vrf', options={'table': 10}),
              ('r', 'd1'): entry('d1', 'dummy', master='red'),
              ('r', 'd2'): entry('d2', 'dummy', master='red')}
    rendered = facts.render({'nodes': {}, 'ifaces': ifaces})
    red = [link for link in rendered['links'] if link['name'] == 'red'][0]
    assert red == {'name': 'red', 'node': 'r', 'kind': 'vrf', 'options': {'table': 10},
                   'ports': ['d1', 'd2']}
    # and it builds again
    model = lab(rendered['links'])
    assert model.ifaces[('r', 'd1')].master == 'red'


def test_an_undecoded_port_nest_reads_as_no_settings():
    """pyroute2 has no map for a VRF port's IFLA_INFO_SLAVE_DATA: it gives the
    nest as hex text, which reading a VRF port failed on."""
    from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import nla_dict
    assert nla_dict('08:00:01:00:0a:00:00:00') == {}
    assert nla_dict({'attrs': [('IFLA_VRF_TABLE', 10)]}) == {'IFLA_VRF_TABLE': 10}


def test_a_vrf_takes_the_mtu_it_is_made_with():
    """A new VRF has MTU 65575 (IP6_MAX_MTU); the facts read it back, and the
    description must take it again. Other kinds stop at 65535."""
    assert lab([vrf('red', 10, mtu=65575)]).ifaces[('r', 'red')].attrs['mtu'] == 65575
    assert 'links[0].mtu: 65576 is out of range; allowed 68..65575' in \
        error(links=[vrf('red', 10, mtu=65576)])
    assert 'allowed 68..65535' in error(links=[{'kind': 'dummy', 'node': 'r', 'name': 'd',
                                                'mtu': 65575}])
