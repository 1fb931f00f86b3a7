#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: impairment
short_description: Set, change and clear netem impairments of an interface at run time
description:
  - Impairs the traffic of one interface, in any network namespace, with the
    kernel's netem queueing discipline - delay with jitter and correlation,
    loss, duplication, reordering and corruption (each with a correlation),
    rate limiting - or clears it. O(state=query) reads the impairments and
    link states of a namespace or of a whole lab instead.
  - O(direction=egress) impairs what the interface sends - a netem root qdisc
    on it. O(direction=ingress) impairs what it receives - the module creates
    an ifb device beside it (named C(ifb-<interface>), or C(ifb-<first 6
    bytes>-<hash>) for a long name, with the alias C(vnet.linux ingress
    impairment of <interface>) as its mark), an ingress qdisc on the interface
    with one filter that redirects everything to the ifb, and netem as the
    ifb's root qdisc. O(direction=both) sets the same impairment both ways.
  - The settings given are the whole impairment of that direction - a
    setting left out is not impaired. A change replaces the netem settings
    in place (no packet queue is torn down). Every setting is compared with
    what the kernel reports, after the kernel's own rounding (times in ticks,
    percentages in 32-bit fractions, rates in bytes per second), so a second
    run with the same settings changes nothing.
  - O(state=absent) removes exactly what the module makes - the netem qdisc,
    and for ingress the filter, the ingress qdisc when it holds nothing
    else, and the ifb.
  - Foreign qdiscs are left alone - a root qdisc that is neither netem nor the
    kernel's default (a C(tbf), an C(htb) tree), or an ingress qdisc with
    filters the module did not make, make the run fail before any change,
    unless O(force=true) lets the impairment replace that qdisc. A netem root
    qdisc counts as an impairment whoever set it (the
    M(vnet.linux.topology) module's O(vnet.linux.topology#module:links[].endpoints[].impairment) are
    these too), so the module changes and clears it. A link that has the
    ifb's name but not its mark is never taken.
  - The lab that declares an impairment puts it back on its next run
    (M(vnet.linux.topology) applies what the lab declares) - run-time
    impairments are meant for a running lab.
  - The kernel needs C(sch_netem) (and C(ifb), C(cls_u32) and C(act_mirred)
    for ingress). Debian's kernel has them as modules.
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
requirements:
  - pyroute2 (on the managed host)
extends_documentation_fragment:
  - vnet.linux.attributes
attributes:
  check_mode:
    support: full
    details: Lists the same steps a real run takes, and changes nothing.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - The interface to impair. Required unless O(state=query), where it
        limits the answer to interfaces of that name.
    type: str
  netns:
    description:
      - The network namespace of the interface. Omit for the namespace the
        module runs in.
      - A name under C(/run/netns), or the namespace of a container or
        process (C(pid:1234), C(path:/FILE), C(container:NAME)) as for
        O(vnet.linux.veth#module:netns).
    type: str
  lab:
    description:
      - With O(state=query) only - every interface of this lab (the
        namespaces and links carrying its mark C(vnet:<lab>)), instead of one
        namespace.
    type: str
  direction:
    description: Which traffic to impair - sent, received, or both.
    type: str
    choices: [egress, ingress, both]
    default: egress
  state:
    description:
      - V(present) sets the impairment (at least one setting), V(absent) clears
        it, V(query) reads the impairments and link states and changes nothing.
    type: str
    choices: [present, absent, query]
    default: present
  delay:
    description: Delay added to every packet, a time like V(100ms), V(500us) or V(1s).
    type: str
  jitter:
    description: Random variation of the delay (needs O(delay)), a time like V(10ms).
    type: str
  delay_correlation:
    description: How much each delay's random part depends on the previous one (needs O(jitter)), like V(25%).
    type: str
  loss:
    description: Share of packets dropped at random, a percentage like V(1%) or V(0.5%).
    type: str
  loss_correlation:
    description: How much each loss decision depends on the previous one (needs O(loss)), like V(25%).
    type: str
  duplicate:
    description: Share of packets sent twice, like V(1%).
    type: str
  duplicate_correlation:
    description: Correlation of the duplication (needs O(duplicate)).
    type: str
  reorder:
    description:
      - Share of packets sent at once, ahead of the delayed others (needs O(delay)), like V(25%).
    type: str
  reorder_correlation:
    description: Correlation of the reordering (needs O(reorder)).
    type: str
  reorder_gap:
    description:
      - Reorder only every Nth packet (needs O(reorder)). The kernel's default
        with O(reorder) is C(1).
    type: int
  corrupt:
    description: Share of packets with a bit flipped at random, like V(0.1%).
    type: str
  corrupt_correlation:
    description: Correlation of the corruption (needs O(corrupt)).
    type: str
  rate:
    description: Bandwidth limit, like V(10mbit), V(512kbit) or V(1gbit) (at most about 34gbit).
    type: str
  limit:
    description: Length of netem's packet queue. The kernel's default is C(1000).
    type: int
  force:
    description:
      - Replace a foreign qdisc in the way (a non-netem root qdisc with a handle
        of its own for egress, an ingress qdisc with other filters for ingress)
        instead of failing. What it held is lost, and clearing the impairment
        later leaves the kernel's default in its place, not the foreign qdisc.
    type: bool
    default: false
  allow_disruptive:
    description:
      - In the namespace the module runs in, impairing an interface that carries
        a default route or the task's SSH connection is refused (it could cut
        the host off). Set V(true) if that is really meant.
    type: bool
    default: false
  lock_timeout:
    description:
      - Seconds to wait for another run on the same host that works in the same
        namespace. On timeout the run fails before it changes anything.
    type: int
    default: 300
