# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kind specs: which module option is which netlink attribute.

A spec says, for one link kind, how each option maps to an attribute of
IFLA_INFO_DATA (or of a port's IFLA_INFO_SLAVE_DATA), how values convert
between the user's units and the kernel's, and whether a change can be made
in place or needs the link re-created. Adding a kind means adding a spec.
"""

from __future__ import annotations


def _identity(value):
    return value


def _flag(value):
    return 1 if value else 0


def _from_flag(value):
    return bool(value)


def _centiseconds(value):
    # bridge timers are clock_t (1/100 s) in netlink; users think in seconds
    return int(round(float(value) * 100))


def _stp_topology_change(data):
    # During an STP topology change the kernel ages entries out after the
    # forward delay and reports that as the ageing time: the configured
    # value cannot be read until the change is over.
    return bool(data.get('IFLA_BR_STP_STATE') and data.get('IFLA_BR_TOPOLOGY_CHANGE'))


def _from_centiseconds(value):
    return value / 100.0


def enum(mapping):
    """Converters for a named setting stored as a number in the kernel."""
    reverse = dict((number, name) for name, number in mapping.items())
    return (lambda value: mapping[value]), (lambda value: reverse.get(value, value))


class Option(object):
    """One kind-specific option and its netlink attribute."""

    def __init__(self, name, nla, convert=None, recreate=False, unreadable=None,
                 absent=None):
        self.name = name
        self.nla = nla
        self.to_kernel, self.from_kernel = convert or (_identity, _identity)
        self.recreate = recreate
        # absent: the kernel value a new link starts with, and what a kernel
        # built without the feature means by not reporting the attribute.
        # Such a kernel refuses the attribute even when it asks for that
        # value, so create requests leave it out (see create_args).
        self.absent = absent
        # unreadable(data) -> True when the kernel reports a transient value
        # instead of the configured one; the option is then not compared
        self.unreadable = unreadable or (lambda data: False)


FLAG = (_flag, _from_flag)
SECONDS = (_centiseconds, _from_centiseconds)


class KindSpec(object):
    """How one kind of link maps its options to netlink.

    nla_prefix is what pyroute2 strips from attribute names to make keyword
    arguments (IFLA_BR_STP_STATE -> br_stp_state).
    """

    def __init__(self, kind, options, nla_prefix='IFLA_', port_options=(),
                 port_kind=None, port_prefix='IFLA_', port_slave_kind=None):
        self.kind = kind
        # set for masters whose port settings travel as IFLA_INFO_SLAVE_DATA
        # (bond); None: bridge ports (IFLA_PROTINFO)
        self.port_slave_kind = port_slave_kind
        self.options = list(options)
        self.nla_prefix = nla_prefix
        self.port_options = list(port_options)
        self.port_kind = port_kind or kind
        self.port_prefix = port_prefix
        self.options_by_name = dict((option.name, option) for option in self.options)

    @staticmethod
    def _kwarg(nla, prefix):
        return nla[len(prefix):].lower()

    def kernel_args(self, values, port=False):
        """pyroute2 keyword arguments for the options given (not None)."""
        options = self.port_options if port else self.options
        prefix = self.port_prefix if port else self.nla_prefix
        args = {}
        for option in options:
            if values.get(option.name) is not None:
                args[self._kwarg(option.nla, prefix)] = option.to_kernel(values[option.name])
        return args

    def current(self, data, port=False):
        """Option values (user units) of what the kernel reports."""
        options = self.port_options if port else self.options
        return dict((option.name, option.from_kernel(data[option.nla]))
                    for option in options if data.get(option.nla) is not None)

    def differences(self, wanted, data, port=False):
        """Options whose wanted value differs from the kernel's, compared in
        kernel units so that 15 s and 1500 cs are equal."""
        options = self.port_options if port else self.options
        result = []
        for option in options:
            value = wanted.get(option.name)
            if value is None or option.unreadable(data):
                continue
            if data.get(option.nla, option.absent) != option.to_kernel(value):
                result.append(option)
        return result

    def create_args(self, values):
        """kernel_args for a create request: options asking for the value a
        new link has anyway (Option.absent) are left out."""
        kept = dict(values)
        for option in self.options:
            value = kept.get(option.name)
            if value is not None and option.absent is not None and \
                    option.to_kernel(value) == option.absent:
                del kept[option.name]
        return self.kernel_args(kept)


VLAN_PROTOCOLS = {'802.1Q': 0x8100, '802.1ad': 0x88A8}

BRIDGE = KindSpec(
    'bridge',
    nla_prefix='IFLA_',
    options=[
        Option('stp', 'IFLA_BR_STP_STATE', FLAG),
        Option('priority', 'IFLA_BR_PRIORITY'),
        Option('forward_delay', 'IFLA_BR_FORWARD_DELAY', SECONDS),
        Option('hello_time', 'IFLA_BR_HELLO_TIME', SECONDS),
        Option('max_age', 'IFLA_BR_MAX_AGE', SECONDS),
        Option('ageing_time', 'IFLA_BR_AGEING_TIME', SECONDS,
               unreadable=_stp_topology_change),
        # off is what a kernel without CONFIG_BRIDGE_VLAN_FILTERING does, yet
        # it refuses the attribute (EOPNOTSUPP) even to turn filtering off
        Option('vlan_filtering', 'IFLA_BR_VLAN_FILTERING', FLAG, absent=0),
        Option('vlan_protocol', 'IFLA_BR_VLAN_PROTOCOL', enum(VLAN_PROTOCOLS)),
        Option('default_pvid', 'IFLA_BR_VLAN_DEFAULT_PVID'),
        Option('mcast_snooping', 'IFLA_BR_MCAST_SNOOPING', FLAG),
        Option('mcast_querier', 'IFLA_BR_MCAST_QUERIER', FLAG),
        Option('group_fwd_mask', 'IFLA_BR_GROUP_FWD_MASK'),
    ],
    port_kind='bridge_slave',
    port_prefix='IFLA_BRPORT_',
    port_options=[
        Option('cost', 'IFLA_BRPORT_COST'),
        Option('priority', 'IFLA_BRPORT_PRIORITY'),
        Option('hairpin', 'IFLA_BRPORT_MODE', FLAG),
        Option('isolated', 'IFLA_BRPORT_ISOLATED', FLAG),
        Option('learning', 'IFLA_BRPORT_LEARNING', FLAG),
        Option('flooding', 'IFLA_BRPORT_UNICAST_FLOOD', FLAG),
        Option('mcast_flood', 'IFLA_BRPORT_MCAST_FLOOD', FLAG),
        Option('bcast_flood', 'IFLA_BRPORT_BCAST_FLOOD', FLAG),
    ],
)

VETH = KindSpec('veth', options=[])

KINDS = dict((spec.kind, spec) for spec in (BRIDGE, VETH))


# --- lower-device kinds (macvlan, macvtap, ipvlan, ipvtap) and bond -------
# Attribute maps pyroute2 lacks are defined (and registered) in _nla.py.

MACVLAN_MODES = {'private': 1, 'vepa': 2, 'bridge': 4, 'passthru': 8, 'source': 16}
IPVLAN_MODES = {'l2': 0, 'l3': 1, 'l3s': 2}
IPVLAN_FLAGS = {'bridge': 0, 'private': 1, 'vepa': 2}
MACVLAN_MACADDR_SET = 3


class ListOption(Option):
    """A list the kernel keeps as a nest of attributes.

    Compared as a plain tuple (sorted unless the kernel keeps the order);
    `request` gives the keyword arguments that send it.
    """

    def __init__(self, name, nla, request, ordered=True, canonical=_identity):
        Option.__init__(self, name, nla)
        self.ordered = ordered
        self.canonical = canonical
        self.request = request
        self.to_kernel = self.plain
        self.from_kernel = lambda raw: list(self.plain(raw))

    def plain(self, value):
        """Tuple of items from a user list, a kernel nest, or None."""
        if value is None:
            items = []
        elif hasattr(value, 'get'):  # a decoded nest: {'attrs': [(name, item)]}
            items = [item for _name, item in value.get('attrs', [])]
        else:
            items = list(value)
        items = [self.canonical(item) for item in items]
        return tuple(items if self.ordered else sorted(items))


class NestedKindSpec(KindSpec):
    """A KindSpec some of whose options are ListOptions."""

    def _plain_data(self, data):
        plain = dict(data)
        for option in self.options:
            if isinstance(option, ListOption):
                plain[option.nla] = option.plain(data.get(option.nla))
        return plain

    def differences(self, wanted, data, port=False):
        if not port:
            data = self._plain_data(data)
        return KindSpec.differences(self, wanted, data, port)

    def kernel_args(self, values, port=False):
        if port:
            return KindSpec.kernel_args(self, values, port)
        lists = [o for o in self.options if isinstance(o, ListOption)]
        plain = dict((k, v) for k, v in values.items()
                     if k not in [o.name for o in lists])
        args = KindSpec.kernel_args(self, plain)
        for option in lists:
            if values.get(option.name) is not None:
                args.update(option.request(option.plain(values[option.name])))
        return args


def _macvlan_sources(kind):
    """MACADDR_MODE=set replaces the whole list of source MACs."""
    def request(macs):
        return {'%s_macaddr_mode' % kind: MACVLAN_MACADDR_SET,
                '%s_macaddr_data' % kind: {'attrs': [('IFLA_%s_MACADDR' % kind.upper(), mac)
                                                     for mac in macs]}}
    return request


def _macvlan_spec(kind):
    upper = kind.upper()
    return NestedKindSpec(kind, options=[
        Option('mode', 'IFLA_%s_MODE' % upper, enum(MACVLAN_MODES)),
        Option('bcqueuelen', 'IFLA_%s_BC_QUEUE_LEN' % upper),
        ListOption('source_macs', 'IFLA_%s_MACADDR_DATA' % upper, _macvlan_sources(kind),
                   ordered=False, canonical=lambda mac: str(mac).lower()),
    ])


MACVLAN = _macvlan_spec('macvlan')
MACVTAP = _macvlan_spec('macvtap')


def _ipvlan_spec(kind):
    # ipvtap shares ipvlan's attributes (IFLA_IPVLAN_*)
    return KindSpec(kind, options=[
        Option('mode', 'IFLA_IPVLAN_MODE', enum(IPVLAN_MODES)),
        Option('flags', 'IFLA_IPVLAN_FLAGS', enum(IPVLAN_FLAGS)),
    ])


IPVLAN = _ipvlan_spec('ipvlan')
IPVTAP = _ipvlan_spec('ipvtap')

BOND_MODES = {'balance-rr': 0, 'active-backup': 1, 'balance-xor': 2, 'broadcast': 3,
              '802.3ad': 4, 'balance-tlb': 5, 'balance-alb': 6}
BOND_ARP_VALIDATE = {'none': 0, 'active': 1, 'backup': 2, 'all': 3, 'filter': 4,
                     'filter_active': 5, 'filter_backup': 6}
BOND_ARP_ALL_TARGETS = {'any': 0, 'all': 1}
BOND_PRIMARY_RESELECT = {'always': 0, 'better': 1, 'failure': 2}
BOND_FAIL_OVER_MAC = {'none': 0, 'active': 1, 'follow': 2}
BOND_XMIT_HASH = {'layer2': 0, 'layer3+4': 1, 'layer2+3': 2, 'encap2+3': 3,
                  'encap3+4': 4, 'vlan+srcmac': 5}
BOND_LACP_RATE = {'slow': 0, 'fast': 1}
BOND_AD_SELECT = {'stable': 0, 'bandwidth': 1, 'count': 2}


def _arp_targets(targets):
    return {'bond_arp_ip_target': {'attrs': [('TARGET_%d' % pos, address)
                                             for pos, address in enumerate(targets)]}}


BOND = NestedKindSpec(
    'bond',
    options=[
        Option('mode', 'IFLA_BOND_MODE', enum(BOND_MODES)),
        Option('miimon', 'IFLA_BOND_MIIMON'),
        Option('updelay', 'IFLA_BOND_UPDELAY'),
        Option('downdelay', 'IFLA_BOND_DOWNDELAY'),
        Option('peer_notify_delay', 'IFLA_BOND_PEER_NOTIF_DELAY'),
        Option('use_carrier', 'IFLA_BOND_USE_CARRIER', FLAG),
        Option('arp_interval', 'IFLA_BOND_ARP_INTERVAL'),
        ListOption('arp_ip_target', 'IFLA_BOND_ARP_IP_TARGET', _arp_targets),
        Option('arp_validate', 'IFLA_BOND_ARP_VALIDATE', enum(BOND_ARP_VALIDATE)),
        Option('arp_all_targets', 'IFLA_BOND_ARP_ALL_TARGETS', enum(BOND_ARP_ALL_TARGETS)),
        Option('arp_missed_max', 'IFLA_BOND_MISSED_MAX'),
        Option('primary_reselect', 'IFLA_BOND_PRIMARY_RESELECT', enum(BOND_PRIMARY_RESELECT)),
        Option('fail_over_mac', 'IFLA_BOND_FAIL_OVER_MAC', enum(BOND_FAIL_OVER_MAC)),
        Option('xmit_hash_policy', 'IFLA_BOND_XMIT_HASH_POLICY', enum(BOND_XMIT_HASH)),
        Option('resend_igmp', 'IFLA_BOND_RESEND_IGMP'),
        # num_grat_arp and num_unsol_na are two names of one kernel setting
        Option('num_grat_arp', 'IFLA_BOND_NUM_PEER_NOTIF'),
        Option('num_unsol_na', 'IFLA_BOND_NUM_PEER_NOTIF'),
        Option('all_ports_active', 'IFLA_BOND_ALL_SLAVES_ACTIVE', FLAG),
        Option('min_links', 'IFLA_BOND_MIN_LINKS'),
        Option('lp_interval', 'IFLA_BOND_LP_INTERVAL'),
        Option('packets_per_port', 'IFLA_BOND_PACKETS_PER_SLAVE'),
        Option('lacp_rate', 'IFLA_BOND_AD_LACP_RATE', enum(BOND_LACP_RATE)),
        Option('lacp_active', 'IFLA_BOND_AD_LACP_ACTIVE', FLAG),
        Option('ad_select', 'IFLA_BOND_AD_SELECT', enum(BOND_AD_SELECT)),
        Option('ad_actor_sys_prio', 'IFLA_BOND_AD_ACTOR_SYS_PRIO'),
        Option('ad_actor_system', 'IFLA_BOND_AD_ACTOR_SYSTEM'),
        Option('ad_user_port_key', 'IFLA_BOND_AD_USER_PORT_KEY'),
        Option('tlb_dynamic_lb', 'IFLA_BOND_TLB_DYNAMIC_LB', FLAG),
    ],
    port_kind='bond',
    port_prefix='IFLA_',
    port_slave_kind='bond',
    port_options=[
        Option('queue_id', 'IFLA_BOND_SLAVE_QUEUE_ID'),
        Option('prio', 'IFLA_BOND_SLAVE_PRIO'),
    ],
)

KINDS.update((spec.kind, spec) for spec in (MACVLAN, MACVTAP, IPVLAN, IPVTAP, BOND))
