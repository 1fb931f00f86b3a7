# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of links stacked on a parent device (module_utils/_kinds/lower.py).
    DOCUMENTATION = r'''
options:
  link:
    description:
      - The parent (lower) device the interface is stacked on, for example a
        veth end or a physical NIC. Required with O(state=present).
      - The parent cannot change in place; another parent (or O(link_netns))
        re-creates the interface. The new one is built first under a
        temporary name (C(vnt) and 8 hex digits), then the old one is deleted
        and the new one renamed, so a parent the kernel refuses leaves the old
        interface untouched. Where the old one must go first (a switch to or
        from C(passthru) on the same parent), a failure later in the run builds
        the old interface again with its settings, addresses, master, state
        and device node.
      - A parent of the same family is refused before anything changes (a
        macvlan or macvtap on a macvlan or macvtap, an ipvlan or ipvtap on an
        ipvlan or ipvtap; the kernel would use that parent's own parent), and
        so is a macvlan's or macvtap's O(mtu) above the parent's (the kernel
        refuses it; it takes an ipvlan's).
    type: str
  link_netns:
    description:
      - Namespace the parent lives in. Omitted, O(netns) (the interface's own
        namespace); C("") (the empty string) names the root namespace, for a
        parent on the host while the interface lives in a named namespace.
        A name, or a reference to a container's or process's namespace as
        for O(netns) (C(pid:1234), C(path:/FILE), C(container:NAME)).
      - The interface is created there and placed into O(netns) in the same
        netlink request, so the parent may stay on the host (or in another
        namespace) while the interface lives inside O(netns).
    type: str
'''

    # The character device of macvtap/ipvtap links (module_utils/_netlink/tapdev.py).
    TAP_DEVICE = r'''
options:
  device_owner:
    description:
      - Owner (user name or uid) of the interface's character device node.
      - Omitted, an existing node keeps its owner; a new one belongs to root.
    type: str
  device_group:
    description:
      - Group (name or gid) of the character device node.
      - Omitted, an existing node keeps its group; a new one has group root.
    type: str
  device_mode:
    description:
      - Permissions of the character device node, as octal text like C('0660').
      - Omitted, an existing node keeps its mode; a new one gets C(0600).
    type: str
notes:
  - The kernel calls the character device C(tap<ifindex>), and devtmpfs
    creates C(/dev/tap<ifindex>) for every such link whatever its
    namespace; ifindexes are per namespace, so links in two namespaces clash
    on one C(/dev) node. The module therefore keeps its own node per link,
    at C(/run/vnet-linux/tap/root/<name>) for the root namespace and
    C(/run/vnet-linux/tap/netns/<netns>/<name>) for a named one, made with
    the device number the kernel reports inside the link's namespace
    (C(/sys/class/net/<name>/<kind>/tap*/dev)). Use RV(device.path) with
    QEMU or other tap users. The node is replaced when the link is re-created
    and removed with O(state=absent). Deleting the namespace by other means
    leaves the node (and its directory) behind; it is harmless but stale.
'''
