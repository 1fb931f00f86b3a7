# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ICMP echo between network namespaces, measured from inside them.

A raw ICMP socket belongs to the namespace it was created in, whatever the
process does afterwards. So the prober enters each source namespace just long
enough to open its socket, returns home, and then sends and receives for all
sources at once from one thread: no `ping` binary, no process per pair, and
all pairs are measured in the same few seconds.
"""

from __future__ import annotations

import errno
import ipaddress
import random
import select
import socket
import struct
import time

from ansible_collections.vnet.linux.plugins.module_utils._lab.ports import PortCheck, run_port_checks
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import entered

ECHO_REQUEST = {4: 8, 6: 128}
ECHO_REPLY = {4: 0, 6: 129}
# the IP header the kernel puts before an echo (IPv4 without options) and
# the echo's own header: a path MTU probe of `size` bytes carries the rest
IP_HEADER = {4: 20, 6: 40}
ICMP_HEADER = 8
PAYLOAD = b'vnet.linux reachability'
# <linux/in.h>, <linux/in6.h> (Python's socket module lacks them): never
# fragment here, send with DF, and fail with EMSGSIZE above the known MTU
IP_MTU_DISCOVER, IPV6_MTU_DISCOVER, PMTUDISC_DO = 10, 23, 2


class ProbeError(Exception):
    """A source namespace that cannot be probed from."""


def open_icmp_socket(netns, version, dont_fragment=False):
    """A non-blocking raw ICMP (or ICMPv6) socket inside `netns` (None:
    here); with `dont_fragment`, what it sends is never fragmented (path
    MTU probes)."""
    family, proto = ((socket.AF_INET, socket.IPPROTO_ICMP) if version == 4
                     else (socket.AF_INET6, socket.IPPROTO_ICMPV6))
    try:
        with entered(netns):
            # a socket stays in the namespace it was opened in
            sock = socket.socket(family, socket.SOCK_RAW, proto)
    except FileNotFoundError:
        raise ProbeError('namespace %s does not exist' % netns)
    sock.setblocking(False)
    if dont_fragment:
        if version == 4:
            sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC_DO)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, PMTUDISC_DO)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DONTFRAG, 1)
    return sock


def checksum(data):
    """The Internet checksum (RFC 1071) of an ICMPv4 message."""
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(version, ident, seq, payload=PAYLOAD):
    """An echo request; the kernel fills in the ICMPv6 checksum itself."""
    header = struct.pack('!BBHHH', ECHO_REQUEST[version], 0, 0, ident, seq)
    if version == 6:
        return header + payload
    csum = checksum(header + payload)
    return struct.pack('!BBHHH', ECHO_REQUEST[version], 0, csum, ident, seq) + payload


def parse_reply(version, packet):
    """(ident, seq) of an echo reply, or None for any other packet. IPv4 raw
    sockets deliver the IP header too; IPv6 ones do not."""
    if version == 4:
        if len(packet) < 20:
            return None
        packet = packet[(packet[0] & 0x0F) * 4:]
    if len(packet) < 8:
        return None
    kind, _code, _csum, ident, seq = struct.unpack('!BBHHH', packet[:8])
    if kind != ECHO_REPLY[version]:
        return None
    return ident, seq


def echo_payload(version, size=None):
    """The payload of an echo request; for a path MTU probe, padded so that
    the IP packet is `size` bytes."""
    if size is None:
        return PAYLOAD
    fill = size - IP_HEADER[version] - ICMP_HEADER
    return (PAYLOAD * (fill // len(PAYLOAD) + 1))[:fill]


def smallest_size(version):
    """The smallest path MTU probe: headers and one byte."""
    return IP_HEADER[version] + ICMP_HEADER + 1


class Probe(object):
    """One path: from a source namespace to one address; with `size`, echo
    requests of that many bytes (IP header included) sent with don't
    fragment (a path MTU check)."""

    def __init__(self, src, dst, address, expect=True, size=None):
        self.src = src
        self.dst = dst
        self.address = address
        self.version = ipaddress.ip_address(address).version
        self.expect = expect
        self.size = size
        self.payload = echo_payload(self.version, size)
        self.sent = 0
        self.rtts = []
        self.error = None
        self.warm = False

    @property
    def check(self):
        """What the row checks, as the table names it."""
        return 'icmp' if self.size is None else 'icmp %d DF' % self.size

    @property
    def socket_key(self):
        return (self.netns, self.version, self.size is not None)

    @property
    def received(self):
        return len(self.rtts)

    @property
    def loss(self):
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else 100.0

    def result(self, max_loss):
        """The row of this path. A path that must work passes when its loss
        is at most max_loss (percent): max_loss=100 accepts any loss, even no
        reply at all. A path that must be broken passes when nothing answers."""
        reachable = self.received > 0
        good = self.loss <= max_loss if self.expect else not reachable
        row = dict(src=self.src, dst=self.dst, address=self.address, check=self.check, sent=self.sent,
                   received=self.received, loss=round(self.loss, 1), reachable=reachable,
                   expected=self.expect, ok=good and self.error is None)
        row['rtt_min'] = round(min(self.rtts), 3) if self.rtts else None
        row['rtt_avg'] = round(sum(self.rtts) / len(self.rtts), 3) if self.rtts else None
        row['rtt_max'] = round(max(self.rtts), 3) if self.rtts else None
        if self.error:
            row['error'] = self.error
        return row


class Prober(object):
    """Sends echo requests for many probes and matches the replies."""

    def __init__(self, probes, resolve_netns=lambda node: node):
        self.probes = probes
        # a socket key is (netns, version, don't fragment)
        self.sockets = {}          # socket key -> socket, None if it failed
        self.errors = {}           # socket key -> why there is no socket
        self.owner = {}            # socket fileno -> socket key
        self.pending = {}          # socket key + (ident, seq) -> (probe, sent at, counted)
        self._ident = random.randint(0, 0xFFFF)
        self._seq = 0
        for probe in probes:
            self._socket_for(probe, resolve_netns(probe.src))

    def _socket_for(self, probe, netns):
        probe.netns = netns
        key = probe.socket_key
        if key not in self.sockets:
            try:
                sock = open_icmp_socket(netns, probe.version, dont_fragment=key[2])
            except (ProbeError, OSError) as err:
                self.sockets[key] = None
                self.errors[key] = str(err)
            else:
                self.sockets[key] = sock
                self.owner[sock.fileno()] = key
        probe.error = self.errors.get(key)

    def close(self):
        for sock in self.sockets.values():
            if sock is not None:
                sock.close()

    def _next_id(self):
        """Identifier and sequence unique to this run (raw sockets see every
        echo reply of their namespace, not only ours)."""
        self._seq += 1
        if self._seq > 0xFFFF:
            self._seq = 1
            self._ident = (self._ident + 1) & 0xFFFF
        return self._ident, self._seq

    def send(self, probe, counted=True):
        sock = self.sockets.get(probe.socket_key)
        if sock is None:
            probe.error = probe.error or 'no socket in namespace %s' % probe.src
            return
        ident, seq = self._next_id()
        packet = echo_request(probe.version, ident, seq, probe.payload)
        try:
            sock.sendto(packet, (probe.address, 0))
        except OSError as err:
            # e.g. ENETUNREACH: no route at all; EMSGSIZE: bigger than the
            # path MTU known (a don't-fragment probe); counts as a lost echo
            if err.errno not in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EACCES,
                                 errno.EINVAL, errno.EADDRNOTAVAIL, errno.EMSGSIZE):
                raise
        if counted:
            probe.sent += 1
        self.pending[probe.socket_key + (ident, seq)] = (probe, time.monotonic(), counted)

    def collect(self, until, early=False):
        """Read replies until the monotonic time `until` (or, when `early`,
        as soon as no measured echo is outstanding)."""
        sockets = [s for s in self.sockets.values() if s is not None]
        while sockets:
            left = until - time.monotonic()
            if left <= 0 or (early and not any(e[2] for e in self.pending.values())):
                return
            readable, _w, _x = select.select(sockets, [], [], left)
            for sock in readable:
                self._drain(sock)

    def _drain(self, sock):
        key = self.owner[sock.fileno()]
        version = key[1]
        while True:
            try:
                packet, sender = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            now = time.monotonic()
            parsed = parse_reply(version, packet)
            if parsed is None:
                continue
            entry = self.pending.get(key + parsed)
            if entry is None or not _same_address(sender[0], entry[0].address):
                continue
            del self.pending[key + parsed]
            probe, sent_at, counted = entry
            probe.warm = True
            if counted:
                probe.rtts.append((now - sent_at) * 1000.0)

    def warm_up(self, seconds, interval):
        """Uncounted echoes until every path answered once or time is up, so
        that neighbour resolution and bond link detection do not count as loss."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            cold = [p for p in self.probes if p.expect and not p.warm and p.error is None]
            if not cold:
                return
            for probe in cold:
                self.send(probe, counted=False)
            self.collect(min(deadline, time.monotonic() + interval))

    def measure(self, count, interval, timeout):
        for number in range(count):
            for probe in self.probes:
                if probe.error is None:
                    self.send(probe)
            if number < count - 1:
                self.collect(time.monotonic() + interval)
        self.collect(time.monotonic() + timeout, early=True)


