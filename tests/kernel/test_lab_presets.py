"""Every preset through the lab role and ansible-playbook, on a real kernel.

Each test builds one preset in a lab with a unique name (which prefixes its
namespaces) and checks its whole life: the check-mode plan equals what the
real build does, every expected path answers from inside the namespaces, a
second build changes nothing, verify finds no drift, and removal leaves no
namespace behind (a second removal changes nothing). The lab is removed
also when the test fails.

The presets that need kinds this machine's kernel lacks (bond, team,
ipvlan, vlan) are built in-process in the VM lane
(test_topology_generate.py): the role's life of a preset is the same for
every preset, and through ansible-playbook under the guest's emulation it
costs minutes per preset. One netem lab goes through the whole life there
(scripts/vm/pytest-in-guest.sh).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'playbooks'))
import lab_runner  # noqa: E402  (shared with tests/playbooks)

HOST_PRESETS = [
    ('p2p', {}),
    ('star', {'nodes': 4}),
    ('chain', {'routers': 4}),
    ('ring', {'routers': 5}),
    ('tree', {'depth': 2, 'fanout': 2}),
    ('leaf_spine', {'spines': 2, 'leaves': 2, 'hosts_per_leaf': 2}),
    ('macvlan_lan', {'nodes': 3}),
    ('macvlan_lan', {'nodes': 2, 'mode': 'private'}),
    ('macvtap_vms', {'vms': 2}),
    ('vxlan_overlay', {'segments': 2}),
    ('demo', {}),
]


def ids(cases):
    return ['%s-%s' % (p, '-'.join(str(v) for v in a.values()) or 'defaults') for p, a in cases]


def check_life(record, expect_paths=True):
    assert record['plan']['changed'] and record['plan']['actions']
    assert record['up']['actions'] == record['plan']['actions']
    assert record['again'] == {'changed': False, 'actions': []}
    assert record['verify'] == {'changed': False, 'actions': []}
    assert record['down']['changed'] and record['down']['actions']
    assert record['down_again'] == {'changed': False, 'actions': []}
    assert record['left_behind'] == []
    rows = record['reachability']
    if expect_paths:
        assert rows, 'no path was checked'
    assert all(row['ok'] for row in rows), rows
    assert record['verify_reachability']['broken'] == 0


def expected_inventory(record):
    names = [n['name'] for n in record['topology']['nodes']]
    return sorted(names)


@pytest.mark.parametrize('preset,params', HOST_PRESETS, ids=ids(HOST_PRESETS))
def test_preset_life_on_this_kernel(preset, params, tmp_path):
    record = lab_runner.cycle(preset, params, str(tmp_path), tag=preset[:2])
    check_life(record)
    assert sorted(record['inventory']) == expected_inventory(record)


def test_private_macvlan_keeps_siblings_apart(tmp_path):
    """Only the pairs the preset expects are checked; siblings are not among them."""
    record = lab_runner.cycle('macvlan_lan', {'nodes': 2, 'mode': 'private'}, str(tmp_path), 'mp')
    pairs = set((row['src'], row['dst']) for row in record['reachability'])
    lab = record['lab']
    assert (lab + '-n1', lab + '-gw') in pairs
    assert (lab + '-n1', lab + '-n2') not in pairs


def test_files_for_people(tmp_path):
    """Pictures, the table and the run reports land on the controller."""
    record = lab_runner.cycle('chain', {'routers': 3}, str(tmp_path), 'pf')
    base = os.path.join(str(tmp_path), 'out', 'localhost', record['lab'])
    for suffix in ('mmd', 'dot', 'topology.json', 'reachability.txt', 'up.json',
                   'verify.json', 'down.json'):
        assert os.path.isfile(base + '.' + suffix), suffix
    with open(base + '.reachability.txt') as handle:
        table = handle.read()
    assert 'from' in table and 'BROKEN' not in table
    with open(base + '.mmd') as handle:
        assert record['lab'] + '-r2' in handle.read()
    if lab_runner.has_dot():
        with open(base + '.svg') as handle:
            assert '<svg' in handle.read()


@pytest.mark.guest_kernel
def test_impaired_chain(tmp_path):
    """netem delay on every endpoint: each hop adds it twice to the round trip."""
    params = {'routers': 3, 'impairment': {'delay': '20ms'}}
    record = lab_runner.cycle('chain', params, str(tmp_path), 'im', write_files=False,
                              max_loss=34)
    check_life(record)
    for row in record['reachability']:
        assert row['rtt_min'] >= 40, row