notes:
  - The role P(vnet.linux.lab#role) runs this module over a lab's nodes
    (O(vnet.linux.lab#role:main:lab_action=impair) and O(vnet.linux.lab#role:main:lab_action=status)).
  - Not in the action group C(vnet.linux.links) - that group's defaults (a
    link's C(mtu), C(admin_state), C(addresses)) are options this module
    does not take.
seealso:
  - module: vnet.linux.link_state
  - module: vnet.linux.topology
  - name: tc-netem(8)
    description: The kernel's netem, as C(tc) sets it.
    link: https://man7.org/linux/man-pages/man8/tc-netem.8.html
'''

EXAMPLES = r'''
- name: Slow and lossy uplink, both ways
  vnet.linux.impairment:
    name: eth1
    netns: r1
    direction: both
    delay: 100ms
    jitter: 10ms
    loss: 2%

- name: Only what r1 receives on eth1 (through an ifb)
  vnet.linux.impairment:
    name: eth1
    netns: r1
    direction: ingress
    rate: 1mbit

- name: Clear both directions
  vnet.linux.impairment:
    name: eth1
    netns: r1
    direction: both
    state: absent

- name: What is impaired in lab demo, and which links are up
  vnet.linux.impairment:
    lab: demo
    state: query
  register: lab_status

- name: Show it
  ansible.builtin.debug:
    msg: "{{ lab_status.table }}"
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: when O(state) is not V(query)
  type: list
  elements: str
  sample: ["set impairment (egress) delay=100ms, loss=2% on eth1 in namespace 'r1'"]
impairment:
  description:
    - The impairment of each direction after the run (in check mode, as a
      real run would leave it), in the units users write, each setting as
      the kernel keeps it; null where there is none.
  returned: when O(state) is not V(query)
  type: dict
  sample:
    egress: {delay: 100ms, jitter: 10ms, loss: 2%}
    ingress: null
name:
  description: The interface.
  returned: when O(state) is not V(query)
  type: str
  sample: eth1
netns:
  description: Its namespace (null - the module's own).
  returned: when O(state) is not V(query)
  type: str
  sample: r1
ifb:
  description: The name of the ifb device an ingress impairment of this interface uses.
  returned: when O(state) is not V(query)
  type: str
  sample: ifb-eth1
interfaces:
  description: With O(state=query), every interface found (the ifbs left out), in namespace order.
  returned: when O(state=query)
  type: list
  elements: dict
  contains:
    node:
      description: The node (its namespace, or C(host) for the root namespace).
      type: str
    netns:
      description: The namespace (null - the root namespace).
      type: str
    name:
      description: The interface.
      type: str
    kind:
      description: Its kind (null for physical interfaces).
      type: str
    admin_state:
      description: V(up) or V(down), as set.
      type: str
    oper_state:
      description: The kernel's operational state (V(up), V(down), V(lowerlayerdown), V(unknown)).
      type: str
    egress:
      description: The egress impairment, or null.
      type: dict
    ingress:
      description: The ingress impairment, or null.
      type: dict
  sample:
    - {node: r1, netns: r1, name: eth1, kind: veth, admin_state: up, oper_state: up,
       egress: {delay: 100ms}, ingress: null}
table:
  description: The interfaces of O(state=query) as the lines of a text table.
  returned: when O(state=query)
  type: list
  elements: str
  sample: ["node  interface  admin  oper  egress       ingress", "r1    eth1       up     up    delay=100ms  -"]
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.runtime import run_impairment_module


def main():
    run_impairment_module()


if __name__ == '__main__':
    main()
