"""The vxlan and geneve kind specs: input rules, readings, re-creates.

No kernel needed: the rules run on what is given and on a reading (the
kind options of an existing link, or None when it is not read yet), the
readings are dicts as the sessions decode them.
"""

import pytest

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import GENEVE, VXLAN
from ansible_collections.vnet.linux.plugins.module_utils._netlink import nla as _nla

from test__nla import encode, linkinfo


def field(name):
    return 'links[0].options.' + name


@pytest.mark.parametrize('values, current, message', [
    ({'vni': -1}, {}, 'options.vni: -1 is out of range; allowed 0..16777215'),
    ({'dstport': 65536}, {}, 'options.dstport: 65536 is out of range'),
    ({'remote': '10.0.0.2', 'group': '239.0.0.1'}, {}, 'exclude each other'),
    ({'group': '239.0.0.1', 'local': 'fd00::1'}, {}, 'of different IP versions'),
    ({'remote': '0.0.0.0'}, {}, 'options.remote: 0.0.0.0 is the unspecified address'),
    ({'remote': 'vtep2'}, {}, "options.remote: 'vtep2' is not an IP address"),
    ({'srcport': [0, 10]}, {}, 'options.srcport[0]: 0 is out of range'),
    ({'srcport': [1, True]}, {}, 'options.srcport[1]: True is a bool; expected an int'),
    ({'flowlabel': 2 ** 20}, {}, 'options.flowlabel: 1048576 is out of range'),
    ({'flowlabel': 1}, {}, 'a flow label is an IPv6 header field'),
    ({'flowlabel': 1}, {'remote': '10.0.0.2'}, 'a flow label is an IPv6 header field'),
    ({'group': '239.0.0.1'}, {'external': True}, 'options.group: not used with external'),
    ({'fdb': [{'dst': '10.0.0.3', 'port': 0}]}, {}, 'options.fdb[0].port: 0 is out of range'),
    ({'fdb': [{'dst': '10.0.0.3', 'vni': 2 ** 24}]}, {}, 'options.fdb[0].vni: 16777216'),
    ({'fdb': [{'dst': '10.0.0.3', 'vni': '7'}]}, {}, "options.fdb[0].vni: '7' is not an integer"),
    ({'fdb': ['10.0.0.3']}, {}, "options.fdb[0]: '10.0.0.3' is a str; expected a dict"),
    ({'fdb': [{'mac': '02:00:00:00:00:01'}]}, {}, 'options.fdb[0].dst: required'),
    ({'fdb': [{'dst': '10.0.0.3'}]}, {'vni': 5, 'remote': 'fd00::1'},
     'options.fdb[0].dst: 10.0.0.3 is IPv4; the tunnel is IPv6'),
    ({'fdb': [{'dst': '10.0.0.3', 'vni': 5}]}, {'vni': 5}, "fdb[0].vni: 5 is the vxlan's own"),
    ({'fdb': [{'dst': '10.0.0.3', 'port': 4789}]}, {'dstport': 4789},
     "fdb[0].port: 4789 is the vxlan's own dstport"),
    ({'fdb': [{'dst': '10.0.0.2'}]}, {'remote': '10.0.0.2'}, 'keeps this flood entry itself'),
])
def test_vxlan_rules_name_the_field(values, current, message):
    with pytest.raises(InputError) as caught:
        VXLAN.check(values, current, field)
    assert message in str(caught.value)


def test_vxlan_rules_that_need_the_kernel_wait_for_it():
    """Not read yet (a lab's model): what depends on the link's family, VNI
    or port is judged by the planner once it has read the link."""
    values = {'flowlabel': 5, 'fdb': [{'dst': 'fd00::3', 'vni': 5, 'port': 8472}]}
    assert VXLAN.check(values, None, field)['flowlabel'] == 5
    with pytest.raises(InputError, match='flowlabel'):
        VXLAN.check(values, {}, field)
    assert VXLAN.check({'flowlabel': 5}, {'remote': 'fd00::2'}, field) == {'flowlabel': 5}


def test_vxlan_canonical_forms():
    clean = VXLAN.check({'remote': 'FD00:0::2', 'local': 'fd00::0001', 'fdb': [
        {'dst': 'fd00:0::9', 'mac': '02-00-00-00-00-0A'}, {'dst': 'fd00::3'}]}, {}, field)
    assert (clean['remote'], clean['local']) == ('fd00::2', 'fd00::1')
    # sorted as the kernel's entries are read back; the flood MAC filled in
    assert clean['fdb'] == [{'mac': '00:00:00:00:00:00', 'dst': 'fd00::3'},
                            {'mac': '02:00:00:00:00:0a', 'dst': 'fd00::9'}]


