# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kind specs: each link kind described once.

A spec says, for one link kind, what each option is: its name, type,
choices, range and unit as the user writes it; which attribute of
IFLA_INFO_DATA (or of a port's IFLA_INFO_SLAVE_DATA) carries it and how
values convert between the user's units and the kernel's; which modes it
fits; whether a change can be made in place or needs the link re-created;
and when the kernel reports a transient value instead of the configured one.

Everything else is made from it: the argument specs of the link modules
(argument_spec()), the checks of their input and of the topology's per-kind
options (check(): one code path for both), netlink requests (kernel_args),
comparisons with the kernel (differences) and readings (current). The
registry (KINDS, spec_of, by_netlink_kind) tells the topology model, planner
and facts how a kind is laid out in a lab (`layout`), so a new kind is a new
spec here, a thin module and a doc fragment.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import FDB_KEY
from ansible_collections.vnet.linux.plugins.module_utils._netlink.nla import (
    GRE_KEY,
    IP6_FLOWINFO_FLOWLABEL,
    IP6_FLOWINFO_TCLASS,
    IP6_TNL_F_IGN_ENCAP_LIMIT,
    IP6_TNL_F_USE_ORIG_FLOWLABEL,
    IP6_TNL_F_USE_ORIG_TCLASS,
)

INT_MAX = 2 ** 31 - 1
U32_MAX = 2 ** 32 - 1


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


def _stp_topology_change(data):
    # During an STP topology change the kernel ages entries out after the
    # forward delay and reports that as the ageing time: the configured
    # value cannot be read until the change is over.
    return bool(data.get('IFLA_BR_STP_STATE') and data.get('IFLA_BR_TOPOLOGY_CHANGE'))


class Units(object):
    """How a value travels: its type as the user writes it (an Ansible
    argument spec type), the conversions to and from the kernel's units,
    and the names it may take (for a setting the kernel stores as a number)."""

    def __init__(self, type_name, to_kernel=_identity, from_kernel=_identity, choices=None,
                 unit=''):
        self.type = type_name
        self.to_kernel = to_kernel
        self.from_kernel = from_kernel
        self.choices = choices
        self.unit = unit


def enum(mapping):
    """A named setting stored as a number in the kernel."""
    reverse = dict((number, name) for name, number in mapping.items())
    return Units('str', lambda value: mapping[value], lambda value: reverse.get(value, value),
                 choices=list(mapping))


FLAG = Units('bool', _flag, _from_flag)
SECONDS = Units('float', _centiseconds, _from_centiseconds, unit=' s')
INT = Units('int')
TEXT = Units('str')

# 'raw': a number or a word (a GRE key, or 'none'); the option's clean() judges
_PYTHON_TYPES = {'bool': (bool,), 'int': (int,), 'float': (int, float), 'str': (str,),
                 'list': (list, tuple), 'dict': (dict,), 'raw': (int, str)}
_ARTICLES = {'int': 'an int', 'bool': 'a bool', 'float': 'a float', 'str': 'a str',
             'list': 'a list', 'dict': 'a dict', 'raw': 'an int or a str'}


def _type_word(value):
    name = type(value).__name__
    for base in (bool, int, float, str, list, dict):  # bool first: it is an int
        if isinstance(value, base):
            name = base.__name__
            break
    return ('an ' if name[0] in 'aeiou' else 'a ') + name


class Option(object):
    """One kind-specific option, its netlink attribute and its rules.

    low/high: the range the kernel accepts (user units); modes: the modes it
    fits (None: every mode); inert(value): True for a value that turns
    nothing on, which every mode accepts; misfit: the message template for a
    mode it does not fit (field, mode); clean(value, field): validates and
    returns the value in canonical form.
    """

    def __init__(self, name, nla, units=None, recreate=False, unreadable=None, low=None,
                 high=None, modes=None, inert=None, misfit=None, clean=None, no_log=None,
                 unset=None, absent=None):
        units = units or INT
        self.name = name
        self.nla = nla
        self.type = units.type
        self.elements = None
        self.choices = units.choices
        self.unit = units.unit
        self.to_kernel, self.from_kernel = units.to_kernel, units.from_kernel
        self.recreate = recreate
        # absent: the kernel value a new link starts with, and what a kernel
        # built without the feature means by not reporting the attribute.
        # Such a kernel refuses the attribute even when it asks for that
        # value, so create requests leave it out (see create_args).
        self.absent = absent
        # unreadable(data) -> True when the kernel reports a transient value
        # instead of the configured one; the option is then not compared
        self.unreadable = unreadable or (lambda data: False)
        self.low, self.high = low, high
        self.modes = modes
        self.inert = inert or (lambda value: False)
        self.misfit = misfit or '%s is only used in mode {modes}, not in mode %s'
        self.clean = clean
        self.no_log = no_log
        # the value the kernel reports when the option was never set, and
        # refuses to be given (a read quirk)
        self.unset = unset

    # True for entries the kernel keeps beside the link (TableOption)
    table = False

    def read(self, data):
        """The kernel's value in a link's reading (kernel units); None: the
        kernel does not report it."""
        return data.get(self.nla)

    def argument(self):
        """This option's entry in a module's argument spec."""
        entry = {'type': self.type}
        if self.elements:
            entry['elements'] = self.elements
        if self.choices:
            entry['choices'] = list(self.choices)
        if self.no_log is not None:
            entry['no_log'] = self.no_log
        return entry

    def check(self, value, field, kind='link'):
        """The value in canonical form, or InputError naming the field."""
        if not isinstance(value, _PYTHON_TYPES[self.type]) or \
                (isinstance(value, bool) and self.type in ('int', 'float', 'raw')):
            raise validate.InputError('%s: %r is %s; expected %s'
                                      % (field, value, _type_word(value),
                                         _ARTICLES[self.type]))
        if self.elements in _PYTHON_TYPES:
            for pos, item in enumerate(value):
                if not isinstance(item, _PYTHON_TYPES[self.elements]) or \
                        (isinstance(item, bool) and self.elements != 'bool'):
                    raise validate.InputError('%s[%d]: %r is %s; expected %s'
                                              % (field, pos, item, _type_word(item),
                                                 _ARTICLES[self.elements]))
        if self.choices and value not in self.choices:
            raise validate.InputError('%s: %r is not a %s %s; choose one of %s'
                                      % (field, value, kind, self.name,
                                         ', '.join(self.choices)))
        if self.low is not None:
            validate.int_range(value, field, self.low, self.high, self.unit)
        return self.clean(value, field) if self.clean else value

    def fits(self, mode, value):
        return self.modes is None or mode in self.modes or self.inert(value)

    # the empty value an undo sends back when the kernel reported none (None:
    # the option is then left as it is)
    empty = None

    def differs(self, data, value):
        """Does the kernel's data hold another value? Compared in kernel
        units, so that 15 s and 1500 cs are equal."""
        have = self.read(data)
        return (self.absent if have is None else have) != self.to_kernel(value)

    def add_to(self, args, keyword, value, replaced=None):
        """Put the value into a request's pyroute2 keywords. replaced: the
        value it replaces (options that send a whole map need it)."""
        args[keyword] = self.to_kernel(value)

    def misfit_text(self, field, mode):
        return self.misfit.replace('{modes}', ' / '.join(self.modes or ())) % (field, mode)


def _bare(name):
    return name


class KindSpec(object):
    """How one kind of link maps its options to netlink, and their rules.

    nla_prefix is what pyroute2 strips from attribute names to make keyword
    arguments (IFLA_BR_STP_STATE -> br_stp_state).

    layout says how a lab describes the kind (the topology module): 'pair'
    (a veth: two endpoints), 'bridge' (its own list), 'device' (one link in
    a node), 'stacked' (one link on a parent link), 'ports' (one link with
    ports of its node); None: not part of a lab. default_mode is the mode a
    new link gets when none is given. rules(values, current, field_of) are
    checks between options; current is what the kernel has ({} for a new
    link, None when not read yet). recreate_when(current, wanted) names a
    change the kernel cannot make in place that no single option explains.
    fixed_mac: the kernel gives the link its parent's MAC address.
    ports_down: a master whose driver takes only ports that are down
    (EPERM otherwise) and closes the ports it releases (a bond).
    cycles_ports: a master whose driver takes a port that is up down and up
    again when it joins or leaves (a VRF): the kernel drops the port's IPv6
    addresses on the way (keep_addr_on_down at its default), which the
    planners put back. max_mtu: the largest MTU the kind takes.
    idle(values) names options a reading reports that the link does not use
    (a vxlan's VNI in external mode): a description read back leaves them
    out, and a re-create does not carry them over (see carried, and keep).
    no_mac: the link has no MAC address at all (an L3 tunnel: the kernel
    reports its tunnel address as the hardware address).

    How a link sits on others (the engine derives every kind list from these):
    parent: 'required' (a macvlan needs a lower device), 'optional' (a
    tunnel may name an underlay device), 'underlay' (a tunnel with an
    underlay namespace and never a device: geneve), or None; the default is 'required'
    for the 'stacked' layout. A link with a parent is created in the
    parent's namespace (a tunnel without one in its underlay namespace, where
    its socket then lives) and placed into its own namespace in the same
    request. parent_nla: the IFLA_INFO_DATA attribute that carries the
    parent's index (None: IFLA_LINK). same_family: kinds the kernel never
    stacks this kind on (it would use that parent's own parent).
    dies_with_parent: the kernel deletes the link with its parent (default:
    every link with a parent); dies_with_underlay: it deletes the link with
    the namespace it was created in, wherever the link lives now (tunnels).
    rebuild: the undo of a delete can rebuild it from a reading (False for a
    team: teamd owns it). device_options: options the kernel takes only
    with a parent device (a vxlan's multicast group). mtu_within_parent: the kernel refuses an MTU above
    the parent's (EINVAL or ERANGE, with no word of why). placed_by_move: a
    link made for another namespace is created in its parent's (underlay)
    namespace and then moved, not created straight into its own: the kernel
    would take that one as its underlay (ip tunnels before 6.14).
    socket_port: the default UDP port of a tunnel whose underlay namespace
    the kernel does not report (geneve): the namespace holding a UDP socket
    bound to its port is the witness (_netlink/sockets.py,
    lower.socket_in_underlay); None for every other kind.
    """

    def __init__(self, kind, options, nla_prefix='IFLA_', port_options=(),
                 port_kind=None, port_prefix='IFLA_', port_slave_kind=None,
                 netlink_kind=None, layout=None, default_mode=None, rules=(),
                 recreate_when=None, fixed_mac=False, parent=None, parent_nla=None,
                 same_family=(), dies_with_parent=None, dies_with_underlay=False,
                 rebuild=True, mtu_within_parent=False, placed_by_move=False, no_mac=False,
                 ports_down=False, cycles_ports=False, max_mtu=65535,
                 idle=None, keep=None, device_options=(), socket_port=None):
        self.kind = kind
        self.socket_port = socket_port
        self.ports_down = ports_down
        self.cycles_ports = cycles_ports
        self.max_mtu = max_mtu
        self.netlink_kind = netlink_kind or kind
        self.layout = layout
        self.parent = parent or ('required' if layout == 'stacked' else None)
        self.parent_nla = parent_nla
        self.same_family = tuple(same_family)
        self.dies_with_parent = self.parent is not None if dies_with_parent is None \
            else dies_with_parent
        self.dies_with_underlay = dies_with_underlay
        self.rebuild = rebuild
        self.mtu_within_parent = mtu_within_parent
        self.placed_by_move = placed_by_move
        # set for masters whose port settings travel as IFLA_INFO_SLAVE_DATA
        # (bond); None: bridge ports (IFLA_PROTINFO)
        self.port_slave_kind = port_slave_kind
        self.options = list(options)
        self.nla_prefix = nla_prefix
        self.port_options = list(port_options)
        self.port_kind = port_kind or kind
        self.port_prefix = port_prefix
        self.options_by_name = dict((option.name, option) for option in self.options)
        self.default_mode = default_mode
        self.rules = tuple(rules)
        self.recreate_when = recreate_when
        self.fixed_mac = fixed_mac
        self.no_mac = no_mac
        self.idle = idle or (lambda values: ())
        self.keep = keep or (lambda name, value, wanted, current: True)
        self.device_options = tuple(device_options)

    def check_device_options(self, values, parent_field, field_of=_bare):
        """InputError for an option given that needs a parent device, for a
        link that has none."""
        for name in self.device_options:
            if values.get(name):
                raise validate.InputError('%s: needs an underlay device (%s); the kernel '
                                          'refuses it without one'
                                          % (field_of(name), parent_field))

    @property
    def tables(self):
        """The options that are entries kept beside the link (TableOption)."""
        return [option for option in self.options if option.table]

    @property
    def takes_ports(self):
        """A master: its ports are its own links' (a lab lists them)."""
        return self.layout in ('bridge', 'ports')

    # -- argument specs and input checks ---------------------------------
    def argument_spec(self, port=False):
        """The options as an Ansible argument spec (modules merge it in)."""
        options = self.port_options if port else self.options
        return dict((option.name, option.argument()) for option in options)

    def unknown(self, names, field_of=_bare):
        """InputError for the first name that is not an option of this kind."""
        for name in names:
            if name not in self.options_by_name:
                raise validate.InputError('%s: not a %s option; known: %s'
                                          % (field_of(name), self.kind,
                                             ', '.join(sorted(self.options_by_name)) or 'none'))

    def clean(self, values, field_of=_bare, port=False):
        """Types, choices, ranges and canonical forms of the options given
        (None: not given, kept as None)."""
        options = self.port_options if port else self.options
        clean = dict(values)
        for option in options:
            if values.get(option.name) is not None:
                clean[option.name] = option.check(values[option.name], field_of(option.name),
                                                  self.kind)
        return clean

    def mode_of(self, values, current):
        """The mode the link will run in: the one given, else the kernel's,
        else (for a new link) the default; None when it cannot be known."""
        if values.get('mode') is not None:
            return values['mode']
        if current is None:
            return None
        return current.get('mode') or self.default_mode

    def mode_misfits(self, mode, values, field_of=_bare):
        """Messages for each option given that does not fit `mode`."""
        problems = []
        for name, value in sorted(values.items()):
            option = self.options_by_name.get(name)
            if value is None or option is None or option.fits(mode, value):
                continue
            problems.append(option.misfit_text(field_of(name), mode))
        return problems

    def check_rules(self, values, current, field_of=_bare):
        for rule in self.rules:
            rule(values, current, field_of)

    def check(self, values, current=None, field_of=_bare):
        """Every rule of this kind on the options given; returns them clean.

        The same code checks a module's parameters and a topology's
        per-kind options. current: the kernel's option values (user units)
        of the existing link, {} for a new one, None when it has not been
        read yet (rules that need it then judge only what is given).
        """
        clean = self.clean(values, field_of)
        mode = self.mode_of(clean, current)
        if mode is not None:
            problems = self.mode_misfits(mode, clean, field_of)
            if problems:
                raise validate.InputError('; '.join(problems))
        self.check_rules(clean, current, field_of)
        return clean

    # -- netlink ------------------------------------------------------------
    @staticmethod
    def _kwarg(nla, prefix):
        return nla[len(prefix):].lower()

    def parent_kwarg(self):
        """The pyroute2 keyword that names the parent's index in a create."""
        if self.parent_nla is None:
            return 'link'
        return self._kwarg(self.parent_nla, self.nla_prefix)

    def kernel_args(self, values, port=False, replaces=None):
        """pyroute2 keyword arguments for the options given (not None).
        replaces: the values they replace, where known (a change, its undo)."""
        options = self.port_options if port else self.options
        prefix = self.port_prefix if port else self.nla_prefix
        args = {}
        for option in options:
            if values.get(option.name) is not None and not option.table:
                option.add_to(args, self._kwarg(option.nla, prefix), values[option.name],
                              (replaces or {}).get(option.name))
        return args

    def current(self, data, port=False):
        """Option values (user units) of what the kernel reports."""
        options = self.port_options if port else self.options
        result = {}
        for option in options:
            raw = option.read(data)
            if raw is not None:
                result[option.name] = option.from_kernel(raw)
        return result

    def differences(self, wanted, data, port=False):
        """Options whose wanted value differs from the kernel's, compared in
        kernel units so that 15 s and 1500 cs are equal."""
        options = self.port_options if port else self.options
        return [option for option in options
                if wanted.get(option.name) is not None and not option.unreadable(data) and
                option.differs(data, wanted[option.name])]

    def previous(self, names, data):
        """The kernel's values of these options, which an undo puts back;
        an option the kernel does not report gets its empty value, if it
        has one (a map with no entries)."""
        current = self.current(data)
        result = {}
        for name in names:
            if name in current:
                result[name] = current[name]
            elif self.options_by_name[name].empty is not None:
                result[name] = self.options_by_name[name].empty
        return result

    def change_args(self, changes, read, replaces=None):
        """pyroute2 keyword arguments of a request that changes these options
        in place. read() returns the link's IFLA_INFO_DATA as it is now, for
        kinds whose kernel resets what a change request leaves out (the GRE
        family: TunnelSpec); other kinds send only the changes (replaces: as
        for kernel_args)."""
        return self.kernel_args(changes, replaces=replaces)

    def identity_problem(self, values, parent, field_of=_bare):
        """Why the kernel would refuse a new link with these options as a
        duplicate of one it keeps itself (None: it would not). parent: an
        underlay or parent device is named. See TunnelSpec."""
        return None

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

    def described(self, values):
        """Option values read from the kernel (current()) as a description
        gives them back so that it can be applied again: without values the
        kernel reports for "not set", and only the options that fit the
        link's mode (the kernel reports the defaults of the others, and
        refuses them when given)."""
        mode = values.get('mode') or self.default_mode
        idle = self.idle(values)
        result = {}
        for name, value in values.items():
            option = self.options_by_name[name]
            if value == option.unset or name in idle or \
                    (mode is not None and not option.fits(mode, value)):
                continue
            result[name] = value
        return result

    def carried(self, current, wanted):
        """The options of an existing link that a re-created one keeps:
        those the user left open, except what idle() names and what the
        spec's keep(name, value, wanted, current) says cannot go with the
        wanted ones (a vxlan's old remote beside a wanted group, addresses of the
        old family beside a new family's)."""
        idle = self.idle(dict(current, **wanted))
        return dict((name, value) for name, value in current.items()
                    if name not in wanted and name not in idle and
                    value != self.options_by_name[name].unset and
                    self.keep(name, value, wanted, current))

    def recreate_reason(self, wanted, data):
        """Why the link must be re-created to take `wanted` (None: every
        change can be made in place)."""
        if self.recreate_when is not None:
            reason = self.recreate_when(self.current(data), wanted)
            if reason:
                return '%s cannot change in place' % reason
        names = [option.name for option in self.differences(wanted, data) if option.recreate]
        return '%s cannot change in place' % ', '.join(names) if names else None


class ListOption(Option):
    """A list the kernel keeps as a nest of attributes.

    Compared as a plain tuple (sorted unless the kernel keeps the order);
    `request` gives the keyword arguments that send it.
    """

    def __init__(self, name, nla, request, ordered=True, canonical=_identity, **rules):
        Option.__init__(self, name, nla, Units('list'), **rules)
        self.elements = 'str'
        self.ordered = ordered
        self.canonical = canonical
        self.request = request
        self.to_kernel = self.plain
        self.from_kernel = lambda raw: list(self.plain(raw))

    def differs(self, data, value):
        return self.plain(data.get(self.nla)) != self.plain(value)

    def add_to(self, args, keyword, value, replaced=None):
        args.update(self.request(self.plain(value)))

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


class BitOption(Option):
    """One bit of a flags attribute the kernel keeps as {flags, mask} (a
    vlan's IFLA_VLAN_FLAGS): a bool. The mask names the bits a request
    changes, so options sharing the attribute go in one request and the
    bits not given stay as they are."""

    def __init__(self, name, nla, bit, **rules):
        Option.__init__(self, name, nla, FLAG, **rules)
        self.bit = bit
        self.from_kernel = lambda raw: bool(raw['flags'] & bit)

    def differs(self, data, value):
        raw = data.get(self.nla)
        return raw is None or self.from_kernel(raw) != bool(value)

    def add_to(self, args, keyword, value, replaced=None):
        entry = args.setdefault(keyword, {'flags': 0, 'mask': 0})
        entry['mask'] |= self.bit
        if value:
            entry['flags'] |= self.bit


class MapOption(Option):
    """A map the kernel keeps as a nest of {from, to} entries (a vlan's QoS
    maps). The whole map is described: an entry not given is cleared (sent
    mapped to 0, which the kernel then leaves out of what it reports).
    keys/values: (low, high) of each side."""

    empty = {}

    def __init__(self, name, nla, entry_nla, keys, values, **rules):
        Option.__init__(self, name, nla, Units('dict'), **rules)
        self.entry_nla = entry_nla
        self.keys, self.values = keys, values
        self.from_kernel = self.plain

    def plain(self, raw):
        """{from: to} of a kernel nest, without cleared (0) entries."""
        entries = raw.get('attrs', []) if raw is not None else []
        return dict((entry['from'], entry['to']) for _name, entry in entries if entry['to'])

    def check(self, value, field, kind='link'):
        if not isinstance(value, dict):
            raise validate.InputError('%s: %r is %s; expected a dict of %s'
                                      % (field, value, _type_word(value), self.what()))
        result = {}
        for key, mapped in value.items():
            number = _map_key(key, field)
            validate.int_range(number, '%s key %s' % (field, key), *self.keys)
            if isinstance(mapped, bool) or not isinstance(mapped, int):
                raise validate.InputError('%s.%s: %r is %s; expected an int'
                                          % (field, key, mapped, _type_word(mapped)))
            validate.int_range(mapped, '%s.%s' % (field, key), *self.values)
            if number in result:
                raise validate.InputError('%s: key %s is given twice' % (field, number))
            if mapped:
                result[number] = mapped
        return result

    def what(self):
        return 'integers %d-%d to integers %d-%d' % (self.keys + self.values)

    def differs(self, data, value):
        return self.plain(data.get(self.nla)) != value

    def add_to(self, args, keyword, value, replaced=None):
        entries = dict((key, 0) for key in replaced or {})
        entries.update(value)
        args[keyword] = {'attrs': [(self.entry_nla, {'from': key, 'to': mapped})
                                   for key, mapped in sorted(entries.items())]}


def _map_key(key, field):
    """A map's key: an int, or the text of one (keys of a dict that went
    through JSON, as Ansible's arguments do, are text)."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.strip().isdigit():
        return int(key)
    raise validate.InputError('%s: key %r is not an integer' % (field, key))


def _unique(items, field, what='an address'):
    if len(set(items)) != len(items):
        raise validate.InputError('%s: %s is listed twice' % (field, what))
    return items


def _macs(values, field):
    return _unique([validate.mac_address(mac, '%s[%d]' % (field, pos))
                    for pos, mac in enumerate(values)], field)


# --- bridge -------------------------------------------------------------------

VLAN_PROTOCOLS = {'802.1Q': 0x8100, '802.1ad': 0x88A8}
# the kernel's ranges for STP timers, enforced only while STP is on
STP_TIMERS = (('forward_delay', 2, 30), ('hello_time', 1, 10), ('max_age', 6, 40))


def _stp_timers(values, current, field_of):
    """While STP runs (turned on now, or on in the kernel and not turned
    off) the kernel refuses timers outside its ranges (ERANGE)."""
    stp = values.get('stp')
    if stp is None:
        stp = (current or {}).get('stp')
    if not stp:
        return
    for name, low, high in STP_TIMERS:
        validate.int_range(values.get(name), field_of(name), low, high, ' s')


BRIDGE = KindSpec(
    'bridge',
    layout='bridge',
    nla_prefix='IFLA_',
    options=[
        Option('stp', 'IFLA_BR_STP_STATE', FLAG),
        Option('priority', 'IFLA_BR_PRIORITY', low=0, high=65535),
        Option('forward_delay', 'IFLA_BR_FORWARD_DELAY', SECONDS),
        Option('hello_time', 'IFLA_BR_HELLO_TIME', SECONDS),
        Option('max_age', 'IFLA_BR_MAX_AGE', SECONDS),
        Option('ageing_time', 'IFLA_BR_AGEING_TIME', SECONDS, low=0, high=1000000,
               unreadable=_stp_topology_change),
        # off is what a kernel without CONFIG_BRIDGE_VLAN_FILTERING does, yet
        # it refuses the attribute (EOPNOTSUPP) even to turn filtering off
        Option('vlan_filtering', 'IFLA_BR_VLAN_FILTERING', FLAG, absent=0),
        Option('vlan_protocol', 'IFLA_BR_VLAN_PROTOCOL', enum(VLAN_PROTOCOLS)),
        Option('default_pvid', 'IFLA_BR_VLAN_DEFAULT_PVID', low=0, high=4094),
        Option('mcast_snooping', 'IFLA_BR_MCAST_SNOOPING', FLAG),
        Option('mcast_querier', 'IFLA_BR_MCAST_QUERIER', FLAG),
        Option('group_fwd_mask', 'IFLA_BR_GROUP_FWD_MASK', low=0, high=0xFFFF),
    ],
    rules=[_stp_timers],
    port_kind='bridge_slave',
    port_prefix='IFLA_BRPORT_',
    port_options=[
        Option('cost', 'IFLA_BRPORT_COST'),
        Option('priority', 'IFLA_BRPORT_PRIORITY', low=0, high=63),
        Option('hairpin', 'IFLA_BRPORT_MODE', FLAG),
        Option('isolated', 'IFLA_BRPORT_ISOLATED', FLAG),
        Option('learning', 'IFLA_BRPORT_LEARNING', FLAG),
        Option('flooding', 'IFLA_BRPORT_UNICAST_FLOOD', FLAG),
        Option('mcast_flood', 'IFLA_BRPORT_MCAST_FLOOD', FLAG),
        Option('bcast_flood', 'IFLA_BRPORT_BCAST_FLOOD', FLAG),
    ],
)

# --- kinds with no options of their own --------------------------------------

VETH = KindSpec('veth', options=[], layout='pair', dies_with_parent=True)

# A dummy is a link with no kind options: common link attributes only.
DUMMY = KindSpec('dummy', options=[], layout='device')

# A team is run by teamd (module_utils/_kinds/teamd.py): its settings are
# the daemon's configuration, not netlink attributes.
TEAMD = KindSpec('team', options=[], netlink_kind='team', layout='ports', rebuild=False)

# --- lower-device kinds (macvlan, macvtap, ipvlan, ipvtap) --------------------
# Attribute maps pyroute2 lacks are defined (and registered) in _netlink/nla.py.

MACVLAN_MODES = {'private': 1, 'vepa': 2, 'bridge': 4, 'passthru': 8, 'source': 16}
IPVLAN_MODES = {'l2': 0, 'l3': 1, 'l3s': 2}
IPVLAN_FLAGS = {'bridge': 0, 'private': 1, 'vepa': 2}
MACVLAN_MACADDR_SET = 3


def _macvlan_sources(kind):
    """MACADDR_MODE=set replaces the whole list of source MACs."""
    def request(macs):
        return {'%s_macaddr_mode' % kind: MACVLAN_MACADDR_SET,
                '%s_macaddr_data' % kind: {'attrs': [('IFLA_%s_MACADDR' % kind.upper(), mac)
                                                     for mac in macs]}}
    return request


def macvlan_recreate(current, wanted):
    """The kernel refuses to switch to or from passthru in place (EINVAL)."""
    old, new = current.get('mode'), wanted.get('mode')
    if new is not None and old != new and 'passthru' in (old, new):
        return 'mode %s -> %s' % (old, new)
    return None


MACVLAN_KINDS = ('macvlan', 'macvtap')
IPVLAN_KINDS = ('ipvlan', 'ipvtap')


def _keep_source_macs(name, value, wanted, current):
    """A re-created macvlan keeps its source MACs only in mode source."""
    return name != 'source_macs' or wanted.get('mode', current.get('mode')) == 'source'


def _macvlan_spec(kind):
    upper = kind.upper()
    return KindSpec(kind, layout='stacked', default_mode='vepa', same_family=MACVLAN_KINDS,
                    mtu_within_parent=True, recreate_when=macvlan_recreate,
                    keep=_keep_source_macs, options=[
                        Option('mode', 'IFLA_%s_MODE' % upper, enum(MACVLAN_MODES)),
                        Option('bcqueuelen', 'IFLA_%s_BC_QUEUE_LEN' % upper,
                               low=0, high=U32_MAX),
                        ListOption('source_macs', 'IFLA_%s_MACADDR_DATA' % upper,
                                   _macvlan_sources(kind), ordered=False,
                                   canonical=lambda mac: str(mac).lower(),
                                   modes=('source',), clean=_macs),
                    ])


MACVLAN = _macvlan_spec('macvlan')
MACVTAP = _macvlan_spec('macvtap')


def _ipvlan_spec(kind):
    # ipvtap shares ipvlan's attributes (IFLA_IPVLAN_*)
    return KindSpec(kind, layout='stacked', fixed_mac=True, same_family=IPVLAN_KINDS, options=[
        Option('mode', 'IFLA_IPVLAN_MODE', enum(IPVLAN_MODES)),
        Option('flags', 'IFLA_IPVLAN_FLAGS', enum(IPVLAN_FLAGS)),
    ])


IPVLAN = _ipvlan_spec('ipvlan')
IPVTAP = _ipvlan_spec('ipvtap')

# --- vlan ---------------------------------------------------------------------
# The kernel's vlan_changelink changes only flags and QoS maps: an id or
# protocol sent to an existing vlan is ignored without an error, so those
# re-create the link.

VLAN_FLAGS = (('reorder_hdr', 0x1), ('gvrp', 0x2), ('loose_binding', 0x4), ('mvrp', 0x8),
              ('bridge_binding', 0x10))


def _vlan_id_given(values, current, field_of):
    """The kernel makes no vlan without an id (EINVAL, 'VLAN id not
    specified'); an existing one keeps its own."""
    if current == {} and values.get('id') is None:
        raise validate.InputError('%s: required for a new vlan (the VLAN id, 0-4094)'
                                  % field_of('id'))


VLAN = KindSpec(
    'vlan',
    layout='stacked',
    mtu_within_parent=True,
    rules=[_vlan_id_given],
    options=[
        Option('id', 'IFLA_VLAN_ID', low=0, high=4094, recreate=True),
        Option('protocol', 'IFLA_VLAN_PROTOCOL', enum(VLAN_PROTOCOLS), recreate=True),
    ] + [BitOption(name, 'IFLA_VLAN_FLAGS', bit) for name, bit in VLAN_FLAGS] + [
        # skb priority -> 802.1p PCP of frames sent; PCP of frames received
        # -> skb priority
        MapOption('egress_qos_map', 'IFLA_VLAN_EGRESS_QOS', 'IFLA_VLAN_QOS_MAPPING',
                  keys=(0, U32_MAX), values=(0, 7)),
        MapOption('ingress_qos_map', 'IFLA_VLAN_INGRESS_QOS', 'IFLA_VLAN_QOS_MAPPING',
                  keys=(0, 7), values=(0, U32_MAX)),
    ],
)

# --- bond ---------------------------------------------------------------------
# The rules follow the kernel's own table (drivers/net/bonding/bond_options.c:
# unsuppmodes and value ranges), so input the kernel would refuse half-way
# through a run is refused before anything changes.

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

AB_TLB_ALB = ('active-backup', 'balance-tlb', 'balance-alb')
LACP = ('802.3ad',)
# ARP monitoring does not exist in 802.3ad, balance-tlb and balance-alb. The
# kernel refuses its settings there whatever their value (EACCES, 'option not
# supported in mode'); the target list and the any/all rule it takes but
# never uses, so only values that would turn something on are refused.
ARP_MODES = ('balance-rr', 'active-backup', 'balance-xor', 'broadcast')
NO_ARP = '%s: ARP monitoring is not available in mode %s (use miimon)'
MAX_ARP_TARGETS = 16


def _arp_targets(targets):
    return {'bond_arp_ip_target': {'attrs': [('TARGET_%d' % pos, address)
                                             for pos, address in enumerate(targets)]}}


def _clean_arp_targets(values, field):
    result = []
    for pos, value in enumerate(values):
        address = validate.ip_address(value, '%s[%d]' % (field, pos))
        if ':' in address:
            raise validate.InputError('%s[%d]: %s is not IPv4' % (field, pos, address))
        if address in result:
            raise validate.InputError('%s: %s is listed twice' % (field, address))
        result.append(address)
    if len(result) > MAX_ARP_TARGETS:
        raise validate.InputError('%s: at most %d targets' % (field, MAX_ARP_TARGETS))
    return result


def _monitors_exclude(values, current, field_of):
    if values.get('miimon') and values.get('arp_interval'):
        raise validate.InputError('%s and %s: MII and ARP monitoring exclude each other; set '
                                  'one of them to 0'
                                  % (field_of('miimon'), field_of('arp_interval')))


def _one_peer_notify_count(values, current, field_of):
    grat, unsol = values.get('num_grat_arp'), values.get('num_unsol_na')
    if grat is not None and unsol is not None and grat != unsol:
        raise validate.InputError('%s and %s are one kernel setting (peer notifications); '
                                  'give one value'
                                  % (field_of('num_grat_arp'), field_of('num_unsol_na')))


def _delays_fit_miimon(values, current, field_of):
    """The kernel keeps these delays as multiples of miimon and rounds down."""
    miimon = values.get('miimon')
    if miimon is None:
        miimon = (current or {}).get('miimon')
    if miimon is None:
        return  # a new bond with miimon not given: the kernel judges
    for name in ('updelay', 'downdelay', 'peer_notify_delay'):
        value = values.get(name)
        if values.get('miimon') == 0 and value is not None and (current or {}).get('miimon'):
            # sent after miimon=0, even 0 is refused (EPERM); it then reads 0
            raise validate.InputError('%s: leave it out when miimon is set to 0: the kernel '
                                      'refuses delays without MII monitoring (and reads them '
                                      'as 0)' % field_of(name))
        if not value:
            continue
        if miimon == 0:
            raise validate.InputError('%s needs MII monitoring: set miimon (in ms) too'
                                      % field_of(name))
        if value % miimon:
            raise validate.InputError('%s: %d ms is not a multiple of miimon (%d ms); the '
                                      'kernel would round it down'
                                      % (field_of(name), value, miimon))


def _no_arp(name, nla, units=None, **rules):
    return Option(name, nla, units, modes=ARP_MODES, misfit=NO_ARP, **rules)


BOND = KindSpec(
    'bond',
    layout='ports',
    ports_down=True,
    default_mode='balance-rr',
    rules=[_monitors_exclude, _one_peer_notify_count, _delays_fit_miimon],
    options=[
        Option('mode', 'IFLA_BOND_MODE', enum(BOND_MODES)),
        Option('miimon', 'IFLA_BOND_MIIMON', low=0, high=INT_MAX),
        Option('updelay', 'IFLA_BOND_UPDELAY', low=0, high=INT_MAX),
        Option('downdelay', 'IFLA_BOND_DOWNDELAY', low=0, high=INT_MAX),
        Option('peer_notify_delay', 'IFLA_BOND_PEER_NOTIF_DELAY', low=0, high=300000),
        Option('use_carrier', 'IFLA_BOND_USE_CARRIER', FLAG),
        _no_arp('arp_interval', 'IFLA_BOND_ARP_INTERVAL', low=0, high=INT_MAX),
        ListOption('arp_ip_target', 'IFLA_BOND_ARP_IP_TARGET', _arp_targets,
                   modes=ARP_MODES, misfit=NO_ARP, inert=lambda value: not value,
                   clean=_clean_arp_targets),
        _no_arp('arp_validate', 'IFLA_BOND_ARP_VALIDATE', enum(BOND_ARP_VALIDATE)),
        _no_arp('arp_all_targets', 'IFLA_BOND_ARP_ALL_TARGETS', enum(BOND_ARP_ALL_TARGETS),
                inert=lambda value: value == 'any'),
        _no_arp('arp_missed_max', 'IFLA_BOND_MISSED_MAX', low=1, high=255),
        Option('primary_reselect', 'IFLA_BOND_PRIMARY_RESELECT', enum(BOND_PRIMARY_RESELECT)),
        Option('fail_over_mac', 'IFLA_BOND_FAIL_OVER_MAC', enum(BOND_FAIL_OVER_MAC)),
        Option('xmit_hash_policy', 'IFLA_BOND_XMIT_HASH_POLICY', enum(BOND_XMIT_HASH),
               modes=('balance-xor', '802.3ad', 'balance-tlb', 'balance-alb')),
        Option('resend_igmp', 'IFLA_BOND_RESEND_IGMP', low=0, high=255),
        # num_grat_arp and num_unsol_na are two names of one kernel setting
        Option('num_grat_arp', 'IFLA_BOND_NUM_PEER_NOTIF', low=0, high=255),
        Option('num_unsol_na', 'IFLA_BOND_NUM_PEER_NOTIF', low=0, high=255),
        Option('all_ports_active', 'IFLA_BOND_ALL_SLAVES_ACTIVE', FLAG),
        Option('min_links', 'IFLA_BOND_MIN_LINKS', low=0, high=INT_MAX),
        Option('lp_interval', 'IFLA_BOND_LP_INTERVAL', low=1, high=INT_MAX),
        Option('packets_per_port', 'IFLA_BOND_PACKETS_PER_SLAVE', low=0, high=65535,
               modes=('balance-rr',)),
        Option('lacp_rate', 'IFLA_BOND_AD_LACP_RATE', enum(BOND_LACP_RATE), modes=LACP),
        Option('lacp_active', 'IFLA_BOND_AD_LACP_ACTIVE', FLAG, modes=LACP),
        Option('ad_select', 'IFLA_BOND_AD_SELECT', enum(BOND_AD_SELECT), modes=LACP),
        Option('ad_actor_sys_prio', 'IFLA_BOND_AD_ACTOR_SYS_PRIO', low=1, high=65535,
               modes=LACP),
        Option('ad_actor_system', 'IFLA_BOND_AD_ACTOR_SYSTEM', TEXT, modes=LACP,
               clean=validate.mac_address, unset='00:00:00:00:00:00'),
        Option('ad_user_port_key', 'IFLA_BOND_AD_USER_PORT_KEY', low=0, high=1023,
               modes=LACP, no_log=False),
        Option('tlb_dynamic_lb', 'IFLA_BOND_TLB_DYNAMIC_LB', FLAG,
               modes=('balance-tlb', 'balance-alb')),
    ],
    port_kind='bond',
    port_prefix='IFLA_',
    port_slave_kind='bond',
    port_options=[
        Option('queue_id', 'IFLA_BOND_SLAVE_QUEUE_ID', low=0, high=65535),
        Option('prio', 'IFLA_BOND_SLAVE_PRIO', low=-2 ** 31, high=INT_MAX),
    ],
)

# --- GRE tunnels (gre, gretap, ip6gre, ip6gretap) -----------------------------
# One factory for the four kinds (IFLA_GRE_* attributes; maps in
# _netlink/nla.py). What the kernel does, checked on the guest's 6.1:
# - a change request (changelink) rebuilds the tunnel's parameters from the
#   request alone (ipgre_netlink_parms, ip6gre_netlink_parms start from
#   zero): an attribute left out becomes 0 (and pmtudisc on), so a change
#   sends every setting, the unchanged ones as read (change_args; iproute2
#   reads the link first for the same reason);
# - a key travels as the key (be32) and the GRE_KEY bit of the flags
#   (IFLA_GRE_IFLAGS/OFLAGS, be16); a key without the bit is kept and never
#   used, so the two go together here, and "no key" is the bit off;
# - every option changes in place for all four kinds, except the class of
#   a gre's remote (none, unicast, multicast: it decides the device's
#   POINTOPOINT/BROADCAST flags and ip_tunnel_changelink refuses to change
#   them, EINVAL): that re-creates the tunnel;
# - a tunnel with no local, remote, key or underlay device is the
#   namespace's fallback device (gre0, gretap0, ip6gre0) over again: the
#   kernel refuses it (EEXIST); ip6gretap has no fallback device;
# - gretap and ip6gretap refuse a remote attribute of all zeros (EINVAL):
#   no remote is sent as no attribute;
# - nopmtudisc with a fixed ttl, and pmtudisc with ttl 0, are both taken
#   (only the `ip tunnel` ioctl path forces DF with a ttl).

TUNNEL_KINDS = ('gre', 'gretap', 'ip6gre', 'ip6gretap')
ANY = 'any'
NO_KEY = 'none'
INHERIT = 'inherit'
NO_LIMIT = 'none'
# attributes no option manages that a change sends back as read, so that a
# change of one option leaves them as they are
_TUNNEL_KEPT = ('LINK', 'ENCAP_TYPE', 'ENCAP_FLAGS', 'ENCAP_SPORT', 'ENCAP_DPORT',
                'COLLECT_METADATA', 'IGNORE_DF', 'FWMARK', 'ENCAP_LIMIT')
RAW = Units('raw')


def _tunnel_address(version):
    """An address of the tunnel's family, or 'any' (none: the kernel's 0)."""
    def clean(value, field):
        text = str(value).strip()
        if text == ANY:
            return ANY
        address = validate.ip_address(text, field)
        found = 6 if ':' in address else 4
        if found != version:
            raise validate.InputError(
                '%s: %s is an IPv%d address; this tunnel kind carries IPv%d (gre and '
                'gretap run over IPv4, ip6gre and ip6gretap over IPv6)'
                % (field, address, found, version))
        if address in ('0.0.0.0', '::'):
            return ANY
        return address
    return clean


def _local_address(version):
    address = _tunnel_address(version)

    def clean(value, field):
        result = address(value, field)
        if result != ANY and ipaddress.ip_address(result).is_multicast:
            raise validate.InputError('%s: %s is a multicast address; a tunnel\'s local '
                                      'address is one of its own' % (field, result))
        return result
    return clean


def _number(value, field, what):
    """An int given as a number or as its digits (0x.. hex too)."""
    if isinstance(value, int):
        return value
    try:
        return int(value.strip(), 0)
    except ValueError:
        raise validate.InputError('%s: %r is not %s' % (field, value, what))


def _gre_key(value, field):
    """0..2^32-1, as a number or in iproute2's dotted form (0.0.0.7);
    'none': no key."""
    if value == NO_KEY:
        return NO_KEY
    if isinstance(value, str) and value.count('.') == 3:
        try:
            return int(ipaddress.IPv4Address(value.strip()))
        except ValueError:
            pass
    key = _number(value, field, 'a GRE key (0..4294967295, a dotted quad like 0.0.0.7, '
                                'or none)')
    return validate.int_range(key, field, 0, U32_MAX)


def _or_word(word, low, high, even=False):
    """A number in low..high, or the word (inherit, none)."""
    def clean(value, field):
        if value == word:
            return word
        number = _number(value, field, 'a number (%d..%d) or %s' % (low, high, word))
        validate.int_range(number, field, low, high)
        if even and number % 2:
            raise validate.InputError('%s: %d is odd; the lowest bit of a tunnel\'s tos '
                                      'means "inherit": give an even value, or inherit'
                                      % (field, number))
        return number
    return clean


def _tunnel_options(version):
    """The options of a tunnel family; nla names the attribute each one
    mostly lives in (TunnelSpec decodes and encodes them together)."""
    prefix = _tunnel_prefix(version)
    options = [
        Option('local', prefix + 'LOCAL', TEXT, clean=_local_address(version)),
        Option('remote', prefix + 'REMOTE', TEXT, clean=_tunnel_address(version)),
        Option('key', prefix + 'IKEY', RAW, clean=_gre_key, no_log=False),
        Option('ikey', prefix + 'IKEY', RAW, clean=_gre_key, no_log=False),
        Option('okey', prefix + 'OKEY', RAW, clean=_gre_key, no_log=False),
        Option('ttl', prefix + 'TTL', low=0, high=255),
    ]
    if version == 4:
        options += [
            Option('tos', prefix + 'TOS', RAW, clean=_or_word(INHERIT, 0, 255, even=True)),
            Option('pmtudisc', prefix + 'PMTUDISC', FLAG),
        ]
    else:
        options += [
            Option('tos', prefix + 'FLOWINFO', RAW, clean=_or_word(INHERIT, 0, 255)),
            Option('flowlabel', prefix + 'FLOWINFO', RAW,
                   clean=_or_word(INHERIT, 0, IP6_FLOWINFO_FLOWLABEL)),
            Option('encaplimit', prefix + 'ENCAP_LIMIT', RAW, clean=_or_word(NO_LIMIT, 0, 255)),
        ]
    return options


def _tunnel_prefix(version):
    return 'IFLA_GRE_' if version == 4 else 'IFLA_IP6GRE_'


def _one_key(values, current, field_of):
    """key is ikey and okey at once: a different ikey or okey beside it
    contradicts it."""
    key = values.get('key')
    if key is None:
        return
    for name in ('ikey', 'okey'):
        if values.get(name) is not None and values[name] != key:
            raise validate.InputError('%s and %s: key sets both ikey and okey; give key '
                                      'alone, or ikey and okey' % (field_of('key'),
                                                                   field_of(name)))


def _remote_class(address):
    if address in (None, ANY):
        return 'no remote'
    return 'a multicast remote' if ipaddress.ip_address(address).is_multicast \
        else 'a unicast remote'


def _gre_recreate(current, wanted):
    """A gre (not gretap) cannot move between no remote, a unicast and a
    multicast remote in place (ip_tunnel_changelink: EINVAL)."""
    new = wanted.get('remote')
    if new is None or _remote_class(current.get('remote')) == _remote_class(new):
        return None
    old = current.get('remote', ANY)
    return 'remote %s -> %s (%s -> %s)' % (old, new, _remote_class(old), _remote_class(new))


def _article(kind):
    return ('an ' if kind[0] in 'aeiou' else 'a ') + kind


def no_mac_text(field, kind):
    """The refusal of a MAC address for a kind that has none."""
    return ('%s: %s is a layer-3 tunnel and has no MAC address (use %stap for an '
            'Ethernet tunnel with one)' % (field, _article(kind), kind))


class TunnelSpec(KindSpec):
    """A GRE-family kind: options that share attributes (a key and its flag
    bit; an ip6gre's traffic class, flow label and encapsulation limit and
    their "inherit"/"none" flag bits) are decoded from and encoded into the
    whole IFLA_INFO_DATA at once, and a change sends every setting (see the
    section comment)."""

    def __init__(self, kind, version, fallback=None):
        self.version = version
        self.prefix = _tunnel_prefix(version)
        # the namespace's own device of this kind (None: the kind has none)
        self.fallback = fallback
        l2 = self.l2 = kind.endswith('tap')
        # the underlay device travels in IFLA_GRE_LINK (the kernel reports it
        # as IFLA_LINK too: ip_tunnel_get_iflink, ip6_tnl_get_iflink); the
        # tunnel outlives that device but dies with the namespace it was
        # created in (ipgre_exit_batch_rtnl, ip6gre_exit_batch_rtnl)
        KindSpec.__init__(self, kind, _tunnel_options(version), layout='stacked',
                          parent='optional', parent_nla=self.prefix + 'LINK',
                          dies_with_parent=False, dies_with_underlay=True,
                          placed_by_move=True,
                          rules=[_one_key], no_mac=not l2,
                          recreate_when=None if l2 or version == 6 else _gre_recreate)
        self.defaults = {'local': ANY, 'remote': ANY, 'ikey': NO_KEY, 'okey': NO_KEY,
                         'ttl': 0, 'tos': 0}
        if version == 4:
            self.defaults['pmtudisc'] = True
        else:
            self.defaults.update(flowlabel=0, encaplimit=0)

    def _attr(self, data, name, default=None):
        value = data.get(self.prefix + name)
        return default if value is None else value

    def _kw(self, name):
        return (self.prefix + name)[len('IFLA_'):].lower()

    # -- reading ----------------------------------------------------------------
    def current(self, data, port=False):
        if port or not data:
            return {}
        values = {'local': self._address(data, 'LOCAL'), 'remote': self._address(data, 'REMOTE'),
                  'ttl': self._attr(data, 'TTL', 0)}
        for name, flags in (('ikey', 'IFLAGS'), ('okey', 'OFLAGS')):
            values[name] = self._attr(data, name.upper(), 0) \
                if self._attr(data, flags, 0) & GRE_KEY else NO_KEY
        if self.version == 4:
            tos = self._attr(data, 'TOS', 0)
            values.update(tos=INHERIT if tos == 1 else tos,
                          pmtudisc=bool(self._attr(data, 'PMTUDISC', 1)))
            return values
        flags, flowinfo = self._attr(data, 'FLAGS', 0), self._attr(data, 'FLOWINFO', 0)
        values.update(
            tos=INHERIT if flags & IP6_TNL_F_USE_ORIG_TCLASS
            else (flowinfo & IP6_FLOWINFO_TCLASS) >> 20,
            flowlabel=INHERIT if flags & IP6_TNL_F_USE_ORIG_FLOWLABEL
            else flowinfo & IP6_FLOWINFO_FLOWLABEL,
            encaplimit=NO_LIMIT if flags & IP6_TNL_F_IGN_ENCAP_LIMIT
            else self._attr(data, 'ENCAP_LIMIT', 0))
        return values

    def _address(self, data, name):
        value = self._attr(data, name)
        if value in (None, '0.0.0.0', '::'):
            return ANY
        return str(ipaddress.ip_address(value))

    @staticmethod
    def _split_key(values):
        """key as the ikey and okey it stands for (None: not given)."""
        values = dict((k, v) for k, v in values.items() if v is not None)
        key = values.pop('key', None)
        if key is not None:
            values.setdefault('ikey', key)
            values.setdefault('okey', key)
        return values

    def check(self, values, current=None, field_of=_bare):
        """KindSpec.check, with key given as the ikey and okey it sets."""
        return self._split_key(KindSpec.check(self, values, current, field_of))

    def differences(self, wanted, data, port=False):
        if port:
            return []
        have = self.current(data) or dict(self.defaults)
        wanted = self._split_key(wanted)
        return [option for option in self.options
                if option.name in wanted and have.get(option.name) != wanted[option.name]]

    def recreate_reason(self, wanted, data):
        if self.recreate_when is None:
            return None
        reason = self.recreate_when(self.current(data) or dict(self.defaults),
                                    self._split_key(wanted))
        return '%s cannot change in place' % reason if reason else None

    def described(self, values):
        """The options that differ from a new tunnel's, key for equal keys."""
        result = dict((k, v) for k, v in values.items() if self.defaults.get(k) != v)
        if result.get('ikey') is not None and result.get('ikey') == result.get('okey'):
            result['key'] = result.pop('ikey')
            del result['okey']
        return result

    # -- requests ---------------------------------------------------------------
    def kernel_args(self, values, port=False, replaces=None, base=None):
        """pyroute2 keywords for the options given; base: the data read,
        whose flag bits no option manages are kept."""
        if port:
            return {}
        values, base = self._split_key(values), base or {}
        args = {}
        for name in ('local', 'remote'):
            if name not in values:
                continue
            if values[name] != ANY:
                args[self._kw(name.upper())] = values[name]
            elif name == 'local' or not self.l2:
                args[self._kw(name.upper())] = '0.0.0.0' if self.version == 4 else '::'
            # else: a gretap/ip6gretap refuses a zero remote (EINVAL in
            # ipgre_tap_validate, ip6gre_tap_validate); left out, it is none
        for name, flags in (('ikey', 'IFLAGS'), ('okey', 'OFLAGS')):
            if name in values:
                keyed = values[name] != NO_KEY
                args[self._kw(flags)] = (self._attr(base, flags, 0) & ~GRE_KEY) | \
                    (GRE_KEY if keyed else 0)
                args[self._kw(name.upper())] = values[name] if keyed else 0
        if 'ttl' in values:
            args[self._kw('TTL')] = values['ttl']
        if self.version == 4:
            if 'tos' in values:
                args[self._kw('TOS')] = 1 if values['tos'] == INHERIT else values['tos']
            if 'pmtudisc' in values:
                args[self._kw('PMTUDISC')] = _flag(values['pmtudisc'])
        else:
            args.update(self._ip6_args(values, base))
        return args

    def _ip6_args(self, values, base):
        """Traffic class and flow label share FLOWINFO; they, and the
        encapsulation limit, have an inherit/none bit in FLAGS."""
        if not any(name in values for name in ('tos', 'flowlabel', 'encaplimit')):
            return {}
        flags, flowinfo = self._attr(base, 'FLAGS', 0), self._attr(base, 'FLOWINFO', 0)
        args = {}
        for name, bit, mask, shift in (
                ('tos', IP6_TNL_F_USE_ORIG_TCLASS, IP6_FLOWINFO_TCLASS, 20),
                ('flowlabel', IP6_TNL_F_USE_ORIG_FLOWLABEL, IP6_FLOWINFO_FLOWLABEL, 0)):
            if name not in values:
                continue
            flowinfo &= ~mask
            if values[name] == INHERIT:
                flags |= bit
            else:
                flags &= ~bit
                flowinfo |= values[name] << shift
        if 'encaplimit' in values:
            if values['encaplimit'] == NO_LIMIT:
                flags |= IP6_TNL_F_IGN_ENCAP_LIMIT
            else:
                flags &= ~IP6_TNL_F_IGN_ENCAP_LIMIT
                args[self._kw('ENCAP_LIMIT')] = values['encaplimit']
        args.update({self._kw('FLAGS'): flags, self._kw('FLOWINFO'): flowinfo})
        return args

    def create_args(self, values):
        return self.kernel_args(values)

    def change_args(self, changes, read, replaces=None):
        """Every setting: the changes over what the kernel has now, and the
        attributes no option manages as they are (see the section comment)."""
        data = read()
        args = self.kernel_args(dict(self.current(data), **self._split_key(changes)),
                                base=data)
        for name in _TUNNEL_KEPT:
            if self._attr(data, name) is not None:
                args.setdefault(self._kw(name), self._attr(data, name))
        return args

    def identity_problem(self, values, parent, field_of=_bare):
        """The message for a new tunnel the kernel would take for the
        namespace's fallback device (None: fine). parent: an underlay device
        is named."""
        values = self._split_key(values)
        if self.fallback is None or parent or any(
                values.get(name, self.defaults[name]) != self.defaults[name]
                for name in ('local', 'remote', 'ikey', 'okey')):
            return None
        return ('%s: %s with no local, remote, key or underlay device is what the kernel\'s '
                'own %s device of every namespace is, and the kernel refuses a second one '
                '(File exists): give at least one of them'
                % (field_of('remote'), _article(self.kind), self.fallback))


GRE = TunnelSpec('gre', 4, fallback='gre0')
GRETAP = TunnelSpec('gretap', 4, fallback='gretap0')
IP6GRE = TunnelSpec('ip6gre', 6, fallback='ip6gre0')
IP6GRETAP = TunnelSpec('ip6gretap', 6)

# --- wireguard ----------------------------------------------------------------
# A wireguard link is made by rtnetlink with no IFLA_INFO_DATA: its keys,
# listen port, fwmark and peers travel over generic netlink and are the
# business of module_utils/_kinds/wireguard.py (as a team's are teamd's).

# An undo cannot rebuild one from a reading (its keys are not link
# attributes). It also dies with the namespace it was created in, but the
# kernel does not report that namespace (no IFLA_LINK_NETNSID), so
# dies_with_underlay would never be seen: it is created in its own namespace.
WIREGUARD = KindSpec('wireguard', options=[], layout='device', rebuild=False)

# --- vrf ----------------------------------------------------------------------
# A VRF (drivers/net/vrf.c) is a master whose ports route through its own
# table (IFLA_VRF_TABLE). The kernel refuses to change the table of a VRF
# (EOPNOTSUPP, checked on 6.1): a new table means a new VRF, whose undo
# (_engine/restore.py) brings the old one back with its ports. Ports join
# while up (the kernel cycles them itself) and have no settings of their own
# (IFLA_VRF_PORT_TABLE only reports the table). The kernel adds its l3mdev
# policy rule (priority 1000) when a namespace gets its first VRF.

# table ids that are no VRF's: 0 is "unspecified" (the kernel refuses it);
# the kernel takes the others, but they are the tables every namespace
# routes through anyway, so a VRF on them would not be separate
RESERVED_TABLES = {0: 'unspec', 253: 'default', 254: 'main', 255: 'local'}


def _vrf_table(value, field):
    if value in RESERVED_TABLES:
        raise validate.InputError('%s: %d is the %s table, which is no VRF table; choose '
                                  '1-252 or 256-%d' % (field, value, RESERVED_TABLES[value],
                                                       U32_MAX))
    return value


def _vrf_table_given(values, current, field_of):
    """The kernel makes no VRF without a table (EINVAL)."""
    if current == {} and values.get('table') is None:
        raise validate.InputError('%s: required to create a vrf (its routing table id)'
                                  % field_of('table'))


VRF = KindSpec(
    'vrf',
    layout='ports',
    cycles_ports=True,
    # IP6_MAX_MTU: what a new VRF gets (64 KiB plus the IPv6 header)
    max_mtu=65575,
    rules=[_vrf_table_given],
    options=[
        Option('table', 'IFLA_VRF_TABLE', low=0, high=U32_MAX, recreate=True, clean=_vrf_table),
    ],
)

# --- overlay tunnels: vxlan, geneve --------------------------------------------
# What the kernel changes in place was measured on this project's two
# kernels (6.18 on the machine, Debian's 6.1 in the guest: the same answers):
# vxlan_changelink takes remote/group and local within their address family,
# the underlay device, ttl, tos, flowlabel, df, learning and ageing; it
# refuses (EOPNOTSUPP) another VNI, another address family, dstport, srcport,
# proxy, l2miss, l3miss, the UDP checksum settings and external, even when
# sent with their current value. geneve_changelink takes remote within its
# family, ttl, tos, flowlabel and df, and refuses the rest the same way, and
# every change of an external (collect metadata) geneve.

DF_MODES = {'unset': 0, 'set': 1, 'inherit': 2}
VNI_MAX = 2 ** 24 - 1
FLOWLABEL_MAX = 2 ** 20 - 1
# the port the kernel gives a vxlan created without one (Linux's, not IANA's 4789)
VXLAN_DEFAULT_PORT = 8472


def _canonical_ip(value):
    return ipaddress.ip_address(value).compressed


def _family(address):
    return 6 if ':' in address else 4


class AddressOption(Option):
    """An IP address the kernel keeps in one of two attributes by family
    (IFLA_VXLAN_GROUP or IFLA_VXLAN_GROUP6, the IPv4 one's name with a 6):
    one option, sent in the
    attribute of its family, compared in canonical form (fd00:0::1 is
    fd00::1). role: 'unicast' or 'multicast' where two options share the
    attributes (a vxlan's remote and group): each reads only addresses of
    its kind; None: any address but a multicast one (a local address)."""

    def __init__(self, name, nla4, role=None, **rules):
        Option.__init__(self, name, nla4, TEXT, clean=self._clean, **rules)
        self.nla6 = nla4 + '6'
        self.role = role
        self.to_kernel = _canonical_ip

    def read(self, data):
        value = data.get(self.nla) or data.get(self.nla6)
        if value is None:
            return None
        address = ipaddress.ip_address(value)
        if address.is_unspecified:
            return None  # geneve reports 0.0.0.0 for "no remote"
        if self.role is not None and address.is_multicast != (self.role == 'multicast'):
            return None  # the other option's
        return address.compressed

    def add_to(self, args, keyword, value, replaced=None):
        # the IPv6 attribute's keyword is the IPv4 one's with a 6 (vxlan_group6)
        args[keyword + '6' if _family(value) == 6 else keyword] = self.to_kernel(value)

    def _clean(self, value, field):
        address = ipaddress.ip_address(validate.ip_address(value, field))
        if address.is_unspecified:
            raise validate.InputError('%s: %s is the unspecified address; leave the '
                                      'option out instead' % (field, address))
        if self.role == 'multicast' and not address.is_multicast:
            raise validate.InputError('%s: %s is not a multicast address (a unicast '
                                      'destination is `remote`)' % (field, address))
        if self.role != 'multicast' and address.is_multicast:
            raise validate.InputError('%s: %s is a multicast address%s'
                                      % (field, address, ' (a multicast destination is '
                                         '`group`)' if self.role else ''))
        return address.compressed


class FlagOption(Option):
    """A flag attribute (NLA_FLAG): present means on, so off is never sent
    (a new link is off; the kernel refuses turning it off in place anyway
    for the flags here, which are re-create options)."""

    def __init__(self, name, nla, **rules):
        Option.__init__(self, name, nla, Units('bool', bool, bool), absent=False, **rules)

    def add_to(self, args, keyword, value, replaced=None):
        if value:
            args[keyword] = True


class PortRangeOption(Option):
    """A UDP source port range [low, high], kept as one attribute (struct
    ifla_vxlan_port_range: two big-endian ports). The kernel reports [0, 0]
    when none was set (it then uses the namespace's local port range)."""

    def __init__(self, name, nla, **rules):
        Option.__init__(self, name, nla, Units('list'), clean=self._clean,
                        unset=[0, 0], **rules)
        self.elements = 'int'
        self.to_kernel = tuple
        self.from_kernel = list

    def read(self, data):
        raw = data.get(self.nla)
        return None if raw is None else (raw['low'], raw['high'])

    def add_to(self, args, keyword, value, replaced=None):
        args[keyword] = {'low': value[0], 'high': value[1]}

    @staticmethod
    def _clean(value, field):
        if len(value) != 2:
            raise validate.InputError('%s: give two ports, [low, high] (%d given)'
                                      % (field, len(value)))
        for pos, port in enumerate(value):
            validate.int_range(port, '%s[%d]' % (field, pos), 1, 65535)
        if value[0] > value[1]:
            raise validate.InputError('%s: the low port %d is above the high port %d'
                                      % (field, value[0], value[1]))
        return list(value)


FDB_ENTRY_KEYS = ('mac', 'dst', 'port', 'vni')


class TableOption(Option):
    """Entries the kernel keeps beside the link rather than in its
    IFLA_INFO_DATA: a vxlan's static forwarding entries (`bridge fdb ...
    self permanent`). A link's reading has them under `key` (the session
    reads them for the kinds that have them); they are compared as a set
    (the order of the list means nothing), and the engine adds and removes
    single entries (link_steps.table_steps), each with its undo. `request`
    is the rtnl.py request that adds ('add') or removes ('del') one entry:
    request(socket, command, link index, *entry).

    Entries are tuples in kernel form: (mac, dst, port, vni), port and vni
    None where the entry uses the link's own."""

    table = True

    def __init__(self, name, key, request, suboptions, describe, clean, **rules):
        Option.__init__(self, name, key, Units('list'), clean=clean, unset=[], **rules)
        self.elements = 'dict'
        self.suboptions = suboptions
        self.request = request
        self.entry_text = describe
        self.to_kernel = lambda entries: tuple(sorted(self.entry(item) for item in entries))
        self.from_kernel = lambda raw: [self.item(entry) for entry in sorted(raw, key=_order)]

    def read(self, data):
        raw = data.get(self.nla)
        return None if raw is None else tuple(sorted((tuple(entry) for entry in raw),
                                                     key=_order))

    def argument(self):
        entry = Option.argument(self)
        entry['options'] = dict((name, dict(spec)) for name, spec in self.suboptions.items())
        return entry

    @staticmethod
    def entry(item):
        """A user entry (dict, cleaned) as the kernel reports it."""
        return (item['mac'], item['dst'], item.get('port'), item.get('vni'))

    @staticmethod
    def item(entry):
        """An entry as a user writes it (port and vni only when set)."""
        item = {'mac': entry[0], 'dst': entry[1]}
        for key, value in zip(('port', 'vni'), entry[2:]):
            if value is not None:
                item[key] = value
        return item


def _order(entry):
    # None sorts before any number (the link's own port or VNI)
    return (entry[0], entry[1], entry[2] or 0, -1 if entry[3] is None else entry[3])


def _fdb_mac(value, field):
    text = str(value).strip().lower().replace('-', ':')
    if text == rtnl.ZERO_MAC:
        return text
    return validate.mac_address(text, field)


def _clean_fdb(values, field):
    """Each entry: a unicast MAC or the all-zeros one (the flood list), a
    destination address, optionally a port and a VNI; none listed twice."""
    result, seen = [], set()
    for pos, item in enumerate(values):
        where = '%s[%d]' % (field, pos)
        if not isinstance(item, dict):
            raise validate.InputError('%s: %r is not a dict of mac, dst, port, vni'
                                      % (where, item))
        unknown = sorted(set(item) - set(FDB_ENTRY_KEYS))
        if unknown:
            raise validate.InputError('%s.%s: not a forwarding entry key; known: %s'
                                      % (where, unknown[0], ', '.join(FDB_ENTRY_KEYS)))
        if item.get('dst') is None:
            raise validate.InputError('%s.dst: required (the remote VTEP\'s address)' % where)
        dst = ipaddress.ip_address(validate.ip_address(item['dst'], where + '.dst'))
        if dst.is_unspecified:
            raise validate.InputError('%s.dst: %s is the unspecified address' % (where, dst))
        entry = {'mac': _fdb_mac(item.get('mac') or rtnl.ZERO_MAC, where + '.mac'),
                 'dst': dst.compressed}
        for key, high in (('port', 65535), ('vni', VNI_MAX)):
            value = item.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise validate.InputError('%s.%s: %r is not an integer' % (where, key, value))
            entry[key] = validate.int_range(value, '%s.%s' % (where, key), 1 if key == 'port'
                                            else 0, high)
        key = TableOption.entry(entry)
        if key in seen:
            raise validate.InputError('%s: the entry %s is listed twice'
                                      % (where, _fdb_text(key)))
        seen.add(key)
        result.append(entry)
    # in the order the kernel's entries are read back, so that a prediction
    # and the reading after the run are the same list
    return sorted(result, key=lambda item: _order(TableOption.entry(item)))


def _fdb_text(entry):
    text = '%s dst %s' % entry[:2]
    if entry[2]:
        text += ' port %d' % entry[2]
    if entry[3] is not None:
        text += ' vni %d' % entry[3]
    return text


FDB_SUBOPTIONS = {
    'mac': {'type': 'str'},
    'dst': {'type': 'str', 'required': True},
    'port': {'type': 'int'},
    'vni': {'type': 'int'},
}


def _either(values, current, name):
    """The value given, else the existing link's (None: neither known)."""
    value = values.get(name)
    if value is None:
        value = (current or {}).get(name)
    return value


ADDRESS_OPTIONS = ('remote', 'group', 'local')


def tunnel_family(values, current=None):
    """4 or 6: the family of the addresses given, else of the existing
    link's, else 4 (the kernel's choice when no address says otherwise);
    None when no address is given and the link has not been read yet."""
    for source in (values, current or {}):
        for name in ADDRESS_OPTIONS:
            if source.get(name):
                return _family(source[name])
    return None if current is None else 4


def _one_family(values, current, field_of):
    """The kernel keeps one address family per tunnel: the addresses given
    must share it (remote or group, and local)."""
    given = [(name, values[name]) for name in ADDRESS_OPTIONS if values.get(name)]
    for name, value in given[1:]:
        if _family(value) != _family(given[0][1]):
            raise validate.InputError(
                '%s and %s: %s and %s are of different IP versions; a tunnel has one '
                'address family' % (field_of(given[0][0]), field_of(name), given[0][1], value))


def _remote_or_group(values, current, field_of):
    if values.get('remote') and values.get('group'):
        raise validate.InputError('%s and %s exclude each other: a vxlan sends to one '
                                  'unicast remote or to one multicast group'
                                  % (field_of('remote'), field_of('group')))


def _flowlabel_needs_ipv6(values, current, field_of):
    if values.get('flowlabel') and tunnel_family(values, current) == 4:
        raise validate.InputError('%s: a flow label is an IPv6 header field; the tunnel '
                                  'is IPv4 (give an IPv6 remote)' % field_of('flowlabel'))


def _external_excludes(names):
    """In external mode (collect metadata) each packet's destination and
    VNI come from its metadata (a routing rule, tc, or an OVS datapath):
    these settings would be ignored (or refused by the kernel)."""
    def rule(values, current, field_of):
        if not _either(values, current, 'external'):
            return
        for name in names:
            if values.get(name):
                raise validate.InputError(
                    '%s: not used with external (collect metadata): each packet brings '
                    'its own destination and VNI; leave it out' % field_of(name))
    return rule


def _family_change(current, wanted):
    """The kernel keeps a tunnel's address family for its life."""
    new = [wanted[name] for name in ADDRESS_OPTIONS if wanted.get(name)]
    if new and _family(new[0]) != tunnel_family(current, current):
        return 'the address family (IPv%d -> IPv%d)' % (tunnel_family(current),
                                                        _family(new[0]))
    return None


# options that mean something (and are reported) for one address family only
FAMILY_OPTIONS = {'flowlabel': 6, 'udpcsum': 4, 'udp6zerocsumtx': 6}


def _keep_tunnel_option(name, value, wanted, current):
    """What an old tunnel's option cannot keep beside the wanted ones: its
    remote or group when the other one is wanted; addresses, forwarding
    entries and the settings of one family (FAMILY_OPTIONS) when the new
    addresses are of the other family."""
    if name in ('remote', 'group') and (wanted.get('remote') or wanted.get('group')):
        return False
    new = [wanted[key] for key in ADDRESS_OPTIONS if wanted.get(key)]
    if not new:
        return True
    family = _family(new[0])
    if name in ADDRESS_OPTIONS:
        return _family(value) == family
    if name == 'fdb':
        return all(_family(item['dst']) == family for item in value)
    return FAMILY_OPTIONS.get(name, family) == family


def _fdb_rules(values, current, field_of):
    """Entries the kernel would refuse (another address family: EAFNOSUPPORT)
    or keep under another form (a port or VNI equal to the link's own is
    reported as none), and the flood entry the kernel keeps for `remote`."""
    entries = values.get('fdb')
    if not entries:
        return
    family = tunnel_family(values, current)
    known = current is not None
    vni = _either(values, current, 'vni')
    port = _either(values, current, 'dstport')
    if port is None and current == {}:
        port = VXLAN_DEFAULT_PORT
    remote = values.get('remote') or ((current or {}).get('remote')
                                      if not values.get('group') else None)
    for pos, item in enumerate(entries):
        where = '%s[%d]' % (field_of('fdb'), pos)
        if family is not None and _family(item['dst']) != family:
            raise validate.InputError('%s.dst: %s is IPv%d; the tunnel is IPv%d'
                                      % (where, item['dst'], _family(item['dst']), family))
        if known and item.get('vni') is not None and item['vni'] == vni:
            raise validate.InputError('%s.vni: %d is the vxlan\'s own VNI; leave it out'
                                      % (where, item['vni']))
        if known and item.get('port') is not None and item['port'] == port:
            raise validate.InputError('%s.port: %d is the vxlan\'s own dstport; leave it out'
                                      % (where, item['port']))
        if item['mac'] == rtnl.ZERO_MAC and item['dst'] == remote and \
                item.get('port') is None and item.get('vni') is None:
            raise validate.InputError('%s: the kernel keeps this flood entry itself for '
                                      'remote %s; leave it out' % (where, remote))


def _vxlan_idle(values):
    return ('vni',) if values.get('external') else ()


VXLAN = KindSpec(
    'vxlan',
    # an underlay device is optional (IFLA_VXLAN_LINK: the kernel deletes the
    # vxlan with it), and so is an underlay namespace, where its socket
    # lives (the kernel deletes the vxlan with that namespace too)
    layout='stacked',
    parent='optional',
    parent_nla='IFLA_VXLAN_LINK',
    dies_with_underlay=True,
    device_options=('group',),
    rules=[_remote_or_group, _one_family, _flowlabel_needs_ipv6,
           _external_excludes(('vni', 'remote', 'group', 'fdb')), _fdb_rules],
    recreate_when=_family_change,
    idle=_vxlan_idle,
    keep=_keep_tunnel_option,
    options=[
        Option('vni', 'IFLA_VXLAN_ID', low=0, high=VNI_MAX, recreate=True),
        AddressOption('remote', 'IFLA_VXLAN_GROUP', role='unicast'),
        AddressOption('group', 'IFLA_VXLAN_GROUP', role='multicast'),
        AddressOption('local', 'IFLA_VXLAN_LOCAL'),
        Option('dstport', 'IFLA_VXLAN_PORT', low=1, high=65535, recreate=True),
        PortRangeOption('srcport', 'IFLA_VXLAN_PORT_RANGE', recreate=True),
        Option('ttl', 'IFLA_VXLAN_TTL', low=0, high=255),
        Option('tos', 'IFLA_VXLAN_TOS', low=0, high=255),
        Option('df', 'IFLA_VXLAN_DF', enum(DF_MODES)),
        Option('flowlabel', 'IFLA_VXLAN_LABEL', low=0, high=FLOWLABEL_MAX, unset=0),
        Option('learning', 'IFLA_VXLAN_LEARNING', FLAG),
        # 0 means "the default" to the kernel, which then reports 300
        Option('ageing', 'IFLA_VXLAN_AGEING', Units('int', unit=' s'), low=1, high=U32_MAX),
        Option('proxy', 'IFLA_VXLAN_PROXY', FLAG, recreate=True),
        Option('l2miss', 'IFLA_VXLAN_L2MISS', FLAG, recreate=True),
        Option('l3miss', 'IFLA_VXLAN_L3MISS', FLAG, recreate=True),
        Option('udpcsum', 'IFLA_VXLAN_UDP_CSUM', FLAG, recreate=True),
        Option('udp6zerocsumtx', 'IFLA_VXLAN_UDP_ZERO_CSUM6_TX', FLAG, recreate=True),
        Option('udp6zerocsumrx', 'IFLA_VXLAN_UDP_ZERO_CSUM6_RX', FLAG, recreate=True),
        Option('external', 'IFLA_VXLAN_COLLECT_METADATA', FLAG, recreate=True),
        TableOption('fdb', FDB_KEY, rtnl.fdb, FDB_SUBOPTIONS, _fdb_text, _clean_fdb),
    ],
)


def _geneve_checksums(values, current, field_of):
    """geneve reports udpcsum only for an IPv4 remote and udp6zerocsumtx
    only for an IPv6 one (the other is the same kernel flag): given for the
    other family it could never be read back."""
    family = tunnel_family(values, current)
    for name, fits in (('udpcsum', 4), ('udp6zerocsumtx', 6)):
        if values.get(name) is not None and family not in (None, fits):
            raise validate.InputError('%s: only for an IPv%d remote (the tunnel is IPv%d)'
                                      % (field_of(name), fits, family))


def _geneve_recreate(current, wanted):
    """geneve_changelink refuses every change of an external geneve
    (EOPNOTSUPP), and of the address family."""
    if current.get('external'):
        changed = sorted(name for name, value in wanted.items()
                         if value is not None and current.get(name) != value)
        if changed:
            return '%s of an external geneve' % ', '.join(changed)
    return _family_change(current, wanted)


GENEVE = KindSpec(
    'geneve',
    # A geneve has no underlay device, only an underlay namespace, where it
    # is created and its socket lives (the kernel deletes it with that
    # namespace, like a vxlan); it is moved into its own afterwards. The
    # kernel (6.1) does not report that namespace (no IFLA_LINK_NETNSID:
    # geneve has no get_link_net, vxlan has): the UDP socket on its port is
    # the witness (socket_port).
    layout='stacked',
    parent='underlay',
    dies_with_underlay=True,
    placed_by_move=True,
    socket_port=6081,
    rules=[_flowlabel_needs_ipv6, _geneve_checksums,
           _external_excludes(('vni', 'remote', 'ttl', 'tos', 'flowlabel', 'udpcsum',
                               'udp6zerocsumtx'))],
    recreate_when=_geneve_recreate,
    keep=_keep_tunnel_option,
    options=[
        Option('vni', 'IFLA_GENEVE_ID', low=0, high=VNI_MAX, recreate=True),
        AddressOption('remote', 'IFLA_GENEVE_REMOTE', role='unicast'),
        Option('dstport', 'IFLA_GENEVE_PORT', low=1, high=65535, recreate=True),
        Option('ttl', 'IFLA_GENEVE_TTL', low=0, high=255),
        Option('tos', 'IFLA_GENEVE_TOS', low=0, high=255),
        Option('df', 'IFLA_GENEVE_DF', enum(DF_MODES)),
        Option('flowlabel', 'IFLA_GENEVE_LABEL', low=0, high=FLOWLABEL_MAX, unset=0),
        Option('udpcsum', 'IFLA_GENEVE_UDP_CSUM', FLAG, recreate=True),
        Option('udp6zerocsumtx', 'IFLA_GENEVE_UDP_ZERO_CSUM6_TX', FLAG, recreate=True),
        Option('udp6zerocsumrx', 'IFLA_GENEVE_UDP_ZERO_CSUM6_RX', FLAG, recreate=True),
        FlagOption('external', 'IFLA_GENEVE_COLLECT_METADATA', recreate=True),
    ],
)

# --- the registry -------------------------------------------------------------

KINDS = dict((spec.kind, spec) for spec in (
    BRIDGE, VETH, DUMMY, MACVLAN, MACVTAP, IPVLAN, IPVTAP, VLAN, BOND, TEAMD, WIREGUARD,
    GRE, GRETAP, IP6GRE, IP6GRETAP, VRF, VXLAN, GENEVE))
_BY_NETLINK_KIND = dict((spec.netlink_kind, spec) for spec in KINDS.values())
# the layouts of a lab's `links` entries (bridges have their own list)
LINK_LAYOUTS = ('pair', 'device', 'ports', 'stacked')


def spec_of(kind):
    """The spec of a kind as users name it; an empty one for a kind the
    collection does not describe."""
    return KINDS.get(kind) or KindSpec(kind, [])


def by_netlink_kind(kind):
    """The spec of a kind as the kernel names it (IFLA_INFO_KIND), or None."""
    return _BY_NETLINK_KIND.get(kind)


def underlay_by_socket(kind):
    """Is the namespace of this kind's socket seen only through the socket
    itself (the kernel reports none: geneve)?"""
    spec = by_netlink_kind(kind)
    return spec is not None and spec.socket_port is not None


def tunnel_port(view):
    """The UDP port a tunnel's socket is bound to (the kind's default when
    the reading has no data: the kernel reports it always)."""
    spec = by_netlink_kind(view['kind'])
    if view.get('tunnel_port'):
        return view['tunnel_port']
    return spec.current(view.get('data') or {}).get('dstport') or spec.socket_port


def geneve_remote(view):
    """The remote address of a geneve's reading (None: none, or no data)."""
    return GENEVE.current(view['data']).get('remote') if view.get('data') else None


def link_kinds():
    """Kinds a lab's `links` entries can have, veth first."""
    return sorted((spec.kind for spec in KINDS.values() if spec.layout in LINK_LAYOUTS),
                  key=lambda kind: (kind != 'veth', kind))
