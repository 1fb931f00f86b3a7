#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: vxlan
short_description: Manage VXLAN interfaces and their static forwarding entries in any network namespace
description:
  - Creates, changes and deletes a VXLAN interface - an Ethernet overlay
    carried in UDP between VTEPs - with its static forwarding entries
    (O(fdb), the remote VTEPs of a unicast overlay).
  - Every setting given is compared with what the kernel reports and only
    what differs is changed. Settings that are omitted are left as they are.
  - The kernel changes O(remote), O(group), O(local) (within their address
    family), O(ttl), O(tos), O(df), O(flowlabel), O(learning) and O(ageing)
    in place and refuses to change the rest; a change of those re-creates
    the interface (measured on Linux 6.1 and 6.18, which agree). A
    re-created vxlan keeps the settings, forwarding entries, addresses,
    master and state the task leaves open, and a failure later in the run
    builds the old one again.
  - The vxlan's UDP socket lives in the namespace the vxlan is created in
    (its underlay), which may be another one than O(netns) - O(link_netns)
    names it - and it may send through an underlay device (O(link)). The
    underlay cannot change in place (another one re-creates the vxlan), and
    the kernel deletes the vxlan with its underlay device or namespace.
  - Needs a kernel with vxlan (C(CONFIG_VXLAN)).
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.vxlan
  - vnet.linux.safety
options:
  link:
    description:
      - The underlay device the tunnel's packets leave through (C(dev) in
        C(ip link)), in O(link_netns). Needed with O(group) (the kernel
        joins the multicast group on it). Omitted, the route to the
        destination decides.
    type: str
  link_netns:
    description:
      - The underlay namespace - where the vxlan is created and its UDP
        socket lives, and where O(link) is - before it is placed into
        O(netns) in the same request. Omitted, O(netns); C("") (the empty
        string) names the root namespace.
    type: str
seealso:
  - module: vnet.linux.geneve
  - module: vnet.linux.bridge
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: A unicast overlay between three VTEPs (no multicast)
  vnet.linux.vxlan:
    name: vx100
    netns: vtep1
    vni: 100
    local: 192.0.2.1
    dstport: 4789
    fdb:
      - dst: 192.0.2.2
      - dst: 192.0.2.3
    addresses: [10.100.0.1/24]
    admin_state: up

- name: A vxlan as a bridge port, with one remote
  vnet.linux.vxlan:
    name: vx200
    netns: leaf1
    vni: 200
    remote: 192.0.2.9
    dstport: 4789
    learning: false
    master: br0
    admin_state: up

- name: A vxlan in node1 whose underlay (socket and device) is in host1
  vnet.linux.vxlan:
    name: vx300
    netns: node1
    link: eth1
    link_netns: host1
    vni: 300
    group: 239.1.1.1
    dstport: 4789

- name: Remove it
  vnet.linux.vxlan:
    name: vx100
    netns: vtep1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create vxlan vx100 in namespace 'vtep1' with dstport=4789, local=192.0.2.1, vni=100",
           "add fdb entry 00:00:00:00:00:00 dst 192.0.2.2 to vxlan vx100 in namespace 'vtep1'"]
link:
  description: The vxlan as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: vx100
    netns: vtep1
    kind: vxlan
    admin_state: up
    mtu: 1450
    addresses: [10.100.0.1/24]
    options:
      vni: 100
      local: 192.0.2.1
      dstport: 4789
      learning: true
      fdb: [{mac: "00:00:00:00:00:00", dst: 192.0.2.2}, {mac: "00:00:00:00:00:00", dst: 192.0.2.3}]
    link: null
    link_netns: vtep1
'''

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import VXLAN


def main():
    lower.run_module(VXLAN)


if __name__ == '__main__':
    main()
