# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small rtnetlink client for the topology module's hot path.

Why: pyroute2 0.9 runs every request through an asyncio event loop and
decodes every attribute of every message; measured here that is about 1 ms
per request and 3 ms per link dump of a small namespace, so a lab of a
hundred nodes (a thousand requests, four hundred dumps) spent seconds in
the library. The requests a lab needs in bulk are few and simple: create a
veth pair, set a link's alias/state/MTU/MAC/master, add or delete an address
or a route or a static forwarding entry (a vxlan's FDB), delete a link, and
dump links, addresses, routes and forwarding entries. They are
encoded and decoded here with struct; anything kind-specific (bridge or bond
options, netem) still goes through pyroute2 and the collection's kind specs.

Messages follow include/uapi/linux/{netlink,rtnetlink,if_link,if_addr,
neighbour}.h.
"""

from __future__ import annotations

import errno
import os
import socket
import struct

# Kinds that always sit on another link (a veth's peer, a macvlan's parent).
ALWAYS_LINKED = ('veth', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'vlan')
# Kinds that report their underlay device in their own data, not in
# IFLA_LINK (a vxlan has no ndo_get_iflink): kind -> (attribute type number,
# its name in pyroute2's decoded data)
PARENT_IN_DATA = {'vxlan': (3, 'IFLA_VXLAN_LINK')}
# kinds whose underlay namespace only their socket shows (specs.socket_port):
# the IFLA_INFO_DATA attribute of their UDP port (IFLA_GENEVE_PORT, be16)
PORT_IN_DATA = {'geneve': 5}


def link_index(reported, own_index, kind, in_data=None):
    """The index of the link's peer or parent: IFLA_LINK as it is, or the
    link's own index where the kernel left it out: kernels before 6.x omit
    IFLA_LINK when it equals the link's own index, which happens whenever
    the peer or parent lives in another namespace under the same number
    (common: the first link of two fresh namespaces is index 2 in both).
    in_data: the parent index a PARENT_IN_DATA kind reports in its data
    (0 or None: none)."""
    if kind in PARENT_IN_DATA:
        return in_data or None
    if reported is None and kind in ALWAYS_LINKED:
        return own_index
    return reported


# The devices a tunnel driver gives every namespace (its "fallback" device:
# ip_tunnel_init_net, ip6gre_init_net, ...) as soon as its module is
# loaded: name -> kind. They belong to the kernel: the kernel neither
# deletes them (a delete request is silently ignored) nor changes them
# (EINVAL), and every other link of that name is refused (EEXIST). They are
# never a lab's, never reported as one, never touched.
FALLBACK_DEVICES = {'gre0': 'gre', 'gretap0': 'gretap', 'erspan0': 'erspan',
                    'ip6gre0': 'ip6gre', 'ip6tnl0': 'ip6tnl', 'sit0': 'sit', 'tunl0': 'ipip',
                    'ip_vti0': 'vti', 'ip6_vti0': 'vti6'}


def fallback_device(view):
    """True for a namespace's fallback tunnel device (a link reading with
    name and kind)."""
    kind = view.get('kind')
    return kind is not None and FALLBACK_DEVICES.get(view.get('name')) == kind


def hardware_address(payload):
    """A MAC address as text; None for a hardware address that is no MAC
    (an L3 tunnel reports its local IPv4 or IPv6 address there)."""
    return mac(payload) if payload is not None and len(payload) == ETH_ALEN else None


ETH_ALEN = 6
NLA_HEADER = 4  # struct nlattr: length, type
NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
RTM_NEWNSID, RTM_GETNSID = 88, 90
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
RTM_NEWQDISC = 36
TCA_KIND, TCA_OPTIONS = 1, 2

IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK = 1, 3, 4, 5
IFLA_MASTER, IFLA_TXQLEN, IFLA_OPERSTATE, IFLA_LINKINFO = 10, 13, 16, 18
IFLA_IFALIAS, IFLA_STATS64, IFLA_NET_NS_FD, IFLA_EXT_MASK, IFLA_LINK_NETNSID = 20, 23, 28, 29, 37
# IFLA_EXT_MASK bit (Linux 4.16+, ignored before): no packet counters in link
# messages. Summing them is most of the kernel's work for a link dump (per
# CPU, per link, and again for IPv6's and ICMPv6's dozens of counters)
RTEXT_FILTER_SKIP_STATS = 1 << 3
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND = 1, 2, 4
VETH_INFO_PEER = 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE = 1, 4, 5, 6, 15
NETNSA_NSID, NETNSA_FD = 1, 3
AF_BRIDGE = 7
NDA_DST, NDA_LLADDR, NDA_PORT, NDA_VNI, NDA_IFINDEX = 1, 2, 6, 7, 8
NTF_SELF, NTF_EXT_LEARNED = 0x02, 0x10
NUD_NOARP, NUD_PERMANENT = 0x40, 0x80
ZERO_MAC = '00:00:00:00:00:00'
IFF_UP = 0x1
RT_TABLE_MAIN = 254
RT_TABLE_LOCAL = 255
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_NOWHERE = 0, 253, 255
RTN_UNICAST = 1
OPERSTATES = ('unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up')
STATS64_FIELDS = ('rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes', 'rx_errors',
                  'tx_errors', 'rx_dropped', 'tx_dropped')

_TCMSG = struct.Struct('=BxxxiIII')   # family, ifindex, handle, parent, info
_NLMSGHDR = struct.Struct('=IHHII')
_IFINFOMSG = struct.Struct('=BxHiII')
_IFADDRMSG = struct.Struct('=BBBBI')
_RTMSG = struct.Struct('=BBBBBBBBI')
_NDMSG = struct.Struct('=BxxxiHBB')
_RTATTR = struct.Struct('=HH')
_BE16 = struct.Struct('>H')
_U32 = struct.Struct('=I')
_S32 = struct.Struct('=i')
_RECV_SIZE = 1 << 20


class RtnlError(Exception):
    """A kernel refusal: errno in .code, the kernel's own words in .args[1]
    (the shape of pyroute2's NetlinkError, so _netlink.explain reads it)."""

    def __init__(self, code, text=''):
        Exception.__init__(self, code, text)
        self.code = code


# --- encoding ------------------------------------------------------------------

def _pad(size):
    return (size + 3) & ~3


def attr(kind, payload):
    size = _RTATTR.size + len(payload)
    return _RTATTR.pack(size, kind) + payload + b'\0' * (_pad(size) - size)


def attr_str(kind, text):
    return attr(kind, text.encode('utf-8') + b'\0')


def attr_u32(kind, value):
    return attr(kind, _U32.pack(value))


def attr_mac(kind, text):
    return attr(kind, bytes(int(part, 16) for part in text.split(':')))


def ifinfo(index=0, flags=0, change=0, family=0):
    return _IFINFOMSG.pack(family, 0, index, flags, change)


# --- decoding ------------------------------------------------------------------

def attrs(data, offset=0):
    """type -> payload bytes of a run of attributes (nested bit cleared)."""
    result = {}
    end = len(data)
    while offset + _RTATTR.size <= end:
        size, kind = _RTATTR.unpack_from(data, offset)
        if size < _RTATTR.size:
            break
        result[kind & 0x3FFF] = data[offset + _RTATTR.size:offset + size]
        offset += _pad(size)
    return result


def text(payload):
    return payload.split(b'\0', 1)[0].decode('utf-8', 'replace')


def u32(payload):
    return _U32.unpack_from(payload)[0]


def mac(payload):
    return ':'.join('%02x' % b for b in payload)


class Socket(object):
    """One rtnetlink socket (bound to the namespace it was opened in)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        for option in (NETLINK_CAP_ACK, NETLINK_EXT_ACK):
            try:
                self.sock.setsockopt(SOL_NETLINK, option, 1)
            except OSError:
                pass  # older kernels: plain acks, no explanation
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self):
        self.sock.close()

    def _send(self, msg_type, flags, body):
        self.seq += 1
        header = _NLMSGHDR.pack(_NLMSGHDR.size + len(body), msg_type, flags, self.seq, 0)
        self.sock.send(header + body)
        return self.seq

    def _messages(self):
        """(type, flags, seq, payload) of the next datagram's messages."""
        data = self.sock.recv(_RECV_SIZE)
        offset = 0
        while offset + _NLMSGHDR.size <= len(data):
            size, msg_type, flags, seq, _pid = _NLMSGHDR.unpack_from(data, offset)
            if size < _NLMSGHDR.size:
                break
            yield msg_type, flags, seq, data[offset + _NLMSGHDR.size:offset + size]
            offset += _pad(size)

    def request(self, msg_type, body, flags=0):
        """Send one request and wait for its ack; raise RtnlError on refusal.
        Returns the messages the kernel sent before the ack (echo/replies)."""
        seq = self._send(msg_type, NLM_F_REQUEST | NLM_F_ACK | flags, body)
        replies = []
        while True:
            for kind, msg_flags, msg_seq, payload in self._messages():
                if msg_seq != seq:
                    continue
                if kind == NLMSG_ERROR:
                    _raise_if_error(payload, msg_flags)
                    return replies
                replies.append((kind, payload))

    def dump(self, msg_type, body):
        """Every message of a dump, as (type, payload)."""
        for attempt in range(5):
            seq = self._send(msg_type, NLM_F_REQUEST | NLM_F_DUMP, body)
            result, interrupted = [], False
            done = False
            while not done:
                for kind, msg_flags, msg_seq, payload in self._messages():
                    if msg_seq != seq:
                        continue
                    if msg_flags & 0x10:  # NLM_F_DUMP_INTR: changed while dumped
                        interrupted = True
                    if kind == NLMSG_DONE:
                        done = True
                        break
                    if kind == NLMSG_ERROR:
                        _raise_if_error(payload, msg_flags)
                        done = True
                        break
                    result.append((kind, payload))
            if not interrupted:
                return result
        return result


def _raise_if_error(payload, flags):
    code = -_S32.unpack_from(payload)[0]
    if code == 0:
        return
    message = ''
    if flags & NLM_F_ACK_TLVS:
        # with NETLINK_CAP_ACK only the original header follows the errno
        tlvs = attrs(payload, 4 + _NLMSGHDR.size)
        if NLMSGERR_ATTR_MSG in tlvs:
            message = text(tlvs[NLMSGERR_ATTR_MSG])
    raise RtnlError(code, message or os.strerror(code))


# --- what the topology module asks ----------------------------------------------

def link_messages(sock, counters=True):
    """Raw RTM_NEWLINK payloads of every link; without their packet counters
    unless asked (parse_link then reports zeros)."""
    body = ifinfo() if counters else ifinfo() + attr_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
    return [payload for kind, payload in sock.dump(RTM_GETLINK, body)
            if kind == RTM_NEWLINK]


def parse_link(payload):
    """The fields of a link the topology compares, from a raw payload."""
    _family, _type, index, flags, _change = _IFINFOMSG.unpack_from(payload)
    top = attrs(payload, _IFINFOMSG.size)
    info = attrs(top[IFLA_LINKINFO]) if IFLA_LINKINFO in top else {}
    stats = top.get(IFLA_STATS64)
    operstate = top.get(IFLA_OPERSTATE)
    kind = text(info[IFLA_INFO_KIND]) if IFLA_INFO_KIND in info else None
    return {
        'name': text(top.get(IFLA_IFNAME, b'')),
        'index': index,
        'kind': kind,
        'admin_state': 'up' if flags & IFF_UP else 'down',
        'oper_state': OPERSTATES[operstate[0]] if operstate and operstate[0] < 7
        else 'unknown',
        'mtu': u32(top[IFLA_MTU]) if IFLA_MTU in top else None,
        'mac_address': hardware_address(top.get(IFLA_ADDRESS)),
        'txqueuelen': u32(top[IFLA_TXQLEN]) if IFLA_TXQLEN in top else None,
        'alias': text(top[IFLA_IFALIAS]) if IFLA_IFALIAS in top else '',
        'master_index': u32(top[IFLA_MASTER]) if IFLA_MASTER in top else 0,
        'link_index': link_index(u32(top[IFLA_LINK]) if IFLA_LINK in top else None, index,
                                 kind, _parent_in_data(kind, info)),
        'link_netnsid': _S32.unpack_from(top[IFLA_LINK_NETNSID])[0]
        if IFLA_LINK_NETNSID in top else None,
        'port_kind': text(info[IFLA_INFO_SLAVE_KIND]) if IFLA_INFO_SLAVE_KIND in info
        else None,
        'tunnel_port': _port_in_data(kind, info),
        'counters': dict(zip(STATS64_FIELDS, struct.unpack_from('=8Q', stats)))
        if stats and len(stats) >= 64 else dict((k, 0) for k in STATS64_FIELDS),
    }


def _port_in_data(kind, info):
    if kind not in PORT_IN_DATA or IFLA_INFO_DATA not in info:
        return None
    found = attrs(info[IFLA_INFO_DATA]).get(PORT_IN_DATA[kind])
    return _BE16.unpack_from(found)[0] if found else None


def _parent_in_data(kind, info):
    if kind not in PARENT_IN_DATA or IFLA_INFO_DATA not in info:
        return None
    found = attrs(info[IFLA_INFO_DATA]).get(PARENT_IN_DATA[kind][0])
    return u32(found) if found else None


def get_link(sock, index):
    """The raw payload of one link (None: no such index)."""
    try:
        replies = sock.request(RTM_GETLINK, ifinfo(index))
    except RtnlError as err:
        if err.code == errno.ENODEV:
            return None
        raise
    return next((payload for kind, payload in replies if kind == RTM_NEWLINK), None)


def addresses(sock):
    """index -> [(family, address text, prefixlen)] in kernel order."""
    result = {}
    for kind, payload in sock.dump(RTM_GETADDR, _IFADDRMSG.pack(0, 0, 0, 0, 0)):
        if kind != RTM_NEWADDR:
            continue
        family, prefixlen, _flags, _scope, index = _IFADDRMSG.unpack_from(payload)
        found = attrs(payload, _IFADDRMSG.size)
        raw = found.get(IFA_LOCAL) if family == socket.AF_INET and IFA_LOCAL in found \
            else found.get(IFA_ADDRESS)
        if raw is None:
            continue
        result.setdefault(index, []).append(
            (family, socket.inet_ntop(family, raw), prefixlen))
    return result


def routes(sock, family):
    """Routes of one family as dicts with the rtmsg fields and attributes."""
    result = []
    body = _RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
    for kind, payload in sock.dump(RTM_GETROUTE, body):
        if kind != 24:
            continue
        (fam, dst_len, _src_len, _tos, table, proto, _scope, rtype,
         _flags) = _RTMSG.unpack_from(payload)
        found = attrs(payload, _RTMSG.size)
        result.append({
            'family': fam, 'dst_len': dst_len, 'proto': proto, 'type': rtype,
            'table': u32(found[RTA_TABLE]) if RTA_TABLE in found else table,
            'dst': socket.inet_ntop(fam, found[RTA_DST]) if RTA_DST in found else None,
            'gateway': socket.inet_ntop(fam, found[RTA_GATEWAY])
            if RTA_GATEWAY in found else None,
            'oif': u32(found[RTA_OIF]) if RTA_OIF in found else None,
            'priority': u32(found[RTA_PRIORITY]) if RTA_PRIORITY in found else 0,
        })
    return result


def link_attrs(mtu=None, address=None, alias=None, master=None, name=None, netns_fd=None,
               txqlen=None):
    body = b''
    if name is not None:
        body += attr_str(IFLA_IFNAME, name)
    if mtu is not None:
        body += attr_u32(IFLA_MTU, mtu)
    if txqlen is not None:
        body += attr_u32(IFLA_TXQLEN, txqlen)
    if address is not None:
        body += attr_mac(IFLA_ADDRESS, address)
    if alias is not None:
        body += attr(IFLA_IFALIAS, alias.encode('utf-8'))
    if master is not None:
        body += attr_u32(IFLA_MASTER, master)
    if netns_fd is not None:
        body += attr_u32(IFLA_NET_NS_FD, netns_fd)
    return body


def add_veth(sock, name, peer, own=None, peer_attrs=None, peer_netns_fd=None):
    """One request: the pair, the peer placed straight into its namespace."""
    peer_body = ifinfo() + link_attrs(name=peer, netns_fd=peer_netns_fd,
                                      **(peer_attrs or {}))
    data = attr(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer_body))
    linkinfo = attr(IFLA_LINKINFO, attr_str(IFLA_INFO_KIND, 'veth') + data)
    body = ifinfo() + link_attrs(name=name, **(own or {})) + linkinfo
    sock.request(RTM_NEWLINK, body, NLM_F_CREATE | NLM_F_EXCL)


