#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: topology
short_description: Build, converge and remove a whole virtual network lab in one task
description:
  - Takes one description of a lab (network namespaces as nodes, bridges,
    and links between them) and makes the host match it in one run.
  - Every change is planned first and then applied in dependency order
    (namespaces, links, in-place changes, enslaving, addresses, impairments,
    bringing links up, routes). If a step fails, the steps this run already
    made are undone, and the error names the step.
  - With O(state=present) the run converges. It adds what is missing, changes
    attributes in place, and re-creates a link only when the kernel cannot
    change it in place (another peer or parent, another kind).
  - Every object it creates carries the lab's ownership mark C(vnet:<lab>)
    (the alias of each link, and for a namespace the alias of its C(lo)).
    O(prune=true) and O(state=absent) remove only marked objects. They never
    remove anything unmarked.
  - O(state=absent) removes the whole lab, the marked links outside its
    namespaces first, then its namespaces (which takes every link inside
    with them). What the kernel deletes along with them outside the lab (a
    veth peer in another namespace, a link stacked on a lab link) is listed
    in the plan, and refused when the lab does not own it unless
    O(allow_collateral=true).
  - Runs of the same lab on one host wait for each other (O(lock_timeout));
    runs of different labs go on in parallel.
  - Namespaces are created in-process (unshare and a bind mount, as
    C(ip netns add) does) and each namespace gets one netlink socket, so a
    lab of hundreds of nodes builds in about a second.
  - "Input errors are reported before anything is read or changed, with the
    path of the field (for example C(links[3].endpoints[1].node: unknown node 'r9'))."
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.safety
attributes:
  check_mode:
    support: full
    details:
      - The prediction is the full plan (RV(actions) and RV(plan)); a real run
        from the same state makes exactly these steps.
  diff_mode:
    support: full
    details:
      - Before and after are keyed by node and by C(node/interface).
  idempotent:
    support: full
requirements:
  - pyroute2 >= 0.9.1 (on the managed host)
  - Linux, run as root
