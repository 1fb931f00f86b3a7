# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Links stacked on a parent (lower) device: macvlan, macvtap, ipvlan, ipvtap.

The link is created in the parent's namespace and placed into its own
namespace in the same request (IFLA_NET_NS_FD), which is the only way to
have a macvlan in a namespace whose parent lives elsewhere (the lab case:
the parent on the host or in host1, the macvlan inside node1). The kernel
keeps the parent fixed for the life of the link, so another parent (or
parent namespace) re-creates it; settings the kernel changes in place are
changed in place.
"""

from __future__ import annotations

import os

from ansible_collections.vnet.linux.plugins.module_utils._netlink import nla as _nla
from ansible_collections.vnet.linux.plugins.module_utils._netlink import tapdev
from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    CREATE_ATTRS,
    EngineError,
    carry_over,
    delete_link,
    other_kind,
    plan_delete,
    plan_link,
    predicted,
    public,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import wanted_end
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import IPVLAN, MACVLAN
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import namespace_exists, where

PARENT_OPTIONS = dict(
    link=dict(type='str'),
    link_netns=dict(type='str'),
)
TAP_OPTIONS = dict(
    device_owner=dict(type='str'),
    device_group=dict(type='str'),
    device_mode=dict(type='str'),
)
_CREATE_KEYWORDS = {'mtu': 'mtu', 'mac_address': 'address', 'txqueuelen': 'txqlen'}


class Parent(object):
    """The lower device: its name, namespace, and kernel state (or None)."""

    def __init__(self, name, netns, state):
        self.name = name
        self.netns = netns
        self.state = state

    @property
    def label(self):
        return '%s in %s' % (self.name, where(self.netns))


def parent_of(run, wanted):
    """Read the parent named by `link`/`link_netns` (default: the link's own
    namespace). Check mode predicts with a warning when an earlier task
    would create it; a real run fails clearly."""
    params = run.module.params
    if not params.get('link'):
        raise validate.InputError('link: required with state=present (the parent device '
                                  'the %s is stacked on)' % wanted.spec.kind)
    name = validate.interface_name(params['link'], 'link')
    netns = wanted.netns
    if params.get('link_netns') is not None:
        netns = validate.namespace_name(params['link_netns'], 'link_netns')
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
    hint = (' It exists in %s: set link_netns to the namespace the parent lives in.'
            % ', '.join(elsewhere)) if elsewhere else ''
    if run.module.check_mode:
        run.module.warn('link: parent %s does not exist in %s yet; the prediction assumes '
                        'an earlier task creates it.%s' % (name, where(netns), hint))
        return
    raise EngineError('link: parent %s does not exist in %s.%s' % (name, where(netns), hint))


def parent_index(state):
    """The parent's ifindex (in the parent's namespace). The kernel leaves
    IFLA_LINK out when it equals the link's own index, which happens when the
    parent lives in another namespace under the same number."""
    return state['link_index'] if state['link_index'] is not None else state['index']


def on_parent(run, state, parent):
    """True if the existing link sits on exactly this parent."""
    if state is None or parent.state is None:
        return False
    if parent_index(state) != parent.state['index']:
        return False
    if state['netns'] == parent.netns:
        return state['link_netnsid'] is None
    if state['link_netnsid'] is None and state['kind'] == 'ipvtap':
        # ipvtap has no get_link_net on some kernels (6.1): it never reports
        # where its parent lives, so the parent's index is all there is
        return True
    return state['link_netnsid'] == run.session(state['netns']).nsid_of(parent.netns)


def parent_name(run, state, parent):
    """The parent's name as the kernel reports it (for the returned view)."""
    if state is None:
        return None
    if on_parent(run, state, parent):
        return parent.name
    if state['link_netnsid'] is None and state['link_index']:
        return run.session(state['netns']).name_of(state['link_index'])
    return 'ifindex %s in another namespace' % parent_index(state)


def creator(run, wanted, parent):
    """A `create` for plan_link: made in the parent's namespace, placed into
    the link's own namespace in the same request."""
    parent_session = run.session(parent.netns)
    own_session = run.session(wanted.netns)
    args = wanted.spec.kernel_args(wanted.options)
    args.update((_CREATE_KEYWORDS[o], wanted.attrs[o]) for o in CREATE_ATTRS if o in wanted.attrs)
    text = 'create %s on %s' % (wanted.label, parent.label)
    if wanted.options:
        text += ' with ' + ', '.join('%s=%s' % item for item in sorted(wanted.options.items()))

    def create():
        fd = None
        request = dict(args, ifname=wanted.name, kind=wanted.spec.kind,
                       link=parent_session.index(parent.name))
        if wanted.netns != parent.netns:
            if wanted.netns is None:
                # the module runs in the root namespace: hand over our own
                fd = os.open('/proc/self/ns/net', os.O_RDONLY)
                request['net_ns_fd'] = fd
            else:
                request['net_ns_fd'] = wanted.netns
        try:
            parent_session.call(text, 'link', 'add', **request)
        finally:
            if fd is not None:
                os.close(fd)

    def add(plan, _session, _wanted):
        plan.add(text, create, lambda: delete_link(own_session, wanted.name))
    return add


