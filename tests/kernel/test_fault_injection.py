"""A run that fails at any step leaves the kernel as it found it.

For each module and a lab with every kind the kernel has, a starting state
is built, then the run is repeated with the k-th state-changing kernel
request failing (VNET_FAULT_AT=k, the hook in module_utils/_netlink/faults.py),
for k = 1, 2, ... until a run succeeds without reaching the fault. Every
failed run must name the failed step and what was undone, and leave the
namespaces of the test exactly as they were (kernel_state.snapshot: links,
kinds, attributes, masters, peers and parents, addresses, kind options,
device nodes, teamd configurations, sysctls).

Scenarios cover creating from nothing, changing in place, and changes that
re-create (a veth whose peer moves, a macvlan switched to passthru).
"""

import os
import shutil

import pytest

from conftest import remove_namespace, run_module, unique_name
from kernel_state import differences, snapshot

from pyroute2 import netns as pyroute2_netns

ENV = 'VNET_FAULT_AT'
MAX_REQUESTS = 80


def _faults():
    import importlib
    return importlib.import_module(
        'ansible_collections.vnet.linux.plugins.module_utils._netlink.faults')


class Scenario(object):
    """A starting state (build), a run to break, and the namespaces to watch.

    build() makes the starting state in namespaces it is given (created
    empty beforehand unless absent_at_start); run() is the module run under
    test; it returns the module's result.
    """

    def __init__(self, names, build, run, absent_at_start=(), sysctls=()):
        self.names = names
        self.build = build
        self.run = run
        self.absent_at_start = absent_at_start
        self.sysctls = sysctls

    def reset(self):
        clean(self.names)
        for name in self.names:
            if name not in self.absent_at_start:
                pyroute2_netns.create(name)
        self.build()


def clean(names):
    present = pyroute2_netns.listnetns()
    for name in names:
        if name in present:
            remove_namespace(name)
        for root in ('/run/vnet-linux/tap/netns', '/run/vnet-linux/teamd/netns'):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)


def faulted(run, k):
    """The run's result and how many state-changing requests it made."""
    os.environ[ENV] = str(k)
    try:
        result = run()
        return result, _faults().counted()
    finally:
        del os.environ[ENV]
        _faults().reset()  # off again for whatever runs next in this process


def inject_every_fault(scenario):
    """Returns the number of state-changing requests of a whole run."""
    problems = []
    scenario.reset()
    for k in range(1, MAX_REQUESTS + 1):
        before = snapshot(scenario.names, scenario.sysctls)
        result, made = faulted(scenario.run, k)
        if not result.get('failed'):
            assert made < k, ('the run made %d requests and succeeded although request '
                              '%d failed: %s' % (made, k, result.get('actions')))
            assert not problems, '\n'.join(problems)
            return k - 1
        msg = result.get('msg', '')
        marker = 'fault injected at state-changing request %d' % k
        assert marker in msg, 'k=%d: the run failed, but not by the fault: %s' % (k, msg)
        if 'step "' not in msg or not ('undone: ' in msg or 'nothing to undo' in msg):
            problems.append('k=%d: the message names no step or no undo: %s' % (k, msg))
        elif 'could not undo' in msg:
            problems.append('k=%d: %s' % (k, msg))
        changed = differences(before, snapshot(scenario.names, scenario.sysctls))
        if changed:
            problems.append('k=%d: left: %s' % (k, '\n    left: '.join(changed)))
            scenario.reset()
    raise AssertionError('still failing after %d faults:\n%s'
                         % (MAX_REQUESTS, '\n'.join(problems)))


@pytest.fixture
def names():
    made = []

    def make(count):
        new = [unique_name('f') for _index in range(count)]
        made.extend(new)
        return new
    yield make
    clean(made)


def ok(result):
    assert not result.get('failed'), result.get('msg')
    return result


