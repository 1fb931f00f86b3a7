# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters `lab_share` and `lab_placement`: a lab spread over hosts, seen
from the controller.

The plan is made by module_utils/_lab/spread.py, the code the topology
module runs on each managed host for its `spread` option, so that the
controller sees exactly the share each host builds.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._lab import spread
from ansible_collections.vnet.linux.plugins.module_utils._lab.generate import expanded


def _described(lab):
    """The lab with its preset generated (`generate`), as the module does."""
    if not isinstance(lab, dict):
        raise AnsibleFilterError('the input must be a lab description (a dict), not %s'
                                 % type(lab).__name__)
    try:
        return expanded(lab, None)
    except InputError as err:
        raise AnsibleFilterError(str(err)) from err


def lab_share(lab, host=None):
    """Filter: `{{ lab | vnet.linux.lab_share('h2') }}`: what host h2 builds."""
    try:
        return spread.share(_described(lab), host)
    except spread.SpreadError as err:
        raise AnsibleFilterError(str(err)) from err


def lab_placement(lab):
    """Filter: `{{ lab | vnet.linux.lab_placement }}`: {node: host}."""
    try:
        return spread.placement(_described(lab))
    except spread.SpreadError as err:
        raise AnsibleFilterError(str(err)) from err


class FilterModule(object):
    def filters(self):
        return {
            'lab_share': lab_share,
            'lab_placement': lab_placement,
        }
