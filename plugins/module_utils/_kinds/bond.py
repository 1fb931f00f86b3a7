# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bond rules and planning: which option fits which mode, what the kernel
can change while the bond is up or has ports, and the order ports are
enslaved in.

The rules follow the kernel's own table (drivers/net/bonding/bond_options.c:
unsuppmodes, BOND_OPTFLAG_IFDOWN, BOND_OPTFLAG_NOSLAVES), so input the
kernel would refuse half-way through a run is refused before anything
changes, with a message that names the mode.
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._netlink import nla as _nla
from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps, validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    EngineError,
    Wanted,
    carry_over,
    plan_delete,
    plan_link,
    predicted,
    public,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import AB_TLB_ALB, BOND
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import namespace_exists, where

DEFAULT_MODE = BOND.default_mode
SETTINGS = [option.name for option in BOND.options]

# The bond settings as module options: the bond module's argument spec (the
# kind spec's options and the two that name ports), and the types the
# topology checks a bond link's `options` against.
BOND_OPTIONS = dict(BOND.argument_spec(), primary=dict(type='str'),
                    active_port=dict(type='str'))

# Bond settings that are not kind options (they name ports) and the modes
# they are used in; the kind options' modes are in the spec.
NAMED_MODES = {'primary': AB_TLB_ALB, 'active_port': AB_TLB_ALB, 'ports[].prio': AB_TLB_ALB}
# the kernel changes these only while the bond is down (EBUSY otherwise)
NEEDS_DOWN = frozenset(['mode', 'lacp_rate', 'lacp_active', 'ad_select', 'tlb_dynamic_lb',
                        'ad_user_port_key'])
# ... and these only while it has no ports (ENOTEMPTY otherwise)
NEEDS_NO_PORTS = frozenset(['mode', 'fail_over_mac'])


def mode_misfits(mode, settings, ports=()):
    """Messages for each given setting that does not fit `mode`: the kind
    options (checked by the spec) and the settings that name ports."""
    problems = BOND.mode_misfits(mode, settings)
    named = dict((name, settings.get(name)) for name in ('primary', 'active_port'))
    if any(port.get('prio') is not None for port in ports):
        named['ports[].prio'] = True
    for name, value in sorted(named.items()):
        if value is not None and mode not in NAMED_MODES[name]:
            problems.append('%s is only used in mode %s, not in mode %s'
                            % (name, ' / '.join(NAMED_MODES[name]), mode))
    return problems


def check_settings(settings, current_miimon=None):
    """Ranges and the rules between settings (the spec's); returns cleaned
    settings."""
    clean = BOND.clean(settings)
    BOND.check_rules(clean, None if current_miimon is None else {'miimon': current_miimon})
    return clean


def carried_options(current, mode):
    """Settings of a bond being re-created in `mode` that still fit it."""
    kept = dict((name, value) for name, value in current.items()
                if not mode_misfits(mode, {name: value}))
    # the kernel reports 'none set' as the zero MAC but refuses to be sent it
    if kept.get('ad_actor_system') == '00:00:00:00:00:00':
        del kept['ad_actor_system']
    return kept


def check_ports(ports, bond_name):
    seen = set()
    for pos, port in enumerate(ports):
        field = 'ports[%d]' % pos
        validate.interface_name(port['name'], field + '.name')
        if port['name'] in seen:
            raise validate.InputError('%s.name: port %s is listed twice' % (field, port['name']))
        if port['name'] == bond_name:
            raise validate.InputError('%s.name: a bond cannot be its own port' % field)
        seen.add(port['name'])
        BOND.clean(port, lambda name, field=field: '%s.%s' % (field, name), port=True)


def blocked_by_ports(changed, port_names):
    """Text for changes the kernel refuses while the bond has ports."""
    blocked = sorted(set(changed) & NEEDS_NO_PORTS)
    if not blocked or not port_names:
        return None
    return ('%s cannot change while the bond has ports (%s): the kernel refuses it '
            '(ENOTEMPTY)' % (', '.join(blocked), ', '.join(sorted(port_names))))


def in_place_refusal(changed, port_names, admin_state):
    """Why the kernel would refuse these changes on the bond as it is
    (None: they can be made in place). A lab owns its bonds, so it
    re-creates one instead; the bond module asks for recreate: true."""
    blocked = blocked_by_ports(changed, port_names)
    if blocked:
        return blocked
    down = sorted(set(changed) & NEEDS_DOWN)
    if down and admin_state == 'up':
        return '%s cannot change while the bond is up: the kernel refuses it (EBUSY)' \
            % ', '.join(down)
    return None


