"""The topology module's `generate` option gives, on the managed host,
exactly the description the `lab_preset` filter gives on the controller,
after Ansible's argument handling of each."""

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.vnet.linux.plugins.filter.lab_presets import lab_preset
from ansible_collections.vnet.linux.plugins.filter.lab_views import lab_module_args
from ansible_collections.vnet.linux.plugins.module_utils._lab.generate import (
    DESCRIPTION_KEYS,
    expanded,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import (
    TOPOLOGY_SPEC,
    InputError,
    build,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.presets import PRESETS

CASES = [(name, {}) for name in PRESETS] + [
    ('star', {'nodes': 300}),
    ('star_chain', {'nodes': 1000, 'prefix': 'b'}),
    ('chain', {'routers': 6, 'impairment': {'delay': '10ms', 'loss': '1%'}}),
    ('tree', {'depth': 3, 'fanout': 2, 'p2p_pool': '172.16.0.0/24',
              'loopback_pool': '192.0.2.0/26'}),
    ('leaf_spine', {'spines': 2, 'leaves': 3, 'hosts_per_leaf': 2, 'lan_pool': '10.9.0.0/16'}),
    ('macvlan_lan', {'mode': 'private', 'nodes': 4}),
    ('ipvlan_lan', {'mode': 'l3'}),
    ('bond_host', {'mode': 'balance-rr', 'miimon': 50}),
    ('team_host', {'runner': 'roundrobin'}),
    ('macvtap_vms', {'vms': 3, 'mode': 'vepa'}),
]


def module_params(args):
    """What AnsibleModule hands the module for these arguments."""
    checked = ArgumentSpecValidator(TOPOLOGY_SPEC).validate(args)
    assert not checked.error_messages, checked.error_messages
    return checked.validated_parameters


@pytest.mark.parametrize('name,params', CASES)
def test_generated_on_the_host_equals_the_filter_output(name, params):
    given_in_full = module_params(lab_module_args(lab_preset(dict(params, lab='g'), name)))
    generated = expanded(module_params({'lab': 'g', 'generate': dict(params, preset=name)}),
                         TOPOLOGY_SPEC)
    for key in DESCRIPTION_KEYS:
        assert generated[key] == given_in_full[key], key
    assert len(build(generated).ifaces) == len(build(given_in_full).ifaces)


def test_defaults_are_not_shared_between_entries():
    generated = expanded(module_params({'lab': 'g', 'generate': {'preset': 'star'}}),
                         TOPOLOGY_SPEC)
    first, second = generated['nodes'][1], generated['nodes'][2]
    assert first['routes'] == [] and first['routes'] is not second['routes']


def test_nothing_to_generate_leaves_the_arguments_alone():
    params = module_params({'lab': 'g', 'nodes': [{'name': 'a'}]})
    assert expanded(params, TOPOLOGY_SPEC) is params
    absent = module_params({'lab': 'g', 'state': 'absent', 'generate': {'preset': 'star'}})
    assert expanded(absent, TOPOLOGY_SPEC)['nodes'] == []


def test_generate_and_a_description_are_refused_together():
    params = module_params({'lab': 'g', 'generate': {'preset': 'p2p'},
                            'nodes': [{'name': 'a'}]})
    with pytest.raises(InputError, match='generate: give either generate or nodes, not both'):
        expanded(params, TOPOLOGY_SPEC)


@pytest.mark.parametrize('generate,message', [
    ({'preset': 'star', 'nodes': 1024}, 'generate: preset parameter nodes must be between 2 and 1023'),
    ({'preset': 'macvlan_lan', 'mode': 'l2'}, 'generate: preset parameter mode must be one of'),
    ({'preset': 'chain', 'p2p_pool': '10.0.0.1/16'}, 'generate: p2p_pool'),
    ({'preset': 'star', 'prefix': 'much-too-long-'}, 'generate: node name .* longer than 15'),
])
def test_bad_preset_parameters_name_generate(generate, message):
    with pytest.raises(InputError, match=message):
        expanded(module_params({'lab': 'g', 'generate': generate}), TOPOLOGY_SPEC)


def test_an_unknown_preset_is_refused_by_the_argument_spec():
    checked = ArgumentSpecValidator(TOPOLOGY_SPEC).validate(
        {'lab': 'g', 'generate': {'preset': 'nosuch'}})
    assert 'generate' in ' '.join(checked.error_messages)
