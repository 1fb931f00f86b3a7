"""The topology module's `generate` option on a real kernel: a lab generated
on the host is the lab of the full description the lab_preset filter gives
(same plan, and each run finds the other's lab unchanged), re-runs
unchanged, and tears down to nothing."""

import pytest
from conftest import ip, remove_namespace, run_module, unique_name
from pyroute2 import netns as pyroute2_netns

from ansible_collections.vnet.linux.plugins.filter.lab_presets import lab_preset
from ansible_collections.vnet.linux.plugins.filter.lab_views import lab_module_args, lab_ping_targets


@pytest.fixture
def lab():
    """A unique lab name (also the node prefix); whatever it made is removed."""
    name = unique_name('g')
    yield name
    run_module('topology', {'lab': name, 'state': 'absent'})
    for netns in pyroute2_netns.listnetns():
        if netns.startswith(name + '-'):
            remove_namespace(netns)


def addresses_of(netns):
    return sorted('%s %s/%d' % (link['ifname'], a['local'], a['prefixlen'])
                  for link in ip(netns, 'addr', 'show') for a in link.get('addr_info', [])
                  if a.get('family') == 'inet' and link['ifname'] != 'lo')


@pytest.mark.parametrize('preset,params', [
    ('star_chain', {'nodes': 5}),
    ('chain', {'routers': 3}),
])
def test_generated_lab_is_the_described_lab(lab, preset, params):
    full = lab_module_args(lab_preset(dict(params, lab=lab), preset))
    generated = {'lab': lab, 'generate': dict(params, preset=preset)}
    planned = run_module('topology', generated, check=True)
    assert planned['changed'] and planned['actions'] == \
        run_module('topology', full, check=True)['actions']
    built = run_module('topology', generated)
    assert built['changed'] and built['actions'] == planned['actions']
    names = [node['name'] for node in full['nodes']]
    assert sorted(n for n in pyroute2_netns.listnetns() if n.startswith(lab + '-')) == \
        sorted(names)
    wanted = {}
    for link in full['links']:
        for end in link['endpoints']:
            if 'node' in end:
                wanted.setdefault(end['node'], []).extend(
                    '%s %s' % (end['name'], cidr) for cidr in end['addresses'])
    for node, cidrs in wanted.items():
        assert addresses_of(node) == sorted(cidrs)
    assert run_module('topology', generated)['changed'] is False
    assert run_module('topology', dict(full, prune=True))['changed'] is False
    down = run_module('topology', {'lab': lab, 'state': 'absent', 'generate': generated['generate']})
    assert down['changed']
    assert [n for n in pyroute2_netns.listnetns() if n.startswith(lab + '-')] == []


@pytest.mark.guest_kernel
@pytest.mark.parametrize('preset,params', [
    ('vlan_trunk', {'vlans': 2, 'hosts_per_vlan': 1}),
    ('qinq', {'customers': 2}),
])
def test_isolation_presets_up_checked_and_down(lab, preset, params):
    """The presets whose point is isolation (only tags keep the groups
    apart), built in-process (the lab role's life of a preset through
    ansible-playbook costs minutes per preset under the guest's emulation,
    and its plumbing is the same for every preset): the paths that must
    work work, the paths that must not do not, a re-run changes nothing,
    and absent leaves nothing."""
    topology = lab_preset(dict(params, lab=lab), preset)
    generated = {'lab': lab, 'generate': dict(params, preset=preset)}
    built = run_module('topology', generated)
    assert built['changed'] and not built.get('failed'), built.get('msg')
    assert run_module('topology', generated)['changed'] is False
    checked = run_module('reachability', {'nodes': lab_ping_targets(topology),
                                          'pairs': topology['expect'], 'count': 2,
                                          'timeout': 0.5})
    assert not checked.get('failed'), checked.get('problems')
    isolated = [row for row in checked['results'] if not row['expected']]
    assert isolated and all(row['ok'] for row in isolated)
    assert checked['summary']['broken'] == 0
    down = run_module('topology', {'lab': lab, 'state': 'absent'})
    assert down['changed']
    assert [n for n in pyroute2_netns.listnetns() if n.startswith(lab + '-')] == []


def test_bad_generate_parameters_change_nothing(lab):
    result = run_module('topology', {'lab': lab, 'generate': {'preset': 'star', 'nodes': 1}})
    assert result['failed'] and 'generate: preset parameter nodes' in result['msg']
    both = run_module('topology', {'lab': lab, 'generate': {'preset': 'p2p'},
                                   'nodes': [{'name': lab + '-x'}]})
    assert both['failed'] and 'not both' in both['msg']
    assert [n for n in pyroute2_netns.listnetns() if n.startswith(lab)] == []
