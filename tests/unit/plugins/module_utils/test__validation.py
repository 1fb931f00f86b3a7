"""The pure parts of validation and captures: planning checks, path MTU
payloads, problem lines, the JUnit XML, retries, the tcpdump command."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._lab import capture, junit, ports
from ansible_collections.vnet.linux.plugins.module_utils._lab import reachability as reach

NODES = {'a': ['10.0.0.1'], 'b': ['10.0.0.2', 'fd00::2']}


@pytest.mark.parametrize('version, size', [(4, 1400), (6, 1400), (4, 29), (6, 49)])
def test_an_mtu_probe_is_as_big_as_asked(version, size):
    payload = reach.echo_payload(version, size)
    packet = reach.echo_request(version, 1, 1, payload)
    assert reach.IP_HEADER[version] + len(packet) == size


def test_plan_keeps_the_order_of_the_pairs_and_makes_each_kind():
    checks = reach.plan_probes(NODES, [
        dict(src='a', dst='b', protocol='tcp', port=80),
        dict(src='a', dst='b', size=1400, expect=False),
        dict(src='b', dst='10.0.0.1', protocol='udp', port=53, listen=False)])
    assert [(type(c).__name__, c.check, c.address) for c in checks] == [
        ('PortCheck', 'tcp 80', '10.0.0.2'), ('PortCheck', 'tcp 80', 'fd00::2'),
        ('Probe', 'icmp 1400 DF', '10.0.0.2'), ('Probe', 'icmp 1400 DF', 'fd00::2'),
        ('PortCheck', 'udp 53', '10.0.0.1')]
    assert checks[0].listen and not checks[4].listen and not checks[2].expect


@pytest.mark.parametrize('pair, message', [
    (dict(protocol='sctp'), "pairs[0].protocol: 'sctp' is not one of"),
    (dict(protocol='tcp', port=0), 'pairs[0].port: protocol tcp needs a port of 1 to 65535, not 0'),
    (dict(size=48), 'pairs[0].size: 48 is not a packet size of 49 to 65535'),
    (dict(size=70000), 'pairs[0].size: 70000'),
    (dict(listen=True), 'pairs[0]: port and listen need protocol tcp or udp'),
    (dict(protocol='udp', port=5, size=100), 'pairs[0].size: a path MTU check is a ping'),
])
def test_plan_refuses_checks_that_mean_nothing(pair, message):
    with pytest.raises(ValueError) as err:
        reach.plan_probes(NODES, [dict(pair, src='a', dst='b')])
    assert message in str(err.value)


def test_a_listener_needs_a_node_to_listen_in():
    with pytest.raises(ValueError, match='only in a node'):
        reach.plan_probes(NODES, [dict(src='a', dst='10.9.9.9', protocol='tcp', port=80)])


def port_row(outcome, expect=True, rtt=None):
    check = ports.PortCheck('a', 'b', '10.0.0.2', 'tcp', 80, expect)
    check.outcome, check.rtt = outcome, rtt
    return check.result()


def test_port_rows_pass_on_an_answer_or_on_none_as_expected():
    assert port_row('connected', rtt=0.5)['ok'] and port_row('connected', rtt=0.5)['rtt_avg'] == 0.5
    assert not port_row('refused')['ok'] and port_row('refused', expect=False)['ok']
    assert not port_row('connected', expect=False)['ok']
    assert reach.problem_lines([port_row('timeout')]) == ['a -> b (10.0.0.2 tcp 80): timeout']


def test_the_matrix_shows_plain_pings_only():
    assert reach.matrix_lines([port_row('connected')]) == []


def rows():
    good = reach.Probe('a', 'b', '10.0.0.2')
    good.sent, good.rtts = 2, [0.1, 0.3]
    leak = reach.Probe('a', 'b', '10.0.0.2', expect=False, size=1500)
    leak.sent, leak.rtts = 2, [0.2]
    broken = reach.Probe('a', 'b', 'fd00::2')
    broken.sent, broken.error = 0, 'namespace a does not exist'
    return [good.result(0), leak.result(0), broken.result(0), port_row('refused')]


def test_junit_is_valid_xml_with_a_testcase_per_row():
    text = junit.junit_xml(rows(), 'lab1', attempts=2)
    root = ET.fromstring(text.encode())
    assert text.startswith('<?xml') and root.tag == 'testsuites'
    suite = root.find('testsuite')
    assert (suite.get('name'), suite.get('tests'), suite.get('failures'), suite.get('errors')) == \
        ('lab1', '4', '2', '1')
    names = [case.get('name') for case in suite.findall('testcase')]
    assert names == ['a -> b (10.0.0.2) icmp', 'a -> b (10.0.0.2) icmp 1500 DF',
                     'a -> b (fd00::2) icmp', 'a -> b (10.0.0.2) tcp 80']
    cases = suite.findall('testcase')
    assert cases[0].find('failure') is None and cases[0].get('classname') == 'lab1.a'
    assert cases[1].find('failure').get('type') == 'leak'
    assert cases[2].find('error').text == 'namespace a does not exist'
    assert cases[3].find('failure').get('message') == 'a -> b (10.0.0.2 tcp 80): refused'
    assert suite.find('properties/property').get('value') == '2'


def test_junit_escapes_what_xml_cannot_hold_as_is():
    row = port_row('refused')
    row['src'] = 'a<&>"b'
    suite = ET.fromstring(junit.junit_xml([row], 's"<').encode()).find('testsuite')
    assert suite.get('name') == 's"<' and suite.find('testcase').get('name').startswith('a<&>"b ->')


class Counted(object):
    def __init__(self, ok):
        self.ok = ok

    def result(self, max_loss):
        return dict(ok=self.ok)


def test_retries_stop_at_the_first_attempt_that_holds(monkeypatch):
    monkeypatch.setattr(reach.time, 'sleep', lambda seconds: None)
    answers = iter([False, False, True, True])
    rows, attempts = reach.until_as_expected(lambda: [Counted(next(answers))], lambda checks: None,
                                             retries=5)
    assert attempts == 3 and rows == [dict(ok=True)]
    rows, attempts = reach.until_as_expected(lambda: [Counted(False)], lambda checks: None, retries=2)
    assert attempts == 3 and rows == [dict(ok=False)]


def test_tcpdump_command_writes_the_pcap_to_its_output():
    assert capture.tcpdump_argv('/usr/bin/tcpdump', 'eth0', count=5, snaplen=96,
                                bpf_filter='icmp or arp', promiscuous=False) == \
        ['/usr/bin/tcpdump', '-i', 'eth0', '-n', '-U', '-w', '-', '-c', '5', '-s', '96', '-p',
         '--', 'icmp or arp']


def test_tcpdump_counts_are_read_from_its_last_words():
    stderr = (b'tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n'
              b'6 packets captured\n7 packets received by filter\n0 packets dropped by kernel\n')
    assert capture._counts(stderr) == dict(packets=6, received_by_filter=7, dropped_by_kernel=0)
    assert capture._counts(b'')['packets'] is None
