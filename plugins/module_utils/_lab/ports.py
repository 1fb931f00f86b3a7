# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TCP and UDP port checks between network namespaces.

As for the ICMP probes, every socket is opened inside its namespace and
used from home: the listeners the checks start in the destination
namespaces, and the clients in the source namespaces, all served by one
select loop, so the checks need no daemon, no thread and no process.

A TCP check passes when the connection is established. A UDP check sends
one datagram; the listener a check starts sends it back, and the check
passes when that echo arrives. A port that is closed answers TCP with a
reset and UDP with ICMP port unreachable: the check reports "refused",
which is not "answers" (a path that must be isolated may be refused).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import select
import socket
import time

from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import entered

PROTOCOLS = ('tcp', 'udp')


class PortCheck(object):
    """One check: from a source namespace to one address and port."""

    def __init__(self, src, dst, address, protocol, port, expect=True, listen=True):
        self.src = src
        self.dst = dst
        self.address = address
        self.family = socket.AF_INET if ipaddress.ip_address(address).version == 4 else socket.AF_INET6
        self.protocol = protocol
        self.port = port
        self.expect = expect
        self.listen = listen
        self.outcome = None      # connected | answered | refused | timeout | unreachable ...
        self.rtt = None
        self.error = None
        self.token = os.urandom(16)   # what a UDP check sends and waits back for
        self.sock = None
        self.started = None

    @property
    def check(self):
        return '%s %d' % (self.protocol, self.port)

    @property
    def answered(self):
        return self.outcome in ('connected', 'answered')

    def result(self, max_loss=None):
        """The row of this check, with the keys of a ping row (a port
        answers or not: max_loss, of pings, does not apply)."""
        good = self.answered if self.expect else not self.answered
        rtt = round(self.rtt, 3) if self.rtt is not None else None
        row = dict(src=self.src, dst=self.dst, address=self.address, check=self.check,
                   sent=1, received=1 if self.answered else 0,
                   loss=0.0 if self.answered else 100.0, reachable=self.answered,
                   expected=self.expect, ok=good and self.error is None,
                   rtt_min=rtt, rtt_avg=rtt, rtt_max=rtt, outcome=self.outcome)
        if self.error:
            row['error'] = self.error
        return row


def open_in(netns, family, kind):
    """A non-blocking socket opened inside `netns` (None: here)."""
    with entered(netns):
        sock = socket.socket(family, kind)
    sock.setblocking(False)
    return sock


class Listeners(object):
    """The listeners the checks start: one per destination namespace,
    protocol, family and port, on every address of the namespace."""

    def __init__(self):
        self.sockets = {}    # key -> socket, or the error text
        self.udp = []

    def start(self, check, netns):
        key = (netns, check.protocol, check.family, check.port)
        if key not in self.sockets:
            self.sockets[key] = self._open(key)
        listener = self.sockets[key]
        if isinstance(listener, str):
            check.error = listener

    def _open(self, key):
        netns, protocol, family, port = key
        kind = socket.SOCK_STREAM if protocol == 'tcp' else socket.SOCK_DGRAM
        try:
            sock = open_in(netns, family, kind)
        except FileNotFoundError:
            return 'listener: namespace %s does not exist' % netns
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(('0.0.0.0' if family == socket.AF_INET else '::', port))
            if protocol == 'tcp':
                sock.listen(64)
        except OSError as err:
            sock.close()
            hint = ' (a service listens there: check it with listen=false)' \
                if err.errno == errno.EADDRINUSE else ''
            place = netns or 'the root namespace'
            return 'listener on %s port %d in %s: %s%s' % (protocol, port, place, err.strerror, hint)
        if protocol == 'udp':
            self.udp.append(sock)
        return sock

    def readable(self):
        return [s for s in self.sockets.values() if not isinstance(s, str)]

    def serve(self, sock):
        """Accept (and drop) a connection, or echo a datagram back."""
        try:
            if sock in self.udp:
                data, sender = sock.recvfrom(65535)
                sock.sendto(data, sender)
            else:
                conn, _peer = sock.accept()
                conn.close()
        except (BlockingIOError, InterruptedError, ConnectionError):
            pass

    def close(self):
        for sock in self.readable():
            sock.close()


def _connect(check, netns):
    """Open the check's client inside the source namespace and start it."""
    kind = socket.SOCK_STREAM if check.protocol == 'tcp' else socket.SOCK_DGRAM
    try:
        check.sock = open_in(netns, check.family, kind)
    except FileNotFoundError:
        check.error = 'namespace %s does not exist' % netns
        return
    check.started = time.monotonic()
    code = check.sock.connect_ex((check.address, check.port))
    if code not in (0, errno.EINPROGRESS):
        _finish(check, code)
    elif check.protocol == 'udp':
        try:
            check.sock.send(check.token)
        except OSError as err:
            _finish(check, err.errno)


def _finish(check, code, outcome=None):
    if outcome is None:
        outcome = {0: 'connected', errno.ECONNREFUSED: 'refused',
                   errno.ETIMEDOUT: 'timeout'}.get(code, 'unreachable (%s)' % os.strerror(code or 0))
    check.outcome = outcome
    if check.answered:
        check.rtt = (time.monotonic() - check.started) * 1000.0
    check.sock.close()
    check.sock = None


def _step(check):
    """The client socket of the check is ready: read what happened."""
    if check.protocol == 'tcp':
        _finish(check, check.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
        return
    try:
        data = check.sock.recv(65535)
    except (BlockingIOError, InterruptedError):
        return
    except OSError as err:   # ICMP port or host unreachable came back
        _finish(check, err.errno)
        return
    if data == check.token:
        _finish(check, 0, 'answered')


def run_port_checks(checks, timeout=1.0, resolve_netns=lambda node: node):
    """Start the listeners, connect every check and wait up to `timeout`
    seconds for the answers; unanswered checks time out."""
    listeners = Listeners()
    try:
        for check in checks:
            if check.listen:
                listeners.start(check, resolve_netns(check.dst))
        for check in checks:
            if check.error is None:
                _connect(check, resolve_netns(check.src))
        _wait(checks, listeners, time.monotonic() + timeout)
    finally:
        for check in checks:
            if check.sock is not None:
                _finish(check, errno.ETIMEDOUT)
        listeners.close()
    return checks


def _wait(checks, listeners, until):
    while True:
        waiting = dict((c.sock.fileno(), c) for c in checks if c.sock is not None)
        left = until - time.monotonic()
        if not waiting or left <= 0:
            return
        tcp = [fd for fd, c in waiting.items() if c.protocol == 'tcp']
        udp = [fd for fd, c in waiting.items() if c.protocol == 'udp']
        served = listeners.readable()
        readable, writable, _x = select.select(udp + served, tcp, [], left)
        for ready in readable + writable:
            if ready in served:
                listeners.serve(ready)
            else:
                _step(waiting[ready])
