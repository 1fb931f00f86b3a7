# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Views of a lab topology (the input of vnet.linux.topology): pictures in
Mermaid and Graphviz DOT, the addresses each node can be pinged at, and the
namespaces the lab uses.

Pure Python on the controller; unit-tested without a kernel.
"""

from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict

from ansible.errors import AnsibleFilterError

from ansible_collections.vnet.linux.plugins.filter.lab_hosts import node_hosts

IMPAIRMENT_KEYS = ('delay', 'jitter', 'loss', 'rate')


# reading the topology --------------------------------------------------------
def _links(topology):
    return topology.get('links') or []


def _kind(link):
    return link.get('kind') or 'veth'


def _is_pair(link):
    return 'endpoints' in link


def _bridge_node(topology, bridge):
    """The namespace that holds the bridge an endpoint plugs into."""
    for entry in topology.get('bridges') or []:
        if entry.get('name') == bridge:
            return entry.get('node')
    raise AnsibleFilterError('link endpoint refers to unknown bridge %r' % bridge)


def lab_namespaces(topology):
    """Filter: every namespace the lab uses, in order of first mention."""
    seen = OrderedDict()
    for node in topology.get('nodes') or []:
        seen[node['name']] = True
    for bridge in topology.get('bridges') or []:
        seen[bridge['node']] = True
    for link in _links(topology):
        if _is_pair(link):
            for end in link['endpoints']:
                seen[end.get('node') or _bridge_node(topology, end['bridge'])] = True
        else:
            for key in ('node', 'parent_node'):
                if link.get(key):
                    seen[link[key]] = True
    return list(seen)


def _interfaces(topology):
    """(node, interface name, addresses) of every addressed interface; a
    VM node's is its guest's (on the guest's NIC, 'vm')."""
    for node in topology.get('nodes') or []:
        for cidr in node.get('loopback') or []:
            yield node['name'], 'lo', [cidr]
        if (node.get('vm') or {}).get('address'):
            yield node['name'], 'vm', [node['vm']['address']]
    for link in _links(topology):
        if _is_pair(link):
            for end in link['endpoints']:
                if end.get('node'):
                    yield end['node'], end['name'], end.get('addresses') or []
        elif link.get('node'):
            yield link['node'], link['name'], link.get('addresses') or []


def lab_ping_targets(topology):
    """Filter: {node: [addresses without prefix length]} for nodes that have
    addresses, in the order they appear; what the reachability check pings."""
    targets = OrderedDict()
    for node, _ifname, addresses in _interfaces(topology):
        for cidr in addresses:
            address = str(ipaddress.ip_interface(cidr).ip)
            targets.setdefault(node, [])
            if address not in targets[node]:
                targets[node].append(address)
    return dict(targets)


def lab_ping_guests(topology, key=None, user='root'):
    """Filter: {node: {address, via, ...}} for the VM nodes with an address:
    reachability pings from inside them over SSH, from `via`, the first
    other node with an address in the guest's subnet."""
    guests = {}
    for node in topology.get('nodes') or []:
        address = (node.get('vm') or {}).get('address')
        if not address:
            continue
        guest = ipaddress.ip_interface(address)
        via = next((name for name, _ifname, cidrs in _interfaces(topology)
                    if name != node['name'] for cidr in cidrs
                    if ipaddress.ip_interface(cidr).network == guest.network), None)
        if via is None:
            raise AnsibleFilterError('VM node %s: no other node has an address in %s to '
                                     'reach its guest from' % (node['name'], guest.network))
        guests[node['name']] = dict(address=str(guest.ip), via=via, user=user)
        if key:
            guests[node['name']]['key'] = key
    return guests


def lab_netns_of_nodes(topology):
    """Filter: {node: namespace} for nodes whose namespace is not named after
    them: a `root: true` node is the host's own namespace (''), a node
    with `netns` (a container's or a process's) that reference."""
    renamed = {}
    for node in topology.get('nodes') or []:
        if node.get('root'):
            renamed[node['name']] = ''
        elif node.get('netns'):
            renamed[node['name']] = node['netns']
    return renamed


def lab_group_name(lab):
    """Filter: the inventory group of a lab's nodes (lab_<name>, with the
    characters Ansible does not allow in group names made underscores)."""
    return 'lab_' + re.sub(r'[^A-Za-z0-9_]', '_', str(lab))


def lab_inventory_hosts(play_hosts, hostvars, prefix=''):
    """Filter: a host entry per namespace of each play host's lab (the
    `lab_current` fact that the lab role sets); for a lab spread over
    hosts, of the nodes placed on that host."""
    entries = []
    for host in play_hosts:
        topology = hostvars[host].get('lab_current')
        if not topology:
            continue
        renamed = lab_netns_of_nodes(topology)
        # a lab spread over hosts: each host adds the nodes it holds
        where = node_hosts(topology)
        for node in lab_namespaces(topology):
            if where.get(node, host) != host:
                continue
            netns = renamed.get(node, node)
            entries.append(dict(name=prefix + node, netns=netns, lab=topology['lab'],
                                lab_host=host,
                                groups=[lab_group_name(topology['lab']), 'vnet_lab_nodes']))
    return entries


def lab_module_args(topology):
    """Filter: only the keys vnet.linux.topology takes (presets add `expect`)."""
    return dict((k, v) for k, v in topology.items()
                if k in ('lab', 'nodes', 'bridges', 'links'))


# the shape of the picture -----------------------------------------------------
class Box(object):
    """A namespace or a bridge: a title, plain lines, and one row per
    interface that edges attach to."""

    def __init__(self, title, shape='box'):
        self.title = title
        self.shape = shape
        self.lines = []
        self.ports = OrderedDict()      # interface name -> its text

    def port(self, name, text=None):
        if name not in self.ports or text:
            self.ports[name] = text or name
        return name


class Edge(object):
    def __init__(self, left, right, style='solid', label=''):
        self.left, self.right = left, right     # (box id, interface name)
        self.style = style
        self.label = label


class Picture(object):
    """What both renderers draw: boxes (namespaces and bridges), groups
    (namespaces that hold bridges) and edges between interfaces."""

    def __init__(self, topology):
        self.title = 'lab %s' % topology.get('lab', '')
        self.boxes = OrderedDict()
        self.groups = OrderedDict()     # namespace -> [bridge box ids]
        self.edges = []
        self.where = node_hosts(topology)   # node -> host, for a lab spread over hosts
        self.tunnel = (topology.get('spread') or {}).get('tunnel') or 'vxlan'
        self._build(topology)

    def hosts(self):
        """The hosts to draw as groups: only for a lab on more than one."""
        hosts = sorted(set(self.where.values()))
        return hosts if len(hosts) > 1 else []

    def top_items(self):
        """(host or None, kind, id) of what is drawn at the top level: boxes
        outside a group ('box') and groups ('group'), grouped by host."""
        grouped = set(box for boxes in self.groups.values() for box in boxes)
        items = [('box', box_id) for box_id in self.boxes
                 if box_id not in grouped and box_id not in self.groups]
        items += [('group', holder) for holder in self.groups]
        hosts = self.hosts()
        if not hosts:
            return [(None, items)]
        return [(host, [item for item in items if self.where.get(item[1]) == host])
                for host in hosts]

    def _build(self, topology):
        for node in lab_namespaces(topology):
            self.boxes[node] = Box(node)
        for node in topology.get('nodes') or []:
            self.boxes[node['name']].lines.extend(
                'lo %s' % cidr for cidr in node.get('loopback') or [])
            if node.get('vm'):
                self._vm(node)
        for bridge in topology.get('bridges') or []:
            box = '%s/%s' % (bridge['node'], bridge['name'])
            self.boxes[box] = Box('%s (bridge)' % bridge['name'], 'bridge')
            self.groups.setdefault(bridge['node'], []).append(box)
        for link in _links(topology):
            if _is_pair(link):
                self._pair(topology, link)
            else:
                self._device(link)
        self._drop_empty_bridge_holders()

    def _pair(self, topology, link):
        ends = []
        for end in link['endpoints']:
            if end.get('bridge'):
                box = '%s/%s' % (_bridge_node(topology, end['bridge']), end['bridge'])
            else:
                box = end['node']
            text = ' '.join([end['name']] + list(end.get('addresses') or []))
            ends.append((box, self.boxes[box].port(end['name'], text)))
        label = _impairment_text(*link['endpoints'])
        hosts = set(self.where.get(box.split('/', 1)[0]) for box, _port in ends)
        if len(hosts) > 1:
            # the link crosses hosts: a tunnel over their underlay
            label = ' '.join(text for text in (self.tunnel, label) if text)
        self.edges.append(Edge(ends[0], ends[1], 'solid', label))

    def _device(self, link):
        """bond/team/macvlan/ipvlan/macvtap: a row in its namespace; children
        of a lower device in another namespace get a dashed edge to it."""
        box = self.boxes[link['node']]
        box.port(link['name'], _device_text(link))
        for port in link.get('ports') or []:
            box.port(port, '%s (in %s)' % (box.ports.get(port, port), link['name']))
        parent_node = link.get('parent_node') or link['node']
        if link.get('parent'):
            parent = self.boxes[parent_node].port(link['parent'])
            mode = ' '.join(str(x) for x in (_kind(link), link.get('mode')) if x)
            self.edges.append(Edge((link['node'], link['name']),
                                   (parent_node, parent), 'dashed', mode))

    def _vm(self, node):
        """A VM node: titled so, with its guest's line (image, address)."""
        box, vm = self.boxes[node['name']], node['vm']
        box.title = '%s (VM)' % node['name']
        box.lines.append(' '.join(str(part) for part in (
            'qemu', vm.get('image', '').rsplit('/', 1)[-1], vm.get('address')) if part))

    def _drop_empty_bridge_holders(self):
        """A namespace that only holds bridges is drawn as the group alone."""
        for holder in self.groups:
            box = self.boxes.get(holder)
            if box is not None and not box.lines and not box.ports:
                self.boxes.pop(holder)


def _device_text(link):
    flavour = link.get('mode') or link.get('runner') or ''
    parts = [link['name'], '%s%s' % (_kind(link), ' ' + flavour if flavour else '')]
    parts.extend(link.get('addresses') or [])
    return ' '.join(parts)


def _impairment_text(*ends):
    texts = []
    for end in ends:
        wanted = end.get('impairment') or dict(
            (k, end[k]) for k in IMPAIRMENT_KEYS if end.get(k) is not None)
        text = ' '.join('%s %s' % (k, wanted[k]) for k in IMPAIRMENT_KEYS if k in wanted)
        if text and text not in texts:
            texts.append(text)
    return ' / '.join(texts)


# Mermaid ---------------------------------------------------------------------
def _safe_ids(names, prefix):
    """Ids made of letters, digits and underscores only, still unique."""
    ids = {}
    for name in names:
        base = prefix + re.sub(r'[^A-Za-z0-9_]', '_', name)
        candidate, number = base, 1
        while candidate in ids.values():
            number += 1
            candidate = '%s_%d' % (base, number)
        ids[name] = candidate
    return ids


def _mermaid_text(lines):
    return '<br/>'.join(lines).replace('"', '#quot;')


def _mermaid_box(box_id, box, linked):
    """Mermaid has no ports: interfaces without a link (bond, team, macvtap
    and the like) are listed in the box itself."""
    unlinked = [text for name, text in box.ports.items() if name not in linked]
    text = _mermaid_text([box.title] + box.lines + unlinked)
    return '%s{{"%s"}}' % (box_id, text) if box.shape == 'bridge' else '%s["%s"]' % (box_id, text)


def lab_mermaid(topology):
    """Filter: a Mermaid flowchart of the lab (text of a .mmd file); the
    interfaces and their addresses are on the links."""
    picture = Picture(topology)
    ids = _safe_ids(list(picture.boxes) + list(picture.groups), 'n_')
    out = ['---', 'title: %s' % picture.title, '---', 'flowchart LR']
    linked = dict((box_id, set()) for box_id in picture.boxes)
    for edge in picture.edges:
        for box_id, port in (edge.left, edge.right):
            linked[box_id].add(port)
    host_ids = _safe_ids(picture.hosts(), 'host_')
    for host, items in picture.top_items():
        indent = '  '
        if host is not None:
            out.append('  subgraph %s ["%s"]' % (host_ids[host], _mermaid_text(['host ' + host])))
            indent = '    '
        for kind, item in items:
            if kind == 'box':
                out.append(indent + _mermaid_box(ids[item], picture.boxes[item], linked[item]))
                continue
            out.append(indent + 'subgraph %s_ns ["%s"]' % (ids[item], _mermaid_text([item])))
            for box_id in ([item] if item in picture.boxes else []) + picture.groups[item]:
                box = picture.boxes[box_id]
                out.append(indent + '  ' + _mermaid_box(ids[box_id], box, linked[box_id]))
            out.append(indent + 'end')
        if host is not None:
            out.append('  end')
    for edge in picture.edges:
        left = picture.boxes[edge.left[0]].ports[edge.left[1]]
        right = picture.boxes[edge.right[0]].ports[edge.right[1]]
        label = '%s — %s' % (left, right)
        if edge.label:
            label += ' [%s]' % edge.label
        arrow = '---' if edge.style == 'solid' else '-.-'
        out.append('  %s %s|"%s"| %s' % (ids[edge.left[0]], arrow,
                                         _mermaid_text([label]), ids[edge.right[0]]))
    return '\n'.join(out) + '\n'


# Graphviz DOT ----------------------------------------------------------------
def _dot_quote(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')


def _html(text):
    return (text.replace('&', '&amp;').replace('<', '&lt;')
            .replace('>', '&gt;').replace('"', '&quot;'))


def _dot_box(box_id, box, port_ids):
    """An HTML-like table: the title, then one row per line and interface,
    each interface row a port that edges attach to."""
    fill = '#dbeafe' if box.shape == 'bridge' else '#e5e7eb'
    rows = ['<tr><td bgcolor="%s"><b>%s</b></td></tr>' % (fill, _html(box.title))]
    rows.extend('<tr><td>%s</td></tr>' % _html(line) for line in box.lines)
    rows.extend('<tr><td port="%s">%s</td></tr>' % (port_ids[name], _html(text))
                for name, text in box.ports.items())
    table = ('<table border="0" cellborder="1" cellspacing="0" cellpadding="3">%s</table>'
             % ''.join(rows))
    return '%s [label=<%s>];' % (_dot_quote(box_id), table)


def lab_dot(topology):
    """Filter: a Graphviz graph of the lab (text of a .dot file): one table
    per namespace and bridge, a row per interface, links between rows."""
    picture = Picture(topology)
    out = ['graph %s {' % _dot_quote(picture.title),
           '  graph [rankdir=LR, fontname="Helvetica", label=%s, labelloc=t];'
           % _dot_quote(picture.title),
           '  node [shape=plain, fontname="Helvetica", fontsize=10];',
           '  edge [fontname="Helvetica", fontsize=9];']
    port_ids = dict((box_id, _safe_ids(box.ports, 'p_'))
                    for box_id, box in picture.boxes.items())
    clusters = 0
    for host, items in picture.top_items():
        indent = '  '
        if host is not None:
            out.append('  subgraph cluster_host_%d {' % clusters)
            out.append('    label=%s; style=rounded; color="#6b7280";' % _dot_quote('host ' + host))
            clusters += 1
            indent = '    '
        for kind, item in items:
            if kind == 'box':
                out.append(indent + _dot_box(item, picture.boxes[item], port_ids[item]))
                continue
            out.append(indent + 'subgraph cluster_%d {' % clusters)
            clusters += 1
            out.append(indent + '  label=%s; style=dashed;' % _dot_quote(item))
            for box_id in ([item] if item in picture.boxes else []) + picture.groups[item]:
                out.append(indent + '  ' + _dot_box(box_id, picture.boxes[box_id], port_ids[box_id]))
            out.append(indent + '}')
        if host is not None:
            out.append('  }')
    for edge in picture.edges:
        ends = ['%s:%s' % (_dot_quote(box_id), port_ids[box_id][port])
                for box_id, port in (edge.left, edge.right)]
        attrs = []
        if edge.label:
            attrs.append('label=%s' % _dot_quote(edge.label))
        if edge.style != 'solid':
            attrs.append('style=%s' % edge.style)
        out.append('  %s -- %s%s;' % (ends[0], ends[1],
                                      ' [%s]' % ', '.join(attrs) if attrs else ''))
    out.append('}')
    return '\n'.join(out) + '\n'


class FilterModule(object):
    def filters(self):
        return {
            'lab_mermaid': lab_mermaid,
            'lab_dot': lab_dot,
            'lab_ping_targets': lab_ping_targets,
            'lab_namespaces': lab_namespaces,
            'lab_module_args': lab_module_args,
            'lab_group_name': lab_group_name,
            'lab_netns_of_nodes': lab_netns_of_nodes,
            'lab_ping_guests': lab_ping_guests,
            'lab_inventory_hosts': lab_inventory_hosts,
        }