def _same_address(left, right):
    return ipaddress.ip_address(left.split('%')[0]) == ipaddress.ip_address(right)


def run_probes(probes, count=3, interval=0.2, timeout=1.0, warmup=3.0,
               resolve_netns=lambda node: node):
    prober = Prober(probes, resolve_netns)
    try:
        if warmup > 0:
            prober.warm_up(warmup, interval)
        prober.measure(count, interval, timeout)
    finally:
        prober.close()
    return probes


def run_checks(checks, count=3, interval=0.2, timeout=1.0, warmup=3.0,
               resolve_netns=lambda node: node):
    """Pings (Probe) and port checks (PortCheck), one kind after the other."""
    probes = [c for c in checks if isinstance(c, Probe)]
    ports = [c for c in checks if isinstance(c, PortCheck)]
    if probes:
        run_probes(probes, count, interval, timeout, warmup, resolve_netns)
    if ports:
        if warmup > 0:
            warm_paths(ports, interval, warmup, resolve_netns)
        run_port_checks(ports, timeout, resolve_netns)
    return checks


def warm_paths(ports, interval, warmup, resolve_netns):
    """Uncounted echoes along the port checks' paths first, as for pings:
    a SYN that waits for neighbour resolution on a fresh lab would
    otherwise be a timeout. A path that drops echoes costs up to `warmup`
    seconds and changes nothing else."""
    prober = Prober([Probe(p.src, p.dst, p.address, expect=p.expect) for p in ports],
                    resolve_netns)
    try:
        prober.warm_up(warmup, interval)
    finally:
        prober.close()


