# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runs of the run-time modules: impairment and link_state.

Both go the engine's way (LinkRun: host locks, guard, plan, check mode
stops after planning, apply with undo, verify, report); what is theirs is
the reading and planning of qdiscs (impair.py) and of a link's admin state.
"""

from __future__ import annotations

import time

from ansible_collections.vnet.linux.plugins.module_utils._engine import impair, link_steps, validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.errors import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._engine.guard import TAKE_DOWN
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    SAFETY_OPTIONS,
    LinkRun,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._lab import status
from ansible_collections.vnet.linux.plugins.module_utils._netlink import netem
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    namespace_exists,
    where,
)

# --- impairment ------------------------------------------------------------------

IMPAIRMENT_SPEC = dict(
    netem.OPTION_SPEC,
    name=dict(type='str'),
    netns=dict(type='str'),
    lab=dict(type='str'),
    direction=dict(type='str', default='egress', choices=['egress', 'ingress', 'both']),
    state=dict(type='str', default='present', choices=['present', 'absent', 'query']),
    force=dict(type='bool', default=False),
    allow_disruptive=dict(type='bool', default=False),
    lock_timeout=SAFETY_OPTIONS['lock_timeout'],
)


def impairment_input(params):
    """Checked input: (netns, name, direction -> canonical impairment or
    None), refused with the option's name before anything is read."""
    netns = validate.optional_namespace(params.get('netns'), 'netns')
    if params.get('lab') is not None:
        raise validate.InputError('lab: only with state: query')
    if not params.get('name'):
        raise validate.InputError('name: required (the interface to impair)')
    name = validate.interface_name(params['name'], 'name')
    given = dict((key, params.get(key)) for key in netem.SETTINGS
                 if params.get(key) not in (None, ''))
    if params['state'] == 'absent':
        if given:
            raise validate.InputError('%s: a setting means nothing with state: absent, which '
                                      'clears the impairment' % sorted(given)[0])
        impairment = None
    else:
        impairment = netem.parse(params, '')
        if not impairment:
            raise validate.InputError('state: present needs at least one setting (delay, loss, '
                                      'rate, ...); state: absent clears the impairment')
    directions = impair.DIRECTIONS if params['direction'] == 'both' else (params['direction'],)
    return netns, name, dict((d, impairment) for d in directions)


def _assumed_state(name):
    """The reading assumed for an interface of a namespace an earlier task
    makes (check mode only): there, with the kernel's defaults."""
    return {'link': {'name': name, 'index': 0, 'kind': None, 'alias': '', 'master': '',
                     'admin_state': 'up'},
            'root': None, 'ingress_qdisc': None, 'filters': [], 'ifb': None, 'ifb_root': None}


def converge_impairment(run):
    params = run.module.params
    if params['state'] == 'query':
        return query(run)
    netns, name, want = impairment_input(params)
    session = run.session(netns)
    if run.namespace_ready(netns, 'netns'):
        state = impair.read_interface(session, name)
        if state is None:
            raise EngineError('name: %s does not exist in %s' % (name, where(netns)))
    else:
        state = _assumed_state(name)
    impair.Impairment(run, netns, name, want, force=params['force']).plan_all(state)
    before = {'impairment': impair.view(state, name)}
    after = {'impairment': dict(before['impairment'], **dict(
        (d, netem.user_view(netem.rounded(i)) if i else None) for d, i in want.items()))}
    run.checks.append(lambda: impair.problems(impair.read_interface(session, name), name, want))
    identity = {'name': name, 'netns': netns, 'ifb': impair.ifb_name(name)}
    before.update(identity)
    after.update(identity)
    run.finish(before, after, lambda: dict(
        identity, impairment=impair.view(impair.read_interface(session, name), name)))


def query(run):
    """state: query: every interface of a namespace or a lab, with its
    impairments and link state; changes nothing."""
    params = run.module.params
    names = [params['name']] if params.get('name') else None
    if params.get('lab') is not None:
        namespaces, marks = status.lab_namespaces(run.sessions.get, params['lab'])
    else:
        netns = validate.optional_namespace(params.get('netns'), 'netns')
        if netns is not None and not namespace_exists(netns):
            raise EngineError('netns: namespace %r does not exist' % netns)
        namespaces, marks = [netns], None
    rows = status.read(run.sessions.get, namespaces, names=names, marks=marks)
    run.close()
    run.module.exit_json(changed=False, interfaces=rows, table=status.table(rows))


