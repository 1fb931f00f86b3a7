# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology module's run: read -> plan -> (check mode stops) -> apply
-> verify -> report, and the facts module's read.

The parts it runs:
  _lab/model.py        the description: argument spec, input checks, the Lab
  _netlink/fast.py     one socket per namespace, whole-namespace reads
  _lab/plan.py         the planner (phases, structured report), composing the
                       per-link steps of _engine/link_steps.py
  _engine/plan.py      apply, undo, verify (the Plan every module runs)
  _lab/facts.py        kernel readings -> the same description structure
  _lab/persist.py      persist: the lab stored on the host, a unit that
                       builds it again at boot
"""

from __future__ import annotations

import os
import resource
import time

from ansible_collections.vnet.linux.plugins.module_utils._netlink import nla as _nla
from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink import tapdev
from ansible_collections.vnet.linux.plugins.module_utils._engine.guard import (
    dying_with,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.lock import (
    DEFAULT_TIMEOUT,
    HostLocks,
    LockTimeout,
    lab_key,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import EngineError, Plan
from ansible_collections.vnet.linux.plugins.module_utils._netlink.requirement import require_pyroute2
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.generate import expanded
from ansible_collections.vnet.linux.plugins.module_utils._lab import persist, publish, spread
from ansible_collections.vnet.linux.plugins.module_utils._lab import vm as vm_nodes
from ansible_collections.vnet.linux.plugins.module_utils._lab.facts import (
    flat_view,
    lab_scope,
    read_host,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.fast import (
    SessionPool,
    list_namespaces,
    read_namespace,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import (
    namespace_exists,
    process_namespaces,
    use_command_runner,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import (
    TOPOLOGY_SPEC,
    InputError,
    build,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.teamd import Daemon
from ansible_collections.vnet.linux.plugins.module_utils._lab.plan import (
    Planner,
    lab_guard,
    team_steps,
)


class Timer(object):
    """Wall-clock time of each stage, returned so benchmarks can separate
    the module's own work from Ansible's."""

    def __init__(self):
        self.start = time.perf_counter()
        self.last = self.start
        self.stages = {}

    def mark(self, stage):
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 4)
        self.last = now

    def report(self):
        stages = dict(self.stages)
        stages['total'] = round(time.perf_counter() - self.start, 4)
        process = process_seconds()
        if process is not None:
            # since the module's process started: Python, Ansible's wrapper,
            # imports and argument checks included (10 ms resolution)
            stages['process'] = process
        return stages


def process_seconds():
    try:
        with open('/proc/self/stat') as handle:
            # field 22 (starttime, in clock ticks since boot) follows the
            # command name, which is in parentheses and may hold spaces
            started = int(handle.read().rsplit(')', 1)[1].split()[19])
        with open('/proc/uptime') as handle:
            uptime = float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return round(uptime - started / float(os.sysconf('SC_CLK_TCK')), 2)


def peak_memory_mb():
    # ru_maxrss is in kilobytes on Linux
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def read_lab(kernel, lab, all_routes=False):
    """netns -> reading (None: the namespace does not exist yet) for every
    node, plus, with prune, every namespace holding marked objects. Routes
    are read where the plan compares them (a node with routes, prune) or
    with all_routes (the diff shows them)."""
    existing = set(list_namespaces())
    impaired = _impaired_nodes(lab)
    current = {}
    for node in lab.nodes.values():
        if node.netns is not None and node.netns not in existing and \
                not (node.netns.startswith('/') and namespace_exists(node.netns)):
            current[node.netns] = None
            continue
        keys = [(key, path) for key, (path, _v) in node.sysctls.items()]
        current[node.netns] = read_namespace(kernel, node.netns, keys,
                                             routes=all_routes or lab.prune or bool(node.routes),
                                             qdiscs=node.name in impaired or lab.prune)
    if lab.prune:
        for netns, reading in marked_elsewhere(kernel, lab, existing, current):
            current[netns] = reading
    return current


def _impaired_nodes(lab):
    return set(i.node for i in lab.ifaces.values() if i.impairment)


def marked_elsewhere(kernel, lab, existing, skip, addresses=True):
    """(netns, reading) of namespaces outside `skip` that are the lab's or
    hold links marked with the lab's name (the root namespace included).
    Addresses are read only when asked (prune and diffs need them)."""
    others = [n for n in sorted(existing) if n not in skip]
    found = []
    for netns in ([None] if None not in skip else []) + others:
        # routes die with the namespace or the marked links they use
        try:
            reading = read_namespace(kernel, netns, routes=False, addresses=addresses)
        except (NetlinkFailure, OSError):
            if netns is None:
                raise
            kernel.drop(netns)
            continue  # vanished while reading
        owned = netns is not None and reading['mark'] == lab.mark
        if owned or any(v['alias'] == lab.mark for v in reading['links'].values()):
            found.append((netns, reading))
        else:
            kernel.drop(netns)
    return found


def plan_absent(kernel, lab, options=None, addresses=False):
    """Delete marked links outside the lab's namespaces first (their peers
    inside go with them), then remove the lab's namespaces: the kernel frees
    every link inside. What goes with them outside the lab (a veth peer in
    another namespace, a link stacked on a lab link) is collateral: named in
    the step and vetted by the guard."""
    # the namespaces that nodes name by netns (containers', mostly outside
    # /run/netns), and those of running processes where the lab's links are
    # (its container nodes, not given again): only the lab's links are
    # deleted there, never the namespace
    external = set(node.netns for node in lab.nodes.values() if node.netns is not None)
    external |= set(process_namespaces(external))
    existing = set(list_namespaces()) | external
    found = marked_elsewhere(kernel, lab, existing, {}, addresses=addresses)
    guard = lab_guard(kernel, lab, dict(found), options)
    plan = Plan()
    removed = []
    for node_name, text, stop in vm_nodes.absent_steps(lab.name):
        # a VM goes before its macvtap does
        plan.add(text, stop)
        removed.append({'type': 'vm', 'name': node_name})
    namespaces = [netns for netns, reading in found
                  if netns is not None and netns not in external and reading['mark'] == lab.mark]
    outside = _collateral_by_namespace(guard, namespaces)
    deleted_links = []
    for netns, reading in found:
        owned = netns in namespaces
        for name, view in sorted(reading['links'].items()):
            if view['alias'] != lab.mark or name == 'lo':
                continue
            if view['kind'] == 'team':
                # teamd outlives a namespace removal: stop it first
                steps = _team_stopper(kernel, netns, name)
                plan.add('stop teamd for %s in %s' % (name, _where(netns)), steps.stop,
                         steps.undo_stop)
                continue
            if owned:
                continue  # goes with its namespace
            label = '%s %s in %s' % (view['kind'] or 'link', name, _where(netns))
            label += _vetted_collateral(guard, links=[(netns, view['index'])])
            deleted_links.append((netns, view['index']))
            plan.add('delete %s' % label, _deleter(kernel, netns, name, label))
            _remove_tap_node(plan, netns, view)
            removed.append({'type': 'link', 'kind': view['kind'], 'node': netns, 'name': name})
    for netns in namespaces:
        text = 'remove namespace %s' % netns
        text += _vetted(guard, outside.get(netns, []), skip=deleted_links)
        # each namespace goes on its own: removed from a few threads
        plan.add(text, _namespace_remover(kernel, netns), parallel=True)
        removed.append({'type': 'node', 'name': netns})
    return plan, removed, found


def _collateral_by_namespace(guard, namespaces):
    """netns -> [(view, cause)]: what dies outside the lab's namespaces with
    each of them. Found in one pass over the host for all of them: links in
    namespaces this plan removes die with their own namespace anyway, and a
    pass per namespace costs N² at a thousand namespaces."""
    found = dying_with(guard.host, namespaces=namespaces)
    died = dict(((view['netns'], view['index']), view) for view, _cause in found)
    gone = set(namespaces)
    result = {}
    for view, cause in found:
        target = view['died_with']
        while target[0] not in gone:  # stacked on a link that dies with one of them
            target = died[target]['died_with']
        result.setdefault(target[0], []).append((view, cause))
    return result


def _vetted_collateral(guard, links=(), namespaces=(), skip=()):
    return _vetted(guard, dying_with(guard.host, links=links, namespaces=namespaces), skip)


def _vetted(guard, found, skip=()):
    # a veth peer goes as the other end of a pair the lab owns (marked);
    # unmarked pairs and stacked links are foreign
    return guard.vet_collateral([(view, cause) for view, cause in found
                                 if (view['netns'], view['index']) not in skip])


def _where(netns):
    return 'namespace %s' % netns if netns else 'the root namespace'


def _remove_tap_node(plan, netns, view):
    """A macvtap/ipvtap's device node goes with its link."""
    path = tapdev.node_path(netns, view['name'])
    if view['kind'] in ('macvtap', 'ipvtap') and tapdev.node_state(path) is not None:
        plan.add('remove device node %s' % path, lambda: tapdev.remove_node(path))


