"""Renderers (Mermaid, DOT) and the other topology views."""

import re
import shutil
import subprocess

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.vnet.linux.plugins.filter.lab_presets import lab_preset
from ansible_collections.vnet.linux.plugins.module_utils._lab.presets import PRESETS
from ansible_collections.vnet.linux.plugins.filter.lab_views import (
    lab_dot,
    lab_mermaid,
    lab_module_args,
    lab_namespaces,
    lab_ping_guests,
    lab_ping_targets,
)

HANDWRITTEN = {
    'lab': 'hand',
    'nodes': [{'name': 'r1', 'loopback': ['10.255.0.1/32']}, {'name': 'h1'},
              {'name': 'sw1'}, {'name': 'host1'}, {'name': 'n1'}],
    'bridges': [{'name': 'br0', 'node': 'sw1'}],
    'links': [
        {'endpoints': [{'node': 'r1', 'name': 'eth0', 'addresses': ['10.1.0.0/31'],
                        'impairment': {'delay': '10ms'}},
                       {'node': 'h1', 'name': 'eth0', 'addresses': ['10.1.0.1/31']}]},
        {'endpoints': [{'node': 'h1', 'name': 'eth1', 'addresses': ['10.2.0.11/24']},
                       {'bridge': 'br0', 'name': 'h1-p'}]},
        {'endpoints': [{'node': 'host1', 'name': 'eth1'},
                       {'bridge': 'br0', 'name': 'host1-p'}]},
        {'kind': 'macvlan', 'node': 'n1', 'name': 'mv0', 'parent': 'eth1',
         'parent_node': 'host1', 'mode': 'bridge', 'addresses': ['10.2.0.21/24']},
        {'kind': 'bond', 'node': 'h1', 'name': 'bond0', 'mode': 'active-backup',
         'ports': ['eth2', 'eth3'], 'addresses': ['10.3.0.1/24']},
    ],
}


def test_ping_targets_without_prefix_length_and_without_bridge_only_nodes():
    targets = lab_ping_targets(HANDWRITTEN)
    assert targets == {'r1': ['10.255.0.1', '10.1.0.0'],
                       'h1': ['10.1.0.1', '10.2.0.11', '10.3.0.1'],
                       'n1': ['10.2.0.21']}


def test_namespaces_in_order_of_mention():
    assert lab_namespaces(HANDWRITTEN) == ['r1', 'h1', 'sw1', 'host1', 'n1']


def test_module_args_drop_what_presets_add():
    topology = lab_preset({'mode': 'private'}, 'macvlan_lan')
    assert 'expect' in topology
    assert sorted(lab_module_args(topology)) == ['bridges', 'lab', 'links', 'nodes']


def test_mermaid_shows_nodes_interfaces_and_addresses():
    text = lab_mermaid(HANDWRITTEN)
    assert text.startswith('---\ntitle: lab hand\n---\nflowchart LR\n')
    for needle in ('r1', 'lo 10.255.0.1/32', 'eth0 10.1.0.0/31', 'eth0 10.1.0.1/31',
                   'h1-p', 'br0 (bridge)', 'subgraph n_sw1_ns', 'mv0 macvlan bridge 10.2.0.21/24',
                   'bond0 bond active-backup 10.3.0.1/24', 'delay 10ms'):
        assert needle in text, needle
    # the macvlan is drawn dashed to its lower device's namespace
    assert re.search(r'n_n1 -\.-\|"[^"]*"\| n_host1', text)


def test_mermaid_ids_are_safe_and_unique():
    topology = {'lab': 'x', 'nodes': [{'name': 'a-b'}, {'name': 'a_b'}, {'name': 'a.b'}],
                'bridges': [], 'links': [
                    {'endpoints': [{'node': 'a-b', 'name': 'e0'}, {'node': 'a_b', 'name': 'e0'}]},
                    {'endpoints': [{'node': 'a.b', 'name': 'e1'}, {'node': 'a_b', 'name': 'e1'}]}]}
    text = lab_mermaid(topology)
    ids = re.findall(r'^  (\S+)\["', text, re.M)
    assert len(ids) == 3 == len(set(ids))
    assert all(re.match(r'^[A-Za-z0-9_]+$', i) for i in ids)


def test_mermaid_escapes_quotes():
    topology = {'lab': 'q', 'nodes': [{'name': 'a"b'}], 'bridges': [], 'links': []}
    assert '#quot;' in lab_mermaid(topology)