def monitor_switch(settings, current):
    """MII and ARP monitoring exclude each other, and the kernel switches
    silently: starting one turns the other off (bond_options.c). A task
    that starts one while the bond runs the other, without saying what
    becomes of the other, is refused, so nothing is wiped without a word."""
    pairs = (('arp_interval', 'miimon', 'ARP', 'MII'), ('miimon', 'arp_interval', 'MII', 'ARP'))
    for start, other, started, running in pairs:
        if settings.get(start) and settings.get(other) is None and current.get(other):
            raise validate.InputError(
                '%s: the bond runs %s monitoring (%s=%d), and the kernel turns it off when '
                '%s monitoring starts; set %s: 0 to switch to %s monitoring, or leave %s out'
                % (start, running, other, current[other], started, other, started, start))


def kept_port_options(port_data, mode):
    """Port settings a port keeps when it joins a re-created bond in `mode`
    (the kernel's defaults, 0, are not sent; prio only where it is used)."""
    kept = dict((name, value) for name, value in BOND.current(port_data, port=True).items()
                if value)
    if mode not in AB_TLB_ALB:
        kept.pop('prio', None)
    return kept


# a port that joins a bond starts with these (IFLA_BOND_SLAVE_*)
PORT_DEFAULTS = {'IFLA_BOND_SLAVE_PRIO': 0, 'IFLA_BOND_SLAVE_QUEUE_ID': 0}


# --- planning (needs the kernel's state) ------------------------------------