def test_remote_and_group_read_from_one_attribute_by_kind_and_family():
    unicast6 = {'IFLA_VXLAN_GROUP6': 'fd00::2', 'IFLA_VXLAN_LOCAL6': 'fd00::1'}
    assert VXLAN.current(unicast6) == {'remote': 'fd00::2', 'local': 'fd00::1'}
    assert VXLAN.current({'IFLA_VXLAN_GROUP': '239.1.1.1'}) == {'group': '239.1.1.1'}
    assert VXLAN.kernel_args({'remote': 'fd00::2', 'local': '10.0.0.1'}) == {
        'vxlan_group6': 'fd00::2', 'vxlan_local': '10.0.0.1'}
    assert VXLAN.differences({'remote': 'fd00:0::2'}, unicast6) == []
    assert [o.name for o in VXLAN.differences({'group': 'ff05::2'}, unicast6)] == ['group']
    # geneve reports 0.0.0.0 for "no remote"
    assert 'remote' not in GENEVE.current({'IFLA_GENEVE_REMOTE': '0.0.0.0'})


def test_fdb_compares_as_a_set_in_kernel_form():
    data = {'fdb': [('02:00:00:00:00:05', '10.0.0.4', 5000, None),
                    ('00:00:00:00:00:00', '10.0.0.3', None, 0)]}
    wanted = VXLAN.check({'fdb': [{'dst': '10.0.0.3', 'vni': 0},
                                  {'mac': '02:00:00:00:00:05', 'dst': '10.0.0.4',
                                   'port': 5000}]}, None, field)
    assert VXLAN.differences(wanted, data) == []
    assert VXLAN.current(data)['fdb'] == [
        {'mac': '00:00:00:00:00:00', 'dst': '10.0.0.3', 'vni': 0},
        {'mac': '02:00:00:00:00:05', 'dst': '10.0.0.4', 'port': 5000}]
    assert [o.name for o in VXLAN.differences({'fdb': []}, data)] == ['fdb']
    # entries are not link attributes
    assert VXLAN.kernel_args(dict(wanted, vni=5)) == {'vxlan_id': 5}
    assert [o.name for o in VXLAN.tables] == ['fdb']


def test_a_family_change_recreates_and_what_is_carried_fits():
    data = {'IFLA_VXLAN_ID': 7, 'IFLA_VXLAN_GROUP': '10.0.0.2', 'IFLA_VXLAN_LOCAL': '10.0.0.1',
            'IFLA_VXLAN_TTL': 9, 'IFLA_VXLAN_LABEL': 0, 'IFLA_VXLAN_PORT_RANGE': {'low': 0, 'high': 0},
            'fdb': [('00:00:00:00:00:00', '10.0.0.3', None, None)]}
    assert VXLAN.recreate_reason({'remote': '10.0.0.9'}, data) is None
    assert VXLAN.recreate_reason({'remote': 'fd00::9'}, data) == \
        'the address family (IPv4 -> IPv6) cannot change in place'
    assert VXLAN.recreate_reason({'vni': 8, 'ttl': 1}, data) == 'vni cannot change in place'
    current = VXLAN.current(data)
    # no local, forwarding entries or flow label of the old family; no
    # "unset" values (a port range of [0, 0])
    assert VXLAN.carried(current, {'remote': 'fd00::9'}) == {'vni': 7, 'ttl': 9}
    assert VXLAN.carried(current, {'group': '239.0.0.1'}) == {
        'vni': 7, 'ttl': 9, 'local': '10.0.0.1',
        'fdb': [{'mac': '00:00:00:00:00:00', 'dst': '10.0.0.3'}]}
    assert 'vni' not in VXLAN.carried(current, {'external': True})


def test_a_geneve_changing_family_leaves_the_old_familys_checksum_behind():
    """udpcsum exists for IPv4 only (the kernel does not report it for an
    IPv6 geneve, so carried over it would fail verification), and
    udp6zerocsumtx for IPv6 only."""
    current = GENEVE.current({'IFLA_GENEVE_ID': 5, 'IFLA_GENEVE_REMOTE': '10.0.0.2',
                              'IFLA_GENEVE_UDP_CSUM': 0, 'IFLA_GENEVE_TTL': 9,
                              'IFLA_GENEVE_UDP_ZERO_CSUM6_RX': 1})
    assert GENEVE.carried(current, {'remote': 'fd00::2'}) == {
        'vni': 5, 'ttl': 9, 'udp6zerocsumrx': True}
    six = GENEVE.current({'IFLA_GENEVE_REMOTE6': 'fd00::2', 'IFLA_GENEVE_UDP_ZERO_CSUM6_TX': 1,
                          'IFLA_GENEVE_LABEL': 7})
    assert GENEVE.carried(six, {'remote': '10.0.0.2'}) == {}


