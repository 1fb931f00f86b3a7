"""vnet.linux.reachability beyond ping, on the machine's kernel, in a lab
the test builds (and removes): an isolated pair, TCP and UDP ports with the
module's own listeners, path MTU checks through a router onto a smaller
MTU, retries until a link comes up, and the JUnit file read back."""

import subprocess
import threading
import time
import xml.etree.ElementTree as ET

from conftest import run_module


def build(lab):
    """a - r - b, the r-b link with MTU 1400; c hangs off b, and nothing
    routes between a and c (the isolated pair)."""
    a, r, b, c = lab.n('a'), lab.n('r'), lab.n('b'), lab.n('c')
    result = lab.run(
        nodes=[dict(name=a, routes=[dict(dst='default', via='10.71.1.1')]),
               dict(name=r, sysctls={'net.ipv4.ip_forward': 1}),
               dict(name=b, routes=[dict(dst='default', via='10.71.2.1')]),
               dict(name=c)],
        links=[dict(endpoints=[dict(node=a, name='eth0', addresses=['10.71.1.2/24']),
                               dict(node=r, name='eth0', addresses=['10.71.1.1/24'])]),
               dict(endpoints=[dict(node=r, name='eth1', addresses=['10.71.2.1/24'], mtu=1400),
                               dict(node=b, name='eth0', addresses=['10.71.2.2/24'], mtu=1400)]),
               dict(endpoints=[dict(node=b, name='eth1', addresses=['10.71.3.1/24']),
                               dict(node=c, name='eth0', addresses=['10.71.3.2/24'])])])
    assert not result.get('failed'), result
    nodes = {a: ['10.71.1.2'], r: ['10.71.1.1'], b: ['10.71.2.2'], c: ['10.71.3.2']}
    return nodes, a, b, c


def checks(a, b, c, flip=False):
    """Checks that all hold in the lab; with flip, each asks the opposite
    (and so each must fail)."""
    def pair(expect, **check):
        return dict(check, expect=expect != flip)
    return [pair(True, src=a, dst=b),
            pair(False, src=a, dst=c),
            pair(True, src=a, dst=b, protocol='tcp', port=8080),
            pair(True, src=a, dst=b, protocol='udp', port=5353),
            pair(False, src=a, dst=c, protocol='tcp', port=8080),
            pair(True, src=a, dst=b, size=1400),
            pair(False, src=a, dst=b, size=1401)]


def validate(nodes, pairs, **extra):
    args = dict(nodes=nodes, pairs=pairs, count=2, interval=0.05, timeout=0.5, warmup=1.0)
    args.update(extra)
    return run_module('reachability', args)


def junit(path):
    suite = ET.parse(path).getroot().find('testsuite')
    return suite, dict((case.get('name'), case) for case in suite.findall('testcase'))


def test_isolation_ports_and_mtu_hold_and_go_to_junit(lab, tmp_path):
    nodes, a, b, c = build(lab)
    report = str(tmp_path / 'checks.xml')
    result = validate(nodes, checks(a, b, c), junit=report)
    assert not result.get('failed'), result['table']
    by_check = dict((row['check'], row) for row in result['results'] if row['dst'] == b)
    assert by_check['tcp 8080']['outcome'] == 'connected'
    assert by_check['udp 5353']['outcome'] == 'answered'
    assert by_check['icmp 1400 DF']['received'] == 2
    assert by_check['icmp 1401 DF']['received'] == 0 and by_check['icmp 1401 DF']['ok']
    assert result['summary'] == {'paths': 7, 'ok': 7, 'broken': 0} and result['attempts'] == 1
    assert any('tcp 8080' in line and 'ok (isolated as expected)' in line for line in result['table'])
    assert result['junit'] == report
    suite, cases = junit(report)
    assert (suite.get('tests'), suite.get('failures'), suite.get('errors')) == ('7', '0', '0')
    assert '%s -> %s (10.71.2.2) tcp 8080' % (a, b) in cases
    assert not any(case.find('failure') is not None for case in cases.values())


def test_each_check_fails_when_it_expects_the_opposite(lab, tmp_path):
    nodes, a, b, c = build(lab)
    report = str(tmp_path / 'flipped.xml')
    result = validate(nodes, checks(a, b, c, flip=True), junit=report)
    assert result['failed'] and result['summary'] == {'paths': 7, 'ok': 0, 'broken': 7}, result
    problems = '\n'.join(result['problems'])
    assert '%s -> %s (10.71.3.2 tcp 8080): timeout' % (a, c) in problems
    assert '%s -> %s (10.71.2.2 icmp 1401 DF): 100%% loss' % (a, b) in problems
    assert '%s -> %s (10.71.2.2 udp 5353): answers, expected no reply' % (a, b) in problems
    suite, cases = junit(report)
    assert (suite.get('tests'), suite.get('failures')) == ('7', '7')
    failure = cases['%s -> %s (10.71.2.2) icmp 1400 DF' % (a, b)].find('failure')
    assert failure.get('type') == 'leak' and 'answers, expected no reply' in failure.get('message')


