"""The GRE family (gre, gretap, ip6gre, ip6gretap) without a kernel that has it.

Requests are compared with iproute2's (captured with strace: see
test__nla.py); readings are the attribute dicts pyroute2 decodes with the
collection's maps, as the guest kernel reported them (tests/kernel/test_gre.py
proves them there).
"""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_steps import set_options
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import (
    GRE,
    GRETAP,
    IP6GRE,
    IP6GRETAP,
    KINDS,
    link_kinds,
)
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import InputError, build
from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import _mac_only

from test__nla import encode, flat, iproute2_linkinfo, linkinfo, needs_tools

# what the guest kernel (6.1) reports for a fresh tunnel
GRE_DATA = {'IFLA_GRE_LINK': 0, 'IFLA_GRE_IFLAGS': 0, 'IFLA_GRE_OFLAGS': 0,
            'IFLA_GRE_IKEY': 0, 'IFLA_GRE_OKEY': 0, 'IFLA_GRE_LOCAL': '10.0.0.1',
            'IFLA_GRE_REMOTE': '10.0.0.2', 'IFLA_GRE_TTL': 0, 'IFLA_GRE_TOS': 0,
            'IFLA_GRE_PMTUDISC': 1, 'IFLA_GRE_FWMARK': 0, 'IFLA_GRE_ENCAP_TYPE': 0,
            'IFLA_GRE_ENCAP_SPORT': 0, 'IFLA_GRE_ENCAP_DPORT': 0, 'IFLA_GRE_ENCAP_FLAGS': 0,
            'IFLA_GRE_IGNORE_DF': 0}
IP6GRE_DATA = {'IFLA_IP6GRE_LINK': 0, 'IFLA_IP6GRE_IFLAGS': 0, 'IFLA_IP6GRE_OFLAGS': 0,
               'IFLA_IP6GRE_IKEY': 0, 'IFLA_IP6GRE_OKEY': 0, 'IFLA_IP6GRE_LOCAL': 'fd00::1',
               'IFLA_IP6GRE_REMOTE': 'fd00::2', 'IFLA_IP6GRE_TTL': 0,
               'IFLA_IP6GRE_ENCAP_LIMIT': 0, 'IFLA_IP6GRE_FLOWINFO': 0,
               # the kernel's own capability bits (IP6_TNL_F_CAP_XMIT, _RCV)
               'IFLA_IP6GRE_FLAGS': 0x30000, 'IFLA_IP6GRE_FWMARK': 0}


def sent(kind, args, command='add'):
    info = flat(linkinfo(encode(command, ifname='t0', kind=kind, **args)))
    return dict((k.split('/')[-1], v) for k, v in info.items() if k.startswith('IFLA_INFO_DATA'))


def data_of(kind, args):
    """What a kernel that took the request would report (for the attributes
    sent): the request's own attributes, decoded."""
    base = dict(GRE_DATA if kind in ('gre', 'gretap') else IP6GRE_DATA)
    base.update(sent(kind, args))
    return base


# --- requests: the same attributes as iproute2 ------------------------------------

IPROUTE2_CASES = [
    ('gre', {'local': '10.0.0.1', 'remote': '10.0.0.2', 'key': 7, 'ttl': 9, 'tos': 'inherit',
             'pmtudisc': False},
     'local 10.0.0.1 remote 10.0.0.2 key 7 ttl 9 tos inherit nopmtudisc'),
    ('gretap', {'local': '10.0.0.1', 'remote': '239.1.1.1', 'ikey': '0.0.1.0',
                'okey': 4294967295, 'tos': 16},
     'local 10.0.0.1 remote 239.1.1.1 ikey 0.0.1.0 okey 4294967295 tos 0x10'),
    ('ip6gre', {'local': 'fd00::1', 'remote': 'fd00::2', 'ikey': 7, 'okey': '0.0.0.9', 'ttl': 9,
                'tos': 32, 'flowlabel': 0x123, 'encaplimit': 'none'},
     'local fd00::1 remote fd00::2 ikey 7 okey 0.0.0.9 hoplimit 9 tclass 0x20 '
     'flowlabel 0x123 encaplimit none'),
    ('ip6gretap', {'remote': 'fd00::2', 'key': 0, 'tos': 'inherit', 'flowlabel': 'inherit',
                   'encaplimit': 2},
     'remote fd00::2 key 0 tclass inherit flowlabel inherit encaplimit 2'),
]


@needs_tools
@pytest.mark.parametrize('kind, options, iproute2', IPROUTE2_CASES,
                         ids=[case[0] for case in IPROUTE2_CASES])
