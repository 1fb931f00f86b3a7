"""The wireguard kind's pure parts: input rules, key files, readings of
pyroute2's messages, the plan of changes and the facts' description.

Runs on any kernel: nothing here opens a generic netlink socket (the kernel
tests in tests/kernel/test_wireguard.py run in the guest).
"""

import base64
import os
import stat

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine.errors import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._kinds import wireguard as wg
from ansible_collections.vnet.linux.plugins.module_utils._lab import model

KEY_A = base64.b64encode(bytes(range(1, 33))).decode()
KEY_B = base64.b64encode(bytes(range(2, 34))).decode()
PSK = base64.b64encode(bytes(range(40, 72))).decode()


def settings(**params):
    return wg.check_settings(params)


def peer(**fields):
    return dict(dict((name, None) for name in wg.PEER_OPTIONS), **fields)


# --- input rules -----------------------------------------------------------------

def test_keys_are_44_characters_of_base64_for_32_bytes():
    assert wg.check_key(' %s\n' % KEY_A, 'k') == KEY_A
    for bad in ('', 'abc', KEY_A[:-2], KEY_A.replace('A', '*'), base64.b64encode(bytes(31))):
        with pytest.raises(InputError, match='not a WireGuard key'):
            wg.check_key(bad, 'k')
    with pytest.raises(InputError, match='all-zero'):
        wg.check_key(wg.NO_KEY, 'k')


@pytest.mark.parametrize('text, expected', [
    ('192.0.2.1:51820', ('192.0.2.1', 51820)),
    ('[2001:db8::1]:1', ('2001:db8::1', 1)),
    ('[2001:DB8:0::1]:65535', ('2001:db8::1', 65535)),
])
def test_endpoints(text, expected):
    assert wg.parse_endpoint(text, 'e') == expected
    assert wg.endpoint_text(*expected) == text.replace('DB8:0::', 'db8::')


@pytest.mark.parametrize('text, message', [
    ('192.0.2.1', 'not host:port'),
    ('2001:db8::1:51820', 'in brackets'),
    ('[2001:db8::1]51820', 'not \\[IPv6 address\\]:port'),
    ('192.0.2.1:0', 'port must be a number in 1..65535'),
    ('192.0.2.1:65536', 'port must be a number'),
    ('192.0.2.1:x', 'port must be a number'),
    ('[fe80::1%eth0]:1', 'scoped'),
])
def test_bad_endpoints(text, message):
    with pytest.raises(InputError, match='e: .*' + message):
        wg.parse_endpoint(text, 'e')


def test_an_endpoint_name_is_resolved_on_the_managed_host():
    assert wg.parse_endpoint('site2:51820', 'e',
                             resolve=lambda host, field: '192.0.2.7') == ('192.0.2.7', 51820)
    with pytest.raises(InputError, match='resolving it as a host name failed'):
        wg.parse_endpoint('no-such-host.invalid:1', 'e')


def test_allowed_ips_are_canonical_networks_in_a_sorted_order():
    assert wg.allowed_ips(['fd00::/64', '10.0.0.2/32', '10.0.0.0/24', '0.0.0.0/0'], 'a') == \
        ('0.0.0.0/0', '10.0.0.0/24', '10.0.0.2/32', 'fd00::/64')
    with pytest.raises(InputError, match=r'a\[0\]: .*no host bits'):
        wg.allowed_ips(['10.0.0.1/24'], 'a')
    with pytest.raises(InputError, match=r'a\[1\]: .*no prefix length'):
        wg.allowed_ips(['10.0.0.0/24', '10.0.0.2'], 'a')
    with pytest.raises(InputError, match='listed twice'):
        wg.allowed_ips(['10.0.0.0/24', '10.0.0.0/24'], 'a')


