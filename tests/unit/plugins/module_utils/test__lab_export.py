"""The lab as a build script and as systemd-networkd files (topology_info's
export): the commands, their order, their quoting, and the files written."""

import configparser
import os
import shlex
import stat
import subprocess

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine.link_steps import transit_name
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import KINDS
from ansible_collections.vnet.linux.plugins.module_utils._lab import export, networkd, publish
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import build

ODD = "r2'x$(touch${IFS}pwned);\"`id`"
WG_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg='


def lab(**description):
    base = {'lab': 'demo', 'state': 'present', 'prune': False, 'nodes': [], 'bridges': [],
            'links': []}
    base.update(description)
    return build(base)


def demo_lab():
    return lab(
        nodes=[{'name': 'r1', 'sysctls': {'net.ipv4.ip_forward': '1'},
                'loopback': ['10.255.0.1/32'],
                'routes': [{'dst': '10.9.0.0/16', 'via': '10.1.0.1'},
                           {'dst': 'fd00:9::/64', 'via': 'fd00:1::1', 'metric': 5}]},
               {'name': ODD}, {'name': 'host', 'root': True}],
        bridges=[{'name': 'br0', 'node': 'r1', 'stp': False, 'forward_delay': 4}],
        links=[
            {'kind': 'macvlan', 'node': ODD, 'name': 'mv0', 'parent': 'eth0', 'mode': 'bridge'},
            {'endpoints': [{'node': 'r1', 'name': 'eth0', 'mac_address': '02:00:00:00:00:01',
                            'addresses': ['10.1.0.0/31', 'fd00:1::2/64'],
                            'impairment': {'delay': '10ms', 'jitter': '1ms', 'loss': '0.5%'}},
                           {'node': ODD, 'name': 'eth0', 'mtu': 1400}]},
            {'endpoints': [{'bridge': 'br0', 'name': 'p1'}, {'node': 'host', 'name': 'vh1'}]},
            {'kind': 'vxlan', 'node': 'r1', 'name': 'vx0',
             'options': {'vni': 42, 'local': '10.1.0.0', 'dstport': 4789,
                         'fdb': [{'mac': '00:00:00:00:00:00', 'dst': '10.1.0.1'}]}},
        ])


def commands(text):
    """Each command line of a script as the words sh gives the program."""
    return [shlex.split(line) for line in text.splitlines()
            if line and not line.startswith('#') and line != 'set -eu']


def position(lines, *words):
    for pos, line in enumerate(lines):
        if line[:len(words)] == list(words):
            return pos
    raise AssertionError('no command %s in %s' % (words, lines))


def test_the_script_builds_in_the_planners_order():
    lines = commands(export.script(demo_lab()))
    netns = position(lines, 'ip', 'netns', 'add', 'r1')
    bridge = position(lines, 'ip', '-n', 'r1', 'link', 'add', 'name', 'br0')
    veth = position(lines, 'ip', '-n', 'r1', 'link', 'add', 'name', 'eth0')
    stacked = position(lines, 'ip', '-n', ODD, 'link', 'add', 'name', 'mv0')
    fdb = position(lines, 'ip', 'netns', 'exec', 'r1', 'bridge', 'fdb', 'append')
    sysctl = position(lines, 'ip', 'netns', 'exec', 'r1', 'sysctl')
    master = position(lines, 'ip', '-n', 'r1', 'link', 'set', 'dev', 'p1', 'master', 'br0')
    address = position(lines, 'ip', '-n', 'r1', 'address', 'add', '10.1.0.0/31')
    netem = position(lines, 'tc', '-n', 'r1', 'qdisc', 'replace', 'dev', 'eth0')
    up = position(lines, 'ip', '-n', ODD, 'link', 'set', 'dev', 'mv0', 'alias', 'vnet:demo', 'up')
    route = position(lines, 'ip', '-n', 'r1', '-4', 'route', 'add')
    assert netns < bridge < veth < stacked < fdb < sysctl < master < address < netem < up < route


