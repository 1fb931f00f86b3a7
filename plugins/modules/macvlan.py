#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: macvlan
short_description: Manage macvlan interfaces on a parent device, in any network namespace
description:
  - Creates, changes and deletes a macvlan interface stacked on a parent
    device. The macvlan may live in another namespace than its parent (it is
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
        macvlan accepts frames from (replaces the kernel's list; order does
        not matter). An empty list removes them all.
    type: list
    elements: str
seealso:
  - module: vnet.linux.macvtap
  - module: vnet.linux.ipvlan
  - module: vnet.linux.veth
'''

EXAMPLES = r'''
- name: A macvlan inside node1 whose parent is the host's veth end v-lab
  vnet.linux.macvlan:
    name: mv0
    netns: node1
    link: v-lab
    mode: bridge
    addresses: [10.0.0.11/24]
    admin_state: up

- name: Parent in host1, macvlan in node1
  vnet.linux.macvlan:
    name: mv1
    netns: node1
    link: eth1
    link_netns: host1
    mode: private

- name: Only frames from two senders
  vnet.linux.macvlan:
    name: mv2
    link: v-lab
    mode: source
    source_macs: ["02:00:00:00:00:01", "02:00:00:00:00:02"]

- name: Remove it
  vnet.linux.macvlan:
    name: mv0
    netns: node1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create macvlan mv0 in namespace 'node1' on v-lab in the root namespace with mode=bridge"]
link:
  description: The macvlan as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: mv0
    netns: node1
    kind: macvlan
    admin_state: up
    mtu: 1500
    mac_address: "02:11:22:33:44:55"
    addresses: [10.0.0.11/24]
    options: {mode: bridge, bcqueuelen: 1000, source_macs: []}
    link: v-lab
    link_netns: null
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import MACVLAN
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
)


def converge(run):
    options = lower.macvlan_settings(run.module.params)
    lower.converge(run, MACVLAN, options, recreate_reason=lower.macvlan_recreate)


def main():
    module = AnsibleModule(
        argument_spec=link_argument_spec(**dict(lower.PARENT_OPTIONS, **lower.MACVLAN_OPTIONS)),
        supports_check_mode=True,
    )
    LinkRun(module).run(converge)


if __name__ == '__main__':
    main()
