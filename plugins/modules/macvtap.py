#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: macvtap
short_description: Manage macvtap interfaces and their character devices, in any network namespace
description:
  - Creates, changes and deletes a macvtap interface (a macvlan with a
    character device that QEMU and other tap users open) stacked on a parent
    device, and keeps a device node for it with the owner, group and mode
    given. The macvtap may live in another namespace than its parent (it is
    created in the parent's namespace and placed into O(netns) in the same
    netlink request).
  - Every setting given is compared with what the kernel reports and only
    what differs is changed; O(mode), O(bcqueuelen) and O(source_macs)
    change in place. Another parent, and a switch to or from
    C(passthru), re-create the interface (the kernel cannot change them in
    place; see O(link) for how nothing is lost).
  - With O(mode=passthru) the interface takes its parent over (the parent's
    MAC address, promiscuous mode). The kernel allows no other macvlan or
    macvtap on that parent, so one there (in any namespace) is refused,
    naming it, before anything changes; and a parent in the root namespace
    that carries the default route or the SSH connection is refused unless
    O(allow_disruptive=true).
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
  - vnet.linux.macvlan
  - vnet.linux.lower.TAP_DEVICE
seealso:
  - module: vnet.linux.macvlan
  - module: vnet.linux.ipvlan
  - module: vnet.linux.veth
'''

EXAMPLES = r'''
- name: A macvtap for a VM in node1, on the host's veth end v-lab, usable by group kvm
  vnet.linux.macvtap:
    name: mvt0
    netns: node1
    link: v-lab
    link_netns: ""  # the root namespace
    mode: bridge
    admin_state: up
    device_group: kvm
    device_mode: "0660"
  register: tap

- name: Its device node (per namespace, see the notes)
  ansible.builtin.debug:
    msg: "qemu ... -netdev tap,id=n0,fd=3 3<>{{ tap.device.path }}"

- name: Remove it (and its device node)
  vnet.linux.macvtap:
    name: mvt0
    netns: node1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample:
    - "create macvtap mvt0 in namespace 'node1' on v-lab in the root namespace with mode=bridge"
    - "create device node /run/vnet-linux/tap/netns/node1/mvt0 for macvtap mvt0 in namespace 'node1' (owner 0, group 993, mode 0660)"
link:
  description: The macvtap as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: mvt0
    netns: node1
    kind: macvtap
    admin_state: up
    options: {mode: bridge, bcqueuelen: 1000, source_macs: []}
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
  sample: {path: /run/vnet-linux/tap/netns/node1/mvt0, owner: 0, group: 993, mode: "0660", device: "246:1"}
'''

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import MACVTAP


def main():
    lower.run_module(MACVTAP, tap=True)


if __name__ == '__main__':
    main()