def test_a_port_nobody_listens_on_is_refused(lab):
    nodes, a, b, _c = build(lab)
    result = validate(nodes, [dict(src=a, dst=b, protocol='tcp', port=8081, listen=False)])
    assert result['failed'] and result['results'][0]['outcome'] == 'refused', result
    assert 'BROKEN (refused)' in result['table'][1]


def test_bad_checks_are_refused_before_any_traffic(lab):
    nodes, a, b, _c = build(lab)
    for pair, message in [
            (dict(src=a, dst=b, protocol='tcp'), 'pairs[0].port: protocol tcp needs a port'),
            (dict(src=a, dst=b, size=40), 'pairs[0].size: 40 is not a packet size of 49'),
            (dict(src=a, dst=b, protocol='udp', port=53, size=1400), 'pairs[0].size: a path MTU'),
            (dict(src=a, dst='10.71.2.2', protocol='tcp', port=80), 'listener only in a node'),
            (dict(src=a, dst=b, port=80), 'pairs[0]: port and listen need protocol tcp or udp')]:
        result = validate(nodes, [pair])
        assert result['failed'] and message in result['msg'], (pair, result)
        assert 'results' not in result


def test_retries_wait_until_a_link_comes_up(namespaces):
    a, b = namespaces(2)
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'wa', 'type', 'veth',
                           'peer', 'name', 'wb', 'netns', b])
    for ns, dev, addr in ((a, 'wa', '10.72.0.1/24'), (b, 'wb', '10.72.0.2/24')):
        subprocess.check_call(['ip', '-n', ns, 'addr', 'add', addr, 'dev', dev])
    subprocess.check_call(['ip', '-n', b, 'link', 'set', 'wb', 'up'])   # wa stays down
    nodes = {a: ['10.72.0.1'], b: ['10.72.0.2']}
    pairs = [dict(src=a, dst=b), dict(src=a, dst=b, protocol='tcp', port=9000)]
    once = validate(nodes, pairs, warmup=0.2)
    assert once['failed'] and once['attempts'] == 1, once

    timer = threading.Timer(2.0, subprocess.check_call, [['ip', '-n', a, 'link', 'set', 'wa', 'up']])
    started = time.monotonic()
    timer.start()
    try:
        result = validate(nodes, pairs, warmup=0.2, retries=30, delay=0.3)
    finally:
        timer.join()
    assert not result.get('failed'), result
    assert result['attempts'] > 1 and time.monotonic() - started >= 2.0
    assert [row['ok'] for row in result['results']] == [True, True]


def test_retries_give_up_and_report_the_last_attempt(namespaces, tmp_path):
    a, b = namespaces(2)
    report = str(tmp_path / 'never.xml')
    result = validate({a: ['10.73.0.1'], b: ['10.73.0.2']}, [dict(src=a, dst=b)],
                      warmup=0, retries=2, delay=0.1, junit=report)
    assert result['failed'] and result['attempts'] == 3, result
    suite, _cases = junit(report)
    prop = suite.find('properties/property')
    assert (prop.get('name'), prop.get('value')) == ('attempts', '3')


def test_checks_a_vm_guest_cannot_run_are_refused_before_any_traffic():
    """From inside a VM guest only pings are checked, and no listener of
    the module's runs in a guest."""
    nodes = {'vm1': ['192.0.2.10'], 'r1': ['192.0.2.1']}
    guests = {'vm1': {'address': '192.0.2.10', 'via': 'r1'}}
    for pair, message in [
            (dict(src='vm1', dst='r1', protocol='tcp', port=22), 'checks tcp 22 from inside the VM '
             'guest vm1; from a guest only pings are checked'),
            (dict(src='vm1', dst='r1', size=1400), 'checks icmp 1400 DF from inside the VM guest'),
            (dict(src='r1', dst='vm1', protocol='tcp', port=22), 'cannot run in the VM guest vm1; '
             'give listen=false')]:
        result = run_module('reachability', {'nodes': nodes, 'guests': guests, 'pairs': [pair]})
        assert result.get('failed') and message in result['msg'], (pair, result)
        assert 'results' not in result