def set_link(sock, index, up=None, **link):
    flags = IFF_UP if up else 0
    change = IFF_UP if up is not None else 0
    sock.request(RTM_NEWLINK, ifinfo(index, flags, change) + link_attrs(**link))


def qdisc(sock, index, handle, parent, kind, options):
    """Create the qdisc at `parent`, or change the one there in place when
    it is of the same kind and handle (tc qdisc replace); `options` is the
    kind's TCA_OPTIONS payload (netem.py encodes netem's)."""
    body = _TCMSG.pack(0, index, handle, parent, 0) + attr_str(TCA_KIND, kind) + \
        attr(TCA_OPTIONS, options)
    sock.request(RTM_NEWQDISC, body, NLM_F_CREATE | NLM_F_REPLACE)


def delete_link(sock, index):
    sock.request(RTM_DELLINK, ifinfo(index))


def address(sock, command, index, family, addr, prefixlen):
    body = _IFADDRMSG.pack(family, prefixlen, 0, 0, index)
    raw = socket.inet_pton(family, addr)
    body += attr(IFA_LOCAL, raw) + attr(IFA_ADDRESS, raw)
    if command == 'add':
        sock.request(RTM_NEWADDR, body, NLM_F_CREATE | NLM_F_EXCL)
    else:
        sock.request(RTM_DELADDR, body)