def test_create_sends_what_iproute2_sends(kind, options, iproute2):
    spec = KINDS[kind]
    ours = sent(kind, spec.create_args(spec.check(options)))
    theirs = flat(iproute2_linkinfo(*(['add', 't0', 'type', kind] + iproute2.split())))
    theirs = dict((k.split('/')[-1], v) for k, v in theirs.items()
                  if k.startswith('IFLA_INFO_DATA'))
    assert ours, 'nothing sent'
    for name, value in ours.items():
        assert theirs.get(name) == value, name


def test_ip6gre_key_flag_travels_big_endian():
    """pyroute2's own ip6gre map sends the flags in host order: the kernel
    sees 0x0020 and never uses the key."""
    raw = encode('add', ifname='t0', kind='ip6gre', **IP6GRE.create_args(IP6GRE.check(
        {'remote': 'fd00::2', 'key': 5})))
    assert b'\x06\x00\x02\x00\x20\x00' in raw  # IFLA_GRE_IFLAGS, be16 0x2000
    assert sent('ip6gre', IP6GRE.create_args({'ikey': 5}))['IFLA_IP6GRE_IFLAGS'] == 0x2000


@pytest.mark.parametrize('spec', [GRE, GRETAP, IP6GRE, IP6GRETAP], ids=lambda s: s.kind)
def test_readings_round_trip(spec):
    options = {'local': 'any', 'remote': '10.0.0.2' if spec.version == 4 else 'fd00::2',
               'ikey': 7, 'okey': 'none', 'ttl': 64, 'tos': 'inherit'}
    if spec.version == 6:
        options.update(flowlabel=0xFFFFF, encaplimit='none')
    else:
        options.update(pmtudisc=False)
    data = data_of(spec.kind, spec.create_args(spec.check(options)))
    assert spec.current(data) == options
    assert spec.differences(options, data) == []


# --- changes: every setting travels (the kernel resets what is left out) -----------

def test_a_change_sends_every_setting_and_keeps_the_rest():
    data = dict(GRE_DATA, IFLA_GRE_IFLAGS=0x2000 | 0x8000, IFLA_GRE_IKEY=7,
                IFLA_GRE_TTL=9, IFLA_GRE_PMTUDISC=0, IFLA_GRE_FWMARK=42, IFLA_GRE_LINK=3)
    args = GRE.change_args({'ttl': 10}, lambda: data)
    assert args == {'gre_local': '10.0.0.1', 'gre_remote': '10.0.0.2',
                    'gre_iflags': 0xA000, 'gre_ikey': 7, 'gre_oflags': 0, 'gre_okey': 0,
                    'gre_ttl': 10, 'gre_tos': 0, 'gre_pmtudisc': 0, 'gre_link': 3,
                    'gre_fwmark': 42, 'gre_encap_type': 0, 'gre_encap_sport': 0,
                    'gre_encap_dport': 0, 'gre_encap_flags': 0, 'gre_ignore_df': 0}


def test_ip6gre_change_keeps_flag_bits_no_option_manages():
    data = dict(IP6GRE_DATA, IFLA_IP6GRE_FLAGS=0x30000 | 0x10 | 0x2,
                IFLA_IP6GRE_FLOWINFO=0x12345, IFLA_IP6GRE_ENCAP_LIMIT=4)
    assert IP6GRE.current(data)['tos'] == 'inherit'
    args = IP6GRE.change_args({'tos': 0x20, 'encaplimit': 'none'}, lambda: data)
    assert args['ip6gre_flags'] == 0x30000 | 0x10 | 0x1
    assert args['ip6gre_flowinfo'] == 0x02012345
    assert args['ip6gre_encap_limit'] == 4  # kept: the limit's value, unused while none


def test_set_options_sends_the_full_request(monkeypatch):
    calls = []

    class FakeSession(object):
        netns = 'n1'

        def index(self, name):
            return 5

        def read(self, name):
            return {'data': dict(GRE_DATA, IFLA_GRE_TTL=9)}

        def call(self, what, *args, **kwargs):
            calls.append(kwargs)
    set_options(FakeSession(), 't0', 'x', GRE, {'pmtudisc': False})
    assert calls[0]['gre_ttl'] == 9 and calls[0]['gre_pmtudisc'] == 0 and \
        calls[0]['gre_remote'] == '10.0.0.2' and calls[0]['kind'] == 'gre'


