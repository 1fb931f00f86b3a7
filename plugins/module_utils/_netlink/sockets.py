# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The UDP sockets a namespace holds: the witness of where a geneve's
socket lives.

A tunnel's UDP socket lives in the namespace the tunnel was created in (its
underlay), wherever the device is moved afterwards. The kernel reports that
namespace for a vxlan (IFLA_LINK_NETNSID) but not for a geneve (6.1 has no
get_link_net for it; checked in the guest kernel: `ip -d link` shows no
link-netnsid after a move). A geneve that is up holds a socket on its
destination port, so the namespace that has a UDP socket bound to that port
is where it lives: the kernel's own socket table is the witness, read here.

Read from /proc/thread-self/net/udp and udp6 while the thread is inside the
namespace (the files show the reading thread's namespace; a few lines per
namespace, so no sock_diag request is worth it).
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import entered

_TABLES = ('/proc/thread-self/net/udp', '/proc/thread-self/net/udp6')


def _local_ports(table):
    """Local ports of the sockets in one /proc table (hex `addr:port`)."""
    ports = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 1 and ':' in fields[1]:
            ports.add(int(fields[1].rsplit(':', 1)[1], 16))
    return ports


def udp_ports(netns):
    """The local ports of every UDP socket in a namespace (None: the one
    the module runs in)."""
    ports = set()
    with entered(netns):
        for path in _TABLES:
            try:
                with open(path) as table:
                    ports |= _local_ports(table.read())
            except FileNotFoundError:
                continue  # no IPv6 in this kernel
    return frozenset(ports)


def narrowed(holders, remote, session_of):
    """Of the namespaces holding a socket on a geneve's port, those that
    can be its underlay: they route its remote away (the far end's
    underlay, where the remote is a local address, cannot). All of them
    when none does or the remote is not known."""
    if len(holders) < 2 or not remote:
        return holders
    routed = [netns for netns in holders if session_of(netns).routes_away(remote)]
    return routed or holders


def underlay_candidates(netns, port, candidates, ports_of, remote, session_of):
    """The namespaces that can hold the socket of a tunnel in `netns` bound
    to `port` (a geneve that is up): none when its own namespace holds one;
    else those of `candidates` with a socket on the port, narrowed by its
    remote (`remote()`, read only when several hold one). ports_of(netns):
    the namespace's UDP ports (udp_ports, or a cache of it)."""
    if port in ports_of(netns):
        return []
    holders = [other for other in candidates if other != netns and port in ports_of(other)]
    return narrowed(holders, remote() if len(holders) > 1 else None, session_of)
