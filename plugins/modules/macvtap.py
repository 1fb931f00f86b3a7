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
    place).
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.safety
  - vnet.linux.lower
  - vnet.linux.lower.TAP_DEVICE
options:
  mode:
    description:
      - How macvlans on the same parent reach each other.
      - C(private) never, C(vepa) through the external switch (hairpin),
        C(bridge) directly, C(passthru) one macvlan takes the parent over,
        C(source) accepts only frames from O(source_macs).
      - Omit to keep the current mode (the kernel's default for a new one is C(vepa)).
    type: str
    choices: [private, vepa, bridge, passthru, source]
  bcqueuelen:
    description:
      - Length of the queue for broadcast and multicast frames the parent
        hands to its macvlans (the kernel uses the largest request among the
        parent's macvlans).
    type: int
  source_macs:
    description:
      - With O(mode=source), the complete list of source MAC addresses the
        macvtap accepts frames from (replaces the kernel's list; order does
        not matter). An empty list removes them all.
    type: list
    elements: str
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import MACVTAP
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
)


def converge(run):
    options = lower.macvlan_settings(run.module.params)
    lower.converge(run, MACVTAP, options, recreate_reason=lower.macvlan_recreate, tap=True)


def main():
    module = AnsibleModule(
        argument_spec=link_argument_spec(**dict(lower.PARENT_OPTIONS, **dict(
            lower.MACVLAN_OPTIONS, **lower.TAP_OPTIONS))),
        supports_check_mode=True,
    )
    LinkRun(module).run(converge)


if __name__ == '__main__':
    main()
