#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: topology_info
short_description: Read a host's namespaces and links back as a topology description
description:
  - Reads the host's named network namespaces and their links and returns
    them in the input structure of M(vnet.linux.topology) (RV(nodes),
    RV(bridges), RV(links)), so that what is read can be applied again as it
    is. For a lab, applying what was read changes nothing.
  - With O(lab), only that lab's objects are returned (namespaces and links
    carrying its ownership mark C(vnet:<lab>)). Links it put in other
    namespaces come with them, under external nodes.
  - Returns each link's counters (packets, bytes, drops and errors).
  - It returns its results for C(register), not as C(ansible_facts). Up to
    version 1.1.0 it was called C(vnet.linux.topology_facts); that name
    still works until 2.0.0, with a deprecation warning.
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
attributes:
  check_mode:
    support: full
    details: It only reads.
  diff_mode:
    support: none
  idempotent:
    support: full
requirements:
  - pyroute2 >= 0.9.1 (on the managed host)
  - Linux, run as root
options:
  lab:
    description:
      - Only the objects of this lab. Omit to read every named namespace.
    type: str
notes:
  - Links of kinds the topology module does not describe (for example
    dummy or vxlan) are listed in RV(other_links), not in RV(links).
  - Without O(lab), the root namespace appears as a node named C(host) (with
    C(root=true)) only when a veth end or a parent is there.
seealso:
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: Read the lab back
  vnet.linux.topology_info:
    lab: demo
  register: demo

- name: Apply what was read (changes nothing)
  vnet.linux.topology:
    lab: demo
    nodes: "{{ demo.nodes }}"
    bridges: "{{ demo.bridges }}"
    links: "{{ demo.links }}"

- name: Show the traffic of one interface
  ansible.builtin.debug:
    var: demo.counters.r1.eth0
'''

RETURN = r'''
lab:
  description: The lab asked for.
  returned: when O(lab) is given
  type: str
nodes:
  description: Nodes (namespaces), as for the topology module's O(vnet.linux.topology#module:nodes).
  returned: always
  type: list
  elements: dict
  sample: [{name: r1, sysctls: {net.ipv4.ip_forward: "1"}, loopback: [10.255.0.1/32],
            routes: [{dst: 10.0.0.0/8, via: 10.1.0.1}]}]
bridges:
  description: Bridges with their settings, as for the topology module's O(vnet.linux.topology#module:bridges).
  returned: always
  type: list
  elements: dict
links:
  description: Links, as for the topology module's O(vnet.linux.topology#module:links).
  returned: always
  type: list
  elements: dict
  sample:
    - endpoints:
        - {node: r1, name: eth0, mtu: 1500, mac_address: "02:00:00:00:00:01", addresses: [10.1.0.0/31]}
        - {node: r2, name: eth0, mtu: 1500, mac_address: "02:00:00:00:00:02", addresses: [10.1.0.1/31]}
other_links:
  description: Links that were read but that the topology module does not describe.
  returned: always
  type: list
  elements: dict
counters:
  description: Counters per node and interface.
  returned: always
  type: dict
  sample:
    r1:
      eth0: {rx_packets: 3, tx_packets: 3, rx_bytes: 294, tx_bytes: 294,
             rx_dropped: 0, tx_dropped: 0, rx_errors: 0, tx_errors: 0}
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._lab.run import run_info


def main():
    module = StrictModule(argument_spec=dict(lab=dict(type='str')),
                          supports_check_mode=True)
    run_info(module)


if __name__ == '__main__':
    main()
