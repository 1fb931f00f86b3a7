# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lab as a POSIX shell script that builds it from nothing, without Ansible.

The script is made from the Lab model (model.build of a description, which
for topology_info is the lab read back), so the checks of the topology
module hold for it too. Its commands follow the planner's phases
(plan.PHASES) for a lab that does not exist yet:

  netns     ip netns add; lo up and marked
  create    bridges, veth pairs, devices, masters (teamd started for a
            team), then links stacked on a parent
  change    kind settings kept beside the link (a vxlan's forwarding
            entries, a macvlan's source MACs, a wireguard's keys and peers),
            sysctls: before addresses and `up`, as the planner does (a
            sysctl like disable_ipv6 decides what an address does)
  enslave   ports into their bridge, bond or vrf; bond port settings
  address   addresses (lo's and the links')
  impair    netem root qdiscs
  up        each link marked with the lab's alias and brought up
  route     routes (proto 118, as the engine adds them)

With boot=True (the script a persistent lab runs at boot, persist.py) the
same commands are grouped to start fewer processes, which is most of the
script's time: every namespace is added by one `ip -batch`; after the
links exist, each namespace's settings, ports, addresses, impairments, up
and routes follow one another (nothing there depends on another namespace),
and consecutive `ip` commands of one namespace become one `ip -n NS -batch`.
It ends with a check that every namespace, link and teamd is there, else
it exits 1: systemd shows whether the lab came back whole.

