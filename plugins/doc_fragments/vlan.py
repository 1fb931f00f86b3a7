# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the vlan kind (module_utils/_kinds/specs.py VLAN); the
    # topology module's vlan links take them in `options`.
    DOCUMENTATION = r'''
options:
  id:
    description:
      - The VLAN id, 0 to 4094. Required with O(state=present).
      - The kernel cannot change it in place; another id re-creates the interface.
    type: int
  protocol:
    description:
      - The tag's protocol, C(802.1Q) (a customer VLAN) or C(802.1ad) (a
        service VLAN, the outer tag of QinQ).
      - Omit to keep the current one (a new VLAN is C(802.1Q)); another
        protocol re-creates the interface.
    type: str
    choices: [802.1Q, 802.1ad]
  reorder_hdr:
    description:
      - Hand received frames up with the tag removed from the Ethernet
        header (on for a new VLAN; off keeps the tag in place for packet
        capture tools that want it).
    type: bool
  gvrp:
    description:
      - Register the VLAN with the link partner by GVRP (GARP VLAN Registration Protocol).
    type: bool
  mvrp:
    description:
      - Register the VLAN with the link partner by MVRP (Multiple VLAN Registration Protocol).
    type: bool
  loose_binding:
    description:
      - Let the VLAN's operational state not follow its parent's (only its
        admin state then counts).
    type: bool
  bridge_binding:
    description:
      - On a VLAN of a bridge, follow the state of that VLAN's bridge ports
        rather than of the bridge itself (kernel 5.4 or later).
    type: bool
  egress_qos_map:
    description:
      - Map of the priority of packets sent (the socket's or C(tc)'s C(skb) priority, 0 to
        4294967295) to the 802.1p PCP value (0 to 7) written in their tag.
      - The whole map is described, and priorities not listed are mapped to 0
        (the default, which the kernel does not list). C({}) clears the map;
        omit it to leave the map as it is.
      - Keys may be written as integers or as text of integers (Ansible
        passes a dict's keys as text).
    type: dict
  ingress_qos_map:
    description:
      - Map of the 802.1p PCP value (0 to 7) of frames received to the
        priority (0 to 4294967295) their packets get.
      - The whole map is described, as for O(egress_qos_map).
    type: dict
'''
