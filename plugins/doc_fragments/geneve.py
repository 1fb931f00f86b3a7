# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the geneve kind (module_utils/_kinds/specs.py GENEVE), used by
    # the geneve module; the topology module's geneve links take them in
    # options. What changes in place was measured on Linux 6.1 (Debian 12).
    DOCUMENTATION = r'''
options:
  vni:
    description:
      - The Geneve virtual network identifier, 0 to 16777215. Two geneves with
        the same VNI, O(remote) and O(dstport) cannot live in one namespace.
      - Cannot change in place (re-creates the interface).
    type: int
  remote:
    description:
      - Unicast IPv4 or IPv6 address of the remote tunnel end (a multicast
        one is refused).
      - Changes in place within its address family; another family re-creates
        the interface.
    type: str
  dstport:
    description: UDP destination port, 1 to 65535 (the kernel's default is C(6081)). Cannot change in place.
    type: int
  ttl:
    description: TTL (hop limit) of the tunnel's packets, 0 to 255 (0 lets the route decide).
    type: int
  tos:
    description: TOS (traffic class) of the tunnel's packets, 0 to 255 (1 copies the inner packet's).
    type: int
  df:
    description: The Don't Fragment bit of IPv4 tunnel packets; C(inherit) copies the inner packet's.
    type: str
    choices: [unset, set, inherit]
  flowlabel:
    description: IPv6 flow label of the tunnel's packets, 0 to 1048575; IPv6 remotes only.
    type: int
  udpcsum:
    description: Compute UDP checksums of the tunnel's packets; IPv4 remotes only. Cannot change in place.
    type: bool
  udp6zerocsumtx:
    description: Send packets with a zero UDP checksum; IPv6 remotes only. Cannot change in place.
    type: bool
  udp6zerocsumrx:
    description: Accept IPv6 packets with a zero UDP checksum. Cannot change in place.
    type: bool
  external:
    description:
      - Collect metadata mode (C(external) in C(ip link)) - each packet's
        destination and VNI come from its metadata (routes with C(encap),
        tc, Open vSwitch). Excludes O(vni), O(remote), O(ttl), O(tos),
        O(flowlabel), O(udpcsum) and O(udp6zerocsumtx) (the kernel refuses
        them). One per O(dstport) and namespace.
      - Cannot change in place.
    type: bool
'''