def test_each_command_is_as_the_engine_makes_it():
    lines = commands(export.script(demo_lab()))
    assert ['ip', 'netns', 'add', ODD] in lines
    assert ['ip', '-n', ODD, 'link', 'set', 'dev', 'lo', 'alias', 'vnet:demo', 'up'] in lines
    assert ['ip', '-n', 'r1', 'link', 'add', 'name', 'br0', 'type', 'bridge', 'forward_delay', '400',
            'stp_state', '0'] in lines
    assert ['ip', '-n', 'r1', 'link', 'add', 'name', 'eth0', 'address', '02:00:00:00:00:01', 'type',
            'veth', 'peer', 'name', 'eth0', 'mtu', '1400', 'netns', ODD] in lines
    # a veth end in the root namespace: the namespace of process 1
    assert ['ip', '-n', 'r1', 'link', 'add', 'name', 'p1', 'type', 'veth', 'peer', 'name', 'vh1',
            'netns', '1'] in lines
    assert ['ip', 'link', 'set', 'dev', 'vh1', 'alias', 'vnet:demo', 'up'] in lines
    assert ['ip', '-n', 'r1', 'link', 'add', 'name', 'vx0', 'type', 'vxlan', 'dstport', '4789',
            'local', '10.1.0.0', 'id', '42'] in lines
    assert ['ip', 'netns', 'exec', 'r1', 'bridge', 'fdb', 'append', '00:00:00:00:00:00',
            'dev', 'vx0', 'dst', '10.1.0.1', 'self', 'permanent'] in lines
    assert ['ip', 'netns', 'exec', 'r1', 'sysctl', '-q', '-w', 'net/ipv4/ip_forward=1'] in lines
    assert ['ip', '-n', 'r1', 'address', 'add', '10.255.0.1/32', 'dev', 'lo'] in lines
    assert ['tc', '-n', 'r1', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'handle', '1:',
            'netem', 'delay', '10000us', '1000us', 'loss', '0.5%'] in lines
    assert ['ip', '-n', 'r1', '-6', 'route', 'add', 'fd00:9::/64', 'via', 'fd00:1::1',
            'metric', '5', 'proto', '118'] in lines


