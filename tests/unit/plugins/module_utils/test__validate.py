"""Input rules: each names the field and the rule it broke."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate as v


@pytest.mark.parametrize('name', ['eth0', 'a', 'x' * 15, 'veth-01_a.b', 'ünï'])
def test_good_interface_names(name):
    assert v.interface_name(name, 'name') == name


@pytest.mark.parametrize('name, rule', [
    ('', 'non-empty'), ('x' * 16, '16 bytes long; the limit is 15'),
    ('ü' * 8, '16 bytes'), ('a/b', '"/"'), ('.', '"."'), ('..', '".."'),
    ('a b', 'whitespace'), ('a\tb', 'whitespace'), ('a:1', '":"'),
])
def test_bad_interface_names(name, rule):
    with pytest.raises(v.InputError) as err:
        v.interface_name(name, 'peer.name')
    assert str(err.value).startswith('peer.name: ') and rule in str(err.value)


def test_namespace_names_are_never_paths():
    for bad in ('/run/netns/x', '../etc', 'a/b'):
        with pytest.raises(v.InputError, match='never paths'):
            v.namespace_name(bad, 'netns')
    assert v.namespace_name('ns:1', 'netns') == 'ns:1'


@pytest.mark.parametrize('mac, canonical', [
    ('02:00:00:00:00:01', '02:00:00:00:00:01'), ('02-AB-00-00-00-01', '02:ab:00:00:00:01')])
def test_mac_canonical(mac, canonical):
    assert v.mac_address(mac, 'mac_address') == canonical


@pytest.mark.parametrize('mac, rule', [
    ('02:00:00:00:00', 'not a MAC'), ('zz:00:00:00:00:01', 'not a MAC'),
    ('01:00:5e:00:00:01', 'multicast'), ('00:00:00:00:00:00', 'all-zero')])
def test_bad_macs(mac, rule):
    with pytest.raises(v.InputError, match=rule):
        v.mac_address(mac, 'mac_address')


def test_cidrs_canonical_and_duplicates():
    assert v.cidrs(['10.0.0.1/24', '2001:DB8::1/64'], 'addresses') == \
        ['10.0.0.1/24', '2001:db8::1/64']
    with pytest.raises(v.InputError, match=r'addresses: 10.0.0.1/24 is listed twice'):
        v.cidrs(['10.0.0.1/24', '10.0.0.1/24'], 'addresses')
    with pytest.raises(v.InputError, match=r'addresses\[1\]: .* no prefix length'):
        v.cidrs(['10.0.0.1/24', '10.0.0.2'], 'addresses')
    with pytest.raises(v.InputError, match=r'addresses\[0\]: .*not a valid'):
        v.cidrs(['10.0.0.1/33'], 'addresses')


def test_int_range():
    assert v.int_range(None, 'mtu', 68, 65535) is None
    with pytest.raises(v.InputError, match='mtu: 67 is out of range; allowed 68..65535'):
        v.int_range(67, 'mtu', 68, 65535)


@pytest.mark.parametrize('name', ['cni-6f1c2c4e-7d1a-4c0b-9a57-2f0e5d3b8c11', 'x' * 255,
                                  'ü' * 127, 'ns:1', 'x' * 16])
def test_namespace_names_of_up_to_255_bytes(name):
    assert v.namespace_name(name, 'netns') == name


@pytest.mark.parametrize('name, rule', [
    ('', 'must be a non-empty string'), (['red'], 'must be a non-empty string'),
    ('x' * 256, '256 bytes long; the limit is 255 bytes'), ('ü' * 128, '256 bytes long'),
    ('.', '"." or ".."'), ('..', '"." or ".."'), ('a/b', '"/"'), ('a\0b', 'NUL byte'),
])
def test_bad_namespace_names(name, rule):
    with pytest.raises(v.InputError) as err:
        v.namespace_name(name, 'peer.netns')
    assert str(err.value).startswith('peer.netns: namespace name') and rule in str(err.value)


def test_interface_names_keep_the_15_byte_limit_and_refuse_nul():
    with pytest.raises(v.InputError, match='16 bytes long; the limit is 15 bytes'):
        v.interface_name('x' * 16, 'name')
    with pytest.raises(v.InputError, match='NUL byte'):
        v.interface_name('a\0b', 'name')


@pytest.mark.parametrize('value, text', [(1, '1'), ('4096 87380  6291456', '4096 87380 6291456'),
                                         (0.5, '0.5')])
def test_sysctl_values(value, text):
    assert v.sysctl_value(value, 'sysctls.k') == text


@pytest.mark.parametrize('value', [True, [1], {'a': 1}, None])
def test_sysctl_values_refused(value):
    with pytest.raises(v.InputError, match='sysctls.k: .* is not a sysctl value'):
        v.sysctl_value(value, 'sysctls.k')
