# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the bond kind (module_utils/_kinds/specs.py BOND), used by the
    # bond module; the topology module's bond links take them in options.
    DOCUMENTATION = r'''
options:
  mode:
    description: Bonding mode. Omit to keep the current one (a new bond gets C(balance-rr)).
    type: str
    choices: [balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb]
  miimon:
    description: MII link monitoring interval in ms (0 turns it off). Excludes O(arp_interval).
    type: int
  updelay:
    description: Wait this long (ms, a multiple of O(miimon)) before using a port whose link came up.
    type: int
  downdelay:
    description: Wait this long (ms, a multiple of O(miimon)) before dropping a port whose link went down.
    type: int
  peer_notify_delay:
    description: Delay (ms, a multiple of O(miimon), at most 300000) between peer notifications after a failover.
    type: int
  use_carrier:
    description: Use the driver's carrier state for MII monitoring (else MII/ethtool ioctls).
    type: bool
  arp_interval:
    description:
      - ARP monitoring interval in ms (0 turns it off). Excludes O(miimon).
      - Not available in modes C(802.3ad), C(balance-tlb), C(balance-alb).
    type: int
  arp_ip_target:
    description:
      - IPv4 addresses ARP monitoring probes, in order (at most 16). Replaces
        the kernel's list; an empty list removes all.
    type: list
    elements: str
  arp_validate:
    description: Which ARP replies and probes are validated.
    type: str
    choices: [none, active, backup, all, filter, filter_active, filter_backup]
  arp_all_targets:
    description: A port is up when C(any) or C(all) of the ARP targets answer.
    type: str
    choices: [any, all]
  arp_missed_max:
    description: Missed ARP intervals (1 to 255) before a port is considered down.
    type: int
  primary_reselect:
    description: When the primary port becomes active again after it recovers.
    type: str
    choices: [always, better, failure]
  fail_over_mac:
    description: How MAC addresses are handled on failover in C(active-backup).
    type: str
    choices: [none, active, follow]
  xmit_hash_policy:
    description: Transmit hash policy (modes C(balance-xor), C(802.3ad), C(balance-tlb), C(balance-alb)).
    type: str
    choices: [layer2, layer2+3, layer3+4, encap2+3, encap3+4, vlan+srcmac]
  lacp_rate:
    description: LACPDU rate asked of the partner (mode C(802.3ad)).
    type: str
    choices: [slow, fast]
  lacp_active:
    description: Send LACPDUs actively (C(true)), or only answer them (mode C(802.3ad)).
    type: bool
  ad_select:
    description: Aggregator selection logic (mode C(802.3ad)).
    type: str
    choices: [stable, bandwidth, count]
  ad_actor_sys_prio:
    description: LACP system priority, 1 to 65535 (mode C(802.3ad)).
    type: int
  ad_actor_system:
    description: LACP system MAC address (mode C(802.3ad)); unicast.
    type: str
  ad_user_port_key:
    description: Upper 10 bits of the LACP port key, 0 to 1023 (mode C(802.3ad)).
    type: int
  min_links:
    description: Minimum number of ports with link up for the bond to have carrier.
    type: int
  num_grat_arp:
    description: Peer notifications (gratuitous ARP, unsolicited NA) after a failover, 0 to 255.
    type: int
  num_unsol_na:
    description: The same kernel setting as O(num_grat_arp) (give one of them, or the same value).
    type: int
  resend_igmp:
    description: IGMP membership reports sent after a failover, 0 to 255.
    type: int
  packets_per_port:
    description: Packets sent through a port before moving to the next (mode C(balance-rr)); 0 picks ports at random.
    type: int
  tlb_dynamic_lb:
    description: Dynamic flow shuffling (modes C(balance-tlb), C(balance-alb)).
    type: bool
  all_ports_active:
    description: Deliver frames received on inactive ports too (kernel C(all_slaves_active)).
    type: bool
  lp_interval:
    description: Seconds between learning packets sent to the peer switch.
    type: int
'''
