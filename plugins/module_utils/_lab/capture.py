# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Packet captures on a lab interface, recorded by tcpdump.

tcpdump (libpcap) does the capturing: it compiles BPF filters, knows every
link type and writes the pcap format every reader takes; a hand-written
AF_PACKET reader would duplicate all of that. What is ours is where it
runs and where its output goes:

- it is started from a thread inside the lab's namespace (a child process
  inherits the namespace of the thread that forks it), so no `ip netns exec`;
- it writes the pcap to its standard output, which we copy into a
  temporary file beside the destination and rename at the end: tcpdump
  then never opens the destination itself, so neither its privilege drop
  (to the user tcpdump) nor the AppArmor profile some distributions give
  it (which allows writing only some paths) can refuse the file, and a
  reader never sees a half-written capture;
- the time limit starts when tcpdump says it listens, not when it starts.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import tempfile
import time

from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import entered

# how long tcpdump may take to open the interface and say so
START_TIMEOUT = 10.0
# how long it may take to flush and exit after SIGINT
STOP_TIMEOUT = 5.0
LISTENING = b'listening on '


class CaptureError(Exception):
    """tcpdump refused to start or failed."""


def tcpdump_argv(binary, interface, count=None, snaplen=None, bpf_filter=None,
                 promiscuous=True):
    """The tcpdump command line: pcap to standard output, each packet
    flushed as it comes (-U), names never resolved (-n)."""
    argv = [binary, '-i', interface, '-n', '-U', '-w', '-']
    if count:
        argv += ['-c', str(count)]
    if snaplen:
        argv += ['-s', str(snaplen)]
    if not promiscuous:
        argv.append('-p')
    if bpf_filter:
        argv += ['--', bpf_filter]
    return argv


def check_filter(run_command, binary, netns, interface, bpf_filter):
    """Compile the filter for the interface (tcpdump -d), with the module's
    run_command: a filter tcpdump cannot compile is refused before any
    capture. Returns None or the reason."""
    with entered(netns):
        # the child inherits this thread's namespace
        rc, _out, err = run_command([binary, '-i', interface, '-d', '--', bpf_filter],
                                    expand_user_and_vars=False)
    return _tcpdump_message(err) if rc != 0 else None


def _tcpdump_message(stderr):
    if isinstance(stderr, bytes):
        stderr = stderr.decode('utf-8', 'replace')
    lines = [line for line in stderr.splitlines()
             if line.strip() and not line.startswith(('tcpdump: verbose', 'listening on'))]
    return '; '.join(lines) or 'tcpdump failed'


def capture(argv, netns, dest, duration=None, mode=0o600):
    """Run tcpdump inside `netns` until it has its packet count or until
    `duration` seconds after it listens; the pcap goes to `dest` (renamed
    into place at the end). Returns the statistics of the capture."""
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(dest) or '.', prefix='.vnet-capture-')
    try:
        with os.fdopen(handle, 'wb') as out:
            os.fchmod(out.fileno(), mode)
            stats = _record(argv, netns, out, duration)
            out.flush()
            os.fsync(out.fileno())
        if stats['bytes'] == 0:
            raise CaptureError('tcpdump wrote nothing: %s' % stats['stderr'])
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return stats


def _record(argv, netns, out, duration):
    with entered(netns):
        # Not AnsibleModule.run_command: it keeps all output in memory until
        # the program exits and cannot end it after a time; a capture
        # streams to disk for as long as it lasts and ends at a deadline
        # counted from tcpdump's "listening" line (see _Output).
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE,  # pylint: disable=ansible-bad-function
                                stderr=subprocess.PIPE)
    reader = _Output(proc, out)
    try:
        started = reader.wait_listening(time.monotonic() + START_TIMEOUT)
        if started is None:
            raise CaptureError('tcpdump did not start: %s' % _tcpdump_message(reader.stderr))
        deadline = started + duration if duration else None
        if not reader.until_exit(deadline):
            proc.send_signal(signal.SIGINT)   # tcpdump flushes, prints its counts, exits
            if not reader.until_exit(time.monotonic() + STOP_TIMEOUT):
                proc.kill()
                reader.until_exit(None)
        seconds = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    if proc.returncode not in (0, -signal.SIGINT):
        raise CaptureError('tcpdump failed (exit %s): %s'
                           % (proc.returncode, _tcpdump_message(reader.stderr)))
    return dict(_counts(reader.stderr), bytes=reader.written, seconds=round(seconds, 3),
                stderr=_tcpdump_message(reader.stderr))


class _Output(object):
    """Copies tcpdump's standard output to the file while it runs (a pipe
    holds 64 KiB: left unread, it would stall the capture) and keeps its
    standard error."""

    def __init__(self, proc, out):
        self.proc = proc
        self.out = out
        self.stderr = b''
        self.written = 0
        self.open = [proc.stdout, proc.stderr]

    def _pump(self, until):
        left = None if until is None else max(0.0, until - time.monotonic())
        readable, _w, _x = select.select(self.open, [], [], left)
        for stream in readable:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                self.open.remove(stream)
            elif stream is self.proc.stdout:
                self.out.write(chunk)
                self.written += len(chunk)
            else:
                self.stderr += chunk
        return bool(readable)

    def wait_listening(self, until):
        """The monotonic time tcpdump said it listens, or None when it
        exited or took longer than `until`."""
        while LISTENING not in self.stderr:
            if not self.open or time.monotonic() >= until:
                return None
            self._pump(until)
        return time.monotonic()

    def until_exit(self, until):
        """Copy output until both streams close (tcpdump exited): True, or
        until the monotonic time `until`: False."""
        while self.open:
            if until is not None and time.monotonic() >= until:
                return False
            self._pump(until)
        return True


COUNT_LINES = {
    'packets': re.compile(r'^(\d+) packets? captured', re.M),
    'received_by_filter': re.compile(r'^(\d+) packets? received by filter', re.M),
    'dropped_by_kernel': re.compile(r'^(\d+) packets? dropped by kernel', re.M),
}


def _counts(stderr):
    """The counts tcpdump prints when it stops (None when it printed none)."""
    text = stderr.decode('utf-8', 'replace')
    counts = {}
    for key, pattern in COUNT_LINES.items():
        match = pattern.search(text)
        counts[key] = int(match.group(1)) if match else None
    return counts
