# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the bridge kind (module_utils/_kinds/specs.py BRIDGE), used by
    # the bridge module; the topology module's bridges take the same settings.
    DOCUMENTATION = r'''
options:
  stp:
    description: Spanning tree protocol (kernel STP) on or off.
    type: bool
  priority:
    description: Bridge priority for STP (0 to 65535; lower wins root election).
    type: int
  forward_delay:
    description: STP forward delay in seconds (2 to 30 while STP is on).
    type: float
  hello_time:
    description: STP hello time in seconds (1 to 10 while STP is on).
    type: float
  max_age:
    description: STP max message age in seconds (6 to 40 while STP is on).
    type: float
  ageing_time:
    description:
      - How long learned MAC addresses are kept, in seconds (0 makes the bridge a hub).
      - While STP has a topology change in progress the kernel reports the
        forward delay instead of this value; it is then not compared (a
        warning says so) and the next run converges it.
    type: float
  vlan_filtering:
    description:
      - VLAN filtering (802.1Q aware bridge). V(true) needs a kernel built
        with C(CONFIG_BRIDGE_VLAN_FILTERING); the run fails clearly if the
        kernel does not take it.
      - V(false) is what a kernel without VLAN filtering does, so it succeeds
        there (no request is sent, since such a kernel refuses the setting even
        to turn filtering off), and a bridge saved by
        M(vnet.linux.topology_info) can be built again on the same kernel.
    type: bool
  vlan_protocol:
    description: VLAN protocol the bridge filters on.
    type: str
    choices: [802.1Q, 802.1ad]
  default_pvid:
    description: PVID given to new ports (0 gives none), 0 to 4094.
    type: int
  mcast_snooping:
    description: IGMP/MLD snooping.
    type: bool
  mcast_querier:
    description: Act as IGMP/MLD querier.
    type: bool
  group_fwd_mask:
    description: Bit mask of link-local group addresses (01:80:C2:00:00:0X) to forward.
    type: int
'''
