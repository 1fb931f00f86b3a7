# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run-time impairments of one interface, per direction (module impairment).

Egress is a netem root qdisc on the interface. Ingress has no queue of its
own, so the traffic that arrives is turned round through an ifb device, as
tc users do: an ifb beside the interface (named from it, marked with its
alias as this collection's), an ingress qdisc on the interface whose one
filter (u32 matching everything: every kernel with tc has cls_u32, not
every one has matchall) redirects all of it to the ifb's egress, and
netem as the ifb's root qdisc.

What the run owns, and so may change or remove: a netem root qdisc (it
is an impairment, whoever set it: the topology's are these too), an ifb
carrying its mark, an ingress qdisc that holds nothing but its filter (or
nothing). Anything else in those places (a tbf or htb root, an ingress
qdisc with other filters) is foreign: the run is refused, before any
change, unless `force` lets it replace that qdisc.
"""

from __future__ import annotations

import hashlib

from ansible_collections.vnet.linux.plugins.module_utils._engine.errors import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._engine.guard import Touch
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import undone_with_its_object
from ansible_collections.vnet.linux.plugins.module_utils._netlink import netem
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkError,
    NetlinkFailure,
    explain,
    where,
)

DIRECTIONS = ('egress', 'ingress')
INGRESS_HANDLE = 0xFFFF0000   # "ffff:"
FILTER_PRIO = 1               # first: the redirect sees every packet
ETH_P_ALL = 3
IFB_MARK = 'vnet.linux ingress impairment of '
IFNAMSIZ = 15
IMPAIR = 'impair'


def ifb_name(name):
    """The ifb of an interface's ingress impairment: `ifb-<name>` where
    that fits in 15 bytes, else a cut name and a hash of the whole one (two
    long names that start alike get different ifbs)."""
    plain = 'ifb-' + name
    if len(plain.encode('utf-8')) <= IFNAMSIZ:
        return plain
    head = name.encode('utf-8')[:6].decode('utf-8', 'ignore')
    return 'ifb-%s-%s' % (head, hashlib.sha1(name.encode('utf-8')).hexdigest()[:4])


def ifb_mark(name):
    return IFB_MARK + name


# --- reading -----------------------------------------------------------------

def _mirred_targets(node):
    """Interface indexes the mirred actions inside a filter's options name."""
    found = []
    if isinstance(node, (list, tuple)):
        for item in node:
            found.extend(_mirred_targets(item))
        return found
    if hasattr(node, 'get'):
        for name, value in node.get('attrs') or []:
            if name == 'TCA_MIRRED_PARMS':
                found.append(value.get('ifindex'))
            else:
                found.extend(_mirred_targets(value))
    return found


def read_filters(session, index):
    """(prio, [redirect targets]) of each filter under an ingress qdisc."""
    try:
        msgs = session.ipr.get_filters(index=index, parent=INGRESS_HANDLE)
    except NetlinkError as err:
        raise NetlinkFailure(explain(err, 'reading the ingress filters in %s'
                                     % where(session.netns)))
    by_prio = {}
    for msg in msgs:
        targets = by_prio.setdefault(msg['info'] >> 16, [])
        targets.extend(_mirred_targets(msg.get_attr('TCA_OPTIONS')))
    return sorted(by_prio.items())


def describe_qdisc(qdisc):
    return '%s %x:' % (qdisc['kind'], qdisc['handle'] >> 16)


def read_interface(session, name):
    """Everything the impairment of one interface is made of, as read."""
    link = session.read(name)
    if link is None:
        return None
    qdiscs = netem.qdiscs_by_index(session)
    own = qdiscs.get(link['index'], {})
    ifb = session.read(ifb_name(name))
    state = {'link': link, 'root': own.get('root'), 'ingress_qdisc': own.get('ingress'),
             'filters': read_filters(session, link['index']) if own.get('ingress') else [],
             'ifb': ifb, 'ifb_root': qdiscs.get(ifb['index'], {}).get('root') if ifb else None}
    return state


def ifb_is_ours(state, name):
    return state['ifb'] is not None and state['ifb']['alias'] == ifb_mark(name)


def our_filter(state):
    """Is the redirect to our ifb in place (at our priority)?"""
    ifb = state['ifb']
    return ifb is not None and any(prio == FILTER_PRIO and ifb['index'] in targets
                                   for prio, targets in state['filters'])


def foreign_filters(state):
    """Filters on the ingress qdisc that are not our redirect."""
    ifb_index = state['ifb']['index'] if state['ifb'] else None
    return [(prio, targets) for prio, targets in state['filters']
            if not (prio == FILTER_PRIO and ifb_index in targets)]


def foreign_root(qdisc):
    """A root qdisc that is neither an impairment nor the kernel's default
    (the kernel gives its own the handle 0)."""
    return qdisc is not None and qdisc['kind'] != 'netem' and qdisc['handle'] != 0


def impairment_of(state, direction, name):
    """The impairment in place in a direction (canonical; {} for none)."""
    if direction == 'egress':
        root = state['root']
        return root['impairment'] if root and root['kind'] == 'netem' else {}
    if not (ifb_is_ours(state, name) and our_filter(state)):
        return {}
    return ifb_impairment(state)


def ifb_impairment(state):
    root = state['ifb_root']
    return root['impairment'] if root and root['kind'] == 'netem' else {}


def ingress_complete(state, name):
    return ifb_is_ours(state, name) and state['ifb']['admin_state'] == 'up' and \
        our_filter(state)


# --- step bodies ---------------------------------------------------------------

def _create_ifb(session, name, text):
    """One step: an ifb that is not marked and up yet is not left behind."""
    def run():
        session.call(text, 'link', 'add', ifname=ifb_name(name), kind='ifb')
        index = session.index(ifb_name(name))
        try:
            session.call(text, 'link', 'set', index=index, ifalias=ifb_mark(name), state='up')
        except NetlinkFailure:
            session.ipr.link('del', index=index)  # the step's own half: not a request to count
            raise
    return run


def _delete_link(session, link_name, text):
    def run():
        session.call(text, 'link', 'del', index=session.index(link_name))
    return run


def _set_up(session, link_name, text, admin_state):
    def run():
        session.call(text, 'link', 'set', index=session.index(link_name), state=admin_state)
    return run


def _add_ingress_qdisc(session, name, text):
    def run():
        session.call(text, 'tc', 'add', kind='ingress', index=session.index(name),
                     handle=INGRESS_HANDLE)
    return run


def _delete_ingress_qdisc(session, name, text, kind='ingress'):
    """`kind`: the kernel deletes only a qdisc of the kind named (a clsact
    sits where an ingress qdisc does)."""
    def run():
        session.call(text, 'tc', 'del', kind=kind, index=session.index(name),
                     handle=INGRESS_HANDLE, parent=netem.TC_H_INGRESS)
    return run


def _add_filter(session, name, text):
    def run():
        session.call(text, 'tc', 'add-filter', kind='u32', index=session.index(name),
                     parent=INGRESS_HANDLE, prio=FILTER_PRIO, protocol=ETH_P_ALL,
                     # every packet (a zero mask); pyroute2's u32 needs a class
                     # id, which a redirect never uses
                     keys=['0x0/0x0+0'], target=0x10000,
                     action={'kind': 'mirred', 'direction': 'egress', 'action': 'redirect',
                             'ifindex': session.index(ifb_name(name))})
    return run


def _delete_filter(session, name, text):
    def run():
        session.call(text, 'tc', 'del-filter', kind='u32', index=session.index(name),
                     parent=INGRESS_HANDLE, prio=FILTER_PRIO, protocol=ETH_P_ALL)
    return run


def _delete_root(session, name, qdisc, text):
    def run():
        session.call(text, 'tc', 'del', index=session.index(name), handle=qdisc['handle'],
                     parent=netem.TC_H_ROOT)
    return run


def _then(*bodies):
    def run():
        for body in bodies:
            body()
    return run


# --- planning -------------------------------------------------------------------

class Impairment(object):
    """Plans the impairment of one interface: `want` maps each direction
    the task names to a canonical impairment (None: clear it)."""

    def __init__(self, run, netns, name, want, force=False):
        self.run = run
        self.plan = run.plan
        self.netns = netns
        self.name = name
        self.want = want
        self.force = force
        self.session = run.session(netns)
        self.label = '%s in %s' % (name, where(netns))

    def refuse_foreign(self, state):
        """Before any step: what is not ours stays; a foreign qdisc may be
        replaced when forced, a link of another is never taken."""
        wanted = [d for d, impairment in self.want.items() if impairment]
        if 'ingress' in wanted and state['ifb'] is not None and \
                not ifb_is_ours(state, self.name):
            raise EngineError(
                'direction ingress: %s exists in %s and is not the ifb of %s (its alias is '
                '%r); it is left alone. Rename or delete it.'
                % (state['ifb']['name'], where(self.netns), self.name, state['ifb']['alias']))
        if self.force:
            return
        if 'egress' in wanted and foreign_root(state['root']):
            raise EngineError(
                'direction egress: %s has a root qdisc this module did not make (%s); it is '
                'left alone. Remove it, or set force: true to replace it with the impairment.'
                % (self.label, describe_qdisc(state['root'])))
        if 'ingress' in wanted and state['ingress_qdisc'] is not None and (
                state['ingress_qdisc']['kind'] != 'ingress' or foreign_filters(state)):
            raise EngineError(
                'direction ingress: %s has an ingress qdisc (%s) with filters this module '
                'did not make; it is left alone. Remove it, or set force: true to replace it.'
                % (self.label, describe_qdisc(state['ingress_qdisc'])))

    def plan_all(self, state):
        link = dict(state['link'], netns=self.netns)
        if any(self.want.values()):
            self.run.guard.vet(Touch(link, IMPAIR, what=IMPAIR))
        self.refuse_foreign(state)
        if 'egress' in self.want:
            self.plan_egress(state, self.want['egress'])
        if 'ingress' in self.want:
            if self.want['ingress']:
                self.plan_ingress(state, self.want['ingress'])
            else:
                self.clear_ingress(state)

    # -- egress ------------------------------------------------------------------
    def plan_egress(self, state, want):
        root = state['root']
        have = impairment_of(state, 'egress', self.name)
        # a netem there is changed in place, under its own handle
        handle = root['handle'] if have else netem.ROOT_HANDLE
        undo_body = netem.setter(self.session, self.name, have or None,
                                 'restoring the impairment', handle=handle)
        if not want:
            if have:
                text = 'remove impairment (egress) from %s' % self.label
                self.plan.add(text, _delete_root(self.session, self.name, root, text), undo_body)
            return
        if have == netem.rounded(want):
            return
        if foreign_root(root):
            # deleted first: a replace could meet a qdisc of the foreign tree
            # under the handle it asks for
            text = 'delete the foreign root qdisc %s of %s (force)' % (
                describe_qdisc(root), self.label)
            self.plan.add(text, _delete_root(self.session, self.name, root, text))
        text = 'set impairment (egress) %s on %s' % (netem.describe(want), self.label)
        self.plan.add(text, netem.setter(self.session, self.name, want, text, handle=handle),
                      undo_body)

    # -- ingress -----------------------------------------------------------------
    def plan_ingress(self, state, want):
        ifb = ifb_name(self.name)
        label = '%s in %s' % (ifb, where(self.netns))
        created = False
        if state['ifb'] is None:
            text = 'create ifb %s for the ingress of %s' % (label, self.name)
            self.plan.add(text, _create_ifb(self.session, self.name, text),
                          _delete_link(self.session, ifb, text))
            created = True
        elif state['ifb']['admin_state'] != 'up':
            text = 'bring ifb %s up' % label
            self.plan.add(text, _set_up(self.session, ifb, text, 'up'),
                          _set_up(self.session, ifb, text, 'down'))
        # the redirect first, netem last: a kernel without sch_netem fails
        # at the last step, and the undo takes the rest away
        self.plan_redirect(state, created)
        root = None if created else state['ifb_root']
        have = {} if created else ifb_impairment(state)
        if have != netem.rounded(want):
            text = 'set impairment (ingress) %s on %s, through %s' % (
                netem.describe(want), self.label, ifb)
            handle = root['handle'] if have else netem.ROOT_HANDLE
            undo = undone_with_its_object if created else netem.setter(
                self.session, ifb, have or None, text, handle=handle)
            self.plan.add(text, netem.setter(self.session, ifb, want, text, handle=handle), undo)

    def plan_redirect(self, state, ifb_created):
        qdisc = state['ingress_qdisc']
        if qdisc is not None and (qdisc['kind'] != 'ingress' or foreign_filters(state)):
            text = 'delete the foreign ingress qdisc %s of %s (force)' % (
                describe_qdisc(qdisc), self.label)
            self.plan.add(text, _delete_ingress_qdisc(self.session, self.name, text,
                                                      kind=qdisc['kind']))
            qdisc = None
        if qdisc is None:
            text = 'add an ingress qdisc to %s' % self.label
            self.plan.add(text, _add_ingress_qdisc(self.session, self.name, text),
                          _delete_ingress_qdisc(self.session, self.name, text))
        if qdisc is None or ifb_created or not our_filter(state):
            text = 'redirect what %s receives to %s' % (self.label, ifb_name(self.name))
            self.plan.add(text, _add_filter(self.session, self.name, text),
                          undone_with_its_object if qdisc is None
                          else _delete_filter(self.session, self.name, text))

    def clear_ingress(self, state):
        if our_filter(state):
            text = 'stop redirecting what %s receives' % self.label
            restore = _add_filter(self.session, self.name, text)
            if not foreign_filters(state):
                # the qdisc holds nothing else: it goes with the filter
                self.plan.add(text + ' (and remove its ingress qdisc)',
                              _delete_ingress_qdisc(self.session, self.name, text),
                              _then(_add_ingress_qdisc(self.session, self.name, text), restore))
            else:
                self.plan.add(text, _delete_filter(self.session, self.name, text), restore)
        elif state['ingress_qdisc'] is not None and state['ingress_qdisc']['kind'] == 'ingress' \
                and not state['filters'] and ifb_is_ours(state, self.name):
            text = 'remove the empty ingress qdisc of %s' % self.label
            self.plan.add(text, _delete_ingress_qdisc(self.session, self.name, text),
                          _add_ingress_qdisc(self.session, self.name, text))
        if ifb_is_ours(state, self.name):
            ifb = ifb_name(self.name)
            text = 'delete ifb %s in %s (the ingress impairment of %s)' % (
                ifb, where(self.netns), self.name)
            have = ifb_impairment(state)
            self.plan.add(text, _delete_link(self.session, ifb, text),
                          _then(_create_ifb(self.session, self.name, text),
                                netem.setter(self.session, ifb, have, text)))


# --- views ------------------------------------------------------------------------

def view(state, name, directions=DIRECTIONS):
    """direction -> impairment in user units (None: none), as read."""
    if state is None:
        return dict((d, None) for d in directions)
    return dict((d, netem.user_view(impairment_of(state, d, name))) for d in directions)


def problems(state, name, want):
    """What differs from `want` after apply (empty: it took)."""
    found = []
    if state is None:
        return ['%s is missing after apply' % name]
    for direction, impairment in sorted(want.items()):
        have = impairment_of(state, direction, name)
        wanted = netem.rounded(impairment) if impairment else {}
        if have != wanted:
            found.append('%s %s: the kernel has %s, expected %s' % (
                name, direction, netem.describe(have) or 'none', netem.describe(wanted) or 'none'))
        if impairment and direction == 'ingress' and not ingress_complete(state, name):
            found.append('%s ingress: the redirect to %s is not in place' % (name, ifb_name(name)))
        if not impairment and direction == 'ingress' and ifb_is_ours(state, name):
            found.append('%s ingress: %s is still there' % (name, ifb_name(name)))
    return found


__all__ = ['Impairment', 'ifb_name', 'ifb_mark', 'read_interface', 'view',
           'problems', 'DIRECTIONS']
