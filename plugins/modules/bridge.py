#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: bridge
short_description: Manage Linux bridges and their ports in any network namespace
description:
  - Creates, changes and deletes a Linux bridge, with STP, ageing, VLAN
    filtering and multicast settings, and enslaves ports with per-port
    settings and VLANs.
  - Every setting given is compared with what the kernel reports and only
    what differs is changed. Settings that are omitted are left as they are.
  - Ports must already exist in the bridge's namespace (for example a veth
    end placed there with M(vnet.linux.veth)). Deleting the bridge releases
    its ports; it never deletes them.
  - Timers are given in seconds (the kernel counts hundredths of a second).
  - In diff mode, before and after show the bridge and the listed ports, each
    port with its settings and its VLAN membership (C(vlans), as in RV(ports)).
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.bridge
  - vnet.linux.safety
options:
  ports:
    description:
      - Interfaces to enslave to the bridge, with their port settings.
        Settings omitted are left as they are.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Interface name, in the bridge's namespace.
        type: str
        required: true
      cost:
        description: STP path cost of the port.
        type: int
      priority:
        description: STP port priority (0 to 63).
        type: int
      hairpin:
        description: Send frames back out of the port they came in on (reflective relay).
        type: bool
      isolated:
        description: Isolated port; isolated ports cannot talk to each other.
        type: bool
      learning:
        description: Learn source MAC addresses on this port.
        type: bool
      flooding:
        description: Flood unknown unicast traffic to this port.
        type: bool
      mcast_flood:
        description: Flood unknown multicast traffic to this port.
        type: bool
      bcast_flood:
        description: Flood broadcast traffic to this port.
        type: bool
      vlans:
        description:
          - The complete VLAN membership of the port (needs O(vlan_filtering=true)).
            VLANs the port has but that are not listed are removed. Omit to
            leave the port's VLANs as they are.
        type: list
        elements: dict
        suboptions:
          vid:
            description: A VLAN id (C(10)) or an inclusive range (C(100-110)), 1 to 4094.
            type: str
            required: true
          pvid:
            description: Untagged ingress traffic is put in this VLAN (one per port).
            type: bool
            default: false
          untagged:
            description: Egress traffic of this VLAN leaves the port untagged.
            type: bool
            default: false
  purge_ports:
    description: Release ports of the bridge that are not listed in O(ports) (they are not deleted).
    type: bool
    default: false
seealso:
  - module: vnet.linux.veth
  - module: vnet.linux.netns
'''

EXAMPLES = r'''
- name: A switch in its own namespace
  vnet.linux.bridge:
    name: br0
    netns: sw
    stp: false
    admin_state: up
    ports:
      - name: p1
      - name: p2
        cost: 10
        isolated: true

- name: A VLAN-aware bridge (needs CONFIG_BRIDGE_VLAN_FILTERING)
  vnet.linux.bridge:
    name: br1
    netns: sw
    vlan_filtering: true
    default_pvid: 1
    admin_state: up
    ports:
      - name: trunk0
        vlans:
          - vid: 10-20
      - name: access0
        vlans:
          - vid: "10"
            pvid: true
            untagged: true
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create bridge br0 in namespace 'sw'", "attach link p1 in namespace 'sw' to br0"]
link:
  description: The bridge as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: br0
    netns: sw
    kind: bridge
    admin_state: up
    mtu: 1500
    options: {stp: false, forward_delay: 15.0, priority: 32768, ageing_time: 300.0}
ports:
  description: The bridge's ports after the run, with their settings and VLANs.
  returned: always
  type: list
  elements: dict
  sample:
    - name: p1
      port_options: {cost: 2, priority: 32, hairpin: false, learning: true}
      vlans: []
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    EngineError,
    Wanted,
    other_kind,
    plan_delete,
    plan_link,
    predicted,
    public,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import BRIDGE
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
    wanted_end,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    BRIDGE_VLAN_INFO_PVID,
    BRIDGE_VLAN_INFO_UNTAGGED,
    namespace_exists,
    where,
)

PORT_SETTINGS = [option.name for option in BRIDGE.port_options]
BRIDGE_SETTINGS = [option.name for option in BRIDGE.options]

VLAN_OPTIONS = dict(
    vid=dict(type='str', required=True),
    pvid=dict(type='bool', default=False),
    untagged=dict(type='bool', default=False),
)
PORT_OPTIONS = dict(
    BRIDGE.argument_spec(port=True),
    name=dict(type='str', required=True),
    vlans=dict(type='list', elements='dict', options=VLAN_OPTIONS),
)


