# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pyroute2 the modules need on the managed host, checked first.

Every module that talks netlink through pyroute2 calls require_pyroute2()
before it reads or changes anything. An older pyroute2 (Debian 12 ships
0.7.2) imports without a word and then fails late, half way through a
change, or with an error that does not say why: it is refused here with the
version needed and the one found.
"""

from __future__ import annotations

import re
import sys

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    HAS_PYROUTE2,
    PYROUTE2_IMPORT_ERROR,
)

# The same bound as requirements.txt and the prereqs role's default
# (a unit test keeps them equal).
MINIMUM_VERSION = (0, 9, 1)
MINIMUM_TEXT = '.'.join(str(part) for part in MINIMUM_VERSION)
HOW_TO_INSTALL = ('The vnet.linux.prereqs role installs pyroute2 %s or newer on the managed '
                  'hosts (or: pip install "pyroute2>=%s").' % (MINIMUM_TEXT, MINIMUM_TEXT))


def version_tuple(text):
    """(0, 7, 2) for '0.7.2' or '0.7.2.post1'; None when it is not a version."""
    match = re.match(r'^\s*(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def too_old(found):
    """The message for pyroute2 version text `found`, or None if it will do.
    A version that cannot be read is let through: only a known old one is
    refused."""
    version = version_tuple(found)
    if version is None or version >= MINIMUM_VERSION:
        return None
    return ('pyroute2 %s or newer is needed on the managed host; the Python running this '
            'module (%s) has pyroute2 %s. %s' % (MINIMUM_TEXT, sys.executable, found, HOW_TO_INSTALL))


def pyroute2_problem():
    """(message, detail) when pyroute2 is missing or too old, else None."""
    if not HAS_PYROUTE2:
        return ('%s %s' % (missing_required_lib('pyroute2 >= %s' % MINIMUM_TEXT), HOW_TO_INSTALL),
                str(PYROUTE2_IMPORT_ERROR))
    import pyroute2  # imported already by the session module: only its version is read
    found = str(getattr(pyroute2, '__version__', ''))
    message = too_old(found)
    return (message, 'pyroute2 %s from %s' % (found, pyroute2.__file__)) if message else None


def require_pyroute2(module):
    """Fail the module, before anything is read or changed, when the
    managed host's pyroute2 is missing or older than MINIMUM_VERSION."""
    problem = pyroute2_problem()
    if problem:
        message, detail = problem
        module.fail_json(msg=message, exception=detail)


__all__ = ['require_pyroute2', 'pyroute2_problem', 'too_old', 'version_tuple', 'MINIMUM_VERSION',
           'MINIMUM_TEXT']
