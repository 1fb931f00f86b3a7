"""The reachability prober's pure parts: packets, planning, tables."""

import struct

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._lab import reachability as reach


def test_checksum_of_a_known_echo_request():
    packet = reach.echo_request(4, 0x1234, 1, b'')
    # a correct checksum makes the sum over the whole message 0xFFFF
    assert reach.checksum(packet) == 0
    assert packet[0] == 8


def test_icmpv6_checksum_is_left_to_the_kernel():
    packet = reach.echo_request(6, 7, 9, b'x')
    assert packet[0] == 128 and packet[2:4] == b'\0\0'


def test_parse_reply_skips_the_ipv4_header():
    icmp = struct.pack('!BBHHH', 0, 0, 0, 0xBEEF, 42)
    header = bytes([0x45]) + bytes(19)
    assert reach.parse_reply(4, header + icmp) == (0xBEEF, 42)
    assert reach.parse_reply(6, struct.pack('!BBHHH', 129, 0, 0, 1, 2)) == (1, 2)


def test_parse_reply_ignores_requests_and_runts():
    request = bytes([0x45]) + bytes(19) + struct.pack('!BBHHH', 8, 0, 0, 1, 1)
    assert reach.parse_reply(4, request) is None
    assert reach.parse_reply(4, b'\x45') is None
    assert reach.parse_reply(6, b'\x81\0') is None


def test_plan_all_ordered_pairs_of_every_address():
    probes = reach.plan_probes({'a': ['10.0.0.1'], 'b': ['10.0.0.2', 'fd00::2']})
    assert [(p.src, p.dst, p.address, p.version) for p in probes] == [
        ('a', 'b', '10.0.0.2', 4), ('a', 'b', 'fd00::2', 6), ('b', 'a', '10.0.0.1', 4)]


def test_plan_listed_pairs_with_addresses_and_expectations():
    probes = reach.plan_probes({'a': ['10.0.0.1'], 'b': ['10.0.0.2']},
                               [{'src': 'a', 'dst': '192.0.2.9', 'expect': False},
                                {'src': 'b', 'dst': 'a', 'expect': None}])
    assert [(p.dst, p.address, p.expect) for p in probes] == [
        ('192.0.2.9', '192.0.2.9', False), ('a', '10.0.0.1', True)]
    with pytest.raises(ValueError, match='neither'):
        reach.plan_probes({'a': []}, [{'src': 'a', 'dst': 'nowhere'}])


def make_probe(received, sent=3, expect=True):
    probe = reach.Probe('a', 'b', '10.0.0.2', expect)
    probe.sent = sent
    probe.rtts = [0.1 * (i + 1) for i in range(received)]
    return probe


def test_results_judge_loss_and_expectation():
    assert make_probe(3).result(0)['ok']
    assert not make_probe(2).result(0)['ok']
    assert make_probe(2).result(34)['ok']
    assert make_probe(0, expect=False).result(0)['ok']
    assert not make_probe(1, expect=False).result(0)['ok']
    row = make_probe(3).result(0)
    assert (row['rtt_min'], row['rtt_avg'], row['rtt_max'], row['loss']) == (0.1, 0.2, 0.3, 0.0)


def test_a_path_passes_when_its_loss_is_at_most_max_loss():
    """max_loss is inclusive up to 100: all lost is 100% loss, accepted by
    max_loss=100; a path that must be broken is judged by replies alone."""
    assert make_probe(0).result(100)['ok']
    assert not make_probe(0).result(99.9)['ok']
    assert make_probe(1).result(100 * 2 / 3.0)['ok']
    assert not make_probe(1).result(66)['ok']
    assert not make_probe(1, expect=False).result(100)['ok']
    assert make_probe(0, expect=False).result(100)['ok']


def test_error_rows_are_never_ok():
    probe = make_probe(0, sent=0)
    probe.error = 'namespace x does not exist'
    row = probe.result(100)
    assert not row['ok'] and row['error'] and row['loss'] == 100.0


def test_table_and_matrix():
    good = make_probe(3).result(0)
    bad = dict(make_probe(0).result(0), src='b', dst='a', address='10.0.0.1')
    table = reach.table_lines([good, bad])
    assert table[0].split()[:3] == ['from', 'to', 'address']
    assert table[1].endswith('ok') and table[2].endswith('BROKEN')
    assert '0.100/0.200/0.300' in table[1]
    matrix = reach.matrix_lines([good, bad])
    assert matrix[0].split()[-2:] == ['a', 'b']
    assert matrix[1].split() == ['a', '.', 'ok'] and matrix[2].split() == ['b', '--', '.']


def test_table_and_matrix_print_in_ansible_as_they_are():
    """Ansible shows results as JSON: a line prints as written only when
    JSON escapes none of its characters (a backslash would show doubled)."""
    import json
    good = make_probe(3).result(0)
    for line in reach.table_lines([good]) + reach.matrix_lines([good]):
        assert json.dumps(line) == '"%s"' % line, line
