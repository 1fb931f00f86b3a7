# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of the vrf kind (module_utils/_kinds/specs.py VRF), used by the
    # vrf module; the topology module's vrf links take them in options.
    DOCUMENTATION = r'''
options:
  table:
    description:
      - Routing table of the VRF (1 to 4294967295). Its ports route through
        it, apart from the namespace's main table.
      - Required to create a VRF; omit it to keep an existing VRF's table.
      - C(0) (unspecified), C(253) (default), C(254) (main) and C(255)
        (local) are refused before anything changes. The kernel refuses
        C(0), and the others are tables every namespace routes through, so
        the VRF would not be separate.
      - The kernel cannot change the table of a VRF (it refuses with
        C(EOPNOTSUPP)). A different table deletes the VRF and creates it
        again with its other settings, then enslaves its ports again (listed
        in RV(actions); traffic through it stops meanwhile). If a later step
        fails, the old VRF comes back with its ports.
    type: int
notes:
  - Needs a kernel with VRF support (C(CONFIG_NET_VRF), module C(vrf)).
  - When a namespace gets its first VRF, the kernel adds its own policy
    routing rule C(1000 from all lookup [l3mdev-table]) (IPv4 and IPv6),
    which sends the traffic of a VRF's ports to the VRF's table. No rule
    needs to be added. The kernel keeps that rule when the VRFs are
    deleted; it is harmless without VRFs and goes with the namespace.
  - The kernel cycles a port that is up (takes it down and up again) when
    it joins or leaves a VRF. IPv4 addresses stay; IPv6 addresses are
    dropped with the link's C(keep_addr_on_down) sysctl at its default, and
    routes through the port are flushed. Give a port its addresses after it
    joined the VRF (M(vnet.linux.topology) does).
'''