def until_as_expected(plan, run, retries=0, delay=1.0, max_loss=0):
    """Run fresh checks (`plan()`, then `run(checks)`) until every row is as
    expected or `retries` more attempts are spent, `delay` seconds apart:
    waiting for a lab to converge (after a flap, a restart). Returns the
    rows of the last attempt and the number of attempts."""
    attempt = 0
    while True:
        attempt += 1
        checks = plan()
        run(checks)
        rows = [c.result(max_loss) for c in checks]
        if attempt > retries or all(r['ok'] for r in rows):
            return rows, attempt
        time.sleep(delay)


# planning and reporting ------------------------------------------------------
def plan_probes(nodes, pairs=None):
    """Checks for the listed pairs, or pings for every ordered pair of
    nodes, in the order of the pairs.

    nodes: {node: [addresses]}; a pair's dst is a node (all its addresses)
    or an IP address; `expect: false` asks for the path to be broken. A
    pair with a `protocol` of tcp or udp checks its `port` (PortCheck) -
    with `listen` (default true) the check's own listener answers in the
    destination node; a ping pair with `size` checks the path MTU.
    """
    if not pairs:
        pairs = [dict(src=src, dst=dst) for src in nodes for dst in nodes if src != dst]
    checks = []
    for index, pair in enumerate(pairs):
        expect = pair.get('expect', True)
        expect = True if expect is None else bool(expect)
        protocol = pair.get('protocol') or 'icmp'
        _check_pair(nodes, pair, protocol, 'pairs[%d]' % index)
        for dst, address in _destinations(nodes, pair['dst']):
            if protocol == 'icmp':
                checks.append(Probe(pair['src'], dst, address, expect, pair.get('size')))
            else:
                listen = pair.get('listen')
                checks.append(PortCheck(pair['src'], dst, address, protocol, pair['port'], expect,
                                        True if listen is None else bool(listen)))
    return checks


