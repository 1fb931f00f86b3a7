#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: gre
short_description: Manage gre tunnels in any network namespace
description:
  - Creates, changes and deletes an IPv4 GRE tunnel (layer 3, it carries IP packets and has no MAC address).
  - Every setting given is compared with what the kernel reports and only
    what differs is changed. Settings that are omitted are left as they are.
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.gre
  - vnet.linux.gre.UNDERLAY
  - vnet.linux.gre.IPV4
  - vnet.linux.safety
options:
  mac_address:
    description:
      - Not settable; a gre has no MAC address (the module fails if it is
        given). Use M(vnet.linux.gretap) for an Ethernet tunnel.
    type: str
seealso:
  - module: vnet.linux.gretap
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: A keyed tunnel from site1 to site2
  vnet.linux.gre:
    name: tun0
    netns: site1
    local: 10.0.0.1
    remote: 10.0.0.2
    key: 42
    ttl: 64
    tos: inherit
    pmtudisc: true

- name: Addresses inside the tunnel
  vnet.linux.gre:
    name: tun0
    netns: site1
    local: 10.0.0.1
    remote: 10.0.0.2
    addresses: [192.168.100.1/30]
    admin_state: up

- name: Remove it
  vnet.linux.gre:
    name: tun0
    netns: site1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create gre tun0 in namespace 'site1' with ikey=42, local=10.0.0.1, okey=42, remote=10.0.0.2"]
link:
  description: The tunnel as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: tun0
    netns: site1
    kind: gre
    admin_state: up
    mtu: 1476
    addresses: []
    options: {local: 10.0.0.1, remote: 10.0.0.2, ikey: 42, okey: 42, ttl: 64, tos: inherit, pmtudisc: true}
'''

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import GRE


def main():
    lower.run_module(GRE)


if __name__ == '__main__':
    main()
