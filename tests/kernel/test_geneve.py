"""vnet.linux.geneve and the geneve kind of vnet.linux.topology.

The machine's kernel has no geneve driver: the tests that create one are
marked guest_kernel (scripts/vm/pytest-in-guest.sh tests/kernel/test_geneve.py)
and batched, each run proving several options at once (the guest lane is
slow). Input errors and check mode change nothing, so they also run here.
"""

import subprocess

import pytest

from conftest import ip, run_module

GUEST = pytest.mark.guest_kernel


def ok(result):
    assert not result.get('failed'), result.get('msg')
    return result


def apply_exactly(args):
    """Check mode, the real run (same actions), a second run (no change)."""
    predicted = ok(run_module('geneve', args, check=True))
    made = ok(run_module('geneve', args))
    assert made['actions'] == predicted['actions']
    assert made['changed'] is True
    again = ok(run_module('geneve', args))
    assert again['changed'] is False and again['actions'] == [], again['actions']
    return made


def info(netns, name):
    return ip(netns, 'link', 'show', name)[0]['linkinfo']['info_data']


def link_names(netns):
    return [entry['ifname'] for entry in ip(netns, 'link', 'show')]


def ping(netns, address):
    return subprocess.run(['ip', 'netns', 'exec', netns, 'ping', '-c', '1', '-W', '3', address],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)


@GUEST
def test_options_in_place_recreate_drift_external_and_absent(namespaces):
    ns, = namespaces(1)
    label = "geneve gn0 in namespace '%s'" % ns
    args = {'name': 'gn0', 'netns': ns, 'vni': 5000, 'remote': '192.0.2.2', 'dstport': 6081,
            'ttl': 64, 'tos': 8, 'df': 'set', 'udpcsum': True, 'udp6zerocsumrx': True,
            'mtu': 1400, 'addresses': ['10.50.0.1/30'], 'admin_state': 'up'}
    made = apply_exactly(args)
    assert made['actions'][0] == (
        'create %s with df=set, dstport=6081, mtu=1400, remote=192.0.2.2, tos=8, ttl=64, '
        'udp6zerocsumrx=True, '
        'udpcsum=True, vni=5000' % label)
    seen = info(ns, 'gn0')
    assert (seen['id'], seen['remote'], seen['port'], seen['ttl'], seen['tos'], seen['df'],
            seen['udp_csum'], seen['udp_zero_csum6_rx']) == \
        (5000, '192.0.2.2', 6081, 64, '0x8', 'set', True, True)

    # in place: remote (same family), ttl, tos, df in one request
    moved = apply_exactly({'name': 'gn0', 'netns': ns, 'remote': '192.0.2.3', 'ttl': 9,
                           'tos': 0, 'df': 'inherit'})
    assert moved['actions'] == ['set df=inherit, remote=192.0.2.3, tos=0, ttl=9 on %s' % label]

    # re-created: dstport and udpcsum; what the task left open is kept
    before = moved['link']
    recreated = apply_exactly({'name': 'gn0', 'netns': ns, 'dstport': 7000, 'udpcsum': False})
    assert recreated['actions'][0] == 'delete %s (dstport, udpcsum cannot change in place)' % label
    after = recreated['link']
    assert (after['options']['dstport'], after['options']['udpcsum']) == (7000, False)
    for key in ('mtu', 'addresses', 'admin_state', 'mac_address'):
        assert after[key] == before[key], key
    for key in ('vni', 'remote', 'ttl', 'tos', 'df', 'udp6zerocsumrx'):
        assert after['options'][key] == before['options'][key], key

    # another family re-creates; an IPv6 remote takes a flow label
    six = apply_exactly({'name': 'gn0', 'netns': ns, 'remote': 'fd00::2', 'flowlabel': 0x12345,
                         'udp6zerocsumtx': True})
    assert 'the address family (IPv4 -> IPv6) cannot change in place' in six['actions'][0]
    seen = info(ns, 'gn0')
    assert (seen['remote6'], seen['label'], seen['udp_zero_csum6_tx']) == \
        ('fd00::2', '0x12345', True)

    # drift behind the module's back is repaired
    subprocess.check_call(['ip', '-n', ns, 'link', 'set', 'gn0', 'type', 'geneve', 'id', '5000',
                           'ttl', '33'])
    repaired = apply_exactly({'name': 'gn0', 'netns': ns, 'ttl': 9})
    assert repaired['diff']['before']['link']['options']['ttl'] == 33
    assert info(ns, 'gn0')['ttl'] == 9

    # external: the kernel changes nothing of it in place
    external = {'name': 'gn1', 'netns': ns, 'external': True, 'dstport': 6090, 'df': 'set'}
    apply_exactly(external)
    assert info(ns, 'gn1')['external'] is True
    changed = apply_exactly(dict(external, df='unset'))
    assert changed['actions'][0] == ("delete geneve gn1 in namespace '%s' (df of an external "
                                     "geneve cannot change in place)" % ns)

    absent = {'name': 'gn0', 'netns': ns, 'state': 'absent'}
    assert ok(run_module('geneve', absent))['actions'] == ['delete %s' % label]
    assert link_names(ns) == ['lo', 'gn1']