Every link and namespace carries the lab's mark (alias vnet:<lab>), so the
topology module owns what the script built. Every word that comes from the
description goes through shlex.quote, and every name follows its keyword
(`name`, `dev`): ip takes a bare word for the abbreviation of a keyword
when it can (`ip link add d type veth` is refused: "d" is "dynamic"). No secret is written: a wireguard
link's private key is named by its key file, which must be on the host
that runs the script.
"""

from __future__ import annotations

import json
import shlex

from ansible_collections.vnet.linux.plugins.module_utils._engine.link_steps import transit_name
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._kinds import teamd as teamd_files
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    BOND,
    KINDS,
    VXLAN_DEFAULT_PORT,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.wireguard import endpoint_text
from ansible_collections.vnet.linux.plugins.module_utils._lab import plan
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import build
from ansible_collections.vnet.linux.plugins.module_utils._netlink.fast import ROUTE_PROTOCOL
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import sysctl_path

# how long the script waits for teamd to make its device (tenths of a second)
TEAM_WAIT_TENTHS = 100


class ExportError(InputError):
    """The lab cannot be written as asked; the message names the field."""


def lab_from_facts(facts, lab_name):
    """The Lab model of a lab read back (topology_info's nodes, bridges,
    links): what the script builds is what the topology module would."""
    return build({'lab': lab_name, 'state': 'present', 'prune': False,
                  'nodes': facts.get('nodes') or [], 'bridges': facts.get('bridges') or [],
                  'links': facts.get('links') or []})


# --- words of one command ------------------------------------------------------

def command(*words):
    """One line of shell, every word quoted."""
    return ' '.join(shlex.quote(str(word)) for word in words)


def ip_in(netns, *words):
    return ('ip',) + (('-n', netns) if netns else ()) + words


def in_netns(netns, *words):
    """A program other than ip and tc, run in the namespace."""
    return (('ip', 'netns', 'exec', netns) if netns else ()) + words


def _on(value):
    return 'on' if value else 'off'


def _bit(value):
    return '1' if value else '0'


def _flag(word):
    """A flag written as WORD or noWORD."""
    return lambda value: [word if value else 'no' + word]


def _word(word, form=str):
    return lambda value: [word, form(value)]


def _kernel(word, option_kind, option):
    """The value in the kernel's units (bridge timers in centiseconds: ip
    takes them so)."""
    spec_option = KINDS[option_kind].options_by_name[option]
    return lambda value: [word, str(spec_option.to_kernel(value))]


def _qos_map(word):
    return lambda value: [word] + ['%s:%s' % (key, mapped) for key, mapped in sorted(
        value.items())]


def _gre_key(word):
    return lambda value: [] if value == 'none' else [word, str(value)]


def _address_or_any(word):
    return lambda value: [] if value == 'any' else [word, value]


def _ip6_tos(value):
    return ['tclass', 'inherit' if value == 'inherit' else '0x%02x' % value]


def _ip6_flowlabel(value):
    # ip reads an ip6 tunnel's flow label (and traffic class) in hex
    return ['flowlabel', 'inherit' if value == 'inherit' else '0x%x' % value]


def _bridge_words():
    words = {'stp': _word('stp_state', _bit), 'priority': _word('priority'),
             'vlan_filtering': _word('vlan_filtering', _bit),
             'vlan_protocol': _word('vlan_protocol'), 'default_pvid': _word('vlan_default_pvid'),
             'mcast_snooping': _word('mcast_snooping', _bit),
             'mcast_querier': _word('mcast_querier', _bit),
             'group_fwd_mask': _word('group_fwd_mask')}
    for name in ('forward_delay', 'hello_time', 'max_age', 'ageing_time'):
        words[name] = _kernel(name, 'bridge', name)
    return words


def _bond_words():
    words = {'use_carrier': _word('use_carrier', _bit),
             'arp_ip_target': lambda value: ['arp_ip_target', ','.join(value)],
             'all_ports_active': _word('all_slaves_active', _bit),
             'packets_per_port': _word('packets_per_slave'),
             'lacp_active': _word('lacp_active', _on),
             'tlb_dynamic_lb': _word('tlb_dynamic_lb', _bit)}
    for option in BOND.options:
        words.setdefault(option.name, _word(option.name))
    return words


def _tunnel_words(version):
    words = {'local': _address_or_any('local'), 'remote': _address_or_any('remote'),
             'ikey': _gre_key('ikey'), 'okey': _gre_key('okey'), 'key': _gre_key('key'),
             'ttl': _word('ttl')}
    if version == 4:
        words.update(tos=lambda value: ['tos', 'inherit' if value == 'inherit'
                                        else '0x%02x' % value],
                     pmtudisc=_flag('pmtudisc'))
    else:
        words.update(tos=_ip6_tos, flowlabel=_ip6_flowlabel, encaplimit=_word('encaplimit'))
    return words


def _overlay_words():
    return {'vni': _word('id'), 'remote': _word('remote'), 'group': _word('group'),
            'local': _word('local'), 'dstport': _word('dstport'),
            'srcport': lambda value: ['srcport', str(value[0]), str(value[1])],
            'ttl': _word('ttl'), 'tos': _word('tos'), 'df': _word('df'),
            'flowlabel': _word('flowlabel'), 'learning': _flag('learning'),
            'ageing': _word('ageing'), 'proxy': _flag('proxy'), 'l2miss': _flag('l2miss'),
            'l3miss': _flag('l3miss'), 'udpcsum': _flag('udpcsum'),
            'udp6zerocsumtx': _flag('udp6zerocsumtx'),
            'udp6zerocsumrx': _flag('udp6zerocsumrx'), 'external': _flag('external')}


def _vlan_words():
    words = {'id': _word('id'), 'protocol': _word('protocol'),
             'egress_qos_map': _qos_map('egress-qos-map'),
             'ingress_qos_map': _qos_map('ingress-qos-map')}
    for name in ('reorder_hdr', 'gvrp', 'loose_binding', 'mvrp', 'bridge_binding'):
        words[name] = _word(name, _on)
    return words


# option -> words of `ip link add ... type KIND`, per kind; None: the option
# is set by a later command of its own (TABLE_OPTIONS, LATER_OPTIONS)
IP_WORDS = {
    'bridge': _bridge_words(),
    'veth': {}, 'dummy': {}, 'team': {}, 'wireguard': {},
    'macvlan': {'mode': _word('mode'), 'bcqueuelen': _word('bcqueuelen'), 'source_macs': None},
    'macvtap': {'mode': _word('mode'), 'bcqueuelen': _word('bcqueuelen'), 'source_macs': None},
    'ipvlan': {'mode': _word('mode'), 'flags': lambda value: [value]},
    'ipvtap': {'mode': _word('mode'), 'flags': lambda value: [value]},
    'vlan': _vlan_words(),
    'bond': _bond_words(),
    'vrf': {'table': _word('table')},
    'gre': _tunnel_words(4), 'gretap': _tunnel_words(4),
    'ip6gre': _tunnel_words(6), 'ip6gretap': _tunnel_words(6),
    'vxlan': dict(_overlay_words(), fdb=None),
    'geneve': dict((key, value) for key, value in _overlay_words().items()
                   if key not in ('group', 'local', 'srcport', 'learning', 'ageing', 'proxy',
                                  'l2miss', 'l3miss')),
}


def type_words(iface):
    """`type KIND` and the kind options ip takes at creation."""
    table = IP_WORDS[iface.kind]
    words = ['type', iface.spec.netlink_kind]
    options = dict(iface.options)
    if iface.kind in ('ipvlan', 'ipvtap') and 'flags' in options and 'mode' not in options:
        options['mode'] = 'l3'  # ip names the flags after a mode only
    for name in sorted(options, key=lambda key: (key != 'mode', key)):
        spec_option = iface.spec.options_by_name.get(name)
        if spec_option is not None and spec_option.absent is not None and \
                options[name] is not None and \
                spec_option.to_kernel(options[name]) == spec_option.absent:
            continue  # what a new link has anyway (a kernel without the feature refuses it)
        if name not in table:
            raise ExportError('%s: no ip word is known for the %s option %s'
                              % (iface.field_of(name), iface.kind, name))
        if table[name] is not None and options[name] is not None:
            words += table[name](options[name])
    if iface.kind == 'vxlan' and 'dstport' not in options and 'external' not in options:
        words += ['dstport', str(VXLAN_DEFAULT_PORT)]  # ip warns without one
    return words


def link_attrs(iface):
    words = []
    if iface.attrs.get('mtu') is not None:
        words += ['mtu', str(iface.attrs['mtu'])]
    if iface.attrs.get('mac_address') is not None:
        words += ['address', iface.attrs['mac_address']]
    return words


# --- the script ----------------------------------------------------------------

class Line(object):
    """One command: its text; the namespace it works in (None: the root
    one); for an `ip` command that `ip -batch` can take, the words after
    `ip [-n NS]`."""

    def __init__(self, text, where=None, batch=None):
        self.text = text
        self.where = where
        self.batch = batch


def line_of(words, batch=None):
    """The Line of a command's words."""
    where, rest = None, words[1:]
    if words[0] in ('ip', 'tc') and words[1:2] == ('-n',):
        where, rest = words[2], words[3:]
    elif words[:3] == ('ip', 'netns', 'exec'):
        where = words[3]
    if words[0] != 'ip' or rest[:2] == ('netns', 'exec'):
        batch = None
    elif batch is None and not rest[0].startswith('-'):
        batch = rest  # a global option (-4) cannot be given per batch line
    return Line(command(*words), where, batch)


