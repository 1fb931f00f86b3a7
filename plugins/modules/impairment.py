#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: impairment
short_description: Set, change and clear netem impairments of an interface at run time
description: []
version_added: 1.3.0
author:
  - vnet.linux developers (@vnet-linux)
'''

EXAMPLES = r'''
'''

RETURN = r'''
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.runtime import run_impairment_module


def main():
    run_impairment_module()


if __name__ == '__main__':
    main()