@pytest.mark.parametrize('params, message', [
    ({'listen_port': 0}, 'listen_port: 0 asks the kernel for a random port'),
    ({'listen_port': 65536}, 'listen_port: 65536 is out of range'),
    ({'fwmark': -1}, 'fwmark: -1 is out of range'),
    ({'fwmark': 2 ** 32}, 'out of range'),
    ({'generate_key': True}, 'generate_key: needs private_key_file'),
    ({'private_key_file': 'wg.key'}, 'not an absolute path'),
    ({'peers': [peer()]}, r'peers\[0\]: give public_key'),
    ({'peers': [peer(public_key='x')]}, r'peers\[0\].public_key: not a WireGuard public key'),
    ({'peers': [peer(public_key=KEY_A, preshared_key=PSK, preshared_key_file='/k')]},
     'not both'),
    ({'peers': [peer(public_key=KEY_A, preshared_key='short')]}, 'not a preshared key'),
    ({'peers': [peer(public_key=KEY_A, persistent_keepalive=65536)]}, 'out of range'),
    ({'peers': [peer(public_key=KEY_A, endpoint='10.0.0.1')]}, r'peers\[0\].endpoint'),
    ({'peers': [peer(public_key=KEY_A, allowed_ips=['10.0.0.1/8'])]}, 'no host bits'),
    ({'peers': [peer(public_key=KEY_A), peer(public_key=KEY_A)]}, 'listed twice'),
    ({'peers': [peer(public_key=KEY_A, allowed_ips=['10.0.0.0/8']),
                peer(public_key=KEY_B, allowed_ips=['10.0.0.0/8'])]},
     r'peers\[1\].allowed_ips: 10.0.0.0/8 is also an allowed IP of peers\[0\]'),
    ({'listen_prot': 1}, 'listen_prot: not a wireguard option'),
])
def test_bad_settings_are_refused_naming_the_field(params, message):
    with pytest.raises(InputError, match=message):
        settings(**params)


def test_good_settings():
    clean = settings(private_key_file='/etc/wg.key', generate_key=True, listen_port=51820,
                     fwmark=0, peers=[peer(public_key=KEY_A, endpoint='[fd00::2]:1',
                                           allowed_ips=['10.1.0.0/16', '10.0.0.2/32'],
                                           preshared_key=PSK, persistent_keepalive=0)])
    assert (clean.key_file, clean.generate, clean.listen_port, clean.fwmark) == \
        ('/etc/wg.key', True, 51820, 0)
    only = clean.peers[0]
    assert (only.key, only.endpoint, only.allowed, only.keepalive, only.psk) == \
        (KEY_A, ('fd00::2', 1), ('10.0.0.2/32', '10.1.0.0/16'), 0, ('value', PSK))
    assert only.view()['preshared_key_set'] is True and PSK not in str(only.view())
    assert settings(peers=[peer(public_key=KEY_A, preshared_key='')]).peers[0].psk == ''
    assert settings().peers is None and settings(peers=[]).peers == []


# --- keys on the managed host ---------------------------------------------------------

def test_generated_key_file_is_0600_clamped_and_its_public_key_derives(tmp_path):
    path = str(tmp_path / 'wg.key')
    key_file = wg.KeyFile(path, True, 'private_key_file')
    key_file.check()                      # missing, may be generated
    assert key_file.public_key() is None and not os.path.exists(path)
    old = os.umask(0)
    try:
        key_file.write_new()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = open(path).read()
    assert text.endswith('\n') and len(text) == 45
    raw = base64.b64decode(text)
    assert raw[0] & 7 == 0 and raw[31] & 128 == 0 and raw[31] & 64  # clamped as wg genkey
    assert key_file.public_key() == wg.public_key_of(text.strip())
    with pytest.raises(FileExistsError):
        key_file.write_new()             # never replaces a key
    key_file.remove()
    assert not os.path.exists(path)


def test_public_key_of_a_known_private_key():
    # RFC 7748 section 6.1: Alice's private and public key
    private = bytes.fromhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    public = bytes.fromhex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    assert wg.public_key_of(base64.b64encode(private).decode()) == \
        base64.b64encode(public).decode()


def test_key_file_errors_never_show_its_content(tmp_path):
    path = tmp_path / 'wg.key'
    path.write_text('SECRET-NOT-A-KEY\n')
    with pytest.raises(EngineError) as caught:
        wg.KeyFile(str(path), False, 'private_key_file').check()
    assert 'does not hold a WireGuard private key' in str(caught.value)
    assert 'SECRET' not in str(caught.value)
    with pytest.raises(EngineError, match='does not exist; create it'):
        wg.KeyFile(str(tmp_path / 'missing'), False, 'private_key_file').check()
    with pytest.raises(EngineError, match='directory .* does not exist'):
        wg.KeyFile(str(tmp_path / 'no' / 'wg.key'), True, 'private_key_file').check()


def test_a_missing_cryptography_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(wg, 'HAS_CRYPTOGRAPHY', False)
    with pytest.raises(EngineError, match='cryptography is needed'):
        wg.KeyFile('/x', True, 'private_key_file').check()


# --- readings ---------------------------------------------------------------------------

