# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan a lab: compare the description with what was read, emit steps.

Steps are collected per phase and emitted in dependency order:

  stop      VMs that are re-created or leave the lab (before their macvtap)
  remove    prune and re-create deletions (frees names first)
  netns     create namespaces (lo up and marked in the same request), mark
            and bring up lo of an existing one
  create    bridges, veth pairs (the bridge port end enslaved in the same
            request), bonds, then devices stacked on other links
  change    attributes and kind options changed in place, sysctls
  enslave   masters that change on existing links, bond ports
  address   removals first (deleting an IPv4 primary also deletes its
            secondaries), then additions
  impair    netem qdiscs
  up        mark and bring up in one request per link
  route     after `up`: the kernel refuses a gateway that no up link reaches
  vm        start the VMs of VM nodes (vm.py), once their network is there

Every step has an undo unless it removes something. Check mode stops after
planning: the step texts are the prediction, and a real run applies exactly
the same list (both plan from the same reading).
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    where,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.guard import (
    ENSLAVE,
    Guard,
    HostLinks,
    Touch,
    dying_with,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    EngineError,
    Plan,
    Wanted,
    a_kind,
    attribute_options,
    differences,
    plan_tables,
    undone_with_its_object,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._kinds import bond as bond_rules
from ansible_collections.vnet.linux.plugins.module_utils._engine.restore import Removal
from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._netlink import tapdev
from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.sockets import udp_ports
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    BOND,
    BRIDGE,
    by_netlink_kind,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.teamd import Daemon, TeamSteps
from ansible_collections.vnet.linux.plugins.module_utils._kinds import wireguard
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import MARK_PREFIX
from ansible_collections.vnet.linux.plugins.module_utils._lab.vm import plan_vms
from ansible_collections.vnet.linux.plugins.module_utils._lab.node_state import (
    plan_routes,
    plan_sysctls,
)

PHASES = ('stop', 'remove', 'netns', 'create', 'change', 'enslave', 'address', 'impair',
          'up', 'route', 'vm')
LOOPBACK_DEFAULTS = ('127.0.0.1/8', '::1/128')


class Report(object):
    """What the plan does to which object, for the structured result."""

    def __init__(self):
        self.added = []
        self.changed = []
        self.recreated = []
        self.removed = []

    def as_dict(self):
        return {'added': self.added, 'changed': self.changed,
                'recreated': self.recreated, 'removed': self.removed}


def iface_ref(iface):
    return {'type': 'bridge' if iface.kind == 'bridge' else 'link', 'kind': iface.kind,
            'node': iface.node, 'name': iface.name}


class Planner(object):
    """Builds the plan of one run from the lab model and the reading."""

    def __init__(self, lab, current, kernel, guard=None):
        self.lab = lab
        self.current = current          # netns -> namespace reading (None: missing)
        self.kernel = kernel
        self.guard = guard or lab_guard(kernel, lab, current)
        self.steps = dict((phase, []) for phase in PHASES)
        self.report = Report()
        self.fresh = set()              # (node, name) of links this plan creates
        self.changed_entries = {}       # object -> its entry in report.changed
        self.pair_verdicts = {}         # veth pair (both ends' keys) -> paired?
        self.deleted = []               # (iface, view) of links the plan re-creates
        self.warnings = []
        self.wg_readings = {}           # (node, name) -> a wireguard's configuration
        self.key_files = {}             # (node, name) -> its wireguard.KeyFile (or None)
        self.socket_ports = {}          # netns -> its UDP ports, as this plan read them

    # -- helpers --------------------------------------------------------------
    def add(self, phase, text, do, undo=None):
        self.steps[phase].append((text, do, undo))

    def plan(self):
        result = Plan()
        for phase in PHASES:
            for step in self.steps[phase]:
                result.add(*step)  # (text, do, undo[, undo_text])
        result.warnings = self.warnings
        return result

    def netns_of(self, node_name):
        return self.lab.nodes[node_name].netns

    def reading(self, node_name):
        return self.current.get(self.netns_of(node_name))

    def now(self, iface):
        """The kernel's view of a described interface (None: absent or about
        to be re-created)."""
        if iface.key in self.fresh:
            return None
        ns = self.reading(iface.node)
        return ns['links'].get(iface.name) if ns else None

    def session(self, node_name):
        return self.kernel.session(self.netns_of(node_name))

    def ours(self, view):
        return view is not None and view.get('alias') == self.lab.mark

    # -- the whole plan -----------------------------------------------------
    def build(self):
        for iface in self.lab.ifaces.values():
            if iface.parent is not None:
                self.check_stacked(iface)
        for node in self.lab.nodes.values():
            self.plan_node(node)
        for iface in self.lab.ifaces.values():
            self.plan_existing(iface)
        for iface in self.lab.ifaces.values():
            self.plan_iface(iface)
        if self.lab.prune:
            self.plan_prune()
        for node in self.lab.nodes.values():
            plan_routes(self, node)
            plan_sysctls(self, node)
        plan_vms(self)
        return self.plan()

    # -- namespaces -----------------------------------------------------------
    def plan_node(self, node):
        ns = self.current.get(node.netns)
        if node.external:
            if ns is None:
                # a node given by netns (a container's) may be gone since
                # its reference was resolved
                raise EngineError('%s.%s: the external %s does not exist (an external node '
                                  'is used, never created)'
                                  % (node.field, 'name' if node.netns == node.name else 'netns',
                                     where(node.netns)))
            return
        if ns is None:
            # the namespace is made with lo up and marked (one request, before
            # it gets its name); removing it undoes all of that
            self.add('netns', 'create namespace %s (lo up, marked)' % node.name,
                     self._create_netns(node.netns), self._remove_netns(node.netns))
            self.report.added.append({'type': 'node', 'name': node.name})
            lo = {'alias': self.lab.mark, 'admin_state': 'up',
                  'addresses': list(LOOPBACK_DEFAULTS)}
        else:
            mark = ns['mark']
            if mark.startswith(MARK_PREFIX) and mark != self.lab.mark:
                raise EngineError('%s.name: namespace %s belongs to lab %r, not %r; it is '
                                  'left alone' % (node.field, node.name,
                                                  mark[len(MARK_PREFIX):], self.lab.name))
            if mark != self.lab.mark:
                # a lab never adopts what it did not create: it would delete
                # it (and everything in it) with state: absent
                raise EngineError('%s.name: namespace %s exists but is not part of lab %r '
                                  '(it was not created by it); it is left alone. Set '
                                  'external: true on the node to use it as it is (never '
                                  'marked or removed), or delete it first.'
                                  % (node.field, node.netns, self.lab.name))
            lo = ns['links']['lo']
        if lo['alias'] != self.lab.mark or lo['admin_state'] != 'up':
            what = 'mark namespace %s and bring lo up' % node.name
            self.add('netns', what,
                     self._set_link(node.name, 'lo', what,
                                    {'alias': self.lab.mark, 'admin_state': 'up'}),
                     self._set_link(node.name, 'lo', what,
                                    {'alias': lo['alias'], 'admin_state': lo['admin_state']}))
            if ns is not None:
                self.record_change({'type': 'node', 'name': node.name}, 'mark',
                                   lo['alias'], self.lab.mark)
        self.plan_addresses(node.name, 'lo', 'lo in node %s' % node.name, node.loopback,
                            lo['addresses'], keep=LOOPBACK_DEFAULTS,
                            ref={'type': 'node', 'name': node.name}, fresh=ns is None)

    def _create_netns(self, netns):
        def run():
            self.kernel.namespaces.create(netns, mark=self.lab.mark)
        return run

    def _remove_netns(self, netns):
        def run():
            self.kernel.drop(netns)
            self.kernel.namespaces.remove(netns)
            tapdev.remove_namespace_nodes(netns)  # the device nodes of its taps
        return run

    # -- interfaces -----------------------------------------------------------
    def plan_existing(self, iface):
        """Decide, before anything is created, which existing interfaces must
        be re-created (their names are freed in the remove phase)."""
        now = self.now(iface)
        if now is not None and self.dies_with_deleted(iface, now):
            # its veth peer is deleted before it: it goes too, and is made again
            self.fresh.add(iface.key)
            now = None
        self.check_options(iface, now)
        if now is None:
            return
        reason = self.recreate_reason(iface, now)
        if reason is None:
            return
        if not self.ours(now):
            raise EngineError(
                '%s.name: %s exists in node %s but is not part of lab %r (%s); it is '
                'left alone. Delete it or choose another name.'
                % (iface.field, iface.name, iface.node, self.lab.name, reason))
        # the remove phase runs before every create, so a lab re-creates
        # delete-first; a later failure builds the old device again, with its
        # tap device node (the modules build another parent's device first:
        # lower.creator)
        node = self.tap_node(iface)
        self.delete_link(iface.node, now, '%s (%s)' % (iface.label(), reason),
                         and_then=node.restore if node is not None else None)
        self.deleted.append((iface, now))
        self.fresh.add(iface.key)
        self.report.recreated.append(dict(iface_ref(iface), reason=reason))
        peer = iface.peer
        if peer is not None and peer.key not in self.fresh:
            peer_now = self.now(peer)
            if peer_now is None or self.dies_with_deleted(peer, peer_now):
                # absent, or this end's peer (deleting one end deletes the
                # other): it is made again with the pair. A described peer
                # that is some other link outlives this deletion and is
                # judged on its own (re-created: it is no peer of this end).
                self.fresh.add(peer.key)

    def dies_with_deleted(self, iface, now):
        """Is this existing link the veth peer of a link the plan deletes
        (the kernel deletes both)?"""
        return any(view['kind'] == 'veth' and view['link_index'] == now['index'] and
                   self.same_netns(gone.node, view['link_netnsid'], iface.node)
                   for gone, view in self.deleted)

    @staticmethod
    def check_options(iface, now):
        """The kind spec's rules again, now that the kernel's state is
        known (a bond's mode when none is described, its miimon, a bridge's
        STP): the modules judge the same way."""
        same_kind = now is not None and now['kind'] == iface.spec.netlink_kind
        current = iface.spec.current(now['data']) if same_kind else {}
        iface.spec.check(iface.options, current, iface.field_of)

    def recreate_reason(self, iface, now):
        if now['kind'] != iface.spec.netlink_kind:
            return 'it is %s, not %s' % (a_kind(now['kind']), a_kind(iface.kind))
        if iface.teamd_config is not None and \
                self.daemon(iface).applied() != iface.teamd_config:
            return 'its teamd configuration differs'
        if iface.peer is not None and not self.paired(iface, now):
            return 'its peer is not %s in node %s%s' % (iface.peer.name, iface.peer.node,
                                                        self.peer_place(iface, now))
        if iface.parent is not None and not self.on_parent(iface, now):
            return 'its %s' % parent_text(iface, 'is not')
        reason = iface.spec.recreate_reason(iface.options, now['data'])
        if reason or iface.kind != 'bond':
            return reason
        # what the kernel changes only on a bond without ports, or down
        changed = iface.spec.differences(iface.options, now['data'])
        return bond_rules.in_place_refusal(
            [o.name for o in changed], self.bond_ports_now(iface), now['admin_state'])

    def bond_ports_now(self, iface):
        ns = self.reading(iface.node)
        return [view['name'] for view in (ns['links'].values() if ns else ())
                if view['master'] == iface.name]

    def paired(self, iface, now):
        """Is this veth end's peer the described one? Proven once per pair:
        the kernel keeps a pair symmetric (each end's peer is the other), so
        when end A names index X in a namespace whose id (seen from A) is
        B's, and B's reading has X under the peer's name, then B's peer is
        A, in A's namespace; the other way round proves nothing more. And a
        pair that fails from one end fails from the other: B passing would
        make B's peer A, so A's peer B. Saves a namespace id request per
        veth end (half of them) when a lab is read again."""
        pair = frozenset((iface.key, iface.peer.key))
        if pair not in self.pair_verdicts:
            self.pair_verdicts[pair] = self._paired(iface, now)
        return self.pair_verdicts[pair]

    def _paired(self, iface, now):
        peer = iface.peer
        ns = self.reading(peer.node)
        other = ns['links'].get(peer.name) if ns else None
        if other is None or other['kind'] != 'veth':
            return False
        if now['link_index'] != other['index'] or other['link_index'] != now['index']:
            return False
        return self.same_netns(iface.node, now['link_netnsid'], peer.node)

    def peer_place(self, iface, now):
        """' but NAME in namespace X' when the peer of a veth end is found in
        a namespace that was read (the end names it by index and netnsid)."""
        session = self.session(iface.node)
        own = self.netns_of(iface.node)
        for netns, ns in sorted(self.current.items(), key=lambda item: str(item[0])):
            if ns is None:
                continue
            if (netns == own) != (now['link_netnsid'] is None):
                continue
            if netns != own and session.nsid_of(netns) != now['link_netnsid']:
                continue
            for name, view in ns['links'].items():
                if view['index'] == now['link_index']:
                    return ' but %s in %s' % (name, _where(netns))
        return ''

    def same_netns(self, node_name, netnsid, other_node):
        """Does the netnsid a link reports (seen from its node) name the
        other node's namespace?"""
        if self.netns_of(node_name) == self.netns_of(other_node):
            return netnsid is None
        return netnsid is not None and \
            self.session(node_name).nsid_of(self.netns_of(other_node)) == netnsid

    def on_parent(self, iface, now):
        parent_node, parent_name = iface.parent
        parent = self.parent_view(iface)
        if parent_name is not None and (parent is None or iface.parent in self.fresh):
            return False
        parent_netns = self.netns_of(parent_node)
        own_netns = self.netns_of(iface.node)
        return lower.sits_on(now, parent['index'] if parent else None,
                             parent_netns != own_netns,
                             lambda: self.session(iface.node).nsid_of(parent_netns),
                             lambda side: self.udp_ports(own_netns if side == 'own'
                                                         else parent_netns))

    def udp_ports(self, netns):
        """The namespace's UDP ports (a geneve's witness), read once per
        plan: a lab spread over hosts has a geneve per crossing link, all
        over the root namespace."""
        if netns not in self.socket_ports:
            self.socket_ports[netns] = udp_ports(netns)
        return self.socket_ports[netns]

    def parent_view(self, iface):
        """The kernel's view of a stacked device's parent (None: absent, or
        a tunnel on no device)."""
        if iface.parent[1] is None:
            return None
        ns = self.reading(iface.parent[0])
        return ns['links'].get(iface.parent[1]) if ns else None

    # -- stacked devices (macvlan, macvtap, ipvlan, ipvtap) -------------------
    def check_stacked(self, iface):
        """The rules the kernel applies to a parent, checked against what it
        is now (or what the lab makes of it) before anything changes: the
        same function as the modules use."""
        parent_key = iface.parent
        if parent_key[1] is None:
            return  # a tunnel on no device: only its underlay node
        described = self.lab.ifaces.get(parent_key)
        view = self.parent_view(iface)
        kind = described.kind if described is not None else (view or {}).get('kind')
        mtu = described.attrs.get('mtu') if described is not None else None
        if mtu is None and view is not None:
            mtu = view['mtu']
        label = '%s in node %s' % (parent_key[1], parent_key[0])
        lower.parent_rules(iface.kind, iface.name, label, kind, mtu, iface.attrs.get('mtu'),
                           (iface.field + '.parent', iface.field + '.mtu'))
        if iface.options.get('mode') == 'passthru':
            self.check_takeover(iface, view, label)

    def check_takeover(self, iface, view, label):
        """A passthru macvlan (created or re-created by this run) needs its
        parent to itself, and the lock-out guard protects a parent on the host."""
        now = self.now(iface)
        if now is not None and now['kind'] == iface.kind and self.on_parent(iface, now) and \
                iface.spec.current(now['data']).get('mode') == 'passthru':
            return  # already the parent's passthru macvlan
        siblings = ['%s %s in node %s' % (other.kind, other.name, other.node)
                    for other in self.lab.ifaces.values()
                    if other.parent == iface.parent and other is not iface]
        parent_netns = self.netns_of(iface.parent[0])
        if view is not None:
            known = set('%s %s in %s' % (other.kind, other.name,
                                         where(self.netns_of(other.node)))
                        for other in self.lab.ifaces.values())
            siblings += [found for found in lower.macvlans_on(
                self.guard.host, parent_netns, view['index'],
                skip={(self.netns_of(iface.node), iface.name)}) if found not in known]
        lower.refuse_takeover('%s %s in node %s' % (iface.kind, iface.name, iface.node), label,
                              siblings,
                              lambda action: self.guard.check(parent_netns, view, action))

    def tap_node(self, iface):
        """The device node of a macvtap/ipvtap (None for other kinds): the
        modules' TapNode, its steps in this plan's phases."""
        if iface.kind not in lower.TAP_KINDS:
            return None
        device = iface.device or {}
        phase = 'create' if iface.key in self.fresh else 'change'
        return lower.TapNode(lambda text, do, undo=None: self.add(phase, text, do, undo), [],
                             self.netns_of(iface.node), iface.name, iface.kind, iface.label(),
                             device.get('owner'), device.get('group'), device.get('mode'),
                             fields=tuple('%s.device_%s' % (iface.field, key)
                                          for key in ('owner', 'group', 'mode')))

    def wanted(self, iface, now):
        if self.team_port(iface):
            master = None   # teamd enslaves its ports itself
        elif iface.master is not None:
            master = iface.master
        else:
            master = None if now is None or not now['master'] else ''
        return Wanted(iface.name, self.netns_of(iface.node), iface.spec, attrs=iface.attrs,
                      options=iface.options, addresses=iface.addresses,
                      purge_addresses=self.lab.prune and self.ours(now), master=master)

    # -- wireguard (keys, port and peers: _kinds/wireguard.py) --------------------
    def wg_reading(self, iface):
        """The configuration of a described wireguard link as the kernel has
        it (None: absent or re-created by this plan)."""
        if iface.key not in self.wg_readings:
            now = self.now(iface)
            self.wg_readings[iface.key] = wireguard.read_config(
                self.netns_of(iface.node), iface.name) \
                if now is not None and now['kind'] == 'wireguard' else None
        return self.wg_readings[iface.key]

    def key_file(self, iface):
        if iface.key not in self.key_files:
            settings = iface.wireguard
            self.key_files[iface.key] = wireguard.KeyFile(
                settings.key_file, settings.generate,
                iface.field_of('private_key_file')) if settings.key_file else None
        return self.key_files[iface.key]

    def peer_key(self, peer):
        """A peer's public key; one named by reference has the key of that
        wireguard link's key file, else (no file described) the key the
        kernel has for it. None: its key file is generated by this run."""
        if peer.key is not None:
            return peer.key
        other = self.lab.ifaces[peer.ref]
        key_file = self.key_file(other)
        if key_file is not None:
            key_file.check()
            return key_file.public_key()
        reading = self.wg_reading(other)
        if reading is None or reading['public_key'] is None:
            raise InputError('%s.peer: %s in node %s has no key yet: give it a '
                             'private_key_file (generate_key: true makes one), or give '
                             'this peer a public_key' % (peer.field, peer.ref[1], peer.ref[0]))
        return reading['public_key']

    def plan_wireguard(self, iface, now):
        """Its key file generated first (create phase), then the settings
        that differ (change phase: before the link comes up, so it opens its
        port with the right key and port)."""
        key_file = self.key_file(iface)
        if key_file is not None:
            key_file.check()
        wireguard.plan_key_generation(lambda *step: self.add('create', *step), key_file,
                                      iface.label())
        target = wireguard.Target(self.netns_of(iface.node), iface.name, iface.label(),
                                  iface.wireguard, key_file, self.peer_key)
        changes = wireguard.plan_config(lambda *step: self.add('change', *step), target,
                                        self.wg_reading(iface) if now is not None else None)
        if now is not None:
            for field, (have, want) in sorted(changes.items()):
                self.record_change(iface_ref(iface), 'wireguard.' + field, have, want)

    def team_port(self, iface):
        master = self.lab.ifaces.get((iface.node, iface.master)) if iface.master else None
        return master is not None and master.kind == 'team'

    # -- teams (their daemon's steps are the teamd module's TeamSteps) ---------
    def daemon(self, iface):
        return Daemon(self.kernel.module, self.netns_of(iface.node), iface.name)

    def start_teamd(self, iface):
        """A failed start stops the daemon, removes its files and gives the
        ports their admin state back; the undo does the same. Ports that
        another master holds are vetted as for any master (port take-over)."""
        for port in iface.ports:
            now = self.now(self.lab.ifaces[(iface.node, port)])
            if now is not None and now['master'] not in ('', iface.name) and \
                    not self._owned_link(iface.node, now['master']):
                self.guard.vet(Touch(now, ENSLAVE, master=iface.name))
        steps = team_steps(self.kernel, self.session(iface.node), self.daemon(iface))
        config = iface.teamd_config
        text = 'start teamd for team %s in node %s (runner %s, ports %s)' % (
            iface.name, iface.node, config['runner']['name'],
            ', '.join(iface.ports) or 'none')
        self.add('create', text, lambda: steps.start(config), steps.undo_start)

    def plan_iface(self, iface):
        now = self.now(iface)
        if now is None:
            self.plan_create(iface)
            return
        if iface.master and now['master'] == iface.master and \
                (iface.node, iface.master) in self.fresh:
            # its master is re-created: deleting the old one released this
            # port and dropped its port settings; a bond took it down too
            released = dict(now, master='', port_kind=None, port_data={})
            if self.lab.ifaces[(iface.node, iface.master)].spec.ports_down:
                released['admin_state'] = 'down'
            now = released
        self.plan_change(iface, now)

    def plan_create(self, iface):
        if iface.key not in self.fresh:
            self.report.added.append(iface_ref(iface))
        self.fresh.add(iface.key)
        if iface.peer is not None:
            if iface.primary:
                self.create_veth(iface, iface.peer)
        elif iface.teamd_config is not None:
            self.start_teamd(iface)
        else:
            self.create_device(iface)
            self.plan_tables(iface, {})
            node = self.tap_node(iface)
            if node is not None:
                node.plan(link_created=True)
            if iface.wireguard is not None:
                self.plan_wireguard(iface, None)
        if iface.master and not self.enslaved_at_creation(iface) and \
                not self.team_port(iface):
            # a new link is down, so a bond takes it as it is
            self.plan_enslave(iface.node, iface.name, iface.master, None)
            self.plan_port_options(iface, None)
        self.plan_addresses(iface.node, iface.name, iface.label(), iface.addresses, [],
                            fresh=True)
        self.plan_impairment(iface, None)
        self.plan_up(iface, None)

    def enslaved_at_creation(self, iface):
        """Only the end whose request creates the pair can name its master,
        and only a bridge: bridges are created before any veth."""
        return bool(iface.primary and iface.master and
                    self.lab.ifaces[(iface.node, iface.master)].kind == 'bridge')

    def create_veth(self, iface, peer):
        session = self.session(iface.node)
        text = 'create veth %s in node %s with peer %s in node %s' % (
            iface.name, iface.node, peer.name, peer.node)
        master = iface.master if self.enslaved_at_creation(iface) else None
        if master:
            text += ', as a port of %s' % master

        def run():
            link_steps.create_veth(session, iface.name, peer.name, self.netns_of(peer.node), text,
                                   attrs=iface.attrs, peer_attrs=peer.attrs, master=master)
        self.add('create', text, run, self._delete(iface.node, iface.name, text))

    def plan_tables(self, iface, data):
        """A link's table entries (a vxlan's forwarding entries), the
        modules' way (plan_tables): the list described is the whole set."""
        plan_tables(lambda *step: self.add('change', *step), self.session(iface.node),
                    iface.name, iface.label(), iface.spec, iface.options, data)

    def create_device(self, iface):
        session = self.session(iface.node)
        text = 'create %s' % iface.label()
        named = attribute_options(iface.spec, iface.options)
        if iface.parent is not None:
            # named in the step, so that a kernel refusal says which value it was
            named.update(iface.attrs)
        if named:
            text += ' with %s' % describe(named)
        parent = None
        if iface.parent is not None:
            parent = (self.session(iface.parent[0]), iface.parent[1])
            if iface.parent != (iface.node, None):
                text += ' ' + parent_text(iface, 'on')

        def run():
            link_steps.create_link(session, iface.name, iface.spec, text, iface.options,
                                   iface.attrs, parent=parent)
        self.add('create', text, run, self._delete(iface.node, iface.name, text))

    def plan_change(self, iface, now):
        if iface.kind == 'bond':
            try:
                bond_rules.monitor_switch(iface.options, iface.spec.current(now['data']))
            except InputError as err:
                raise InputError('%s.options.%s' % (iface.field, err))
        wanted = self.wanted(iface, now)
        diff = differences(wanted, now)
        if not self.ours(now):
            diff['mark'] = (now['alias'], self.lab.mark)
        if now['admin_state'] != 'up':
            diff['admin_state'] = (now['admin_state'], 'up')
        impaired = self.plan_impairment(iface, now)
        if impaired:
            diff['impairment'] = impaired
        node = self.tap_node(iface)
        if node is not None:
            before = len(self.steps['change'])
            node.plan(link_created=False)
            if len(self.steps['change']) != before:
                diff['device'] = (node.before(), node.after())
        for field, (have, want) in sorted(diff.items()):
            self.record_change(iface_ref(iface), field, have, want)
        attrs = dict((key, iface.attrs[key]) for key in ('mtu', 'mac_address') if key in diff)
        if attrs:
            self.set_attrs(iface, attrs, dict((key, now[key]) for key in attrs))
        options = attribute_options(iface.spec, dict(
            (o.name, iface.options[o.name])
            for o in iface.spec.differences(iface.options, now['data'])))
        if options:
            self.set_options(iface, options, now['data'])
        self.plan_tables(iface, now['data'])
        if iface.wireguard is not None:
            self.plan_wireguard(iface, now)
        if 'master' in diff:
            if wanted.master and now['master'] and not self._owned_link(iface.node,
                                                                        now['master']):
                self.guard.vet(Touch(now, ENSLAVE, master=wanted.master))
            self.plan_enslave(iface.node, iface.name, wanted.master, now['master'],
                              bond=self._is_bond(iface.node, wanted.master),
                              was_up=now['admin_state'] == 'up',
                              old_bond=self._kind_now(iface.node, now['master']) == 'bond')
        self.plan_port_options(iface, None if 'master' in diff else now)
        purge = wanted.purge_addresses
        have = now['addresses']
        if 'master' in diff and now['admin_state'] == 'up' and \
                (self._cycles_ports(iface.node, wanted.master) or
                 self._cycles_ports(iface.node, now['master'])):
            # the master cycles the port as it takes or releases it: its
            # IPv6 addresses are gone by the address phase, so added again
            lost = link_steps.ipv6_addresses(have)
            have = [cidr for cidr in have if cidr not in lost]
        self.plan_addresses(iface.node, iface.name, iface.label(), iface.addresses,
                            have, purge=purge)
        if 'master' in diff and now['master'] and \
                self._kind_now(iface.node, now['master']) == 'bond':
            # the kernel closes a port it releases from a bond (and a bond
            # takes only ports that are down): bring it up again
            now = dict(now, admin_state='down')
        self.plan_up(iface, now)

    def _owned_link(self, node_name, name):
        ns = self.reading(node_name)
        return self.ours(ns['links'].get(name) if ns else None)

    def _is_bond(self, node_name, name):
        iface = self.lab.ifaces.get((node_name, name)) if name else None
        return iface is not None and iface.kind == 'bond'

    def _cycles_ports(self, node_name, name):
        """Does this master (described or read) cycle its ports (a VRF)?"""
        iface = self.lab.ifaces.get((node_name, name)) if name else None
        kind = iface.kind if iface is not None else self._kind_now(node_name, name)
        spec = by_netlink_kind(kind) if kind else None
        return spec is not None and spec.cycles_ports

    def _kind_now(self, node_name, name):
        ns = self.reading(node_name)
        view = ns['links'].get(name) if ns and name else None
        return view['kind'] if view else None

    def plan_port_options(self, iface, now):
        """A bond port's settings (prio, queue_id), sent as IFLA_INFO_SLAVE_DATA
        after it joins (now None: it joins in this run, and the kernel gives
        a joining port its defaults) or where they differ."""
        if not iface.port_options or not self._is_bond(iface.node, iface.master):
            return
        if now is None:
            changes, old = dict(iface.port_options), {}
        else:
            changes = dict((o.name, iface.port_options[o.name]) for o in BOND.differences(
                iface.port_options, now['port_data'], port=True))
            current = BOND.current(now['port_data'], port=True)
            old = dict((k, current[k]) for k in changes if k in current)
            for key, value in sorted(changes.items()):
                self.record_change(iface_ref(iface), 'port.' + key, current.get(key), value)
        if not changes:
            return
        session, label = self.session(iface.node), iface.label()
        what = 'changing port settings of %s' % label
        # a port that joins in this run has nothing to put back: the undo of
        # its joining, next in the undo order, releases it with its settings
        undo = link_steps.port_settings_step(session, iface.name, what, BOND, old) if old \
            else undone_with_its_object
        self.add('enslave', 'set port %s on %s' % (describe(changes), label),
                 link_steps.port_settings_step(session, iface.name, what, BOND, changes), undo)

    def record_change(self, ref, field, have, want):
        """Record a field change under its object's entry in plan.changed."""
        key = tuple(sorted(ref.items()))
        entry = self.changed_entries.get(key)
        if entry is None:
            entry = self.changed_entries[key] = dict(ref, changes={})
            self.report.changed.append(entry)
        entry['changes'][field] = {'before': have, 'after': want}

    def set_attrs(self, iface, attrs, old):
        text = 'set %s on %s' % (describe(attrs), iface.label())
        session = self.session(iface.node)
        self.add('change', text, link_steps.set_link_step(session, iface.name, text, **attrs),
                 link_steps.set_link_step(session, iface.name, text, **old))

    def set_options(self, iface, options, data):
        text = 'set %s on %s' % (describe(options), iface.label())
        self.add('change', text, *link_steps.change_options(
            self.session(iface.node), iface.name, text, iface.spec, options, data))

    def plan_enslave(self, node_name, name, master, old_master, bond=False, was_up=False,
                     old_bond=False):
        """was_up: the port's admin state before the run, which the undo
        restores (a bond takes ports down first and closes them when it
        releases them); old_bond: the old master is a bond, which takes the
        port back only down."""
        session = self.session(node_name)
        if master:
            text = 'attach %s to %s in node %s' % (name, master, node_name)
        else:
            text = 'release %s from %s in node %s' % (name, old_master, node_name)
        self.add('enslave', text,
                 link_steps.attach_step(session, name, text, master, take_down=bond,
                                        was_up=was_up),
                 link_steps.attach_step(session, name, text, old_master or '',
                                        take_down=old_bond, was_up=was_up,
                                        admin_state='up' if was_up else None))

    # -- addresses --------------------------------------------------------------
    def plan_addresses(self, node_name, name, label, wanted, have, purge=False, keep=(),
                       ref=None, fresh=False):
        """ref: the node whose loopback addresses these are (a prune removes
        what the lab no longer names; the report records the change)."""
        session = self.session(node_name)
        removed, added = link_steps.address_steps(
            lambda *step: self.add('address', *step), session, name, label, wanted, have,
            purge=purge or (ref is not None and self.lab.prune), keep=keep)
        if ref is not None and (removed or (added and not fresh)):
            self.record_change(ref, 'loopback', have, list(wanted))

    # -- up and mark --------------------------------------------------------------
    def plan_up(self, iface, now):
        have_alias = now['alias'] if now else ''
        have_state = now['admin_state'] if now else 'down'
        if have_alias == self.lab.mark and have_state == 'up':
            return
        if have_state == 'up':
            text = 'mark %s' % iface.label()
        elif have_alias == self.lab.mark:
            text = 'bring up %s' % iface.label()
        else:
            text = 'mark and bring up %s' % iface.label()
        self.add('up', text,
                 self._set_link(iface.node, iface.name, text,
                                {'alias': self.lab.mark, 'admin_state': 'up'}),
                 self._set_link(iface.node, iface.name, text,
                                {'alias': have_alias, 'admin_state': have_state}))

    # -- impairment (netem) ---------------------------------------------------
    def plan_impairment(self, iface, now):
        """Returns (have, want) when the qdisc changes. Qdiscs are read only
        where the lab uses impairments (see read_lab), so a lab without any
        costs no qdisc dumps."""
        from ansible_collections.vnet.linux.plugins.module_utils._netlink import netem
        ns = self.reading(iface.node)
        have = ns.get('qdiscs', {}).get(now['index']) if (ns and now) else None
        if (iface.impairment or None) == (have or None):
            return None
        session = self.session(iface.node)
        if iface.impairment:
            text = 'set impairment %s on %s' % (netem.describe(iface.impairment), iface.label())
            self.add('impair', text, netem.setter(session, iface.name, iface.impairment, text),
                     netem.setter(session, iface.name, have, text))
        else:
            text = 'remove impairment from %s' % iface.label()
            self.add('impair', text, netem.setter(session, iface.name, None, text),
                     netem.setter(session, iface.name, have, text))
        return (have, iface.impairment)

    # -- prune ----------------------------------------------------------------------
    def plan_prune(self):
        described = set((self.lab.nodes[i.node].netns, i.name) for i in self.lab.ifaces.values())
        node_netns = set(node.netns for node in self.lab.nodes.values())
        for netns, ns in sorted(self.current.items(), key=lambda item: str(item[0])):
            if ns is None:
                continue
            if netns not in node_netns:
                if ns['mark'] == self.lab.mark:
                    self.add('remove', 'remove namespace %s (left the lab)%s' % (
                        netns, self.vet_collateral(namespaces=[netns])),
                        self._remove_netns(netns))
                    self.report.removed.append({'type': 'node', 'name': netns})
                    continue
            for name, view in sorted(ns['links'].items()):
                if (netns, name) in described or not self.ours(view) or name == 'lo':
                    continue
                node = self.lab.node_of_netns(netns)
                node_name = node.name if node else netns
                self.delete_link(node_name, view, '%s %s in %s (left the lab)' % (
                    view['kind'] or 'link', name, 'node %s' % node_name if node else
                    _where(netns)), netns=netns)
                self.report.removed.append({'type': 'bridge' if view['kind'] == 'bridge'
                                            else 'link', 'kind': view['kind'],
                                            'node': node_name, 'name': name})

    def delete_link(self, node_name, view, label, netns=False, and_then=None):
        if netns is False:
            session = self.session(node_name)
        else:
            session = self.kernel.session(netns)
        name = view['name']
        label += self.vet_collateral(links=[(session.netns, view['index'])])
        if view['kind'] in lower.TAP_KINDS:
            path = tapdev.node_path(session.netns, name)
            if tapdev.node_state(path) is not None and and_then is None:
                # a re-created tap gets its node replaced after the create
                self.add('remove', 'remove device node %s' % path,
                         lambda: tapdev.remove_node(path))
        if view['kind'] == 'team':
            steps = team_steps(self.kernel, session, Daemon(self.kernel.module, session.netns,
                                                            name))
            self.add('remove', 'stop teamd and delete %s' % label, steps.stop,
                     steps.undo_stop)
            return

        def run():
            session.forget_indexes()
            try:
                index = session.index(name)
            except NetlinkFailure:
                return  # gone already with a link deleted before (its peer or parent)
            session.raw('deleting %s' % label, rtnl.delete_link, index)
            self.kernel.forget_indexes()
        # a later step that fails brings the link back (see _engine/restore.py),
        # and then its device node (a tap's)
        removal = Removal(session, name, forget=self.kernel.forget_indexes)
        self.add('remove', 'delete %s' % label, lambda: removal.delete(run),
                 lower.chained(removal.restore, and_then))

    def vet_collateral(self, links=(), namespaces=()):
        """What the kernel deletes along with these links or namespaces, vetted
        by the guard (the lab's mark owns what it marked); returns the text
        that names it in the step."""
        return self.guard.vet_collateral(
            dying_with(self.guard.host, links=links, namespaces=namespaces))

    # -- generic setters --------------------------------------------------------------
    def _set_link(self, node_name, name, text, changes):
        """A step body for `link set` of common attributes and admin state."""
        return link_steps.set_link_step(self.session(node_name), name, text, **changes)

    def _delete(self, node_name, name, text):
        session = self.session(node_name)

        def run():
            link_steps.delete_link(session, name, 'undoing ' + text)
            self.kernel.forget_indexes()
        return run


def parent_text(iface, verb):
    """'parent is not eth0 in node h1' / 'underlay is not node h1' (verb
    'is not'); 'on eth0 in node h1' / 'over underlay node h1' (verb 'on')."""
    node, name = iface.parent
    if verb == 'on':
        return ('on %s in node %s' % (name, node)) if name else 'over underlay node %s' % node
    if name is None:
        return 'underlay %s node %s' % (verb, node)
    return 'parent %s %s in node %s' % (verb, name, node)


def team_steps(kernel, session, daemon):
    """The steps of one team; link indexes are read again once its device
    came or went."""
    return TeamSteps(session, daemon, refresh=kernel.forget_indexes)


def lab_guard(kernel, lab, current, options=None):
    """The guard of a lab's run: the lab's mark owns what it marked; links
    are read from the run's readings where it has them."""
    options = options or {}

    def links_of(netns):
        reading = current.get(netns)
        return list(reading['links'].values()) if reading else None
    guard = Guard(kernel.session, allow_disruptive=options.get('allow_disruptive', False),
                  allow_collateral=options.get('allow_collateral', False),
                  allow_port_takeover=options.get('allow_port_takeover', False),
                  lab=lab.name, owns=lambda view: view.get('alias') == lab.mark)
    guard.host = HostLinks(kernel.session, links_of=links_of)
    return guard


def _where(netns):
    return 'namespace %s' % netns if netns else 'the root namespace'


describe = link_steps.describe


__all__ = ['Planner', 'PHASES', 'describe', 'team_steps', 'BRIDGE']
