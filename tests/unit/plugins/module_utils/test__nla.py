"""The netlink messages the collection sends for kinds this kernel lacks.

bond, ipvlan and ipvtap cannot be created here, so their requests are built
offline with the same pyroute2 request path IPRoute.link() uses and compared,
attribute by attribute, with what iproute2 sends for the same command. The
iproute2 message is captured with strace in a throwaway network namespace
(unshare -n; the kernel refuses the kind, the message is sent anyway). The
round-trip tests (encode, decode, same names and values) need neither tool.
"""

import re
import shutil
import subprocess
import types

import pytest

from pyroute2.iproute.linux import get_arguments_processor
from pyroute2.netlink.nlsocket import NetlinkRequest
from pyroute2.netlink.rtnl import RTM_NEWLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from ansible_collections.vnet.linux.plugins.module_utils._netlink import nla as _nla
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_steps import port_settings
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    BOND,
    IPVLAN,
    IPVTAP,
    MACVLAN,
)

HAVE_TOOLS = all(shutil.which(tool) for tool in ('strace', 'unshare', 'ip'))
needs_tools = pytest.mark.skipif(not HAVE_TOOLS,
                                 reason='strace, unshare and ip are needed to capture '
                                        "iproute2's message")


class _Pool(object):
    @staticmethod
    def alloc():
        return 1


def encode(command, **kwargs):
    """The bytes IPRoute.link(command, **kwargs) would send."""
    _nla.register()
    args = get_arguments_processor('link', command, kwargs)
    sock = types.SimpleNamespace(addr_pool=_Pool(), status={'nlm_echo': False}, epid=1,
                                 marshal=None)
    request = NetlinkRequest(sock, ifinfmsg(), command,
                             {'add': (RTM_NEWLINK, 'create'), 'set': (RTM_NEWLINK, 'req')},
                             None, args)
    request.msg.encode()
    return request.msg.data


def linkinfo(data):
    msg = ifinfmsg(data)
    msg.decode()
    return msg.get_attr('IFLA_LINKINFO')


def flat(node, prefix=''):
    """{'INFO_DATA/IFLA_BOND_MODE': 4, ...}: comparable, order-free."""
    result = {}
    for name, value in node.get('attrs', []):
        if hasattr(value, 'get') and 'attrs' in value:
            result.update(flat(value, prefix + name + '/'))
        else:
            result[prefix + name] = value
    return result


