"""The lab role's run-time actions (impair, flap, status, capture) and its
checks through the playbooks lab_impair.yml, lab_flap.yml, lab_status.yml,
lab_capture.yml and lab_verify.yml, with -e extra
vars as an AWX survey sends them, on a two-node lab with a unique name,
removed also on failure. The machine's kernel has no netem: impair runs in
check mode here (its real runs are the module's, tests/kernel/test_impairment.py,
in the guest lane)."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'playbooks'))
import lab_runner  # noqa: E402


@pytest.fixture
def lab(tmp_path):
    name = lab_runner.unique_lab('rt')
    yield name
    if lab_runner.namespaces_with_prefix(name):
        lab_runner.tear_down(name, name, str(tmp_path))


def compact(value):
    return json.dumps(value, separators=(',', ':'))  # -e key=value splits at spaces


def playbook(name, tmp_path, *pairs, check=False, ok=True):
    args = []
    for pair in pairs:
        args += ['-e', pair]
    result = lab_runner.run_playbook(os.path.join(lab_runner.PLAYBOOKS, name), str(tmp_path),
                                     args=args, check=check)
    if ok:
        assert result.returncode == 0, result.stdout[-5000:]
    return result


def test_status_flap_and_impair(lab, tmp_path):
    a, b = lab + 'a', lab + 'b'
    topology = 'topology=' + compact({
        'lab': lab, 'nodes': [{'name': a}, {'name': b}],
        'links': [{'endpoints': [{'node': a, 'name': 'e1', 'addresses': ['10.93.0.1/24']},
                                 {'node': b, 'name': 'e2', 'addresses': ['10.93.0.2/24']}]}]})
    playbook('lab_up.yml', tmp_path, topology, 'add_hosts=false',
             'output_dir=%s' % (tmp_path / 'out'))
    out = playbook('lab_status.yml', tmp_path, topology).stdout
    assert 'interface' in out and 'ingress' in out
    assert any(a in line and 'e1' in line and ' up ' in line for line in out.splitlines())

    flap = (topology, 'node=' + a, 'interface=e1', 'count=2', 'down_time=0.2', 'up_time=0.2')
    checked = playbook('lab_flap.yml', tmp_path, *flap, check=True).stdout
    assert "take e1 in namespace '%s' (flap 2 of 2) down for 0.2s" % a in checked
    out = playbook('lab_flap.yml', tmp_path, *flap).stdout
    assert 'changed: [localhost]' in out and '(flap 2 of 2) up' in out

    impairments = 'impairments=' + compact([
        {'node': a, 'interface': 'e1', 'direction': 'both', 'delay': '50ms'},
        {'node': b, 'interface': 'e2', 'state': 'absent'}])
    out = playbook('lab_impair.yml', tmp_path, topology, impairments, check=True).stdout
    assert "set impairment (egress) delay=50ms on e1 in namespace '%s'" % a in out
    assert "create ifb ifb-e1 in namespace '%s'" % a in out

    wrong = playbook('lab_flap.yml', tmp_path, topology, 'node=nowhere', 'interface=e1',
                     ok=False)
    assert wrong.returncode != 0 and 'lab_flaps[0]: needs node' in wrong.stdout


def test_capture_and_checks_beyond_ping(lab, tmp_path):
    """lab_capture.yml fetches a pcap of the pings the test sends meanwhile;
    the lab's expect list (a port, an isolated pair, path MTUs) holds on up
    and verify, with a JUnit file; lab_verify.yml with checks that cannot
    hold fails, and its JUnit file says which."""
    if not any(os.access(os.path.join(d, 'tcpdump'), os.X_OK) for d in ('/usr/sbin', '/usr/bin')):
        pytest.skip('tcpdump is not installed (scripts/run setup installs it)')
    a, b, c, d = lab + 'a', lab + 'b', lab + 'c', lab + 'd'   # c-d: an island
    expect = [{'src': a, 'dst': b, 'protocol': 'tcp', 'port': 8080},
              {'src': a, 'dst': c, 'expect': False},
              {'src': a, 'dst': b, 'size': 1500},
              {'src': a, 'dst': b, 'size': 1501, 'expect': False}]
    topology = 'topology=' + compact({
        'lab': lab, 'nodes': [{'name': n} for n in (a, b, c, d)], 'expect': expect,
        'links': [{'endpoints': [{'node': a, 'name': 'e1', 'addresses': ['10.94.0.1/24']},
                                 {'node': b, 'name': 'e2', 'addresses': ['10.94.0.2/24']}]},
                  {'endpoints': [{'node': d, 'name': 'e3', 'addresses': ['10.95.0.2/24']},
                                 {'node': c, 'name': 'e4', 'addresses': ['10.95.0.3/24']}]}]})
    out = str(tmp_path / 'out')
    playbook('lab_up.yml', tmp_path, topology, 'output_dir=' + out)
    files = os.path.join(out, 'localhost', lab)
    with open(files + '.reachability.txt') as handle:
        table = handle.read()
    assert 'tcp 8080' in table and 'icmp 1501 DF' in table and 'ok (isolated as expected)' in table

    capture = (topology, 'node=' + a, 'interface=e1', 'count=4', 'duration=20', 'filter=icmp',
               'output_dir=' + out)
    checked = playbook('lab_capture.yml', tmp_path, *capture, check=True).stdout
    assert "would record on e1 in namespace '%s'" % a in checked
    assert not os.path.exists(files + '.%s.e1.pcap' % a)
    pinger = subprocess.Popen(['ip', 'netns', 'exec', b, 'ping', '-i', '0.2', '-c', '150',
                               '10.94.0.1'], stdout=subprocess.DEVNULL)
    try:
        recorded = playbook('lab_capture.yml', tmp_path, *capture).stdout
    finally:
        pinger.kill()
        pinger.wait()
    assert 'recorded 4 packets on e1' in recorded
    with open(files + '.%s.e1.pcap' % a, 'rb') as handle:
        pcap = handle.read()
    # the pcap header, then 4 records of a header and a 98-byte echo frame
    assert pcap[:4] == b'\xd4\xc3\xb2\xa1' and len(pcap) == 24 + 4 * (16 + 98)

    flipped = [dict(check, expect=not check.get('expect', True)) for check in expect]
    failed = playbook('lab_verify.yml', tmp_path, topology, 'output_dir=' + out,
                      'checks=' + compact(flipped), 'check_retries=1', 'check_delay=0.1', ok=False)
    assert failed.returncode != 0 and 'tcp 8080' in failed.stdout
    suite = ET.parse(files + '.junit.xml').getroot().find('testsuite')
    assert (suite.get('tests'), suite.get('failures')) == ('4', '4')
    assert suite.find('properties/property').get('value') == '2'   # attempts

    playbook('lab_verify.yml', tmp_path, topology, 'output_dir=' + out)
    suite = ET.parse(files + '.junit.xml').getroot().find('testsuite')
    assert (suite.get('name'), suite.get('tests'), suite.get('failures')) == (lab, '4', '0')
    assert len(suite.findall('testcase')) == 4


def test_run_time_actions_reach_a_container_node(lab, tmp_path):
    """A node that is a process's namespace (nodes[].netns: pid:N): the
    role's checks, flap, capture and status reach it through its reference."""
    proc = subprocess.Popen(['unshare', '--net', 'sleep', '300'])
    try:
        router = lab + 'r'
        reference = 'pid:%d' % proc.pid
        topology = 'topology=' + compact({
            'lab': lab, 'nodes': [{'name': router}, {'name': 'web', 'netns': reference}],
            'links': [{'endpoints': [
                {'node': router, 'name': 'e1', 'addresses': ['10.94.0.1/24']},
                {'node': 'web', 'name': 'eth0', 'addresses': ['10.94.0.2/24']}]}],
            'expect': [{'src': router, 'dst': 'web'},
                       {'src': 'web', 'dst': router, 'protocol': 'tcp', 'port': 8080}]})
        out_dir = 'output_dir=%s' % (tmp_path / 'out')
        playbook('lab_up.yml', tmp_path, topology, 'add_hosts=false', out_dir)
        files = os.path.join(str(tmp_path), 'out', 'localhost', lab)
        with open(files + '.reachability.txt') as handle:
            table = handle.read()
        assert 'web' in table and 'tcp 8080' in table and ' fail' not in table, table
        flapped = playbook('lab_flap.yml', tmp_path, topology, 'node=web', 'interface=eth0',
                           'count=1', 'down_time=0.2').stdout
        assert "take eth0 in namespace '/proc/%d/ns/net' (%s) (flap 1 of 1) down" \
            % (proc.pid, reference) in flapped, flapped[-3000:]
        pinger = subprocess.Popen(['sh', '-c', 'sleep 2; ip netns exec %s ping -c 3 -i 0.3 -q '
                                   '10.94.0.2' % router], stdout=subprocess.DEVNULL)
        playbook('lab_capture.yml', tmp_path, topology, 'node=web', 'interface=eth0',
                 'duration=4', 'filter=icmp', out_dir)
        pinger.wait(30)
        assert os.path.getsize(files + '.web.eth0.pcap') > 24 + 3 * 16  # header and packets
        status = playbook('lab_status.yml', tmp_path, topology).stdout
        assert any(reference in line and 'eth0' in line for line in status.splitlines()), status
        playbook('lab_down.yml', tmp_path, topology)
        assert proc.poll() is None   # the container outlives the lab
    finally:
        proc.kill()
        proc.wait()
