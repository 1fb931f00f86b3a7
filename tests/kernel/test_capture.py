"""vnet.linux.capture on the machine's kernel: tcpdump records a veth
between two namespaces the test makes while the test pings across it; the
pcap is read back here, by this file's own reader."""

import os
import re
import struct
import subprocess
import threading
import time

import pytest

from conftest import run_module

pytestmark = pytest.mark.skipif(not any(os.access(os.path.join(d, 'tcpdump'), os.X_OK)
                                        for d in ('/usr/sbin', '/usr/bin', '/sbin')),
                                reason='tcpdump is not installed (scripts/run setup installs it)')

ETH_P_IP = 0x0800
ICMP_ECHO = {8: 'request', 0: 'reply'}


def veth_pair(a, b):
    """a (10.67.0.1, ca) <-> b (10.67.0.2, cb)."""
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'ca', 'type', 'veth',
                           'peer', 'name', 'cb', 'netns', b])
    for ns, dev, addr in ((a, 'ca', '10.67.0.1/24'), (b, 'cb', '10.67.0.2/24')):
        subprocess.check_call(['ip', '-n', ns, 'addr', 'add', addr, 'dev', dev])
        subprocess.check_call(['ip', '-n', ns, 'link', 'set', dev, 'up'])


def pcap_packets(path):
    """(link type, [packet bytes]) of a classic pcap file."""
    with open(path, 'rb') as handle:
        data = handle.read()
    magic = data[:4]
    order = {b'\xd4\xc3\xb2\xa1': '<', b'\xa1\xb2\xc3\xd4': '>',
             b'\x4d\x3c\xb2\xa1': '<', b'\xa1\xb2\x3c\x4d': '>'}[magic]
    linktype = struct.unpack(order + 'I', data[20:24])[0]
    packets, offset = [], 24
    while offset < len(data):
        _sec, _frac, caplen, _length = struct.unpack(order + 'IIII', data[offset:offset + 16])
        packets.append(data[offset + 16:offset + 16 + caplen])
        offset += 16 + caplen
    return linktype, packets


def icmp_echoes(packets):
    """[(request|reply, ident, seq)] of the ICMP echoes in Ethernet frames."""
    echoes = []
    for frame in packets:
        if len(frame) < 42 or struct.unpack('!H', frame[12:14])[0] != ETH_P_IP:
            continue
        ip = frame[14:]
        if ip[9] != 1:  # not ICMP
            continue
        icmp = ip[(ip[0] & 0x0F) * 4:]
        if icmp[0] in ICMP_ECHO:
            echoes.append((ICMP_ECHO[icmp[0]],) + struct.unpack('!HH', icmp[4:8]))
    return echoes


def promiscuous(netns, dev):
    """Whether a packet socket holds the interface in promiscuous mode (the
    kernel's count: the PROMISC flag shows only a user's own setting)."""
    out = subprocess.check_output(['ip', '-d', '-n', netns, 'link', 'show', dev], text=True)
    return int(re.search(r'promiscuity (\d+)', out).group(1)) > 0


def run_in_thread(name, args):
    result = {}
    thread = threading.Thread(target=lambda: result.update(run_module(name, args)))
    thread.start()
    return thread, result


def test_capture_holds_the_pings_it_was_started_for(namespaces, tmp_path):
    a, b = namespaces(2)
    veth_pair(a, b)
    dest = str(tmp_path / 'ca.pcap')
    thread, result = run_in_thread('capture', dict(netns=a, interface='ca', duration=4,
                                                   filter='icmp', dest=dest))
    deadline = time.monotonic() + 5
    while not promiscuous(a, 'ca'):  # tcpdump has opened the interface
        assert time.monotonic() < deadline, 'tcpdump never opened ca'
        time.sleep(0.05)
    time.sleep(0.3)  # and attached its filter
    subprocess.check_call(['ip', 'netns', 'exec', a, 'ping', '-c', '3', '-i', '0.2', '-q',
                           '10.67.0.2'], stdout=subprocess.DEVNULL)
    thread.join(15)
    assert not result.get('failed'), result
    assert result['changed'] and result['dest'] == dest and result['packets'] == 6, result
    assert oct(os.stat(dest).st_mode & 0o777) == '0o600'
    linktype, packets = pcap_packets(dest)
    assert linktype == 1 and len(packets) == 6   # Ethernet; only ICMP (the filter)
    echoes = icmp_echoes(packets)
    requests = [(ident, seq) for kind, ident, seq in echoes if kind == 'request']
    replies = [(ident, seq) for kind, ident, seq in echoes if kind == 'reply']
    assert len(requests) == 3 and sorted(requests) == sorted(replies), echoes
    assert sorted(seq for _ident, seq in requests) == [1, 2, 3]
    assert not promiscuous(a, 'ca')   # tcpdump is gone


def test_count_stops_the_capture_before_the_duration(namespaces, tmp_path):
    a, b = namespaces(2)
    veth_pair(a, b)
    dest = str(tmp_path / 'count.pcap')
    pinger = subprocess.Popen(['ip', 'netns', 'exec', b, 'ping', '-i', '0.1', '-c', '100',
                               '10.67.0.1'], stdout=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        result = run_module('capture', dict(netns=a, interface='ca', count=4, duration=30,
                                            filter='icmp[icmptype] == icmp-echo', dest=dest))
    finally:
        pinger.kill()
        pinger.wait()
    assert not result.get('failed'), result
    assert time.monotonic() - started < 10 and result['packets'] == 4
    _linktype, packets = pcap_packets(dest)
    assert [kind for kind, _i, _s in icmp_echoes(packets)] == ['request'] * 4


def test_check_mode_records_nothing(namespaces, tmp_path):
    a, b = namespaces(2)
    veth_pair(a, b)
    dest = str(tmp_path / 'never.pcap')
    result = run_module('capture', dict(netns=a, interface='ca', duration=60, dest=dest),
                        check=True)
    assert result['changed'] and not result.get('failed'), result
    assert result['command'][1:] == ['-i', 'ca', '-n', '-U', '-w', '-']
    assert 'would record on ca' in result['msg'] and not os.path.exists(dest)


@pytest.mark.parametrize('args, message', [
    (dict(interface='nothere', duration=1), "interface: nothere is not in namespace"),
    (dict(interface='ca'), 'duration or count: give at least one'),
    (dict(interface='ca', duration=0), 'duration: 0 is not more than 0'),
    (dict(interface='ca', count=0), 'count: 0 is out of range'),
    (dict(interface='ca', duration=1, filter='icmp and and'), 'filter: tcpdump cannot compile'),
])
def test_bad_input_is_refused_before_recording(namespaces, tmp_path, args, message):
    a, b = namespaces(2)
    veth_pair(a, b)
    dest = str(tmp_path / 'bad.pcap')
    result = run_module('capture', dict(args, netns=a, dest=dest))
    assert result.get('failed') and message in result['msg'], result
    assert os.listdir(str(tmp_path)) == []


def test_missing_namespace_is_refused(namespaces, tmp_path):
    missing, = namespaces(1, create=False)
    result = run_module('capture', dict(netns=missing, interface='eth0', duration=1,
                                        dest=str(tmp_path / 'x.pcap')))
    assert result.get('failed') and result['msg'] == "netns: namespace '%s' does not exist" % missing