def _team_stopper(kernel, netns, name):
    """The steps of a team the lab removes: stop() stops its teamd, deletes
    the device and removes the daemon's files and empty directories;
    undo_stop() brings the team back if a later removal fails."""
    return team_steps(kernel, kernel.session(netns), Daemon(kernel.module, netns, name))


def _deleter(kernel, netns, name, label):
    session = kernel.session(netns)

    def run():
        try:
            session.raw('deleting %s' % label, rtnl.delete_link, session.index(name))
            kernel.forget_indexes()
        except NetlinkFailure as err:
            # the peer of a link deleted just before is gone with it
            session.forget_indexes()
            try:
                session.index(name)
            except NetlinkFailure:
                return
            raise err
    return run


def _namespace_remover(kernel, netns):
    def run():
        kernel.drop(netns)
        kernel.namespaces.remove(netns)
        tapdev.remove_namespace_nodes(netns)  # the device nodes of its taps
    return run


# report=auto lists every step up to this many; past it, a summary
FULL_REPORT_STEPS = 1000


def result_of(module, plan, report):
    """'changed' is Ansible's flag, so the structured lists (added, changed,
    recreated, removed) are returned under 'plan'. `summary` counts them.
    The lists travel back to the controller as JSON and Ansible handles
    every element: for a lab of a thousand nodes that was about 0.9 MB and
    seconds of the controller's time, so past FULL_REPORT_STEPS steps they
    are sent only when asked (report=full), in check mode, in diff mode or
    with -v."""
    summary = dict((key, len(value)) for key, value in report.items())
    summary['steps'] = len(plan.steps)
    result = {'changed': bool(plan.steps), 'summary': summary}
    if _full_report(module, len(plan.steps)):
        result.update(actions=plan.actions, plan=report)
    return result