class Msg(dict):
    """Stands for a pyroute2 message: get_attr over a list of attributes."""

    def __init__(self, attrs, **fields):
        dict.__init__(self, fields)
        self.attrs = attrs

    def get_attr(self, name, default=None):
        for key, value in self.attrs:
            if key == name:
                return value
        return default


def raw_peer(key, ips=(), psk=wg.NO_KEY, endpoint=None, keepalive=0):
    attrs = [('WGPEER_A_PUBLIC_KEY', key.encode()), ('WGPEER_A_PRESHARED_KEY', psk.encode()),
             ('WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL', keepalive),
             ('WGPEER_A_ALLOWEDIPS', [{'addr': ip} for ip in ips])]
    if endpoint:
        attrs.append(('WGPEER_A_ENDPOINT', endpoint))
    return Msg(attrs)


def device(*peers, **extra):
    attrs = [('WGDEVICE_A_LISTEN_PORT', 51820), ('WGDEVICE_A_FWMARK', 0),
             ('WGDEVICE_A_PRIVATE_KEY', b'PRIVATE'), ('WGDEVICE_A_PUBLIC_KEY', KEY_B.encode()),
             ('WGDEVICE_A_PEERS', list(peers))]
    return Msg(attrs + list(extra.items()))


def test_a_reading_merges_a_peer_continued_in_the_next_message():
    first = device(raw_peer(KEY_A, ['10.0.0.0/24'], psk=PSK,
                            endpoint={'family': 2, 'addr': '192.0.2.1', 'port': 7}))
    second = Msg([('WGDEVICE_A_PEERS', [raw_peer(KEY_A, ['10.0.1.0/24', 'fd00::/64'])])])
    config = wg.parse([first, second])
    assert config['public_key'] == KEY_B and 'private_key' not in config
    peer_a = config['peers'][KEY_A]
    assert peer_a['allowed_ips'] == ('10.0.0.0/24', '10.0.1.0/24', 'fd00::/64')
    assert peer_a['endpoint'] == ('192.0.2.1', 7)
    assert peer_a['preshared_key'] != PSK and peer_a['preshared_key'] is not None
    shown = wg.view(config)
    assert shown['peers'][0]['preshared_key_set'] is True
    assert 'PRIVATE' not in str(shown) and PSK not in str(shown)
    secret = wg.parse([first, second], secrets=True)
    assert secret['private_key'] == 'PRIVATE' and secret['peers'][KEY_A]['psk'] == PSK


# --- the plan ---------------------------------------------------------------------------

def reading(**peers):
    return {'public_key': KEY_B, 'listen_port': 51820, 'fwmark': 0, 'peers': dict(
        (key, dict({'public_key': key, 'endpoint': None, 'allowed_ips': (),
                    'persistent_keepalive': 0, 'preshared_key': None}, **fields))
        for key, fields in peers.items())}


def planned(wanted, now, key_file=None):
    steps = []
    target = wg.Target('ns', 'wg0', 'wireguard wg0', wanted, key_file)
    changes = wg.plan_config(lambda text, do, undo=None: steps.append(text), target, now)
    return steps, changes


def test_nothing_to_do_when_the_kernel_has_it():
    wanted = settings(listen_port=51820, peers=[peer(public_key=KEY_A,
                                                     allowed_ips=['10.0.0.2/32'],
                                                     endpoint='192.0.2.1:7')])
    now = reading(**{KEY_A: {'allowed_ips': ('10.0.0.2/32',), 'endpoint': ('192.0.2.1', 7)}})
    assert planned(wanted, now) == ([], {})


def test_peers_not_listed_go_changed_ones_change_new_ones_come():
    third = base64.b64encode(bytes(range(3, 35))).decode()
    now = reading(**{KEY_A: {'allowed_ips': ('10.0.0.2/32',)},
                     third: {'persistent_keepalive': 5}})
    wanted = settings(fwmark=7, peers=[
        peer(public_key=KEY_A, allowed_ips=['10.0.0.3/32'], persistent_keepalive=25,
             preshared_key=PSK),
        peer(public_key=KEY_B.replace('A', 'B'), endpoint='[fd00::1]:9')])
    steps, changes = planned(wanted, now)
    assert steps == [
        'set fwmark=7 on wireguard wg0',
        'remove peer %s from wireguard wg0' % wg.short(third),
        'change peer %s of wireguard wg0: allowed ips 10.0.0.3/32, keepalive 25 s, '
        'preshared key' % wg.short(KEY_A),
        'add peer %s to wireguard wg0 (endpoint [fd00::1]:9)' % wg.short(KEY_B.replace('A', 'B')),
    ]
    assert PSK not in str(steps) + str(changes)
    assert changes['fwmark'] == (0, 7)


