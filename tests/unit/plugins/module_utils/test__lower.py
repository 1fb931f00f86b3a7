"""Kind specs of macvlan/macvtap/ipvlan/ipvtap/bond and the pure parts of the
lower-device and tap-device helpers (no kernel needed)."""

import os
import stat

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower as _lower
from ansible_collections.vnet.linux.plugins.module_utils._netlink import nla as _nla
from ansible_collections.vnet.linux.plugins.module_utils._netlink import tapdev as _tapdev
from ansible_collections.vnet.linux.plugins.module_utils._kinds import specs as _kinds
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError


def nla_names(nla_class):
    return set(entry[0] if isinstance(entry[0], str) else entry[1]
               for entry in nla_class.nla_map)


@pytest.mark.parametrize('spec', [_kinds.MACVLAN, _kinds.MACVTAP, _kinds.IPVLAN,
                                  _kinds.IPVTAP, _kinds.BOND], ids=lambda s: s.kind)
def test_every_option_is_an_attribute_of_our_maps(spec):
    """pyroute2 drops unknown keywords silently: pin each name to the map
    the request is encoded with."""
    known = nla_names(_nla.DATA_CLASSES[spec.kind])
    for option in spec.options:
        assert option.nla in known, option.nla
    for option in spec.port_options:
        assert option.nla in nla_names(_nla.bond_port_data), option.nla


def test_our_maps_are_registered_with_pyroute2():
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    for kind, cls in _nla.DATA_CLASSES.items():
        assert ifinfmsg.ifinfo.data_map[kind] is cls
    assert ifinfmsg.ifinfo.bond_slave_data is _nla.bond_port_data
    _nla.register()  # idempotent
    assert getattr(ifinfmsg.ifinfo.info_slave_data, 'vnet_linux', False)


def test_our_bond_map_keeps_every_attribute_pyroute2_had():
    from pyroute2.netlink.rtnl.ifinfmsg.plugins.bond import bond
    ours = [entry[0] for entry in _nla.bond_data.nla_map]
    assert ours[:len(bond.nla_map)] == [entry[0] for entry in bond.nla_map]


def test_macvlan_kernel_args():
    args = _kinds.MACVLAN.kernel_args({'mode': 'source', 'bcqueuelen': 50,
                                       'source_macs': ['02:00:00:00:00:02', '02:00:00:00:00:01']})
    assert args == {'macvlan_mode': 16, 'macvlan_bc_queue_len': 50,
                    'macvlan_macaddr_mode': 3,
                    'macvlan_macaddr_data': {'attrs': [
                        ('IFLA_MACVLAN_MACADDR', '02:00:00:00:00:01'),
                        ('IFLA_MACVLAN_MACADDR', '02:00:00:00:00:02')]}}
    assert _kinds.MACVTAP.kernel_args({'mode': 'vepa'}) == {'macvtap_mode': 2}


def test_source_macs_compare_as_a_set():
    nest = {'attrs': [('IFLA_MACVLAN_MACADDR', '02:00:00:00:00:02'),
                      ('IFLA_MACVLAN_MACADDR', '02:00:00:00:00:01')]}
    data = {'IFLA_MACVLAN_MODE': 16, 'IFLA_MACVLAN_MACADDR_DATA': nest}
    same = {'mode': 'source', 'source_macs': ['02:00:00:00:00:01', '02:00:00:00:00:02']}
    assert _kinds.MACVLAN.differences(same, data) == []
    other = dict(same, source_macs=['02:00:00:00:00:01'])
    assert [o.name for o in _kinds.MACVLAN.differences(other, data)] == ['source_macs']
    # none in the kernel (the attribute is missing) equals an empty list
    assert _kinds.MACVLAN.differences({'source_macs': []}, {'IFLA_MACVLAN_MODE': 16}) == []
    assert _kinds.MACVLAN.current(data)['source_macs'] == \
        ['02:00:00:00:00:01', '02:00:00:00:00:02']


def test_arp_targets_keep_their_order():
    nest = {'attrs': [('TARGET_0', '10.0.0.2'), ('TARGET_1', '10.0.0.1')]}
    data = {'IFLA_BOND_ARP_IP_TARGET': nest}
    assert _kinds.BOND.differences({'arp_ip_target': ['10.0.0.2', '10.0.0.1']}, data) == []
    assert _kinds.BOND.differences({'arp_ip_target': ['10.0.0.1', '10.0.0.2']}, data) != []
    assert _kinds.BOND.kernel_args({'arp_ip_target': ['10.0.0.1']}) == \
        {'bond_arp_ip_target': {'attrs': [('TARGET_0', '10.0.0.1')]}}


