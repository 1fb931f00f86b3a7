#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: ip6gretap
short_description: Manage ip6gretap tunnels in any network namespace
description:
  - Creates, changes and deletes a GRE tunnel over IPv6 that carries Ethernet frames (layer 2, it can be a bridge port and has a MAC address).
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
  - vnet.linux.gre.IPV6
  - vnet.linux.safety
seealso:
  - module: vnet.linux.ip6gre
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: A keyed tunnel from site1 to site2
  vnet.linux.ip6gretap:
    name: tun0
    netns: site1
    local: fd00::1
    remote: fd00::2
    key: 42
    ttl: 64
    tos: inherit
    flowlabel: inherit
    encaplimit: none

- name: Its end as a port of bridge br0 in site1
  vnet.linux.ip6gretap:
    name: tun0
    netns: site1
    local: fd00::1
    remote: fd00::2
    key: 42
    master: br0
    admin_state: up

- name: Remove it
  vnet.linux.ip6gretap:
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
  sample: ["create ip6gretap tun0 in namespace 'site1' with ikey=42, local=fd00::1, okey=42, remote=fd00::2"]
link:
  description: The tunnel as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: tun0
    netns: site1
    kind: ip6gretap
    admin_state: up
    mtu: 1476
    addresses: []
    options: {local: 'fd00::1', remote: 'fd00::2', ikey: 42, okey: 42, ttl: 64, tos: inherit, flowlabel: inherit, encaplimit: none}
'''

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import IP6GRETAP


def main():
    lower.run_module(IP6GRETAP)


if __name__ == '__main__':
    main()
