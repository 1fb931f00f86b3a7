#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: ipvlan
short_description: Manage ipvlan interfaces on a parent device, in any network namespace
description:
  - Creates, changes and deletes an ipvlan interface stacked on a parent
    device. All ipvlans of a parent share its MAC address and are told apart
    by their IP addresses.
  - The ipvlan may live in another namespace than its parent (it is created
    in the parent's namespace and placed into O(netns) in the same netlink
    request).
  - O(mode) and O(flags) change in place. They belong to the parent in the
    kernel, so changing them on one ipvlan changes them for every ipvlan of
    that parent. Another parent re-creates the interface.
  - Needs a kernel with ipvlan (C(CONFIG_IPVLAN)); O(mode=l3s) also needs
    netfilter.
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.safety
  - vnet.linux.lower
  - vnet.linux.ipvlan
options:
  mac_address:
    description:
      - Not settable; an ipvlan always has its parent's MAC address (the
        module fails if it is given).
    type: str
seealso:
  - module: vnet.linux.ipvtap
  - module: vnet.linux.macvlan
'''

EXAMPLES = r'''
- name: Two namespaces on one parent on the host, in l2 mode
  vnet.linux.ipvlan:
    name: "ipv{{ item }}"
    netns: "node{{ item }}"
    link: v-lab
    link_netns: ""  # the root namespace
    mode: l2
    addresses: ["10.0.1.{{ item }}/24"]
    admin_state: up
  loop: [1, 2]

- name: Parent in host1, ipvlan in node1, routed (l3)
  vnet.linux.ipvlan:
    name: ipv0
    netns: node1
    link: eth1
    link_netns: host1
    mode: l3
    flags: private
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create ipvlan ipv1 in namespace 'node1' on v-lab in the root namespace with mode=l2"]
link:
  description: The ipvlan as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: ipv1
    netns: node1
    kind: ipvlan
    admin_state: up
    addresses: [10.0.1.1/24]
    options: {mode: l2, flags: bridge}
    link: v-lab
    link_netns: null
'''

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import IPVLAN


def main():
    lower.run_module(IPVLAN)


if __name__ == '__main__':
    main()