class BondPlanner(object):
    """Plans one bond and its ports on a LinkRun."""

    def __init__(self, run, bond, settings, ports, now):
        _nla.register()  # attribute maps pyroute2 lacks (idempotent)
        self.run = run
        self.bond = bond
        self.settings = settings  # primary, active_port, recreate, purge_ports
        self.ports = ports
        self.now = now
        self.session = run.session(bond.netns)
        self.created = False
        self.port_plans = {}  # port name -> (Wanted, state the plan starts from)

    def enslaved(self):
        if self.now is None:
            return []
        return [link for link in self.session.links() if link['master'] == self.bond.name]

    def final_ports(self, enslaved):
        """The bond's ports after the run: the listed ones, and the ones it
        has unless purge_ports releases them."""
        names = [port['name'] for port in self.ports]
        if not self.settings['purge_ports']:
            names += [link['name'] for link in enslaved if link['name'] not in names]
        return names

    def check_named_ports(self, enslaved):
        """primary and active_port name a port: a name that is not (and will
        not be) a port is refused before anything changes (the kernel would
        clear the setting instead)."""
        ports = self.final_ports(enslaved)
        for option in ('primary', 'active_port'):
            want = self.settings.get(option)
            if want and want not in ports:
                raise validate.InputError(
                    '%s: %s is not a port of %s (%s); list it in ports or name one of them'
                    % (option, want, self.bond.name,
                       'its ports: ' + ', '.join(ports) if ports else 'it has no ports'))

    def plan(self):
        current = self.now
        enslaved = self.enslaved()
        self.check_named_ports(enslaved)
        changed = [o.name for o in BOND.differences(self.bond.options, current['data'])] \
            if current else []
        blocked = blocked_by_ports(changed, [link['name'] for link in enslaved])
        reenslave = []
        if blocked:
            if not self.settings['recreate']:
                raise EngineError(blocked + '. Set recreate: true to delete and re-create the '
                                  'bond (its ports are released and enslaved again; traffic '
                                  'stops meanwhile), or release the ports first.')
            self._plan_recreate_delete(current, enslaved, blocked)
            self._carry_over(current, self.final_ports(enslaved))
            listed = [port['name'] for port in self.ports]
            if not self.settings['purge_ports']:
                reenslave = [link for link in enslaved if link['name'] not in listed]
            current = None
        elif current is not None and set(changed) & NEEDS_DOWN and current['admin_state'] == 'up':
            current = self._plan_down(current, sorted(set(changed) & NEEDS_DOWN))
        self.created = plan_link(self.run.plan, self.session, self.bond, current, self.run.guard)
        self.run.expect(self.bond)
        recreated = self.created and self.now is not None
        for port in self.ports:
            self._plan_port(port['name'], port, recreated)
        for link in reenslave:
            self._plan_port(link['name'], {}, recreated)
        if self.settings['purge_ports'] and not self.created:
            self._plan_purge(enslaved)
        self._plan_named('primary', 'IFLA_BOND_PRIMARY', 'bond_primary')
        self._plan_named('active_port', 'IFLA_BOND_ACTIVE_SLAVE', 'bond_active_slave')

    def _plan_recreate_delete(self, current, enslaved, blocked):
        """Delete the bond for a re-create; its undo (_engine/restore.py)
        brings it back as it was, ports and port settings included.

        Why not build the new bond first under a temporary name and swap:
        a port belongs to one bond at a time, so the ports leave the old bond
        before they can join the new one whichever way; the old bond is
        emptied either way, and a rename would need the bond down (kernel
        6.1 refuses to rename a link that is up). Restoring from what was
        read covers every step that can fail, the enslaving of a port the
        kernel refuses included."""
        plan_delete(self.run.plan, self.session, current, self.run.guard,
                    reason='recreate: ' + blocked)

    def _carry_over(self, old, ports):
        """The new bond keeps the old one's settings that fit its mode."""
        carry_over(self.bond, old)
        current = BOND.current(old['data'])
        mode = self.bond.options.get('mode') or current.get('mode')
        kept = carried_options(current, mode)
        self.bond.options = dict(kept, **self.bond.options)
        primary = self.current_named('IFLA_BOND_PRIMARY')
        if self.settings.get('primary') is None and primary in ports and not mode_misfits(
                mode, {'primary': primary}):
            self.settings['primary'] = primary

    def _plan_down(self, current, reasons):
        self.run.guard.check(self.bond.netns, current, 'take down')
        label = self.bond.label
        session, name = self.session, self.bond.name
        self.run.plan.add('take %s down (the kernel changes %s only while it is down)'
                          % (label, ', '.join(reasons)),
                          lambda: _set(session, name, label, state='down'),
                          lambda: _set(session, name, label, state='up'))
        if self.bond.admin_state is None:
            self.bond.admin_state = 'up'  # back to how it was
        return dict(current, admin_state='down')

    def _plan_port(self, name, port, recreated):
        now = self.session.read(name) if namespace_exists(self.bond.netns) else None
        if now is None:
            self._missing_port(name)
        options = dict((key, port.get(key)) for key in ('queue_id', 'prio')
                       if port.get(key) is not None)
        if recreated and now is not None and now['master'] == self.bond.name:
            # a re-create is not a reset of the port settings made before
            options = dict(kept_port_options(now['port_data'], self.bond.options.get('mode')),
                           **options)
        wanted = Wanted(name, self.bond.netns, None, master=self.bond.name, admin_state='up',
                        port_options=options)
        state = now
        joining = now is not None and (recreated or now['master'] != self.bond.name)
        if joining:
            if now['admin_state'] == 'up':
                state = self._plan_port_down(wanted, now)
            if recreated:
                # the kernel released it with the old bond: its port settings went too
                state = dict(state, master='', port_kind=None, port_data={})
        plan_link(self.run.plan, self.session, wanted, state, self.run.guard,
                  master_spec=BOND, create=lambda *a: None)
        self.run.expect(wanted, master_spec=BOND)
        self.port_plans[name] = (wanted, state)

    def _plan_port_down(self, wanted, now):
        self.run.guard.check(self.bond.netns, now, 'take down')
        session, name, label = self.session, wanted.name, wanted.label
        self.run.plan.add('take %s down (a port must be down to be enslaved)' % label,
                          lambda: _set(session, name, label, state='down'),
                          lambda: _set(session, name, label, state='up'))
        return dict(now, admin_state='down')

    def _missing_port(self, name):
        elsewhere = self.run.locate(name, self.bond.netns)
        hint = (" It exists in %s: a bond port must be in the bond's namespace."
                % ', '.join(elsewhere)) if elsewhere else ''
        if self.run.module.check_mode:
            self.run.module.warn('ports: %s does not exist in %s yet; the prediction assumes '
                                 'an earlier task creates it.%s'
                                 % (name, where(self.bond.netns), hint))
            return
        raise EngineError('ports: %s does not exist in %s.%s'
                          % (name, where(self.bond.netns), hint))

    def _plan_purge(self, enslaved):
        listed = [port['name'] for port in self.ports]
        mode = BOND.current(self.now['data']).get('mode')
        session, bond = self.session, self.bond.name
        for link in enslaved:
            if link['name'] in listed:
                continue
            release = Wanted(link['name'], self.bond.netns, None, master='')
            self.run.guard.check(self.bond.netns, link, 'release')
            port = (link['name'], kept_port_options(link['port_data'], mode),
                    link['admin_state'])
            self.run.plan.add('release %s from %s' % (release.label, bond),
                              _master_setter(session, link['name'], release.label, ''),
                              lambda port=port: reattach(session, bond, *port))
            self.run.expect(release)

    def current_named(self, nla):
        """The port a bond setting names (primary, active port), or ''."""
        if self.now is None or self.created:
            return ''
        index = self.now['data'].get(nla)
        return (self.session.name_of(index) or '') if index else ''

    def _plan_named(self, option, nla, keyword):
        """primary / active_port name a port: sent as its ifindex after the
        ports are enslaved (the kernel reports them only for its ports)."""
        want = self.settings.get(option)
        have = self.current_named(nla)
        if want is None or have == want:
            return
        session, bond, label = self.session, self.bond.name, self.bond.label

        def setter(name):
            def apply():
                index = session.index(name) if name else 0
                session.call('changing %s' % label, 'link', 'set', index=session.index(bond),
                             kind='bond', **{keyword: index})
            return apply
        # a fresh bond goes with the undo of its creation
        self.run.plan.add('set %s=%s on %s' % (option, want or '(none)', label), setter(want),
                          None if self.created or self.now is None else setter(have))

        def check():
            state = session.read(bond)
            index = state['data'].get(nla) if state else None
            have = (session.name_of(index) or '') if index else ''
            if have != want:
                return ['%s: %s is %r in the kernel, expected %r' % (label, option, have, want)]
            return []
        self.run.checks.append(check)

    # views -------------------------------------------------------------
    def view(self, state):
        result = public(state, BOND)
        if result:
            result['primary'] = self._name_in(state, 'IFLA_BOND_PRIMARY')
            result['active_port'] = self._name_in(state, 'IFLA_BOND_ACTIVE_SLAVE')
        return result

    def _name_in(self, state, nla):
        index = state['data'].get(nla)
        return (self.session.name_of(index) or '') if index else ''

    def predicted_view(self):
        base = None if self.created else self.now
        result = predicted(self.bond, base)
        result['primary'] = self.settings.get('primary') \
            if self.settings.get('primary') is not None else self.current_named('IFLA_BOND_PRIMARY')
        result['active_port'] = self.settings.get('active_port') \
            if self.settings.get('active_port') is not None \
            else self.current_named('IFLA_BOND_ACTIVE_SLAVE')
        return result

    def port_views(self, names):
        views = []
        for name in names:
            state = self.session.read(name)
            if state is not None:
                views.append(public(state, None, BOND))
        return views

    def predicted_port_views(self, names, bond_mtu):
        """The listed ports as the run leaves them: what they keep (MTU aside:
        a port takes its bond's), with the master and port settings planned."""
        views = []
        for name in names:
            wanted, state = self.port_plans.get(name, (None, None))
            if state is None:  # check mode: an earlier task creates it
                views.append({'name': name, 'master': self.bond.name})
                continue
            if state.get('port_kind') != 'bond':
                state = dict(state, port_kind='bond', port_data=dict(PORT_DEFAULTS))
            if bond_mtu is not None:
                state = dict(state, mtu=bond_mtu)
            views.append(predicted(wanted, state, BOND))
        return views


def _set(session, name, label, state):
    link_steps.set_link(session, name, 'changing %s' % label, admin_state=state)


def _master_setter(session, name, label, master):
    return link_steps.attach_step(session, name, 'setting master of %s' % label, master)


def reattach(session, bond, name, port_options, admin_state):
    """Put a port back into its bond as it was: the kernel takes only ports
    that are down, and drops a port's settings when it leaves."""
    label = 'link %s in %s' % (name, where(session.netns))
    _set(session, name, label, state='down')
    _master_setter(session, name, label, bond)()
    if port_options:
        link_steps.port_settings(session, name, 'changing port settings of %s' % label, BOND,
                                 port_options)
    _set(session, name, label, state=admin_state)
