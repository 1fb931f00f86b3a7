# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options of every module that changes the kernel (module_utils/_engine/guard.py
    # and module_utils/_engine/lock.py enforce them).
    DOCUMENTATION = r'''
options:
  allow_collateral:
    description:
      - Some steps remove more than the object they name, because the kernel removes
        it with them. Deleting a veth end deletes its peer; deleting a namespace deletes
        every link inside it and the veth peers of those links in other namespaces;
        deleting a link deletes the macvlan, macvtap, ipvlan and ipvtap links stacked
        on it, wherever they are. The plan and check mode list such collateral objects.
      - A veth peer goes as the other end of the pair that the task deletes (or, for a
        lab, that the lab's mark owns). A stacked link that the task does not name (and,
        for a lab, that the lab's mark does not own), or a veth peer whose pair is not
        the task's or the lab's, is foreign, and the run is refused before anything
        changes, with a message that names it. Set C(true) to let it go with the rest.
      - The lock-out guard (C(allow_disruptive)) still applies to collateral objects.
    type: bool
    default: false
  lock_timeout:
    description:
      - Seconds to wait for another run on the same host that works on the same
        objects (the same lab, or the same namespace for the single-link modules).
        Runs serialise on a lock held from before they read the kernel until they
        verified; runs on other labs or namespaces go on in parallel.
      - On timeout the run fails before it changes anything, naming the run it waited
        for (its process id, its task and since when).
    type: int
    default: 300
'''
