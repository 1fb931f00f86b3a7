# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology module's `generate` option: a preset's description made on
the managed host from its few parameters.

A large lab described in full is mostly Ansible's work: 1000 nodes are
0.3 MB of arguments that the controller loads, templates and sends, and
that the module's argument checks walk (7,000 sub-dicts). Generated here,
the arguments are a few bytes. The generator is the one behind the
`lab_preset` filter, so both give the same lab.
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._lab import presets

IMPAIRMENT_OPTIONS = dict((key, dict(type='str')) for key in presets.IMPAIRMENT_KEYS)

GENERATE_OPTIONS = dict(
    preset=dict(type='str', required=True, choices=list(presets.PRESETS)),
    prefix=dict(type='str'),
    nodes=dict(type='int'),
    routers=dict(type='int'),
    depth=dict(type='int'),
    fanout=dict(type='int'),
    spines=dict(type='int'),
    leaves=dict(type='int'),
    hosts_per_leaf=dict(type='int'),
    mode=dict(type='str'),
    runner=dict(type='str'),
    miimon=dict(type='int'),
    vms=dict(type='int'),
    vlans=dict(type='int'),
    hosts_per_vlan=dict(type='int'),
    customers=dict(type='int'),
    service_vlan=dict(type='int'),
    segments=dict(type='int'),
    hosts_per_segment=dict(type='int'),
    vrfs=dict(type='int'),
    hosts_per_site=dict(type='int'),
    key_dir=dict(type='path'),
    p2p_pool=dict(type='str'),
    lan_pool=dict(type='str'),
    loopback_pool=dict(type='str'),
    impairment=dict(type='dict', options=IMPAIRMENT_OPTIONS),
)

DESCRIPTION_KEYS = ('nodes', 'bridges', 'links')


def expanded(params, spec):
    """`params` with the generated nodes, bridges and links in place of
    `generate`, each entry completed with the defaults of `spec` (the
    module's argument spec) as Ansible completes a description given in
    full (spec None: as the preset gives them, for the controller's
    filters). Unchanged when there is nothing to generate."""
    wanted = params.get('generate')
    if not wanted or params.get('state') == 'absent':
        return params
    given = [key for key in DESCRIPTION_KEYS if params.get(key)]
    if given:
        raise InputError('generate: give either generate or %s, not both'
                         % ' and '.join(given))
    preset_params = dict((key, value) for key, value in wanted.items()
                         if value is not None and key != 'preset')
    preset_params['lab'] = params['lab']
    try:
        topology = presets.lab_preset(preset_params, wanted['preset'])
    except presets.PresetError as err:
        raise InputError('generate: %s' % err)
    result = dict(params)
    for key in DESCRIPTION_KEYS:
        result[key] = [with_defaults(spec[key]['options'], entry) if spec else entry
                       for entry in topology[key]]
    return result


def with_defaults(options, entry):
    """A copy of the dict `entry` with every option of `options` it lacks
    set to its default (None without one), recursing into sub-options."""
    result = {}
    for name, option in options.items():
        value = entry.get(name)
        if value is None:
            value = option.get('default')
            if isinstance(value, (list, dict)):
                value = type(value)(value)   # never share a default
        elif option.get('options'):
            if option.get('type') == 'list':
                value = [with_defaults(option['options'], item) for item in value]
            else:
                value = with_defaults(option['options'], value)
        result[name] = value
    return result


__all__ = ['GENERATE_OPTIONS', 'expanded', 'with_defaults']