def test_dot_has_a_port_per_interface_and_an_edge_per_link():
    text = lab_dot(HANDWRITTEN)
    assert text.startswith('graph "lab hand" {') and text.rstrip().endswith('}')
    assert text.count('{') == text.count('}')
    edges = [line for line in text.splitlines() if ' -- ' in line]
    assert len(edges) == 4          # three veth links and the macvlan
    assert '"r1":p_eth0 -- "h1":p_eth0 [label="delay 10ms"];' in text
    assert 'port="p_h1_p">h1-p<' in text
    assert 'style=dashed' in text
    assert 'eth2 (in bond0)' in text
    assert 'subgraph cluster_0' in text and 'label="sw1"' in text


def test_dot_escapes_html():
    topology = {'lab': 'h', 'nodes': [{'name': 'a<b>&'}], 'bridges': [], 'links': []}
    assert 'a&lt;b&gt;&amp;' in lab_dot(topology)


@pytest.mark.skipif(not shutil.which('dot'), reason='Graphviz dot is not installed')
@pytest.mark.parametrize('name', list(PRESETS))
def test_graphviz_accepts_every_preset(name):
    text = lab_dot(lab_preset({'lab': name}, name))
    svg = subprocess.run(['dot', '-Tsvg'], input=text.encode(), capture_output=True, check=True)
    assert b'<svg' in svg.stdout and not svg.stderr


@pytest.mark.parametrize('name', list(PRESETS))
def test_every_node_is_drawn(name):
    topology = lab_preset({'lab': name}, name)
    mermaid, dot = lab_mermaid(topology), lab_dot(topology)
    for node in lab_namespaces(topology):
        assert node in mermaid and node in dot


def test_root_nodes_are_the_hosts_own_namespace():
    from ansible_collections.vnet.linux.plugins.filter.lab_views import (
        lab_inventory_hosts,
        lab_netns_of_nodes,
    )
    topology = {'lab': 'my-lab', 'nodes': [{'name': 'host', 'root': True}, {'name': 'n1'}],
                'bridges': [], 'links': []}
    assert lab_netns_of_nodes(topology) == {'host': ''}
    hosts = lab_inventory_hosts(['h'], {'h': {'lab_current': topology}}, 'x-')
    assert [(e['name'], e['netns'], e['groups']) for e in hosts] == [
        ('x-host', '', ['lab_my_lab', 'vnet_lab_nodes']),
        ('x-n1', 'n1', ['lab_my_lab', 'vnet_lab_nodes'])]
    assert lab_inventory_hosts(['other'], {'other': {}}) == []


def test_container_nodes_are_their_namespace_references():
    from ansible_collections.vnet.linux.plugins.filter.lab_views import lab_netns_of_nodes
    topology = {'lab': 'c', 'nodes': [{'name': 'web', 'netns': 'container:web'},
                                      {'name': 'job', 'netns': 'pid:42'}, {'name': 'r1'},
                                      {'name': 'host', 'root': True}]}
    assert lab_netns_of_nodes(topology) == {'web': 'container:web', 'job': 'pid:42', 'host': ''}


VM_LAB = {
    'lab': 'vms',
    'nodes': [{'name': 'r1'},
              {'name': 'vm1', 'vm': {'image': '/images/guest.img', 'address': '192.0.2.10/24'}}],
    'links': [{'endpoints': [{'node': 'r1', 'name': 'eth0', 'addresses': ['192.0.2.1/24']},
                             {'node': 'vm1', 'name': 'eth0'}]},
              {'kind': 'macvtap', 'node': 'vm1', 'name': 'mvt0', 'parent': 'eth0',
               'mode': 'bridge'}],
}


def test_a_vm_node_answers_at_its_guests_address():
    assert lab_ping_targets(VM_LAB) == {'vm1': ['192.0.2.10'], 'r1': ['192.0.2.1']}


def test_a_vm_node_pings_over_ssh_from_a_neighbour_in_its_subnet():
    assert lab_ping_guests(VM_LAB, key='/k') == {
        'vm1': {'address': '192.0.2.10', 'via': 'r1', 'user': 'root', 'key': '/k'}}
    lonely = dict(VM_LAB, links=VM_LAB['links'][1:] + [
        {'endpoints': [{'node': 'r1', 'name': 'eth0', 'addresses': ['198.51.100.1/24']},
                       {'node': 'vm1', 'name': 'eth0'}]}])
    with pytest.raises(AnsibleFilterError, match='VM node vm1: no other node has an address '
                                                 'in 192.0.2.0/24'):
        lab_ping_guests(lonely)


def test_a_vm_node_is_drawn_as_a_vm_with_its_guest():
    assert 'vm1 (VM)<br/>qemu guest.img 192.0.2.10/24' in lab_mermaid(VM_LAB)
    assert 'qemu guest.img 192.0.2.10/24' in lab_dot(VM_LAB)