def _check_pair(nodes, pair, protocol, field):
    """Refuse what a pair cannot mean, naming the field."""
    if protocol not in ('icmp', 'tcp', 'udp'):
        raise ValueError('%s.protocol: %r is not one of icmp, tcp, udp' % (field, protocol))
    port, size, listen = pair.get('port'), pair.get('size'), pair.get('listen')
    if protocol == 'icmp':
        if port is not None or listen is not None:
            raise ValueError('%s: port and listen need protocol tcp or udp' % field)
        if size is not None:
            low = max(smallest_size(v) for v in (4, 6))
            if not isinstance(size, int) or not low <= size <= 65535:
                raise ValueError('%s.size: %r is not a packet size of %d to 65535 bytes'
                                 % (field, size, low))
        return
    if size is not None:
        raise ValueError('%s.size: a path MTU check is a ping (protocol icmp)' % field)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError('%s.port: protocol %s needs a port of 1 to 65535, not %r'
                         % (field, protocol, port))
    if listen is not False and pair['dst'] not in nodes:
        raise ValueError('%s: the check can start its listener only in a node (dst %r is an '
                         'address); give listen=false to check a service that listens there'
                         % (field, pair['dst']))


def _destinations(nodes, dst):
    if dst in nodes:
        return [(dst, address) for address in nodes[dst]]
    try:
        return [(dst, str(ipaddress.ip_address(dst)))]
    except ValueError:
        raise ValueError('%s is neither a node with addresses nor an IP address' % dst)


def _rtt_text(row):
    if row['rtt_avg'] is None:
        return '-'
    return '%.3f/%.3f/%.3f' % (row['rtt_min'], row['rtt_avg'], row['rtt_max'])


def _verdict(row):
    if row.get('error'):
        return 'ERROR: ' + row['error']
    if row['ok']:
        return 'ok' if row['expected'] else 'ok (isolated as expected)'
    if not row['expected']:
        return 'LEAK (expected no reply)'
    return 'BROKEN (%s)' % row['outcome'] if row.get('outcome') else 'BROKEN'


def table_lines(rows):
    """A fixed-width table, one line per path, for people and job logs."""
    header = ('from', 'to', 'address', 'check', 'sent', 'recv', 'loss', 'rtt min/avg/max ms', 'result')
    body = [(r['src'], r['dst'], r['address'], r.get('check', 'icmp'), str(r['sent']),
             str(r['received']), '%g%%' % r['loss'], _rtt_text(r), _verdict(r)) for r in rows]
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    return ['  '.join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
            for line in [header] + body]


# The matrix's top left cell. Ansible prints results as JSON, where a
# backslash doubles (the old corner printed as 'from \\ to'): only characters
# that JSON leaves alone.
MATRIX_CORNER = 'from -> to'


def problem_lines(rows):
    """A line for each path that is not as expected."""
    return [problem_text(r) for r in rows if not r['ok']]


def problem_text(row):
    """What is wrong with a row, in one line."""
    check = row.get('check', 'icmp')
    where = '%s -> %s (%s%s)' % (row['src'], row['dst'], row['address'],
                                 '' if check == 'icmp' else ' ' + check)
    if row.get('error'):
        why = row['error']
    elif not row['expected']:
        why = 'answers, expected no reply'
    elif row.get('outcome'):
        why = row['outcome']
    else:
        why = '%g%% loss' % row['loss']
    return '%s: %s' % (where, why)


def matrix_lines(rows):
    """Who reaches whom: a source per line, a destination per column; 'ok'
    when every address answered, 'part' when some did, '--' when none."""
    rows = [r for r in rows if r.get('check', 'icmp') == 'icmp']   # plain pings only
    if not rows:
        return []
    sources = _ordered(r['src'] for r in rows)
    destinations = _ordered(r['dst'] for r in rows)
    # columns in the order of the rows, so the diagonal is the diagonal
    targets = [n for n in sources if n in destinations] + \
        [n for n in destinations if n not in sources]
    cell = {}
    for row in rows:
        cell.setdefault((row['src'], row['dst']), []).append(row['reachable'])
    width = max([len(t) for t in targets] + [4])
    first = max([len(s) for s in sources] + [len(MATRIX_CORNER)])
    lines = [MATRIX_CORNER.ljust(first) + '  ' + '  '.join(t.rjust(width) for t in targets)]
    for src in sources:
        marks = [_mark(cell.get((src, dst))).rjust(width) for dst in targets]
        lines.append(src.ljust(first) + '  ' + '  '.join(marks))
    return lines


def _mark(answers):
    if answers is None:
        return '.'
    if all(answers):
        return 'ok'
    return 'part' if any(answers) else '--'


def _ordered(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