def _full_report(module, steps):
    wanted = module.params.get('report') or 'auto'
    if wanted != 'auto':
        return wanted == 'full'
    return steps <= FULL_REPORT_STEPS or module.check_mode or module._diff or \
        module._verbosity >= 1


def converge(module, kernel, lab, timer):
    current = read_lab(kernel, lab, all_routes=module._diff)
    timer.mark('read')
    planner = Planner(lab, current, kernel, guard=lab_guard(kernel, lab, current, module.params))
    plan = planner.build()
    timer.mark('plan')
    result = result_of(module, plan, planner.report.as_dict())
    if module._diff:
        result['diff'] = {'before': flat_view(lab_scope(kernel, lab, current)),
                          'after': flat_view(planned_view(kernel, lab, current))}
    if plan.steps and not module.check_mode:
        plan.apply()
        timer.mark('apply')
        if module.params['verify']:
            try:
                verify(kernel, lab, module.params)
            except EngineError as err:
                raise plan.rolled_back(str(err))
            timer.mark('verify')
    for warning in plan.warnings:
        module.warn(warning)
    return result


def planned_view(kernel, lab, current):
    """What the lab looks like after the run (for diff mode): the
    description, with what it leaves open filled in from the kernel."""
    from ansible_collections.vnet.linux.plugins.module_utils._lab.facts import desired_scope
    return desired_scope(lab, lab_scope(kernel, lab, current))


def verify(kernel, lab, options=None):
    """Read the lab again and plan once more: anything still to do means
    the kernel did not take a change."""
    for session_netns in list(kernel._sessions):
        kernel.session(session_netns).forget_indexes()
    current = read_lab(kernel, lab)
    again = Planner(lab, current, kernel, guard=lab_guard(kernel, lab, current, options)).build()
    if again.steps:
        raise EngineError('verification after apply failed (the kernel did not take '
                          'every change): still to do: ' + '; '.join(again.actions))