@GUEST
def test_topology_geneve_traffic_rerun_facts_round_trip_and_absent(lab):
    a, b = lab.n('a'), lab.n('b')
    description = dict(
        nodes=[{'name': a}, {'name': b}],
        links=[
            {'endpoints': [{'node': a, 'name': 'u0', 'addresses': ['192.0.2.1/24']},
                           {'node': b, 'name': 'u0', 'addresses': ['192.0.2.2/24']}]},
            {'kind': 'geneve', 'node': a, 'name': 'gn0', 'addresses': ['10.50.0.1/30'],
             'options': {'vni': 77, 'remote': '192.0.2.2', 'ttl': 32}},
            {'kind': 'geneve', 'node': b, 'name': 'gn0', 'addresses': ['10.50.0.2/30'],
             'options': {'vni': 77, 'remote': '192.0.2.1', 'df': 'set'}},
        ])
    predicted = lab.run(check=True, **description)
    assert predicted.get('failed') is None, predicted.get('msg')
    made = lab.run(**description)
    assert made.get('failed') is None, made.get('msg')
    assert made['actions'] == predicted['actions']
    assert 'create geneve gn0 in node %s with remote=192.0.2.2, ttl=32, vni=77' % a \
        in made['actions']
    result = ping(a, '10.50.0.2')
    assert result.returncode == 0, result.stdout
    assert lab.run(**description)['changed'] is False

    facts = lab.info()
    geneves = dict((entry['node'], entry) for entry in facts['links']
                   if entry.get('kind') == 'geneve')
    assert (geneves[a]['options']['vni'], geneves[a]['options']['remote'],
            geneves[a]['options']['ttl'], geneves[b]['options']['df']) == \
        (77, '192.0.2.2', 32, 'set')
    applied = lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                      links=facts['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'))

    gone = lab.run(state='absent')
    assert gone.get('failed') is None, gone.get('msg')
    assert lab.namespaces() == []


def test_a_geneve_has_no_underlay_device(lab):
    """A geneve has an underlay node (parent_node), never a device."""
    a = lab.n('a')
    failed = lab.run(check=True, nodes=[{'name': a}], links=[
        {'kind': 'geneve', 'node': a, 'name': 'gn0', 'parent': 'eth0',
         'options': {'vni': 1, 'remote': '192.0.2.2'}}])
    assert failed.get('failed') and 'links[0].parent: a geneve has no underlay device; ' \
        'parent_node names its underlay node' in failed['msg'], failed
    assert lab.namespaces() == []


def udp_ports(netns):
    """The local UDP ports ss reports in a namespace (an independent witness)."""
    out = subprocess.run(['ip', 'netns', 'exec', netns, 'ss', '-Hulnp'], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    return set(int(line.split()[3].rsplit(':', 1)[1]) for line in out.splitlines())


def veth_underlay(a, b):
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'ul', 'type', 'veth', 'peer', 'name',
                           'ul', 'netns', b])
    for netns, address in ((a, '192.0.2.1/24'), (b, '192.0.2.2/24')):
        subprocess.check_call(['ip', '-n', netns, 'addr', 'add', address, 'dev', 'ul'])
        subprocess.check_call(['ip', '-n', netns, 'link', 'set', 'ul', 'up'])