def veth(netns, name, peer, peer_netns=None, **extra):
    args = dict({'name': name, 'netns': netns, 'admin_state': 'up',
                 'peer': {'name': peer, 'netns': peer_netns or netns, 'admin_state': 'up'}},
                **extra)
    return run_module('veth', args)


# --- netns ---------------------------------------------------------------------------

FORWARD = ('net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding')


def test_netns_create(names):
    (ns,) = names(1)

    def run():
        return run_module('netns', {'name': ns, 'sysctls': {
            'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1}})

    assert inject_every_fault(Scenario([ns], lambda: None, run, absent_at_start=[ns],
                                       sysctls=FORWARD)) == 4


def test_netns_change(names):
    (ns,) = names(1)

    def run():
        return run_module('netns', {'name': ns, 'loopback': True, 'sysctls': {
            'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1}})

    assert inject_every_fault(Scenario([ns], lambda: None, run, sysctls=FORWARD)) == 3


# --- veth --------------------------------------------------------------------------------

def test_veth_create(names):
    ns1, ns2 = names(2)

    def run():
        return run_module('veth', {
            'name': 'a0', 'netns': ns1, 'mtu': 1400, 'alias': 'left', 'admin_state': 'up',
            'mac_address': '02:00:00:00:0a:01', 'addresses': ['10.1.0.1/24', 'fd00:1::1/64'],
            'peer': {'name': 'b0', 'netns': ns2, 'admin_state': 'up', 'alias': 'right',
                     'addresses': ['10.1.0.2/24']}})

    assert inject_every_fault(Scenario([ns1, ns2], lambda: None, run)) >= 6


def test_veth_change(names):
    ns1, ns2 = names(2)

    def build():
        ok(veth(ns1, 'a0', 'b0', ns2, addresses=['10.1.0.1/24'], alias='old', mtu=1500))
        ok(run_module('veth', {'name': 'b0', 'netns': ns2, 'admin_state': 'down',
                               'peer': {'name': 'a0', 'netns': ns1}}))

    def run():
        return run_module('veth', {
            'name': 'a0', 'netns': ns1, 'mtu': 1300, 'alias': 'new', 'admin_state': 'down',
            'addresses': ['10.2.0.1/24'], 'purge_addresses': True,
            'peer': {'name': 'b0', 'netns': ns2, 'admin_state': 'up', 'addresses': ['10.2.0.2/24']}})

    assert inject_every_fault(Scenario([ns1, ns2], build, run)) >= 6


def test_veth_peer_moved_recreates(names):
    ns1, ns2, ns3 = names(3)

    def build():
        ok(veth(ns1, 'a0', 'b0', ns2, addresses=['10.1.0.1/24'], alias='kept', mtu=1400,
                mac_address='02:00:00:00:0a:02'))

    def run():
        return run_module('veth', {'name': 'a0', 'netns': ns1, 'admin_state': 'up',
                                   'peer': {'name': 'b0', 'netns': ns3}})

    assert inject_every_fault(Scenario([ns1, ns2, ns3], build, run)) >= 2


# --- bridge ------------------------------------------------------------------------------

def test_bridge_create_with_ports(names):
    (ns,) = names(1)

    def build():
        ok(veth(ns, 'p1', 'q1'))
        ok(veth(ns, 'p2', 'q2'))

    def run():
        return run_module('bridge', {
            'name': 'br0', 'netns': ns, 'stp': True, 'forward_delay': 4, 'admin_state': 'up',
            'addresses': ['10.3.0.1/24'], 'alias': 'switch',
            'ports': [{'name': 'p1', 'cost': 10}, {'name': 'p2', 'priority': 5}]})

    assert inject_every_fault(Scenario([ns], build, run)) >= 6


def test_bridge_change_ports_and_options(names):
    (ns,) = names(1)

    def build():
        ok(veth(ns, 'p1', 'q1'))
        ok(veth(ns, 'p2', 'q2'))
        ok(veth(ns, 'p3', 'q3'))
        ok(run_module('bridge', {'name': 'br0', 'netns': ns, 'admin_state': 'up',
                                 'addresses': ['10.3.0.1/24'],
                                 'ports': [{'name': 'p1'}, {'name': 'p3', 'cost': 7}]}))

    def run():
        return run_module('bridge', {
            'name': 'br0', 'netns': ns, 'stp': True, 'mtu': 1400, 'admin_state': 'down',
            'addresses': ['10.4.0.1/24'], 'purge_addresses': True, 'purge_ports': True,
            'ports': [{'name': 'p2', 'hairpin': True}, {'name': 'p3', 'cost': 9}]})

    assert inject_every_fault(Scenario([ns], build, run)) >= 7


# --- macvlan / macvtap ------------------------------------------------------------------

def test_macvlan_create_on_a_parent_elsewhere(names):
    ns1, ns2 = names(2)

    def run():
        return run_module('macvlan', {
            'name': 'mv0', 'netns': ns2, 'link': 'p1', 'link_netns': ns1, 'mode': 'bridge',
            'mtu': 1400, 'alias': 'mv', 'addresses': ['10.5.0.1/24'], 'admin_state': 'up'})

    assert inject_every_fault(Scenario([ns1, ns2], lambda: ok(veth(ns1, 'p1', 'q1')),
                                       run)) >= 4


def test_macvlan_change_in_place(names):
    (ns,) = names(1)

    def build():
        ok(veth(ns, 'p1', 'q1'))
        ok(run_module('macvlan', {'name': 'mv0', 'netns': ns, 'link': 'p1', 'mode': 'bridge',
                                  'addresses': ['10.5.0.1/24'], 'admin_state': 'up'}))

    def run():
        return run_module('macvlan', {
            'name': 'mv0', 'netns': ns, 'link': 'p1', 'mode': 'private', 'mtu': 1300,
            'addresses': ['10.6.0.1/24'], 'purge_addresses': True, 'admin_state': 'down'})

    assert inject_every_fault(Scenario([ns], build, run)) >= 4


def test_macvlan_mode_to_passthru_recreates(names):
    (ns,) = names(1)

    def build():
        ok(veth(ns, 'p1', 'q1'))
        ok(run_module('macvlan', {'name': 'mv0', 'netns': ns, 'link': 'p1', 'mode': 'bridge',
                                  'mtu': 1400, 'alias': 'kept', 'addresses': ['10.5.0.1/24'],
                                  'admin_state': 'up'}))

    def run():
        return run_module('macvlan', {'name': 'mv0', 'netns': ns, 'link': 'p1',
                                      'mode': 'passthru'})

    assert inject_every_fault(Scenario([ns], build, run)) >= 3


def test_macvtap_create_with_device_node(names):
    (ns,) = names(1)

    def run():
        return run_module('macvtap', {
            'name': 'mvt0', 'netns': ns, 'link': 'p1', 'mode': 'bridge', 'admin_state': 'up',
            'device_mode': '0660', 'addresses': ['10.7.0.1/24']})

    assert inject_every_fault(Scenario([ns], lambda: ok(veth(ns, 'p1', 'q1')), run)) >= 4


def test_macvtap_mode_to_passthru_recreates(names):
    (ns,) = names(1)

    def build():
        ok(veth(ns, 'p1', 'q1'))
        ok(run_module('macvtap', {'name': 'mvt0', 'netns': ns, 'link': 'p1', 'mode': 'vepa',
                                  'device_mode': '0640', 'admin_state': 'up'}))

    def run():
        return run_module('macvtap', {'name': 'mvt0', 'netns': ns, 'link': 'p1',
                                      'mode': 'passthru', 'device_mode': '0600'})

    assert inject_every_fault(Scenario([ns], build, run)) >= 3


# --- topology -----------------------------------------------------------------------------

def host_lab(prefix):
    """Every kind this machine's kernel has: veth pairs across and inside
    nodes, a bridge with ports, a macvlan on a parent in another node, a
    macvtap, addresses, routes and sysctls."""
    h, a, b = prefix + 'h', prefix + 'a', prefix + 'b'
    return [h, a, b], dict(
        nodes=[{'name': h, 'sysctls': {'net.ipv4.ip_forward': 1}},
               {'name': a, 'routes': [{'dst': '10.9.0.0/24', 'via': '10.8.0.1'}]},
               {'name': b}],
        bridges=[{'name': 'br0', 'node': h, 'addresses': ['10.8.0.1/24'], 'stp': False}],
        links=[{'endpoints': [{'bridge': 'br0', 'name': 'ha'},
                              {'node': a, 'name': 'eth0', 'addresses': ['10.8.0.2/24']}]},
               {'endpoints': [{'bridge': 'br0', 'name': 'hb'},
                              {'node': b, 'name': 'eth0', 'addresses': ['10.8.0.3/24'],
                               'mtu': 1400}]},
               {'endpoints': [{'node': h, 'name': 'up0', 'addresses': ['10.9.0.1/24']},
                              {'node': a, 'name': 'up1'}]},
               {'kind': 'macvlan', 'node': b, 'name': 'mv0', 'parent': 'up1',
                'parent_node': a, 'mode': 'bridge', 'addresses': ['10.10.0.1/24']},
               {'kind': 'macvtap', 'node': h, 'name': 'mvt0', 'parent': 'up0',
                'mode': 'bridge'}])


def lab_scenario(nodes, lab_name, description, start=None):
    """The lab's namespaces are made by the runs (start: the description a
    first, unfaulted run builds; None: from nothing)."""
    def build():
        if start is not None:
            ok(run_module('topology', dict(start, lab=lab_name)))
    return Scenario(nodes, build, lambda: run_module('topology', dict(description, lab=lab_name)),
                    absent_at_start=nodes, sysctls=('net.ipv4.ip_forward',))


@pytest.fixture
def lab_prefix():
    prefix = unique_name('L')[:11]
    yield prefix
    clean([n for n in pyroute2_netns.listnetns() if n.startswith(prefix)])


def test_topology_from_nothing(lab_prefix):
    nodes, description = host_lab(lab_prefix)
    scenario = lab_scenario(nodes, 'lab-' + lab_prefix, description)
    assert inject_every_fault(scenario) >= 20


def test_topology_change_and_recreate(lab_prefix):
    nodes, description = host_lab(lab_prefix)
    changed = dict(description, links=[dict(link) for link in description['links']])
    changed['bridges'] = [dict(description['bridges'][0], mtu=1300,
                               addresses=['10.8.0.1/24', '10.8.1.1/24'])]
    # the second pair's node-b end moves to node a: the pair is re-created
    changed['links'][1] = {'endpoints': [{'bridge': 'br0', 'name': 'hb'},
                                         {'node': nodes[1], 'name': 'eth1',
                                          'addresses': ['10.8.0.4/24']}]}
    changed['links'][3] = dict(changed['links'][3], mode='passthru')
    changed['nodes'] = [dict(description['nodes'][0], sysctls={'net.ipv4.ip_forward': 0}),
                        dict(description['nodes'][1],
                             routes=[{'dst': '10.9.0.0/24', 'via': '10.8.0.1'},
                                     {'dst': '10.11.0.0/24', 'via': '10.8.0.1'}]),
                        description['nodes'][2]]
    scenario = lab_scenario(nodes, 'lab-' + lab_prefix, changed, start=description)
    assert inject_every_fault(scenario) >= 8


# --- the guest kernel: bond, teamd, ipvlan, ipvtap, bridge VLAN filtering ----------------

GUEST = pytest.mark.guest_kernel


def ports(netns, names):
    for name in names:
        ok(veth(netns, name, 'e' + name))


@GUEST
def test_bond_create_with_ports(names):
    (ns,) = names(1)

    def run():
        return run_module('bond', {
            'name': 'bond0', 'netns': ns, 'mode': 'active-backup', 'miimon': 100,
            'addresses': ['10.20.0.1/24'], 'admin_state': 'up', 'alias': 'b',
            'ports': [{'name': 'p1'}, {'name': 'p2', 'prio': 3}]})

    assert inject_every_fault(Scenario([ns], lambda: ports(ns, ['p1', 'p2']), run)) >= 6


@GUEST
def test_bond_change_ports_and_recreate(names):
    (ns,) = names(1)

    def build():
        ports(ns, ['p1', 'p2', 'p3'])
        ok(run_module('bond', {'name': 'bond0', 'netns': ns, 'mode': 'active-backup',
                               'miimon': 100, 'addresses': ['10.20.0.1/24'],
                               'admin_state': 'up', 'mtu': 1400,
                               'ports': [{'name': 'p1'}, {'name': 'p2'}]}))

    def run():
        return run_module('bond', {
            'name': 'bond0', 'netns': ns, 'mode': 'balance-xor', 'recreate': True,
            'ports': [{'name': 'p1'}, {'name': 'p3'}]})

    assert inject_every_fault(Scenario([ns], build, run)) >= 4


@GUEST
def test_teamd_create_and_restart(names):
    (ns,) = names(1)

    def build():
        ports(ns, ['p1', 'p2', 'p3'])
        ok(run_module('teamd', {'name': 'team0', 'netns': ns,
                                'runner': {'name': 'activebackup'},
                                'ports': [{'name': 'p1'}, {'name': 'p2'}],
                                'addresses': ['10.21.0.1/24'], 'admin_state': 'up'}))

    def run():
        return run_module('teamd', {
            'name': 'team0', 'netns': ns, 'runner': {'name': 'roundrobin'},
            'ports': [{'name': 'p1'}, {'name': 'p3'}], 'addresses': ['10.21.0.1/24'],
            'admin_state': 'up'})

    assert inject_every_fault(Scenario([ns], build, run)) >= 3


@GUEST
def test_ipvlan_create_and_move(names):
    ns1, ns2 = names(2)

    def build():
        ports(ns1, ['p1', 'p2'])
        ok(run_module('ipvlan', {'name': 'ipv0', 'netns': ns2, 'link': 'p1', 'link_netns': ns1,
                                 'mode': 'l2', 'addresses': ['10.22.0.1/24'],
                                 'admin_state': 'up'}))

    def run():
        return run_module('ipvlan', {'name': 'ipv0', 'netns': ns2, 'link': 'p2',
                                     'link_netns': ns1, 'mode': 'l3', 'mtu': 1400})

    assert inject_every_fault(Scenario([ns1, ns2], build, run)) >= 2


@GUEST
def test_vlan_create_on_a_parent_elsewhere_then_recreate(names):
    """A vlan made in its parent's namespace and placed into its own; then
    an id change (a re-create: the kernel keeps the id) with changes in
    place and an address: every failure brings the old vlan back."""
    ns1, ns2 = names(2)

    def build():
        ports(ns1, ['p1'])
        ok(run_module('vlan', {'name': 'v0', 'netns': ns2, 'link': 'p1', 'link_netns': ns1,
                               'id': 10, 'egress_qos_map': {1: 1},
                               'addresses': ['10.23.0.1/24'], 'admin_state': 'up'}))

    def run():
        return run_module('vlan', {'name': 'v0', 'netns': ns2, 'link': 'p1', 'link_netns': ns1,
                                   'id': 20, 'gvrp': True, 'egress_qos_map': {2: 2},
                                   'addresses': ['10.23.0.1/24', '10.23.1.1/24']})

    assert inject_every_fault(Scenario([ns1, ns2], build, run)) >= 4


@GUEST
def test_ipvtap_create_with_device_node(names):
    (ns,) = names(1)

    def run():
        return run_module('ipvtap', {'name': 'ipvt0', 'netns': ns, 'link': 'p1',
                                     'mode': 'l2', 'device_mode': '0660',
                                     'addresses': ['10.23.0.1/24'], 'admin_state': 'up'})

    assert inject_every_fault(Scenario([ns], lambda: ports(ns, ['p1']), run)) >= 4


@GUEST
def test_bridge_vlan_filtering_ports(names):
    (ns,) = names(1)

    def build():
        ports(ns, ['p1', 'p2'])
        ok(run_module('bridge', {'name': 'br0', 'netns': ns, 'vlan_filtering': True,
                                 'admin_state': 'up',
                                 'ports': [{'name': 'p1', 'vlans': [{'vid': '10'}]}]}))

    def run():
        return run_module('bridge', {
            'name': 'br0', 'netns': ns, 'vlan_filtering': True, 'default_pvid': 1,
            'ports': [{'name': 'p1', 'vlans': [{'vid': '20', 'pvid': True, 'untagged': True}]},
                      {'name': 'p2', 'vlans': [{'vid': '10-11'}]}]})

    assert inject_every_fault(Scenario([ns], build, run)) >= 4


def guest_lab(prefix):
    """The host lab plus what only the guest kernel has: a bond, a team, an
    ipvlan and an ipvtap."""
    nodes, description = host_lab(prefix)
    h, a, _b = nodes
    description['links'] = description['links'] + [
        {'endpoints': [{'node': h, 'name': 'bp0'}, {'node': a, 'name': 'bq0'}]},
        {'endpoints': [{'node': h, 'name': 'bp1'}, {'node': a, 'name': 'bq1'}]},
        {'kind': 'bond', 'node': h, 'name': 'bond0', 'mode': 'active-backup',
         'ports': [{'name': 'bp0', 'prio': 3}, 'bp1'], 'options': {'miimon': 100},
         'addresses': ['10.30.0.1/24']},
        {'endpoints': [{'node': h, 'name': 'tp0'}, {'node': a, 'name': 'tq0'}]},
        {'kind': 'team', 'node': h, 'name': 'team0', 'runner': 'activebackup',
         'ports': ['tp0'], 'addresses': ['10.31.0.1/24']},
        {'kind': 'ipvlan', 'node': a, 'name': 'ipv0', 'parent': 'bq0', 'mode': 'l2',
         'addresses': ['10.32.0.1/24']},
        {'kind': 'ipvtap', 'node': a, 'name': 'ipvt0', 'parent': 'bq1', 'mode': 'l2'}]
    return nodes, description


@GUEST
def test_topology_every_kind_from_nothing(lab_prefix):
    nodes, description = guest_lab(lab_prefix)
    assert inject_every_fault(lab_scenario(nodes, 'lab-' + lab_prefix, description)) >= 30


@GUEST
def test_topology_every_kind_changed(lab_prefix):
    nodes, description = guest_lab(lab_prefix)
    changed = dict(description, links=[dict(link) for link in description['links']])
    bond = [link for link in changed['links'] if link.get('kind') == 'bond'][0]
    bond.update(ports=['bp0'], addresses=['10.30.0.1/24', '10.30.1.1/24'])
    team = [link for link in changed['links'] if link.get('kind') == 'team'][0]
    team.update(runner='roundrobin')
    ipvlan = [link for link in changed['links'] if link.get('kind') == 'ipvlan'][0]
    # ipvlans on one parent share its mode (the kernel keeps it per parent):
    # ipv0 joins ipvt0 on bq1 in ipvt0's mode
    ipvlan.update(parent='bq1', mode='l2')
    assert inject_every_fault(lab_scenario(nodes, 'lab-' + lab_prefix, changed,
                                           start=description)) >= 8
