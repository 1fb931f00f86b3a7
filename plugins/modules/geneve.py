#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: geneve
short_description: Manage Geneve tunnel interfaces in any network namespace
description:
  - Creates, changes and deletes a Geneve interface - an Ethernet tunnel
    carried in UDP to one remote end (or, with O(external), to where each
    packet's metadata says).
  - Every setting given is compared with what the kernel reports and only
    what differs is changed. Settings that are omitted are left as they are.
  - The kernel changes O(remote) (within its address family), O(ttl),
    O(tos), O(df) and O(flowlabel) in place and refuses to change the rest;
    a change of those re-creates the interface (measured on Linux 6.1). A
    re-created geneve keeps the settings, addresses, master and state the
    task leaves open, and a failure later in the run builds the old one
    again.
  - The geneve's UDP socket lives in the namespace the geneve is created
    in (its underlay), which may be another one than O(netns) - O(link_netns)
    names it. The underlay cannot change in place (another one re-creates
    the geneve), and the kernel deletes the geneve with that namespace.
  - Needs a kernel with geneve (C(CONFIG_GENEVE)).
version_added: 1.1.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.geneve
  - vnet.linux.safety
options:
  link_netns:
    description:
      - The underlay namespace - where the geneve is created and its UDP
        socket lives - before it is placed into O(netns) in the same request.
        Omitted, O(netns); C("") (the empty string) names the root namespace.
        A geneve has no underlay device.
    type: str
seealso:
  - module: vnet.linux.vxlan
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: A Geneve tunnel from site1 to site2
  vnet.linux.geneve:
    name: gn0
    netns: site1
    vni: 5000
    remote: 192.0.2.2
    ttl: 64
    addresses: [10.50.0.1/30]
    admin_state: up

- name: An externally controlled (collect metadata) geneve for a flow-based datapath
  vnet.linux.geneve:
    name: gn-ext
    netns: site1
    external: true
    admin_state: up

- name: Remove it
  vnet.linux.geneve:
    name: gn0
    netns: site1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create geneve gn0 in namespace 'site1' with remote=192.0.2.2, ttl=64, vni=5000"]
link:
  description: The geneve as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: gn0
    netns: site1
    kind: geneve
    admin_state: up
    addresses: [10.50.0.1/30]
    options: {vni: 5000, remote: 192.0.2.2, dstport: 6081, ttl: 64, tos: 0, df: unset}
    link: null
    link_netns: site1
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds import lower
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import GENEVE


def main():
    module = StrictModule(
        argument_spec=link_argument_spec(GENEVE.argument_spec(),
                                         link_netns=lower.PARENT_OPTIONS['link_netns']),
        supports_check_mode=True,
    )
    LinkRun(module).run(lambda run: lower.converge(run, GENEVE,
                                                   lower.kind_settings(GENEVE, module.params)))


if __name__ == '__main__':
    main()