def route(sock, command, family, dst, dst_len, gateway=None, oif=None, metric=0,
          proto=0, table=RT_TABLE_MAIN):
    scope = RT_SCOPE_UNIVERSE if gateway else RT_SCOPE_LINK
    if command == 'del':
        scope = RT_SCOPE_NOWHERE  # match a route of any scope, as `ip route del`
    body = _RTMSG.pack(family, dst_len, 0, 0, table if table < 256 else 252, proto,
                       scope, RTN_UNICAST, 0)
    if dst_len:
        body += attr(RTA_DST, socket.inet_pton(family, dst))
    if gateway:
        body += attr(RTA_GATEWAY, socket.inet_pton(family, gateway))
    if oif:
        body += attr_u32(RTA_OIF, oif)
    if metric:
        body += attr_u32(RTA_PRIORITY, metric)
    body += attr_u32(RTA_TABLE, table)
    if command == 'del':
        sock.request(RTM_DELROUTE, body)
    elif command == 'replace':
        sock.request(RTM_NEWROUTE, body, NLM_F_CREATE | NLM_F_REPLACE)
    else:
        sock.request(RTM_NEWROUTE, body, NLM_F_CREATE | NLM_F_EXCL)


def nsid(sock, fd):
    """The id the socket's namespace gives the namespace of fd (None: none)."""
    body = struct.pack('=Bxxx', 0) + attr_u32(NETNSA_FD, fd)
    for kind, payload in sock.request(RTM_GETNSID, body):
        if kind == RTM_NEWNSID:
            found = attrs(payload, 4)
            if NETNSA_NSID in found:
                value = _S32.unpack_from(found[NETNSA_NSID])[0]
                return None if value < 0 else value
    return None


