# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Every module: where it runs.
    DOCUMENTATION = r'''
options: {}
attributes:
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: [posix, Linux]
    details:
      - Linux only, as root on the managed host; the module talks to the Linux
        kernel over netlink and works in its network namespaces.
'''

    # The modules of the action group `links` (meta/runtime.yml).
    LINKS_GROUP = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/vnet.linux.links) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - vnet.linux.links
'''
