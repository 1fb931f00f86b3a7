"""Kind specs: every attribute name must be one pyroute2 really sends.

pyroute2 drops unknown keyword arguments silently, so a typo in a spec would
make an option a no-op. This test pins each spec's attributes to the NLA maps
pyroute2 encodes with.
"""

import pytest

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg, protinfo_bridge

from ansible_collections.vnet.linux.plugins.module_utils._kinds import specs as _kinds
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError


def nla_names(nla_class):
    return set(name for name, _fmt in nla_class.nla_map if isinstance(name, str)) | \
        set(item[1] for item in nla_class.nla_map if len(item) == 3)


def bridge_data_names():
    data = ifinfmsg.ifinfo.bridge_data
    return set(entry[0] if isinstance(entry[0], str) else entry[1]
               for entry in data.nla_map)


def test_bridge_options_are_real_nlas():
    known = bridge_data_names()
    for option in _kinds.BRIDGE.options:
        assert option.nla in known, option.nla


def test_bridge_port_options_are_real_nlas():
    known = set(entry[0] if isinstance(entry[0], str) else entry[1]
                for entry in protinfo_bridge.nla_map)
    for option in _kinds.BRIDGE.port_options:
        assert option.nla in known, option.nla


def test_kernel_args_use_pyroute2_keywords_and_units():
    args = _kinds.BRIDGE.kernel_args({'stp': True, 'forward_delay': 4.5, 'priority': None,
                                      'vlan_protocol': '802.1ad'})
    assert args == {'br_stp_state': 1, 'br_forward_delay': 450,
                    'br_vlan_protocol': 0x88A8}
    port = _kinds.BRIDGE.kernel_args({'cost': 5, 'hairpin': False}, port=True)
    assert port == {'cost': 5, 'mode': 0}


def test_differences_compare_in_kernel_units():
    data = {'IFLA_BR_FORWARD_DELAY': 1500, 'IFLA_BR_STP_STATE': 0}
    assert _kinds.BRIDGE.differences({'forward_delay': 15, 'stp': False}, data) == []
    changed = _kinds.BRIDGE.differences({'forward_delay': 15.01, 'stp': True}, data)
    assert sorted(o.name for o in changed) == ['forward_delay', 'stp']


def test_current_reads_user_units():
    data = {'IFLA_BR_AGEING_TIME': 30000, 'IFLA_BR_VLAN_PROTOCOL': 0x8100}
    assert _kinds.BRIDGE.current(data) == {'ageing_time': 300.0, 'vlan_protocol': '802.1Q'}


@pytest.mark.parametrize('spec', list(_kinds.KINDS.values()))
def test_option_names_unique(spec):
    names = [o.name for o in spec.options]
    assert len(names) == len(set(names))


# --- one spec, one doc fragment -------------------------------------------------

FRAGMENT_OF = {'bridge': 'bridge', 'bond': 'bond', 'macvlan': 'macvlan', 'macvtap': 'macvlan',
               'ipvlan': 'ipvlan', 'ipvtap': 'ipvlan', 'dummy': 'dummy', 'vrf': 'vrf'}


def fragment_options(name):
    import importlib
    import yaml
    module = importlib.import_module(
        'ansible_collections.vnet.linux.plugins.doc_fragments.' + name)
    return yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION).get('options') or {}


@pytest.mark.parametrize('kind', sorted(FRAGMENT_OF))
def test_each_kind_doc_fragment_documents_its_argument_spec(kind):
    """validate-modules checks each module; this pins the fragment to the
    spec itself, which the topology's options follow too."""
    documented = fragment_options(FRAGMENT_OF[kind])
    spec = _kinds.KINDS[kind].argument_spec()
    assert sorted(documented) == sorted(spec)
    for name, entry in spec.items():
        doc = documented[name]
        assert doc['type'] == entry['type'], name
        assert sorted(doc.get('choices') or []) == sorted(entry.get('choices') or []), name
        assert doc.get('elements') == entry.get('elements'), name