def parent_check(run, wanted, parent):
    def check():
        state = run.session(wanted.netns).read(wanted.name)
        if state is not None and not on_parent(run, state, parent):
            return ['%s: parent is not %s' % (wanted.label, parent.label)]
        return []
    return check


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
    now = run.read(wanted.netns, wanted.name, 'netns')
    if now is not None and now['kind'] != spec.kind:
        raise other_kind(wanted.name, wanted.netns, now, spec.kind)
    node = TapNode(run, wanted, params) if tap else None
    if params['state'] == 'absent':
        return converge_absent(run, wanted, now, node)

    parent = parent_of(run, wanted)
    reason = None
    if now is not None and not on_parent(run, now, parent):
        reason = 'its parent is not %s' % parent.label
    elif now is not None and spec.recreate_when is not None:
        reason = spec.recreate_when(spec.current(now['data']), wanted.options)
    if reason:
        plan_delete(run.plan, run.session(wanted.netns), now, run.guard,
                    reason='%s; the kernel cannot change that in place' % reason)
        carry_over(wanted, now)
        wanted.options = dict(carried_options(spec, now, wanted.options), **wanted.options)
    current = None if reason else now
    created = plan_link(run.plan, run.session(wanted.netns), wanted, current, run.guard,
                        create=creator(run, wanted, parent))
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


def carried_options(spec, state, wanted_options):
    """Kind options of the old link that the new one keeps (source MACs
    only while the mode stays source)."""
    current = spec.current(state['data'])
    mode = wanted_options.get('mode', current.get('mode'))
    if mode != 'source':
        current.pop('source_macs', None)
    return current


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
    """The character device node of a macvtap/ipvtap link (see _tapdev)."""

    def __init__(self, run, wanted, params):
        self.run = run
        self.wanted = wanted
        self.kind = wanted.spec.kind
        self.path = tapdev.node_path(wanted.netns, wanted.name)
        try:
            self.uid = tapdev.resolve_owner(params.get('device_owner'), 'device_owner')
            self.gid = tapdev.resolve_group(params.get('device_group'), 'device_group')
            self.mode = tapdev.parse_mode(params.get('device_mode'), 'device_mode')
        except ValueError as err:
            raise validate.InputError(str(err))
        self.existing = tapdev.node_state(self.path)
        self.predicted_number = None  # known at plan time only for an existing link

    def _perms(self):
        """Wanted owner, group and mode; omitted ones keep the node's (or
        root:root 0600 for a new node)."""
        old = self.existing or {'uid': 0, 'gid': 0, 'mode': tapdev.DEFAULT_MODE}
        return (old['uid'] if self.uid is None else self.uid,
                old['gid'] if self.gid is None else self.gid,
                old['mode'] if self.mode is None else self.mode)

    def _number(self):
        return tapdev.device_number(self.wanted.netns, self.wanted.name, self.kind)

    def plan(self, link_created):
        uid, gid, mode = self._perms()
        number = None if link_created else self._number()
        self.predicted_number = number
        stale = self.existing is None or number is None or self.existing['rdev'] != number
        if stale:
            self.run.plan.add('%s device node %s for %s (owner %d, group %d, mode %04o)'
                              % ('create' if self.existing is None else 'replace',
                                 self.path, self.wanted.label, uid, gid, mode),
                              self._make(uid, gid, mode),
                              None if self.existing else self._remove)
        elif (self.existing['uid'], self.existing['gid'], self.existing['mode']) != (uid, gid, mode):
            old = self.existing
            self.run.plan.add('set owner %d, group %d, mode %04o on device node %s'
                              % (uid, gid, mode, self.path),
                              lambda: tapdev.set_perms(self.path, uid, gid, mode),
                              lambda: tapdev.set_perms(self.path, old['uid'], old['gid'],
                                                       old['mode']))
        self.run.checks.append(self._check(uid, gid, mode))

    def _make(self, uid, gid, mode):
        def run():
            number = self._number()
            if number is None:
                raise EngineError('the kernel shows no character device for %s'
                                  % self.wanted.label)
            tapdev.make_node(self.path, number, uid, gid, mode)
        return run

    def _remove(self):
        tapdev.remove_node(self.path)

    def plan_remove(self):
        if self.existing is not None:
            self.run.plan.add('remove device node %s' % self.path, self._remove)

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

MACVLAN_OPTIONS = MACVLAN.argument_spec()
IPVLAN_OPTIONS = IPVLAN.argument_spec()


def macvlan_settings(params):
    """Validated macvlan/macvtap settings (None: leave as it is). Checked
    as for a new link: source_macs needs mode source given."""
    values = dict((name, params.get(name)) for name in MACVLAN_OPTIONS)
    return MACVLAN.check(values, current={})


def ipvlan_settings(params):
    return IPVLAN.check(dict((name, params.get(name)) for name in IPVLAN_OPTIONS), current={})