def batched(lines):
    """Consecutive `ip` commands of one namespace as one `ip -batch` (it
    stops at the first command that fails, and so does the script)."""
    out, run = [], []

    def flush():
        if len(run) == 1:
            out.append(run[0].text)
        elif run:
            out.append(command(*ip_in(run[0].where, '-batch', '-')) + " <<'VNET'")
            out.extend(command(*line.batch) for line in run)
            out.append('VNET')
        del run[:]
    for line in lines:
        if line.batch is None or (run and line.where != run[0].where):
            flush()
        if line.batch is None:
            out.append(line.text)
        else:
            run.append(line)
    flush()
    return out


class Script(object):
    """Lines per phase, joined in the planner's order."""

    # the planner's phases; nothing exists yet, so nothing is removed (or
    # stopped); VMs are not the script's (they are the topology module's)
    PHASES = tuple(phase for phase in plan.PHASES if phase not in ('stop', 'remove', 'vm'))
    TITLES = {'netns': 'namespaces (lo up, marked)', 'create': 'links',
              'change': 'link settings kept beside the link, sysctls',
              'enslave': 'ports into their masters', 'address': 'addresses',
              'impair': 'impairments (netem)', 'up': 'links marked and up',
              'route': 'routes'}

    def __init__(self, lab, key_files):
        self.lab = lab
        self.key_files = key_files        # (node, name) -> private key file path
        self.lines = dict((phase, []) for phase in self.PHASES)
        self.variables = 0
        self.check = []                   # the closing check (persist)

    def add(self, phase, *words, **batch):
        self.lines[phase].append(line_of(words, batch.get('batch')))

    def raw(self, phase, line, where=None):
        self.lines[phase].append(Line(line, where))

    def netns(self, node_name):
        return self.lab.nodes[node_name].netns

    def text(self, boot=False):
        out = ['#!/bin/sh',
               '# Builds lab %s from nothing (written by vnet.linux: topology_info, persist).'
               % self.lab.name,
               '# Needs: iproute2 (ip, tc, bridge), sysctl%s; run as root.'
               % self.needs(),
               'set -eu', '']
        for title, lines in (self.boot_sections() if boot else self.phase_sections()):
            if lines:
                out.append('# --- %s' % title)
                out.extend(lines)
                out.append('')
        if self.check:
            out.append('# --- check: the lab came back whole')
            out.extend(self.check)
            out.append('')
        return '\n'.join(out)

    def phase_sections(self):
        return [(self.TITLES[phase], [line.text for line in self.lines[phase]])
                for phase in self.PHASES]

    def boot_sections(self):
        """Fewer processes: the namespaces added first (one `ip -batch`),
        then the links as the phases make them, then each namespace's own
        lines of the later phases, in phase order."""
        netns = self.lines['netns']
        adds = [line for line in netns if line.batch and line.batch[:2] == ('netns', 'add')]
        sections = [(self.TITLES['netns'],
                     batched(adds + [line for line in netns if line not in adds])),
                    (self.TITLES['create'], batched(self.lines['create']))]
        by_netns = {}
        for phase in self.PHASES[self.PHASES.index('create') + 1:]:
            for line in self.lines[phase]:
                by_netns.setdefault(line.where, []).append(line)
        for where, lines in by_netns.items():
            sections.append(('%s: settings, ports, addresses, impairments, up, routes'
                             % ('namespace ' + where if where else 'the root namespace'),
                             batched(lines)))
        return sections

    def needs(self):
        kinds = set(iface.kind for iface in self.lab.ifaces.values())
        extra = [tool for kind, tool in (('team', 'teamd'), ('wireguard', 'wg'))
                 if kind in kinds]
        return ''.join(', ' + tool for tool in extra)