def remove_lab(module, kernel, lab, timer):
    plan, removed, found = plan_absent(kernel, lab, module.params, addresses=module._diff)
    timer.mark('read')
    result = result_of(module, plan, {'added': [], 'changed': [], 'recreated': [],
                                      'removed': removed})
    if module._diff:
        result['diff'] = {'before': flat_view(lab_scope(kernel, lab, dict(found))),
                          'after': {}}
    if plan.steps and not module.check_mode:
        plan.apply()
        timer.mark('apply')
        removed_netns = [r['name'] for r in removed if r['type'] == 'node']
        leftovers = [n for n in list_namespaces() if n in removed_netns]
        if leftovers:
            raise EngineError('namespaces still present after removal: %s'
                              % ', '.join(leftovers))
    return result


def store(module, stored, result, timer):
    """persist's part, after the lab is built (or removed): its steps
    under `persist`, its files in the diff (a list, after the lab's)."""
    result['persist'] = stored.report()
    if not result['persist']['actions']:
        return
    result['changed'] = True
    if module._diff:
        result['diff'] = ([result['diff']] if 'diff' in result else []) + stored.diffs()
    if module.check_mode:
        return
    try:
        stored.apply()
    except persist.PersistError as err:
        failure = EngineError('%s (the lab itself is built)' % err)
        failure.changed = True
        raise failure
    timer.mark('persist')


def build_lab(params):
    """The Lab this host builds: the preset generated (`generate`), then
    this host's share of a lab spread over hosts (`spread`), then the
    model. An error in a share names the field of the user's description."""
    description = expanded(params, TOPOLOGY_SPEC)
    try:
        share, origin = spread.share_with_origin(description)
    except spread.SpreadError as err:
        raise InputError(str(err))
    try:
        return build(share)
    except InputError as err:
        if not origin:
            raise
        raise InputError(spread.user_fields(str(err), origin))


def run_topology(module):
    """The whole module run; everything it reports goes through exit_json."""
    require_pyroute2(module)
    _nla.register()  # attribute maps pyroute2 lacks (idempotent)
    use_command_runner(module.run_command)  # nodes given by container:NAME
    timer = Timer()
    locks = HostLocks({'task': 'vnet.linux.topology lab %s' % module.params.get('lab')},
                      timeout=module.params.get('lock_timeout') or DEFAULT_TIMEOUT)
    try:
        lab = build_lab(module.params)
        for message, version in lab.deprecations:
            module.deprecate(message, version=version, collection_name='vnet.linux')
        for message in lab.warnings:
            module.warn(message)
        host = persist.Host(module.run_command)
        if module.params['persist'] and lab.state == 'present':
            persist.refuse_without_systemd(host)
        timer.mark('validate')
        with locks, SessionPool() as kernel:
            # two runs of one lab would plan from the same reading: one waits
            locks.acquire([lab_key(lab.name)])
            timer.mark('lock')
            # read under the lock (another run may be writing them), before
            # any change (a lab that cannot be stored is refused first)
            stored = persist.planned(host, lab, module.params)
            kernel.module = module  # teamd runs its binaries through the module
            if lab.state == 'absent':
                result = remove_lab(module, kernel, lab, timer)
            else:
                result = converge(module, kernel, lab, timer)
            store(module, stored, result, timer)
    except InputError as err:
        module.fail_json(msg=str(err))
    except (EngineError, NetlinkFailure, OSError, LockTimeout) as err:
        module.fail_json(msg=str(err), changed=getattr(err, 'changed', False))
    result['timing'] = timer.report()
    result['peak_memory_mb'] = peak_memory_mb()
    module.exit_json(**result)


def run_info(module):
    require_pyroute2(module)
    _nla.register()
    timer = Timer()
    try:
        with SessionPool() as kernel:
            kernel.module = module  # teamd's configuration is read through it
            facts = read_host(kernel, module.params.get('lab'))
        result = dict(facts, changed=False)
        result.update(vm_nodes.facts(module.params.get('lab'), facts))
        if module.params.get('export'):
            # the lab read back, written as a script and networkd files
            result.update(publish.run(module, facts))
    except (InputError, EngineError, NetlinkFailure, OSError) as err:
        module.fail_json(msg=str(err))
    result['timing'] = timer.report()
    module.exit_json(**result)


__all__ = ['run_topology', 'run_info', 'TOPOLOGY_SPEC']