def iproute2_linkinfo(*args):
    """IFLA_LINKINFO of the RTM_NEWLINK iproute2 sends for `ip link ARGS`."""
    out = subprocess.run(['strace', '-f', '-e', 'trace=sendmsg', '-e', 'write=3',
                          '-o', '/dev/stdout', 'unshare', '-n', 'ip', 'link'] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    messages, current = [], None
    for line in out.stdout.decode().splitlines():
        if ' sendmsg(' in line:
            current = bytearray()
            messages.append(current)
        # ' | 00010  xx xx .. xx  xx .. xx  ascii |': 16 bytes in 49 columns
        match = re.match(r'\s*\| [0-9a-f]{5}  (.{49})', line)
        if match and current is not None:
            current.extend(bytes.fromhex(''.join(re.findall(r'[0-9a-f]{2}', match.group(1)))))
    newlink = [m for m in messages if len(m) > 16 and m[4] == RTM_NEWLINK]
    assert newlink, 'no RTM_NEWLINK captured from: ip link %s' % ' '.join(args)
    return linkinfo(bytes(newlink[-1]))


def bond_request(settings):
    return encode('add', ifname='b0', kind='bond', **BOND.kernel_args(settings))


BOND_CASES = [
    ({'mode': '802.3ad', 'miimon': 100, 'lacp_rate': 'fast', 'lacp_active': False,
      'ad_select': 'count', 'ad_actor_sys_prio': 10, 'ad_actor_system': '02:00:00:00:00:01',
      'ad_user_port_key': 7, 'xmit_hash_policy': 'vlan+srcmac', 'min_links': 2},
     'mode 802.3ad miimon 100 lacp_rate fast lacp_active off ad_select count '
     'ad_actor_sys_prio 10 ad_actor_system 02:00:00:00:00:01 ad_user_port_key 7 '
     'xmit_hash_policy vlan+srcmac min_links 2'),
    ({'mode': 'active-backup', 'miimon': 100, 'updelay': 200, 'downdelay': 300,
      'peer_notify_delay': 400, 'use_carrier': False, 'primary_reselect': 'failure',
      'fail_over_mac': 'follow', 'num_grat_arp': 3, 'resend_igmp': 4,
      'all_ports_active': True, 'lp_interval': 5},
     'mode active-backup miimon 100 updelay 200 downdelay 300 peer_notify_delay 400 '
     'use_carrier 0 primary_reselect failure fail_over_mac follow num_grat_arp 3 '
     'resend_igmp 4 all_slaves_active 1 lp_interval 5'),
    ({'mode': 'balance-xor', 'arp_interval': 250, 'arp_ip_target': ['10.0.0.1', '10.0.0.2'],
      'arp_validate': 'filter_backup', 'arp_all_targets': 'all', 'arp_missed_max': 9},
     'mode balance-xor arp_interval 250 arp_ip_target 10.0.0.1,10.0.0.2 '
     'arp_validate filter_backup arp_all_targets all arp_missed_max 9'),
    ({'mode': 'balance-rr', 'packets_per_port': 3},
     'mode balance-rr packets_per_slave 3'),
    ({'mode': 'balance-tlb', 'tlb_dynamic_lb': False},
     'mode balance-tlb tlb_dynamic_lb 0'),
]


@needs_tools
@pytest.mark.parametrize('settings, iproute2', BOND_CASES)
def test_bond_create_matches_iproute2(settings, iproute2):
    ours = flat(linkinfo(bond_request(settings)))
    theirs = flat(iproute2_linkinfo('add', 'b0', 'type', 'bond', *iproute2.split()))
    assert ours == theirs


@pytest.mark.parametrize('settings, _iproute2', BOND_CASES)
def test_bond_settings_round_trip_with_every_attribute(settings, _iproute2):
    data = flat(linkinfo(bond_request(settings)))
    assert data['IFLA_INFO_KIND'] == 'bond'
    sent = len([k for k in data if k.startswith('IFLA_INFO_DATA/')])
    # every option given is an attribute (arp_ip_target: one per address)
    expected = sum(len(v) if isinstance(v, list) else 1 for v in settings.values())
    assert sent == expected, data


def test_bond_attributes_pyroute2_lacks_are_encoded():
    data = flat(linkinfo(bond_request({'peer_notify_delay': 200, 'lacp_active': True,
                                       'arp_missed_max': 3,
                                       'ad_actor_system': '02:00:00:00:00:09'})))
    assert data['IFLA_INFO_DATA/IFLA_BOND_PEER_NOTIF_DELAY'] == 200
    assert data['IFLA_INFO_DATA/IFLA_BOND_AD_LACP_ACTIVE'] == 1
    assert data['IFLA_INFO_DATA/IFLA_BOND_MISSED_MAX'] == 3
    assert data['IFLA_INFO_DATA/IFLA_BOND_AD_ACTOR_SYSTEM'] == '02:00:00:00:00:09'


def test_ad_actor_system_travels_as_six_bytes():
    raw = bond_request({'ad_actor_system': '02:00:00:00:00:09'})
    # nla header: len 10 (4 + 6 bytes), type 26 (IFLA_BOND_AD_ACTOR_SYSTEM)
    assert bytes([10, 0, 26, 0, 2, 0, 0, 0, 0, 9]) in raw


def bond_port_request(settings):
    captured = {}

    class Session(object):
        @staticmethod
        def index(_name):
            return 7

        @staticmethod
        def call(_what, _method, command, **kwargs):
            captured.update(command=command, **kwargs)
    port_settings(Session(), 'p1', 'p1', BOND, settings)
    command = captured.pop('command')
    return encode(command, **captured)


@needs_tools
def test_bond_port_settings_match_iproute2():
    ours = flat(linkinfo(bond_port_request({'queue_id': 3, 'prio': -2})))
    theirs = flat(iproute2_linkinfo('set', 'lo', 'type', 'bond_slave', 'queue_id', '3',
                                    'prio', '-2'))
    assert ours == theirs
    assert ours['IFLA_INFO_KIND'] == 'bond_slave'
    assert ours['IFLA_INFO_SLAVE_DATA/IFLA_BOND_SLAVE_PRIO'] == -2


def lower_request(spec, settings):
    return encode('add', ifname='x0', kind=spec.kind, link=1, **spec.kernel_args(settings))


@needs_tools
@pytest.mark.parametrize('spec', [IPVLAN, IPVTAP], ids=['ipvlan', 'ipvtap'])
@pytest.mark.parametrize('mode, flags', [('l2', 'bridge'), ('l3', 'private'),
                                         ('l3s', 'vepa')])
def test_ipvlan_and_ipvtap_match_iproute2(spec, mode, flags):
    ours = flat(linkinfo(lower_request(spec, {'mode': mode, 'flags': flags})))
    theirs = flat(iproute2_linkinfo('add', 'x0', 'link', 'lo', 'type', spec.kind,
                                    'mode', mode, flags))
    assert ours == theirs


def test_ipvtap_kind_and_l3s_are_sent():
    data = flat(linkinfo(lower_request(IPVTAP, {'mode': 'l3s', 'flags': 'vepa'})))
    assert data == {'IFLA_INFO_KIND': 'ipvtap', 'IFLA_INFO_DATA/IFLA_IPVLAN_MODE': 2,
                    'IFLA_INFO_DATA/IFLA_IPVLAN_FLAGS': 2}


@needs_tools
def test_macvlan_source_mode_matches_iproute2():
    ours = flat(linkinfo(lower_request(MACVLAN, {
        'mode': 'source', 'bcqueuelen': 500,
        'source_macs': ['02:00:00:00:00:02', '02:00:00:00:00:01']})))
    theirs = flat(iproute2_linkinfo('add', 'x0', 'link', 'lo', 'type', 'macvlan',
                                    'mode', 'source', 'bcqueuelen', '500', 'macaddr', 'set',
                                    '02:00:00:00:00:01', '02:00:00:00:00:02'))
    # flat() keys repeat for each MAC of the nest: compare the lists too
    assert ours == theirs
    assert macs(lower_request(MACVLAN, {'mode': 'source', 'source_macs': [
        '02:00:00:00:00:02', '02:00:00:00:00:01']})) == \
        ['02:00:00:00:00:01', '02:00:00:00:00:02']


def macs(raw):
    data = linkinfo(raw).get_attr('IFLA_INFO_DATA')
    return [value for _name, value in data.get_attr('IFLA_MACVLAN_MACADDR_DATA')['attrs']]
