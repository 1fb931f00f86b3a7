# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The steps that change one link, for every planner.

The single-link modules (plan_link, the bond plan) and the topology's
Planner compose these, so a link's attributes, kind options, master, port
settings, addresses and admin state are changed, undone and guarded the
same way whichever module asks. Common attributes, the master, the admin
state and addresses go over the session's own rtnetlink socket (one
request each, without pyroute2's per-request event loop: about 1 ms a
request, see _netlink/rtnl.py); kind options and port settings through
pyroute2's encoders, which the kind specs name.

Functions named after an action run it now; `*_step` functions return the
body of a step (a callable run later, by apply or by undo).
"""

from __future__ import annotations

import ipaddress
import os
import zlib

from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import (
    net_ns_target,
    netns_path,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    where,
)

# option name -> rtnl.link_attrs keyword
COMMON = (
    ('mtu', 'mtu'),
    ('mac_address', 'address'),
    ('txqueuelen', 'txqlen'),
    ('alias', 'alias'),
)


def _link_kwargs(attrs):
    """rtnl.link_attrs keywords from option names (as in COMMON)."""
    unknown = set(attrs or {}) - set(option for option, _kw in COMMON)
    if unknown:
        raise TypeError('unknown link attributes %s' % ', '.join(sorted(unknown)))
    return dict((keyword, attrs[option]) for option, keyword in COMMON
                if option in (attrs or {}))


# what a link can be created with (the alias is set after); pyroute2's
# keywords for these are rtnl.link_attrs' own
CREATE_KEYWORDS = tuple((option, keyword) for option, keyword in COMMON if option != 'alias')


def _create_kwargs(attrs):
    """_link_kwargs of what a create request carries: all but the alias."""
    return _link_kwargs(dict((k, v) for k, v in (attrs or {}).items() if k != 'alias'))


def create_link(session, name, spec, what, options=None, attrs=None, parent=None, extra=None):
    """One request makes a link of a kind with its options and attributes.
    parent=(its session, its name): a link stacked on a parent (macvlan,
    ipvlan, ...) is sent from the parent's namespace, where the parent's
    index means something, and placed straight into its own namespace. A
    tunnel's parent name may be None: it is sent from that session's
    namespace all the same, which becomes its underlay (its socket's)."""
    args = spec.create_args(options or {})
    args.update(_create_kwargs(attrs))
    args.update(extra or {})
    sender = session
    if parent is not None:
        sender, parent_name = parent
        if parent_name is not None:
            args[spec.parent_kwarg()] = sender.index(parent_name)
    send_create(sender, session, spec, what, dict(args, ifname=name, kind=spec.netlink_kind))


def send_create(sender, session, spec, what, args):
    """Send a create request (pyroute2 keywords) from sender's namespace
    for a link that ends up in session's. The request places it there
    itself (IFLA_NET_NS_FD), except for kinds placed by a move after the
    create (spec.placed_by_move: a GRE tunnel created straight into
    another namespace takes that one as its underlay on kernels before
    6.14), and links whose name the sender's namespace has; a move that
    fails deletes what the create made."""
    elsewhere = sender.netns != session.netns
    name = args['ifname']
    # The kernel looks the new name up in the namespace the request comes
    # from, even for a link placed elsewhere (IFLA_NET_NS_FD): a name taken
    # there (a host's own eth0 under a tunnel of a lab spread over hosts)
    # fails with EEXIST. Such a link is made under a transit name and moved.
    moved = elsewhere and (spec.placed_by_move or sender.get_msg(name=name) is not None)
    if moved:
        # made under a name of its own in the underlay namespace, where the
        # link's own name may be taken (by the tunnel's other end, say)
        args = dict(args, ifname=transit_name(name))
    fd = None
    if elsewhere and not moved:
        args['net_ns_fd'], fd = net_ns_target(session.netns)
    try:
        sender.call(what, 'link', 'add', **args)
    finally:
        if fd is not None:
            os.close(fd)
    if moved:
        _move_created(sender, session, args['ifname'], name, what)


def transit_name(name):
    """The name a link placed by a move has in the namespace it is made in."""
    return 'vnm%08x' % (zlib.crc32(name.encode('utf-8')) & 0xFFFFFFFF)


def _move_created(sender, session, transit, name, what):
    """Into its own namespace under its own name, in one request."""
    index = sender.index(transit)
    target, fd = net_ns_target(session.netns)
    try:
        sender.call('%s (moving it into %s)' % (what, where(session.netns)), 'link', 'set',
                    index=index, net_ns_fd=target, ifname=name)
    except NetlinkFailure:
        sender.call('%s (deleting it again)' % what, 'link', 'del', index=index)
        raise
    finally:
        if fd is not None:
            os.close(fd)
        forget = getattr(sender, 'forget', None)
        if forget is not None:
            forget(transit)


def create_veth(session, name, peer, peer_netns, what, attrs=None, peer_attrs=None,
                master=None):
    """One request makes the pair: the peer placed straight into its
    namespace, both ends with their attributes (alias excepted: the kernel
    sets no alias at creation), and the first end, with `master`, already a
    port of that bridge."""
    own = _create_kwargs(attrs)
    if master:
        own['master'] = session.index(master)
    fd = None
    if peer_netns != session.netns:
        # the root namespace has no name: the one this thread is in outside
        # a step's namespace visit (the module's own)
        fd = os.open(netns_path(peer_netns) if peer_netns is not None
                     else '/proc/thread-self/ns/net', os.O_RDONLY)
    try:
        session.raw(what, rtnl.add_veth, name, peer, own=own,
                    peer_attrs=_create_kwargs(peer_attrs), peer_netns_fd=fd)
    finally:
        if fd is not None:
            os.close(fd)


def set_link(session, name, what, admin_state=None, master=None, **attrs):
    """One request for a link's common attributes (option names as in
    COMMON), its master (a name; '' releases it) and its admin state."""
    kwargs = _link_kwargs(attrs)
    if master is not None:
        kwargs['master'] = session.index(master) if master else 0
    session.raw(what, rtnl.set_link, session.index(name),
                up=None if admin_state is None else admin_state == 'up', **kwargs)


def set_link_step(session, name, what, **changes):
    return lambda: set_link(session, name, what, **changes)


def set_options(session, name, what, spec, options, replaces=None):
    """A kind's own settings (IFLA_INFO_DATA), encoded by pyroute2.
    replaces: the values they replace (a map option clears what it drops).
    What the request carries is the spec's to say (spec.change_args): a GRE
    tunnel's kernel resets every setting the request leaves out, so its
    request carries them all, read when the step runs (also for an undo)."""
    index = session.index(name)

    def read():
        state = session.read(name)
        if state is None:
            raise NetlinkFailure('link %r is missing in %s' % (name, where(session.netns)))
        return state['data']
    session.call(what, 'link', 'set', index=index, kind=spec.netlink_kind,
                 **spec.change_args(options, read, replaces=replaces))


def set_options_step(session, name, what, spec, options, replaces=None):
    return lambda: set_options(session, name, what, spec, options, replaces)


def change_options(session, name, what, spec, options, data):
    """(do, undo) step bodies that change a link's kind options from what
    the kernel's data holds, and put that back."""
    old = spec.previous(options, data)
    return (set_options_step(session, name, what, spec, options, replaces=old),
            set_options_step(session, name, what, spec, old, replaces=options))


def attach_step(session, name, what, master, take_down=False, was_up=False,
                admin_state=None):
    """Set (or with '' clear) a link's master, then its admin state if given.
    take_down: a bond takes only ports that are down (EPERM otherwise), so
    the link goes down first; was_up: it was up, and comes up again if the
    kernel refuses the master, so a refused attach does not leave it down."""
    def run():
        if take_down:
            set_link(session, name, what, admin_state='down')
        try:
            set_link(session, name, what, master=master)
        except NetlinkFailure:
            if take_down and was_up:
                set_link(session, name, what, admin_state='up')
            raise
        if admin_state is not None:
            set_link(session, name, what, admin_state=admin_state)
    return run


def address(session, name, what, command, cidr, gone_ok=False):
    """Add or delete one address. gone_ok: deleting an address the kernel
    already dropped is done (a link taken down loses its IPv6 addresses, so
    undoing "bring up" before "add address" leaves nothing to remove)."""
    iface = ipaddress.ip_interface(cidr)
    index = session.index(name)
    if gone_ok and command == 'del' and cidr not in session.addresses(index):
        return
    session.raw(what, rtnl.address, command, index, 10 if iface.version == 6 else 2,
                str(iface.ip), iface.network.prefixlen)


def address_step(session, name, what, command, cidr, gone_ok=False):
    return lambda: address(session, name, what, command, cidr, gone_ok)


def ipv6_addresses(addresses):
    """The IPv6 ones of a link's addresses (CIDRs): those the kernel drops
    when the link goes down."""
    return [cidr for cidr in addresses if ':' in cidr]


def put_back_addresses(session, name, what, addresses):
    """Add those of `addresses` (as read before) that the link lost."""
    have = session.addresses(session.index(name))
    for cidr in addresses:
        if cidr not in have:
            address(session, name, what, 'add', cidr)


def keeping_addresses(session, name, what, addresses, body):
    """A step body that runs `body` (None: nothing), then puts back those of
    `addresses` the link lost meanwhile (a VRF cycles a port it takes or
    releases, and the kernel drops its IPv6 addresses on the way down)."""
    if body is None:
        return None

    def run():
        body()
        put_back_addresses(session, name, what, addresses)
    return run


def address_steps(add, session, name, label, wanted, have, purge=False, keep=(),
                  guard=None, state=None):
    """The steps that bring a link's addresses from `have` to `wanted`, through
    add(text, do, undo). Removals first: deleting an IPv4 primary address
    also deletes the secondaries of its subnet, so an address added before
    would vanish. With a guard, removing an address from a protected link
    (the lock-out guard) is refused while planning. Returns the removed and
    the added addresses."""
    removed = [cidr for cidr in have if purge and cidr not in wanted and cidr not in keep]
    added = [cidr for cidr in wanted if cidr not in have]
    for cidr in removed:
        if guard is not None:
            guard.check(session.netns, state, 'remove address %s from' % cidr)
        add('remove address %s from %s' % (cidr, label),
            address_step(session, name, 'removing address %s on %s' % (cidr, label), 'del',
                         cidr),
            address_step(session, name, 'adding address %s on %s' % (cidr, label), 'add',
                         cidr))
    for cidr in added:
        add('add address %s to %s' % (cidr, label),
            address_step(session, name, 'adding address %s on %s' % (cidr, label), 'add',
                         cidr),
            address_step(session, name, 'removing address %s on %s' % (cidr, label), 'del',
                         cidr, gone_ok=True))
    return removed, added


def table_entry(session, name, what, option, command, entry):
    """Add ('add') or remove ('del') one entry of a link's table (a
    TableOption of its kind spec: a vxlan's static forwarding entries)."""
    session.raw(what, option.request, command, session.index(name), *entry)


def table_entry_step(session, name, what, option, command, entry):
    return lambda: table_entry(session, name, what, option, command, entry)


def table_steps(add, session, name, label, option, wanted, have):
    """The steps that bring a link's entries of one table from `have` to
    `wanted` (entries in kernel form, TableOption.to_kernel), through
    add(text, do, undo): removals first (freeing what an added entry may
    replace), each step undone by its opposite. Returns the removed and the
    added entries."""
    removed = [entry for entry in have if entry not in wanted]
    added = [entry for entry in wanted if entry not in have]
    passes = (('del', removed, 'add', 'remove %s entry %s from %s'),
              ('add', added, 'del', 'add %s entry %s to %s'))
    for command, entries, undo, text in passes:
        for entry in entries:
            step_text = text % (option.name, option.entry_text(entry), label)
            add(step_text,
                table_entry_step(session, name, step_text, option, command, entry),
                table_entry_step(session, name, 'undoing: ' + step_text, option, undo, entry))
    return removed, added


def port_settings(session, name, what, master_spec, settings):
    """A port's settings under its master: a bridge port's through
    IFLA_PROTINFO (pyroute2's brport), a bond port's as iproute2 sends
    `type bond_slave`: IFLA_INFO_KIND '<master kind>_slave' with the
    settings in IFLA_INFO_SLAVE_DATA (the kernel hands them to the master's
    driver). pyroute2 has no keyword path for the latter, so the nest is
    built here."""
    kwargs = master_spec.kernel_args(settings, port=True)
    slave_kind = getattr(master_spec, 'port_slave_kind', None)
    if not slave_kind:
        session.call(what, 'brport', 'set', index=session.index(name), **kwargs)
        return
    prefix = master_spec.port_prefix
    attrs = [(prefix + key.upper(), value) for key, value in sorted(kwargs.items())]
    linkinfo = {'attrs': [('IFLA_INFO_KIND', slave_kind + '_slave'),
                          ('IFLA_INFO_SLAVE_DATA', {'attrs': attrs})]}
    session.call(what, 'link', 'set', index=session.index(name), IFLA_LINKINFO=linkinfo)


def port_settings_step(session, name, what, master_spec, settings):
    return lambda: port_settings(session, name, what, master_spec, settings)


def delete_link(session, name, what=None):
    session.raw(what or 'deleting link %s' % name, rtnl.delete_link, session.index(name))


def describe(changes):
    """option=value, ... as step texts name changes."""
    return ', '.join('%s=%s' % (k, v) for k, v in sorted(changes.items()))
