# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules checked before any netlink call.

Every function raises InputError with a message that names the field and the
rule it broke, so a task fails before it changes anything.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.vnet.linux.plugins.module_utils._netlink import namespaces
from ansible_collections.vnet.linux.plugins.module_utils._netlink.rtnl import FALLBACK_DEVICES

IFNAMSIZ = 16  # kernel buffer, including the trailing NUL
# A named namespace is a file in /run/netns: `ip netns` allows any file name
# (NAME_MAX bytes), and container runtimes use that room (cni-<uuid>, 40 bytes).
NAME_MAX = 255
_MAC = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$')


class InputError(ValueError):
    """Bad user input; raised before anything is changed."""


class NamespaceGone(InputError):
    """A namespace reference whose process, file or container is gone."""


def interface_name(value, field):
    """Kernel rules for interface names (dev_valid_name in net/core/dev.c)."""
    _name_rules(value, field, 'interface name', IFNAMSIZ - 1)
    return value


def own_link_name(value, field):
    """interface_name for a link a task or lab creates, changes or deletes:
    not a name the kernel keeps for a tunnel driver's fallback device
    (gre0, gretap0, ip6gre0, ...), which every namespace gets once the
    driver is loaded. The kernel ignores a delete of that device, refuses
    to change it, and refuses any other link of that name (a link named so
    before the driver loads makes the driver fail in that namespace)."""
    interface_name(value, field)
    if value in FALLBACK_DEVICES:
        raise InputError('%s: %s is the name of the kernel\'s own %s fallback device, which '
                         'every namespace gets once the %s driver is loaded; the kernel '
                         'never lets it be deleted or changed and refuses another link of '
                         'that name: choose another name'
                         % (field, value, FALLBACK_DEVICES[value], FALLBACK_DEVICES[value]))
    return value


def namespace_name(value, field):
    """A namespace name is a file name in /run/netns, never a path: up to
    NAME_MAX bytes (what `ip netns add` accepts), no "/", not "." or "..".

    pyroute2 joins the name to /run/netns without checking it, so a name
    with '/' would be used as a path by root. Whitespace stays refused: no
    runtime names a namespace so, and the name appears in messages and
    drawings where it would read as two words.
    """
    _name_rules(value, field, 'namespace name', NAME_MAX)
    return value


def namespace_reference(value, field):
    """Where a `netns` option points: a namespace name as today, or a
    reference to a namespace outside /run/netns (pid:1234, path:/FILE or an
    absolute path, container:NAME or container:RUNTIME/NAME; name:NAME for
    a name that would read as one). Returns the canonical value the engine
    opens (namespaces.resolve): None for the module's own namespace, a
    name, or the absolute path of a namespace file. A reference to a
    process, file or container that does not exist, or is no network
    namespace, is refused here, before anything is read or changed."""
    if not isinstance(value, str) or value == '':
        raise InputError('%s: namespace must be a non-empty string' % field)
    if not namespaces.is_reference(value):
        return namespace_name(value, field)
    if value.startswith('name:'):
        return namespace_name(value[len('name:'):], field)
    if '\0' in value:
        raise InputError('%s: namespace reference %r may not contain a NUL byte' % (field, value))
    try:
        return namespaces.resolve(value)
    except namespaces.ReferenceGone as err:
        raise NamespaceGone('%s: %s' % (field, err))
    except namespaces.ReferenceFailure as err:
        raise InputError('%s: %s' % (field, err))


def optional_namespace(value, field):
    """A namespace name or reference (namespace_reference), or None (the
    root namespace) when not given."""
    return None if value is None else namespace_reference(value, field)


def _name_rules(value, field, what, limit):
    if not isinstance(value, str) or value == '':
        raise InputError('%s: %s must be a non-empty string' % (field, what))
    if '\0' in value:
        raise InputError('%s: %s %r may not contain a NUL byte' % (field, what, value))
    size = len(value.encode('utf-8', 'surrogateescape'))
    if size > limit:
        raise InputError('%s: %s %r is %d bytes long; the limit is %d bytes'
                         % (field, what, value, size, limit))
    if value in ('.', '..'):
        raise InputError('%s: %s may not be "." or ".."' % (field, what))
    if '/' in value:
        raise InputError('%s: %s %r may not contain "/" (names are never paths)'
                         % (field, what, value))
    if any(ch.isspace() for ch in value):
        raise InputError('%s: %s %r may not contain whitespace'
                         % (field, what, value))
    if what == 'interface name' and ':' in value:
        # the kernel refuses ':' (it was the alias separator of ifconfig)
        raise InputError('%s: %s %r may not contain ":"' % (field, what, value))


def mac_address(value, field):
    """Return the MAC in the kernel's spelling (lower case, colons)."""
    text = str(value).strip().lower().replace('-', ':')
    if not _MAC.match(text):
        raise InputError('%s: %r is not a MAC address (expected six hex octets '
                         'like 02:00:00:00:00:01)' % (field, value))
    if int(text[:2], 16) & 1:
        raise InputError('%s: %r is a multicast MAC address (first octet is odd);'
                         ' an interface needs a unicast one' % (field, value))
    if text == '00:00:00:00:00:00':
        raise InputError('%s: the all-zero MAC address is not valid' % field)
    return text


def cidr(value, field):
    """Return an address with prefix length in canonical form ('10.0.0.1/24')."""
    text = str(value).strip()
    if '/' not in text:
        raise InputError('%s: %r has no prefix length; write it as a CIDR like '
                         '10.0.0.1/24 or 2001:db8::1/64' % (field, value))
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise InputError('%s: %r is not a valid IPv4 or IPv6 address with prefix '
                         'length (CIDR)' % (field, value))
    return iface.with_prefixlen


def cidrs(values, field):
    """Validate a list of CIDRs, rejecting duplicates."""
    result = []
    for pos, value in enumerate(values or []):
        canonical = cidr(value, '%s[%d]' % (field, pos))
        if canonical in result:
            raise InputError('%s: %s is listed twice' % (field, canonical))
        result.append(canonical)
    return result


def int_range(value, field, low, high, unit=''):
    if value is None:
        return None
    if not low <= value <= high:
        raise InputError('%s: %s%s is out of range; allowed %s..%s%s'
                         % (field, value, unit, low, high, unit))
    return value


def sysctl_value(value, field):
    """The text written to /proc/sys for a sysctl: text or a number. A
    boolean or a list would be written as 'True' or '[1]'."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InputError('%s: %r is not a sysctl value; give text or a number (1, not true)'
                         % (field, value))
    return ' '.join(str(value).split())


def ip_address(value, field):
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        raise InputError('%s: %r is not an IP address' % (field, value))
