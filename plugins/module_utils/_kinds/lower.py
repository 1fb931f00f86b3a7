# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Links stacked on a parent (lower) device: macvlan, macvtap, ipvlan, ipvtap,
vlan; and tunnels, whose underlay device is optional (their spec's
`parent`): a tunnel's socket lives in the namespace it is created in (its
underlay namespace), so a tunnel without a device is created there all the
same and placed into its own namespace.

The link is created in the parent's namespace and placed into its own
namespace in the same request (IFLA_NET_NS_FD), which is the only way to
have a macvlan in a namespace whose parent lives elsewhere (the lab case:
the parent on the host or in host1, the macvlan inside node1). The kernel
keeps the parent fixed for the life of the link, so another parent (or
parent namespace) re-creates it; settings the kernel changes in place are
changed in place.

A re-create never loses the old link:
- another parent: the new link is built first under a temporary name (down,
  so that the rename works on kernels before 6.2, which refuse to rename a
  link that is up with EBUSY), then the old one is deleted and the new one
  renamed; a refused create leaves the old link untouched.
- a switch to or from passthru on the same parent: the kernel refuses a
  second macvlan on a passthru parent and a passthru macvlan beside any
  other, so the old link must go first. Its delete step's undo
  (_engine/restore.py, through plan_delete) builds it again as it was, and
  then its tap device node with the old owner, group and mode.
