# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters `lab_preset` and `lab_preset_names`: common lab topologies in the
input format of vnet.linux.topology, generated on the controller.

The generator lives in module_utils/_lab/presets.py, so that the topology
module's `generate` option makes the same description on the managed host.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.vnet.linux.plugins.module_utils._lab import presets


def lab_preset(params, name):
    """Filter: `{{ {'lab': 'x', 'nodes': 4} | vnet.linux.lab_preset('star') }}`."""
    try:
        return presets.lab_preset(params, name)
    except presets.PresetError as err:
        raise AnsibleFilterError(str(err)) from err


def lab_preset_names(_unused=None):
    """Filter: the names of the presets (for surveys and error messages)."""
    return presets.lab_preset_names()


class FilterModule(object):
    def filters(self):
        return {
            'lab_preset': lab_preset,
            'lab_preset_names': lab_preset_names,
        }
