"""vnet.linux.wireguard and the wireguard kind of vnet.linux.topology.

The machine's kernel has no wireguard: tests that create one are marked
guest_kernel (scripts/vm/pytest-in-guest.sh tests/kernel/test_wireguard.py)
and read the kernel back with `wg` (wireguard-tools) as an independent
witness. They are few and each proves much (the guest lane is slow). Check
mode and input errors change nothing and need no wireguard: they run here.
"""

import json
import os
import stat
import subprocess

import pytest

from conftest import ip, run_module

GUEST = pytest.mark.guest_kernel
# peers' public keys for tests that never reach a kernel (RFC 7748 6.1)
ALICE = 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo='
BOB = '3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08='
PSK = 'Ph8Pd/J22WLQ4oCpwkFcP4ZGon86jxpmctOrhJEAtXM='


def wg(netns, *args, stdin=None):
    return subprocess.run(['ip', 'netns', 'exec', netns, 'wg'] + list(args), input=stdin,
                          capture_output=True, text=True, check=True).stdout


def dump(netns, name='wg0'):
    """`wg show NAME dump`: the device line, then one line per peer."""
    lines = [line.split('\t') for line in wg(netns, 'show', name, 'dump').splitlines()]
    device, peers = lines[0], lines[1:]
    return {'private_key': device[0], 'public_key': device[1], 'listen_port': int(device[2]),
            'fwmark': 0 if device[3] == 'off' else int(device[3], 0),
            'peers': dict((p[0], {'psk': p[1], 'endpoint': p[2],
                                  'allowed_ips': sorted(p[3].split(',')) if p[3] != '(none)'
                                  else [], 'keepalive': p[7]}) for p in peers)}


def pubkey(private):
    return subprocess.run(['wg', 'pubkey'], input=private, capture_output=True, text=True,
                          check=True).stdout.strip()


def secret_free(result, *secrets):
    text = json.dumps(result)
    for secret in secrets:
        assert secret not in text


