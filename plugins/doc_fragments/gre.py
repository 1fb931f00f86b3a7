# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the GRE family (module_utils/_kinds/specs.py TunnelSpec: GRE,
    # GRETAP, IP6GRE, IP6GRETAP), used by the four modules; the topology
    # module's gre, gretap, ip6gre and ip6gretap links take them in
    # `options`. IPV4 (gre, gretap) and IPV6 (ip6gre, ip6gretap) add what
    # differs between the families.
    DOCUMENTATION = r'''
options:
  local:
    description:
      - The tunnel's own address, which outer packets are sent from and
        addressed to (IPv4 for gre and gretap, IPv6 for ip6gre and
        ip6gretap). C(any) for none (the kernel picks the source by route
        and takes packets to any of its addresses).
    type: str
  remote:
    description:
      - The other end's address. C(any) for none (a gre then sends to the
        address a route or neighbour entry gives, and takes packets from any
        peer; a gretap needs one to send anything).
      - A multicast address makes a gre a broadcast (NBMA) tunnel.
      - On a gre (not the other kinds), moving between no remote, a unicast
        and a multicast remote re-creates the tunnel (the kernel cannot
        change the device's flags in place).
    type: str
  key:
    description:
      - The GRE key for both directions (O(ikey) and O(okey) at once), a
        number from 0 to 4294967295, or iproute2's dotted form such as
        C(0.0.0.7); C(none) for no key. Key 0 is a key (the header carries
        it); C(none) is none.
    type: raw
  ikey:
    description:
      - The key incoming packets must carry (as O(key)); only tunnels with
        the same key see each other's packets.
    type: raw
  okey:
    description:
      - The key outgoing packets carry (as O(key)).
    type: raw
  ttl:
    description:
      - The outer packets' TTL (IPv4) or hop limit (IPv6), 0 to 255; C(0)
        copies the inner packet's (C(inherit) in iproute2). A new tunnel
        gets 0.
    type: int
notes:
  - Every option changes in place, including O(local), O(remote), the keys
    and (for an existing tunnel) everything else; the kernel rebuilds a
    tunnel's settings from each change request, so the module sends them
    all and what it leaves open stays as it was.
  - A tunnel with no O(local), O(remote), key or underlay device would be
    the same tunnel as the kernel's own fallback device of the namespace
    (C(gre0), C(gretap0), C(ip6gre0)); the kernel refuses a second one, so
    the module refuses it first. ip6gretap has no fallback device.
  - Once the kernel's GRE drivers are loaded, every namespace has the
    fallback devices C(gre0), C(gretap0), C(erspan0), C(ip6gre0) and
    C(ip6tnl0) (C(tunl0) and C(sit0) with ipip and sit). They are the
    kernel's; their names are refused for links the collection manages,
    and the topology modules never report, change or prune them.
  - Needs a kernel with C(ip_gre) (gre, gretap) or C(ip6_gre) (ip6gre,
    ip6gretap).
'''

    # The underlay of a tunnel (module_utils/_kinds/lower.py, parent 'optional').
    UNDERLAY = r'''
options:
  link:
    description:
      - The underlay device the tunnel's packets leave through (iproute2's
        C(dev)), in O(link_netns). Optional; without it the kernel routes
        them. Another device re-creates the tunnel (its settings,
        addresses, master and state carried over).
    type: str
  link_netns:
    description:
      - The tunnel's underlay namespace, where its outer packets are sent
        and received and its O(link) lives. Omitted, O(netns) (the tunnel's
        own); C("") (the empty string) names the root namespace.
      - The tunnel is created there and placed into O(netns) in the same
        request, so a lab node can own a tunnel whose traffic runs in
        another namespace (a router's underlay). The kernel deletes the
        tunnel with that namespace. Another underlay namespace re-creates
        the tunnel.
    type: str
'''

    IPV4 = r'''
options:
  tos:
    description:
      - The outer packets' TOS byte, an even number from 0 to 254 (the
        lowest bit is the kernel's "inherit" flag), or C(inherit) to copy
        the inner packet's. A new tunnel gets 0.
    type: raw
  pmtudisc:
    description:
      - Path MTU discovery on the outer packets (they are sent with the DF
        bit). On by default; C(false) lets routers fragment them. The kernel
        takes either with any O(ttl).
    type: bool
'''

    IPV6 = r'''
options:
  tos:
    description:
      - The outer packets' traffic class, 0 to 255, or C(inherit) to copy
        the inner packet's (iproute2's C(tclass)). A new tunnel gets 0.
    type: raw
  flowlabel:
    description:
      - The outer packets' flow label, 0 to 1048575 (0xfffff), or
        C(inherit) to copy the inner packet's. A new tunnel gets 0.
    type: raw
  encaplimit:
    description:
      - The tunnel encapsulation limit option of the outer packets, 0 to
        255, or C(none) to send none. A new tunnel gets the kernel's 0 (the
        option with limit 0; iproute2 sends 4 unless told otherwise).
    type: raw
'''