def test_a_private_key_is_compared_through_its_public_key(tmp_path):
    path = tmp_path / 'wg.key'
    private = wg.new_private_key()
    path.write_text(private + '\n')
    key_file = wg.KeyFile(str(path), False, 'private_key_file')
    now = reading()
    steps, _changes = planned(settings(), now, key_file)
    assert steps == ['set private key of wireguard wg0 from %s' % path]
    assert private not in str(steps)
    now['public_key'] = wg.public_key_of(private)
    assert planned(settings(), now, key_file) == ([], {})
    own = settings(peers=[peer(public_key=now['public_key'])])
    with pytest.raises(InputError, match='has the public key of wireguard wg0 itself'):
        planned(own, now, key_file)


def test_a_new_device_is_planned_whole():
    wanted = settings(listen_port=51821, peers=[peer(public_key=KEY_A,
                                                     allowed_ips=['10.0.0.0/24'])])
    steps, _changes = planned(wanted, None)
    assert steps == ['set listen_port=51821 on wireguard wg0',
                     'add peer %s to wireguard wg0 (allowed ips 10.0.0.0/24)' % wg.short(KEY_A)]


def test_predicted_view_and_the_facts_description():
    wanted = settings(listen_port=51821, peers=[peer(public_key=KEY_A,
                                                     allowed_ips=['10.0.0.0/24'])])
    target = wg.Target('ns', 'wg0', 'wireguard wg0', wanted)
    after = wg.predicted_view(target, wg.view(reading()))
    assert after == {'public_key': KEY_B, 'listen_port': 51821, 'fwmark': 0, 'peers': [
        {'public_key': KEY_A, 'allowed_ips': ['10.0.0.0/24'], 'persistent_keepalive': 0,
         'preshared_key_set': False}]}
    assert wg.described(after, {KEY_A: ('site2', 'wg0')}) == {
        'listen_port': 51821, 'peers': [{'peer': {'node': 'site2', 'name': 'wg0'},
                                         'allowed_ips': ['10.0.0.0/24'],
                                         'persistent_keepalive': 0}]}


# --- the topology's wireguard links --------------------------------------------------------

def lab_params(*links):
    return dict(lab='wg', state='present', prune=False, nodes=[{'name': 's1'}, {'name': 's2'}],
                bridges=[], links=list(links))


def wg_link(node, **options):
    return {'kind': 'wireguard', 'node': node, 'name': 'wg0', 'options': options}


def test_a_lab_peer_may_name_another_wireguard_link():
    lab = model.build(lab_params(
        wg_link('s1', private_key_file='/k1', generate_key=True,
                peers=[{'peer': {'node': 's2', 'name': 'wg0'}, 'endpoint': '10.0.0.2:51820',
                        'allowed_ips': ['10.9.0.2/32']}]),
        wg_link('s2', private_key_file='/k2', listen_port='51820',
                peers=[{'peer': {'node': 's1', 'name': 'wg0'}}])))
    first = lab.ifaces[('s1', 'wg0')]
    assert first.options == {} and first.wireguard.peers[0].ref == ('s2', 'wg0')
    assert lab.ifaces[('s2', 'wg0')].wireguard.listen_port == 51820  # typed as the module


@pytest.mark.parametrize('link, message', [
    (wg_link('s1', peers=[{'peer': {'node': 's2', 'name': 'wg9'}}]),
     r'links\[0\].options.peers\[0\].peer: wg9 in node s2 is not a wireguard link'),
    (wg_link('s1', peers=[{'peer': {'node': 's1', 'name': 'wg0'}}]), 'its own peer'),
    (wg_link('s1', peers=[{'public_key': KEY_A, 'preshared_key': PSK}]),
     r'links\[0\].options.peers\[0\].preshared_key: a literal key .* preshared_key_file'),
    (wg_link('s1', peers=[{'public_key': KEY_A, 'peer': {'node': 's1', 'name': 'x'}}]),
     'not both'),
    (wg_link('s1', listen_port=0), r'links\[0\].options.listen_port: 0'),
    (dict(wg_link('s1'), mode='x'), 'has no mode'),
])
def test_lab_input_errors(link, message):
    with pytest.raises(InputError, match=message):
        model.build(lab_params(link))