def script(lab, key_files=None, boot=False):
    """The script's text. key_files: (node, name) -> the private key file of
    each wireguard link (the kernel does not know where its key came from).
    boot: the script of a persistent lab (grouped, ending with the check
    that the lab is whole, _check)."""
    out = Script(lab, dict(key_files or {}))
    for node in lab.nodes.values():
        _node(out, node)
    for iface in lab.ifaces.values():
        _create(out, iface)
    for iface in lab.ifaces.values():
        _settings(out, iface)
    for node in lab.nodes.values():
        _sysctls(out, node)
    for iface in lab.ifaces.values():
        _enslave(out, iface)
        _addresses(out, iface)
        _impairment(out, iface)
        out.add('up', *ip_in(out.netns(iface.node), 'link', 'set', 'dev', iface.name, 'alias',
                             lab.mark, 'up'))
    for node in lab.nodes.values():
        _routes(out, node)
    if boot:
        _check(out)
    return out.text(boot)


def _check(out):
    """Lines that count what is missing: each namespace, each link (one
    `ip` per namespace, the names matched in the shell: cheap at boot), each
    team's teamd. A set -e script stops at the first command that fails;
    this finds what went away after its command succeeded (a teamd that
    died, a link deleted with another), and says what."""
    lab = out.lab
    lines = out.check
    lines.append('missing=0')
    lines.append('gone() { echo "missing: $*" >&2; missing=$((missing + 1)); }')
    lines.append('have() { case " $links " in *" $2 "*) ;; *) gone "link $2 in $1";; esac; }')
    # the names in `ip -o link show` ("2: eth0@if3: <..."), read by the shell
    # (no sed or tr to start for each namespace)
    lines.append('names() { while read -r _ name _; do name=${name%:}; '
                 'printf \'%s \' "${name%%@*}"; done; }')
    by_netns = {}
    for iface in lab.ifaces.values():
        by_netns.setdefault(out.netns(iface.node), []).append(iface)
    namespaces = [node.netns for node in lab.nodes.values()
                  if node.netns is not None and not node.external]
    for netns in namespaces:
        lines.append('[ -e %s ] || gone %s' % (shlex.quote('/run/netns/' + netns),
                                               shlex.quote('namespace ' + netns)))
    for netns, ifaces in by_netns.items():
        where = netns if netns else 'the root namespace'
        lines.append('links=$(%s 2>/dev/null | names)' % command(
            *ip_in(netns, '-o', 'link', 'show')))
        for iface in ifaces:
            lines.append(command('have', where, iface.name))
            if iface.teamd_config is not None:
                pidfile = '%s/%s.pid' % (teamd_files.runtime_dir(netns), iface.name)
                lines.append('kill -0 "$(cat %s 2>/dev/null)" 2>/dev/null || gone %s' % (
                    shlex.quote(pidfile), shlex.quote('teamd of %s in %s' % (iface.name, where))))
    summary = '%d namespaces, %d links' % (len(namespaces), len(lab.ifaces))
    # a lab's name is letters, digits, "_", "." and "-": safe in double quotes
    lines.append('if [ "$missing" -ne 0 ]; then echo "lab %s did not come back whole: '
                 '$missing missing of %s" >&2; exit 1; fi' % (lab.name, summary))
    lines.append(command('echo', 'lab %s is back: %s' % (lab.name, summary)))


