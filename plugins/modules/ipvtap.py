#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: ipvtap
short_description: Manage ipvtap interfaces and their character devices, in any network namespace
description:
  - Creates, changes and deletes an ipvtap interface (an ipvlan with a
    character device that QEMU and other tap users open) stacked on a parent
    device, and keeps a device node for it with the owner, group and mode
    given. All ipvlans of a parent share its MAC address and are told apart
    by their IP addresses.
  - The ipvlan may live in another namespace than its parent (it is created
    in the parent's namespace and placed into O(netns) in the same netlink
    request).
  - O(mode) and O(flags) change in place. They belong to the parent in the
    kernel, so changing them on one ipvlan changes them for every ipvlan of
    that parent. Another parent re-creates the interface.
  - Needs a kernel with ipvlan and ipvtap (C(CONFIG_IPVLAN), C(CONFIG_IPVTAP)); O(mode=l3s) also needs
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
  - vnet.linux.lower.TAP_DEVICE
options:
  mac_address:
    description:
      - Not settable; an ipvlan always has its parent's MAC address (the
        module fails if it is given).
    type: str
seealso:
  - module: vnet.linux.ipvlan
  - module: vnet.linux.macvtap
'''

EXAMPLES = r'''
- name: An ipvtap for a VM in node1, device usable by group kvm
  vnet.linux.ipvtap:
    name: ipvt0
    netns: node1
    link: v-lab
    link_netns: ""  # the root namespace
    mode: l2
    admin_state: up
    device_group: kvm
    device_mode: "0660"
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create ipvtap ipvt0 in namespace 'node1' on v-lab in the root namespace with mode=l2"]
link:
  description: The ipvtap as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: ipvt0
    netns: node1
    kind: ipvtap
    options: {mode: l2, flags: bridge}
    link: v-lab
    link_netns: null
device:
  description:
    - The character device node after the run (empty when absent). C(device)
      is the kernel's major:minor; C(owner) and C(group) are numeric.
    - In check mode the number of a device still to be created is null.
  returned: always
  type: dict
  contains:
    path:
      description: Path of the node (see the notes).
      type: str
    owner:
      description: Owner uid.
      type: int
    group:
      description: Group gid.
      type: int
    mode:
      description: Permissions, octal text.
      type: str
    device:
      description: The kernel's major:minor of the link's character device.
      type: str
  sample: {path: /run/vnet-linux/tap/netns/node1/ipvt0, owner: 0, group: 993, mode: "0660", device: "245:1"}
'''

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import IPVTAP


def main():
    lower.run_module(IPVTAP, tap=True)


if __name__ == '__main__':
    main()
