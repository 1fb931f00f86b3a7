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


def _from_centiseconds(value):
    return value / 100.0


def enum(mapping):
    """Converters for a named setting stored as a number in the kernel."""
    reverse = dict((number, name) for name, number in mapping.items())
    return (lambda value: mapping[value]), (lambda value: reverse.get(value, value))


class Option(object):
    """One kind-specific option and its netlink attribute."""

    def __init__(self, name, nla, convert=None, recreate=False):
        self.name = name
        self.nla = nla
        self.to_kernel, self.from_kernel = convert or (_identity, _identity)
        self.recreate = recreate


FLAG = (_flag, _from_flag)
SECONDS = (_centiseconds, _from_centiseconds)


class KindSpec(object):
    """How one kind of link maps its options to netlink.

    nla_prefix is what pyroute2 strips from attribute names to make keyword
    arguments (IFLA_BR_STP_STATE -> br_stp_state).
    """

    def __init__(self, kind, options, nla_prefix='IFLA_', port_options=(),
                 port_kind=None, port_prefix='IFLA_'):
        self.kind = kind
        self.options = list(options)
        self.nla_prefix = nla_prefix
        self.port_options = list(port_options)
        self.port_kind = port_kind or kind
        self.port_prefix = port_prefix

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
            if value is None:
                continue
            if data.get(option.nla) != option.to_kernel(value):
                result.append(option)
        return result


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
        Option('ageing_time', 'IFLA_BR_AGEING_TIME', SECONDS),
        Option('vlan_filtering', 'IFLA_BR_VLAN_FILTERING', FLAG),
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
