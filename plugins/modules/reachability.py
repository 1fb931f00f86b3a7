#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: reachability
short_description: Ping between network namespaces and report who reaches whom
description:
  - Sends ICMP echo requests from inside each source namespace to the
    addresses of the destination nodes, and returns a table of every path
    with its loss and round-trip times.
  - Probing happens from raw ICMP sockets opened inside the source
    namespaces; all paths are measured at the same time, so a check of a
    whole lab takes a few seconds. No C(ping) binary is needed.
  - Fails when a path that should work has more loss than O(max_loss), or
    when a path that should be broken (O(pairs[].expect=false)) answers.
  - Before measuring, every path gets uncounted echoes for up to O(warmup)
    seconds, so that neighbour resolution and link detection (bond miimon)
    are not reported as loss.
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
attributes:
  check_mode:
    support: full
    details: Only sends traffic; it runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Changes nothing; always reports C(changed=false).
options:
  nodes:
    description:
      - The nodes to probe between, each with the addresses it should answer
        at (without prefix length). The filter P(vnet.linux.lab_ping_targets#filter)
        computes this from a topology.
      - A node's name is its network namespace unless O(namespaces) says otherwise.
    type: dict
    required: true
  namespaces:
    description:
      - Node name to namespace name, for nodes whose namespace is named
        differently. An empty string is the namespace the module runs in.
    type: dict
    default: {}
  guests:
    description:
      - Nodes that are virtual machines (the VM nodes of a lab, see
        O(vnet.linux.topology#module:nodes[].vm)). Echoes from such a node
        are sent by the guest itself - C(ping) run over SSH from the lab
        namespace C(via) (see below), which must reach the guest - since the
        node's namespace holds only the host side of its macvtap. Pings
        to a guest's addresses are sent from namespaces as to any node.
      - "Each key is a node of O(nodes); each value a dict of: C(address),
        the guest's address to SSH to (required); C(via), the node (or
        namespace) to SSH from (required); C(key), a private key file;
        C(user) (default C(root)); C(connect_timeout) (seconds, default
        10). The guest needs an SSH server and C(ping) (iputils); the host
        needs C(ssh) and C(timeout) (coreutils)."
      - The filter P(vnet.linux.lab_ping_guests#filter) computes this from a
        topology.
    type: dict
    default: {}
  pairs:
    description:
      - The paths to check. Default every ordered pair of O(nodes).
    type: list
    elements: dict
    suboptions:
      src:
        description: The node to ping from.
        type: str
        required: true
      dst:
        description: The node to ping (every address of it), or one IP address.
        type: str
        required: true
      expect:
        description: Whether the path must work (V(true)) or must be broken (V(false)).
        type: bool
        default: true
  count:
    description: Echo requests per path that are measured.
    type: int
    default: 3
  interval:
    description: Seconds between rounds of echo requests.
    type: float
    default: 0.2
  timeout:
    description: Seconds to wait for the last replies.
    type: float
    default: 1.0
  warmup:
    description: Seconds of uncounted echoes before measuring (0 to skip).
    type: float
    default: 3.0
  max_loss:
    description:
      - Highest loss in percent (0 to 100) for a path that must work to pass;
        a path passes when its loss is at most this value.
      - V(100) accepts any loss, also a path with no reply at all (the table
        still shows it). Paths that must be broken are not affected.
    type: float
    default: 0
  fail_on_broken:
    description: Fail the task when a path is not as expected; otherwise only report it.
    type: bool
    default: true
requirements:
  - Linux, root (raw sockets and entering namespaces).
seealso:
  - module: vnet.linux.topology
'''

EXAMPLES = r'''
- name: Every node of the demo lab pings every other
  vnet.linux.reachability:
    nodes:
      netns0: [192.168.254.10]
      netns1: [192.168.254.11]

- name: Pings computed from a topology, with a tolerance for a lossy lab
  vnet.linux.reachability:
    nodes: "{{ lab_topology | vnet.linux.lab_ping_targets }}"
    max_loss: 34
    count: 3

- name: Only some paths, one of which must be isolated
  vnet.linux.reachability:
    nodes:
      n1: [10.1.0.11]
      n2: [10.1.0.12]
      gw: [10.1.0.1]
    pairs:
      - {src: n1, dst: gw}
      - {src: n1, dst: n2, expect: false}

- name: A lab with a VM node, pinged from the namespaces and pinging from inside the guest
  vnet.linux.reachability:
    nodes: "{{ lab_topology | vnet.linux.lab_ping_targets }}"
    guests: "{{ lab_topology | vnet.linux.lab_ping_guests(key='/var/cache/vnet-linux/vm/id_ed25519') }}"
'''

RETURN = r'''
results:
  description: One row per path (source node, destination address).
  returned: always
  type: list
  elements: dict
  sample:
    - src: netns0
      dst: netns1
      address: 192.168.254.11
      sent: 3
      received: 3
      loss: 0.0
      rtt_min: 0.031
      rtt_avg: 0.045
      rtt_max: 0.061
      reachable: true
      expected: true
      ok: true
table:
  description: The rows as a fixed-width text table.
  returned: always
  type: list
  elements: str
matrix:
  description: Who reaches whom, a line per source node, a column per destination.
  returned: always
  type: list
  elements: str
problems:
  description: One line per path that is not as expected.
  returned: always
  type: list
  elements: str
  sample: ["r1 -> r3 (10.0.0.3): 100% loss"]
summary:
  description: Counts of paths checked, as expected, and not as expected.
  returned: always
  type: dict
  sample: {paths: 2, ok: 2, broken: 0}
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._lab.guest_probe import (
    GuestError,
    check_guests,
    run_guest_probes,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.reachability import (
    matrix_lines,
    plan_probes,
    problem_lines,
    run_probes,
    table_lines,
)

PAIR_OPTIONS = dict(
    src=dict(type='str', required=True),
    dst=dict(type='str', required=True),
    expect=dict(type='bool', default=True),
)


def argument_spec():
    return dict(
        nodes=dict(type='dict', required=True),
        namespaces=dict(type='dict', default={}),
        guests=dict(type='dict', default={}),
        pairs=dict(type='list', elements='dict', options=PAIR_OPTIONS),
        count=dict(type='int', default=3),
        interval=dict(type='float', default=0.2),
        timeout=dict(type='float', default=1.0),
        warmup=dict(type='float', default=3.0),
        max_loss=dict(type='float', default=0),
        fail_on_broken=dict(type='bool', default=True),
    )


def source_namespaces(probes, namespaces):
    """Source node -> namespace name (None: the module's own namespace).
    Every name given in `namespaces`, and every source node's own name used
    as its namespace, is checked as a namespace name (up to 255 bytes, never
    a path): it is opened under /run/netns."""
    for node, netns in namespaces.items():
        if netns not in ('', None):   # both: the module's own namespace
            _namespace(netns, 'namespaces.%s' % node)
    sources = {}
    for probe in probes:
        if probe.src not in sources:
            netns = namespaces.get(probe.src, probe.src)
            sources[probe.src] = _namespace(netns, 'nodes.%s' % probe.src) if netns else None
    return sources


def _namespace(netns, field):
    if not isinstance(netns, str):
        raise validate.InputError('%s: must be a namespace name (a string), not %r'
                                  % (field, netns))
    return validate.namespace_name(netns, field)


def _via_namespace(via, namespaces):
    netns = namespaces.get(via, via)
    return _namespace(netns, 'guests.*.via') if netns else None


def node_addresses(module):
    """The nodes option as {node: [address, ...]}; a bare string is one address."""
    nodes = {}
    for node, addresses in module.params['nodes'].items():
        if isinstance(addresses, str):
            addresses = [addresses]
        if not isinstance(addresses, list):
            module.fail_json(msg='nodes.%s: a list of addresses is expected' % node)
        nodes[node] = [str(a).split('/', maxsplit=1)[0] for a in addresses]
    return nodes


def main():
    module = StrictModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    if params['count'] < 1 or params['timeout'] <= 0 or params['interval'] < 0:
        module.fail_json(msg='count must be >= 1, timeout > 0 and interval >= 0')
    if not 0 <= params['max_loss'] <= 100:
        module.fail_json(msg='max_loss: %g is not a percentage (0 to 100)' % params['max_loss'])
    nodes = node_addresses(module)
    namespaces = params['namespaces']
    try:
        probes = plan_probes(nodes, params['pairs'])
    except ValueError as err:
        module.fail_json(msg=str(err))

    try:
        guests = check_guests(params['guests'], nodes)
        from_guests = [p for p in probes if p.src in guests]
        from_namespaces = [p for p in probes if p.src not in guests]
        sources = source_namespaces(from_namespaces, namespaces)
        vias = dict((g['via'], _via_namespace(g['via'], namespaces)) for g in guests.values())
    except (validate.InputError, GuestError) as err:
        module.fail_json(msg=str(err))
    timing = dict(count=params['count'], interval=params['interval'],
                  timeout=params['timeout'], warmup=params['warmup'])
    run_probes(from_namespaces, resolve_netns=sources.get, **timing)
    run_guest_probes(module.run_command, from_guests, guests, vias.get, **timing)
    rows = [p.result(params['max_loss']) for p in probes]
    failed = [r for r in rows if not r['ok']]
    result = dict(changed=False, results=rows, table=table_lines(rows),
                  matrix=matrix_lines(rows) if rows else [], problems=problem_lines(rows),
                  summary=dict(paths=len(rows), ok=len(rows) - len(failed), broken=len(failed)))
    if failed and params['fail_on_broken']:
        module.fail_json(msg='%d of %d paths not as expected: %s'
                         % (len(failed), len(rows), '; '.join(result['problems'])), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
