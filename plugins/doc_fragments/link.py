# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options every link module has (merged in module_utils/_engine/link_run.py).
    DOCUMENTATION = r'''
options:
  name:
    description:
      - Name of the interface (1 to 15 bytes, no C(/), C(:) or whitespace, not C(.) or C(..)).
    type: str
    required: true
  netns:
    description:
      - Network namespace the interface lives in. Omit for the root namespace.
      - A name is a namespace under C(/run/netns), as in C(ip netns) (1 to 255
        bytes, no C(/), no whitespace, not C(.) or C(..)).
      - Or the namespace of a running container or process, outside
        C(/run/netns) - C(pid:1234) (the namespace of process 1234),
        C(path:/var/run/docker/netns/NAME) or just the absolute path (a
        namespace file, as Docker and containerd keep them),
        C(container:web) (the container's PID as reported by the first
        installed CLI of C(podman), C(docker), C(nerdctl)) or
        C(container:docker/web) (that CLI only). C(name:NAME) is the name
        NAME, for a name that would read as one of these.
      - A reference is resolved once, before anything is read; a process,
        file or container that does not exist, or that is no network
        namespace, is refused naming the option. The module never creates
        or removes such a namespace. See the collection's
        C(docs/containers.md).
    type: str
  state:
    description:
      - C(present) creates the interface or changes it in place to match;
        C(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  admin_state:
    description:
      - Administrative state of the interface. Omit to leave it as it is.
    type: str
    choices: [up, down]
  mtu:
    description:
      - MTU in bytes (68 to 65535). Omit to leave it as it is.
    type: int
  mac_address:
    description:
      - Unicast MAC address such as C(02:00:00:00:00:01). Omit to keep the kernel's.
    type: str
  txqueuelen:
    description:
      - Transmit queue length in packets.
    type: int
  alias:
    description:
      - Interface alias (C(ip link set NAME alias TEXT)); at most 255 bytes.
      - An empty string removes the alias.
    type: str
  master:
    description:
      - Enslave the interface to this bridge (or bond/team) in the same namespace.
      - An empty string releases it from any master. Omit to leave it as it is.
    type: str
  addresses:
    description:
      - IPv4 and IPv6 addresses in CIDR form (C(10.0.0.1/24), C(2001:db8::1/64)).
      - Missing ones are added. Others are kept unless O(purge_addresses=true).
      - IPv6 link-local addresses are the kernel's and are never compared or removed.
    type: list
    elements: str
  purge_addresses:
    description:
      - Remove addresses that are not listed in O(addresses).
    type: bool
    default: false
  allow_disruptive:
    description:
      - In the root namespace, the interfaces carrying a default route or the
        SSH connection of the task are protected. Deleting, taking down,
        enslaving them or purging their addresses is refused unless this is
        C(true).
      - This covers collateral too, for example the veth peer of a deleted
        end, or a parent that a C(passthru) macvlan takes over.
    type: bool
    default: false
  allow_port_takeover:
    description:
      - Making a link a port of a master (a bridge, a bond, a team) when it is
        already the port of another master is refused unless this is C(true),
        in every module and in M(vnet.linux.topology). The task that moves it
        names it; this says the move away from its current master is meant.
    type: bool
    default: false
'''

    # Support of the attributes in the link modules and netns (what each
    # attribute means is in vnet.linux.attributes, which they extend too).
    ATTRIBUTES = r'''
attributes:
  check_mode:
    support: full
    details:
      - The prediction lists the exact steps a real run makes (RV(actions)).
      - A namespace or link that an earlier task of the play would create is
        assumed to exist, with a warning; a real run fails clearly instead.
      - Each task predicts from the kernel as it is. When two tasks of one
        play both manage the same new link, the second task's check-mode
        prediction cannot see what the first would create, and lists the
        creation again; describe each link in one task (or use
        M(vnet.linux.topology)) for an exact whole-play prediction.
  diff_mode:
    support: full
  idempotent:
    support: full
requirements:
  - pyroute2 >= 0.9.1 (on the managed host)
  - Linux, run as root
'''
