"""A lab spread over two hosts, on this machine's kernel (it has vxlan).

Two "hosts" are simulated in one kernel: each is a namespace the test
makes (standing for the host's root namespace), joined to the other by a
veth that is their underlay. Each host's share (spread.share, what the
topology module builds on that host) is applied with the root node
replaced by the host's namespace (an external node). What one kernel
cannot hold twice is told apart: each host's share runs under a lab name
of its own (on real hosts each kernel holds only its share, so the one
name is enough), and the switch node a spread LAN has on both hosts is
renamed on the second.

Witnesses: `ip -d`, `bridge fdb`, and pings across a crossing veth link
and across a spread LAN, both ways.
"""

import subprocess

import pytest
from pyroute2 import netns as pyroute2_netns

from conftest import ip, remove_namespace, run_module, unique_name

from ansible_collections.vnet.linux.plugins.module_utils._lab import spread

UNDERLAY = {'a': '192.0.2.1', 'b': '192.0.2.2'}


def ok(result):
    assert not result.get('failed'), result.get('msg')
    return result


def ping(netns, address):
    return subprocess.run(['ip', 'netns', 'exec', netns, 'ping', '-c', '1', '-W', '2', address],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)


def reaches(netns, address):
    result = ping(netns, address)
    assert result.returncode == 0, result.stdout.decode()


class TwoHosts(object):
    """Two host namespaces on one underlay, and the lab's names."""

    def __init__(self):
        self.prefix = unique_name('s')
        self.host_ns = {'a': self.prefix + 'ha', 'b': self.prefix + 'hb'}
        self.labs = {'a': 'lab-%sa' % self.prefix, 'b': 'lab-%sb' % self.prefix}
        for host, netns in self.host_ns.items():
            pyroute2_netns.create(netns)
        subprocess.check_call(['ip', '-n', self.host_ns['a'], 'link', 'add', 'u0', 'type',
                               'veth', 'peer', 'name', 'u0', 'netns', self.host_ns['b']])
        for host, netns in self.host_ns.items():
            subprocess.check_call(['ip', '-n', netns, 'address', 'add', UNDERLAY[host] + '/24',
                                   'dev', 'u0'])
            subprocess.check_call(['ip', '-n', netns, 'link', 'set', 'u0', 'up'])

    def n(self, tag):
        return self.prefix + tag

    def description(self, with_h2=True):
        r1, r2, sw, h1, h2 = (self.n(tag) for tag in ('r1', 'r2', 'sw', 'h1', 'h2'))
        nodes = [{'name': r1, 'host': 'a'}, {'name': r2, 'host': 'b'},
                 {'name': sw, 'host': 'a'}, {'name': h1, 'host': 'a'}]
        links = [
            {'endpoints': [{'node': r1, 'name': 'eth0', 'addresses': ['10.0.0.0/31']},
                           {'node': r2, 'name': 'eth0', 'addresses': ['10.0.0.1/31']}]},
            {'endpoints': [{'node': h1, 'name': 'eth0', 'addresses': ['10.1.0.11/24']},
                           {'bridge': 'br0', 'name': 'h1-p'}]},
        ]
        if with_h2:
            nodes.append({'name': h2, 'host': 'b'})
            links.append({'endpoints': [{'node': h2, 'name': 'eth0',
                                         'addresses': ['10.1.0.12/24']},
                                        {'bridge': 'br0', 'name': 'h2-p'}]})
        return {'nodes': nodes, 'links': links,
                'bridges': [{'name': 'br0', 'node': sw, 'addresses': ['10.1.0.1/24']}],
                'spread': {'this_host': 'a',
                           'hosts': dict((h, {'address': UNDERLAY[h]}) for h in 'ba')}}

    def share(self, host, description):
        """The host's share as its own kernel would build it, here: the
        root node is the host's namespace, a switch that is at home on the
        other host gets a name of its own."""
        lab = dict(description, lab=self.labs[host])
        share = spread.share(lab, host)
        where = spread.placement(lab)
        names = {}
        for node in share['nodes']:
            if node.get('root'):
                names[node['name']] = self.host_ns[host]
            elif where[node['name']] != host:
                names[node['name']] = node['name'] + 'x'
        return renamed(share, names)

    def run(self, host, description, check=False, **options):
        return run_module('topology', dict(self.share(host, description), **options),
                          check=check)

    def namespaces(self):
        return sorted(n for n in pyroute2_netns.listnetns() if n.startswith(self.prefix)
                      and n not in self.host_ns.values())

    def clean(self):
        try:
            for lab in self.labs.values():
                run_module('topology', {'lab': lab, 'state': 'absent'})
        finally:
            for name in pyroute2_netns.listnetns():
                if name.startswith(self.prefix):
                    remove_namespace(name)


def renamed(share, names):
    """The share with nodes renamed (and made external where the new name
    is a host namespace) wherever a node is named."""
    def name(value):
        return names.get(value, value)
    nodes = []
    for node in share['nodes']:
        if node.get('root'):
            nodes.append({'name': name(node['name']), 'external': True})
        else:
            nodes.append(dict(node, name=name(node['name'])))
    bridges = [dict(bridge, node=name(bridge['node'])) for bridge in share['bridges']]
    links = []
    for link in share['links']:
        link = dict(link)
        for key in ('node', 'parent_node'):
            if link.get(key):
                link[key] = name(link[key])
        if link.get('endpoints'):
            link['endpoints'] = [dict(ep, node=name(ep['node'])) if ep.get('node') else ep
                                 for ep in link['endpoints']]
        links.append(link)
    return dict(share, nodes=nodes, bridges=bridges, links=links)


@pytest.fixture
def hosts():
    made = TwoHosts()
    try:
        yield made
    finally:
        made.clean()


