# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the ipvlan and ipvtap kinds (module_utils/_kinds/specs.py
    # IPVLAN, IPVTAP), used by both modules; the topology module's ipvlan and
    # ipvtap links take mode as a field and flags in options.
    DOCUMENTATION = r'''
options:
  mode:
    description:
      - C(l2) switches frames (ARP and broadcasts work), C(l3) routes
        packets between the parent and its ipvlans (no ARP, no broadcast),
        C(l3s) is C(l3) with netfilter (conntrack) on the path.
      - Omit to keep the current mode (the kernel's default for a new one is C(l3)).
    type: str
    choices: [l2, l3, l3s]
  flags:
    description:
      - C(bridge) lets the parent's ipvlans talk to each other directly,
        C(private) forbids it, C(vepa) sends their traffic out through the
        external switch.
    type: str
    choices: [bridge, private, vepa]
'''