def _node(out, node):
    if node.netns is None:
        return
    if node.external:
        # used, never created: it must be there already
        out.raw('netns', '[ -e %s ] || { echo %s >&2; exit 1; }' % (
            shlex.quote('/run/netns/' + node.netns),
            shlex.quote('namespace %s is used by the lab but not created by it: make it '
                        'first' % node.netns)))
        return
    out.add('netns', 'ip', 'netns', 'add', node.netns)
    out.add('netns', *ip_in(node.netns, 'link', 'set', 'dev', 'lo', 'alias', out.lab.mark,
                            'up'))
    for cidr in node.loopback:
        out.add('address', *ip_in(node.netns, 'address', 'add', cidr, 'dev', 'lo'))


def _netns_word(netns):
    """How `ip link add ... netns X` names a namespace; the root one is the
    namespace of process 1."""
    return netns if netns else '1'


def _create(out, iface):
    netns = out.netns(iface.node)
    if iface.peer is not None:
        if iface.primary:
            peer = iface.peer
            out.add('create', *ip_in(netns, 'link', 'add', 'name', iface.name,
                                     *link_attrs(iface)) +
                    ('type', 'veth', 'peer', 'name', peer.name) + tuple(link_attrs(peer)) +
                    (('netns', _netns_word(out.netns(peer.node)))
                     if out.netns(peer.node) != netns else ()))
        return
    if iface.teamd_config is not None:
        _start_teamd(out, iface, netns)
        return
    where = out.netns(iface.parent[0]) if iface.parent is not None else netns
    # moved after the create (as the engine does: link_steps.send_create)
    # under a transit name, which the underlay's own links cannot have
    moved = where != netns and iface.spec.placed_by_move
    name = transit_name(iface.name) if moved else iface.name
    words = ['link', 'add', 'name', name] + link_attrs(iface)
    if iface.parent is not None and iface.parent[1] is not None:
        words += ['link', iface.parent[1]]
    if where != netns and not moved:
        words += ['netns', _netns_word(netns)]
    out.add('create', *ip_in(where, *(words + type_words(iface))))
    if moved:
        out.add('create', *ip_in(where, 'link', 'set', 'dev', name, 'netns',
                                 _netns_word(netns), 'name', iface.name))


