#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: bond
short_description: Manage Linux bonds and their ports in any network namespace
description:
  - Creates, changes and deletes a bonding device with every setting of the
    kernel's bonding driver, and enslaves ports with per-port settings.
  - Every setting given is compared with what the kernel reports and only
    what differs is changed. Settings that are omitted are left as they are.
  - Settings that do not fit the bond's mode (the one given, else the
    current one, else C(balance-rr)) are refused before anything changes,
    with a message naming the mode, as the kernel would refuse them half-way.
  - Ports must already exist in the bond's namespace. A port must be down to
    be enslaved, so a port that is up is taken down, enslaved, then brought
    up again; ports of the bond are kept up. Deleting the bond releases its
    ports (the kernel leaves them down); it never deletes them.
  - The kernel changes O(mode), O(lacp_rate), O(lacp_active), O(ad_select),
    O(ad_user_port_key) and O(tlb_dynamic_lb) only while the bond is down.
    A bond that is up is taken down for the change and brought up again
    (listed in RV(actions)).
  - The kernel changes O(mode) and O(fail_over_mac) only while the bond has
    no ports. Changing them on a bond with ports fails with an explanation,
    unless O(recreate=true), which deletes the bond and creates it again
    with all settings, then enslaves its ports again (traffic through the
    bond stops meanwhile). This is never done silently.
  - Times are in milliseconds, as the kernel counts them.
  - Needs a kernel with bonding (C(CONFIG_BONDING)).
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.bond
  - vnet.linux.safety
options:
  recreate:
    description:
      - Allow deleting and re-creating the bond when O(mode) or
        O(fail_over_mac) must change while it has ports (see above).
    type: bool
    default: false
  primary:
    description:
      - Port that is preferred as the active one (modes C(active-backup),
        C(balance-tlb), C(balance-alb)). An empty string clears it.
    type: str
  active_port:
    description:
      - Make this port the active one now (modes C(active-backup),
        C(balance-tlb), C(balance-alb)); the bond must be up and the port's
        link up. Failovers change it later; a new run sets it back.
    type: str
  ports:
    description:
      - Interfaces to enslave to the bond, with their port settings, in this
        order. Settings omitted are left as they are.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Interface name, in the bond's namespace.
        type: str
        required: true
      prio:
        description: Port priority for the choice of the active port (modes C(active-backup), C(balance-tlb), C(balance-alb)).
        type: int
      queue_id:
        description: Transmit queue of the bond that sends through this port (0 = any).
        type: int
  purge_ports:
    description: Release ports of the bond that are not listed in O(ports) (they are not deleted).
    type: bool
    default: false
seealso:
  - module: vnet.linux.veth
  - module: vnet.linux.bridge
'''

EXAMPLES = r'''
- name: An active-backup bond of two veth ends in node1
  vnet.linux.bond:
    name: bond0
    netns: node1
    mode: active-backup
    miimon: 100
    primary: p1
    addresses: [10.0.2.1/24]
    admin_state: up
    ports:
      - name: p1
        prio: 10
      - name: p2

- name: LACP with fast rate and a layer3+4 hash
  vnet.linux.bond:
    name: bond1
    mode: 802.3ad
    miimon: 100
    lacp_rate: fast
    xmit_hash_policy: layer3+4
    ad_actor_system: "02:00:00:00:00:10"
    ports:
      - name: eth1
      - name: eth2

- name: Switch an existing bond with ports to 802.3ad (deletes and re-creates it)
  vnet.linux.bond:
    name: bond0
    netns: node1
    mode: 802.3ad
    recreate: true
    ports:
      - name: p1
      - name: p2
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample:
    - "create bond bond0 in namespace 'node1' with miimon=100, mode=active-backup"
    - "take link p1 in namespace 'node1' down (a port must be down to be enslaved)"
    - "attach link p1 in namespace 'node1' to bond0"
link:
  description: The bond as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: bond0
    netns: node1
    kind: bond
    admin_state: up
    options: {mode: active-backup, miimon: 100, updelay: 0}
    primary: p1
    active_port: p1
ports:
  description: The listed ports after the run, with their settings.
  returned: always
  type: list
  elements: dict
  sample:
    - name: p1
      master: bond0
      port_options: {queue_id: 0, prio: 10}
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._kinds import bond as bond_rules
from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    other_kind,
    plan_delete,
    public,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import BOND
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
    wanted_end,
)

PORT_OPTIONS = dict(BOND.argument_spec(port=True), name=dict(type='str', required=True))


def converge(run):
    params = run.module.params
    probe = wanted_end(params, BOND)
    now = run.read(probe.netns, probe.name, 'netns')
    if now is not None and now['kind'] != 'bond':
        raise other_kind(probe.name, probe.netns, now, 'bond')
    if params['state'] == 'absent':
        before = {'link': public(now, BOND), 'ports': []}
        if now is not None:
            plan_delete(run.plan, run.session(probe.netns), now, run.guard)
        run.finish(before, {'link': {}, 'ports': []}, lambda: {'link': {}, 'ports': []})
        return
    settings = dict((name, params.get(name)) for name in bond_rules.SETTINGS)
    current = BOND.current(now['data']) if now else {}
    mode = settings['mode'] or current.get('mode') or bond_rules.DEFAULT_MODE
    named = dict((key, params.get(key)) for key in ('primary', 'active_port'))
    for key, value in named.items():
        if value:
            validate.interface_name(value, key)
    misfits = bond_rules.mode_misfits(mode, dict(settings, **named), params['ports'])
    if misfits:
        raise validate.InputError('; '.join(misfits))
    settings = bond_rules.check_settings(settings, current.get('miimon'))
    bond_rules.monitor_switch(settings, current)
    bond_rules.check_ports(params['ports'], probe.name)
    bond = wanted_end(params, BOND, options=settings)
    planner = bond_rules.BondPlanner(run, bond, dict(named, recreate=params['recreate'],
                                                     purge_ports=params['purge_ports']),
                                     params['ports'], now)
    planner.plan()
    names = [port['name'] for port in params['ports']]
    before = {'link': planner.view(now) if now else {},
              'ports': planner.port_views(names) if now else []}
    link_after = planner.predicted_view()
    after = {'link': link_after,
             'ports': planner.predicted_port_views(names, link_after.get('mtu'))}

    def reread():
        state = run.session(bond.netns).read(bond.name)
        return {'link': planner.view(state) if state else {},
                'ports': planner.port_views(names)}
    run.finish(before, after, reread)


def main():
    module = StrictModule(
        argument_spec=link_argument_spec(
            recreate=dict(type='bool', default=False),
            ports=dict(type='list', elements='dict', default=[], options=PORT_OPTIONS),
            purge_ports=dict(type='bool', default=False),
            **bond_rules.BOND_OPTIONS
        ),
        supports_check_mode=True,
    )
    LinkRun(module).run(converge)


if __name__ == '__main__':
    main()
