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
    link_netns: ""  # the root namespace
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

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import MACVLAN


def main():
    lower.run_module(MACVLAN)


if __name__ == '__main__':
    main()
