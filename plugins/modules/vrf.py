#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vrf
short_description: Manage VRF devices and their ports in any network namespace
description:
  - Creates, changes and deletes a VRF (virtual routing and forwarding)
    device, and enslaves links to it. The ports of a VRF route through the
    VRF's own table, so two VRFs of one namespace can use the same
    (overlapping) addresses without seeing each other.
  - Every setting given is compared with what the kernel reports and only
    what differs is changed. Settings that are omitted are left as they are.
  - Ports must already exist in the VRF's namespace. They are enslaved as
    they are (a VRF, unlike a bond, takes ports that are up). Deleting the
    VRF releases its ports; it never deletes them.
  - Routes of the VRF's table are added with M(vnet.linux.topology) (a
    route's C(vrf) or C(table)) or C(ip route add ... vrf NAME).
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.vrf
  - vnet.linux.safety
options:
  ports:
    description:
      - Interfaces to enslave to the VRF, by name, in its namespace. A port
        of another master is taken over only with O(allow_port_takeover=true).
      - Ports the VRF has that are not listed are kept unless O(purge_ports=true).
    type: list
    elements: str
    default: []
  purge_ports:
    description: Release ports of the VRF that are not listed in O(ports) (they are not deleted).
    type: bool
    default: false
seealso:
  - module: vnet.linux.topology
  - module: vnet.linux.veth
  - module: vnet.linux.bond
'''

EXAMPLES = r'''
- name: VRF red in router r1, table 10, with two ports
  vnet.linux.vrf:
    name: red
    netns: r1
    table: 10
    ports: [r1-a, r1-b]
    admin_state: up

- name: Move red to table 20 (the kernel re-creates it; its ports are enslaved again)
  vnet.linux.vrf:
    name: red
    netns: r1
    table: 20

- name: Exactly these ports, no others
  vnet.linux.vrf:
    name: red
    netns: r1
    table: 20
    ports: [r1-a]
    purge_ports: true

- name: Remove it (its ports are released, not deleted)
  vnet.linux.vrf:
    name: red
    netns: r1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample:
    - "create vrf red in namespace 'r1' with table=10"
    - "bring vrf red in namespace 'r1' up"
    - "attach link r1-a in namespace 'r1' to red"
link:
  description: The VRF as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: red
    netns: r1
    kind: vrf
    admin_state: up
    mtu: 65575
    mac_address: "36:d8:40:77:f9:13"
    master: ""
    addresses: []
    options: {table: 10}
ports:
  description: Names of the VRF's ports after the run.
  returned: always
  type: list
  elements: str
  sample: [r1-a, r1-b]
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.ports import converge_master
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import VRF


def main():
    module = StrictModule(
        argument_spec=link_argument_spec(
            VRF.argument_spec(),
            ports=dict(type='list', elements='str', default=[]),
            purge_ports=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    LinkRun(module).run(lambda run: converge_master(run, VRF))


if __name__ == '__main__':
    main()