def _start_teamd(out, iface, netns):
    """teamd as the teamd module runs it (_kinds/teamd.Daemon): its
    configuration in the collection's runtime directory, and in a named
    namespace that directory bound over /run/teamd in the daemon's own
    mount namespace (`ip netns exec` makes one), so that the modules find
    and own it."""
    directory = teamd_files.runtime_dir(netns)
    conf = '%s/%s.conf' % (directory, iface.name)
    pidfile = '%s/%s.pid' % (directory, iface.name)
    out.add('create', 'mkdir', '-p', directory)
    out.raw('create', '%s > %s' % (command('printf', '%s\\n', json.dumps(
        iface.teamd_config, sort_keys=True)), shlex.quote(conf)))
    if netns is None:
        out.add('create', 'teamd', '-d', '-f', conf, '-t', iface.name, '-p', pidfile)
    else:
        out.raw('create', 'run_teamd=$(readlink -f %s)' % teamd_files.TEAMD_RUN_DIR)
        out.raw('create', 'if [ ! -d "$run_teamd" ]; then mkdir -p %s; printf %s "$run_teamd" '
                '> %s; mkdir -p "$run_teamd"; fi'
                % (shlex.quote(teamd_files.RUNTIME_ROOT), shlex.quote('%s\\n'),
                   shlex.quote(teamd_files.MADE_RUN_DIR_MARK)))
        out.raw('create', command('ip', 'netns', 'exec', netns, 'sh', '-c',
                                  'mount --bind "$1" "$2" && exec teamd -d -f "$3" -t "$4" '
                                  '-p "$5"', 'sh', directory) +
                ' "$run_teamd" ' + command(conf, iface.name, pidfile))
    out.raw('create', 'n=0; until %s >/dev/null 2>&1; do n=$((n + 1)); '
            '[ "$n" -lt %d ] || { echo %s >&2; exit 1; }; sleep 0.1; done'
            % (command(*ip_in(netns, 'link', 'show', 'dev', iface.name)), TEAM_WAIT_TENTHS,
               shlex.quote('teamd made no device %s' % iface.name)))


def _settings(out, iface):
    netns = out.netns(iface.node)
    for entry in iface.options.get('fdb') or ():
        words = ['bridge', 'fdb', 'append', entry['mac'], 'dev', iface.name, 'dst', entry['dst']]
        if entry.get('port') is not None:
            words += ['port', str(entry['port'])]
        if entry.get('vni') is not None:
            words += ['vni', str(entry['vni'])]
        out.add('change', *in_netns(netns, *(words + ['self', 'permanent'])))
    if iface.options.get('source_macs'):
        out.add('change', *ip_in(netns, 'link', 'set', 'dev', iface.name, 'type', iface.kind,
                                 'macaddr', 'set', *iface.options['source_macs']))
    if iface.wireguard is not None:
        _wireguard(out, iface, netns)


def _key_file(out, iface, field):
    path = out.key_files.get(iface.key)
    if path is None and iface.wireguard.key_file:
        path = iface.wireguard.key_file
    if path is None:
        raise ExportError('%s: give the private key file of wireguard %s in node %s on the '
                          'host that runs the script (the script never holds a key)'
                          % (field, iface.name, iface.node))
    return path


