#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: link_state
short_description: Take a link down, bring it up, or flap it, in any network namespace
description:
  - Sets the administrative state of one interface, in any network namespace,
    to V(up) or V(down), or flaps it - takes it down for O(down_time) seconds
    and brings it up again, O(count) times, with O(up_time) seconds between
    two flaps - to watch a lab notice the failure and heal.
  - V(up) or V(down) on a link already so changes nothing. A flap always
    changes (the link goes down and up) and ends with the link up; it needs
    a link that is up.
  - Taking a link down (or flapping it) that carries a default route or the
    task's SSH connection, in the namespace the module runs in, is refused
    before any change unless O(allow_disruptive=true), as for every module of
    the collection.
  - If a step fails, the link is brought back to the state it had.
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
    details: Lists the same steps a real run takes (each flap's down and up), changes nothing and does not wait.
  diff_mode:
    support: full
  idempotent:
    support: partial
    details: V(up) and V(down) are; O(state=flap) changes the link each time, by design.
options:
  name:
    description: The interface.
    type: str
    required: true
  netns:
    description:
      - Its network namespace. Omit for the namespace the module runs in.
      - A name under C(/run/netns), or the namespace of a container or
        process (C(pid:1234), C(path:/FILE), C(container:NAME)) as for
        O(vnet.linux.veth#module:netns).
    type: str
  state:
    description: V(up), V(down), or V(flap) (down and up again, O(count) times).
    type: str
    required: true
    choices: [up, down, flap]
  count:
    description: How many flaps (1 to 1000).
    type: int
    default: 1
  down_time:
    description: Seconds each flap keeps the link down (0 to 3600).
    type: float
    default: 1.0
  up_time:
    description: Seconds the link stays up between two flaps (0 to 3600); none after the last one.
    type: float
    default: 1.0
  allow_disruptive:
    description:
      - Take down an interface that carries a default route or the task's SSH
        connection (in the namespace the module runs in) even so.
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
    (O(vnet.linux.lab#role:main:lab_action=flap)).
  - Not in the action group C(vnet.linux.links) - that group's defaults (a
    link's C(mtu), C(admin_state), C(addresses)) are options this module
    does not take.
  - O(vnet.linux.impairment#module:state=query) shows the link states of a
    namespace or a lab.
seealso:
  - module: vnet.linux.impairment
'''

EXAMPLES = r'''
- name: Break the link between r1 and r2
  vnet.linux.link_state:
    name: eth1
    netns: r1
    state: down

- name: Mend it
  vnet.linux.link_state:
    name: eth1
    netns: r1
    state: up

- name: Flap it three times, 2 s down, 5 s up in between
  vnet.linux.link_state:
    name: eth1
    netns: r1
    state: flap
    count: 3
    down_time: 2
    up_time: 5
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["take eth1 in namespace 'r1' (flap 1 of 1) down for 1s", "bring eth1 in namespace 'r1' (flap 1 of 1) up"]
name:
  description: The interface.
  returned: always
  type: str
  sample: eth1
netns:
  description: Its namespace (null - the module's own).
  returned: always
  type: str
  sample: r1
admin_state:
  description: Its administrative state after the run (in check mode, as a real run would leave it).
  returned: always
  type: str
  sample: up
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.runtime import run_link_state_module


def main():
    run_link_state_module()


if __name__ == '__main__':
    main()
