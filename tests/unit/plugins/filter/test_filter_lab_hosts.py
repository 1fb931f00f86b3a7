"""A lab spread over hosts, seen from the controller: lab_hosts, the
underlay of each host, the pings each host sends, the joined table, the
pictures grouped by host and the inventory of each host's nodes."""

import copy
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vnet.linux.plugins.filter.lab_hosts import (
    lab_host_names,
    lab_junit,
    lab_reachability_merge,
    lab_reachability_pairs,
    lab_spread_hosts,
)
from ansible_collections.vnet.linux.plugins.filter.lab_views import (
    lab_dot,
    lab_inventory_hosts,
    lab_mermaid,
)

GROUPS = {'all': ['hb', 'ha', 'hc'], 'lab': ['hb', 'ha'], 'ungrouped': ['hc']}
SPREAD = {'this_host': 'ha', 'placement': 'none',
          'hosts': {'ha': {'address': '10.77.0.1'}, 'hb': {'address': '10.77.0.2'}}}
# r1 on ha, r2 and h2 on hb: one veth link crosses, the LAN br0 (home ha) spreads
LAB = {
    'lab': 'mh',
    'nodes': [{'name': 'r1', 'host': 'ha'}, {'name': 'r2', 'host': 'hb'},
              {'name': 'sw', 'host': 'ha'}, {'name': 'h1', 'host': 'ha'},
              {'name': 'h2', 'host': 'hb'}],
    'bridges': [{'name': 'br0', 'node': 'sw'}],
    'links': [
        {'endpoints': [{'node': 'r1', 'name': 'eth0', 'addresses': ['10.1.0.1/24']},
                       {'node': 'r2', 'name': 'eth0', 'addresses': ['10.1.0.2/24']}]},
        {'endpoints': [{'node': 'h1', 'name': 'eth0', 'addresses': ['10.2.0.1/24']},
                       {'bridge': 'br0', 'name': 'h1-p'}]},
        {'endpoints': [{'node': 'h2', 'name': 'eth0', 'addresses': ['10.2.0.2/24']},
                       {'bridge': 'br0', 'name': 'h2-p'}]},
    ],
    'spread': SPREAD,
}


def test_host_names_default_to_the_host_running_the_role():
    assert lab_host_names([], GROUPS, 'hc') == ['hc']
    assert lab_host_names('', GROUPS, 'localhost') == ['localhost']


def test_host_names_from_a_group_a_list_or_a_comma_list_sorted():
    assert lab_host_names('lab', GROUPS, 'ha') == ['ha', 'hb']
    assert lab_host_names('hc, ha', GROUPS, 'ha') == ['ha', 'hc']
    assert lab_host_names(['lab', 'hc'], GROUPS, 'ha') == ['ha', 'hb', 'hc']
    # the implicit localhost is not in the inventory's groups
    assert lab_host_names('localhost', GROUPS, 'localhost') == ['localhost']


def test_host_names_refuse_unknown_names():
    with pytest.raises(AnsibleFilterError, match="'nope' is neither a host nor a group"):
        lab_host_names('ha,nope', GROUPS, 'ha')


def test_spread_hosts_from_host_vars_then_the_default_route():
    hostvars = {'ha': {'vnet_underlay_address': '10.77.0.1', 'vnet_underlay_mtu': '9000'},
                'hb': {'ansible_default_ipv4': {'address': '192.0.2.7'}}}
    assert lab_spread_hosts(['ha', 'hb'], hostvars) == {
        'ha': {'address': '10.77.0.1', 'mtu': 9000},
        'hb': {'address': '192.0.2.7', 'mtu': 1500}}


def test_spread_hosts_name_the_host_without_an_address():
    with pytest.raises(AnsibleFilterError, match='host hb has no underlay address'):
        lab_spread_hosts(['ha', 'hb'], {'ha': {'vnet_underlay_address': '10.0.0.1'},
                                        'hb': {}})


def test_pairs_of_a_host_are_those_from_its_nodes():
    pairs = lab_reachability_pairs(LAB, [], 'hb')
    assert pairs and set(p['src'] for p in pairs) == {'r2', 'h2'}
    assert {'src': 'h2', 'dst': 'h1'} in pairs and {'src': 'r2', 'dst': 'r1'} in pairs


def test_pairs_of_all_hosts_are_every_pair_once():
    every = lab_reachability_pairs(LAB, [])
    per_host = lab_reachability_pairs(LAB, [], 'ha') + lab_reachability_pairs(LAB, [], 'hb')
    assert sorted(map(repr, per_host)) == sorted(map(repr, every))
    assert len(every) == 4 * 3


