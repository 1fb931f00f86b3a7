#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vlan
short_description: Manage 802.1Q and 802.1ad VLAN interfaces, in any network namespace
description:
  - Creates, changes and deletes a VLAN interface on a parent device. Frames
    it sends get the VLAN tag, frames the parent receives with that tag come
    up through it.
  - A VLAN on a VLAN stacks tags (QinQ), for example an 802.1ad service
    VLAN with 802.1Q customer VLANs on it.
  - The VLAN may live in another namespace than its parent (it is created
    in the parent's namespace and placed into O(netns) in the same netlink
    request), for example a trunk on the host and each VLAN in its own lab
    node.
  - The flags and the QoS maps change in place. The kernel keeps O(id) and
    O(protocol) for the life of the interface, so changing either re-creates
    it (its addresses, master and state are carried over; a failure later
    in the run builds the old one again).
  - Needs a kernel with 802.1Q support (C(CONFIG_VLAN_8021Q), module C(8021q)).
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.safety
  - vnet.linux.lower
  - vnet.linux.vlan
seealso:
  - module: vnet.linux.bridge
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: VLAN 10 of trunk eth1, in node1
  vnet.linux.vlan:
    name: eth1.10
    netns: node1
    link: eth1
    id: 10
    addresses: [10.10.0.1/24]
    admin_state: up

- name: QinQ, an 802.1ad service VLAN on the host's trunk, a customer VLAN on it in node1
  vnet.linux.vlan:
    name: "{{ item.name }}"
    netns: "{{ item.netns }}"
    link: "{{ item.link }}"
    link_netns: "{{ item.link_netns }}"
    id: "{{ item.id }}"
    protocol: "{{ item.protocol }}"
  loop:
    - {name: svc100, netns: sw, link: trunk0, link_netns: sw, id: 100, protocol: 802.1ad}
    - {name: cust20, netns: node1, link: svc100, link_netns: sw, id: 20, protocol: 802.1Q}

- name: Priority 5 traffic leaves with PCP 5; PCP 3 arrives as priority 3
  vnet.linux.vlan:
    name: eth1.20
    netns: node1
    link: eth1
    id: 20
    egress_qos_map: {5: 5}
    ingress_qos_map: {3: 3}
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create vlan eth1.10 in namespace 'node1' on eth1 in namespace 'node1' with id=10"]
link:
  description: The VLAN as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: eth1.10
    netns: node1
    kind: vlan
    admin_state: up
    addresses: [10.10.0.1/24]
    options:
      id: 10
      protocol: 802.1Q
      reorder_hdr: true
      gvrp: false
      mvrp: false
      loose_binding: false
      bridge_binding: false
      egress_qos_map: {}
      ingress_qos_map: {}
    link: eth1
    link_netns: node1
'''

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import VLAN


def main():
    lower.run_module(VLAN)


if __name__ == '__main__':
    main()
