# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The root-namespace part of a lab as systemd-networkd files.

networkd has no network namespaces: only the links of the lab's root node
(`root: true`) are written, each as a .netdev (the device and its kind
settings), a .network (its master, the links stacked on it, addresses,
routes through it, a netem impairment, forwarding entries) and a .link
(the lab's mark as the link's alias, set by udev when the device appears,
so that the topology module owns what networkd built).

What networkd cannot express is listed, never dropped without a word: the
caller reports it (`not_exported`). Files are named
50-vnet-<lab>-<link>.<suffix>, so that a lab's files are known as its own.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.vnet.linux.plugins.module_utils._lab.export import ExportError

FILE_PREFIX = '50-vnet-'
SUFFIXES = ('.netdev', '.network', '.link')
KINDS = ('bridge', 'bond', 'vlan', 'dummy', 'vrf', 'macvlan', 'vxlan', 'veth')


def prefix(lab_name):
    return '%s%s-' % (FILE_PREFIX, lab_name)


def _yes(value):
    return 'yes' if value else 'no'


def _seconds(value):
    return ('%.2f' % float(value)).rstrip('0').rstrip('.')


def _ms(value):
    return '%dms' % value


def _same(value):
    return str(value)


def _lower(value):
    return str(value).lower()


def _qos(value):
    return ' '.join('%s-%s' % (key, mapped) for key, mapped in sorted(value.items()))


# kind -> (section, {option: (key, format)}); an option not listed is not
# exported (networkd has no key for it)
SECTIONS = {
    'bridge': ('Bridge', {
        'stp': ('STP', _yes), 'priority': ('Priority', _same),
        'forward_delay': ('ForwardDelaySec', _seconds), 'hello_time': ('HelloTimeSec', _seconds),
        'max_age': ('MaxAgeSec', _seconds), 'ageing_time': ('AgeingTimeSec', _seconds),
        'vlan_filtering': ('VLANFiltering', _yes), 'vlan_protocol': ('VLANProtocol', _lower),
        'default_pvid': ('DefaultPVID', _same), 'mcast_snooping': ('MulticastSnooping', _yes),
        'mcast_querier': ('MulticastQuerier', _yes),
        'group_fwd_mask': ('GroupForwardMask', _same)}),
    'bond': ('Bond', {
        'mode': ('Mode', _same), 'miimon': ('MIIMonitorSec', _ms),
        'updelay': ('UpDelaySec', _ms), 'downdelay': ('DownDelaySec', _ms),
        'peer_notify_delay': ('PeerNotifyDelaySec', _ms),
        'arp_interval': ('ARPIntervalSec', _ms),
        'arp_ip_target': ('ARPIPTargets', ' '.join),
        'arp_validate': ('ARPValidate', _same), 'arp_all_targets': ('ARPAllTargets', _same),
        'arp_missed_max': ('ARPMissedMax', _same),
        'primary_reselect': ('PrimaryReselectPolicy', _same),
        'fail_over_mac': ('FailOverMACPolicy', _same),
        'xmit_hash_policy': ('TransmitHashPolicy', _same),
        'resend_igmp': ('ResendIGMP', _same), 'num_grat_arp': ('GratuitousARP', _same),
        'num_unsol_na': ('GratuitousARP', _same),
        'all_ports_active': ('AllSlavesActive', _yes), 'min_links': ('MinLinks', _same),
        'lp_interval': ('LearnPacketIntervalSec', _same),
        'packets_per_port': ('PacketsPerSlave', _same),
        'lacp_rate': ('LACPTransmitRate', _same), 'ad_select': ('AdSelect', _same),
        'ad_actor_sys_prio': ('AdActorSystemPriority', _same),
        'ad_actor_system': ('AdActorSystem', _same),
        'ad_user_port_key': ('AdUserPortKey', _same),
        'tlb_dynamic_lb': ('DynamicTransmitLoadBalancing', _yes)}),
    'vlan': ('VLAN', {
        'id': ('Id', _same), 'protocol': ('Protocol', _lower), 'gvrp': ('GVRP', _yes),
        'mvrp': ('MVRP', _yes), 'loose_binding': ('LooseBinding', _yes),
        'reorder_hdr': ('ReorderHeader', _yes), 'egress_qos_map': ('EgressQOSMaps', _qos),
        'ingress_qos_map': ('IngressQOSMaps', _qos)}),
    'vrf': ('VRF', {'table': ('Table', _same)}),
    'macvlan': ('MACVLAN', {
        'mode': ('Mode', _same), 'source_macs': ('SourceMACAddress', ' '.join),
        'bcqueuelen': ('BroadcastMulticastQueueLength', _same)}),
    'vxlan': ('VXLAN', {
        'vni': ('VNI', _same), 'remote': ('Remote', _same), 'group': ('Group', _same),
        'local': ('Local', _same), 'dstport': ('DestinationPort', _same),
        'srcport': ('PortRange', lambda value: '%d-%d' % tuple(value)),
        'ttl': ('TTL', _same), 'tos': ('TOS', _same), 'flowlabel': ('FlowLabel', _same),
        'df': ('IPDoNotFragment', lambda value: {'set': 'yes', 'unset': 'no'}.get(value, value)),
        'learning': ('MacLearning', _yes), 'ageing': ('FDBAgeingSec', _same),
        'proxy': ('ReduceARPProxy', _yes), 'l2miss': ('L2MissNotification', _yes),
        'l3miss': ('L3MissNotification', _yes), 'udpcsum': ('UDPChecksum', _yes),
        'udp6zerocsumtx': ('UDP6ZeroChecksumTx', _yes),
        'udp6zerocsumrx': ('UDP6ZeroChecksumRx', _yes), 'external': ('External', _yes)}),
    'dummy': (None, {}),
    'veth': (None, {}),
}
# kinds whose parent's .network names them (VLAN=eth0.10)
STACKED_KEYS = {'vlan': 'VLAN', 'macvlan': 'MACVLAN', 'vxlan': 'VXLAN'}
MASTER_KEYS = {'bridge': 'Bridge', 'bond': 'Bond', 'vrf': 'VRF'}


