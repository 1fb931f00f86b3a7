# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the vxlan kind (module_utils/_kinds/specs.py VXLAN), used by
    # the vxlan module; the topology module's vxlan links take them in options.
    # What changes in place was measured on Linux 6.1 (Debian 12) and 6.18:
    # both agree.
    DOCUMENTATION = r'''
options:
  vni:
    description:
      - The VXLAN network identifier, 0 to 16777215. Two vxlans with the same
        VNI and O(dstport) cannot live in one namespace (the kernel refuses
        the second).
      - Cannot change in place (re-creates the interface).
    type: int
  remote:
    description:
      - Unicast IPv4 or IPv6 address of the remote VTEP that frames with an
        unknown destination are sent to (the kernel keeps it as the first
        entry of the flood list). Excludes O(group).
      - Changes in place within its address family; another family re-creates
        the interface.
    type: str
  group:
    description:
      - Multicast group (IPv4 or IPv6) the vxlan joins and floods to.
        Excludes O(remote); needs an underlay device (the kernel refuses a
        multicast destination without one).
      - Changes in place within its address family.
    type: str
  local:
    description:
      - Source address of the tunnel's packets (unicast, the family of
        O(remote) or O(group)).
      - Changes in place within its address family.
    type: str
  dstport:
    description:
      - UDP destination port, 1 to 65535. A vxlan created without one uses
        the kernel's default C(8472), not the IANA port C(4789) - give C(4789)
        to talk to other VTEPs.
      - Cannot change in place.
    type: int
  srcport:
    description:
      - UDP source port range C([low, high]) (1 to 65535). Omitted, the
        kernel uses the namespace's local port range.
      - Cannot change in place.
    type: list
    elements: int
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
    description: IPv6 flow label of the tunnel's packets, 0 to 1048575; IPv6 tunnels only.
    type: int
  learning:
    description: Learn remote MAC addresses from received packets into the forwarding database.
    type: bool
  ageing:
    description: Lifetime of learned forwarding entries, in seconds (at least 1).
    type: int
  proxy:
    description: Answer ARP and neighbour solicitations locally (ARP proxy). Cannot change in place.
    type: bool
  l2miss:
    description: Notify user space of forwarding database misses (netlink). Cannot change in place.
    type: bool
  l3miss:
    description: Notify user space of neighbour table misses (netlink). Cannot change in place.
    type: bool
  udpcsum:
    description: Compute UDP checksums of IPv4 tunnel packets. Cannot change in place.
    type: bool
  udp6zerocsumtx:
    description: Send IPv6 tunnel packets with a zero UDP checksum. Cannot change in place.
    type: bool
  udp6zerocsumrx:
    description: Accept IPv6 tunnel packets with a zero UDP checksum. Cannot change in place.
    type: bool
  external:
    description:
      - Collect metadata mode (C(external) in C(ip link)) - each packet's
        destination and VNI come from its metadata (routes with C(encap),
        tc, Open vSwitch). Excludes O(vni), O(remote), O(group) and O(fdb).
      - Cannot change in place.
    type: bool
  fdb:
    description:
      - The vxlan's static forwarding entries (C(bridge fdb ... self
        permanent)), as a set; the order does not matter. Entries with the
        all-zeros MAC form the flood list - the remote VTEPs that broadcast,
        multicast and unknown unicast frames are copied to, which makes a
        unicast overlay of several VTEPs without multicast.
      - Given, the list is the whole set - static entries not listed are
        removed (the task names the vxlan, so its static entries are its own);
        C([]) removes them all. Omitted, the entries are left as they are.
        Entries learned from traffic, temporary ones and the kernel's own
        entry for O(remote) are never touched or listed.
    type: list
    elements: dict
    suboptions:
      mac:
        description: MAC address of the entry; omitted, C(00:00:00:00:00:00) (the flood list).
        type: str
      dst:
        description: Address of the remote VTEP (the family of the vxlan's addresses).
        type: str
        required: true
      port:
        description: UDP port of that VTEP, if it is not the vxlan's O(dstport).
        type: int
      vni:
        description: VNI to send with, if it is not the vxlan's O(vni).
        type: int
'''
