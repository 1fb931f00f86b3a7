# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every link module shares: its options, input checks, and one run.

Modules declare their own options, merge them with LINK_OPTIONS through
link_argument_spec(), and drive a LinkRun: read -> plan -> (check mode
stops here) -> apply -> verify -> report.
"""

from __future__ import annotations

import copy

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.lock import (
    DEFAULT_TIMEOUT,
    HostLocks,
    LockTimeout,
    netns_key,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.guard import Guard
from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import no_mac_text
from ansible_collections.vnet.linux.plugins.module_utils._netlink import nla
from ansible_collections.vnet.linux.plugins.module_utils._netlink.fast import SessionPool
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import (
    external_paths,
    use_command_runner,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    EngineError,
    Plan,
    Wanted,
    link_check,
    plan_delete,
    plan_link,
    predicted,
    public,
    verify,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.requirement import require_pyroute2
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    list_namespaces,
    namespace_exists,
    where,
)

IFALIASZ = 256

# Attributes every end of a link can have (also a veth's peer).
END_OPTIONS = dict(
    netns=dict(type='str'),
    admin_state=dict(type='str', choices=['up', 'down']),
    mtu=dict(type='int'),
    mac_address=dict(type='str'),
    txqueuelen=dict(type='int'),
    alias=dict(type='str'),
    master=dict(type='str'),
    addresses=dict(type='list', elements='str'),
    purge_addresses=dict(type='bool', default=False),
)

LINK_OPTIONS = dict(
    END_OPTIONS,
    name=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    allow_disruptive=dict(type='bool', default=False),
    allow_port_takeover=dict(type='bool', default=False),
)

# Options of every module that changes the kernel (doc fragment vnet.linux.safety).
SAFETY_OPTIONS = dict(
    allow_collateral=dict(type='bool', default=False),
    lock_timeout=dict(type='int', default=DEFAULT_TIMEOUT),
)


def link_argument_spec(*kind_specs, **extra):
    """The common link options merged with a module's own (one place):
    argument specs made by kind specs (KindSpec.argument_spec()), then
    options given by name."""
    spec = copy.deepcopy(LINK_OPTIONS)
    for kind_spec in kind_specs:
        spec.update(copy.deepcopy(kind_spec))
    spec.update(copy.deepcopy(SAFETY_OPTIONS))
    spec.update(extra)
    return spec


def check_end(params, field, max_mtu=65535):
    """Validate the common attributes of one link end; returns clean values."""
    prefix = field + '.' if field else ''
    clean = {
        'name': validate.own_link_name(params['name'], prefix + 'name'),
        'netns': validate.optional_namespace(params.get('netns'), prefix + 'netns'),
    }
    if params.get('mtu') is not None:
        validate.int_range(params['mtu'], prefix + 'mtu', 68, max_mtu)
    if params.get('txqueuelen') is not None:
        validate.int_range(params['txqueuelen'], prefix + 'txqueuelen', 0, 2 ** 32 - 1)
    if params.get('mac_address') is not None:
        clean['mac_address'] = validate.mac_address(params['mac_address'],
                                                    prefix + 'mac_address')
    if params.get('alias') is not None and len(params['alias'].encode('utf-8')) >= IFALIASZ:
        raise validate.InputError('%salias: at most %d bytes' % (prefix, IFALIASZ - 1))
    master = params.get('master')
    if master:
        validate.interface_name(master, prefix + 'master')
    clean['addresses'] = validate.cidrs(params['addresses'], prefix + 'addresses') \
        if params.get('addresses') is not None else None
    return clean


def wanted_end(params, spec, field='', options=None, port_options=None, master_spec=None):
    """A Wanted for one link end from validated module parameters."""
    clean = check_end(params, field, getattr(spec, 'max_mtu', 65535))
    attrs = {
        'mtu': params.get('mtu'),
        'mac_address': clean.get('mac_address'),
        'txqueuelen': params.get('txqueuelen'),
        'alias': params.get('alias'),
    }
    return Wanted(clean['name'], clean['netns'], spec, attrs=attrs, options=options,
                  addresses=clean['addresses'],
                  purge_addresses=params.get('purge_addresses', False),
                  admin_state=params.get('admin_state'), master=params.get('master'),
                  port_options=port_options)


class LinkRun(object):
    """One module run: sessions, guard, plan, and the result it reports."""

    def __init__(self, module):
        self.module = module
        require_pyroute2(module)
        use_command_runner(module.run_command)  # container:NAME asks a runtime's CLI
        self.sessions = SessionPool(cache_indexes=False)
        self.plan = Plan()
        params = module.params
        self.guard = Guard(self.sessions.get,
                           allow_disruptive=params.get('allow_disruptive', False),
                           allow_collateral=params.get('allow_collateral', False),
                           allow_port_takeover=params.get('allow_port_takeover', False))
        self.checks = []

    def fail(self, msg, **kwargs):
        self.close()
        self.module.fail_json(msg=msg, **kwargs)

    def close(self):
        self.guard.close()
        self.sessions.close()

    def session(self, netns):
        return self.sessions.get(netns)

    def namespace_ready(self, netns, field):
        """True if the namespace exists. In check mode a missing one is
        assumed to be made by an earlier task (warn); a real run fails."""
        if namespace_exists(netns):
            return True
        if self.module.check_mode:
            self.module.warn('%s: namespace %r does not exist yet; the prediction '
                             'assumes an earlier task creates it' % (field, netns))
            return False
        raise EngineError('%s: namespace %r does not exist; create it first with '
                          'vnet.linux.netns' % (field, netns))

    def read(self, netns, name, field):
        if not self.namespace_ready(netns, field):
            return None
        return self.session(netns).read(name)

    def locate(self, name, skip):
        """Namespaces (other than `skip`) that have a link with this name."""
        found = []
        for netns in [None] + list_namespaces() + external_paths():
            if netns == skip:
                continue
            try:
                if self.session(netns).get_msg(name=name) is not None:
                    found.append(where(netns))
            except (NetlinkFailure, OSError):
                continue  # removed meanwhile, or not yet a namespace (being made)
        return found

    def expect(self, wanted, master_spec=None):
        """Verify this link after apply."""
        session = self.session(wanted.netns)
        self.checks.append(link_check(wanted.label, lambda: session.read(wanted.name),
                                      wanted, master_spec))

    def finish(self, before, after, reread):
        """Check mode: report the plan and the predicted state. Otherwise
        apply, verify, and report what the kernel reads back.

        before/after are the public views ({'link': ..., ...}); reread()
        reads them again from the kernel after apply.
        """
        result = {'changed': bool(self.plan.steps), 'actions': self.plan.actions}
        if not self.plan.steps:
            after = before
        elif not self.module.check_mode:
            self.plan.apply()
            try:
                verify(self.checks)
            except EngineError as err:
                # what did not take is undone with the rest: no half change
                raise self.plan.rolled_back(str(err))
            after = reread()
        if self.module._diff:
            result['diff'] = {'before': before, 'after': after}
        result.update(after)
        self.close()
        self.module.exit_json(**result)

    def run(self, body, namespaces=None):
        """Run the module body under the host locks of the namespaces it
        touches (by default every netns/link_netns the parameters name, the
        root namespace where one is left out), turning our errors into clean
        failures."""
        params = self.module.params
        locks = HostLocks({'task': '%s %s' % (self.module._name, params.get('name') or '')},
                          timeout=params.get('lock_timeout') or DEFAULT_TIMEOUT)
        try:
            resolve_namespaces(params)
            if namespaces is None:
                namespaces = named_namespaces(params)
            with locks:
                locks.acquire(netns_key(netns) for netns in namespaces)
                body(self)
        except validate.InputError as err:
            self.fail(str(err))
        except (EngineError, NetlinkFailure, LockTimeout) as err:
            self.fail(str(err), changed=getattr(err, 'changed', False))


NAMESPACE_KEYS = ('netns', 'link_netns')
# how each option spells the module's own namespace: link_netns "" (None
# there means "the link's own namespace")
ROOT_SPELLING = {'netns': None, 'link_netns': ''}


def resolve_namespaces(params, field=''):
    """Replace every namespace reference in the parameters (pid:, path:,
    container:, nested options included) by its canonical value, once,
    before locks are keyed and anything is read: the rest of the run sees
    names and paths only (validate.namespace_reference)."""
    if isinstance(params, list):
        for pos, value in enumerate(params):
            resolve_namespaces(value, '%s[%d]' % (field, pos))
        return
    if not isinstance(params, dict):
        return
    prefix = field + '.' if field else ''
    for key, value in params.items():
        if key in NAMESPACE_KEYS and isinstance(value, str) and value:
            resolved = validate.namespace_reference(value, prefix + key)
            params[key] = ROOT_SPELLING[key] if resolved is None else resolved
        else:
            resolve_namespaces(value, prefix + key)


def named_namespaces(params):
    """Every namespace the parameters name (None: the root namespace, also
    where a netns option is left out), nested options included."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key in NAMESPACE_KEYS:
                if key in node:
                    found.add(node[key] or None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(params)
    return found or set([None])


def converge_device(run, spec):
    """The whole run of a module whose kind is one device with no peer,
    parent or ports (layout 'device' in the kind specs, like dummy): its
    options come from the spec and are checked by it, against the kernel's
    state; the engine plans, applies and verifies the rest."""
    nla.register()  # attribute maps pyroute2 lacks or gets wrong (idempotent)
    params = run.module.params
    probe = wanted_end(params, spec)
    now = run.read(probe.netns, probe.name, 'netns')
    if now is not None and now['kind'] != spec.netlink_kind:
        raise EngineError('%s exists but is a %s, not a %s; it is left alone. Delete it or '
                          'choose another name.'
                          % (probe.label, now['kind'] or 'device without kind', spec.kind))
    before = {'link': public(now, spec)}
    if params['state'] == 'absent':
        if now is not None:
            plan_delete(run.plan, run.session(probe.netns), now, run.guard)
        run.finish(before, {'link': {}}, lambda: {'link': {}})
        return
    given = dict((name, params.get(name)) for name in spec.options_by_name)
    options = spec.check(given, current=spec.current(now['data']) if now else {})
    if spec.no_mac and params.get('mac_address') is not None:
        raise validate.InputError(no_mac_text('mac_address', spec.kind))
    problem = spec.identity_problem(options, parent=False) if now is None else None
    if problem:
        raise validate.InputError(problem)
    wanted = wanted_end(params, spec, options=options)
    created = plan_link(run.plan, run.session(wanted.netns), wanted, now, run.guard)
    run.expect(wanted)
    after = {'link': predicted(wanted, None if created else now)}
    run.finish(before, after,
               lambda: {'link': public(run.session(wanted.netns).read(wanted.name), spec)})


def run_device_module(spec):
    """The whole of a module of a plain device kind (dummy, geneve): the
    common link options and the kind's own, converged by converge_device."""
    module = StrictModule(argument_spec=link_argument_spec(spec.argument_spec()),
                          supports_check_mode=True)
    LinkRun(module).run(lambda run: converge_device(run, spec))


__all__ = ['LinkRun', 'converge_device', 'run_device_module', 'link_argument_spec', 'wanted_end',
           'check_end', 'public', 'predicted', 'END_OPTIONS', 'LINK_OPTIONS']
