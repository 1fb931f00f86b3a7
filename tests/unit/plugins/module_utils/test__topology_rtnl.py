"""The raw rtnetlink encoder/decoder against pyroute2's reading of the same
bytes (an independent decoder), without touching the kernel."""

import socket
import struct

from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl


def test_attributes_are_padded_and_read_back():
    data = rtnl.attr_str(rtnl.IFLA_IFNAME, 'eth0') + rtnl.attr_u32(rtnl.IFLA_MTU, 1400)
    assert len(data) % 4 == 0
    found = rtnl.attrs(data)
    assert rtnl.text(found[rtnl.IFLA_IFNAME]) == 'eth0'
    assert rtnl.u32(found[rtnl.IFLA_MTU]) == 1400


def test_a_link_message_decodes_like_pyroute2():
    payload = (rtnl.ifinfo(index=7, flags=rtnl.IFF_UP)
               + rtnl.link_attrs(name='eth0', mtu=1400, address='02:00:00:00:00:01',
                                 alias='vnet:demo', master=3)
               + rtnl.attr(rtnl.IFLA_LINKINFO, rtnl.attr_str(rtnl.IFLA_INFO_KIND, 'veth')))
    mine = rtnl.parse_link(payload)
    msg = ifinfmsg(struct.pack('=IHHII', 16 + len(payload), rtnl.RTM_NEWLINK, 0, 0, 0)
                   + payload)
    msg.decode()
    assert mine['name'] == msg.get_attr('IFLA_IFNAME') == 'eth0'
    assert mine['mtu'] == msg.get_attr('IFLA_MTU') == 1400
    assert mine['mac_address'] == msg.get_attr('IFLA_ADDRESS') == '02:00:00:00:00:01'
    assert mine['alias'] == msg.get_attr('IFLA_IFALIAS') == 'vnet:demo'
    assert mine['master_index'] == msg.get_attr('IFLA_MASTER') == 3
    assert mine['kind'] == 'veth' and mine['index'] == 7 and mine['admin_state'] == 'up'


def test_kernel_errors_carry_errno_and_the_kernels_words():
    error = struct.pack('=i', -17) + struct.pack('=IHHII', 16, 16, 5, 1, 0) + \
        rtnl.attr_str(rtnl.NLMSGERR_ATTR_MSG, 'Device exists')
    try:
        rtnl._raise_if_error(error, rtnl.NLM_F_ACK_TLVS)
    except rtnl.RtnlError as err:
        assert err.code == 17 and err.args[1] == 'Device exists'
    else:
        raise AssertionError('no error raised')
    rtnl._raise_if_error(struct.pack('=i', 0), 0)  # an ack


def test_address_request_bytes():
    captured = []

    class Fake(object):
        def request(self, msg_type, body, flags=0):
            captured.append((msg_type, body, flags))
            return []
    rtnl.address(Fake(), 'add', 4, socket.AF_INET, '10.0.0.1', 24)
    msg_type, body, flags = captured[0]
    assert msg_type == rtnl.RTM_NEWADDR and flags & rtnl.NLM_F_CREATE
    family, prefixlen, _f, _s, index = struct.unpack_from('=BBBBI', body)
    assert (family, prefixlen, index) == (socket.AF_INET, 24, 4)
    found = rtnl.attrs(body, 8)
    assert socket.inet_ntop(socket.AF_INET, found[rtnl.IFA_LOCAL]) == '10.0.0.1'
