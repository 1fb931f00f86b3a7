# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may touch what: one set of rules for every module and the topology.

A step that deletes, moves, re-addresses, enslaves or takes down an object
declares the object (a Touch) when it is planned, and the Guard vets it
there, before anything changes, so check mode shows a refusal exactly as a
real run would. Three rules:

- lock-out: in the root namespace, a link carrying a default route or the
  task's SSH connection is protected (allow_disruptive lifts it);
- ownership: the object is named by the task, or owned by the lab's mark;
  collateral that is neither (see below) is refused (allow_collateral
  lifts it);
- port take-over: enslaving a link that already has another master is
  refused (allow_port_takeover lifts it).

Collateral is what the kernel deletes along with what a step deletes: the
veth peer of a deleted end, the links inside a deleted namespace and, from
those, their veth peers elsewhere, and the macvlan/macvtap/ipvlan/ipvtap/
vlan links stacked on a deleted link, wherever they live. `dying_with`
finds them from link readings; the planners name them in their steps, so
plans and check mode list them.
"""

from __future__ import annotations

import os

from ansible_collections.vnet.linux.plugins.module_utils._engine.errors import GuardRefusal
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    by_netlink_kind,
    geneve_remote,
    tunnel_port,
    underlay_by_socket,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.fast import SessionPool
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import external_paths
from ansible_collections.vnet.linux.plugins.module_utils._netlink.sockets import (
    udp_ports,
    underlay_candidates,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    list_namespaces,
    where,
)

DELETE = 'delete'
MOVE = 'move'
TAKE_DOWN = 'take down'
ENSLAVE = 'enslave'


def _dies_with_parent(view):
    """Does the kernel delete this link with the device its link_index
    names (a veth's peer, a macvlan's parent, a vxlan's underlay device)?"""
    spec = by_netlink_kind(view['kind'])
    return spec is not None and spec.dies_with_parent


def _dies_with_underlay(view):
    """Does the kernel delete this link with the namespace it was created
    in, wherever it lives now (a tunnel's socket namespace)?"""
    spec = by_netlink_kind(view['kind'])
    return spec is not None and spec.dies_with_underlay


class Touch(object):
    """One object a step acts on.

    view: the link as read (a dict with at least netns, name, index, kind,
    master, alias); action: what the step does to it; named: the task names
    it (False: collateral); cause: for collateral, why it goes;
    master: for ENSLAVE, the new master's name.
    """

    def __init__(self, view, action, named=True, cause=None, master=None, what=None):
        self.view = view
        self.action = action
        self.named = named
        self.cause = cause
        self.master = master
        self.what = what or action


class Guard(object):
    """The rules above for one run.

    session_of(netns) gives the run's session of a namespace; lab (a name)
    and owns(view) say whether the lab's mark owns a link (no lab: nothing
    is owned by a mark).
    """

    def __init__(self, session_of, allow_disruptive=False, allow_collateral=False,
                 allow_port_takeover=False, lab=None, owns=None):
        self.session_of = session_of
        self.lab = lab
        self.allow_disruptive = allow_disruptive
        self.allow_collateral = allow_collateral
        self.allow_port_takeover = allow_port_takeover
        self.owns = owns or (lambda view: False)
        self.host = HostLinks()
        self._protected = None

    def close(self):
        self.host.close()

    # -- lock-out ----------------------------------------------------------
    def protected(self):
        """index -> reasons, for the root namespace's links this host's
        connection depends on."""
        if self._protected is None:
            session = self.session_of(None)
            reasons = {}
            for index in session.default_route_indexes():
                reasons.setdefault(index, []).append('a default route')
            ssh = (os.environ.get('SSH_CONNECTION') or '').split()
            if len(ssh) == 4:
                for msg in session.dump('addr'):
                    local = msg.get_attr('IFA_LOCAL') or msg.get_attr('IFA_ADDRESS')
                    if local == ssh[2]:
                        reasons.setdefault(msg['index'], []).append(
                            'the SSH connection of this task (%s)' % ssh[2])
            self._protected = reasons
        return self._protected

    def protection(self, view):
        """Why a link is protected ([] if it is not)."""
        if view is None or view.get('netns') is not None:
            return []
        return self.protected().get(view['index'], [])

    # -- the one check -------------------------------------------------------
    def vet(self, touch):
        view = touch.view
        if view is None:
            return
        reasons = self.protection(view)
        if reasons and not self.allow_disruptive:
            raise GuardRefusal(
                'refusing to %s %s: it carries %s, and the change could cut this host '
                'off. Set allow_disruptive: true if that is really meant.'
                % (touch.what, _describe(view), ' and '.join(reasons)))
        if not touch.named and not self.owns(view) and not self.allow_collateral:
            raise GuardRefusal(
                'refusing to %s %s: it would go %s, but this task does not name it%s. '
                'Name it, or set allow_collateral: true if it may go too.'
                % (touch.what, _describe(view), touch.cause, self._owner_hint()))
        if touch.action == ENSLAVE and view.get('master') and \
                view['master'] != touch.master and not self.allow_port_takeover:
            raise GuardRefusal(
                'refusing to make %s a port of %s: it is a port of %s already. Release it '
                'there first, or set allow_port_takeover: true to move it.'
                % (_describe(view), touch.master, view['master']))

    def vet_collateral(self, found, names_partner=None):
        """Vet what dies along with a step ((view, cause) from dying_with);
        returns the text that names it in the step.

        A veth pair is one device with two ends: a peer that dies with its
        other end goes as part of that pair when the task names that other
        end (names_partner(view) says so) or the lab's mark owns it. Links
        stacked on a deleted link are objects of their own: named or owned,
        or foreign. The lock-out guard applies to all of them."""
        for view, cause in found:
            partner = self.host.partner(view) if view['kind'] == 'veth' else None
            named = partner is not None and bool(
                (names_partner is not None and names_partner(partner)) or self.owns(partner))
            self.vet(Touch(view, DELETE, named=named, cause=cause, what='delete'))
        return collateral_text(found)

    def vet_all(self, touches):
        for touch in touches:
            self.vet(touch)

    def _owner_hint(self):
        return ' and lab %r does not own it' % self.lab if self.lab else ''

    # -- the old entry point of the planners -----------------------------------
    def check(self, netns, state, action):
        """Lock-out check of a named object (the planners' existing calls)."""
        if state is None:
            return
        view = dict(state, netns=netns)
        self.vet(Touch(view, action, what=action))


def _describe(view):
    return '%s (%s in %s)' % (view['name'], view.get('kind') or 'device without kind',
                              where(view.get('netns')))


# --- collateral -------------------------------------------------------------

def light_links(session):
    """The fields collateral needs, for every link of a namespace, from
    one raw dump on a fast session."""
    views = session.parsed_links()
    for view in views:
        view['netns'] = session.netns
    return views


class HostLinks(object):
    """Links of the host's namespaces, read once and on demand.

    links_of(netns) may come from the caller (the topology has read its
    namespaces already); the rest is dumped, once per namespace, through
    session_of(netns), a fast session (fast.FastSession: it enters the
    namespace in-thread; pyroute2's IPRoute(netns=) forks a helper per
    namespace, milliseconds each on a host with many). Without session_of
    it keeps sessions of its own, closed by close().
    """

    def __init__(self, session_of=None, links_of=None, namespaces=None):
        self._own = None
        self._session_of = session_of
        self._links_of = links_of
        self._namespaces = namespaces
        self._cache = {}
        self._nsids = {}
        self._ports = {}

    def session_of(self, netns):
        if self._session_of is None:
            self._own = SessionPool()
            self._session_of = self._own.session
        return self._session_of(netns)

    def close(self):
        if self._own is not None:
            self._own.close()
            self._own = None
            self._session_of = None

    def namespaces(self):
        if self._namespaces is None:
            # with the namespaces outside /run/netns this run was given
            # (a container's): collateral there is seen too
            self._namespaces = [None] + list_namespaces() + external_paths()
        return self._namespaces

    def links(self, netns):
        if netns not in self._cache:
            views = self._links_of(netns) if self._links_of else None
            if views is None:
                try:
                    views = light_links(self.session_of(netns))
                except (NetlinkFailure, OSError):
                    views = []  # removed meanwhile
            self._cache[netns] = list(views)
        return self._cache[netns]

    def nsid(self, seen_from, netns):
        key = (seen_from, netns)
        if key not in self._nsids:
            try:
                self._nsids[key] = self.session_of(seen_from).nsid_of(netns)
            except (NetlinkFailure, OSError):
                self._nsids[key] = None
        return self._nsids[key]

    def udp_ports(self, netns):
        """The ports of the namespace's UDP sockets (a geneve's witness)."""
        if netns not in self._ports:
            try:
                self._ports[netns] = udp_ports(netns)
            except OSError:
                self._ports[netns] = frozenset()  # removed meanwhile
        return self._ports[netns]

    def partner(self, view):
        """The link a collateral view dies with (see dying_with)."""
        netns, index = view['died_with']
        return next((v for v in self.links(netns) if v['index'] == index), None)

    def target_netns(self, view, candidates, dead=None):
        """The namespace (among candidates) of the link a view's IFLA_LINK
        names; False when it is none of them. With `dead` ((netns, index)
        keys), only namespaces holding a dead link of that index are asked
        for their id: one request per namespace pair otherwise makes a
        teardown of N namespaces cost N² requests."""
        if view.get('link_netnsid') is None:
            return view['netns'] if view['netns'] in candidates else False
        for netns in candidates:
            if netns == view['netns'] or \
                    (dead is not None and not _may_be_target(view, dead, netns)):
                continue
            if self.nsid(view['netns'], netns) == view['link_netnsid']:
                return netns
        return False


def _may_be_target(view, dead, netns):
    """Can the link a view names be a dead link of netns? It must be there,
    and a veth's peer names the view back."""
    key = (netns, view['link_index'])
    if key not in dead:
        return False
    other = dead[key]
    return other is None or view['kind'] != 'veth' or other.get('kind') != 'veth' or \
        other.get('link_index') == view['index']


def dying_with(host, links=(), namespaces=()):
    """Every link outside `namespaces` that the kernel deletes along with
    the given links ((netns, index) pairs) and namespaces, other than those
    links themselves: list of (view, cause)."""
    dead = {}
    for netns, index in links:
        dead[(netns, index)] = None
    gone = set(namespaces)
    for netns in gone:
        for view in host.links(netns):
            dead[(netns, view['index'])] = view
    found = []
    changed = True
    while changed:
        changed = False
        dead_netns = set(netns for netns, _index in dead)
        for netns in host.namespaces():
            if netns in gone:
                continue
            for view in host.links(netns):
                key = (netns, view['index'])
                if key in dead:
                    continue
                underlay = _underlay_gone(host, view, gone)
                if underlay is not None:
                    dead[key] = view
                    view['died_with'] = (underlay, None)
                    found.append((view, 'with %s, where it was created (its underlay)'
                                  % where(underlay)))
                    changed = True
                    continue
                if not _dies_with_parent(view):
                    continue
                target = host.target_netns(view, dead_netns, dead)
                if target is False or (target, view['link_index']) not in dead:
                    continue
                dead[key] = view
                view['died_with'] = (target, view['link_index'])
                found.append((view, _cause(view, target, view['link_index'], host)))
                changed = True
    return found


def _underlay_gone(host, view, gone):
    """The namespace a tunnel was created in, if it is among those that go
    (the kernel then deletes the tunnel wherever it lives); else None."""
    if not gone or not _dies_with_underlay(view):
        return None
    if underlay_by_socket(view['kind']):
        return _socket_holder_gone(host, view, gone)
    if view.get('link_netnsid') is None:
        return None
    underlay = host.target_netns(view, gone)
    return None if underlay is False else underlay


def _socket_holder_gone(host, view, gone):
    """A geneve whose socket is not in its own namespace dies with the one
    holding it (specs.socket_port): of the namespaces with a UDP socket on
    its port that can be its underlay (sockets.underlay_candidates), the first that
    goes - erring on the side of reporting it when several could be."""
    if view['admin_state'] != 'up':
        return None

    def remote():
        # the guard's light readings have no kind data: the remote is read
        return geneve_remote(host.session_of(view['netns']).read(view['name']) or view)
    holders = underlay_candidates(view['netns'], tunnel_port(view), host.namespaces(),
                                  host.udp_ports, remote, host.session_of)
    return next((netns for netns in holders if netns in gone), None)


def _cause(view, target, index, host):
    other = next((v for v in host.links(target) if v['index'] == index), None)
    name = other['name'] if other else '#%d' % index
    if view['kind'] == 'veth':
        return 'with its veth peer %s in %s' % (name, where(target))
    return 'with %s in %s, the link it is stacked on' % (name, where(target))


def collateral_text(found):
    """' (with it: veth b in namespace 'y', ...)' for a step's text."""
    if not found:
        return ''
    return ' (and with it: %s)' % ', '.join(_describe(view) for view, _cause_ in found)


__all__ = ['Guard', 'GuardRefusal', 'Touch', 'HostLinks', 'dying_with', 'collateral_text',
           'DELETE', 'MOVE', 'TAKE_DOWN', 'ENSLAVE']