def test_tap_kinds_send_no_remote_for_any():
    assert 'gretap_remote' not in GRETAP.kernel_args({'remote': 'any'})
    assert 'gre_remote' not in GRETAP.kernel_args({'remote': 'any'})
    assert GRE.kernel_args({'remote': 'any'}) == {'gre_remote': '0.0.0.0'}
    assert 'ip6gre_remote' not in IP6GRETAP.kernel_args({'remote': 'any', 'local': 'any'})
    assert IP6GRETAP.kernel_args({'local': 'any'}) == {'ip6gre_local': '::'}


def test_only_a_gre_remote_class_change_recreates():
    unicast = dict(GRE_DATA)
    assert GRE.recreate_reason({'remote': '10.0.0.9'}, unicast) is None
    assert 'unicast remote -> no remote' in GRE.recreate_reason({'remote': 'any'}, unicast)
    assert 'multicast' in GRE.recreate_reason({'remote': '239.0.0.1'}, unicast)
    assert GRE.recreate_reason({'remote': '10.0.0.9'}, dict(GRE_DATA, IFLA_GRE_REMOTE='0.0.0.0'))
    assert GRETAP.recreate_reason({'remote': 'any'}, unicast) is None
    assert IP6GRE.recreate_reason({'remote': 'any'}, IP6GRE_DATA) is None


# --- input -----------------------------------------------------------------------------

@pytest.mark.parametrize('spec, options, message', [
    (GRE, {'local': 'fd00::1'}, 'local: fd00::1 is an IPv6 address; this tunnel kind carries '
                                'IPv4'),
    (IP6GRETAP, {'remote': '10.0.0.1'}, 'remote: 10.0.0.1 is an IPv4 address'),
    (GRE, {'local': '224.0.0.5'}, 'local: 224.0.0.5 is a multicast address'),
    (GRE, {'remote': 'nowhere'}, "remote: 'nowhere' is not an IP address"),
    (GRE, {'key': 2 ** 32}, 'key: 4294967296 is out of range; allowed 0..4294967295'),
    (GRE, {'ikey': -1}, 'ikey: -1 is out of range'),
    (GRE, {'okey': 'seven'}, "okey: 'seven' is not a GRE key"),
    (GRE, {'key': True}, 'key: True is a bool; expected an int or a str'),
    (GRE, {'key': 5, 'ikey': 6}, 'key and ikey: key sets both ikey and okey'),
    (GRE, {'ttl': 256}, 'ttl: 256 is out of range; allowed 0..255'),
    (GRE, {'tos': 17}, 'tos: 17 is odd; the lowest bit of a tunnel\'s tos means "inherit"'),
    (GRE, {'tos': 'copy'}, "tos: 'copy' is not a number (0..255) or inherit"),
    (IP6GRE, {'flowlabel': 0x100000}, 'flowlabel: 1048576 is out of range; allowed 0..1048575'),
    (IP6GRE, {'encaplimit': 'inherit'}, "encaplimit: 'inherit' is not a number (0..255) or none"),
])
def test_bad_input_names_field_and_rule(spec, options, message):
    with pytest.raises(validate.InputError) as caught:
        spec.check(options, current={})
    assert message in str(caught.value)


def test_kind_options_of_the_other_family_are_unknown():
    with pytest.raises(validate.InputError) as caught:
        GRE.unknown(['flowlabel'])
    assert 'not a gre option' in str(caught.value)
    with pytest.raises(validate.InputError):
        IP6GRE.unknown(['pmtudisc'])


def test_canonical_forms():
    assert GRE.check({'key': '0.0.1.0', 'tos': '0x10'}) == {'ikey': 256, 'okey': 256, 'tos': 16}
    assert IP6GRE.check({'local': 'FD00:0::1', 'remote': '::'}) == \
        {'local': 'fd00::1', 'remote': 'any'}
    assert GRE.check({'ikey': 'none', 'okey': '42'}) == {'ikey': 'none', 'okey': 42}


def test_facts_give_what_differs_from_a_new_tunnel_and_one_key():
    data = dict(GRE_DATA, IFLA_GRE_IFLAGS=0x2000, IFLA_GRE_OFLAGS=0x2000, IFLA_GRE_IKEY=5,
                IFLA_GRE_OKEY=5)
    assert GRE.described(GRE.current(data)) == {'local': '10.0.0.1', 'remote': '10.0.0.2',
                                                'key': 5}
    assert GRE.described(GRE.current(dict(data, IFLA_GRE_OKEY=6))) == \
        {'local': '10.0.0.1', 'remote': '10.0.0.2', 'ikey': 5, 'okey': 6}
    assert IP6GRE.described(IP6GRE.current(IP6GRE_DATA)) == {'local': 'fd00::1',
                                                             'remote': 'fd00::2'}


