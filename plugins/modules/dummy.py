#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: dummy
short_description: Manage dummy interfaces in any network namespace
description:
  - Creates, changes and deletes a dummy interface, a link that accepts every
    packet sent to it and drops it. It gives a namespace an always-up
    interface for addresses (a router id, a service address) or a port for
    a bridge or bond that needs no peer.
  - Every setting given is compared with what the kernel reports and only
    what differs is changed. Settings that are omitted are left as they are.
  - To make it a port of a bond, prefer the bond's O(vnet.linux.bond#module:ports),
    which takes a port that is up down for the enslaving (the kernel takes
    only ports that are down).
version_added: 1.1.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.dummy
  - vnet.linux.safety
seealso:
  - module: vnet.linux.bridge
  - module: vnet.linux.bond
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: A dummy with a service address in node1
  vnet.linux.dummy:
    name: dum0
    netns: node1
    addresses: [10.255.0.1/32]
    admin_state: up

- name: A dummy port of bridge br0
  vnet.linux.dummy:
    name: dum1
    netns: sw
    master: br0
    mtu: 9000
    admin_state: up

- name: Remove it
  vnet.linux.dummy:
    name: dum0
    netns: node1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create dummy dum0 in namespace 'node1'", "add address 10.255.0.1/32 to dummy dum0 in namespace 'node1'"]
link:
  description: The dummy as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: dum0
    netns: node1
    kind: dummy
    admin_state: up
    mtu: 1500
    mac_address: "6e:0b:2c:11:5d:a0"
    master: ""
    addresses: [10.255.0.1/32]
    options: {}
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import run_device_module
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import DUMMY


def main():
    run_device_module(DUMMY)


if __name__ == '__main__':
    main()