def apply_exactly(module, args, *secrets):
    """Check mode, real run (same actions), second run (no change); no
    secret anywhere in any result."""
    predicted = run_module(module, args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module(module, args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    assert made['changed'] is True
    again = run_module(module, args)
    assert again['changed'] is False and again['actions'] == [], again['actions']
    for result in (predicted, made, again):
        secret_free(result, *secrets)
    return made


def pings(netns, address, deadline=10):
    return subprocess.call(['ip', 'netns', 'exec', netns, 'ping', '-c1', '-w%d' % deadline,
                            address], stdout=subprocess.DEVNULL) == 0


def underlay(one, two):
    """Two namespaces joined by a veth pair: 10.0.0.1 and 10.0.0.2."""
    made = run_module('veth', {'name': 'u0', 'netns': one, 'addresses': ['10.0.0.1/24'],
                               'admin_state': 'up',
                               'peer': {'name': 'u0', 'netns': two, 'addresses': ['10.0.0.2/24'],
                                        'admin_state': 'up'}})
    assert not made.get('failed'), made


@GUEST
def test_module_keys_options_drift_traffic_and_absent(namespaces, tmp_path):
    one, two = namespaces(2)
    underlay(one, two)
    key1, key2, psk_file = (str(tmp_path / name) for name in ('one.key', 'two.key', 'psk'))
    # the far end first (generated key, no peers yet): its public key is returned
    far = {'name': 'wg0', 'netns': two, 'private_key_file': key2, 'generate_key': True,
           'listen_port': 51822, 'addresses': ['10.10.0.2/24'], 'admin_state': 'up'}
    made_far = apply_exactly('wireguard', far)
    private2 = open(key2).read().strip()
    assert stat.S_IMODE(os.stat(key2).st_mode) == 0o600
    assert made_far['public_key'] == pubkey(private2) == dump(two)['public_key']
    secret_free(made_far, private2)

    # the near end with every option
    with open(psk_file, 'w') as handle:
        handle.write(wg(one, 'genpsk'))
    psk = open(psk_file).read().strip()
    near = {'name': 'wg0', 'netns': one, 'private_key_file': key1, 'generate_key': True,
            'listen_port': 51821, 'fwmark': 7, 'addresses': ['10.10.0.1/24'],
            'admin_state': 'up', 'mtu': 1380,
            'peers': [{'public_key': made_far['public_key'], 'endpoint': '10.0.0.2:51822',
                       'allowed_ips': ['10.10.0.2/32', '10.20.0.0/16'],
                       'persistent_keepalive': 25, 'preshared_key_file': psk_file}]}
    predicted = run_module('wireguard', near, check=True)
    assert not os.path.exists(key1) and predicted['public_key'] is None  # check mode writes nothing
    made = apply_exactly('wireguard', near, psk)
    private1 = open(key1).read().strip()
    secret_free(made, private1)
    assert made['public_key'] == pubkey(private1)
    assert made['diff']['before'] == {'link': {}}
    assert made['link']['options']['peers'][0]['preshared_key_set'] is True
    seen = dump(one)
    assert (seen['listen_port'], seen['fwmark']) == (51821, 7)
    assert seen['peers'] == {made_far['public_key']: {
        'psk': psk, 'endpoint': '10.0.0.2:51822', 'allowed_ips': ['10.10.0.2/32', '10.20.0.0/16'],
        'keepalive': '25'}}
    assert ip(one, 'link', 'show', 'wg0')[0]['mtu'] == 1380

    # the far end learns the near one (a preshared key given literally: no_log)
    far['peers'] = [{'public_key': made['public_key'], 'allowed_ips': ['10.10.0.1/32'],
                     'preshared_key': psk}]
    secret_free(apply_exactly('wireguard', far, psk), private2)
    assert pings(one, '10.10.0.2')

    # every option changed in place, the allowed IPs in another order
    changed = dict(near, listen_port=51823, fwmark=0, peers=[dict(
        near['peers'][0], allowed_ips=['10.30.0.0/16', '10.10.0.2/32'],
        persistent_keepalive=0, endpoint='10.0.0.2:51822', preshared_key_file='')])
    result = apply_exactly('wireguard', changed, psk)
    assert "set fwmark=0, listen_port=51823 on wireguard wg0 in namespace '%s'" % one \
        in result['actions']
    seen = dump(one)
    assert (seen['listen_port'], seen['fwmark']) == (51823, 0)
    assert seen['peers'][made_far['public_key']] == {
        'psk': '(none)', 'endpoint': '10.0.0.2:51822',
        'allowed_ips': ['10.10.0.2/32', '10.30.0.0/16'], 'keepalive': 'off'}
    same_order = run_module('wireguard', dict(changed, peers=[dict(
        changed['peers'][0], allowed_ips=['10.10.0.2/32', '10.30.0.0/16'])]))
    assert same_order['changed'] is False

    # drift behind our back: a foreign peer, other allowed IPs
    wg(one, 'set', 'wg0', 'peer', made_far['public_key'], 'allowed-ips', '10.99.0.0/16')
    wg(one, 'set', 'wg0', 'peer', ALICE, 'allowed-ips', '10.98.0.0/16')
    repaired = run_module('wireguard', changed)
    assert repaired['changed'] is True, repaired
    assert 'remove peer %s... from wireguard wg0 in namespace \'%s\'' % (ALICE[:10], one) \
        in repaired['actions']
    assert list(dump(one)['peers']) == [made_far['public_key']]
    assert dump(one)['peers'][made_far['public_key']]['allowed_ips'] == \
        ['10.10.0.2/32', '10.30.0.0/16']
    assert run_module('wireguard', changed)['changed'] is False

    # bad input is refused before anything changes
    before = wg(one, 'showconf', 'wg0')
    for bad, message in (
            ({'public_key': 'not-a-key'}, 'peers[0].public_key'),
            ({'public_key': ALICE, 'endpoint': '10.0.0.2'}, 'peers[0].endpoint'),
            ({'public_key': ALICE, 'allowed_ips': ['10.0.0.1/24']}, 'peers[0].allowed_ips[0]'),
            ({'public_key': made['public_key']}, 'has the public key of wireguard wg0')):
        failed = run_module('wireguard', dict(changed, listen_port=51824, peers=[bad]))
        assert failed.get('failed') and message in failed['msg'], failed
    failed = run_module('wireguard', dict(changed, listen_port=70000))
    assert 'listen_port: 70000 is out of range' in failed['msg']
    assert wg(one, 'showconf', 'wg0') == before

    # a peer with a wrong key: no traffic
    wrong = dict(changed, peers=[dict(changed['peers'][0], public_key=BOB)])
    assert not run_module('wireguard', wrong).get('failed')
    assert not pings(one, '10.10.0.2', deadline=3)

    absent = {'name': 'wg0', 'netns': one, 'state': 'absent'}
    gone = apply_exactly('wireguard', absent)
    assert gone['link'] == {} and os.path.exists(key1)  # the key file is kept
    # (the guest's ip_gre puts fallback devices like gre0 in every namespace)
    assert 'wg0' not in [entry['ifname'] for entry in ip(one, 'link', 'show')]


@GUEST
def test_topology_two_sites_by_reference_and_the_facts_round_trip(lab, tmp_path):
    s1, s2 = lab.n('s1'), lab.n('s2')
    keys = dict((node, str(tmp_path / ('%s.key' % node))) for node in (s1, s2))

    def site(node, other, address, port, other_port):
        return {'kind': 'wireguard', 'node': node, 'name': 'wg0', 'addresses': [address],
                'options': {'private_key_file': keys[node], 'generate_key': True,
                            'listen_port': port,
                            'peers': [{'peer': {'node': other, 'name': 'wg0'},
                                       'endpoint': '10.0.0.%d:%d' % (
                                           1 if other == s1 else 2, other_port),
                                       'allowed_ips': ['10.10.0.%d/32' % (
                                           1 if other == s1 else 2)]}]}}
    description = dict(
        nodes=[{'name': s1}, {'name': s2}],
        links=[{'endpoints': [{'node': s1, 'name': 'u0', 'addresses': ['10.0.0.1/24']},
                              {'node': s2, 'name': 'u0', 'addresses': ['10.0.0.2/24']}]},
               site(s1, s2, '10.10.0.1/24', 51821, 51822),
               site(s2, s1, '10.10.0.2/24', 51822, 51821)])
    predicted = lab.run(check=True, **description)
    assert predicted.get('failed') is None, predicted.get('msg')
    assert not os.path.exists(keys[s1])
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert 'add peer %s/wg0 to wireguard wg0 in node %s (endpoint 10.0.0.2:51822, allowed ' \
        'ips 10.10.0.2/32)' % (s2, s1) in made['actions']
    privates = [open(keys[node]).read().strip() for node in (s1, s2)]
    secret_free(made, *privates)
    assert dump(s1)['peers'].keys() == {pubkey(privates[1])}
    assert dump(s2)['peers'].keys() == {pubkey(privates[0])}
    assert pings(s1, '10.10.0.2')
    assert lab.run(**description)['changed'] is False

    facts = lab.info()
    secret_free(facts, *privates)
    tunnels = sorted((entry['node'], entry['options']) for entry in facts['links']
                     if entry.get('kind') == 'wireguard')
    assert tunnels[0][1] == {'listen_port': 51821, 'peers': [{
        'peer': {'node': s2, 'name': 'wg0'}, 'endpoint': '10.0.0.2:51822',
        'allowed_ips': ['10.10.0.2/32'], 'persistent_keepalive': 0}]}
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'))


# --- no wireguard needed ------------------------------------------------------------------

def test_check_mode_predicts_a_new_tunnel_and_writes_nothing(namespaces, tmp_path):
    ns, = namespaces(1)
    key = str(tmp_path / 'wg.key')
    args = {'name': 'wg0', 'netns': ns, 'private_key_file': key, 'generate_key': True,
            'listen_port': 51820, 'addresses': ['10.10.0.1/24'],
            'peers': [{'public_key': ALICE, 'endpoint': '[fd00::2]:51820',
                       'allowed_ips': ['10.10.0.2/32'], 'preshared_key': PSK}]}
    predicted = run_module('wireguard', args, check=True)
    assert predicted['changed'] is True, predicted
    label = "wireguard wg0 in namespace '%s'" % ns
    assert predicted['actions'] == [
        'generate private key file %s (mode 0600) for %s' % (key, label),
        'create %s' % label,
        'add address 10.10.0.1/24 to %s' % label,
        'set private key of %s from %s' % (label, key),
        'set listen_port=51820 on %s' % label,
        'add peer %s... to %s (endpoint [fd00::2]:51820, allowed ips 10.10.0.2/32, '
        'preshared key)' % (ALICE[:10], label)]
    assert predicted['public_key'] is None and not os.path.exists(key)
    assert predicted['diff']['after']['link']['options']['peers'][0]['public_key'] == ALICE
    secret_free(predicted, PSK)
    assert [entry['ifname'] for entry in ip(ns, 'link', 'show')] == ['lo']


@pytest.mark.parametrize('args, message', [
    ({'peers': [{'public_key': 'short'}]}, 'peers[0].public_key: not a WireGuard public key'),
    ({'peers': [{'public_key': ALICE, 'endpoint': 'fd00::2:51820'}]}, 'in brackets'),
    ({'peers': [{'public_key': ALICE, 'allowed_ips': ['10.0.0.0']}]}, 'no prefix length'),
    ({'listen_port': 65536}, 'listen_port: 65536 is out of range'),
    ({'generate_key': True}, 'generate_key: needs private_key_file'),
    ({'private_key_file': '/nonexistent/wg.key'}, 'does not exist; create it'),
    ({'private_key_file': '/nonexistent/wg.key', 'generate_key': True},
     'directory /nonexistent does not exist'),
])
def test_input_errors_change_nothing(namespaces, args, message):
    ns, = namespaces(1)
    failed = run_module('wireguard', dict(args, name='wg0', netns=ns))
    assert failed.get('failed') and message in failed['msg'], failed
    assert [entry['ifname'] for entry in ip(ns, 'link', 'show')] == ['lo']


def test_a_lab_refuses_a_literal_preshared_key(lab):
    failed = lab.run(nodes=[{'name': lab.n('a')}], links=[
        {'kind': 'wireguard', 'node': lab.n('a'), 'name': 'wg0',
         'options': {'peers': [{'public_key': ALICE, 'preshared_key': PSK}]}}])
    assert failed.get('failed') and 'preshared_key_file' in failed['msg'], failed
    secret_free(failed, PSK)
    assert lab.namespaces() == []
