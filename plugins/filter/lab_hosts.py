# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lab spread over several inventory hosts, on the controller: which
hosts (`lab_hosts`), their underlay, where each node lives, which pings
each host sends, and the reachability table of them all.

The placement itself is vnet.linux.topology's (its `spread` option), read
with the filter lab_placement: the controller's view is the one each host
builds. Pure Python; unit-tested without a kernel.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.vnet.linux.plugins.module_utils._lab.junit import junit_xml
from ansible_collections.vnet.linux.plugins.module_utils._lab.reachability import (
    matrix_lines,
    problem_lines,
    table_lines,
)

DEFAULT_UNDERLAY_MTU = 1500


def lab_host_names(lab_hosts, groups, this_host):
    """Filter: the sorted inventory names of the hosts a lab is spread
    over. `lab_hosts` is a group, a host, a comma-separated list of them or
    a list; empty means the host running the role alone."""
    if not lab_hosts:
        return [this_host]
    items = lab_hosts.split(',') if isinstance(lab_hosts, str) else list(lab_hosts)
    known = set(groups.get('all') or []) | {this_host}
    names = set()
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if item in groups:
            names.update(groups[item])
        elif item in known:
            names.add(item)
        else:
            raise AnsibleFilterError('lab_hosts: %r is neither a host nor a group of the '
                                     'inventory' % item)
    if not names:
        raise AnsibleFilterError('lab_hosts: %r names no host' % (lab_hosts,))
    return sorted(names)


def lab_spread_hosts(host_names, hostvars):
    """Filter: {host: {address, mtu}} of the `spread` option: the host's
    `vnet_underlay_address` (default the address of its default route, a
    fact) and `vnet_underlay_mtu` (default 1500)."""
    hosts = {}
    for name in host_names:
        facts = hostvars.get(name) or {}
        address = facts.get('vnet_underlay_address') or \
            (facts.get('ansible_default_ipv4') or {}).get('address')
        if not address:
            raise AnsibleFilterError(
                'lab_hosts: host %s has no underlay address: set vnet_underlay_address for it, '
                'or let the lab role gather its facts (it has no default route, or it was '
                'unreachable)' % name)
        mtu = facts.get('vnet_underlay_mtu') or DEFAULT_UNDERLAY_MTU
        try:
            mtu = int(mtu)
        except (TypeError, ValueError):
            raise AnsibleFilterError('vnet_underlay_mtu of host %s: %r is not a number'
                                     % (name, mtu))
        hosts[name] = dict(address=str(address), mtu=mtu)
    return hosts


def node_hosts(topology):
    """{node: host} of a lab with `spread` (the filter lab_placement); {}
    for a lab on one host."""
    if not topology.get('spread'):
        return {}
    from ansible_collections.vnet.linux.plugins.filter.lab_spread import lab_placement
    return lab_placement(topology)


def _targets(topology):
    from ansible_collections.vnet.linux.plugins.filter.lab_views import lab_ping_targets
    return lab_ping_targets(topology)


def lab_reachability_pairs(topology, pairs=None, host=None, skip_hosts=None):
    """Filter: the pairs to ping, {src, dst, expect}: `pairs`, else the
    topology's `expect`, else every ordered pair of nodes with addresses.
    With `host`, only those whose source node is on that host; pairs with an
    end on a host of `skip_hosts` (hosts that did not converge) are left out."""
    targets = _targets(topology)
    wanted = list(pairs or topology.get('expect') or
                  [dict(src=src, dst=dst) for src in targets for dst in targets if src != dst])
    where = node_hosts(topology)
    if host is None or not where:
        return wanted
    skipped = set(skip_hosts or [])
    return [pair for pair in wanted
            if where.get(pair['src']) == host and where.get(pair['dst']) not in skipped]


def lab_reachability_merge(results):
    """Filter: the registered results of vnet.linux.reachability on several
    hosts (skipped ones left out) as one: rows, table, matrix, problems,
    summary, as the module returns them for one host."""
    rows = []
    attempts = 1
    for result in results or []:
        if isinstance(result, dict):
            rows.extend(result.get('results') or [])
            attempts = max(attempts, result.get('attempts') or 1)
    failed = [r for r in rows if not r['ok']]
    return dict(results=rows, table=table_lines(rows),
                matrix=matrix_lines(rows) if rows else [], problems=problem_lines(rows),
                attempts=attempts,
                summary=dict(paths=len(rows), ok=len(rows) - len(failed), broken=len(failed)))


def lab_junit(result, suite='vnet.linux.reachability'):
    """Filter: a result of vnet.linux.reachability (or of
    lab_reachability_merge) as JUnit XML text, a testcase per row."""
    if not isinstance(result, dict) or not isinstance(result.get('results', []), list):
        raise AnsibleFilterError('lab_junit: expects a result of vnet.linux.reachability, got %r'
                                 % type(result).__name__)
    return junit_xml(result.get('results') or [], suite, result.get('attempts'))


class FilterModule(object):
    def filters(self):
        return {
            'lab_host_names': lab_host_names,
            'lab_spread_hosts': lab_spread_hosts,
            'lab_reachability_pairs': lab_reachability_pairs,
            'lab_reachability_merge': lab_reachability_merge,
            'lab_junit': lab_junit,
        }