def test_a_reading_described_applies_again():
    """topology_info: external drops the VNI it reports, unset values are
    left out, the rest is what the rules take back."""
    data = {'IFLA_VXLAN_ID': 0, 'IFLA_VXLAN_COLLECT_METADATA': 1, 'IFLA_VXLAN_LABEL': 0,
            'IFLA_VXLAN_PORT_RANGE': {'low': 0, 'high': 0}, 'IFLA_VXLAN_PORT': 4789,
            'fdb': []}
    described = VXLAN.described(VXLAN.current(data))
    assert described == {'external': True, 'dstport': 4789}
    assert VXLAN.check(described, VXLAN.current(data), field) == described


@pytest.mark.parametrize('values, current, message', [
    ({'remote': '239.1.1.1'}, {}, 'options.remote: 239.1.1.1 is a multicast address'),
    ({'udpcsum': True}, {'remote': 'fd00::2'}, 'options.udpcsum: only for an IPv4 remote'),
    ({'udp6zerocsumtx': True}, {}, 'options.udp6zerocsumtx: only for an IPv6 remote'),
    ({'flowlabel': 9, 'remote': '10.0.0.2'}, {}, 'a flow label is an IPv6 header field'),
    ({'external': True, 'vni': 5}, {}, 'options.vni: not used with external'),
    ({'external': True, 'ttl': 5}, {}, 'options.ttl: not used with external'),
    ({'remote': '10.0.0.2'}, {'external': True}, 'options.remote: not used with external'),
])
def test_geneve_rules_name_the_field(values, current, message):
    with pytest.raises(InputError) as caught:
        GENEVE.check(values, current, field)
    assert message in str(caught.value)


def test_geneve_external_is_a_flag_and_zero_values_go_with_it():
    # the kernel takes zero values with external (a reading gives them back)
    assert GENEVE.check({'external': True, 'vni': 0, 'ttl': 0, 'dstport': 6090}, {}, field)
    assert GENEVE.kernel_args({'external': True}) == {'geneve_collect_metadata': True}
    assert GENEVE.kernel_args({'external': False}) == {}
    assert GENEVE.create_args({'external': False, 'vni': 3}) == {'geneve_id': 3}
    assert GENEVE.current({'IFLA_GENEVE_COLLECT_METADATA': True})['external'] is True
    assert GENEVE.differences({'external': False}, {}) == []


def test_the_attribute_maps_pyroute2_gets_wrong():
    """The flow label is a be32 (the kernel masks it in network order), a
    port a be16, geneve's DF one byte: each sent as iproute2 sends it and
    read back with the same value."""
    _nla.register()
    data = encode('add', ifname='vx0', kind='vxlan',
                  **VXLAN.kernel_args({'flowlabel': 0x12345, 'dstport': 4789,
                                       'srcport': [1000, 2000], 'remote': 'fd00::2'}))
    raw = bytes(data)
    assert b'\x00\x01\x23\x45' in raw and b'\x12\xb5' in raw and b'\x03\xe8\x07\xd0' in raw
    decoded = dict(linkinfo(data).get_attr('IFLA_INFO_DATA')['attrs'])
    assert VXLAN.current(decoded) == {'flowlabel': 0x12345, 'dstport': 4789,
                                      'srcport': [1000, 2000], 'remote': 'fd00::2'}
    geneve = encode('add', ifname='gn0', kind='geneve', **GENEVE.kernel_args({'df': 'inherit'}))
    info = linkinfo(geneve).get_attr('IFLA_INFO_DATA')
    assert [tuple(pair) for pair in info['attrs']] == [('IFLA_GENEVE_DF', 2)]
    # one byte of payload (a 5-byte attribute), not pyroute2's two
    assert b'\x05\x00\x0d\x00\x02' in bytes(geneve)
    # the kernel reports TTL_INHERIT as a u8 (0 or 1): read as a flag it
    # would say "set" whatever the value
    reply = ifinfmsg()
    reply['attrs'] = [('IFLA_LINKINFO', {'attrs': [
        ('IFLA_INFO_KIND', 'vxlan'),
        ('IFLA_INFO_DATA', {'attrs': [('IFLA_VXLAN_TTL_INHERIT', 0)]})]})]
    reply.encode()
    assert dict(linkinfo(reply.data).get_attr('IFLA_INFO_DATA')['attrs']) == {
        'IFLA_VXLAN_TTL_INHERIT': 0}