class Unit(object):
    """One file: sections in order, each a list of (key, value)."""

    def __init__(self, lab):
        self.sections = []
        self.lab = lab

    def section(self, name):
        entries = []
        self.sections.append((name, entries))
        return entries

    def text(self):
        out = ['# Written by vnet.linux.topology_info for lab %s; it is replaced on the next '
               'export.' % self.lab.name]
        for name, entries in self.sections:
            out += ['', '[%s]' % name] + ['%s=%s' % item for item in entries]
        return '\n'.join(out) + '\n'


def files(lab):
    """({file name: content}, [what is not exported, each a sentence])."""
    result, missing = {}, []
    root = [node for node in lab.nodes.values() if node.netns is None]
    in_namespaces = [i for i in lab.ifaces.values() if lab.nodes[i.node].netns is not None]
    if in_namespaces:
        missing.append('%d links in network namespaces (networkd has no namespaces)'
                       % len(in_namespaces))
    if not root:
        return result, missing
    node = root[0]
    ifaces = [i for i in lab.ifaces.values() if i.node == node.name]
    exported = {}
    for iface in ifaces:
        reason = _unexportable(lab, iface)
        if reason:
            missing.append('%s: %s' % (iface.label(), reason))
            continue
        exported[iface.name] = iface
    for iface in exported.values():
        name = prefix(lab.name) + iface.name
        if not (iface.kind == 'veth' and not iface.primary):
            result[name + '.netdev'] = _netdev(lab, iface, missing)
        result[name + '.network'] = _network(lab, node, iface, exported, missing)
        result[name + '.link'] = _link(lab, iface)
    for route in node.routes:
        if _route_link(route, exported) is None:
            missing.append('route %s in node %s: no exported link reaches it'
                           % (route.describe()['dst'], node.name))
    if node.sysctls:
        missing.append('sysctls of node %s (use sysctl.d)' % node.name)
    return result, missing


def _unexportable(lab, iface):
    if iface.kind not in KINDS:
        return 'networkd export covers %s links only' % ', '.join(KINDS)
    if iface.peer is not None and lab.nodes[iface.peer.node].netns is not None:
        return 'its peer is in a namespace'
    if iface.parent is not None and iface.parent[1] is None:
        return 'an underlay namespace without a device'
    if iface.parent is not None and lab.nodes[iface.parent[0]].netns is not None:
        return 'its parent is in a namespace'
    return None