def test_a_tunnel_like_the_fallback_device_is_refused():
    assert 'gre0' in GRE.identity_problem({'ttl': 5}, parent=False)
    assert GRE.identity_problem({'ttl': 5}, parent=True) is None
    assert GRETAP.identity_problem({'key': 0}, parent=False) is None  # key 0 is a key
    assert IP6GRETAP.identity_problem({}, parent=False) is None       # no fallback device


def test_tunnel_kinds_are_lab_link_kinds():
    assert set(['gre', 'gretap', 'ip6gre', 'ip6gretap']) <= set(link_kinds())
    assert GRE.no_mac and IP6GRE.no_mac and not GRETAP.no_mac and not IP6GRETAP.no_mac


# --- the kernel's fallback devices, hardware addresses that are no MAC ---------------

def test_fallback_devices_are_known_by_name_and_kind():
    assert rtnl.fallback_device({'name': 'gre0', 'kind': 'gre'})
    assert rtnl.fallback_device({'name': 'ip6tnl0', 'kind': 'ip6tnl'})
    assert not rtnl.fallback_device({'name': 'gre0', 'kind': 'veth'})
    assert not rtnl.fallback_device({'name': 'gre1', 'kind': 'gre'})


@pytest.mark.parametrize('name', ['gre0', 'gretap0', 'erspan0', 'ip6gre0', 'tunl0', 'sit0'])
def test_fallback_names_are_refused_for_own_links(name):
    with pytest.raises(validate.InputError) as caught:
        validate.own_link_name(name, 'name')
    assert 'fallback device' in str(caught.value)
    assert validate.own_link_name('gre1', 'name') == 'gre1'


def _link_message(address):
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    body = rtnl.ifinfo(5) + rtnl.attr(rtnl.IFLA_ADDRESS, address) + \
        rtnl.attr_u32(rtnl.IFLA_MTU, 1476)
    msg = ifinfmsg(rtnl._NLMSGHDR.pack(rtnl._NLMSGHDR.size + len(body), rtnl.RTM_NEWLINK,
                                       0, 0, 0) + body)
    msg.decode()
    return body, msg


@pytest.mark.parametrize('address, mac', [
    (bytes([10, 0, 0, 1]), None),                    # gre: its local IPv4 address
    (bytes(16), None),                               # ip6gre: an IPv6 address
    (bytes([2, 0, 0, 0, 0, 1]), '02:00:00:00:00:01'),
])
def test_only_six_octet_hardware_addresses_are_macs(address, mac):
    body, msg = _link_message(address)
    assert rtnl.parse_link(body)['mac_address'] == mac
    assert _mac_only(msg) == mac  # pyroute2 alone decodes six octets either way


# --- the topology's links --------------------------------------------------------------

def lab(*links):
    return build({'lab': 'demo', 'state': 'present', 'prune': False,
                  'nodes': [{'name': 'a'}], 'bridges': [], 'links': list(links)})


def test_a_lab_tunnel_is_modelled_with_its_options():
    model = lab({'kind': 'gre', 'node': 'a', 'name': 'gre1',
                 'options': {'local': '10.0.0.1', 'remote': '10.0.0.2', 'key': 3}})
    assert model.ifaces[('a', 'gre1')].options == {'local': '10.0.0.1', 'remote': '10.0.0.2',
                                                   'ikey': 3, 'okey': 3}


@pytest.mark.parametrize('link, message', [
    ({'kind': 'gre', 'node': 'a', 'name': 'gre1', 'mac_address': '02:00:00:00:00:01',
      'options': {'remote': '10.0.0.2'}},
     'links[0].mac_address: a gre is a layer-3 tunnel and has no MAC address'),
    ({'kind': 'gretap', 'node': 'a', 'name': 'gretap0', 'options': {'remote': '10.0.0.2'}},
     "links[0].name: gretap0 is the name of the kernel's own gretap fallback device"),
    ({'kind': 'veth', 'endpoints': [{'node': 'a', 'name': 'tunl0'}, {'node': 'a', 'name': 'x'}]},
     "links[0].endpoints[0].name: tunl0 is the name of the kernel's own ipip fallback"),
    ({'kind': 'ip6gre', 'node': 'a', 'name': 't6', 'options': {'ttl': 3}},
     'links[0].options.remote: an ip6gre with no local, remote, key or underlay device'),
    ({'kind': 'gre', 'node': 'a', 'name': 't4', 'options': {'remote': 'fd00::1'}},
     'links[0].options.remote: fd00::1 is an IPv6 address'),
])
def test_lab_tunnel_input_is_refused_before_anything_changes(link, message):
    with pytest.raises(InputError) as caught:
        lab(link)
    assert message in str(caught.value)