@GUEST
def test_a_geneve_whose_socket_is_in_its_underlay_namespace(namespaces, lab):
    """Made in its underlay namespace (link_netns) and moved into its own,
    which has no route to the underlay: the tunnel carries traffic, a second
    run finds it where it is (the socket table is the witness: the kernel
    reports no link namespace for a geneve), another underlay re-creates it,
    and removing the underlay namespace (the kernel deletes the geneve with
    it) is refused as collateral. The topology does the same with
    parent_node, and reads it back."""
    ua, ub, na, nb = namespaces(4)
    veth_underlay(ua, ub)
    ends = {}
    for node, under, address, remote in ((na, ua, '10.60.0.1/30', '192.0.2.2'),
                                         (nb, ub, '10.60.0.2/30', '192.0.2.1')):
        ends[node] = {'name': 'gn0', 'netns': node, 'link_netns': under, 'vni': 60,
                      'remote': remote, 'addresses': [address], 'admin_state': 'up'}
        made = apply_exactly(ends[node])
        assert made['actions'][0] == ("create geneve gn0 in namespace '%s' on underlay "
                                      "namespace '%s' with remote=%s, vni=60"
                                      % (node, under, remote)), made['actions']
        assert made['link']['link_netns'] == under and made['link']['link'] is None
        assert 6081 in udp_ports(under) and 6081 not in udp_ports(node)
    assert ping(na, '10.60.0.2').returncode == 0

    refused = run_module('netns', {'name': ua, 'state': 'absent'})
    assert refused.get('failed') and 'gn0' in refused['msg'], refused
    assert 'gn0' in link_names(na)

    # back into its own namespace: re-created there, and its socket with it
    own = dict(ends[na], link_netns=None)
    del own['link_netns']
    moved = ok(run_module('geneve', own))
    assert any('its underlay is not' in action for action in moved['actions']), moved
    assert ok(run_module('geneve', own))['changed'] is False
    assert 6081 in udp_ports(na)
    for node in (na, nb):
        ok(run_module('geneve', {'name': 'gn0', 'netns': node, 'state': 'absent'}))

    # a lab: the geneve of node c made in node u, and read back with it
    u1, u2, c1, c2 = lab.n('u1'), lab.n('u2'), lab.n('c1'), lab.n('c2')
    description = dict(
        nodes=[{'name': name} for name in (u1, u2, c1, c2)],
        links=[{'endpoints': [{'node': u1, 'name': 'ul', 'addresses': ['192.0.2.1/24']},
                              {'node': u2, 'name': 'ul', 'addresses': ['192.0.2.2/24']}]},
               {'kind': 'geneve', 'node': c1, 'name': 'gt', 'parent_node': u1,
                'addresses': ['10.61.0.1/30'], 'options': {'vni': 61, 'remote': '192.0.2.2'}},
               {'kind': 'geneve', 'node': c2, 'name': 'gt', 'parent_node': u2,
                'addresses': ['10.61.0.2/30'], 'options': {'vni': 61, 'remote': '192.0.2.1'}}])
    predicted = lab.run(check=True, **description)
    first = lab.run(**description)
    assert not first.get('failed'), first.get('msg')
    assert first['actions'] == predicted['actions']
    assert any(action.startswith('create geneve gt in node %s' % c1) and
               'over underlay node %s' % u1 in action
               for action in first['actions']), first['actions']
    assert ping(c1, '10.61.0.2').returncode == 0
    assert lab.run(**description)['changed'] is False
    facts = lab.info()
    tunnels = dict((entry['node'], entry) for entry in facts['links']
                   if entry.get('kind') == 'geneve')
    assert tunnels[c1].get('parent_node') == u1 and tunnels[c2].get('parent_node') == u2
    assert lab.run(prune=True, nodes=facts['nodes'], bridges=facts['bridges'],
                   links=facts['links'])['changed'] is False
    assert lab.run(state='absent')['changed']
    assert lab.namespaces() == []


def test_check_mode_predicts_without_a_geneve_driver(namespaces):
    ns, = namespaces(1)
    predicted = ok(run_module('geneve', {'name': 'gn0', 'netns': ns, 'vni': 1,
                                         'remote': '192.0.2.2'}, check=True))
    assert predicted['actions'] == [
        "create geneve gn0 in namespace '%s' with remote=192.0.2.2, vni=1" % ns]
    assert link_names(ns) == ['lo']


@pytest.mark.parametrize('args, message', [
    ({'vni': 2 ** 24}, 'vni: 16777216 is out of range'),
    ({'remote': '239.1.1.1'}, 'remote: 239.1.1.1 is a multicast address'),
    ({'remote': '10.0.0.2', 'flowlabel': 1}, 'flowlabel: a flow label is an IPv6 header field'),
    ({'remote': 'fd00::2', 'udpcsum': True}, 'udpcsum: only for an IPv4 remote'),
    ({'remote': '10.0.0.2', 'udp6zerocsumtx': True}, 'udp6zerocsumtx: only for an IPv6 remote'),
    ({'external': True, 'vni': 3}, 'vni: not used with external'),
    ({'external': True, 'remote': '10.0.0.2'}, 'remote: not used with external'),
    ({'dstport': 0}, 'dstport: 0 is out of range'),
    ({'df': 'yes'}, 'value of df must be one of'),
])
def test_bad_input_is_refused_before_anything_changes(namespaces, args, message):
    ns, = namespaces(1)
    failed = run_module('geneve', dict(args, name='gn0', netns=ns))
    assert failed.get('failed') and message in failed['msg'], failed
    assert link_names(ns) == ['lo']