# --- forwarding entries of a device's own FDB (vxlan) ---------------------------

def _ip(payload):
    family = socket.AF_INET if len(payload) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, payload)


def fdb_entries(sock, index):
    """The static entries a device keeps in its own forwarding database, as
    `bridge fdb show dev X self permanent` lists them: (mac, dst, port,
    vni) with port and vni None where the entry uses the device's own.

    The kernel filters the dump to the device (an ifinfomsg naming it, as
    iproute2 sends). Entries a bridge keeps for the device as its port
    (NTF_MASTER), entries learned from traffic or added as temporary
    (NUD_REACHABLE: they age out) and entries a controller added
    (NTF_EXT_LEARNED) are not the device's configuration and are left out."""
    result = []
    for kind, payload in sock.dump(RTM_GETNEIGH, ifinfo(index, family=AF_BRIDGE)):
        if kind != RTM_NEWNEIGH:
            continue
        _family, ifindex, state, flags, _type = _NDMSG.unpack_from(payload)
        if ifindex != index or not flags & NTF_SELF or flags & NTF_EXT_LEARNED or \
                not state & NUD_PERMANENT:
            continue
        found = attrs(payload, _NDMSG.size)
        if NDA_LLADDR not in found or NDA_DST not in found:
            continue
        result.append((mac(found[NDA_LLADDR]), _ip(found[NDA_DST]),
                       _BE16.unpack_from(found[NDA_PORT])[0] if NDA_PORT in found else None,
                       u32(found[NDA_VNI]) if NDA_VNI in found else None))
    return result


