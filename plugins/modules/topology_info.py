#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: topology_info
short_description: Read a host's namespaces and links back as a topology description
description:
  - Reads the host's named network namespaces and their links and returns
    them in the input structure of M(vnet.linux.topology) (RV(nodes),
    RV(bridges), RV(links)), so that what is read can be applied again as it
    is. For a lab, applying what was read changes nothing.
  - With O(lab), only that lab's objects are returned (namespaces and links
    carrying its ownership mark C(vnet:<lab>)). Links it put in other
    namespaces come with them, under external nodes.
  - Returns each link's counters (packets, bytes, drops and errors).
  - It returns its results for C(register), not as C(ansible_facts). Up to
    version 1.1.0 it was called C(vnet.linux.topology_facts); that name
    still works until 2.0.0, with a deprecation warning.
  - With O(export), it also writes the lab it read on the managed host, as a
    POSIX shell script that builds the lab from nothing without Ansible
    (O(export.script)), and the part of it in the root namespace as
    systemd-networkd files (O(export.networkd_dir)). See the export guide
    (C(docs/export.md)).
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
attributes:
  check_mode:
    support: full
    details: It only reads; with O(export) it writes nothing in check mode and
      says which files would change (RV(export.files)).
  diff_mode:
    support: full
    details: With O(export), the text of each exported file that changes, before and after.
  idempotent:
    support: full
    details: With O(export), changed only when an exported file's content (or mode) changes.
requirements:
  - pyroute2 >= 0.9.1 (on the managed host)
  - Linux, run as root
