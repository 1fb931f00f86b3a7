# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Echoes sent from inside a VM node's guest, for the reachability table.

A VM node's namespace holds only the host side of its macvtap (which, in
bridge mode, does not talk to its own lower device): the VM is reached over
the lab's network. So the module runs SSH from a lab namespace that reaches
the guest (`via`), and the guest's own `ping` sends the echoes, one ping per
address, all at once, in one SSH session (a session costs seconds under
software emulation). The replies are read from ping's output and fill the
same Probe rows as the raw-socket prober's.
"""

from __future__ import annotations

import math
import re
import shlex

from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import entered

GUEST_KEYS = ('address', 'via', 'key', 'user', 'connect_timeout')
BLOCK = re.compile(r'^== (\S+)$', re.M)
TRANSMITTED = re.compile(r'(\d+) packets transmitted')
REPLY_TIME = re.compile(r'^\d+ bytes from .*time=([\d.]+) ms', re.M)
TIMED_OUT = 128 + 9     # what timeout(1) -s KILL exits with


class GuestError(ValueError):
    """A `guests` entry that cannot be used."""


def check_guests(guests, nodes):
    """{node: settings} with defaults, refusing what is wrong by field."""
    checked = {}
    for node, settings in (guests or {}).items():
        field = 'guests.%s' % node
        if not isinstance(settings, dict):
            raise GuestError('%s: a dict of address, via, key, user is expected' % field)
        unknown = sorted(set(settings) - set(GUEST_KEYS))
        if unknown:
            raise GuestError('%s.%s: unknown; known: %s' % (field, unknown[0],
                                                            ', '.join(GUEST_KEYS)))
        for key in ('address', 'via'):
            if not settings.get(key):
                raise GuestError('%s.%s: required' % (field, key))
        if node not in nodes:
            raise GuestError('%s: %s is not one of the nodes' % (field, node))
        checked[node] = dict(dict(user='root', key=None, connect_timeout=10),
                             **dict((k, v) for k, v in settings.items() if v is not None))
    return checked


def script(probes, count, interval, timeout, warmup):
    """The guest's shell commands: a ping per address at once, each
    printing its block in one write (blocks never interleave)."""
    wait = max(1, int(math.ceil(timeout)))
    lines = []
    for address in sorted(set(probe.address for probe in probes)):
        quoted = shlex.quote(address)
        ping = 'ping -n -c %d -i %g -W %d %s' % (count, interval, wait, quoted)
        if warmup > 0:
            ping = 'ping -n -c 1 -W %d %s >/dev/null 2>&1; %s' % (
                max(1, int(math.ceil(warmup))), quoted, ping)
        lines.append('( out=$(%s 2>&1); printf "== %%s\\n%%s\\n" %s "$out" ) &'
                     % (ping, quoted))
    lines.append('wait')
    return '\n'.join(lines)


def parse(output):
    """address -> (sent, [rtt ms]) from the guest's blocks."""
    found = {}
    marks = list(BLOCK.finditer(output))
    for pos, mark in enumerate(marks):
        end = marks[pos + 1].start() if pos + 1 < len(marks) else len(output)
        body = output[mark.end():end]
        sent = TRANSMITTED.search(body)
        found[mark.group(1)] = (int(sent.group(1)) if sent else 0,
                                [float(t) for t in REPLY_TIME.findall(body)])
    return found


def ssh_command(settings, command):
    argv = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
            '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
            '-o', 'ConnectTimeout=%d' % int(settings['connect_timeout'])]
    if settings.get('key'):
        argv += ['-i', settings['key'], '-o', 'IdentitiesOnly=yes']
    return argv + ['%s@%s' % (settings['user'], settings['address']), command]


def run_guest_probes(run, probes, guests, resolve_netns, count=3, interval=0.2, timeout=1.0,
                     warmup=3.0):
    """Fill the probes whose source is a guest, one SSH session per guest
    (run: the module's run_command)."""
    by_guest = {}
    for probe in probes:
        by_guest.setdefault(probe.src, []).append(probe)
    for node, mine in by_guest.items():
        settings = guests[node]
        command = ssh_command(settings, script(mine, count, interval, timeout, warmup))
        seconds = settings['connect_timeout'] + warmup + count * (interval + timeout) + 30
        try:
            with entered(resolve_netns(settings['via'])):
                # the child starts in the namespace this thread is in
                code, out, err = run(['timeout', '-s', 'KILL', '%d' % seconds] + command,
                                     expand_user_and_vars=False)
        except OSError as failure:
            _failed(mine, 'ssh to guest %s from %s: %s' % (node, settings['via'], failure))
            continue
        if code in (255, TIMED_OUT):
            why = 'no answer within %d s' % seconds if code == TIMED_OUT else \
                (err.strip().splitlines() or ['failed'])[-1]
            _failed(mine, 'ssh to guest %s from %s: %s' % (node, settings['via'], why))
            continue
        results = parse(out)
        for probe in mine:
            probe.netns = None
            probe.sent, probe.rtts = results.get(probe.address, (0, []))
            if probe.address not in results:
                probe.error = 'the guest of %s gave no ping result for %s' % (node, probe.address)
    return probes


def _failed(probes, text):
    for probe in probes:
        probe.error = text