def run_impairment_module():
    module = StrictModule(argument_spec=IMPAIRMENT_SPEC, supports_check_mode=True,
                          mutually_exclusive=[('lab', 'netns')])
    LinkRun(module).run(converge_impairment)


# --- link_state ------------------------------------------------------------------

LINK_STATE_SPEC = dict(
    name=dict(type='str', required=True),
    netns=dict(type='str'),
    state=dict(type='str', required=True, choices=['up', 'down', 'flap']),
    count=dict(type='int', default=1),
    down_time=dict(type='float', default=1.0),
    up_time=dict(type='float', default=1.0),
    allow_disruptive=dict(type='bool', default=False),
    lock_timeout=SAFETY_OPTIONS['lock_timeout'],
)
MAX_FLAPS = 1000
MAX_WAIT = 3600.0


def _seconds(value, field):
    if not 0 <= value <= MAX_WAIT:
        raise validate.InputError('%s: %r seconds is out of range (0 to %d)'
                                  % (field, value, MAX_WAIT))
    return value


def _admin_step(session, name, admin_state, text, wait=0):
    def run():
        link_steps.set_link(session, name, text, admin_state=admin_state)
        if wait:
            time.sleep(wait)
    return run


def converge_link_state(run):
    params = run.module.params
    netns = validate.optional_namespace(params.get('netns'), 'netns')
    name = validate.interface_name(params['name'], 'name')
    wanted = params['state']
    if wanted == 'flap':
        validate.int_range(params['count'], 'count', 1, MAX_FLAPS)
        _seconds(params['down_time'], 'down_time')
        _seconds(params['up_time'], 'up_time')
    session = run.session(netns)
    if run.namespace_ready(netns, 'netns'):
        now = session.read(name)
        if now is None:
            raise EngineError('name: %s does not exist in %s' % (name, where(netns)))
    else:
        now = {'name': name, 'index': 0, 'kind': None, 'admin_state': 'up',
               'oper_state': 'unknown', 'alias': '', 'master': ''}
    label = '%s in %s' % (name, where(netns))
    if wanted in ('down', 'flap'):
        run.guard.check(netns, now, TAKE_DOWN)
    end = 'up' if wanted == 'flap' else wanted
    if wanted == 'flap':
        if now['admin_state'] != 'up':
            raise EngineError('state: flap takes %s down and back up, but it is down; bring '
                              'it up first (state: up)' % label)
        plan_flaps(run.plan, session, name, label, params['count'], params['down_time'],
                   params['up_time'])
    elif now['admin_state'] != wanted:
        text = 'bring %s %s' % (label, wanted)
        run.plan.add(text, _admin_step(session, name, wanted, text),
                     _admin_step(session, name, now['admin_state'], text))
    run.checks.append(lambda: _admin_problems(session, name, end))
    identity = {'name': name, 'netns': netns}
    before = dict(identity, admin_state=now['admin_state'])
    after = dict(identity, admin_state=end)
    run.finish(before, after, lambda: dict(identity, admin_state=_read_admin(session, name)))


def plan_flaps(plan, session, name, label, count, down_time, up_time):
    """count times: down, wait down_time, up (then up_time before the next
    one, so peers see each flap). Each step's undo brings the link up."""
    for flap in range(1, count + 1):
        what = '%s (flap %d of %d)' % (label, flap, count)
        down = 'take %s down for %ss' % (what, _num(down_time))
        up_wait = up_time if flap < count else 0
        up = 'bring %s up' % what + (' for %ss' % _num(up_wait) if up_wait else '')
        plan.add(down, _admin_step(session, name, 'down', down, wait=down_time),
                 _admin_step(session, name, 'up', down))
        plan.add(up, _admin_step(session, name, 'up', up, wait=up_wait),
                 _admin_step(session, name, 'up', up))


def _num(value):
    return ('%.3f' % value).rstrip('0').rstrip('.')


def _read_admin(session, name):
    link = session.read(name)
    return link['admin_state'] if link else None


def _admin_problems(session, name, want):
    have = _read_admin(session, name)
    return [] if have == want else ['%s is %s in the kernel, expected %s' % (name, have, want)]


def run_link_state_module():
    module = StrictModule(argument_spec=LINK_STATE_SPEC, supports_check_mode=True)
    LinkRun(module).run(converge_link_state)


__all__ = ['run_impairment_module', 'run_link_state_module', 'impairment_input']