def test_argument_spec_entries():
    spec = _kinds.BOND.argument_spec()
    assert spec['xmit_hash_policy'] == {'type': 'str', 'choices': list(_kinds.BOND_XMIT_HASH)}
    assert spec['arp_ip_target'] == {'type': 'list', 'elements': 'str'}
    assert spec['ad_user_port_key'] == {'type': 'int', 'no_log': False}
    assert _kinds.BRIDGE.argument_spec()['forward_delay'] == {'type': 'float'}
    assert _kinds.BRIDGE.argument_spec(port=True)['hairpin'] == {'type': 'bool'}
    assert _kinds.DUMMY.argument_spec() == {}


def test_stp_timer_ranges_follow_the_kernel_state():
    def fields(name):
        return "bridges[0]." + name
    with pytest.raises(InputError, match=r'^bridges\[0\].forward_delay: 1 s is out of range'):
        _kinds.BRIDGE.check({'forward_delay': 1}, current={'stp': True}, field_of=fields)
    # STP off (now, or turned off in the same task): the kernel takes any timer
    assert _kinds.BRIDGE.check({'forward_delay': 1}, current={'stp': False}) == \
        {'forward_delay': 1}
    assert _kinds.BRIDGE.check({'forward_delay': 1, 'stp': False}, current={'stp': True})


def test_bond_mode_comes_from_the_kernel_when_not_given():
    with pytest.raises(InputError, match='lacp_rate is only used in mode 802.3ad, not in '
                                         'mode active-backup'):
        _kinds.BOND.check({'lacp_rate': 'fast'}, current={'mode': 'active-backup'})
    assert _kinds.BOND.check({'lacp_rate': 'fast'}, current={'mode': '802.3ad'})
    # a new bond runs balance-rr; not read yet: only what is given is judged
    with pytest.raises(InputError, match='not in mode balance-rr'):
        _kinds.BOND.check({'lacp_rate': 'fast'}, current={})
    assert _kinds.BOND.check({'lacp_rate': 'fast'}, current=None) == {'lacp_rate': 'fast'}
    with pytest.raises(InputError, match='updelay: 150 ms is not a multiple of miimon'):
        _kinds.BOND.check({'updelay': 150}, current={'miimon': 100, 'mode': 'balance-rr'})


def test_registry_lookups():
    assert _kinds.by_netlink_kind('team') is _kinds.TEAMD
    assert _kinds.by_netlink_kind('dummy') is _kinds.DUMMY
    assert _kinds.by_netlink_kind('vxlan') is _kinds.VXLAN
    assert _kinds.by_netlink_kind('nlmon') is None
    assert _kinds.spec_of('nlmon').options == []
    assert _kinds.link_kinds()[0] == 'veth'
    assert 'dummy' in _kinds.link_kinds() and 'bridge' not in _kinds.link_kinds()


def test_a_reading_is_described_so_that_it_applies_again():
    """topology_info renders kind options with described(): a bond in
    active-backup reports LACP and hash defaults the kernel would refuse to
    be given in that mode, and the zero MAC for an unset actor system."""
    read = {'mode': 'active-backup', 'miimon': 100, 'lacp_rate': 'slow',
            'xmit_hash_policy': 'layer2', 'ad_actor_system': '00:00:00:00:00:00',
            'arp_interval': 0, 'arp_ip_target': []}
    described = _kinds.BOND.described(read)
    assert described == {'mode': 'active-backup', 'miimon': 100, 'arp_interval': 0,
                         'arp_ip_target': []}
    assert _kinds.BOND.check(described, current={}) == described
    lacp = _kinds.BOND.described(dict(read, mode='802.3ad'))
    assert 'arp_interval' not in lacp and lacp['lacp_rate'] == 'slow'
    assert 'ad_actor_system' not in lacp
    assert _kinds.BOND.check(lacp, current={})
    assert _kinds.MACVLAN.described({'mode': 'bridge', 'source_macs': []}) == {'mode': 'bridge'}