def test_ipvlan_enums():
    assert _kinds.IPVLAN.kernel_args({'mode': 'l3s', 'flags': 'vepa'}) == \
        {'ipvlan_mode': 2, 'ipvlan_flags': 2}
    assert _kinds.IPVTAP.current({'IFLA_IPVLAN_MODE': 1, 'IFLA_IPVLAN_FLAGS': 1}) == \
        {'mode': 'l3', 'flags': 'private'}


def test_bond_port_args():
    assert _kinds.BOND.kernel_args({'queue_id': 2, 'prio': -1}, port=True) == \
        {'bond_slave_queue_id': 2, 'bond_slave_prio': -1}


@pytest.mark.parametrize('old, new, recreate', [
    ('bridge', 'passthru', True), ('passthru', 'vepa', True), ('bridge', 'private', False),
    ('source', 'bridge', False), ('passthru', 'passthru', False), ('bridge', None, False),
])
def test_passthru_switch_needs_recreate(old, new, recreate):
    assert (_kinds.macvlan_recreate({'mode': old}, {'mode': new}) is not None) is recreate
    for spec in (_kinds.MACVLAN, _kinds.MACVTAP):
        data = {'IFLA_%s_MODE' % spec.kind.upper(): _kinds.MACVLAN_MODES[old]}
        assert (spec.recreate_reason({'mode': new}, data) is not None) is recreate


def test_macvlan_settings():
    clean = _lower.kind_settings(_kinds.MACVLAN, {'mode': 'source', 'bcqueuelen': 10,
                                                  'source_macs': ['02-00-00-00-00-AA']})
    assert clean == {'mode': 'source', 'bcqueuelen': 10, 'source_macs': ['02:00:00:00:00:aa']}
    # the mode is judged with the kernel's state (converge checks again): a
    # new macvlan runs vepa, an existing one the mode it has
    given = _lower.kind_settings(_kinds.MACVLAN, {'mode': None, 'source_macs': []})
    with pytest.raises(InputError, match='only used in mode source'):
        _kinds.MACVLAN.check(given, current={})
    assert _kinds.MACVLAN.check(given, current={'mode': 'source'})['source_macs'] == []
    with pytest.raises(InputError, match='listed twice'):
        _lower.kind_settings(_kinds.MACVLAN, {'mode': 'source', 'source_macs': ['02:00:00:00:00:01'] * 2})


def test_tap_node_paths_cannot_clash():
    assert _tapdev.node_path(None, 'mvt0') == '/run/vnet-linux/tap/root/mvt0'
    assert _tapdev.node_path('root', 'mvt0') == '/run/vnet-linux/tap/netns/root/mvt0'


@pytest.mark.parametrize('value, mode', [('0660', 0o660), ('660', 0o660), ('4755', 0o4755),
                                         (' 0600 ', 0o600)])
def test_parse_mode(value, mode):
    assert _tapdev.parse_mode(value, 'device_mode') == mode


@pytest.mark.parametrize('value', [432, 640, '0o660', '6_60', '-1', '0x1b0', '', '0999'])
def test_parse_mode_takes_octal_text_only(value):
    # an unquoted 0660 arrives as the number 432; read as digits it would be
    # the mode 0432, and 640 would be guessed: every number is refused
    with pytest.raises(ValueError, match="device_mode: .* is not an octal file mode written as text like '0660'"):
        _tapdev.parse_mode(value, 'device_mode')


def test_owner_and_group_by_name_or_number():
    assert _tapdev.resolve_owner('root', 'device_owner') == 0
    assert _tapdev.resolve_owner('1234', 'device_owner') == 1234
    assert _tapdev.resolve_group('0', 'device_group') == 0
    with pytest.raises(ValueError, match="no user named 'nobody-at-all'"):
        _tapdev.resolve_owner('nobody-at-all', 'device_owner')


