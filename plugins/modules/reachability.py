#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: reachability
short_description: Ping, path MTU and port checks between network namespaces, with a table and JUnit XML
description:
  - Sends ICMP echo requests from inside each source namespace to the
    addresses of the destination nodes, and returns a table of every path
    with its loss and round-trip times.
  - A pair can check more than a ping - the path MTU (O(pairs[].size) -
    echoes of that size with don't fragment set must pass, or with
    O(pairs[].expect=false) must not), or a TCP or UDP port
    (O(pairs[].protocol), O(pairs[].port)) answering, where by default the
    module itself listens on the port in the destination node for the
    time of the check, so that no service is needed.
  - With O(retries), all checks run again, O(delay) seconds apart, until
    every one is as expected or the retries are spent - to wait for a lab
    to converge after a flap or a restart; RV(attempts) tells how many
    runs it took.
  - O(junit) writes the results as a JUnit XML report for CI.
  - Probing happens from raw ICMP sockets opened inside the source
    namespaces; all paths are measured at the same time, so a check of a
    whole lab takes a few seconds. No C(ping) binary is needed.
  - Fails when a path that should work has more loss than O(max_loss), or
    when a path that should be broken (O(pairs[].expect=false)) answers.
  - Before measuring, every path gets uncounted echoes for up to O(warmup)
    seconds, so that neighbour resolution and link detection (bond miimon)
    are not reported as loss - the paths of port checks too, so that a
    first SYN that waits for neighbour resolution is not a timeout.
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
attributes:
  check_mode:
    support: full
    details: Only sends traffic; it runs the same in check mode, except that it writes no O(junit) file.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Changes nothing; always reports C(changed=false). The O(junit) file is a report, not a change.
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
      - Node name to namespace, for nodes whose namespace is named
        differently. An empty string is the namespace the module runs in.
      - A namespace is a name under C(/run/netns), or a reference to one
        elsewhere, as for O(vnet.linux.veth#module:netns) of the link modules
        (C(pid:1234), C(path:/var/run/docker/netns/NAME), C(container:web));
        see the collection's C(docs/containers.md).
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
        description:
          - Whether the path must work (V(true)) or must be broken (V(false)).
          - For a port, V(true) asks for an answer (a TCP connection
            established, a UDP datagram answered); V(false) passes on no
            answer or a refusal (a reset, ICMP port unreachable).
        type: bool
        default: true
      protocol:
        description:
          - V(icmp) pings; V(tcp) or V(udp) checks O(pairs[].port).
        type: str
        choices: [icmp, tcp, udp]
        default: icmp
      port:
        description: The TCP or UDP port to check (1 to 65535); needed with O(pairs[].protocol=tcp) or V(udp).
        type: int
      listen:
        description:
          - With V(true) (the default for V(tcp) and V(udp)), the module
            listens on O(pairs[].port) on every address of the destination
            node for the time of the check - a TCP listener that accepts, a
            UDP one that sends each datagram back - so that no service is
            needed. O(pairs[].dst) must then be a node, and the port free there.
          - With V(false) the check is of a service that listens there; a UDP
            service passes only if it answers the datagram the module sends
            (16 random bytes).
        type: bool
      size:
        description:
          - A path MTU check - the size in bytes of each echo request's IP
            packet, headers included (an IPv4 echo has 28 bytes of
            headers, an IPv6 one 48), sent with don't fragment. It passes
            when echoes of that size come back (O(pairs[].expect=true)) or
            when none does (V(false)), for a path whose MTU is smaller.
          - 49 to 65535; only with O(pairs[].protocol=icmp).
        type: int
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
  retries:
    description:
      - When a check is not as expected, run all checks again up to this many
        more times (0 to 1000), until every one is as expected at once.
      - The rows returned are those of the last run.
    type: int
    default: 0
  delay:
    description: Seconds between two runs of the checks (0 to 3600).
    type: float
    default: 1.0
  junit:
    description:
      - Write the results as JUnit XML to this path on the managed host - a
        C(testsuite) with one C(testcase) per row, and a C(failure) element
        for each row not as expected (an C(error) element where a check could
        not run). Its directory must exist. Not written in check mode.
    type: path
  junit_suite:
    description: The name of the test suite in the O(junit) file (also the prefix of each test's class name).
    type: str
    default: vnet.linux.reachability
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

- name: A port, an MTU, an isolated pair - retried until the lab converges, with a JUnit report
  vnet.linux.reachability:
    nodes:
      web: [10.1.0.10]
      client: [10.2.0.20]
      guest: [10.3.0.30]
    pairs:
      - {src: client, dst: web, protocol: tcp, port: 8080}
      - {src: client, dst: web, size: 1400}
      - {src: client, dst: web, size: 1500, expect: false}
      - {src: guest, dst: web, protocol: udp, port: 53, expect: false}
    retries: 10
    delay: 2
    junit: /tmp/lab-checks.xml

- name: A lab with a VM node, pinged from the namespaces and pinging from inside the guest
  vnet.linux.reachability:
    nodes: "{{ lab_topology | vnet.linux.lab_ping_targets }}"
    guests: "{{ lab_topology | vnet.linux.lab_ping_guests(key='/var/cache/vnet-linux/vm/id_ed25519') }}"
'''

RETURN = r'''
results:
  description:
    - One row per check (source node, destination address, and what is
      checked - C(check) is V(icmp), V(icmp <size> DF), V(tcp <port>) or V(udp <port>)).
    - A port's row has C(sent=1), C(received) 1 or 0, and C(outcome) - V(connected),
      V(answered) (UDP), V(refused), V(timeout) or V(unreachable (...)).
  returned: always
  type: list
  elements: dict
  sample:
    - src: netns0
      dst: netns1
      address: 192.168.254.11
      check: icmp
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
attempts:
  description: How many runs of the checks it took (1 without O(retries)).
  returned: always
  type: int
  sample: 3
junit:
  description: The JUnit XML file written.
  returned: when O(junit) is given and not in check mode
  type: str
  sample: /tmp/lab-checks.xml
'''

import functools
import os

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._lab.atomic import write_atomically
from ansible_collections.vnet.linux.plugins.module_utils._lab.guest_probe import (
    GuestError,
    check_guests,
    run_guest_probes,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.junit import junit_xml
from ansible_collections.vnet.linux.plugins.module_utils._lab.ports import PortCheck
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import use_command_runner
from ansible_collections.vnet.linux.plugins.module_utils._lab.reachability import (
    matrix_lines,
    plan_probes,
    problem_lines,
    run_checks,
    table_lines,
    until_as_expected,
)

PAIR_OPTIONS = dict(
    src=dict(type='str', required=True),
    dst=dict(type='str', required=True),
    expect=dict(type='bool', default=True),
    protocol=dict(type='str', default='icmp', choices=['icmp', 'tcp', 'udp']),
    port=dict(type='int'),
    listen=dict(type='bool'),
    size=dict(type='int'),
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
        retries=dict(type='int', default=0),
        delay=dict(type='float', default=1.0),
        junit=dict(type='path'),
        junit_suite=dict(type='str', default='vnet.linux.reachability'),
    )


def source_namespaces(probes, namespaces):
    """Node -> namespace (None: the module's own namespace), for the source
    nodes and the destination nodes a check listens in. Every value given
    in `namespaces` is a namespace name or reference (pid:, path:,
    container:), resolved here once; a node's own name used as its
    namespace is checked as a namespace name (opened under /run/netns)."""
    for node, netns in namespaces.items():
        if netns not in ('', None):   # both: the module's own namespace
            _namespace(netns, 'namespaces.%s' % node)
    sources = {}
    for probe in probes:
        nodes = [probe.src] + ([probe.dst] if isinstance(probe, PortCheck) and probe.listen else [])
        for node in nodes:
            if node in sources:
                continue
            if node in namespaces:
                netns = namespaces[node]
                sources[node] = _namespace(netns, 'namespaces.%s' % node) if netns else None
            else:
                sources[node] = validate.namespace_name(node, 'nodes.%s' % node)
    return sources


def _namespace(netns, field):
    if not isinstance(netns, str):
        raise validate.InputError('%s: must be a namespace name or reference (a string), '
                                  'not %r' % (field, netns))
    return validate.namespace_reference(netns, field)


def guest_pings_only(checks, guests):
    """From inside a VM guest the module runs the guest's own ping, and it
    starts no listener there: a port or path MTU check from a guest, and a
    port check with the module's listener in one, are refused before any
    traffic."""
    for check in checks:
        port = isinstance(check, PortCheck)
        if check.src in guests and (port or check.size is not None):
            raise GuestError('pairs: %s -> %s checks %s from inside the VM guest %s; from a '
                             'guest only pings are checked' % (check.src, check.dst, check.check,
                                                               check.src))
        if port and check.listen and check.dst in guests:
            raise GuestError('pairs: %s -> %s checks %s with the module\'s own listener, which '
                             'cannot run in the VM guest %s; give listen=false for a service '
                             'of the guest' % (check.src, check.dst, check.check, check.dst))


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


def check_numbers(params):
    """Refuse numbers out of range, naming the option."""
    if params['count'] < 1 or params['timeout'] <= 0 or params['interval'] < 0:
        raise validate.InputError('count must be >= 1, timeout > 0 and interval >= 0')
    if not 0 <= params['max_loss'] <= 100:
        raise validate.InputError('max_loss: %g is not a percentage (0 to 100)' % params['max_loss'])
    validate.int_range(params['retries'], 'retries', 0, 1000)
    if not 0 <= params['delay'] <= 3600:
        raise validate.InputError('delay: %g is not 0 to 3600 seconds' % params['delay'])
    if params['junit'] and not os.path.isdir(os.path.dirname(params['junit']) or '.'):
        raise validate.InputError('junit: the directory of %s does not exist' % params['junit'])


def main():
    module = StrictModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    nodes = node_addresses(module)
    plan = functools.partial(plan_probes, nodes, params['pairs'])
    use_command_runner(module.run_command)  # a namespace given by container:NAME
    namespaces = params['namespaces']
    try:
        check_numbers(params)
        guests = check_guests(params['guests'], nodes)
        checks = plan()
        guest_pings_only(checks, guests)
        sources = source_namespaces([c for c in checks if c.src not in guests], namespaces)
        vias = dict((g['via'], _via_namespace(g['via'], namespaces)) for g in guests.values())
    except (validate.InputError, ValueError, GuestError) as err:
        module.fail_json(msg=str(err))

    timing = dict(count=params['count'], interval=params['interval'],
                  timeout=params['timeout'], warmup=params['warmup'])

    def run(checks):
        """From namespaces (raw sockets, port listeners), and pings from
        inside VM guests over SSH."""
        run_checks([c for c in checks if c.src not in guests], resolve_netns=sources.get,
                   **timing)
        from_guests = [c for c in checks if c.src in guests]
        if from_guests:
            run_guest_probes(module.run_command, from_guests, guests, vias.get, **timing)
    rows, attempts = until_as_expected(plan, run, retries=params['retries'], delay=params['delay'],
                                       max_loss=params['max_loss'])
    failed = [r for r in rows if not r['ok']]
    result = dict(changed=False, results=rows, table=table_lines(rows),
                  matrix=matrix_lines(rows), problems=problem_lines(rows), attempts=attempts,
                  summary=dict(paths=len(rows), ok=len(rows) - len(failed), broken=len(failed)))
    if params['junit'] and not module.check_mode:
        write_atomically(params['junit'], junit_xml(rows, params['junit_suite'], attempts), 0o644)
        result['junit'] = params['junit']
    if failed and params['fail_on_broken']:
        module.fail_json(msg='%d of %d paths not as expected: %s'
                         % (len(failed), len(rows), '; '.join(result['problems'])), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
