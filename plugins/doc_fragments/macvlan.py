# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the macvlan and macvtap kinds (module_utils/_kinds/specs.py
    # MACVLAN, MACVTAP), used by both modules; the topology module's macvlan and
    # macvtap links take mode as a field and the others in options.
    DOCUMENTATION = r'''
options:
  mode:
    description:
      - How macvlans on the same parent reach each other.
      - C(private) never, C(vepa) through the external switch (hairpin),
        C(bridge) directly, C(passthru) one macvlan takes the parent over,
        C(source) accepts only frames from O(source_macs).
      - Omit to keep the current mode (the kernel's default for a new one is C(vepa)).
    type: str
    choices: [private, vepa, bridge, passthru, source]
  bcqueuelen:
    description:
      - Length of the queue for broadcast and multicast frames the parent
        hands to its macvlans (the kernel uses the largest request among the
        parent's macvlans).
    type: int
  source_macs:
    description:
      - With O(mode=source), the complete list of source MAC addresses the
        link accepts frames from (replaces the kernel's list; order does
        not matter). An empty list removes them all.
    type: list
    elements: str
'''