@pytest.mark.skipif(os.geteuid() != 0, reason='mknod needs root')
def test_make_node_sets_number_owner_and_mode_despite_umask(tmp_path):
    path = str(tmp_path / 'ns' / 'tap')
    old = os.umask(0o077)
    try:
        _tapdev.make_node(path, (1, 3), 12, 34, 0o666)
    finally:
        os.umask(old)
    info = os.stat(path)
    assert stat.S_ISCHR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o666
    assert (os.major(info.st_rdev), os.minor(info.st_rdev), info.st_uid, info.st_gid) == \
        (1, 3, 12, 34)
    assert _tapdev.node_state(path) == {'rdev': (1, 3), 'uid': 12, 'gid': 34, 'mode': 0o666}
    _tapdev.remove_node(path)
    assert not os.path.exists(os.path.dirname(path)), 'the empty directory goes too'


# --- issue 9: rules shared by the modules and the topology -------------------

@pytest.mark.parametrize('kind, parent_kind, refused', [
    ('macvlan', 'macvlan', True), ('macvlan', 'macvtap', True), ('macvtap', 'macvlan', True),
    ('ipvlan', 'ipvlan', True), ('ipvtap', 'ipvlan', True), ('ipvlan', 'ipvtap', True),
    ('macvlan', 'ipvlan', False), ('ipvlan', 'macvlan', False), ('macvlan', 'veth', False),
    ('macvlan', None, False),
])
def test_parent_of_the_same_family_is_refused(kind, parent_kind, refused):
    def call():
        _lower.parent_rules(kind, 'x0', 'p0 in the root namespace', parent_kind, 1500, None,
                            ('links[1].parent', 'links[1].mtu'))
    if not refused:
        call()
        return
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value).startswith('links[1].parent: p0 in the root namespace is a')


def test_an_mtu_above_the_parents_names_field_and_limit():
    _lower.parent_rules('macvlan', 'x0', 'p0', 'veth', 1500, 1500, ('link', 'mtu'))
    _lower.parent_rules('macvlan', 'x0', 'p0', 'veth', None, 9000, ('link', 'mtu'))
    _lower.parent_rules('ipvlan', 'x0', 'p0', 'veth', 1500, 9000, ('link', 'mtu'))
    with pytest.raises(InputError) as err:
        _lower.parent_rules('macvtap', 'x0', 'p0', 'veth', 1500, 1501, ('link', 'mtu'))
    assert str(err.value) == ("mtu: 1501 is above the MTU of the parent p0 (1500); a "
                              "macvtap's MTU can be at most its parent's")


@pytest.mark.parametrize('view, elsewhere, nsid, expected', [
    ({'kind': 'macvlan', 'link_index': 3, 'link_netnsid': None}, False, None, True),
    ({'kind': 'macvlan', 'link_index': 4, 'link_netnsid': None}, False, None, False),
    ({'kind': 'macvlan', 'link_index': 3, 'link_netnsid': 1}, False, None, False),
    ({'kind': 'macvlan', 'link_index': 3, 'link_netnsid': 1}, True, 1, True),
    ({'kind': 'macvlan', 'link_index': 3, 'link_netnsid': 0}, True, 1, False),
    ({'kind': 'macvlan', 'link_index': 3, 'link_netnsid': None}, True, 1, False),
    # ipvtap on 6.1 never reports its parent's namespace
    ({'kind': 'ipvtap', 'link_index': 3, 'link_netnsid': None}, True, 1, True),
])
def test_sits_on(view, elsewhere, nsid, expected):
    assert _lower.sits_on(view, 3, elsewhere, lambda: nsid) is expected


def test_root_namespace_value_and_temporary_names():
    assert _lower.parent_netns(None, 'link_netns', 'n1') == 'n1'
    assert _lower.parent_netns('', 'link_netns', 'n1') is None
    assert _lower.parent_netns('host1', 'link_netns', 'n1') == 'host1'
    with pytest.raises(InputError):
        _lower.parent_netns('a/b', 'link_netns', 'n1')
    name = _lower.temporary_name('mv0')
    assert name == _lower.temporary_name('mv0') != _lower.temporary_name('mv1')
    assert len(name) <= 15 and name.startswith('vnt')


def test_takeover_names_every_sibling_then_asks_the_guard():
    asked = []
    with pytest.raises(_lower.EngineError) as err:
        _lower.refuse_takeover('macvlan mv0', 'p0', ['macvtap b', 'macvlan a'], asked.append)
    assert 'other macvlans use it: macvlan a, macvtap b' in str(err.value) and not asked
    _lower.refuse_takeover('macvlan mv0', 'p0', [], asked.append)
    assert asked == ['let passthru macvlan mv0 take over']
