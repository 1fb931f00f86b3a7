# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The dummy kind (module_utils/_kinds/specs.py DUMMY) has no options of
    # its own: a dummy link is configured with the common link options
    # (vnet.linux.link). What the kind needs is said once, here.
    DOCUMENTATION = r'''
options: {}
notes:
  - A dummy link has no kind options; it takes the common link settings
    (MTU, MAC address, addresses, admin state, master, alias, queue length).
  - Needs a kernel with the dummy driver (C(CONFIG_DUMMY), module C(dummy)).
'''
