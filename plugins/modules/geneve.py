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
  - The geneve's UDP socket lives in its underlay namespace O(link_netns)
    (default O(netns)) - the geneve is created there and then moved into
    O(netns), so a namespace with no route to the underlay network can hold
    the tunnel of a host whose root namespace has one.
  - The kernel does not report where a geneve's socket lives (Linux 6.1 has
    no link namespace for geneve, as it has for vxlan). Its socket table is
    the witness - a geneve that is up holds a UDP socket on its O(dstport),
    in its underlay namespace. So the underlay is compared only while the
    geneve is up, and two geneves on one port in one namespace need the
    same underlay.
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
options:
  link_netns:
    description:
      - The underlay namespace - where the geneve is created and its UDP
        socket lives - before it is moved into O(netns). Omitted, O(netns);
        C("") (the empty string) names the root namespace.
      - Another underlay re-creates the geneve; the kernel deletes it with
        its underlay namespace.
    type: str
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

- name: A geneve in node1 whose socket is in the root namespace (the host's underlay)
  vnet.linux.geneve:
    name: gn1
    netns: node1
    link_netns: ""
    vni: 5001
    remote: 192.0.2.2
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
    link: null
    link_netns: site1
'''

from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import GENEVE


def main():
    lower.run_module(GENEVE, parent_options=lower.UNDERLAY_OPTIONS)


if __name__ == '__main__':
    main()
