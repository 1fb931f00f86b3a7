# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan -> apply -> verify -> undo for links.

The planner compares what the user wants with what the kernel reports and
emits an ordered list of steps. Check mode stops after planning (the step
texts are the prediction); a real run applies the steps, undoing the ones it
already made if a later one fails, then re-reads the kernel and fails if
anything did not take. The same `differences` function drives planning and
verification, so "planned" and "verified" cannot drift apart.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps
from ansible_collections.vnet.linux.plugins.module_utils._engine.errors import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._engine.guard import (
    DELETE,
    ENSLAVE,
    Touch,
    dying_with,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.restore import (
    Removal,
    rebuildable,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    namespace_exists,
    where,
)

VERIFY_TRIES = 5
# threads for a run of parallel steps: removing a namespace is mostly a
# wait in the kernel (the unmount), which a few threads overlap (300
# namespaces: 0.17-0.28 s one by one, 0.065 s from 8 threads)
PARALLEL_STEPS = 8

# common link attributes (option name, request keyword)
LINK_ATTRS = link_steps.COMMON
# what a link can be created with; the alias is set after creation
CREATE_ATTRS = tuple(option for option, _kw in link_steps.CREATE_KEYWORDS)


def a_kind(kind):
    """A link kind as messages name it: 'a veth', 'an ipvlan'; the kernel
    reports no kind for physical interfaces and lo: 'a device without kind'."""
    if not kind:
        return 'a device without kind'
    return ('an ' if kind[0] in 'aeiou' else 'a ') + kind


def other_kind(name, netns, state, kind):
    """The refusal of a name taken by a link of another kind."""
    return EngineError('%s in %s exists but is %s, not %s; it is left alone. Delete it or '
                       'choose another name.' % (name, where(netns), a_kind(state['kind']),
                                                 a_kind(kind)))


class Step(object):
    def __init__(self, text, do, undo=None, parallel=False):
        self.text = text
        self.do = do
        self.undo = undo
        self.parallel = parallel   # may run at the same time as its parallel neighbours


def undone_with_its_object():
    """The undo of a step that changes an object this plan creates (a sysctl
    of a new namespace or of a new link): the undo of that creation, which
    runs later, takes the change with it."""


class Plan(object):
    """An ordered list of steps with the undo of each."""

    def __init__(self):
        self.steps = []
        self.warnings = []
        self.applied = []

    def add(self, text, do, undo=None, parallel=False):
        """`parallel`: the step is independent of the parallel steps next to
        it (no order between them, none reads what another changes), so a
        run of them is applied from a few threads."""
        self.steps.append(Step(text, do, undo, parallel))

    @property
    def actions(self):
        return [step.text for step in self.steps]

    def apply(self):
        """Run the steps in order; if one fails, undo the ones already made
        (newest first) and fail naming the step and what was undone."""
        self.applied = []
        for batch in self._batches():
            if len(batch) > 1:
                self._apply_parallel(batch)
                continue
            step = batch[0]
            try:
                step.do()
            except (NetlinkFailure, EngineError, OSError) as err:
                raise self.rolled_back('step "%s" failed: %s' % (step.text, err))
            self.applied.append(step)

    def _batches(self):
        """The steps in order, each alone or with the parallel steps it
        sits among."""
        batch = []
        for step in self.steps:
            if batch and not (step.parallel and batch[-1].parallel):
                yield batch
                batch = []
            batch.append(step)
        if batch:
            yield batch

    def _apply_parallel(self, batch):
        """Run every step of the batch (a failure does not stop the others,
        which are already under way); then, if any failed, undo as apply()
        does and name each failed step."""
        with ThreadPoolExecutor(max_workers=min(PARALLEL_STEPS, len(batch))) as pool:
            running = [(step, pool.submit(step.do)) for step in batch]
        failed = []
        for step, future in running:
            err = future.exception()
            if err is None:
                self.applied.append(step)
            elif isinstance(err, (NetlinkFailure, EngineError, OSError)):
                failed.append('step "%s" failed: %s' % (step.text, err))
            else:
                raise err
        if failed:
            raise self.rolled_back('; '.join(failed))

    def rolled_back(self, msg):
        """Undo what apply() made and return the failure to raise. Its
        `changed` says whether the kernel changed (any step ran: even when
        all was undone, re-created objects are new ones)."""
        undone, not_undone = self.undo_applied()
        if undone:
            msg += '; undone: %s' % '; '.join(undone)
        elif not not_undone:
            msg += '; nothing to undo (no earlier step had run)'
        if not_undone:
            msg += '; could not undo: %s' % '; '.join(not_undone)
        failure = EngineError(msg)
        failure.changed = bool(undone or not_undone)
        return failure

    def undo_applied(self):
        undone, not_undone = [], []
        for previous in reversed(getattr(self, 'applied', [])):
            if previous.undo is None:
                not_undone.append(previous.text)
                continue
            try:
                previous.undo()
                undone.append(previous.text)
            except (NetlinkFailure, EngineError, OSError) as undo_err:
                not_undone.append('%s (%s)' % (previous.text, undo_err))
        self.applied = []
        return undone, not_undone


class Wanted(object):
    """What the user asked for one link; None means "leave as it is"."""

    def __init__(self, name, netns, spec, attrs=None, options=None,
                 addresses=None, purge_addresses=False, admin_state=None,
                 master=None, port_options=None, create_args=None):
        self.name = name
        self.netns = netns
        self.spec = spec
        self.attrs = dict((k, v) for k, v in (attrs or {}).items() if v is not None)
        self.options = dict((k, v) for k, v in (options or {}).items() if v is not None)
        self.addresses = addresses
        self.purge_addresses = purge_addresses
        self.admin_state = admin_state
        self.master = master
        self.port_options = dict((k, v) for k, v in (port_options or {}).items()
                                 if v is not None)
        self.create_args = create_args or {}

    @property
    def label(self):
        return '%s %s in %s' % (self.spec.kind if self.spec else 'link', self.name,
                                where(self.netns))


def differences(wanted, state, master_spec=None):
    """field -> (have, want) for everything wanted that the kernel lacks."""
    diff = {}
    for option, _kw in LINK_ATTRS:
        want = wanted.attrs.get(option)
        if want is not None and state.get(option) != want:
            diff[option] = (state.get(option), want)
    if wanted.spec is not None:
        # what the kernel has, in user units as the spec reads it (a GRE
        # key is two attributes)
        have = wanted.spec.current(state['data'])
        for option in wanted.spec.differences(wanted.options, state['data']):
            diff[option.name] = (have.get(option.name), wanted.options[option.name])
    if wanted.master is not None and state['master'] != wanted.master:
        diff['master'] = (state['master'], wanted.master)
    if master_spec is not None and wanted.port_options:
        for option in master_spec.differences(wanted.port_options, state['port_data'],
                                              port=True):
            diff['port.' + option.name] = (
                option.from_kernel(state['port_data'].get(option.nla)),
                wanted.port_options[option.name])
    if wanted.addresses is not None:
        missing = [a for a in wanted.addresses if a not in state['addresses']]
        extra = [a for a in state['addresses'] if a not in wanted.addresses] \
            if wanted.purge_addresses else []
        if missing or extra:
            diff['addresses'] = (state['addresses'], _merged_addresses(wanted, state))
    if wanted.admin_state is not None and state['admin_state'] != wanted.admin_state:
        diff['admin_state'] = (state['admin_state'], wanted.admin_state)
    return diff


def _merged_addresses(wanted, state):
    if wanted.addresses is None:
        return list(state['addresses'])
    kept = [a for a in state['addresses']
            if a in wanted.addresses or not wanted.purge_addresses]
    return kept + [a for a in wanted.addresses if a not in kept]


def predicted(wanted, state, master_spec=None):
    """The public view a real run would leave behind."""
    base = dict(state) if state else {
        'name': wanted.name, 'netns': wanted.netns,
        'kind': wanted.spec.kind if wanted.spec else None,
        'admin_state': 'down', 'mtu': None, 'mac_address': None,
        'txqueuelen': None, 'alias': '', 'master': '', 'addresses': [],
        'data': {}, 'port_data': {}, 'port_kind': None,
    }
    after = public(base, wanted.spec, master_spec)
    after.update(wanted.attrs)
    after['options'] = dict(after.get('options', {}), **wanted.options)
    if wanted.master is not None:
        after['master'] = wanted.master
    if wanted.admin_state is not None:
        after['admin_state'] = wanted.admin_state
    after['addresses'] = _merged_addresses(wanted, base)
    if master_spec is not None and wanted.port_options:
        after['port_options'] = dict(after.get('port_options', {}), **wanted.port_options)
    return after


def public(state, spec=None, master_spec=None):
    """The user-facing view of a link (RETURN values and diffs)."""
    if state is None:
        return {}
    view = dict((key, state.get(key)) for key in (
        'name', 'netns', 'kind', 'admin_state', 'mtu', 'mac_address',
        'txqueuelen', 'alias', 'master', 'addresses'))
    view['options'] = spec.current(state.get('data', {})) if spec else {}
    if master_spec is not None and state.get('port_kind') == master_spec.kind:
        view['port_options'] = master_spec.current(state['port_data'], port=True)
    return view


def plan_link(plan, session, wanted, state, guard, master_spec=None, create=None):
    """Add the steps that converge one link; `create` makes it when absent.

    Returns True when the link is (re)created by the plan.
    """
    needs_create = state is None
    if state is not None and wanted.spec is not None and state['kind'] != wanted.spec.kind:
        raise other_kind(wanted.name, wanted.netns, state, wanted.spec.kind)
    if state is not None and wanted.spec is not None:
        # options marked recreate, or a change the spec's recreate_when names
        reason = wanted.spec.recreate_reason(wanted.options, state['data'])
        if reason:
            # a re-create is not a reset: what the user left open keeps the
            # old link's values, kind options included
            carry_over(wanted, state)
            wanted.options = dict(wanted.spec.current(state['data']), **wanted.options)
            plan_delete(plan, session, state, guard, reason=reason)
            needs_create = True
    if needs_create:
        (create or _default_create)(plan, session, wanted)
        state = None
    _plan_attributes(plan, session, wanted, state, guard, master_spec)
    return needs_create


def _default_create(plan, session, wanted):
    text = 'create %s' % wanted.label
    if wanted.options:
        # named in the step, so a kernel refusal says which option it was
        text += ' with %s' % _describe(wanted.options)
    plan.add(text,
             lambda: link_steps.create_link(session, wanted.name, wanted.spec, text,
                                            wanted.options, wanted.attrs,
                                            extra=wanted.create_args),
             lambda: delete_link(session, wanted.name))


def delete_link(session, name):
    link_steps.delete_link(session, name)


def plan_delete(plan, session, state, guard, reason=None):
    """Delete a link. What the kernel deletes with it is named in the step
    and vetted by the guard: its veth peer goes as the other end of the
    pair the task names (the lock-out guard still applies to it); links
    stacked on it only when named or allowed (allow_collateral)."""
    view = dict(state, netns=session.netns)
    found = dying_with(guard.host, links=[(session.netns, state['index'])])
    guard.vet(Touch(view, DELETE))
    deleted = (session.netns, state['index'])
    collateral = guard.vet_collateral(
        found, names_partner=lambda partner: (partner['netns'], partner['index']) == deleted)
    text = 'delete %s %s in %s' % (state['kind'] or 'link', state['name'], where(session.netns))
    if reason:
        text += ' (%s)' % reason
    text += collateral
    if not rebuildable(state):
        plan.add(text, lambda: delete_link(session, state['name']))
        return found
    # a later step that fails brings the link back (see _engine/restore.py)
    removal = Removal(session, state['name'])
    plan.add(text, lambda: removal.delete(lambda: delete_link(session, state['name'])),
             removal.restore)
    return found


def _plan_attributes(plan, session, wanted, state, guard, master_spec):
    """In-place changes, in the order the kernel needs them."""
    fresh = state is None
    current = state or {'mtu': None, 'mac_address': None, 'txqueuelen': None,
                        'alias': '', 'master': '', 'addresses': [],
                        'admin_state': 'down', 'data': {}, 'port_data': {}}
    name, label = wanted.name, wanted.label
    what = 'changing %s' % label
    if fresh and wanted.attrs.get('alias'):
        plan.add('set alias=%s on %s' % (wanted.attrs['alias'], label),
                 link_steps.set_link_step(session, name, what, alias=wanted.attrs['alias']),
                 undone_with_its_object)
    if not fresh:
        diff = differences(wanted, state)
        link_changes = dict((o, wanted.attrs[o]) for o, _kw in LINK_ATTRS if o in diff)
        if link_changes:
            old = dict((o, state[o]) for o in link_changes)
            plan.add('set %s on %s' % (_describe(link_changes), label),
                     link_steps.set_link_step(session, name, what, **link_changes),
                     link_steps.set_link_step(session, name, what, **old))
        option_changes = dict((o.name, wanted.options[o.name]) for o in (
            wanted.spec.differences(wanted.options, state['data']) if wanted.spec else []))
        if option_changes:
            plan.add('set %s on %s' % (_describe(option_changes), label),
                     *link_steps.change_options(session, name, what, wanted.spec,
                                                option_changes, state['data']))
    if wanted.master is not None and current['master'] != wanted.master:
        _plan_master(plan, session, wanted, state, guard)
    if master_spec is not None and wanted.port_options:
        changes = wanted.port_options if fresh or current['master'] != wanted.master else \
            dict((o.name, wanted.port_options[o.name]) for o in master_spec.differences(
                wanted.port_options, current['port_data'], port=True))
        if changes:
            old = master_spec.current(current['port_data'], port=True)
            old = dict((k, old[k]) for k in changes if k in old)
            port_what = 'changing port settings of %s' % label
            plan.add('set port %s on %s' % (_describe(changes), label),
                     link_steps.port_settings_step(session, name, port_what, master_spec,
                                                   changes),
                     link_steps.port_settings_step(session, name, port_what, master_spec, old)
                     # none old: the port joins this master now, and leaving
                     # it again (the undo of the attach) drops the settings
                     if old else undone_with_its_object)
    if wanted.addresses is not None:
        link_steps.address_steps(plan.add, session, name, label, wanted.addresses,
                                 current['addresses'], purge=wanted.purge_addresses,
                                 guard=guard, state=state)
    if wanted.admin_state is not None and current['admin_state'] != wanted.admin_state:
        if wanted.admin_state == 'down':
            guard.check(session.netns, state, 'take down')
        plan.add('bring %s %s' % (label, wanted.admin_state),
                 link_steps.set_link_step(session, name, what, admin_state=wanted.admin_state),
                 link_steps.set_link_step(session, name, what,
                                          admin_state=current['admin_state']))


# The kinds whose drivers take ports (ndo_add_slave). The kernel refuses any
# other master with EOPNOTSUPP, which would read as a missing kernel module.
MASTER_KINDS = ('bridge', 'bond', 'team', 'vrf', 'batadv')


def check_master_kind(session, wanted):
    """Refuse, while planning, a master that exists but cannot take ports.
    (In check mode the namespace may be one an earlier task makes.)"""
    if session.netns is not None and not namespace_exists(session.netns):
        return
    master = session.read(wanted.master)
    if master is not None and master['kind'] not in MASTER_KINDS:
        raise EngineError('master of %s: %s is %s, which cannot take ports (only a '
                          'bridge, a bond, a team or a vrf can); nothing was changed'
                          % (wanted.label, wanted.master, a_kind(master['kind'])))


def _plan_master(plan, session, wanted, state, guard):
    label = wanted.label
    old_master = state['master'] if state else ''
    if wanted.master:
        check_master_kind(session, wanted)
        if state is not None:
            guard.vet(Touch(dict(state, netns=session.netns), ENSLAVE, master=wanted.master))
        text = 'attach %s to %s' % (label, wanted.master)
    else:
        text = 'release %s from %s' % (label, old_master)
    what = 'setting master of %s' % label
    # the undo puts the admin state back too: a bond opens its ports when it
    # takes them and closes them when it lets them go
    plan.add(text, link_steps.attach_step(session, wanted.name, what, wanted.master),
             link_steps.attach_step(session, wanted.name, what, old_master,
                                    admin_state=state['admin_state'] if state else None))


def _describe(changes):
    return link_steps.describe(changes)


def link_check(label, read, wanted, master_spec=None):
    """A verification of one link: returns the list of what did not take."""
    def check():
        state = read()
        if state is None:
            return ['%s is missing after apply' % label]
        return ['%s: %s is %r in the kernel, expected %r' % (label, field, have, want)
                for field, (have, want) in sorted(
                    differences(wanted, state, master_spec).items())]
    return check


def verify(checks):
    """Re-read the kernel until every check passes (bounded), else fail.

    Each check is a callable returning a list of problems (empty: fine).
    """
    problems = []
    for attempt in range(VERIFY_TRIES):
        problems = [problem for check in checks for problem in check()]
        if not problems:
            return
        time.sleep(0.05 * (attempt + 1))
    raise EngineError('verification after apply failed (the kernel did not take '
                      'the change; is the option supported by this kernel?): '
                      + '; '.join(problems))


def carry_over(wanted, state):
    """Before a re-create: what the user left unspecified keeps the value the
    old link had, so that a re-create (the engine's business) is not a reset
    of settings made by earlier runs. Kind options are the caller's job (only
    it knows which still fit)."""
    for option in ('mtu', 'txqueuelen'):
        if option not in wanted.attrs and state.get(option) is not None:
            wanted.attrs[option] = state[option]
    if 'alias' not in wanted.attrs and state.get('alias'):
        wanted.attrs['alias'] = state['alias']
    if wanted.addresses is None and state.get('addresses'):
        wanted.addresses = list(state['addresses'])
    if wanted.admin_state is None:
        wanted.admin_state = state['admin_state']
    if wanted.master is None and state.get('master'):
        wanted.master = state['master']