def fdb(sock, command, index, lladdr, dst, port=None, vni=None):
    """Add or delete one static entry of a device's own FDB (NTF_SELF,
    permanent, as `bridge fdb append ... self permanent`). Add appends: an
    all-zeros MAC (the flood list) takes one entry per destination."""
    family = socket.AF_INET6 if ':' in dst else socket.AF_INET
    body = _NDMSG.pack(AF_BRIDGE, index, NUD_NOARP | NUD_PERMANENT, NTF_SELF, 0)
    body += attr_mac(NDA_LLADDR, lladdr) + attr(NDA_DST, socket.inet_pton(family, dst))
    if port:
        body += attr(NDA_PORT, _BE16.pack(port))
    if vni is not None:
        body += attr_u32(NDA_VNI, vni)
    if command == 'add':
        sock.request(RTM_NEWNEIGH, body, NLM_F_CREATE | NLM_F_APPEND)
    else:
        sock.request(RTM_DELNEIGH, body)


# the requests that change kernel state (the rest read)
CHANGES = frozenset((add_veth, set_link, delete_link, address, route, fdb, qdisc))

__all__ = ['Socket', 'RtnlError', 'link_messages', 'parse_link', 'addresses', 'routes',
           'add_veth', 'set_link', 'delete_link', 'address', 'route', 'nsid', 'fdb_entries',
           'fdb', 'qdisc', 'errno']
