# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run of a module whose kind is a master with ports (layout 'ports' in
the kind specs) whose ports have no settings and join while up, like a VRF.

Ports are named by the task, so they are the task's to enslave (the guard
still refuses to take a port from another master without
allow_port_takeover, and protects the host's own links); they must exist in
the master's namespace. Other ports the master has are kept unless
purge_ports releases them; deleting the master releases its ports and never
deletes them, as the bond module does. A change the kernel makes only by
re-creating the master (an option the spec marks recreate) deletes it and
creates it again with what it had, then enslaves its ports again; if a
later step fails, the undo of the delete (_engine/restore.py) brings the
old master back with its ports.
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps, validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import wanted_end
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    EngineError,
    Wanted,
    carry_over,
    other_kind,
    plan_delete,
    plan_link,
    predicted,
    public,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    namespace_exists,
    where,
)


def check_port_names(names, master):
    """Port names: valid, each once, not the master itself."""
    seen = []
    for pos, name in enumerate(names or []):
        field = 'ports[%d]' % pos
        validate.interface_name(name, field)
        if name in seen:
            raise validate.InputError('%s: %s is listed twice' % (field, name))
        if name == master:
            raise validate.InputError('%s: %s cannot be a port of itself' % (field, name))
        seen.append(name)
    return seen


class MasterRun(object):
    """Plans one master and its ports on a LinkRun."""

    def __init__(self, run, spec):
        self.run = run
        self.spec = spec
        self.params = run.module.params
        probe = wanted_end(self.params, spec)
        self.netns, self.name = probe.netns, probe.name
        self.now = run.read(probe.netns, probe.name, 'netns')
        if self.now is not None and self.now['kind'] != spec.netlink_kind:
            raise other_kind(probe.name, probe.netns, self.now, spec.kind)
        self.session = run.session(self.netns)
        self.wanted = None
        self.created = False

    def enslaved(self):
        """Names of the master's ports now."""
        if self.now is None:
            return []
        return [link['name'] for link in self.session.links() if link['master'] == self.name]

    def converge(self):
        if self.params['state'] == 'absent':
            self.absent()
            return
        listed = check_port_names(self.params['ports'], self.name)
        given = dict((name, self.params.get(name)) for name in self.spec.options_by_name)
        current = self.spec.current(self.now['data']) if self.now else {}
        options = self.spec.check(given, current=current)
        self.wanted = wanted_end(self.params, self.spec, options=options)
        enslaved = self.enslaved()
        ports = self.plan_master(listed, enslaved)
        names = list(listed)
        if not self.params['purge_ports']:
            names += [name for name in enslaved if name not in names]
        before = {'link': public(self.now, self.spec), 'ports': enslaved}
        after = {'link': predicted(self.wanted, None if self.created else self.now),
                 'ports': names}
        for name in ports:
            self.plan_port(name)
        if self.params['purge_ports'] and not self.created:
            for name in enslaved:
                if name not in listed:
                    self.plan_release(name)

        def reread():
            state = self.session.read(self.name)
            return {'link': public(state, self.spec),
                    'ports': [link['name'] for link in self.session.links()
                              if state is not None and link['master'] == self.name]}
        self.run.finish(before, after, reread)

    def plan_master(self, listed, enslaved):
        """The master's own steps; returns the ports to (re-)enslave."""
        state = self.now
        reason = self.spec.recreate_reason(self.wanted.options, state['data']) if state else None
        ports = list(listed)
        if reason:
            # what the task leaves open keeps the old master's values
            carry_over(self.wanted, state)
            self.wanted.options = dict(self.spec.current(state['data']), **self.wanted.options)
            plan_delete(self.run.plan, self.session, state, self.run.guard,
                        reason=reason + ': the kernel refuses it')
            if not self.params['purge_ports']:
                ports += [name for name in enslaved if name not in listed]
            state = None
        self.created = plan_link(self.run.plan, self.session, self.wanted, state, self.run.guard)
        self.run.expect(self.wanted)
        return ports

    def plan_port(self, name):
        now = self.session.read(name) if namespace_exists(self.netns) else None
        if now is None:
            self.missing_port(name)
        elif self.created and now['master'] == self.name:
            # deleting the old master released it
            now = dict(now, master='', port_kind=None, port_data={})
        port = Wanted(name, self.netns, None, master=self.name)
        start = len(self.run.plan.steps)
        plan_link(self.run.plan, self.session, port, now, self.run.guard,
                  create=lambda *args: None)
        self.keep_addresses(port, now, start)
        self.run.expect(port)

    def plan_release(self, name):
        now = self.session.read(name)
        port = Wanted(name, self.netns, None, master='')
        self.run.guard.check(self.netns, now, 'release')
        start = len(self.run.plan.steps)
        plan_link(self.run.plan, self.session, port, now, self.run.guard)
        self.keep_addresses(port, now, start)
        self.run.expect(port)

    def keep_addresses(self, port, now, start):
        """A master that cycles a port it takes or releases (a VRF) costs
        the port its IPv6 addresses: a step after its attach (or release)
        puts them back, and the undo of the attach does the same (the put
        back is a step of its own, so that if it fails, the attach is
        undone)."""
        lost = link_steps.ipv6_addresses(now['addresses']) if now else []
        if not (self.spec.cycles_ports and lost) or len(self.run.plan.steps) == start:
            return
        what = 'restoring the IPv6 addresses of %s' % port.label
        for step in self.run.plan.steps[start:]:
            step.undo = link_steps.keeping_addresses(self.session, port.name, what, lost,
                                                     step.undo)
        self.run.plan.add(
            'put back the IPv6 addresses %s of %s (the kernel drops them when a %s cycles '
            'a port)' % (', '.join(lost), port.label, self.spec.kind),
            lambda: link_steps.put_back_addresses(self.session, port.name, what, lost),
            _put_back_by_the_undo_before)

    def missing_port(self, name):
        elsewhere = self.run.locate(name, self.netns)
        hint = (" It exists in %s: a port must be in the %s's namespace."
                % (', '.join(elsewhere), self.spec.kind)) if elsewhere else ''
        if self.run.module.check_mode:
            self.run.module.warn('ports: %s does not exist in %s yet; the prediction assumes '
                                 'an earlier task creates it.%s' % (name, where(self.netns), hint))
            return
        raise EngineError('ports: %s does not exist in %s.%s' % (name, where(self.netns), hint))

    def absent(self):
        before = {'link': public(self.now, self.spec), 'ports': self.enslaved()}
        if self.now is not None:
            plan_delete(self.run.plan, self.session, self.now, self.run.guard)
        gone = {'link': {}, 'ports': []}
        self.run.finish(before, gone, lambda: dict(gone))


def _put_back_by_the_undo_before():
    """The undo of a put back: none needed, the undo of the attach or
    release before it puts the addresses back too."""


def converge_master(run, spec):
    MasterRun(run, spec).converge()
