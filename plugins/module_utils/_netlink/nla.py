# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netlink attribute maps that pyroute2 0.9.7 lacks or gets wrong.

pyroute2 drops keyword arguments it has no attribute for, silently, and
decodes unknown attributes as 'UNKNOWN'. For the kinds below it misses
attributes (bond: peer_notif_delay, ad_lacp_active, missed_max; bond ports:
prio; macvlan: bc_queue_len; ipvlan: flags), a mode (ipvlan l3s) or a whole
kind (ipvtap), or gets a type wrong (ip6gre's key flags, which the kernel
reads as big-endian like gre's). The classes here describe the kernel's attributes (numbering
from include/uapi/linux/if_link.h) and are registered with pyroute2's
IFLA_INFO_DATA table, so that keyword arguments are encoded and replies are
decoded with the same names. Registration is process-wide and only adds or
extends maps: every attribute pyroute2 knew keeps its name and type.
"""

from __future__ import annotations

try:
    from pyroute2.netlink import nla
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    HAS_NLA = True
except ImportError:  # the module reports missing_required_lib via _netlink
    HAS_NLA = False
    nla = object


class bond_data(nla):
    """IFLA_INFO_DATA of kind 'bond' (enum IFLA_BOND_*, in kernel order)."""

    prefix = 'IFLA_'
    nla_map = (
        ('IFLA_BOND_UNSPEC', 'none'),
        ('IFLA_BOND_MODE', 'uint8'),
        ('IFLA_BOND_ACTIVE_SLAVE', 'uint32'),
        ('IFLA_BOND_MIIMON', 'uint32'),
        ('IFLA_BOND_UPDELAY', 'uint32'),
        ('IFLA_BOND_DOWNDELAY', 'uint32'),
        ('IFLA_BOND_USE_CARRIER', 'uint8'),
        ('IFLA_BOND_ARP_INTERVAL', 'uint32'),
        ('IFLA_BOND_ARP_IP_TARGET', 'arp_targets'),
        ('IFLA_BOND_ARP_VALIDATE', 'uint32'),
        ('IFLA_BOND_ARP_ALL_TARGETS', 'uint32'),
        ('IFLA_BOND_PRIMARY', 'uint32'),
        ('IFLA_BOND_PRIMARY_RESELECT', 'uint8'),
        ('IFLA_BOND_FAIL_OVER_MAC', 'uint8'),
        ('IFLA_BOND_XMIT_HASH_POLICY', 'uint8'),
        ('IFLA_BOND_RESEND_IGMP', 'uint32'),
        ('IFLA_BOND_NUM_PEER_NOTIF', 'uint8'),
        ('IFLA_BOND_ALL_SLAVES_ACTIVE', 'uint8'),
        ('IFLA_BOND_MIN_LINKS', 'uint32'),
        ('IFLA_BOND_LP_INTERVAL', 'uint32'),
        ('IFLA_BOND_PACKETS_PER_SLAVE', 'uint32'),
        ('IFLA_BOND_AD_LACP_RATE', 'uint8'),
        ('IFLA_BOND_AD_SELECT', 'uint8'),
        ('IFLA_BOND_AD_INFO', 'ad_info'),
        ('IFLA_BOND_AD_ACTOR_SYS_PRIO', 'uint16'),
        ('IFLA_BOND_AD_USER_PORT_KEY', 'uint16'),
        # six raw bytes (ETH_ALEN); pyroute2 declares it 'hex', which wants
        # bytes: l2addr takes and returns the usual 'aa:bb:..' text instead
        ('IFLA_BOND_AD_ACTOR_SYSTEM', 'l2addr'),
        ('IFLA_BOND_TLB_DYNAMIC_LB', 'uint8'),
        ('IFLA_BOND_PEER_NOTIF_DELAY', 'uint32'),
        ('IFLA_BOND_AD_LACP_ACTIVE', 'uint8'),
        ('IFLA_BOND_MISSED_MAX', 'uint8'),
        ('IFLA_BOND_NS_IP6_TARGET', 'hex'),
        ('IFLA_BOND_COUPLED_CONTROL', 'uint8'),
    )

    class arp_targets(nla):
        """A nest of IPv4 addresses; iproute2 numbers them 0, 1, 2 ..."""

        nla_map = tuple((index, 'TARGET_%d' % index, 'ip4addr') for index in range(16))

    class ad_info(nla):
        nla_map = (
            ('IFLA_BOND_AD_INFO_UNSPEC', 'none'),
            ('IFLA_BOND_AD_INFO_AGGREGATOR', 'uint16'),
            ('IFLA_BOND_AD_INFO_NUM_PORTS', 'uint16'),
            ('IFLA_BOND_AD_INFO_ACTOR_KEY', 'uint16'),
            ('IFLA_BOND_AD_INFO_PARTNER_KEY', 'uint16'),
            ('IFLA_BOND_AD_INFO_PARTNER_MAC', 'l2addr'),
        )


class bond_port_data(nla):
    """IFLA_INFO_SLAVE_DATA of a bond port (enum IFLA_BOND_SLAVE_*)."""

    prefix = 'IFLA_'
    nla_map = (
        ('IFLA_BOND_SLAVE_UNSPEC', 'none'),
        ('IFLA_BOND_SLAVE_STATE', 'uint8'),
        ('IFLA_BOND_SLAVE_MII_STATUS', 'uint8'),
        ('IFLA_BOND_SLAVE_LINK_FAILURE_COUNT', 'uint32'),
        ('IFLA_BOND_SLAVE_PERM_HWADDR', 'l2addr'),
        ('IFLA_BOND_SLAVE_QUEUE_ID', 'uint16'),
        ('IFLA_BOND_SLAVE_AD_AGGREGATOR_ID', 'uint16'),
        ('IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE', 'uint8'),
        ('IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE', 'uint16'),
        ('IFLA_BOND_SLAVE_PRIO', 'int32'),
    )


class macvlan_data(nla):
    """IFLA_INFO_DATA of macvlan (and, renamed, macvtap).

    MODE stays a plain number (pyroute2 maps it to text on decode only,
    which makes comparisons depend on the direction).
    """

    prefix = 'IFLA_'
    nla_map = (
        ('IFLA_MACVLAN_UNSPEC', 'none'),
        ('IFLA_MACVLAN_MODE', 'uint32'),
        ('IFLA_MACVLAN_FLAGS', 'uint16'),
        ('IFLA_MACVLAN_MACADDR_MODE', 'uint32'),
        ('IFLA_MACVLAN_MACADDR', 'l2addr'),
        ('IFLA_MACVLAN_MACADDR_DATA', 'macaddr_data'),
        ('IFLA_MACVLAN_MACADDR_COUNT', 'uint32'),
        ('IFLA_MACVLAN_BC_QUEUE_LEN', 'uint32'),
        ('IFLA_MACVLAN_BC_QUEUE_LEN_USED', 'uint32'),
        ('IFLA_MACVLAN_BC_CUTOFF', 'int32'),
    )

    class macaddr_data(nla):
        nla_map = ((4, 'IFLA_MACVLAN_MACADDR', 'l2addr'),)


class macvtap_data(nla):
    # Not a subclass of macvlan_data: pyroute2 caches the compiled map on
    # the class and a subclass would find the parent's cache (decoding
    # macvtap as IFLA_MACVLAN_* and dropping macvtap_mode) once a macvlan
    # was used first in the same process.
    prefix = 'IFLA_'
    nla_map = tuple((name.replace('MACVLAN', 'MACVTAP'), kind)
                    for name, kind in macvlan_data.nla_map)
    macaddr_data = macvlan_data.macaddr_data


class ipvlan_data(nla):
    """IFLA_INFO_DATA of ipvlan and ipvtap (same attributes in the kernel)."""

    prefix = 'IFLA_'
    nla_map = (
        ('IFLA_IPVLAN_UNSPEC', 'none'),
        ('IFLA_IPVLAN_MODE', 'uint16'),
        ('IFLA_IPVLAN_FLAGS', 'uint16'),
    )


class ipvtap_data(ipvlan_data):
    pass


# GRE key/checksum/sequence flags (IFLA_GRE_IFLAGS, IFLA_GRE_OFLAGS): the
# kernel reads them as the GRE header's own big-endian bits (nla_get_be16);
# iproute2 sends GRE_KEY as htons(0x2000).
GRE_KEY = 0x2000
# IFLA_GRE_FLAGS of ip6gre (include/uapi/linux/ip6_tunnel.h)
IP6_TNL_F_IGN_ENCAP_LIMIT = 0x1
IP6_TNL_F_USE_ORIG_TCLASS = 0x2
IP6_TNL_F_USE_ORIG_FLOWLABEL = 0x4
# IFLA_GRE_FLOWINFO (be32): traffic class in bits 20-27, flow label in 0-19
IP6_FLOWINFO_TCLASS = 0x0FF00000
IP6_FLOWINFO_FLOWLABEL = 0x000FFFFF


def _gre_map(prefix, address):
    """enum IFLA_GRE_* (include/uapi/linux/if_tunnel.h, kernel order); the
    same numbers serve ip6gre with IPv6 addresses."""
    return (
        (prefix + 'UNSPEC', 'none'),
        (prefix + 'LINK', 'uint32'),
        (prefix + 'IFLAGS', 'be16'),
        (prefix + 'OFLAGS', 'be16'),
        (prefix + 'IKEY', 'be32'),
        (prefix + 'OKEY', 'be32'),
        (prefix + 'LOCAL', address),
        (prefix + 'REMOTE', address),
        (prefix + 'TTL', 'uint8'),
        (prefix + 'TOS', 'uint8'),
        (prefix + 'PMTUDISC', 'uint8'),
        (prefix + 'ENCAP_LIMIT', 'uint8'),
        (prefix + 'FLOWINFO', 'be32'),
        (prefix + 'FLAGS', 'uint32'),
        (prefix + 'ENCAP_TYPE', 'uint16'),
        (prefix + 'ENCAP_FLAGS', 'uint16'),
        (prefix + 'ENCAP_SPORT', 'be16'),
        (prefix + 'ENCAP_DPORT', 'be16'),
        (prefix + 'COLLECT_METADATA', 'flag'),
        (prefix + 'IGNORE_DF', 'uint8'),
        (prefix + 'FWMARK', 'uint32'),
    )


class gre_data(nla):
    """IFLA_INFO_DATA of gre and gretap. pyroute2 has the same names; its
    flags type ('gre_flags', big-endian too) logs a warning for any bit it
    does not list, and it lacks nothing else a lab uses: the map is ours so
    that both families are described (and tested) side by side."""

    prefix = 'IFLA_'
    nla_map = _gre_map('IFLA_GRE_', 'ip4addr')


class ip6gre_data(nla):
    """IFLA_INFO_DATA of ip6gre and ip6gretap, under pyroute2's names
    (IFLA_IP6GRE_*). pyroute2 declares the key flags 'uint16' (host byte
    order): GRE_KEY then reaches the kernel as 0x0020, which it ignores, so
    a keyed ip6gre would carry its key without using it."""

    prefix = 'IFLA_'
    nla_map = _gre_map('IFLA_IP6GRE_', 'ip6addr')


DATA_CLASSES = {
    'bond': bond_data,
    'macvlan': macvlan_data,
    'macvtap': macvtap_data,
    'ipvlan': ipvlan_data,
    'ipvtap': ipvtap_data,
    'gre': gre_data,
    'gretap': gre_data,
    'ip6gre': ip6gre_data,
    'ip6gretap': ip6gre_data,
}


def _port_data_class(original):
    """IFLA_INFO_SLAVE_DATA of bond ports gets our map, whether the message
    names the master's kind (IFLA_INFO_SLAVE_KIND 'bond', as the kernel
    reports) or the port kind (IFLA_INFO_KIND 'bond_slave', as iproute2
    sends `type bond_slave`)."""
    def info_slave_data(self, *argv, **kwarg):
        kind = self.get_attr('IFLA_INFO_SLAVE_KIND') or self.get_attr('IFLA_INFO_KIND')
        if kind in ('bond', 'bond_slave'):
            return bond_port_data
        return original(self, *argv, **kwarg)
    info_slave_data.vnet_linux = True
    return info_slave_data


def register():
    """Teach pyroute2 our attribute maps (idempotent, process-wide).

    The IFLA_INFO_SLAVE_DATA class is chosen by a function with a fixed
    table inside pyroute2's ifinfo class, so that function is wrapped. pyroute2
    compiles each class's attribute table once and caches the function it
    found; the cache flag is reset so that the wrapper is picked up even if a
    message was already parsed in this process.
    """
    if not HAS_NLA:
        return
    ifinfo = ifinfmsg.ifinfo
    ifinfo.register_link_kind(module=DATA_CLASSES)
    ifinfo.bond_slave_data = bond_port_data
    if not getattr(ifinfo.info_slave_data, 'vnet_linux', False):
        ifinfo.info_slave_data = staticmethod(_port_data_class(ifinfo.info_slave_data))
        ifinfo._nlmsg_base__compiled_nla = False  # pyroute2's name-mangled cache flag


register()