def fake_tools(tmp_path):
    """ip, tc and the rest as programs that log their arguments, one per line."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    log = tmp_path / 'log'
    for tool in ('ip', 'tc', 'bridge', 'sysctl', 'teamd', 'wg', 'mount'):
        path = bin_dir / tool
        path.write_text('#!/bin/sh\nprintf "%%s\\0" %s "$@" >> %s\nprintf "\\n" >> %s\n'
                        % (tool, shlex.quote(str(log)), shlex.quote(str(log))))
        path.chmod(0o755)
    return bin_dir, log


def run_script(tmp_path, text):
    bin_dir, log = fake_tools(tmp_path)
    script = tmp_path / 'lab.sh'
    script.write_text(text)
    env = dict(os.environ, PATH='%s:%s' % (bin_dir, os.environ['PATH']))
    subprocess.run(['sh', str(script)], check=True, env=env, cwd=str(tmp_path))
    return [line.split('\0')[:-1] for line in log.read_text().splitlines()]


def test_odd_names_reach_the_programs_as_they_are(tmp_path):
    text = export.script(demo_lab())
    ran = run_script(tmp_path, text)
    assert ran == commands(text)
    assert ['ip', '-n', ODD, 'link', 'add', 'name', 'mv0', 'link', 'eth0', 'type', 'macvlan', 'mode',
            'bridge'] in ran
    assert not (tmp_path / 'pwned').exists()


def test_a_script_starts_with_set_eu_and_names_its_lab():
    text = export.script(demo_lab())
    assert text.splitlines()[0] == '#!/bin/sh'
    assert 'set -eu' in text.splitlines()
    assert 'lab demo' in text


def test_every_option_of_every_lab_kind_has_an_ip_word():
    for kind, spec in KINDS.items():
        if spec.layout is None:
            continue
        missing = [option.name for option in spec.options if option.name not in export.IP_WORDS[kind]]
        assert missing == [], kind


def test_an_external_node_is_checked_not_made():
    text = export.script(lab(nodes=[{'name': 'ext', 'external': True}, {'name': 'r1'}],
                             links=[{'endpoints': [{'node': 'ext', 'name': 'a'},
                                                   {'node': 'r1', 'name': 'b'}]}]))
    assert "[ -e /run/netns/ext ] || {" in text
    assert 'ip netns add ext' not in text


def wireguard_lab(**first):
    return lab(nodes=[{'name': 'w1'}, {'name': 'w2'}], links=[
        {'kind': 'wireguard', 'node': 'w1', 'name': 'wg0',
         'options': dict({'listen_port': 51820, 'peers': [
             {'peer': {'node': 'w2', 'name': 'wg0'}, 'allowed_ips': ['10.9.0.2/32']}]},
             **first)},
        {'kind': 'wireguard', 'node': 'w2', 'name': 'wg0',
         'options': {'private_key_file': '/etc/wg/w2.key', 'peers': [
             {'public_key': WG_KEY, 'endpoint': '192.0.2.1:51820', 'allowed_ips': []}]}}])


def test_a_wireguard_key_is_read_from_its_file_never_written():
    text = export.script(wireguard_lab(), {('w1', 'wg0'): "/etc/wg/w 1.key"})
    lines = commands(text)
    assert ['ip', '-n', 'w1', 'link', 'add', 'name', 'wg0', 'type', 'wireguard'] in lines
    assert "wg_peer_1=$(wg pubkey < /etc/wg/w2.key)" in text
    assert 'ip netns exec w1 wg set wg0 private-key \'/etc/wg/w 1.key\' listen-port 51820 ' \
        'peer "$wg_peer_1" allowed-ips 10.9.0.2/32' in text
    assert ['ip', 'netns', 'exec', 'w2', 'wg', 'set', 'wg0', 'private-key', '/etc/wg/w2.key',
            'peer', WG_KEY, 'allowed-ips', '', 'endpoint', '192.0.2.1:51820'] in lines
    assert 'PRIVATE' not in text.upper().replace('PRIVATE-KEY', '')


def test_a_wireguard_link_without_a_key_file_is_refused():
    with pytest.raises(export.ExportError) as caught:
        export.script(wireguard_lab())
    assert str(caught.value).startswith('export.private_key_files: give the private key file '
                                        'of wireguard wg0 in node w1')


def test_a_team_is_run_by_teamd_as_the_module_runs_it(tmp_path):
    text = export.script(lab(nodes=[{'name': 't1'}], links=[
        {'kind': 'dummy', 'node': 't1', 'name': 'd0'},
        {'kind': 'team', 'node': 't1', 'name': 'team0', 'runner': 'activebackup',
         'ports': ['d0'], 'addresses': ['10.0.0.1/24']}]))
    lines = commands(text)
    conf = '/run/vnet-linux/teamd/netns/t1/team0.conf'
    assert ['mkdir', '-p', '/run/vnet-linux/teamd/netns/t1'] in lines
    assert any(line[:1] == ['printf'] and line[-2:] == ['>', conf] for line in lines)
    assert 'mount --bind "$1" "$2" && exec teamd -d -f "$3" -t "$4" -p "$5"' in text
    assert not any('master' in line and 'd0' in line for line in lines)  # teamd enslaves it
    assert position(lines, 'ip', '-n', 't1', 'link', 'add', 'name', 'd0') < \
        position(lines, 'ip', 'netns', 'exec', 't1', 'sh', '-c')


def test_bond_ports_and_their_settings():
    lines = commands(export.script(lab(nodes=[{'name': 'b1'}], links=[
        {'kind': 'dummy', 'node': 'b1', 'name': 'd0'},
        {'kind': 'bond', 'node': 'b1', 'name': 'bond0', 'mode': 'active-backup',
         'options': {'miimon': 100}, 'ports': [{'name': 'd0', 'prio': 5}]}])))
    assert ['ip', '-n', 'b1', 'link', 'add', 'name', 'bond0', 'type', 'bond', 'mode', 'active-backup',
            'miimon', '100'] in lines
    assert ['ip', '-n', 'b1', 'link', 'set', 'dev', 'd0', 'master', 'bond0'] in lines
    assert ['ip', '-n', 'b1', 'link', 'set', 'dev', 'd0', 'type', 'bond_slave', 'prio', '5'] in lines


# --- networkd ------------------------------------------------------------------

def parse(text):
    """An INI of networkd: sections may repeat ([Route]), keys too (Address=)."""
    sections = []
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        if line.startswith('['):
            sections.append((line.strip('[]'), []))
            continue
        key, value = line.split('=', 1)
        sections[-1][1].append((key, value))
    return sections


def section(text, name):
    found = [dict(entries) for title, entries in parse(text) if title == name]
    assert len(found) == 1, (name, text)
    return found[0]


def root_lab():
    return lab(
        nodes=[{'name': 'host', 'root': True,
                'routes': [{'dst': '10.20.0.0/16', 'via': '10.10.0.254'}]},
               {'name': 'ns1'}],
        bridges=[{'name': 'vbr0', 'node': 'host', 'stp': True, 'forward_delay': 4,
                  'addresses': ['10.10.0.1/24']}],
        links=[{'kind': 'dummy', 'node': 'host', 'name': 'vd0', 'bridge': 'vbr0'},
               {'kind': 'dummy', 'node': 'host', 'name': 'vd1'},
               {'kind': 'bond', 'node': 'host', 'name': 'vbond0', 'mode': '802.3ad',
                'options': {'miimon': 100, 'lacp_rate': 'fast'}, 'ports': ['vd1']},
               {'kind': 'vlan', 'node': 'host', 'name': 'eth0.42', 'parent': 'eth0',
                'options': {'id': 42}, 'addresses': ['192.0.2.5/28']},
               {'endpoints': [{'node': 'host', 'name': 'vh0'}, {'node': 'ns1', 'name': 'e0'}]}])


def test_networkd_files_of_the_root_node():
    files, missing = networkd.files(root_lab())
    prefix = '50-vnet-demo-'
    assert sorted(files) == sorted(prefix + name + suffix for name in
                                   ('vbr0', 'vd0', 'vd1', 'vbond0', 'eth0.42')
                                   for suffix in ('.netdev', '.network', '.link'))
    bridge = files[prefix + 'vbr0.netdev']
    assert section(bridge, 'NetDev') == {'Name': 'vbr0', 'Kind': 'bridge'}
    assert section(bridge, 'Bridge') == {'STP': 'yes', 'ForwardDelaySec': '4'}
    network = files[prefix + 'vbr0.network']
    assert section(network, 'Match') == {'Name': 'vbr0'}
    assert section(network, 'Network')['Address'] == '10.10.0.1/24'
    assert section(network, 'Route') == {'Destination': '10.20.0.0/16', 'Gateway': '10.10.0.254'}
    assert section(files[prefix + 'vd0.network'], 'Network')['Bridge'] == 'vbr0'
    assert section(files[prefix + 'vd1.network'], 'Network')['Bond'] == 'vbond0'
    assert section(files[prefix + 'vbond0.netdev'], 'Bond') == {
        'Mode': '802.3ad', 'MIIMonitorSec': '100ms', 'LACPTransmitRate': 'fast'}
    assert section(files[prefix + 'eth0.42.netdev'], 'VLAN') == {'Id': '42'}
    assert section(files[prefix + 'vbr0.link'], 'Link') == {'Alias': 'vnet:demo'}
    assert section(files[prefix + 'vbr0.link'], 'Match') == {'OriginalName': 'vbr0',
                                                             'Kind': 'bridge'}
    # what networkd cannot hold is said, not dropped
    assert 'add VLAN=eth0.42 to the [Network] section of the .network file that configures ' \
        'eth0' in missing
    assert 'veth vh0 in node host: its peer is in a namespace' in missing
    assert '1 links in network namespaces (networkd has no namespaces)' in missing


def test_networkd_files_parse_as_ini():
    files, _missing = networkd.files(root_lab())
    for name, text in files.items():
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read_string(text, source=name)
        assert parser.sections()


def test_networkd_needs_a_root_node():
    with pytest.raises(export.ExportError) as caught:
        networkd.check(lab(nodes=[{'name': 'ns1'}]))
    assert str(caught.value).startswith('export.networkd_dir: lab demo has no root node')


# --- writing the files -----------------------------------------------------------

class Module(object):
    def __init__(self, export_options, check_mode=False, diff=False):
        self.params = {'lab': 'demo', 'export': dict({'private_key_files': []},
                                                     **export_options)}
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)


FACTS = {'nodes': [{'name': 'host', 'root': True}],
         'bridges': [{'name': 'vbr0', 'node': 'host', 'stp': False}], 'links': []}


def test_files_are_written_once_with_their_modes(tmp_path):
    script = str(tmp_path / 'lab.sh')
    options = {'script': script, 'networkd_dir': str(tmp_path)}
    checked = publish.run(Module(options, check_mode=True, diff=True), FACTS)
    assert checked['changed'] and not os.path.exists(script)
    assert checked['diff'][0]['before'] == '' and 'vbr0' in checked['diff'][0]['after']
    first = publish.run(Module(options), FACTS)
    assert first['changed'] and sorted(first['export']['files']) == sorted(
        [script] + [str(tmp_path / ('50-vnet-demo-vbr0' + s)) for s in networkd.SUFFIXES])
    assert stat.S_IMODE(os.stat(script).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(tmp_path / '50-vnet-demo-vbr0.netdev')).st_mode) == 0o644
    again = publish.run(Module(options, diff=True), FACTS)
    assert not again['changed'] and again['diff'] == [] and again['export']['files'] == []
    # a link that left the lab: its files go
    (tmp_path / '50-vnet-demo-old.netdev').write_text('[NetDev]\n')
    (tmp_path / '50-vnet-other-x.netdev').write_text('[NetDev]\n')
    pruned = publish.run(Module(options), FACTS)
    assert pruned['export']['files'] == [str(tmp_path / '50-vnet-demo-old.netdev')]
    assert not (tmp_path / '50-vnet-demo-old.netdev').exists()
    assert (tmp_path / '50-vnet-other-x.netdev').exists()


def test_a_script_in_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(export.ExportError) as caught:
        publish.run(Module({'script': str(tmp_path / 'no' / 'lab.sh')}), FACTS)
    assert str(caught.value).startswith('export.script: the directory')


def test_tunnels_are_written_in_ips_words():
    lines = commands(export.script(lab(nodes=[{'name': 'g1'}, {'name': 'g2'}], links=[
        {'endpoints': [{'node': 'g1', 'name': 'u0'}, {'node': 'g2', 'name': 'u0'}]},
        {'kind': 'gre', 'node': 'g2', 'name': 'gre1', 'parent_node': 'g1',
         'options': {'local': '10.0.0.1', 'remote': '10.0.0.2', 'key': 7, 'ttl': 64}},
        {'kind': 'ip6gre', 'node': 'g1', 'name': 'gre6', 'parent': 'u0',
         'options': {'remote': 'fd00::2', 'flowlabel': 255, 'tos': 'inherit',
                     'encaplimit': 'none'}},
        {'kind': 'ipvlan', 'node': 'g1', 'name': 'ipv0', 'parent': 'u0',
         'options': {'flags': 'private'}}])))
    # an ip tunnel is made in its underlay namespace and then moved
    # (placed_by_move), under the engine's transit name: the underlay may
    # have a link of the tunnel's own name
    transit = transit_name('gre1')
    assert ['ip', '-n', 'g1', 'link', 'add', 'name', transit, 'type', 'gre', 'ikey', '7',
            'local', '10.0.0.1', 'okey', '7', 'remote', '10.0.0.2', 'ttl', '64'] in lines
    assert ['ip', '-n', 'g1', 'link', 'set', 'dev', transit, 'netns', 'g2', 'name', 'gre1'] \
        in lines
    assert ['ip', '-n', 'g1', 'link', 'add', 'name', 'gre6', 'link', 'u0', 'type', 'ip6gre',
            'encaplimit', 'none', 'flowlabel', '0xff', 'remote', 'fd00::2', 'tclass',
            'inherit'] in lines
    assert ['ip', '-n', 'g1', 'link', 'add', 'name', 'ipv0', 'link', 'u0', 'type', 'ipvlan',
            'mode', 'l3', 'private'] in lines


def test_a_name_ip_could_take_for_a_keyword_follows_name_or_dev():
    lines = commands(export.script(lab(nodes=[{'name': 'k1'}], links=[
        {'kind': 'dummy', 'node': 'k1', 'name': 'd'}])))
    assert ['ip', '-n', 'k1', 'link', 'add', 'name', 'd', 'type', 'dummy'] in lines
    assert ['ip', '-n', 'k1', 'link', 'set', 'dev', 'd', 'alias', 'vnet:demo', 'up'] in lines


def test_links_the_topology_does_not_describe_are_named(tmp_path):
    module = Module({'script': str(tmp_path / 'lab.sh')})
    publish.run(module, dict(FACTS, other_links=[{'node': 'host', 'name': 'tun0',
                                                  'kind': 'tun'}]))
    assert module.warnings == ['tun tun0 in node host is not exported: the topology module '
                               'does not describe it']


# --- the boot script of a persistent lab (boot=True) ----------------------------

def expanded(text):
    """The commands of a script, each line of an `ip -batch` heredoc as the
    `ip [-n NS]` command it stands for; without the closing check."""
    out, prefix = [], None
    for line in text.split('# --- check', maxsplit=1)[0].splitlines():
        if prefix is not None:
            if line == 'VNET':
                prefix = None
            else:
                out.append(prefix + shlex.split(line))
        elif line.endswith(" <<'VNET'"):
            words = shlex.split(line[:-len(" <<'VNET'")])
            assert words[-2:] == ['-batch', '-'], line
            prefix = words[:-2]
        elif line and not line.startswith('#') and line != 'set -eu':
            out.append(shlex.split(line))
    return out


def without_family(words):
    # a batch line has no -4/-6: ip takes the family from the addresses
    return tuple(word for pos, word in enumerate(words)
                 if not (word in ('-4', '-6') and words[0] == 'ip' and pos in (1, 3)))


def test_the_boot_script_runs_the_same_commands_in_fewer_processes():
    plain = export.script(demo_lab())
    boot = export.script(demo_lab(), boot=True)
    assert sorted(map(without_family, expanded(boot))) == \
        sorted(map(without_family, commands(plain)))
    # a route whose family only -4/-6 gives stays a command of its own
    gateway_less = lab(nodes=[{'name': 'r1', 'routes': [{'dst': 'default', 'dev': 'eth0'}]},
                              {'name': 'r2'}],
                       links=[{'endpoints': [{'node': 'r1', 'name': 'eth0'},
                                             {'node': 'r2', 'name': 'eth0'}]}])
    assert 'ip -n r1 -4 route add default dev eth0 proto 118' in \
        export.script(gateway_less, boot=True).splitlines()
    processes = [line for line in boot.split('# --- check', maxsplit=1)[0].splitlines()
                 if line.split(' ', 1)[0] in ('ip', 'tc')]
    assert len(processes) < len(commands(plain)) - 5
    assert "ip -batch - <<'VNET'" in boot  # every namespace added by one ip


def test_the_boot_script_keeps_the_order_within_each_namespace():
    lines = expanded(export.script(demo_lab(), boot=True))
    created = max(pos for pos, line in enumerate(lines) if 'add' in line[:5] and 'link' in line[:5])
    r1 = [pos for pos, line in enumerate(lines) if line[:3] in (['ip', '-n', 'r1'], ['tc', '-n', 'r1'],
                                                                ['ip', 'netns', 'exec'])
          and pos > created]
    fdb = position(lines, 'ip', 'netns', 'exec', 'r1', 'bridge', 'fdb', 'append')
    sysctl = position(lines, 'ip', 'netns', 'exec', 'r1', 'sysctl')
    master = position(lines, 'ip', '-n', 'r1', 'link', 'set', 'dev', 'p1', 'master', 'br0')
    address = position(lines, 'ip', '-n', 'r1', 'address', 'add', '10.1.0.0/31')
    netem = position(lines, 'tc', '-n', 'r1', 'qdisc', 'replace', 'dev', 'eth0')
    up = position(lines, 'ip', '-n', 'r1', 'link', 'set', 'dev', 'eth0', 'alias', 'vnet:demo', 'up')
    route = position(lines, 'ip', '-n', 'r1', 'route', 'add', '10.9.0.0/16')
    assert created < fdb < sysctl < master < address < netem < up < route
    # r1's lines after the links are one run: no other namespace's between them
    assert r1 == list(range(r1[0], r1[-1] + 1))


def test_the_boot_script_ends_by_checking_every_namespace_link_and_teamd():
    text = export.script(lab(nodes=[{'name': 't1'}], links=[
        {'kind': 'dummy', 'node': 't1', 'name': 'd0'},
        {'kind': 'team', 'node': 't1', 'name': 'team0', 'runner': 'activebackup',
         'ports': ['d0']}]), boot=True)
    check = text.split('# --- check: the lab came back whole\n')[1]
    assert "[ -e /run/netns/t1 ] || gone 'namespace t1'" in check
    assert 'links=$(ip -n t1 -o link show 2>/dev/null | names)' in check
    assert 'have t1 d0' in check and 'have t1 team0' in check
    assert 'kill -0 "$(cat /run/vnet-linux/teamd/netns/t1/team0.pid 2>/dev/null)"' in check
    assert check.rstrip().endswith("echo 'lab demo is back: 1 namespaces, 2 links'")
    assert '# --- check' not in export.script(demo_lab())