def parse_vlans(vlans, field):
    """[{'vid': '10-12', 'pvid':..}] -> {10: {...}, 11: {...}, 12: {...}}."""
    result = {}
    for pos, entry in enumerate(vlans):
        where_ = '%s[%d].vid' % (field, pos)
        text = str(entry['vid']).strip()
        try:
            low, _sep, high = text.partition('-')
            low, high = int(low), int(high or low)
        except ValueError:
            raise validate.InputError('%s: %r is not a VLAN id or range like 10-20'
                                      % (where_, entry['vid']))
        if not 1 <= low <= high <= 4094:
            raise validate.InputError('%s: %r must be within 1..4094 (low-high)'
                                      % (where_, entry['vid']))
        for vid in range(low, high + 1):
            if vid in result:
                raise validate.InputError('%s: VLAN %d is listed twice' % (field, vid))
            result[vid] = {'pvid': entry['pvid'], 'untagged': entry['untagged']}
    if sum(1 for flags in result.values() if flags['pvid']) > 1:
        raise validate.InputError('%s: only one VLAN can be the pvid of a port' % field)
    return result


def wanted_ports(params, bridge):
    ports, seen = [], set()
    for pos, port in enumerate(params['ports'] or []):
        field = 'ports[%d]' % pos
        name = validate.interface_name(port['name'], field + '.name')
        if name in seen:
            raise validate.InputError('%s.name: port %s is listed twice' % (field, name))
        if name == bridge.name:
            raise validate.InputError('%s.name: a bridge cannot be its own port' % field)
        seen.add(name)
        BRIDGE.clean(port, lambda option, field=field: '%s.%s' % (field, option), port=True)
        wanted = Wanted(name, bridge.netns, None, master=bridge.name,
                        port_options=dict((k, port.get(k)) for k in PORT_SETTINGS))
        wanted.vlans = parse_vlans(port['vlans'], field + '.vlans') \
            if port.get('vlans') is not None else None
        ports.append(wanted)
    return ports


def plan_port(run, bridge, port, default_pvid):
    session = run.session(bridge.netns)
    now = session.read(port.name) if namespace_exists(bridge.netns) else None
    if now is None:
        elsewhere = run.locate(port.name, bridge.netns)
        hint = (' It exists in %s: a bridge port must be in the bridge\'s namespace.'
                % ', '.join(elsewhere)) if elsewhere else ''
        if run.module.check_mode:
            run.module.warn('ports: %s does not exist in %s yet; the prediction assumes '
                            'an earlier task creates it.%s' % (port.name, where(bridge.netns),
                                                               hint))
        else:
            raise EngineError('ports: %s does not exist in %s.%s'
                              % (port.name, where(bridge.netns), hint))
    plan_link(run.plan, session, port, now, run.guard, master_spec=BRIDGE,
              create=lambda *a: None)
    run.expect(port, master_spec=BRIDGE)
    if port.vlans is not None:
        plan_port_vlans(run, session, port, vlans_once_attached(session, bridge, now,
                                                                default_pvid))
    return now


def vlans_once_attached(session, bridge, now, default_pvid):
    """The VLANs a port has once it is a port of this bridge, before the
    run changes them: its own if it is one already; otherwise the kernel
    gives a joining port the bridge's default PVID, untagged."""
    if now is not None and now['master'] == bridge.name:
        return session.port_vlans(now['index'])
    return {default_pvid: {'pvid': True, 'untagged': True}} if default_pvid else {}


def joining_pvid(params, bridge_now):
    """The VLAN the kernel gives a port when it joins this bridge (0: none).

    A kernel without VLAN filtering gives none, and says so by reporting no
    default PVID. For a bridge this run creates the kernel is not known yet:
    the prediction assumes one with VLAN filtering (the kernels of the
    distributions), which a real run then reads back as it is."""
    if bridge_now is not None and 'IFLA_BR_VLAN_DEFAULT_PVID' not in bridge_now['data']:
        return 0
    if params.get('default_pvid') is not None:
        return params['default_pvid']
    if bridge_now is not None:
        return bridge_now['data']['IFLA_BR_VLAN_DEFAULT_PVID']
    return 1  # the kernel's default


def vlan_flags(flags):
    return ((BRIDGE_VLAN_INFO_PVID if flags['pvid'] else 0)
            | (BRIDGE_VLAN_INFO_UNTAGGED if flags['untagged'] else 0))


def plan_port_vlans(run, session, port, current):
    wanted = port.vlans
    add = dict((vid, flags) for vid, flags in wanted.items() if current.get(vid) != flags)
    remove = [vid for vid in current if vid not in wanted]

    def change(command, vid, flags=None):
        def run_it():
            args = {'vid': vid}
            if flags is not None:
                args['flags'] = vlan_flags(flags)
            session.call('%s VLAN %d on port %s' % (command, vid, port.name), 'vlan_filter',
                         command, index=session.index(port.name), vlan_info=args)
        return run_it
    for vid in sorted(add):
        flags = add[vid]
        text = 'add VLAN %d%s%s on port %s' % (
            vid, ' pvid' if flags['pvid'] else '', ' untagged' if flags['untagged'] else '',
            port.label)
        old = current.get(vid)
        plan_undo = change('add', vid, old) if old else change('del', vid)
        run.plan.add(text, change('add', vid, flags), plan_undo)
    for vid in sorted(remove):
        run.plan.add('remove VLAN %d from port %s' % (vid, port.label),
                     change('del', vid), change('add', vid, current[vid]))

    def check():
        have = session.port_vlans(session.index(port.name))
        if have != wanted:
            return ['port %s: VLANs are %s in the kernel, expected %s'
                    % (port.name, _vlan_text(have), _vlan_text(wanted))]
        return []
    run.checks.append(check)