def _netdev(lab, iface, missing):
    unit = Unit(lab)
    netdev = unit.section('NetDev')
    netdev += [('Name', iface.name), ('Kind', iface.kind)]
    if iface.attrs.get('mtu'):
        netdev.append(('MTUBytes', iface.attrs['mtu']))
    if iface.attrs.get('mac_address'):
        netdev.append(('MACAddress', iface.attrs['mac_address']))
    section, keys = SECTIONS[iface.kind]
    entries = []
    for option, value in sorted(iface.options.items()):
        if value is None or option == 'fdb':
            continue
        if option not in keys:
            missing.append('%s: option %s (networkd has no key for it)' % (iface.label(), option))
            continue
        key, form = keys[option]
        if (key, form(value)) not in entries:
            entries.append((key, form(value)))
    if entries:
        unit.section(section).extend(entries)
    if iface.kind == 'veth':
        peer = unit.section('Peer')
        peer.append(('Name', iface.peer.name))
        if iface.peer.attrs.get('mtu'):
            peer.append(('MTUBytes', iface.peer.attrs['mtu']))
        if iface.peer.attrs.get('mac_address'):
            peer.append(('MACAddress', iface.peer.attrs['mac_address']))
    return unit.text()


def _network(lab, node, iface, exported, missing):
    unit = Unit(lab)
    unit.section('Match').append(('Name', iface.name))
    unit.section('Link').append(('RequiredForOnline', 'no'))
    network = unit.section('Network')
    network += [('ConfigureWithoutCarrier', 'yes')]
    if iface.master:
        master = lab.ifaces[(iface.node, iface.master)]
        if master.kind in MASTER_KEYS:
            network.append((MASTER_KEYS[master.kind], master.name))
        else:
            missing.append('%s: its master %s (a %s)' % (iface.label(), master.name, master.kind))
    for other in exported.values():
        if other.parent == (iface.node, iface.name) and other.kind in STACKED_KEYS:
            network.append((STACKED_KEYS[other.kind], other.name))
    network += [('Address', cidr) for cidr in iface.addresses]
    if iface.port_options:
        missing.append('%s: bond port settings %s'
                       % (iface.label(), ', '.join(sorted(iface.port_options))))
    for route in node.routes:
        if _route_link(route, exported) is iface:
            entries = unit.section('Route')
            entries.append(('Destination', route.describe()['dst']
                            if not route.dst.startswith('default') else
                            ('::/0' if route.family == 10 else '0.0.0.0/0')))
            if route.via:
                entries.append(('Gateway', route.via))
            if route.metric:
                entries.append(('Metric', route.metric))
            if route.table:
                entries.append(('Table', route.table))
    for entry in iface.options.get('fdb') or ():
        fdb = unit.section('BridgeFDB')
        fdb += [('MACAddress', entry['mac']), ('Destination', entry['dst'])]
        if entry.get('vni') is not None:
            fdb.append(('VNI', entry['vni']))
        if entry.get('port') is not None:
            missing.append('%s: the port of forwarding entry %s' % (iface.label(), entry['mac']))
    if iface.impairment:
        _netem(unit.section('NetworkEmulator'), iface, missing)
    exported_keys = [(other.node, other.name) for other in exported.values()]
    if iface.parent is not None and iface.parent not in exported_keys:
        # the host's own NIC: its .network is the host's, not the lab's
        missing.append('add %s=%s to the [Network] section of the .network file that '
                       'configures %s' % (STACKED_KEYS[iface.kind], iface.name, iface.parent[1]))
    return unit.text()


def _netem(entries, iface, missing):
    netem = iface.impairment
    entries.append(('Parent', 'root'))
    if netem.get('delay') is not None:
        entries.append(('DelaySec', '%dus' % netem['delay']))
    if netem.get('jitter') is not None:
        entries.append(('DelayJitterSec', '%dus' % netem['jitter']))
    if netem.get('loss') is not None:
        entries.append(('LossRate', '%s%%' % ('%.3f' % netem['loss']).rstrip('0').rstrip('.')))
    if netem.get('rate') is not None:
        missing.append('%s: the impairment rate (networkd\'s netem has none)' % iface.label())


def _route_link(route, exported):
    """The exported link a route goes through: its dev, else the link whose
    addresses hold its gateway."""
    if route.dev:
        return exported.get(route.dev)
    if not route.via:
        return None
    gateway = ipaddress.ip_address(route.via)
    for iface in exported.values():
        for cidr in iface.addresses:
            if gateway in ipaddress.ip_interface(cidr).network:
                return iface
    return None


def _link(lab, iface):
    unit = Unit(lab)
    unit.section('Match').extend([('OriginalName', iface.name), ('Kind', iface.kind)])
    unit.section('Link').append(('Alias', lab.mark))
    return unit.text()


def check(lab):
    """The networkd export needs a root node."""
    if not any(node.netns is None for node in lab.nodes.values()):
        raise ExportError('export.networkd_dir: lab %s has no root node (root: true) with '
                          'links: networkd has no namespaces, so there is nothing to write'
                          % lab.name)


__all__ = ['files', 'check', 'prefix', 'SUFFIXES']
