# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The undo of a delete step: bring the deleted link back as it was.

A delete step reads, just before it deletes, what the link needs to come
back: its kind and kind options, MTU, MAC, queue length, alias, master,
table entries (a vxlan's static forwarding entries), addresses and admin
state; and what the kernel takes with it: a veth's
peer (deleted too, read with all the same), and the ports of a master
(released). If a later step of the run fails, the undo re-creates the link
from that reading (a veth with its peer in the peer's namespace, a macvlan
or ipvlan on its parent, sent from the parent's namespace as on creation)
and puts back its settings, its peer's, and its ports.

A team is not rebuilt here: teamd owns it (the teamd code restarts it).
"""

from __future__ import annotations

import os

from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import net_ns_target
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import KINDS, by_netlink_kind
from ansible_collections.vnet.linux.plugins.module_utils._netlink.fast import FastSession
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkError,
    NetlinkFailure,
    Session,
    list_namespaces,
    where,
)


def _spec(state):
    return by_netlink_kind(state['kind']) if state is not None else None


def rebuildable(state):
    spec = _spec(state)
    return spec is not None and spec.rebuild


def _placed(state):
    """A kind made on another link (or in an underlay namespace): created
    from that link's namespace."""
    spec = _spec(state)
    return spec is not None and spec.parent is not None


class Removal(object):
    """A delete step's body (delete) and undo (restore) for one link."""

    def __init__(self, session, name, forget=None):
        self.session = session
        self.name = name
        self.saved = None
        # sessions that cache link indexes (the topology's) drop them when
        # links come and go
        self.forget = forget or (lambda: None)

    def delete(self, remove):
        """Read what a rebuild needs, then run remove() (the delete)."""
        self.saved = _read(self.session, self.name)
        remove()

    def restore(self):
        saved, self.saved = self.saved, None
        if saved is None or not rebuildable(saved['link']):
            return
        other = saved['other']
        try:
            _create(self.session, saved['link'], other)
            self.forget()
            _settle(self.session, saved['link'])
            if other is not None and saved['link']['kind'] == 'veth':
                _settle(other['session'], other['state'])
            for port in saved['ports']:
                _reattach(self.session, port, self.name, saved['link'])
            if saved['link']['kind'] == 'bond':
                _bond_primary(self.session, saved['link'])
        finally:
            if other is not None and other['session'] is not self.session:
                other['session'].close()


def _read(session, name):
    state = session.read(name)
    if state is None:
        return None
    other = _other_end(session, state)
    spec = _spec(state)
    ports = [link for link in session.links() if link['master'] == name] \
        if spec is not None and spec.takes_ports else []
    return {'link': state, 'other': other, 'ports': ports}


def _other_end(session, state):
    """The veth peer or the parent: its namespace, a session there, and (for
    a peer, which goes with the link) its full reading."""
    if state['kind'] != 'veth' and not _placed(state):
        return None
    if not state['link_index'] and (state['kind'] == 'veth' or state['link_netnsid'] is None):
        return None
    if state['link_netnsid'] is None:
        netns, other_session = session.netns, session
    else:
        netns = namespace_of(session, state['link_netnsid'])
        if netns is False:
            return None
        other_session = _session_in(session, netns)
    name = other_session.name_of(state['link_index']) if state['link_index'] else None
    if name is None and (state['link_index'] or state['kind'] == 'veth'):
        return None
    peer = other_session.read(name) if state['kind'] == 'veth' else None
    return {'netns': netns, 'session': other_session, 'name': name, 'state': peer}


def _session_in(session, netns):
    """A session of its own (closed after the restore) in another namespace,
    entered the way this one was."""
    if isinstance(session, FastSession):
        return FastSession(netns, session.namespaces, cache_indexes=False)
    return Session(netns)


def namespace_of(session, nsid):
    """The namespace name (None: the root namespace) that this session's
    namespace knows under nsid; False if none of them."""
    for netns in [None] + list_namespaces():
        if netns == session.netns:
            continue
        try:
            if session.nsid_of(netns) == nsid:
                return netns
        except (OSError, NetlinkError, NetlinkFailure):
            continue  # removed meanwhile, or a file there that is no namespace
    return False


def _attrs(state):
    args = {'mtu': state['mtu'], 'txqlen': state['txqueuelen']}
    spec = _spec(state)
    if not (spec is not None and spec.fixed_mac) and state['mac_address']:
        args['address'] = state['mac_address']
    return dict((key, value) for key, value in args.items() if value is not None)


def _create(session, state, other):
    kind = state['kind']
    spec = KINDS.get(kind)
    args = dict(_attrs(state), ifname=state['name'], kind=kind)
    if spec is not None and kind != 'veth':
        args.update(spec.kernel_args(_sendable(kind, spec, state['data'])))
    text = 'restoring %s %s in %s' % (kind, state['name'], where(session.netns))
    if _placed(state) and other is not None:
        # made from its parent's (or underlay) namespace, as on creation
        if other['name'] is not None:
            args[spec.parent_kwarg()] = other['session'].index(other['name'])
        link_steps.send_create(other['session'], session, spec, text, args)
        return
    fd = None
    if kind == 'veth' and other is not None:
        peer = dict(_attrs(other['state']), ifname=other['name'])
        if other['netns'] != session.netns:
            peer['net_ns_fd'], fd = net_ns_target(other['netns'])
        args['peer'] = peer
    try:
        session.call(text, 'link', 'add', **args)
    finally:
        if fd is not None:
            os.close(fd)


def _settle(session, state):
    """Alias, master, table entries (a vxlan's forwarding entries),
    addresses, then admin state, as read before."""
    name, label = state['name'], '%s in %s' % (state['name'], where(session.netns))
    index = session.index(name)
    spec = _spec(state)
    for option in spec.tables if spec is not None else ():
        for entry in option.read(state['data']) or ():
            link_steps.table_entry(session, name, 'restoring %s entry %s on %s'
                                   % (option.name, option.entry_text(entry), label),
                                   option, 'add', entry)
    if state['alias']:
        session.call('restoring the alias of ' + label, 'link', 'set', index=index,
                     ifalias=state['alias'])
    if state['master']:
        session.call('restoring the master of ' + label, 'link', 'set', index=index,
                     master=session.index(state['master']))
    for cidr in state['addresses']:
        address, prefix = cidr.split('/')
        session.call('restoring address %s on %s' % (cidr, label), 'addr', 'add',
                     index=index, address=address, prefixlen=int(prefix))
    if state['admin_state'] == 'up':
        session.call('bringing %s up again' % label, 'link', 'set', index=index, state='up')


def _bond_rules():
    # imported when used: the bond rules import the engine
    from ansible_collections.vnet.linux.plugins.module_utils._kinds import bond
    return bond


def _sendable(kind, spec, data):
    """The options read, as the kernel takes them back: a bond reports
    settings it refuses to be sent in its mode (and 'none set' as the zero
    MAC)."""
    current = spec.current(data)
    if kind != 'bond':
        return current
    return _bond_rules().carried_options(current, current.get('mode'))


def _bond_primary(session, state):
    """A bond's primary names a port (by index: the ports are not
    re-created, so the index read still names it)."""
    primary = state['data'].get('IFLA_BOND_PRIMARY')
    if primary:
        session.call('restoring the primary of bond %s' % state['name'], 'link', 'set',
                     index=session.index(state['name']), kind='bond', bond_primary=primary)


def _reattach(session, port, master, master_state):
    """A port the deleted master released: back under it, as it was."""
    label = '%s in %s' % (port['name'], where(session.netns))
    index = session.index(port['name'])
    master_spec = _spec(master_state)
    down_first = port['admin_state'] == 'up' and master_spec is not None and \
        master_spec.ports_down
    if down_first:
        # a bond takes only ports that are down
        session.call('taking %s down to re-attach it' % label, 'link', 'set', index=index,
                     state='down')
    session.call('re-attaching %s to %s' % (label, master), 'link', 'set', index=index,
                 master=session.index(master))
    master_spec = KINDS.get(port['port_kind'])
    settings = master_spec.current(port['port_data'], port=True) if master_spec else {}
    if port['port_kind'] == 'bond':
        # only what the bond's mode takes (prio is refused outside
        # active-backup/tlb/alb, even 0)
        settings = _bond_rules().kept_port_options(
            port['port_data'], master_spec.current(master_state['data']).get('mode'))
    if settings:
        link_steps.port_settings(session, port['name'], 'changing port settings of %s' % label,
                                 master_spec, settings)
    if down_first:
        session.call('bringing %s up again' % label, 'link', 'set', index=index, state='up')
    # the addresses it lost on the way (a VRF cycles a port it takes or
    # releases: the kernel drops IPv6 addresses on the way down)
    link_steps.put_back_addresses(session, port['name'], 'restoring the addresses of '
                                  + label, port['addresses'])