def _wireguard(out, iface, netns):
    settings = iface.wireguard
    words = ['wg', 'set', iface.name, 'private-key',
             _key_file(out, iface, 'export.private_key_files')]
    if settings.listen_port:
        words += ['listen-port', str(settings.listen_port)]
    if settings.fwmark:
        words += ['fwmark', str(settings.fwmark)]
    line = command(*in_netns(netns, *words))
    for peer in settings.peers or ():
        if peer.key is not None:
            key = shlex.quote(peer.key)
        else:
            # a peer of the lab: its public key from its key file, as the
            # planner takes it (the key itself is no secret, the file is)
            out.variables += 1
            variable = 'wg_peer_%d' % out.variables
            other = out.lab.ifaces[peer.ref]
            out.raw('change', '%s=$(wg pubkey < %s)' % (variable, shlex.quote(
                _key_file(out, other, 'export.private_key_files'))), netns)
            key = '"$%s"' % variable
        line += ' peer ' + key
        if peer.allowed is not None:
            line += ' allowed-ips ' + shlex.quote(','.join(peer.allowed))
        if peer.endpoint is not None:
            line += ' endpoint ' + shlex.quote(endpoint_text(*peer.endpoint))
        if peer.keepalive is not None:
            line += ' persistent-keepalive %d' % peer.keepalive
        if peer.psk and peer.psk[0] == 'file':
            line += ' preshared-key ' + shlex.quote(peer.psk[1])
    out.raw('change', line, netns)


def _sysctls(out, node):
    for key, (path, value) in sorted(node.sysctls.items()):
        # the slash form: an interface name may hold dots (eth0.10)
        name = sysctl_path(key)[len('/proc/sys/'):]
        out.add('change', *in_netns(node.netns, 'sysctl', '-q', '-w', '%s=%s' % (name, value)))


def _enslave(out, iface):
    netns = out.netns(iface.node)
    master = out.lab.ifaces.get((iface.node, iface.master)) if iface.master else None
    if master is None or master.kind == 'team':
        return  # teamd takes its ports itself
    out.add('enslave', *ip_in(netns, 'link', 'set', 'dev', iface.name, 'master',
                              iface.master))
    if iface.port_options and master.kind == 'bond':
        words = ['link', 'set', 'dev', iface.name, 'type', 'bond_slave']
        for name, value in sorted(iface.port_options.items()):
            words += [name, str(value)]
        out.add('enslave', *ip_in(netns, *words))


def _addresses(out, iface):
    for cidr in iface.addresses:
        out.add('address', *ip_in(out.netns(iface.node), 'address', 'add', cidr, 'dev',
                                  iface.name))


def _impairment(out, iface):
    if not iface.impairment:
        return
    netem = iface.impairment
    words = ['tc'] + (['-n', out.netns(iface.node)] if out.netns(iface.node) else []) + \
        ['qdisc', 'replace', 'dev', iface.name, 'root', 'handle', '1:', 'netem']
    if netem.get('delay') is not None:
        words += ['delay', '%dus' % netem['delay']]
        if netem.get('jitter') is not None:
            words += ['%dus' % netem['jitter']]
    if netem.get('loss') is not None:
        words += ['loss', '%s%%' % ('%.3f' % netem['loss']).rstrip('0').rstrip('.')]
    if netem.get('rate') is not None:
        words += ['rate', '%dbit' % netem['rate']]
    out.add('impair', *words)


def _routes(out, node):
    for route in node.routes:
        family = '-6' if route.family == 10 else '-4'
        words = ['route', 'add', 'default' if route.dst.startswith('default') else route.dst]
        if route.via:
            words += ['via', route.via]
        if route.dev:
            words += ['dev', route.dev]
        if route.metric:
            words += ['metric', str(route.metric)]
        if route.table:
            words += ['table', str(route.table)]
        words += ['proto', str(ROUTE_PROTOCOL)]
        # in a batch (no global options) ip takes the family from the
        # destination or the gateway; only a default route through a device
        # alone needs -4/-6
        inferred = not route.dst.startswith('default') or route.via
        out.add('route', *ip_in(node.netns, family, *words),
                batch=tuple(words) if inferred else None)


__all__ = ['script', 'lab_from_facts', 'ExportError', 'IP_WORDS']