def vlan_list(vlans):
    """{vid: flags} as the list the module returns (sorted by VLAN id)."""
    return [dict(vid=vid, **flags) for vid, flags in sorted(vlans.items())]


def port_before(session, now, name):
    """A port's view before the run, VLANs included (diff mode)."""
    if now is None:
        return {'name': name}
    view = public(now, None, BRIDGE)
    view['vlans'] = vlan_list(session.port_vlans(now['index'])) \
        if now['port_kind'] == 'bridge' else []
    return view


def port_after(session, bridge, port, now, default_pvid):
    """A port's predicted view after the run, VLANs included."""
    view = predicted(port, now, BRIDGE)
    view['vlans'] = vlan_list(port.vlans if port.vlans is not None else
                              vlans_once_attached(session, bridge, now, default_pvid))
    return view


def _vlan_text(vlans):
    return ', '.join('%d%s%s' % (vid, 'P' if f['pvid'] else '', 'U' if f['untagged'] else '')
                     for vid, f in sorted(vlans.items())) or 'none'


def plan_purge(run, bridge, bridge_now, listed):
    if bridge_now is None:
        return
    session = run.session(bridge.netns)
    for link in session.links():
        if link['master'] == bridge.name and link['name'] not in listed:
            release = Wanted(link['name'], bridge.netns, None, master='')
            plan_link(run.plan, session, release, link, run.guard, create=lambda *a: None)
            run.expect(release)


def port_views(run, bridge, names):
    session = run.session(bridge.netns)
    result = []
    for name in names:
        state = session.read(name)
        if state is None:
            continue
        view = public(state, None, BRIDGE)
        view['vlans'] = vlan_list(session.port_vlans(state['index']))
        result.append(view)
    return result


def converge(run):
    params = run.module.params
    options = dict((name, params.get(name)) for name in BRIDGE_SETTINGS)
    bridge = wanted_end(params, BRIDGE, options=options)
    bridge_now = run.read(bridge.netns, bridge.name, 'netns')
    if params['state'] == 'present':
        # the kernel's rules, on what the bridge will have (STP timers are
        # checked while STP runs, also when it was turned on earlier)
        is_bridge = bridge_now is not None and bridge_now['kind'] == 'bridge'
        BRIDGE.check(options, current=BRIDGE.current(bridge_now['data']) if is_bridge else {})
    if bridge_now and params.get('ageing_time') is not None and \
            BRIDGE.options_by_name['ageing_time'].unreadable(bridge_now['data']):
        run.module.warn('ageing_time: an STP topology change is in progress on %s, and '
                        'the kernel reports the short ageing time meanwhile; the '
                        'configured value cannot be compared now and is left as it is'
                        % bridge.name)
    if params['state'] == 'absent':
        before = {'link': public(bridge_now, BRIDGE), 'ports': []}
        if bridge_now is not None:
            if bridge_now['kind'] != 'bridge':
                raise other_kind(bridge.name, bridge.netns, bridge_now, 'bridge')
            plan_delete(run.plan, run.session(bridge.netns), bridge_now, run.guard)
        run.finish(before, {'link': {}, 'ports': []}, lambda: {'link': {}, 'ports': []})
        return
    ports = wanted_ports(params, bridge)
    created = plan_link(run.plan, run.session(bridge.netns), bridge, bridge_now, run.guard)
    run.expect(bridge)
    before_ports, after_ports = [], []
    session = run.session(bridge.netns)
    default_pvid = joining_pvid(params, None if created else bridge_now)
    for port in ports:
        now = plan_port(run, bridge, port, default_pvid)
        before_ports.append(port_before(session, now, port.name))
        after_ports.append(port_after(session, bridge, port, now, default_pvid))
    if params['purge_ports']:
        plan_purge(run, bridge, None if created else bridge_now, [p.name for p in ports])
    names = [p.name for p in ports]
    before = {'link': public(bridge_now, BRIDGE), 'ports': before_ports}
    after = {'link': predicted(bridge, None if created else bridge_now), 'ports': after_ports}

    def reread():
        return {'link': public(run.session(bridge.netns).read(bridge.name), BRIDGE),
                'ports': port_views(run, bridge, names)}
    run.finish(before, after, reread)


def main():
    module = StrictModule(
        argument_spec=link_argument_spec(
            BRIDGE.argument_spec(),
            ports=dict(type='list', elements='dict', default=[], options=PORT_OPTIONS),
            purge_ports=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    LinkRun(module).run(converge)


if __name__ == '__main__':
    main()