The rules the kernel applies to a parent are checked before anything
changes, against the kernel's current state (`parent_rules`,
`check_takeover`), the same way for the modules and the topology.
"""

from __future__ import annotations

import zlib

from ansible_collections.vnet.linux.plugins.module_utils._netlink import nla as _nla
from ansible_collections.vnet.linux.plugins.module_utils._netlink import tapdev
from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps, validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    CREATE_ATTRS,
    attribute_options,
    EngineError,
    carry_over,
    delete_link,
    other_kind,
    plan_delete,
    plan_link,
    predicted,
    public,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
    wanted_end,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    MACVLAN_KINDS,
    no_mac_text,
    spec_of,
    tunnel_port,
    underlay_by_socket,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.sockets import udp_ports
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    namespace_exists,
    where,
)

PARENT_OPTIONS = dict(
    link=dict(type='str'),
    link_netns=dict(type='str'),
)
# a tunnel with no underlay device, only an underlay namespace (geneve)
UNDERLAY_OPTIONS = dict(link_netns=PARENT_OPTIONS['link_netns'])
TAP_OPTIONS = dict(
    device_owner=dict(type='str'),
    device_group=dict(type='str'),
    device_mode=dict(type='str'),
)
# link_netns: "" names the root namespace (omitted means the link's own
# namespace, and "" is never a namespace name, so it cannot clash)
ROOT_NETNS = ''
TAP_KINDS = ('macvtap', 'ipvtap')


class Parent(object):
    """The lower device: its name, namespace, and kernel state (or None).
    A tunnel without an underlay device has name None: only its underlay
    namespace."""

    def __init__(self, name, netns, state):
        self.name = name
        self.netns = netns
        self.state = state

    @property
    def label(self):
        if self.name is None:
            return 'underlay %s' % where(self.netns)
        return '%s in %s' % (self.name, where(self.netns))

    def placement(self, own_netns):
        """How a create step names where the link sits ('' for a tunnel
        made in its own namespace with no device)."""
        if self.name is None and self.netns == own_netns:
            return ''
        return ' on %s' % self.label


def parent_netns(value, field, default):
    """The namespace named for a parent: omitted, `default` (the link's own);
    "" the root namespace; otherwise a namespace name or reference
    (validate.namespace_reference)."""
    if value is None:
        return default
    if value == ROOT_NETNS:
        return None
    return validate.namespace_reference(value, field)


def parent_of(run, wanted):
    """Read the parent named by `link`/`link_netns` (default: the link's own
    namespace). Check mode predicts with a warning when an earlier task
    would create it; a real run fails clearly. A tunnel without `link` has
    only its underlay namespace (`link_netns`)."""
    params = run.module.params
    netns = parent_netns(params.get('link_netns'), 'link_netns', wanted.netns)
    if not params.get('link'):
        if wanted.spec.parent == 'required':
            raise validate.InputError('link: required with state=present (the parent device '
                                      'the %s is stacked on)' % wanted.spec.kind)
        wanted.spec.check_device_options(wanted.options, 'link')
        run.namespace_ready(netns, 'link_netns')
        return Parent(None, netns, None)
    name = validate.interface_name(params['link'], 'link')
    if (name, netns) == (wanted.name, wanted.netns):
        raise validate.InputError('link: a %s cannot be its own parent' % wanted.spec.kind)
    state = run.read(netns, name, 'link_netns')
    if state is None:
        missing_parent(run, name, netns)
    return Parent(name, netns, state)


def missing_parent(run, name, netns):
    if not namespace_exists(netns):
        return  # run.read already warned (check mode) or failed
    elsewhere = run.locate(name, netns)
    hint = (' It exists in %s: set link_netns to the namespace the parent lives in '
            '("" for the root namespace).' % ', '.join(elsewhere)) if elsewhere else ''
    if run.module.check_mode:
        run.module.warn('link: parent %s does not exist in %s yet; the prediction assumes '
                        'an earlier task creates it.%s' % (name, where(netns), hint))
        return
    raise EngineError('link: parent %s does not exist in %s.%s' % (name, where(netns), hint))


def parent_rules(kind, name, parent_label, parent_kind, parent_mtu, mtu, fields):
    """Refuse, before anything changes, what the kernel would refuse (a
    macvlan MTU above the parent's: a bare EINVAL) or silently do otherwise (a macvlan on
    a macvlan lands on that macvlan's parent, and every later run fails its
    verification). fields: the names of the parent and MTU options."""
    parent_field, mtu_field = fields
    if parent_kind in spec_of(kind).same_family:
        raise validate.InputError(
            '%s: %s is %s; the kernel never stacks %s on %s (it would use that '
            '%s\'s own parent instead): name the %s\'s parent'
            % (parent_field, parent_label, _a(parent_kind), _a(kind), _a(parent_kind),
               parent_kind, parent_kind))
    # macvlan_common_newlink and macvlan_change_mtu refuse it (EINVAL), and
    # vlan_dev_change_mtu (ERANGE): the spec says so (mtu_within_parent); the
    # ipvlan driver takes it (checked on 6.1), so it is left to the kernel
    if spec_of(kind).mtu_within_parent and mtu is not None and parent_mtu is not None and \
            mtu > parent_mtu:
        raise validate.InputError(
            '%s: %d is above the MTU of the parent %s (%d); %s\'s MTU can be at most '
            'its parent\'s' % (mtu_field, mtu, parent_label, parent_mtu, _a(kind)))


def _a(kind):
    return ('an ' if kind[0] in 'aeiou' else 'a ') + kind


def check_parent(wanted, parent):
    """parent_rules for a module run (the parent exists)."""
    if parent.state is None:
        return
    parent_rules(wanted.spec.kind, wanted.name, parent.label, parent.state['kind'],
                 parent.state['mtu'], wanted.attrs.get('mtu'), ('link', 'mtu'))


def sits_on(view, parent_index, parent_elsewhere, nsid, ports=None):
    """True if the link sits on the parent with this index (None: a tunnel
    on no device). parent_elsewhere: the parent (or the tunnel's underlay)
    lives in another namespace than the link; nsid(): the id the link's
    namespace gives the parent's (asked only when needed); ports(side): the
    UDP ports bound in the link's own namespace (side 'own') or in the
    underlay (side 'underlay'), for a kind whose underlay the kernel does
    not report (spec.socket_port). Shared by the modules and the
    topology."""
    # a tunnel on no device reports no index (vxlan) or 0 (gre)
    if (view['link_index'] or None) != (parent_index or None):
        return False
    if underlay_by_socket(view['kind']):
        return socket_in_underlay(view, parent_elsewhere, ports)
    if not parent_elsewhere:
        return view['link_netnsid'] is None
    if view['link_netnsid'] is None and view['kind'] == 'ipvtap':
        # ipvtap has no get_link_net on some kernels (6.1): it never reports
        # where its parent lives, so the parent's index is all there is
        return True
    # None: the link names no other namespace, or this one has no id for
    # the parent's yet (then the link cannot name it either)
    return view['link_netnsid'] is not None and view['link_netnsid'] == nsid()


def socket_in_underlay(view, parent_elsewhere, ports):
    """Where a geneve's socket is, witnessed by the namespaces' socket
    tables: its own namespace has a UDP socket bound to its port (its
    underlay is there), or not and the underlay has one. A geneve that is
    down holds no socket anywhere: it is taken to be where it is described
    (bringing it up shows the truth on the next run)."""
    if view['admin_state'] != 'up':
        return True
    port = tunnel_port(view)
    here = port in ports('own')
    if not parent_elsewhere:
        return here
    return not here and port in ports('underlay')


def on_parent(run, state, parent):
    """True if the existing link sits on exactly this parent (or, for a
    tunnel on no device, was created in this underlay namespace)."""
    if state is None or (parent.state is None and parent.name is not None):
        return False
    return sits_on(state, parent.state['index'] if parent.state else None,
                   state['netns'] != parent.netns,
                   lambda: run.session(state['netns']).nsid_of(parent.netns),
                   lambda side: udp_ports(state['netns'] if side == 'own' else parent.netns))


def parent_name(run, state, parent):
    """The parent's name as the kernel reports it (for the returned view)."""
    if state is None or not state['link_index']:
        return None
    if on_parent(run, state, parent):
        return parent.name
    if state['link_netnsid'] is None and state['link_index']:
        return run.session(state['netns']).name_of(state['link_index'])
    return 'ifindex %s in another namespace' % state['link_index']


# --- passthru: one macvlan takes its parent over ----------------------------

def macvlans_on(host, parent_netns_, parent_index, skip=()):
    """Labels of the macvlans and macvtaps on a parent, wherever they live:
    host is the guard's HostLinks (every namespace, read once per run);
    skip: (netns, name) pairs to leave out."""
    found = []
    for netns in host.namespaces():
        for view in host.links(netns):
            if view['kind'] not in MACVLAN_KINDS or (netns, view['name']) in skip:
                continue
            if view['link_index'] == parent_index and \
                    host.target_netns(dict(view, netns=netns), [parent_netns_]) == parent_netns_:
                found.append('%s %s in %s' % (view['kind'], view['name'], where(netns)))
    return found


def refuse_takeover(label, parent_label, siblings, guard_check):
    """A passthru macvlan needs its parent to itself (the kernel refuses it
    beside any other macvlan, EINVAL) and takes the parent's MAC address and
    promiscuity over: the lock-out guard protects a parent that carries the
    default route or the SSH connection."""
    if siblings:
        raise EngineError(
            'mode: passthru makes %s take %s over, and the kernel refuses that while '
            'other macvlans use it: %s. Delete them first, or choose another mode; '
            'nothing was changed.' % (label, parent_label, ', '.join(sorted(siblings))))
    guard_check('let passthru %s take over' % label)


def check_takeover(run, wanted, parent):
    """refuse_takeover for a module run that (re)creates a passthru link."""
    if wanted.options.get('mode') != 'passthru' or parent.state is None:
        return
    siblings = macvlans_on(run.guard.host, parent.netns, parent.state['index'],
                           skip={(wanted.netns, wanted.name)})
    refuse_takeover(wanted.label, parent.label, siblings,
                    lambda action: run.guard.check(parent.netns, parent.state, action))


# --- creating, re-creating, restoring ---------------------------------------

def temporary_name(name):
    """The name a replacement is built under (the same in check mode and in
    the real run, so that both list the same steps)."""
    return 'vnt%08x' % (zlib.crc32(name.encode('utf-8')) & 0xFFFFFFFF)


def describe_create(wanted, attrs):
    """'with ...' naming every option and attribute a create sends, so that
    a kernel refusal of the request names them."""
    values = attribute_options(wanted.spec, wanted.options)
    values.update((o, attrs[o]) for o in CREATE_ATTRS if o in attrs)
    return ', '.join('%s=%s' % item for item in sorted(values.items()))


def creator(run, wanted, parent, replace=None):
    """A `create` for plan_link: made in the parent's namespace, placed into
    the link's own namespace in the same request. replace=(old state,
    reason, its TapNode or None): build it first under a temporary name, then
    delete the old link and rename (see the module docstring)."""
    parent_session = run.session(parent.netns)
    own_session = run.session(wanted.netns)
    text = 'create %s%s' % (wanted.label, parent.placement(wanted.netns))
    details = describe_create(wanted, wanted.attrs)
    if details:
        text += ' with ' + details

    def create(ifname):
        return lambda: link_steps.create_link(own_session, ifname, wanted.spec, text,
                                              wanted.options, wanted.attrs,
                                              parent=(parent_session, parent.name))

    def add(plan, _session, _wanted):
        if replace is None:
            plan.add(text, create(wanted.name), lambda: delete_link(own_session, wanted.name))
            return
        old, reason, node = replace
        temporary = temporary_name(wanted.name)
        plan.add('%s, as %s until the old one is gone' % (text, temporary), create(temporary),
                 lambda: delete_link(own_session, temporary))
        plan_recreate_delete(plan, own_session, old, run.guard, reason, node)
        plan.add('rename %s to %s in %s' % (temporary, wanted.name, where(wanted.netns)),
                 renamer(own_session, temporary, wanted.name),
                 renamer(own_session, wanted.name, temporary))
    return add


def renamer(session, old, new):
    def run():
        session.call('renaming %s to %s' % (old, new), 'link', 'set',
                     index=fresh_index(session, old), ifname=new)
        forget_indexes(session)
    return run


def fresh_index(session, name):
    """The index of a link read now (a topology session caches indexes,
    which a delete or re-create makes stale)."""
    msg = session.get_msg(name=name)
    if msg is None:
        raise NetlinkFailure('link %r is missing in %s' % (name, where(session.netns)))
    return msg['index']


def forget_indexes(session):
    forget = getattr(session, 'forget_indexes', None)
    if forget is not None:
        forget()


def chained(undo, and_then):
    """One undo that runs another after it (a tap's device node after its
    link is back); either may be None."""
    if and_then is None or undo is None:
        return undo or and_then

    def run():
        undo()
        and_then()
    return run


def plan_recreate_delete(plan, session, old, guard, reason, node):
    """The delete of a re-create: plan_delete (collateral vetted; its undo
    rebuilds the link, _engine/restore.py), and after that undo the tap's
    device node for the rebuilt link."""
    plan_delete(plan, session, old, guard, reason=reason)
    step = plan.steps[-1]
    step.undo = chained(step.undo, node.restore if node is not None else None)


def parent_check(run, wanted, parent):
    def check():
        state = run.session(wanted.netns).read(wanted.name)
        if state is not None and not on_parent(run, state, parent):
            return ['%s: parent is not %s' % (wanted.label, parent.label)]
        return []
    return check


def recreate_reason_of(run, spec, wanted, now, parent):
    """(reason, another parent?) when the existing link must be re-created:
    another parent, or a change the spec says the kernel cannot make in
    place (an option marked recreate, or what its recreate_when names)."""
    if now is None:
        return None, False
    if not on_parent(run, now, parent):
        # a tunnel goes first: its VNI and port are unique among the tunnels
        # of its underlay namespace (the kernel refuses a second one there)
        return ('its %s is not %s; the kernel cannot change that in place'
                % (('parent', parent.label) if parent.name else
                   ('underlay', where(parent.netns)))), \
            spec.parent == 'required'
    return spec.recreate_reason(wanted.options, now['data']), False


def converge(run, spec, options, tap=False):
    """The whole run of a lower-device module.

    The spec's recreate_when(current_options, wanted_options) names
    kind-specific changes the kernel cannot make in place.
    """
    _nla.register()  # attribute maps pyroute2 lacks (idempotent)
    params = run.module.params
    wanted = wanted_end(params, spec, options=options)
    if spec.fixed_mac and wanted.attrs.get('mac_address'):
        raise validate.InputError('mac_address: an %s always uses its parent\'s MAC address'
                                  % spec.kind)
    if spec.no_mac and wanted.attrs.get('mac_address'):
        raise validate.InputError(no_mac_text('mac_address', spec.kind))
    now = run.read(wanted.netns, wanted.name, 'netns')
    if now is not None and now['kind'] != spec.kind:
        raise other_kind(wanted.name, wanted.netns, now, spec.kind)
    node = TapNode.of_module(run, wanted, params) if tap else None
    if params['state'] == 'absent':
        return converge_absent(run, wanted, now, node)

    # the rules again, now that the kernel's state is known (a tunnel's
    # address family, a macvlan's mode when none is given)
    wanted.options = spec.check(wanted.options, spec.current(now['data']) if now else {})
    parent = parent_of(run, wanted)
    check_parent(wanted, parent)
    problem = spec.identity_problem(wanted.options, parent.name is not None) \
        if now is None else None
    if problem:
        raise validate.InputError(problem)
    reason, moving = recreate_reason_of(run, spec, wanted, now, parent)
    if reason:
        # what the new link carries over is settled before its create step
        plan_recreate(run, wanted, now, parent)
        if not moving:
            plan_recreate_delete(run.plan, run.session(wanted.netns), now, run.guard, reason,
                                 node)
    elif now is None:
        check_takeover(run, wanted, parent)
    create = creator(run, wanted, parent,
                     replace=(now, reason, node) if reason and moving else None)
    current = None if reason else now
    created = plan_link(run.plan, run.session(wanted.netns), wanted, current, run.guard,
                        create=create)
    run.expect(wanted)
    run.checks.append(parent_check(run, wanted, parent))
    if node is not None:
        node.plan(created)

    def view(state, fresh_prediction=None):
        result = fresh_prediction if fresh_prediction is not None else public(state, spec)
        if result:
            result['link'] = parent.name if fresh_prediction is not None \
                else parent_name(run, state, parent)
            result['link_netns'] = parent.netns
        return result

    before = {'link': view(now)}
    after = {'link': view(None, predicted(wanted, current))}
    if node is not None:
        before['device'] = node.before()
        after['device'] = node.after()

    def reread():
        result = {'link': view(run.session(wanted.netns).read(wanted.name))}
        if node is not None:
            result['device'] = node.now()
        return result
    run.finish(before, after, reread)


def plan_recreate(run, wanted, now, parent):
    """What a re-created link keeps: the settings the user left open keep
    the old link's values (an MTU only while the new parent allows it), and
    a passthru result is checked against the parent's other macvlans."""
    user_mtu = 'mtu' in wanted.attrs
    carry_over(wanted, now)
    wanted.options = dict(wanted.spec.carried(wanted.spec.current(now['data']), wanted.options),
                          **wanted.options)
    parent_mtu = parent.state['mtu'] if parent.state else None
    if not user_mtu and parent_mtu is not None and wanted.attrs.get('mtu', 0) > parent_mtu:
        del wanted.attrs['mtu']  # the new parent's MTU is smaller: inherit it
    check_takeover(run, wanted, parent)


def converge_absent(run, wanted, now, node):
    before = {'link': public(now, wanted.spec)}
    after = {'link': {}}
    if now is not None:
        plan_delete(run.plan, run.session(wanted.netns), now, run.guard)
    if node is not None:
        before['device'] = node.before()
        after['device'] = {}
        node.plan_remove()
    run.finish(before, after, lambda: dict(after))


class TapNode(object):
    """The character device node of a macvtap/ipvtap link (see tapdev), for
    the modules and the topology alike: `add(text, do, undo)` adds a step to
    the caller's plan, `checks` collects verifications (the topology, which
    verifies by planning again, passes a list it ignores)."""

    def __init__(self, add, checks, netns, name, kind, label, owner=None, group=None,
                 mode=None, fields=('device_owner', 'device_group', 'device_mode')):
        self.add = add
        self.checks = checks
        self.netns = netns
        self.name = name
        self.kind = kind
        self.label = label
        self.path = tapdev.node_path(netns, name)
        try:
            self.uid = tapdev.resolve_owner(owner, fields[0])
            self.gid = tapdev.resolve_group(group, fields[1])
            self.mode = tapdev.parse_mode(mode, fields[2])
        except ValueError as err:
            raise validate.InputError(str(err))
        self.existing = tapdev.node_state(self.path)
        self.predicted_number = None  # known at plan time only for an existing link

    @classmethod
    def of_module(cls, run, wanted, params):
        return cls(run.plan.add, run.checks, wanted.netns, wanted.name, wanted.spec.kind,
                   wanted.label, params.get('device_owner'), params.get('device_group'),
                   params.get('device_mode'))

    def _perms(self):
        """Wanted owner, group and mode; omitted ones keep the node's (or
        root:root 0600 for a new node)."""
        old = self.existing or {'uid': 0, 'gid': 0, 'mode': tapdev.DEFAULT_MODE}
        return (old['uid'] if self.uid is None else self.uid,
                old['gid'] if self.gid is None else self.gid,
                old['mode'] if self.mode is None else self.mode)

    def _number(self):
        return tapdev.device_number(self.netns, self.name, self.kind)

    def plan(self, link_created):
        uid, gid, mode = self._perms()
        number = None if link_created else self._number()
        self.predicted_number = number
        stale = self.existing is None or number is None or self.existing['rdev'] != number
        if stale:
            self.add('%s device node %s for %s (owner %d, group %d, mode %04o)'
                     % ('create' if self.existing is None else 'replace',
                        self.path, self.label, uid, gid, mode),
                     self._make(uid, gid, mode),
                     self.restore if self.existing else self._remove)
        elif (self.existing['uid'], self.existing['gid'], self.existing['mode']) != (uid, gid, mode):
            old = self.existing
            self.add('set owner %d, group %d, mode %04o on device node %s'
                     % (uid, gid, mode, self.path),
                     lambda: tapdev.set_perms(self.path, uid, gid, mode),
                     lambda: tapdev.set_perms(self.path, old['uid'], old['gid'], old['mode']))
        self.checks.append(self._check(uid, gid, mode))

    def _make(self, uid, gid, mode):
        def run():
            number = self._number()
            if number is None:
                raise EngineError('the kernel shows no character device for %s' % self.label)
            tapdev.make_node(self.path, number, uid, gid, mode)
        return run

    def _remove(self):
        tapdev.remove_node(self.path)

    def restore(self):
        """The node as it was, for the link as it is now (after an undo made
        the link again, or put the old one back): the old owner, group and
        mode with the current device number; no node if there was none."""
        if self.existing is None:
            self._remove()
            return
        number = self._number()
        if number is None:
            self._remove()
            return
        tapdev.make_node(self.path, number, self.existing['uid'], self.existing['gid'],
                         self.existing['mode'])

    def plan_remove(self):
        if self.existing is not None:
            self.add('remove device node %s' % self.path, self._remove, self.restore)

    def _check(self, uid, gid, mode):
        def check():
            node = tapdev.node_state(self.path)
            number = self._number()
            want = {'rdev': number, 'uid': uid, 'gid': gid, 'mode': mode}
            if node != want:
                return ['device node %s is %s, expected %s' % (self.path, node, want)]
            return []
        return check

    @staticmethod
    def _view(path, node):
        if node is None:
            return {}
        return {'path': path, 'owner': node['uid'], 'group': node['gid'],
                'mode': '%04o' % node['mode'],
                'device': '%d:%d' % node['rdev'] if node['rdev'] else None}

    def before(self):
        return self._view(self.path, self.existing)

    def after(self):
        """Predicted view; the device number is only known once it exists."""
        uid, gid, mode = self._perms()
        return self._view(self.path, {'uid': uid, 'gid': gid, 'mode': mode,
                                      'rdev': self.predicted_number})

    def now(self):
        return self._view(self.path, tapdev.node_state(self.path))


# --- kind-specific settings -----------------------------------------------

def run_module(spec, tap=False, parent_options=None):
    """The whole of a module of a stacked kind (macvlan, vlan, the GRE
    family, ...): the common link options, the parent's (a geneve has only
    an underlay namespace: UNDERLAY_OPTIONS), the kind's own (and a tap's
    device node options), checked and converged here."""
    extra = dict(parent_options or PARENT_OPTIONS, **(TAP_OPTIONS if tap else {}))
    module = StrictModule(argument_spec=link_argument_spec(spec.argument_spec(), **extra),
                          supports_check_mode=True)
    LinkRun(module).run(lambda run: converge(run, spec, kind_settings(spec, module.params),
                                             tap=tap))


def kind_settings(spec, params):
    """A module's validated kind options (None: leave as it is): types,
    ranges and the rules between the options given; converge checks them
    again against the kernel's state (source_macs needs mode source, a new
    vlan its id, a flow label an IPv6 tunnel)."""
    values = dict((name, params.get(name)) for name in spec.options_by_name)
    return spec.check(values, current=None)