options:
  lab:
    description:
      - Name of the lab; it is written into the ownership mark C(vnet:<lab>).
      - 1 to 64 letters, digits, C(_), C(.) or C(-).
    type: str
    required: true
  state:
    description:
      - C(present) builds the lab or converges it to the description.
      - C(absent) removes every object marked with the lab's name (the
        description's links are not needed and are ignored). The lab's
        links in a namespace outside C(/run/netns) (a node given by
        O(nodes[].netns)) are found in the namespaces of running processes
        (and in the nodes given again); a node given again whose container
        or process is gone is reported in a warning and the rest is
        removed.
    type: str
    choices: [present, absent]
    default: present
  prune:
    description:
      - Also remove marked objects that are no longer described. These are
        namespaces, links, routes added by this module, and addresses on
        marked links and on C(lo) of marked namespaces.
      - Unmarked objects are never removed.
    type: bool
    default: false
  verify:
    description:
      - After applying, read the lab again and fail if anything is still to
        be done (the kernel silently ignored a setting).
    type: bool
    default: true
  allow_disruptive:
    description:
      - In the root namespace, the links carrying a default route or the SSH
        connection of the task are protected. Deleting them (also as the
        collateral of another deletion, such as the veth peer of a lab link),
        or enslaving them, is refused unless this is C(true).
    type: bool
    default: false
  allow_port_takeover:
    description:
      - A described link that is already the port of a master the lab does
        not own (a bridge, bond or team of someone else) is not moved to the
        lab's master unless this is C(true).
    type: bool
    default: false
  report:
    description:
      - How much of the plan the result lists. C(full) returns RV(actions)
        and RV(plan) (every step and every object). C(summary) returns only
        RV(summary) (counts), which keeps the result small for big labs, since
        Ansible carries and handles every element of the lists.
      - C(auto) is C(full) for a plan of at most 1000 steps, in check mode,
        in diff mode and with C(-v); C(summary) otherwise.
    type: str
    choices: [auto, full, summary]
    default: auto
  persist:
    description:
      - C(true) makes the lab come back at every boot of the managed host. The
        module stores the description and a build script generated from it
        (the one C(vnet.linux.topology_info) exports, ending with a check that
        the lab is whole) in C(/etc/vnet-linux/labs/<lab>/) (mode 0700, files
        readable by root only), and installs and enables the oneshot systemd
        unit C(vnet-lab-<lab>.service), which runs the script early at boot,
        before C(network-pre.target).
      - The unit needs neither the controller nor Ansible, Python or pyroute2
        on the host, only iproute2 (and teamd for a team). C(systemctl status
        vnet-lab-<lab>.service) says whether the lab came back whole.
      - C(false), and O(state=absent), disable and remove the unit and the
        stored files, if any (the running lab is not touched by that).
      - Files are rewritten and the unit enabled only when their content or
        enablement differ; check mode lists the steps under RV(persist) and
        writes nothing; diff mode shows each file before and after.
      - C(true) needs systemd as the host's init system (C(/run/systemd/system)
        exists) and is refused before any change otherwise.
      - See C(docs/persist.md) for what comes back, in which order, and what
        does not.
    type: bool
    default: false
  nodes:
    description:
      - The nodes of the lab. Each node is a named network namespace (as in
        C(ip netns)) whose name is the node's name.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Name of the node and of its namespace (1 to 255 bytes, no C(/),
            no whitespace, not C(.) or C(..)).
        type: str
        required: true
      external:
        description:
          - The namespace exists already and is not the lab's. The lab uses it
            (puts links in it, adds routes) but never creates, marks or
            removes it.
          - A namespace that exists but is not marked as the lab's is refused
            as a node unless this is C(true). A lab never adopts a namespace
            it did not create (it would remove it with O(state=absent)).
        type: bool
        default: false
      root:
        description:
          - This node is the host's root network namespace (implies
            O(nodes[].external)). Use it to reach the host, for example a
            macvlan on the host's C(eth1) placed into a lab node.
        type: bool
        default: false
      netns:
        description:
          - The node is the network namespace of a running container or
            process instead of the namespace named like the node (implies
            O(nodes[].external)). C(pid:1234) is the namespace of process
            1234; C(path:/var/run/docker/netns/NAME) (or just the absolute
            path) a namespace file kept outside C(/run/netns), as Docker and
            containerd keep them; C(container:web) the container C(web),
            whose PID the first installed CLI of C(podman), C(docker) and
            C(nerdctl) reports (C(container:docker/web) asks that one only);
            a plain name (or C(name:NAME)) a namespace under C(/run/netns).
          - Resolved once when the run starts. A process, file or container
            that does not exist, or is no network namespace, is refused
            naming this field, before anything changes.
          - The lab never creates, marks, renames or removes such a
            namespace, and only deletes links in it that carry the lab's
            mark. Its C(lo) is left alone (no O(nodes[].loopback)).
          - See the collection's C(docs/containers.md).
        type: str
      sysctls:
        description:
          - Per-namespace sysctls (C(net.*) keys), for example
            C(net.ipv4.ip_forward=1) for a router. Per-interface keys of the
            lab's own links (C(net.ipv4.conf.eth0.rp_filter)) work too.
        type: dict
        default: {}
      loopback:
        description:
          - Addresses (CIDR) on the node's C(lo), for example a router id
            C(10.255.0.1/32). C(lo) is always brought up.
        type: list
        elements: str
        default: []
      routes:
        description:
          - Static routes of the node, in its main table unless
            O(nodes[].routes[].vrf) or O(nodes[].routes[].table) says
            otherwise. They are marked with the route protocol number 118, so
            O(prune) can tell them apart. A route is known by its
            destination, metric and table; the same destination can have a
            route in each VRF.
        type: list
        elements: dict
        default: []
        suboptions:
          dst:
            description:
              - Destination network in CIDR form (C(10.0.0.0/8), no host
                bits), or C(default). An IPv6 default route is written
                C(default) with an IPv6 O(nodes[].routes[].via).
            type: str
            required: true
          via:
            description: Gateway address (on a directly connected network of the node).
            type: str
          dev:
            description: Outgoing interface (one of the node's).
            type: str
          metric:
            description: Route metric (priority).
            type: int
          vrf:
            description:
              - A C(vrf) link of the node (O(links[])) whose table the route
                goes into; its gateway is looked up in that table. Excludes
                O(nodes[].routes[].table).
              - M(vnet.linux.topology_info) names a route's table this way
                when one VRF of the node has that table.
              - The kernel's own policy rule for VRFs (C(l3mdev), added with
                a namespace's first VRF) sends a VRF port's traffic to the
                VRF's table; no rule needs to be described.
            type: str
          table:
            description:
              - Routing table id of the route (1 to 4294967295; C(254) is the
                main table, the default; C(255), the kernel's local table, is
                refused). For tables that are no VRF's (policy routing).
                Excludes O(nodes[].routes[].vrf).
            type: int
      host:
        description:
          - The inventory name of the host the node lives on, one of
            O(spread.hosts). Needs O(spread).
          - Without it, O(spread.placement) decides.
        type: str
        version_added: 1.2.0
      weight:
        description:
          - How much of a host the node takes, for O(spread.placement=balanced)
            and O(spread.placement=compact) (for example 4 for a router with
            many routes, 1 for a host). At least 1.
        type: int
        default: 1
        version_added: 1.2.0
      vm:
        description:
          - Makes the node a QEMU virtual machine attached to the lab through
            the node's macvtap (or ipvtap) link (O(nodes[].vm.interface)).
            The node stays a namespace of the lab; it holds the host side of
            the macvtap, whose lower device is a lab interface (a veth end,
            for example). See C(docs/vm-nodes.md).
          - The module opens the macvtap's device node and starts qemu with it
            (C(-netdev tap,fd=N)), the guest NIC (virtio) taking the macvtap's
            MAC address, daemonized, with its pid file and console log
            (C(-serial file:)) at C(/run/vnet-linux/vm/<lab>/<node>.pid) and
            C(.log). VMs start after every other step of the run.
          - A running VM whose qemu command line is the one these settings give
            (and whose macvtap is the same device) is left alone. A change of
            any setting, or a re-created macvtap, re-creates the VM (stop,
            start) - the guest reboots. A VM that stopped is started again.
          - O(state=absent), and O(prune=true) for a node that is no longer a
            VM node, stop the VM (SIGTERM, then SIGKILL after
            O(nodes[].vm.stop_timeout)) and remove its files. Only a process
            whose command line is a qemu with that very pid file is ever
            signalled.
          - Not for an O(nodes[].external) or O(nodes[].root) node.
        type: dict
        version_added: 1.2.0
        suboptions:
          image:
            description:
              - The guest's disk image, attached as a virtio disk (C(/dev/vda)).
            type: path
            required: true
          image_format:
            description: The format of O(nodes[].vm.image).
            type: str
            choices: [raw, qcow2]
            default: raw
          snapshot:
            description:
              - Write the guest's changes to a throwaway overlay (qemu
                C(snapshot=on)), so that one image serves many VMs and
                stays clean. V(false) writes into the image.
            type: bool
            default: true
          kernel:
            description:
              - A kernel that qemu boots directly (C(-kernel)). Without it the
                guest boots from its image's boot loader.
            type: path
          initrd:
            description: The initial RAM disk of O(nodes[].vm.kernel).
            type: path
          append:
            description:
              - The kernel command line (with O(nodes[].vm.kernel)). The lab
                appends C(vnet.ip=ADDRESS/PREFIX) and C(vnet.gw=GATEWAY) for
                O(nodes[].vm.address) and O(nodes[].vm.gateway).
            type: str
            default: ""
          memory:
            description: Memory of the guest in MiB (16 or more).
            type: int
            default: 512
          cpus:
            description: Virtual CPUs of the guest (1 to 256).
            type: int
            default: 1
          accel:
            description:
              - V(kvm) (hardware virtualization), V(tcg) (software emulation,
                slow but runs anywhere), or V(auto) - KVM when a probe boot of
                the VM's kernel (or the host's) under KVM reaches the kernel's
                panic for a missing root within 10 seconds, TCG otherwise. An
                openable C(/dev/kvm) is not enough (nested KVM can hang or
                abort). The verdict is kept in
                C(/run/vnet-linux/vm/kvm-usable) until the host reboots.
              - A running VM started with V(auto) is left alone whichever
                accelerator it got.
            type: str
            choices: [auto, kvm, tcg]
            default: auto
          interface:
            description:
              - The macvtap or ipvtap link of this node (O(links[].name)) the
                VM is attached through. Default the node's only one.
              - That link carries no O(links[].addresses); the address is the
                guest's (O(nodes[].vm.address)).
            type: str
          address:
            description:
              - The guest's address (CIDR), passed on the kernel command line
                as C(vnet.ip=); needs O(nodes[].vm.kernel). The guest's init
                must apply it (the VM lane's image, C(scripts/vm/build-image.sh),
                does). M(vnet.linux.reachability) pings it.
            type: str
          gateway:
            description: The guest's default gateway, passed as C(vnet.gw=) (with O(nodes[].vm.address)).
            type: str
          qemu:
            description:
              - The qemu binary (a name on E(PATH) or a path). Its file name
                must contain C(qemu) - that and the pid file on its command
                line tell the lab's VM from any other process.
            type: str
            default: qemu-system-x86_64
          stop_timeout:
            description: Seconds between SIGTERM and SIGKILL when the VM is stopped (1 to 3600).
            type: int
            default: 10
  bridges:
    description:
      - Linux bridges (switches), each in a node. Bridge settings omitted are
        left as the kernel has them. Ports are added by links whose endpoint
        names the bridge (O(links[].endpoints[].bridge)), or single-device
        links that name it (O(links[].bridge)).
      - The bridge settings are the options of M(vnet.linux.bridge) (one kind
        spec makes both and checks both; its documentation is the bridge doc
        fragment), given here as fields of the entry.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Interface name of the bridge.
        type: str
        required: true
      node:
        description: Node (namespace) the bridge is in.
        type: str
        required: true
      stp:
        description: As O(vnet.linux.bridge#module:stp).
        type: bool
      priority:
        description: As O(vnet.linux.bridge#module:priority).
        type: int
      forward_delay:
        description: As O(vnet.linux.bridge#module:forward_delay).
        type: float
      hello_time:
        description: As O(vnet.linux.bridge#module:hello_time).
        type: float
      max_age:
        description: As O(vnet.linux.bridge#module:max_age).
        type: float
      ageing_time:
        description: As O(vnet.linux.bridge#module:ageing_time).
        type: float
      vlan_filtering:
        description: As O(vnet.linux.bridge#module:vlan_filtering).
        type: bool
      vlan_protocol:
        description: As O(vnet.linux.bridge#module:vlan_protocol).
        type: str
        choices: [802.1Q, 802.1ad]
      default_pvid:
        description: As O(vnet.linux.bridge#module:default_pvid).
        type: int
      mcast_snooping:
        description: As O(vnet.linux.bridge#module:mcast_snooping).
        type: bool
      mcast_querier:
        description: As O(vnet.linux.bridge#module:mcast_querier).
        type: bool
      group_fwd_mask:
        description: As O(vnet.linux.bridge#module:group_fwd_mask).
        type: int
      mtu:
        description: MTU of the bridge.
        type: int
      mac_address:
        description: MAC address of the bridge.
        type: str
      addresses:
        description: Addresses (CIDR) on the bridge itself (for example a gateway of the LAN).
        type: list
        elements: str
        default: []
  links:
    description:
      - The links. A O(links[].kind=veth) link (the default) joins two
        endpoints. Other kinds are one device in a node, described by
        O(links[].node) and O(links[].name).
      - Order does not matter; devices stacked on other links are created
        after them.
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description:
          - C(veth) is a point-to-point pair between two endpoints.
          - C(macvlan), C(macvtap), C(ipvlan), C(ipvtap) are a device on a
            parent interface (O(links[].parent) in O(links[].parent_node)),
            placed into O(links[].node).
          - C(vlan) is a VLAN on a parent interface, placed into
            O(links[].node) likewise (M(vnet.linux.vlan)); its C(id) and the
            rest of its settings are in O(links[].options). A VLAN's parent
            may be another VLAN (QinQ).
          - C(bond) bonds ports of its node (O(links[].ports)).
          - C(dummy) is one device in a node (M(vnet.linux.dummy)), for
            example for addresses or as a bridge or bond port.
          - C(vxlan) and C(geneve) are overlay tunnel devices in a node
            (M(vnet.linux.vxlan), M(vnet.linux.geneve)), their settings in
            O(links[].options); a vxlan's static forwarding entries (the
            remote VTEPs of a unicast overlay) are its C(fdb) option, the
            whole set of them (entries not listed are removed). A vxlan may
            have an underlay node and device (O(links[].parent_node),
            O(links[].parent)).
          - C(gre), C(gretap), C(ip6gre), C(ip6gretap) are GRE tunnels
            (M(vnet.linux.gre) and the others), one device in a node with
            its local and remote address, keys, ttl and tos in
            O(links[].options). gretap and ip6gretap carry Ethernet frames
            (bridge ports, a MAC address); gre and ip6gre carry IP packets
            and have no MAC address. The kernel's fallback devices
            (C(gre0), C(gretap0), C(ip6gre0), ...) in every namespace are
            never reported, changed or pruned.
          - C(team) is a team device run by a teamd daemon (as the
            M(vnet.linux.teamd) module runs it), with O(links[].runner) and
            O(links[].ports). A change of its configuration restarts teamd,
            which re-creates the device; if that fails, the old team is
            brought back. O(state=absent) and O(prune) stop the lab's teamd
            daemons. M(vnet.linux.topology_info) reports teams as C(team).
          - C(teamd) is the former name of C(team), still accepted with a
            deprecation warning until release 2.0.0.
          - C(wireguard) is a WireGuard tunnel end in a node
            (M(vnet.linux.wireguard)), its keys, port and peers in
            O(links[].options). Its UDP socket is in that node, so the underlay
            (for example a veth link between two sites) must reach it there.
          - C(vrf) is a VRF device (M(vnet.linux.vrf)) of its node with its
            routing table (C(table) in O(links[].options), required) and its
            ports (O(links[].ports)); routes go into its table with
            O(nodes[].routes[].vrf). A new table re-creates the VRF (the
            kernel cannot change it in place) with its ports. Two VRFs of a
            node cannot share a table.
          - bond, team, ipvlan, ipvtap, dummy, vlan, wireguard, vrf, vxlan, geneve
            and the GRE kinds need kernel modules that some kernels lack; a team needs the
            C(teamd) and C(teamdctl) programs.
        type: str
        choices: [veth, bond, dummy, geneve, gre, gretap, ip6gre, ip6gretap, ipvlan, ipvtap,
                  macvlan, macvtap, team, vlan, vrf, vxlan, wireguard, teamd]
        default: veth
      endpoints:
        description:
          - The two ends of a veth link.
        type: list
        elements: dict
        suboptions:
          node:
            description:
              - Node the end is in. With O(links[].endpoints[].bridge) it may
                be omitted (it is the bridge's node).
            type: str
          bridge:
            description:
              - Make this end a port of this bridge (in the bridge's node).
                Give O(links[].endpoints[].node) too when several nodes have
                a bridge of that name.
            type: str
          name:
            description: Interface name of the end.
            type: str
            required: true
          addresses:
            description: Addresses (CIDR) of the end.
            type: list
            elements: str
            default: []
          mtu:
            description: MTU of the end.
            type: int
          mac_address:
            description: MAC address of the end.
            type: str
          impairment:
            description:
              - Impair traffic sent by this end with a netem qdisc (needs the
                kernel's C(sch_netem)).
            type: dict
            suboptions:
              delay:
                description: Added delay (C(10ms), C(500us), C(1s)).
                type: str
              jitter:
                description: Delay variation (needs O(links[].endpoints[].impairment.delay)).
                type: str
              loss:
                description: Random loss in percent (C(1%)).
                type: str
              rate:
                description: Rate limit (C(10mbit), C(512kbit)).
                type: str
              delay_correlation:
                description: Correlation of the delay variation in percent (needs O(links[].endpoints[].impairment.jitter)).
                type: str
              loss_correlation:
                description: Correlation of the loss in percent (needs O(links[].endpoints[].impairment.loss)).
                type: str
              duplicate:
                description: Share of packets sent twice, in percent (C(1%)).
                type: str
              duplicate_correlation:
                description: Correlation of the duplication (needs O(links[].endpoints[].impairment.duplicate)).
                type: str
              reorder:
                description: Share of packets sent at once, ahead of the delayed ones, in percent (needs O(links[].endpoints[].impairment.delay)).
                type: str
              reorder_correlation:
                description: Correlation of the reordering (needs O(links[].endpoints[].impairment.reorder)).
                type: str
              reorder_gap:
                description: Reorder only every Nth packet (needs O(links[].endpoints[].impairment.reorder); the kernel's default is C(1)).
                type: int
              corrupt:
                description: Share of packets with a flipped bit, in percent.
                type: str
              corrupt_correlation:
                description: Correlation of the corruption (needs O(links[].endpoints[].impairment.corrupt)).
                type: str
              limit:
                description: Length of netem's packet queue (the kernel's default is C(1000)).
                type: int
      node:
        description: Node of a single-device link (not veth).
        type: str
      name:
        description: Interface name of a single-device link (not veth).
        type: str
      bridge:
        description:
          - Make a single-device link (not veth) a port of this bridge of its
            node, as O(links[].endpoints[].bridge) does for a veth end.
        type: str
      addresses:
        description: Addresses (CIDR) of a single-device link.
        type: list
        elements: str
        default: []
      mtu:
        description: MTU of a single-device link.
        type: int
      mac_address:
        description: MAC address of a single-device link.
        type: str
      parent:
        description:
          - The lower interface of a macvlan, macvtap, ipvlan, ipvtap or vlan.
          - A tunnel's underlay device (a vxlan's, needed with a multicast
            C(group)), which it may go without; O(links[].parent_node)
            alone then names the node it is created in (where its socket lives)
            before it is placed into O(links[].node).
        type: str
      parent_node:
        description:
          - Node of O(links[].parent) (default O(links[].node)). The device is
            created on the parent and placed straight into O(links[].node).
          - A parent on the host is in a node with O(nodes[].root=true) (the
            root namespace).
          - For a vxlan, with or without O(links[].parent), the underlay node
            - the vxlan is created there (its UDP socket lives there) and
            placed into O(links[].node). Another underlay re-creates it, and
            removing the underlay node removes it. A geneve has no underlay
            node (the kernel does not report where its socket lives) - it
            lives with its socket in O(links[].node).
        type: str
      device_owner:
        description:
          - Owner (user name or uid) of a macvtap's or ipvtap's character device
            node, kept as for M(vnet.linux.macvtap) at
            C(/run/vnet-linux/tap/netns/<node>/<name>) (C(/run/vnet-linux/tap/root/<name>)
            in a root node), replaced when the link is re-created and removed with it.
          - Omitted, an existing node keeps its owner; a new one belongs to root.
        type: str
      device_group:
        description:
          - Group (name or gid) of the device node of a macvtap or ipvtap.
          - Omitted, an existing node keeps its group; a new one has group root.
        type: str
      device_mode:
        description:
          - Permissions of the device node of a macvtap or ipvtap, as octal text
            like C('0660'). Omitted, an existing node keeps its mode; a new one
            gets C(0600).
        type: str
      mode:
        description:
          - Mode of a macvlan/macvtap (O(vnet.linux.macvlan#module:mode)), of an
            ipvlan/ipvtap (O(vnet.linux.ipvlan#module:mode)), or of a bond
            (O(vnet.linux.bond#module:mode)).
        type: str
      ports:
        description:
          - Ports of a bond, team or vrf, interfaces of its node (for example
            veth ends), by name. Other kinds cannot take ports and refuse the
            option (bridge ports are endpoints with O(links[].endpoints[].bridge)).
          - A bond's port may instead be a dict with C(name) and its port
            settings C(prio) (priority for the choice of the active port, in
            modes C(active-backup), C(balance-tlb), C(balance-alb)) and
            C(queue_id) (transmit queue of the bond that sends through this
            port, 0 to 65535), as in M(vnet.linux.bond). Settings omitted are
            left as they are.
        type: list
        elements: raw
        default: []
      options:
        description:
          - Further kind options, with the names, types, choices, ranges and
            mode rules of the kind's module, checked by the same code (the
            kind spec), for M(vnet.linux.bond) (for example C(miimon),
            C(xmit_hash_policy)), M(vnet.linux.macvlan) and
            M(vnet.linux.macvtap) (C(bcqueuelen), C(source_macs)),
            M(vnet.linux.ipvlan) and M(vnet.linux.ipvtap) (C(flags)),
            M(vnet.linux.vlan) (C(id), C(protocol), its flags and QoS maps),
            M(vnet.linux.gre), M(vnet.linux.gretap), M(vnet.linux.ip6gre)
            and M(vnet.linux.ip6gretap) (C(local), C(remote), C(key),
            C(ikey), C(okey), C(ttl), C(tos), C(pmtudisc) or C(flowlabel)
            and C(encaplimit)), M(vnet.linux.vxlan) (for example C(vni),
            C(local), C(dstport), C(fdb)) and M(vnet.linux.geneve) (C(vni),
            C(remote), ...), M(vnet.linux.vrf) (C(table)). A C(dummy) has
            none. Unknown names are refused.
          - Rules that depend on the link's current state (the bond's mode
            when O(links[].mode) is omitted, its C(miimon)) are checked
            against the kernel before anything changes.
          - For a C(team) link, the options of the M(vnet.linux.teamd) module
            (for example C(link_watch), or C(runner) with runner settings).
          - For a C(wireguard) link, the options of the
            M(vnet.linux.wireguard) module (C(private_key_file),
            C(generate_key), C(listen_port), C(fwmark), C(peers)), with two
            differences. A peer may name another wireguard link of the lab,
            C(peer) with C(node) and C(name) of it, instead of a C(public_key);
            its public key is then derived from that link's
            C(private_key_file) (generated earlier in the same run if need
            be), or, when that link is described without a key file, read
            from the kernel. A preshared key comes only from a file
            (C(preshared_key_file)), as a literal one would be logged with the
            task's arguments.
          - M(vnet.linux.topology_info) reads a wireguard link back with its
            listen port, fwmark and peers (a peer that is a wireguard link
            of what was read, by reference), but never a key, neither the
            private key nor the preshared keys (secrets), nor the key
            file (the kernel does not know it). Left out, they stay as they
            are, so applying what was read changes nothing; to build the
            lab elsewhere, add the key files.
        type: dict
        default: {}
      runner:
        description:
          - Runner of a C(team) link (C(roundrobin), C(activebackup),
            C(loadbalance), C(broadcast), C(random), C(lacp)). Default C(roundrobin).
        type: str
      impairment:
        description: Impairment (netem) of a single-device link, as for endpoints.
        type: dict
        suboptions:
          delay:
            description: Added delay.
            type: str
          jitter:
            description: Delay variation.
            type: str
          loss:
            description: Random loss in percent.
            type: str
          rate:
            description: Rate limit.
            type: str
          delay_correlation:
            description: Correlation of the delay variation.
            type: str
          loss_correlation:
            description: Correlation of the loss.
            type: str
          duplicate:
            description: Share of packets sent twice.
            type: str
          duplicate_correlation:
            description: Correlation of the duplication.
            type: str
          reorder:
            description: Share of packets sent ahead of the delayed ones.
            type: str
          reorder_correlation:
            description: Correlation of the reordering.
            type: str
          reorder_gap:
            description: Reorder only every Nth packet.
            type: int
          corrupt:
            description: Share of packets with a flipped bit.
            type: str
          corrupt_correlation:
            description: Correlation of the corruption.
            type: str
          limit:
            description: Length of netem's packet queue.
            type: int
  generate:
    description:
      - Generate the description on the managed host from a preset of the
        collection instead of giving O(nodes), O(bridges) and O(links) (they
        must then be empty). The lab is exactly the one the
        P(vnet.linux.lab_preset#filter) filter makes from the same
        parameters, with the node names prefixed with C(<lab>-) (see
        C(docs/presets.md)).
      - For large labs, since Ansible loads, templates, sends and checks
        every element of a description given in full (0.3 MB for a lab of
        1000 nodes), and only these few parameters here.
      - Parameters a preset does not use are ignored; wrong values are
        reported as C(generate) errors before anything is read or changed.
      - Ignored with O(state=absent).
    type: dict
    suboptions:
      preset:
        description: The preset.
        type: str
        required: true
        choices: [demo, p2p, star, star_chain, chain, ring, tree, leaf_spine,
                  macvlan_lan, ipvlan_lan, bond_host, team_host, macvtap_vms, vlan_trunk,
                  qinq, vxlan_overlay, vrf_router, wireguard_sites]
      prefix:
        description:
          - Prefix of the node names (namespace names, at most 15 bytes in
            all). Default C(<lab>-), or a short one for a lab named after
            its preset (C(sc-) for star_chain, C(ls-) for leaf_spine, ...).
        type: str
      nodes:
        description: Hosts of C(star), C(star_chain) (2 to 1023), C(macvlan_lan), C(ipvlan_lan) (1 to 126).
        type: int
      routers:
        description: Routers of C(chain) (2 to 128) and C(ring) (3 to 128).
        type: int
      depth:
        description: Levels below the root of C(tree) (1 to 6).
        type: int
      fanout:
        description: Children per router of C(tree) (1 to 8; at most 128 routers in all).
        type: int
      spines:
        description: Spines of C(leaf_spine) (1 to 8).
        type: int
      leaves:
        description: Leaves of C(leaf_spine) (1 to 16).
        type: int
      hosts_per_leaf:
        description: Hosts on each leaf's LAN in C(leaf_spine) (0 to 16).
        type: int
      mode:
        description:
          - Mode of the C(macvlan_lan), C(ipvlan_lan), C(macvtap_vms) children,
            or of the bond of C(bond_host).
        type: str
      runner:
        description: The teamd runner of C(team_host).
        type: str
      miimon:
        description: Link monitoring interval of the bond of C(bond_host) (ms).
        type: int
      vms:
        description: Number of macvtaps of C(macvtap_vms) (1 to 64).
        type: int
      vlans:
        description: Number of VLANs of C(vlan_trunk) (1 to 32).
        type: int
      hosts_per_vlan:
        description: Hosts of each VLAN on each switch of C(vlan_trunk) (1 to 8).
        type: int
      customers:
        description: Number of customers of C(qinq) (1 to 16).
        type: int
      service_vlan:
        description: The service VLAN's id of C(qinq) (1 to 4094).
        type: int
      segments:
        description: Number of segments of C(vxlan_overlay) (1 to 16).
        type: int
      hosts_per_segment:
        description: Hosts of each segment behind each VTEP of C(vxlan_overlay) (1 to 8).
        type: int
      vrfs:
        description: Number of VRFs of C(vrf_router) (1 to 8).
        type: int
      hosts_per_site:
        description: Hosts of each site of C(wireguard_sites) (1 to 8).
        type: int
      key_dir:
        description:
          - Directory on the managed host of the private keys C(wireguard_sites) generates
            (C(<node>-wg0.key), mode 0600), default C(/run).
          - Keys in C(/run) go at reboot, with the lab's namespaces; they are kept when the
            lab is removed.
        type: path
      p2p_pool:
        description: IPv4 pool of the /31 point-to-point links (default 10.0.0.0/16).
        type: str
      lan_pool:
        description: IPv4 pool of the LANs, a /24 each or larger for a bigger star (default 10.1.0.0/16).
        type: str
      loopback_pool:
        description: IPv4 pool of the routers' /32 loopbacks (default 10.255.0.0/24).
        type: str
      impairment:
        description: The same netem impairment on every veth endpoint.
        type: dict
        suboptions:
          delay:
            description: Delay (C(10ms)).
            type: str
          jitter:
            description: Jitter (C(1ms)).
            type: str
          loss:
            description: Loss (C(1%)).
            type: str
          rate:
            description: Rate (C(10mbit)).
            type: str
  spread:
    description:
      - Spread the lab over several hosts. Every host runs the module with
        the same whole description and its own O(spread.this_host), and
        builds its share - its nodes, with their routes, sysctls and
        loopbacks - with the same engine. The plan (placement, VNIs, names,
        MTUs) is computed on each host from the description alone, and is
        the same whatever the order of O(spread.hosts) or of the inventory.
      - A veth link whose ends are on two hosts is, on each host, a tunnel
        (O(spread.tunnel)) in the end's node with the end's name, addresses
        and MTU. It is created in the host's root namespace (the underlay,
        where its UDP socket lives) and moved into the node, with
        C(local) the host's address, C(remote) the other host's, and a VNI
        of its own. With a bridge port at both ends, each tunnel is a port
        of its bridge.
      - A LAN (a bridge) with members on several hosts is spread - each of
        those hosts and the switch's home have the switch node with the
        bridge (same names, same settings), joined by one vxlan port each
        (named C(vx<VNI>)) with a static flood entry
        (C(00:00:00:00:00:00)) per other host of the LAN; no multicast is
        needed, and MAC addresses are learned. The member's veth pair is made
        on the member's host. The bridge's addresses and MAC address, and the
        switch node's routes, sysctls and loopbacks, are only at its home.
      - MTU - links that cross hosts, and every interface of a spread LAN
        (its bridges, their ports and the members' ends), get the smallest
        underlay MTU of the hosts involved less the tunnel's overhead (50
        bytes over IPv4, 70 over IPv6 - outer IP, UDP, VXLAN, inner Ethernet),
        1450 on a 1500 underlay. A lower MTU given is kept; a higher one is
        refused (the underlay would drop such packets silently). Raise
        O(spread.hosts) C(mtu) on a jumbo-frame underlay instead.
      - The hosts must reach each other at their addresses on UDP port
        O(spread.port) (4789 for vxlan); open it in their firewalls.
      - Refused before anything is read or changed, on every host alike - a
        device (macvlan, vlan, tunnel, ...) whose parent or underlay node is
        on another host; a port of a bond, team or vrf that is built on
        another host; a wireguard peer named by reference on another host
        (name it by C(public_key) and C(endpoint)); a O(nodes[].host) that
        is not in O(spread.hosts), or given without O(spread).
      - Nodes with O(nodes[].root=true) or O(nodes[].external=true) exist
        on one host; without O(nodes[].host) they are at O(spread.home).
        A host's share uses its root node as the tunnels' underlay, or adds
        one named C(underlay).
      - O(state=absent) and O(prune) act on what the lab owns on the host
        that runs them, its share.
      - The filters P(vnet.linux.lab_share#filter) and
        P(vnet.linux.lab_placement#filter) give a host's share and the
        placement on the controller.
      - Ignored with O(state=absent).
    type: dict
    version_added: 1.2.0
    suboptions:
      this_host:
        description:
          - The host this run builds, usually C({{ inventory_hostname }}).
        type: str
        required: true
      hosts:
        description:
          - The hosts of the lab, by inventory name, each a dict with
            C(address) (required; its underlay address, IPv4 or IPv6, the
            same version for all) and C(mtu) (the underlay's MTU, default
            1500).
        type: dict
        required: true
      placement:
        description:
          - Where nodes without O(nodes[].host) go.
          - C(none) - on O(spread.home).
          - C(balanced) - over all hosts, evenly by O(nodes[].weight)
            (heaviest first, each on the least loaded host).
          - C(compact) - evenly too, keeping linked nodes together so that
            few links cross hosts - a node with one neighbour (a LAN's host,
            then the LAN's switch) is kept with it, then each host in turn
            takes the nodes most linked to what it has.
        type: str
        choices: [none, balanced, compact]
        default: none
      home:
        description: Host of the nodes left unplaced. Default the first host by name.
        type: str
      tunnel:
        description:
          - The kind of the tunnels of links that cross hosts - C(vxlan) or
            C(geneve). Each is created in the host's root namespace (its
            UDP socket there) and moved into the end's node.
          - A spread LAN is joined by vxlan either way (its flood entries
            to every other host have no geneve form).
        type: str
        choices: [vxlan, geneve]
        default: vxlan
      port:
        description:
          - UDP port of the tunnels of links that cross hosts. Default 4789
            (IANA's VXLAN port), 6081 (IANA's GENEVE port) for O(spread.tunnel=geneve).
        type: int
      lan_port:
        description:
          - UDP port of the vxlan ports of spread LANs. Default O(spread.port)
            with O(spread.tunnel=vxlan), otherwise 4789; a port takes one kind of tunnel.
        type: int
      vni_base:
        description:
          - The lab's VNIs are in O(spread.vni_base) to O(spread.vni_base)
            + 65535. Each crossing link and spread LAN gets one from a hash
            of its ends (the next free one on a collision), so that adding
            or removing a link leaves the others' VNIs alone.
          - Labs spread over the same hosts share each host's UDP port, so
            their ranges must not overlap.
        type: int
        default: 100000
notes:
  - Interfaces are always brought up. Routes are added after that, because
    the kernel refuses a gateway that no up link reaches.
  - Impairments are read only in nodes where the description uses them (or
    with O(prune)), so removing the last impairment of a node needs O(prune=true)
    or an explicit run with the impairment still described elsewhere in that node.
seealso:
  - module: vnet.linux.topology_info
  - module: vnet.linux.netns
  - module: vnet.linux.veth
  - module: vnet.linux.bridge
'''

EXAMPLES = r'''
- name: Two routers, a switch with a host, a default route
  vnet.linux.topology:
    lab: demo
    nodes:
      - name: r1
        sysctls: {net.ipv4.ip_forward: 1}
        loopback: [10.255.0.1/32]
      - name: r2
        routes:
          - {dst: default, via: 10.1.0.0}
      - name: sw1
      - name: h1
        routes:
          - {dst: default, via: 10.2.0.1}
    bridges:
      - {name: br0, node: sw1, stp: false}
    links:
      - endpoints:
          - {node: r1, name: eth0, addresses: [10.1.0.0/31]}
          - {node: r2, name: eth0, addresses: [10.1.0.1/31]}
      - endpoints:
          - {node: r1, name: eth1, addresses: [10.2.0.1/24]}
          - {bridge: br0, name: r1-p}
      - endpoints:
          - {node: h1, name: eth0, addresses: [10.2.0.11/24]}
          - {bridge: br0, name: h1-p}

- name: The same lab, built again at every boot of the host (a systemd unit)
  vnet.linux.topology:
    lab: demo
    persist: true
    nodes: [{name: r1}, {name: r2}]
    links:
      - endpoints:
          - {node: r1, name: eth0, addresses: [10.1.0.0/31]}
          - {node: r2, name: eth0, addresses: [10.1.0.1/31]}

- name: Preview the plan without changing anything
  vnet.linux.topology:
    lab: demo
    nodes: [{name: r1}, {name: r2}]
    links:
      - endpoints:
          - {node: r1, name: eth0}
          - {node: r2, name: eth0}
  check_mode: true
  diff: true
  register: preview

- name: A macvlan on a lab node's link
  vnet.linux.topology:
    lab: mv
    nodes: [{name: host1}, {name: n1}]
    links:
      - endpoints:
          - {node: host1, name: eth1}
          - {node: host1, name: eth1-peer}
      - {kind: macvlan, node: n1, name: mv0, parent: eth1, parent_node: host1,
         mode: bridge, addresses: [192.0.2.10/24]}

- name: Two VRFs with overlapping addresses on one router, each with its own routes
  vnet.linux.topology:
    lab: vrfs
    nodes:
      - name: pe
        routes:
          - {dst: 192.168.0.0/16, via: 10.0.0.2, vrf: red}
          - {dst: 192.168.0.0/16, via: 10.0.0.2, vrf: blue}
      - name: ce-red
        routes: [{dst: default, via: 10.0.0.1}]
      - name: ce-blue
        routes: [{dst: default, via: 10.0.0.1}]
    links:
      - endpoints:
          - {node: pe, name: to-red, addresses: [10.0.0.1/24]}
          - {node: ce-red, name: eth0, addresses: [10.0.0.2/24]}
      - endpoints:
          - {node: pe, name: to-blue, addresses: [10.0.0.1/24]}
          - {node: ce-blue, name: eth0, addresses: [10.0.0.2/24]}
      - {kind: vrf, node: pe, name: red, options: {table: 10}, ports: [to-red]}
      - {kind: vrf, node: pe, name: blue, options: {table: 20}, ports: [to-blue]}

- name: Two sites joined by a WireGuard tunnel over a veth underlay
  vnet.linux.topology:
    lab: vpn
    nodes: [{name: site1}, {name: site2}]
    links:
      - endpoints:
          - {node: site1, name: wan, addresses: [192.0.2.1/24]}
          - {node: site2, name: wan, addresses: [192.0.2.2/24]}
      - kind: wireguard
        node: site1
        name: wg0
        addresses: [10.10.0.1/24]
        options:
          private_key_file: /etc/vnet/vpn-site1.key
          generate_key: true
          listen_port: 51820
          peers:
            - peer: {node: site2, name: wg0}
              endpoint: 192.0.2.2:51820
              allowed_ips: [10.10.0.2/32]
      - kind: wireguard
        node: site2
        name: wg0
        addresses: [10.10.0.2/24]
        options:
          private_key_file: /etc/vnet/vpn-site2.key
          generate_key: true
          listen_port: 51820
          peers:
            - peer: {node: site1, name: wg0}
              endpoint: 192.0.2.1:51820
              allowed_ips: [10.10.0.1/32]

- name: Converge and remove what left the description
  vnet.linux.topology:
    lab: demo
    prune: true
    nodes: [{name: r1}]

- name: A star of 1000 hosts also joined in a line, generated on the host
  vnet.linux.topology:
    lab: big
    generate: {preset: star_chain, nodes: 1000, prefix: b-}

# Run on every host of the lab (the play's hosts), with
# lab_underlay: {alpha: {address: 192.0.2.1}, beta: {address: 192.0.2.2}}
- name: A leaf-spine spread over the hosts, each host builds its share
  vnet.linux.topology:
    lab: fabric
    generate: {preset: leaf_spine, spines: 2, leaves: 8, hosts_per_leaf: 4}
    spread:
      this_host: "{{ inventory_hostname }}"
      hosts: "{{ lab_underlay }}"
      placement: compact

- name: Two routers on two hosts, the link between them a vxlan tunnel
  vnet.linux.topology:
    lab: pair
    nodes:
      - {name: r1, host: alpha}
      - {name: r2, host: beta}
    links:
      - endpoints:
          - {node: r1, name: eth0, addresses: [10.0.0.0/31]}
          - {node: r2, name: eth0, addresses: [10.0.0.1/31]}
    spread:
      this_host: "{{ inventory_hostname }}"
      hosts:
        alpha: {address: 192.0.2.1}
        beta: {address: 192.0.2.2, mtu: 9000}

- name: A VM node - the VM lane's guest image on a macvtap on a veth end to r1
  vnet.linux.topology:
    lab: vms
    nodes:
      - name: r1
      - name: vm1
        vm:
          image: /var/cache/vnet-linux/vm/rootfs.img
          kernel: /var/cache/vnet-linux/vm/vmlinuz
          initrd: /var/cache/vnet-linux/vm/initrd.img
          append: root=/dev/vda rw console=ttyS0 init=/sbin/vnet-init quiet
          memory: 512
          cpus: 1
          address: 192.0.2.10/24
          gateway: 192.0.2.1
    links:
      - endpoints:
          - {node: r1, name: eth0, addresses: [192.0.2.1/24]}
          - {node: vm1, name: eth0}
      - {kind: macvtap, node: vm1, name: mvt0, parent: eth0, mode: bridge}

- name: Remove the whole lab
  vnet.linux.topology:
    lab: demo
    state: absent
'''

RETURN = r'''
actions:
  description: The ordered steps the run made (in check mode, would make). A
    real run's list equals the check-mode list for the same state.
  returned: with the full report (O(report))
  type: list
  elements: str
  sample:
    - create namespace r1 (lo up, marked)
    - create veth eth0 in node r1 with peer eth0 in node r2
    - add address 10.1.0.0/31 to veth eth0 in node r1
    - mark and bring up veth eth0 in node r1
plan:
  description: What the run does to which object, as structured lists.
  returned: with the full report (O(report))
  type: dict
  contains:
    added:
      description:
        - Objects created (nodes, bridges, links, routes, VMs). A VM is a
          dict of C(type) (V(vm)) and C(name) (its node); one re-created or
          stopped is listed so in RV(plan.recreated) and RV(plan.removed).
      type: list
      elements: dict
      sample: [{type: link, kind: veth, node: r1, name: eth0}]
    changed:
      description: Objects changed in place, with each field's before and after.
      type: list
      elements: dict
      sample: [{type: link, kind: veth, node: r1, name: eth0,
                changes: {mtu: {before: 1500, after: 9000}}}]
    recreated:
      description: Objects deleted and created again, with the reason.
      type: list
      elements: dict
    removed:
      description: Marked objects removed (prune, state=absent).
      type: list
      elements: dict
summary:
  description: How many steps the run made (would make in check mode), and
    how many objects it added, changed, re-created and removed (the lengths
    of RV(actions) and of the lists in RV(plan)).
  returned: always
  type: dict
  contains:
    steps:
      description: Number of steps.
      type: int
    added:
      description: Number of objects created.
      type: int
    changed:
      description: Number of objects changed in place.
      type: int
    recreated:
      description: Number of objects re-created.
      type: int
    removed:
      description: Number of objects removed.
      type: int
  sample: {steps: 5, added: 3, changed: 0, recreated: 0, removed: 0}
persist:
  description: What O(persist) did (in check mode, would do) to the stored lab
    and its boot unit.
  returned: always
  type: dict
  contains:
    unit:
      description: The name of the lab's systemd unit.
      type: str
      sample: vnet-lab-demo.service
    enabled:
      description: Whether the unit is installed and enabled after the run.
      type: bool
    directory:
      description: Where the description and the build script are stored (null
        when the lab is not persistent).
      type: str
      sample: /etc/vnet-linux/labs/demo
    actions:
      description: The steps made on the stored files and the unit (empty when
        nothing was to do).
      type: list
      elements: str
      sample:
        - create directory /etc/vnet-linux/labs/demo (mode 0700)
        - write /etc/vnet-linux/labs/demo/description.json
        - write /etc/vnet-linux/labs/demo/build.sh
        - write /etc/systemd/system/vnet-lab-demo.service
        - systemctl daemon-reload
        - systemctl enable vnet-lab-demo.service
timing:
  description:
    - Seconds the module spent per stage (validate, read, plan, apply,
      verify) and in C(total), without Ansible's own overhead.
    - C(process) is the time since the module's process started (Python,
      Ansible's module wrapper, imports and argument checks included), to
      10 ms.
  returned: always
  type: dict
  sample: {validate: 0.002, read: 0.05, plan: 0.01, apply: 0.6, verify: 0.2, total: 0.86,
           process: 1.12}
peak_memory_mb:
  description: Peak resident memory of the module process (MiB).
  returned: always
  type: float
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._lab.run import (
    TOPOLOGY_SPEC,
    run_topology,
)


def main():
    module = StrictModule(argument_spec=TOPOLOGY_SPEC, supports_check_mode=True)
    run_topology(module)


if __name__ == '__main__':
    main()