options:
  lab:
    description:
      - Only the objects of this lab. Omit to read every named namespace.
      - Required with O(export).
    type: str
  export:
    description:
      - Write the lab that was read (O(lab)) to files on the managed host.
        Give O(export.script), O(export.networkd_dir) or both.
      - A file is replaced atomically, and only when its content or mode
        differs. Nothing is written in check mode.
    type: dict
    version_added: 1.2.0
    suboptions:
      script:
        description:
          - Path of a POSIX shell script (C(set -eu)) that builds the lab from
            nothing with C(ip), C(tc), C(bridge) and C(sysctl) (C(teamd) for
            a team, C(wg) for a wireguard link), in the order the topology
            module builds it; namespaces, links and routes carry the lab's
            mark, so that M(vnet.linux.topology) owns what it built. It
            holds what this module reads (the forwarding sysctls among a
            node's sysctls, no wireguard preshared key).
          - Written with mode C(0700); its directory must exist.
          - The script holds no secret; a wireguard link's private key is
            read by C(wg) from its key file (O(export.private_key_files)).
        type: path
      networkd_dir:
        description:
          - Directory for systemd-networkd files of the links of the lab's
            root node (C(root=true)), a C(.netdev), a C(.network) and a
            C(.link) (the lab's mark as alias) per link, named
            C(50-vnet-<lab>-<link>.*), mode C(0644). Files of this name
            pattern that the lab no longer needs are removed.
          - networkd has no network namespaces, so links in namespaces are
            not exported; nor are kinds other than bridge, bond, vlan,
            dummy, vrf, macvlan, vxlan and veth pairs with both ends in the
            root namespace. What is left out is listed in
            RV(export.not_exported).
          - The directory must exist (usually C(/etc/systemd/network)).
        type: path
      private_key_files:
        description:
          - The private key file of each wireguard link of the lab, on the
            host that runs the script (the kernel does not know where its key
            came from). Needed for a lab with wireguard links.
        type: list
        elements: dict
        default: []
        suboptions:
          node:
            description: The node of the wireguard link.
            type: str
            required: true
          name:
            description: The name of the wireguard link.
            type: str
            required: true
          path:
            description: Absolute path of its private key file.
            type: path
            required: true
notes:
  - Links of kinds the topology module does not describe (for example
    dummy or vxlan) are listed in RV(other_links), not in RV(links).
  - Without O(lab), the root namespace appears as a node named C(host) (with
    C(root=true)) only when a veth end or a parent is there.
seealso:
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: Read the lab back
  vnet.linux.topology_info:
    lab: demo
  register: demo

- name: Apply what was read (changes nothing)
  vnet.linux.topology:
    lab: demo
    nodes: "{{ demo.nodes }}"
    bridges: "{{ demo.bridges }}"
    links: "{{ demo.links }}"

- name: Write the lab as a script that builds it without Ansible
  vnet.linux.topology_info:
    lab: demo
    export:
      script: /usr/local/sbin/lab-demo.sh

- name: Write the lab's root-namespace links for systemd-networkd
  vnet.linux.topology_info:
    lab: demo
    export:
      networkd_dir: /etc/systemd/network
  register: networkd

- name: Let networkd read them
  ansible.builtin.command: networkctl reload
  changed_when: true
  when: networkd.changed

- name: Show the traffic of one interface
  ansible.builtin.debug:
    var: demo.counters.r1.eth0
'''

RETURN = r'''
lab:
  description: The lab asked for.
  returned: when O(lab) is given
  type: str
nodes:
  description:
    - Nodes (namespaces), as for the topology module's O(vnet.linux.topology#module:nodes).
    - With O(lab), a VM node has its C(vm) settings as its running qemu's command line gives
      them (the accelerator as resolved, the guest's address and gateway from its kernel
      command line), so that applying what was read leaves the VM running; a container's or
      process's namespace is an external node C(pid:PID) with that C(netns).
  returned: always
  type: list
  elements: dict
  sample: [{name: r1, sysctls: {net.ipv4.ip_forward: "1"}, loopback: [10.255.0.1/32],
            routes: [{dst: 10.0.0.0/8, via: 10.1.0.1}]}]
bridges:
  description: Bridges with their settings, as for the topology module's O(vnet.linux.topology#module:bridges).
  returned: always
  type: list
  elements: dict
links:
  description: Links, as for the topology module's O(vnet.linux.topology#module:links).
  returned: always
  type: list
  elements: dict
  sample:
    - endpoints:
        - {node: r1, name: eth0, mtu: 1500, mac_address: "02:00:00:00:00:01", addresses: [10.1.0.0/31]}
        - {node: r2, name: eth0, mtu: 1500, mac_address: "02:00:00:00:00:02", addresses: [10.1.0.1/31]}
other_links:
  description: Links that were read but that the topology module does not describe.
  returned: always
  type: list
  elements: dict
export:
  description: What O(export) wrote (in check mode, would write).
  returned: when O(export) is given
  type: dict
  contains:
    files:
      description: Paths of the files written or removed (changed ones only).
      type: list
      elements: str
      sample: [/usr/local/sbin/lab-demo.sh]
    script:
      description: The script's path.
      type: str
      returned: when O(export.script) is given
    networkd_dir:
      description: The networkd directory.
      type: str
      returned: when O(export.networkd_dir) is given
    not_exported:
      description: What networkd cannot hold, one sentence each.
      type: list
      elements: str
      returned: when O(export.networkd_dir) is given
      sample: ["4 links in network namespaces (networkd has no namespaces)"]
vms:
  description:
    - The VMs of the lab's VM nodes (O(vnet.linux.topology#module:nodes[].vm)),
      as their pid files under C(/run/vnet-linux/vm/<lab>/) and their qemu
      processes show them. The settings are read from a running VM's command line.
  returned: when O(lab) is given
  type: list
  elements: dict
  contains:
    node:
      description: The VM node.
      type: str
    running:
      description: Whether the pid file names a running qemu of the lab's.
      type: bool
    pid:
      description: The qemu process (null when not running).
      type: int
    pid_file:
      description: The pid file.
      type: str
    console_log:
      description: The guest's serial console log.
      type: str
    accel:
      description: C(kvm) or C(tcg) (when running).
      type: str
    memory:
      description: Memory in MiB (when running).
      type: int
    cpus:
      description: Virtual CPUs (when running).
      type: int
    mac_address:
      description: The guest NIC's MAC address, the macvtap's (when running).
      type: str
    interface:
      description: The node's macvtap (when it has exactly one).
      type: str
    libvirt_interface:
      description: The libvirt snippet of that macvtap (see RV(libvirt_interfaces)).
      type: str
  sample:
    - {node: vm1, running: true, pid: 4242, pid_file: /run/vnet-linux/vm/demo/vm1.pid,
       console_log: /run/vnet-linux/vm/demo/vm1.log, accel: tcg, memory: 512, cpus: 1,
       mac_address: "5a:1e:22:33:44:55", interface: mvt0,
       libvirt_interface: "<interface type=\"direct\">...</interface>"}
libvirt_interfaces:
  description:
    - For every macvtap link read, the libvirt domain XML C(<interface type='direct'>)
      that has libvirt make the same macvtap for a VM it runs - on the macvtap's lower
      device (C(source dev)), in its mode, with its MAC address, under its name
      (C(target dev)), with a virtio NIC. libvirt creates the macvtap itself, so
      its lower device must be in the namespace libvirt runs in (the root one).
  returned: always
  type: list
  elements: dict
  contains:
    node:
      description: The node of the macvtap.
      type: str
    name:
      description: The macvtap.
      type: str
    xml:
      description: The C(<interface>) element.
      type: str
  sample:
    - node: vm1
      name: mvt0
      xml: >-
        <interface type="direct"><mac address="5a:1e:22:33:44:55" /><source dev="eth0"
        mode="bridge" /><target dev="mvt0" /><model type="virtio" /></interface>
counters:
  description: Counters per node and interface.
  returned: always
  type: dict
  sample:
    r1:
      eth0: {rx_packets: 3, tx_packets: 3, rx_bytes: 294, tx_bytes: 294,
             rx_dropped: 0, tx_dropped: 0, rx_errors: 0, tx_errors: 0}
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._lab.publish import EXPORT_OPTIONS
from ansible_collections.vnet.linux.plugins.module_utils._lab.run import run_info


def main():
    module = StrictModule(argument_spec=dict(
        lab=dict(type='str'),
        export=dict(type='dict', options=EXPORT_OPTIONS,
                    required_one_of=[['script', 'networkd_dir']])),
        required_by={'export': 'lab'},
        supports_check_mode=True)
    run_info(module)


if __name__ == '__main__':
    main()