def test_pairs_leave_out_nodes_on_hosts_that_did_not_converge():
    pairs = lab_reachability_pairs(LAB, [], 'ha', ['hb'])
    assert pairs == [{'src': 'r1', 'dst': 'h1'}, {'src': 'h1', 'dst': 'r1'}]


def test_pairs_given_or_expected_are_kept_and_split():
    lab = dict(LAB, expect=[{'src': 'h1', 'dst': 'h2'}, {'src': 'h2', 'dst': '10.2.0.1'}])
    assert lab_reachability_pairs(lab, [], 'ha') == [{'src': 'h1', 'dst': 'h2'}]
    assert lab_reachability_pairs(lab, [], 'hb') == [{'src': 'h2', 'dst': '10.2.0.1'}]


def test_pairs_of_a_lab_on_one_host_are_all_of_them():
    lab = dict((k, v) for k, v in LAB.items() if k != 'spread')
    lab['nodes'] = [{'name': n['name']} for n in lab['nodes']]
    assert len(lab_reachability_pairs(lab, [], 'ha')) == 12


def _row(src, dst, ok=True):
    return {'src': src, 'dst': dst, 'address': '10.0.0.1', 'sent': 3, 'received': 3 if ok else 0,
            'loss': 0.0 if ok else 100.0, 'rtt_min': 0.1, 'rtt_avg': 0.1, 'rtt_max': 0.1,
            'reachable': ok, 'expected': True, 'ok': ok}


def test_merge_joins_the_rows_of_every_host_and_skips_skipped_ones():
    merged = lab_reachability_merge([
        {'results': [_row('r1', 'r2')]}, {'skipped': True},
        {'results': [_row('r2', 'r1', ok=False)]}])
    assert merged['summary'] == {'paths': 2, 'ok': 1, 'broken': 1}
    assert merged['problems'] == ['r2 -> r1 (10.0.0.1): 100% loss']
    assert len(merged['table']) == 3 and merged['matrix'][1].startswith('r1')


def test_junit_of_joined_hosts_counts_every_row_and_the_most_attempts():
    merged = lab_reachability_merge([{'results': [_row('r1', 'r2')], 'attempts': 1},
                                     {'results': [_row('r2', 'r1', ok=False)], 'attempts': 4}])
    assert merged['attempts'] == 4
    suite = ET.fromstring(lab_junit(merged, 'lab9').encode()).find('testsuite')
    assert (suite.get('name'), suite.get('tests'), suite.get('failures')) == ('lab9', '2', '1')
    assert suite.find('properties/property').get('value') == '4'
    with pytest.raises(AnsibleFilterError):
        lab_junit(['not', 'a', 'result'])


def test_mermaid_groups_nodes_by_host():
    text = lab_mermaid(LAB)
    assert '  subgraph host_ha ["host ha"]' in text and '  subgraph host_hb ["host hb"]' in text
    ha = text[text.index('host_ha ['):text.index('host_hb [')]
    assert 'n_r1[' in ha and 'n_sw_ns' in ha and 'n_r2[' not in ha
    # the crossing link is labelled with its tunnel
    assert '10.1.0.2/24 [vxlan]' in text


def test_pictures_of_a_lab_on_one_host_have_no_host_groups():
    lab = dict((k, v) for k, v in LAB.items() if k != 'spread')
    lab['nodes'] = [{'name': n['name']} for n in lab['nodes']]
    assert 'host_' not in lab_mermaid(lab) and 'cluster_host' not in lab_dot(lab)
    one = copy.deepcopy(LAB)
    one['nodes'] = [dict(n, host='ha') for n in one['nodes']]
    assert 'host_' not in lab_mermaid(one)


def test_dot_has_a_cluster_per_host():
    text = lab_dot(LAB)
    assert text.count('subgraph cluster_host_') == 2 and 'label="host hb"' in text
    if shutil.which('dot'):
        subprocess.run(['dot', '-Tsvg'], input=text.encode(), check=True, capture_output=True)


def test_inventory_hosts_of_a_spread_lab_come_from_their_host():
    hostvars = {'ha': {'lab_current': LAB},
                'hb': {'lab_current': dict(LAB, spread=dict(SPREAD, this_host='hb'))}}
    entries = lab_inventory_hosts(['ha', 'hb'], hostvars)
    assert sorted((e['name'], e['lab_host']) for e in entries) == [
        ('h1', 'ha'), ('h2', 'hb'), ('r1', 'ha'), ('r2', 'hb'), ('sw', 'ha')]
