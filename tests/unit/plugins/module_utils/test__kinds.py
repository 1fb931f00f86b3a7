"""Kind specs: every attribute name must be one pyroute2 really sends.

pyroute2 drops unknown keyword arguments silently, so a typo in a spec would
make an option a no-op. This test pins each spec's attributes to the NLA maps
pyroute2 encodes with.
"""

import pytest

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg, protinfo_bridge

from ansible_collections.vnet.linux.plugins.module_utils._kinds import specs as _kinds


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