def link_info(netns, name):
    entry = ip(netns, 'link', 'show', name)[0]
    return entry['mtu'], entry['linkinfo']['info_kind'], entry['linkinfo'].get('info_data', {})


def flood_entries(netns, name):
    """(mac, dst) of the tunnel's own static entries (`self permanent`)."""
    out = subprocess.check_output(['bridge', '-n', netns, 'fdb', 'show', 'dev', name])
    return sorted((line.split()[0], line.split()[2]) for line in out.decode().splitlines()
                  if ' self ' in line and 'permanent' in line)


def test_a_lab_over_two_hosts_pings_across_reruns_clean_prunes_and_goes_per_host(hosts):
    description = hosts.description()
    r1, r2, sw, h1, h2 = (hosts.n(tag) for tag in ('r1', 'r2', 'sw', 'h1', 'h2'))
    predicted = ok(hosts.run('a', description, check=True))
    assert hosts.namespaces() == []
    made = ok(hosts.run('a', description))
    assert made['actions'] == predicted['actions']
    ok(hosts.run('b', description))
    assert hosts.namespaces() == sorted([r1, r2, sw, h1, h2, sw + 'x'])

    # the crossing link: a vxlan at each end, one VNI, the tunnel's MTU
    vni = spread.plan(dict(description, lab='x')).vnis[('link', 0)]
    for node, local, remote in ((r1, '192.0.2.1', '192.0.2.2'), (r2, '192.0.2.2', '192.0.2.1')):
        mtu, kind, data = link_info(node, 'eth0')
        assert (mtu, kind, data['id'], data['local'], data['remote'], data['port']) == \
            (1450, 'vxlan', vni, local, remote, 4789)
    # the spread LAN: a bridge on each host, a vxlan port flooding to the other
    lan_vni = spread.plan(dict(description, lab='x')).vnis[('lan', 0)]
    port = 'vx%d' % lan_vni
    for node, other in ((sw, '192.0.2.2'), (sw + 'x', '192.0.2.1')):
        mtu, kind, data = link_info(node, port)
        assert (mtu, kind, data['id']) == (1450, 'vxlan', lan_vni)
        assert flood_entries(node, port) == [('00:00:00:00:00:00', other)]
        assert ip(node, 'link', 'show', port)[0]['master'] == 'br0'
    assert link_info(h2, 'eth0')[0] == 1450
    assert [a['local'] for a in ip(sw + 'x', 'address', 'show', 'br0')[0]['addr_info']
            if a['family'] == 'inet'] == []

    reaches(r1, '10.0.0.1')
    reaches(r2, '10.0.0.0')
    reaches(h1, '10.1.0.12')
    reaches(h2, '10.1.0.11')
    reaches(h2, '10.1.0.1')     # the gateway, on the bridge at the switch's home

    for host in 'ab':
        again = ok(hosts.run(host, description))
        assert again['changed'] is False, again.get('actions')

    # h2 leaves: its host removes it and its copy of the LAN, the switch's
    # home its tunnel port; the crossing link stays up
    smaller = hosts.description(with_h2=False)
    pruned_b = ok(hosts.run('b', smaller, prune=True))
    assert pruned_b['changed'] is True
    pruned_a = ok(hosts.run('a', smaller, prune=True))
    assert [entry['name'] for entry in pruned_a['plan']['removed']] == [port]
    assert hosts.namespaces() == sorted([r1, r2, sw, h1])
    reaches(r1, '10.0.0.1')
    for host in 'ab':
        assert ok(hosts.run(host, smaller, prune=True))['changed'] is False

    # one host's lab goes: the other host's share is left as it is
    ok(run_module('topology', {'lab': hosts.labs['a'], 'state': 'absent'}))
    assert hosts.namespaces() == [r2]
    assert link_info(r2, 'eth0')[1] == 'vxlan'
    assert ok(hosts.run('b', smaller))['changed'] is False


def udp_ports(netns):
    """The local UDP ports ss reports in a namespace (an independent witness)."""
    out = subprocess.check_output(['ip', 'netns', 'exec', netns, 'ss', '-Hulnp'])
    return set(int(line.split()[3].rsplit(':', 1)[1]) for line in out.decode().splitlines())


@pytest.mark.guest_kernel
def test_geneve_joins_the_crossing_link_its_socket_on_each_host(hosts):
    """spread.tunnel geneve: the crossing link is a geneve at each end, made
    in the host's namespace (its socket there) and moved into the node,
    which has no route to the underlay; the LAN stays vxlan. Re-runs find
    every geneve where it is (the kernel reports no link namespace for a
    geneve: the socket table is the witness)."""
    description = hosts.description()
    description['spread']['tunnel'] = 'geneve'
    r1, r2 = hosts.n('r1'), hosts.n('r2')
    predicted = ok(hosts.run('a', description, check=True))
    made = ok(hosts.run('a', description))
    assert made['actions'] == predicted['actions']
    ok(hosts.run('b', description))
    vni = spread.plan(dict(description, lab='x')).vnis[('link', 0)]
    for host, node, remote in (('a', r1, '192.0.2.2'), ('b', r2, '192.0.2.1')):
        mtu, kind, data = link_info(node, 'eth0')
        assert (mtu, kind, data['id'], data['remote'], data['port']) == \
            (1450, 'geneve', vni, remote, 6081)
        assert 6081 in udp_ports(hosts.host_ns[host]) and 6081 not in udp_ports(node)
    reaches(r1, '10.0.0.1')
    reaches(r2, '10.0.0.0')
    reaches(hosts.n('h2'), '10.1.0.11')   # the LAN, over its vxlan ports
    for host in 'ab':
        again = ok(hosts.run(host, description))
        assert again['changed'] is False, again.get('actions')
