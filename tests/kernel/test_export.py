"""topology_info's export on the machine's kernel: the script it writes
builds the lab again from nothing, and what is read back then is what was
read before (the facts round trip); the topology module owns it.

The guest's kernel has the kinds this machine lacks (netem, bond, team):
the guest_kernel test adds them.
"""

import subprocess

import pytest

from conftest import run_module


def _strip_counters(facts):
    return dict((key, facts[key]) for key in ('nodes', 'bridges', 'links', 'other_links'))


def _description(lab, extra_links=(), impairment=None):
    r1, r2, sw = lab.n('a'), lab.n('b'), lab.n('s')
    first = {'node': r1, 'name': 'eth0', 'addresses': ['10.1.0.0/31', 'fd00:1::1/64']}
    if impairment:
        first['impairment'] = impairment
    return dict(
        nodes=[{'name': r1, 'loopback': ['10.255.0.1/32'],
                'sysctls': {'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '1'},
                'routes': [{'dst': '10.9.0.0/16', 'via': '10.1.0.1'},
                           {'dst': 'fd00:9::/64', 'via': 'fd00:1::2'}]},
               {'name': r2, 'routes': [{'dst': '10.255.0.1/32', 'via': '10.1.0.0'},
                                       {'dst': '10.8.0.0/16', 'dev': 'mv0', 'metric': 20}]},
               {'name': sw}],
        bridges=[{'name': 'br0', 'node': sw, 'stp': False, 'addresses': ['10.2.0.254/24']}],
        links=[{'endpoints': [first, {'node': r2, 'name': 'eth0', 'mtu': 1400,
                                      'addresses': ['10.1.0.1/31', 'fd00:1::2/64']}]},
               {'endpoints': [{'node': r1, 'name': 'eth1', 'addresses': ['10.2.0.1/24']},
                              {'bridge': 'br0', 'name': 'p1'}]},
               {'endpoints': [{'node': r2, 'name': 'eth1'}, {'bridge': 'br0', 'name': 'p2'}]},
               {'kind': 'macvlan', 'node': r2, 'name': 'mv0', 'parent': 'eth1', 'mode': 'bridge',
                'addresses': ['10.2.0.2/24']},
               {'kind': 'vxlan', 'node': r1, 'name': 'vx0', 'addresses': ['10.3.0.1/24'],
                'options': {'vni': 42, 'local': '10.1.0.0', 'dstport': 4789,
                            'fdb': [{'mac': '00:00:00:00:00:00', 'dst': '10.1.0.1'},
                                    {'mac': '02:00:00:00:00:42', 'dst': '10.1.0.1'}]}}]
        + list(extra_links))


def _round_trip(lab, tmp_path, description):
    built = lab.run(**description)
    assert built['changed'] and not built.get('failed'), built.get('msg')
    before = lab.info()
    script = tmp_path / 'lab.sh'
    exported = run_module('topology_info', {'lab': lab.name, 'export': {'script': str(script)}})
    assert exported['changed'] and exported['export']['files'] == [str(script)]
    text = script.read_text()
    assert text.startswith('#!/bin/sh\n') and 'set -eu' in text
    # written once: a second export with the same lab changes nothing
    again = run_module('topology_info', {'lab': lab.name, 'export': {'script': str(script)}})
    assert not again['changed']
    removed = run_module('topology', {'lab': lab.name, 'state': 'absent'})
    assert removed['changed'] and lab.namespaces() == [], removed
    ran = subprocess.run(['sh', str(script)], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr + text
    after = lab.info()
    assert _strip_counters(after) == _strip_counters(before)
    # the topology module owns what the script built: nothing to do
    rerun = lab.run(**description)
    assert not rerun['changed'], rerun.get('plan')
    return text


def test_the_exported_script_builds_the_lab_again(lab, tmp_path):
    text = _round_trip(lab, tmp_path, _description(lab))
    assert 'bridge fdb append 02:00:00:00:00:42 dev vx0 dst 10.1.0.1 self permanent' in text


def test_check_mode_writes_no_script_and_says_so(lab, tmp_path):
    lab.run(**_description(lab))
    script = tmp_path / 'lab.sh'
    checked = run_module('topology_info', {'lab': lab.name, 'export': {'script': str(script)}},
                         check=True)
    assert checked['changed'] and checked['export']['files'] == [str(script)]
    assert not script.exists()
    assert checked['diff'][0]['before'] == '' and 'ip netns add' in checked['diff'][0]['after']


def test_export_needs_a_lab():
    failed = run_module('topology_info', {'export': {'script': '/tmp/never.sh'}})
    assert failed.get('failed') and 'lab' in failed['msg']


def test_the_root_namespace_part_as_networkd_files(lab, tmp_path):
    ns = lab.n('a')
    lab.run(nodes=[{'name': 'host', 'root': True,
                    'routes': [{'dst': '10.78.0.0/24', 'via': '10.77.0.2'}]}, {'name': ns}],
            bridges=[{'name': lab.n('br'), 'node': 'host', 'stp': False,
                      'addresses': ['10.77.0.1/24']}],
            links=[{'endpoints': [{'bridge': lab.n('br'), 'name': lab.n('h')},
                                  {'node': ns, 'name': 'eth0'}]}])
    result = run_module('topology_info', {'lab': lab.name,
                                          'export': {'networkd_dir': str(tmp_path)}})
    assert result['changed']
    # of the host's routes only the lab's are read (and exported), never
    # the host's own (its default route above all)
    host = [node for node in result['nodes'] if node.get('root')]
    assert [node['name'] for node in host] == ['host']
    assert host[0]['routes'] == [{'dst': '10.78.0.0/24', 'via': '10.77.0.2', 'dev': lab.n('br')}]
    netdev = (tmp_path / ('50-vnet-%s-%s.netdev' % (lab.name, lab.n('br')))).read_text()
    assert 'Kind=bridge' in netdev and 'STP=no' in netdev
    network = (tmp_path / ('50-vnet-%s-%s.network' % (lab.name, lab.n('br')))).read_text()
    assert 'Address=10.77.0.1/24' in network
    assert '[Route]\nDestination=10.78.0.0/24\nGateway=10.77.0.2\n' in network
    assert any('its peer is in a namespace' in line
               for line in result['export']['not_exported'])


@pytest.mark.guest_kernel
def test_the_exported_script_builds_bonds_teams_and_impairments(lab, tmp_path):
    r1 = lab.n('a')
    extra = [{'kind': 'dummy', 'node': r1, 'name': 'd0'},
             {'kind': 'dummy', 'node': r1, 'name': 'd1'},
             {'kind': 'dummy', 'node': r1, 'name': 'd2'},
             {'kind': 'bond', 'node': r1, 'name': 'bond0', 'mode': 'active-backup',
              'options': {'miimon': 100}, 'ports': [{'name': 'd0', 'prio': 3}],
              'addresses': ['10.4.0.1/24']},
             {'kind': 'team', 'node': r1, 'name': 'team0', 'runner': 'activebackup',
              'ports': ['d1', 'd2'], 'addresses': ['10.5.0.1/24']},
             {'kind': 'vlan', 'node': r1, 'name': 'bond0.7', 'parent': 'bond0',
              'options': {'id': 7}}]
    _round_trip(lab, tmp_path, _description(
        lab, extra, impairment={'delay': '10ms', 'jitter': '2ms', 'loss': '1%'}))
