#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: geneve
short_description: Manage Geneve tunnel interfaces in any network namespace
description:
  - Creates, changes and deletes a Geneve interface - an Ethernet tunnel
    carried in UDP to one remote end (or, with O(external), to where each
    packet's metadata says).
  - Every setting given is compared with what the kernel reports and only
    what differs is changed. Settings that are omitted are left as they are.
  - The kernel changes O(remote) (within its address family), O(ttl),
    O(tos), O(df) and O(flowlabel) in place and refuses to change the rest;
    a change of those re-creates the interface (measured on Linux 6.1). A
    re-created geneve keeps the settings, addresses, master and state the
    task leaves open, and a failure later in the run builds the old one
    again.
  - The geneve and its UDP socket live in O(netns); connect that namespace
    to the underlay network (a veth, a macvlan). Unlike a vxlan, a geneve
    cannot be given an underlay namespace of its own - the kernel does not
    report where a geneve's socket lives, so it could not be compared.
  - Needs a kernel with geneve (C(CONFIG_GENEVE)).
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.geneve
  - vnet.linux.safety
seealso:
  - module: vnet.linux.vxlan
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: A Geneve tunnel from site1 to site2
  vnet.linux.geneve:
    name: gn0
    netns: site1
    vni: 5000
    remote: 192.0.2.2
    ttl: 64
    addresses: [10.50.0.1/30]
    admin_state: up

- name: An externally controlled (collect metadata) geneve for a flow-based datapath
  vnet.linux.geneve:
    name: gn-ext
    netns: site1
    external: true
    admin_state: up

- name: Remove it
  vnet.linux.geneve:
    name: gn0
    netns: site1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create geneve gn0 in namespace 'site1' with remote=192.0.2.2, ttl=64, vni=5000"]
link:
  description: The geneve as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: gn0
    netns: site1
    kind: geneve
    admin_state: up
    addresses: [10.50.0.1/30]
    options: {vni: 5000, remote: 192.0.2.2, dstport: 6081, ttl: 64, tos: 0, df: unset}
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import run_device_module
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import GENEVE


def main():
    run_device_module(GENEVE)


if __name__ == '__main__':
    main()
