# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Every module: where it runs, and what the attributes every module
    # declares mean (each module gives its own support and details).
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
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
