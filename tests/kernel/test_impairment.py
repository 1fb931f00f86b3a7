"""vnet.linux.impairment: netem per interface and direction, at run time.

Lanes: the machine's kernel has no sch_netem (it has ifb, the ingress qdisc,
cls_u32, act_mirred, tbf), so input checks, check mode, the refusals of
foreign qdiscs, the lock-out guard, the ingress plumbing and its undo run
here; whatever puts a netem qdisc in place is marked guest_kernel
(flock /tmp/vnet-guest.lock scripts/vm/pytest-in-guest.sh tests/kernel/test_impairment.py).
Measured effects use generous margins: the guest runs under emulation.
"""

import os
import re
import subprocess

import pytest

from conftest import ip, run_module, unique_name
from test_guard import default_route_interface

GUEST = pytest.mark.guest_kernel
ENV = 'VNET_FAULT_AT'


def has_netem():
    """Can this kernel make a netem qdisc? (tried in a namespace of our own)"""
    name = unique_name('q')
    subprocess.check_call(['ip', 'netns', 'add', name])
    try:
        return subprocess.call(['tc', '-n', name, 'qdisc', 'add', 'dev', 'lo', 'root',
                                'netem', 'delay', '1ms'], stderr=subprocess.DEVNULL) == 0
    finally:
        subprocess.check_call(['ip', 'netns', 'del', name])


@pytest.fixture
def pair(namespaces):
    """Two namespaces joined by a veth (va 10.x.0.1 in a, vb 10.x.0.2 in b)."""
    a, b = namespaces(2)
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name',
                           'vb', 'netns', b])
    for netns, dev, address in ((a, 'va', '10.91.0.1/24'), (b, 'vb', '10.91.0.2/24')):
        subprocess.check_call(['ip', '-n', netns, 'addr', 'add', address, 'dev', dev])
        subprocess.check_call(['ip', '-n', netns, 'link', 'set', dev, 'up'])
    return a, b


def ping(netns, address, count=5, interval='0.2'):
    """(loss percent, min rtt ms or None) of a ping run inside netns."""
    out = subprocess.run(['ip', 'netns', 'exec', netns, 'ping', '-n', '-q', '-c', str(count),
                          '-i', interval, '-W', '2', address],
                         capture_output=True, text=True, check=False).stdout
    loss = float(re.search(r'([\d.]+)% packet loss', out).group(1))
    rtt = re.search(r'= ([\d.]+)/', out)
    return loss, float(rtt.group(1)) if rtt else None


def tc(netns, *args):
    return subprocess.run(['tc', '-n', netns] + list(args), capture_output=True,
                          text=True, check=False).stdout


def plumbing(netns):
    """What the module may leave in a namespace: links and qdiscs, as text."""
    links = sorted((link['ifname'], link.get('ifalias', '')) for link in ip(netns, 'link'))
    return links, tc(netns, 'qdisc', 'show'), tc(netns, 'filter', 'show', 'dev', 'va', 'ingress')


def apply_exactly(args):
    """Check mode, real run (same actions), second run (no change)."""
    predicted = run_module('impairment', args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module('impairment', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    assert made['changed'] is True
    assert made['impairment'] == predicted['impairment']
    again = run_module('impairment', args)
    assert again['changed'] is False and again['actions'] == [], again['actions']
    return made


# --- here (no netem needed) ----------------------------------------------------------

@pytest.mark.parametrize('extra,field', [
    ({'delay': '10 parsecs'}, 'delay'),
    ({'loss': '150%'}, 'loss'),
    ({'loss': '5'}, 'loss'),
    ({'delay': '1000s'}, 'delay'),
    ({'jitter': '5ms'}, 'jitter'),
    ({'delay': '5ms', 'delay_correlation': '25%'}, 'delay_correlation'),
    ({'delay': '5ms', 'reorder_gap': 5}, 'reorder_gap'),
    ({'loss': '5%', 'reorder': '10%'}, 'reorder'),
    ({'rate': 'fast'}, 'rate'),
    ({'rate': '100gbit'}, 'rate'),
    ({'limit': 0, 'delay': '5ms'}, 'limit'),
    ({}, 'state'),
    ({'state': 'absent', 'delay': '5ms'}, 'delay'),
    ({'lab': 'x', 'delay': '5ms'}, 'lab'),
])
def test_bad_input_refused_before_any_change(pair, extra, field):
    a, _b = pair
    before = plumbing(a)
    base = {'name': 'va'} if field == 'lab' else {'name': 'va', 'netns': a}
    result = run_module('impairment', dict(base, **extra))
    assert result.get('failed') and result['msg'].startswith(field), result
    assert plumbing(a) == before


def test_missing_interface_and_namespace(pair):
    a, _b = pair
    result = run_module('impairment', {'name': 'nope', 'netns': a, 'delay': '5ms'})
    assert result['failed'] and result['msg'].startswith('name: nope does not exist')
    result = run_module('impairment', {'name': 'va', 'netns': unique_name('x'),
                                       'delay': '5ms'})
    assert result['failed'] and 'does not exist' in result['msg']


def test_check_mode_plans_both_directions_and_changes_nothing(pair):
    a, _b = pair
    before = plumbing(a)
    result = run_module('impairment', {'name': 'va', 'netns': a, 'direction': 'both',
                                       'delay': '100ms', 'loss': '5%'}, check=True)
    where = "va in namespace '%s'" % a
    assert result['changed'] and result['actions'] == [
        'set impairment (egress) delay=100ms, loss=5%% on %s' % where,
        "create ifb ifb-va in namespace '%s' for the ingress of va" % a,
        'add an ingress qdisc to %s' % where,
        'redirect what %s receives to ifb-va' % where,
        'set impairment (ingress) delay=100ms, loss=5%% on %s, through ifb-va' % where]
    assert result['diff']['before']['impairment'] == {'egress': None, 'ingress': None}
    assert result['impairment'] == {'egress': {'delay': '100ms', 'loss': '5%'},
                                    'ingress': {'delay': '100ms', 'loss': '5%'}}
    assert plumbing(a) == before
    cleared = run_module('impairment', {'name': 'va', 'netns': a, 'direction': 'both',
                                        'state': 'absent'}, check=True)
    assert cleared['changed'] is False and cleared['actions'] == []


def test_foreign_root_qdisc_refused_unless_forced(pair):
    a, _b = pair
    subprocess.check_call(['tc', '-n', a, 'qdisc', 'add', 'dev', 'va', 'root', 'handle', '5:',
                           'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms'])
    before = plumbing(a)
    refused = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms'})
    assert refused['failed'] and 'tbf 5:' in refused['msg'] and 'force' in refused['msg']
    assert plumbing(a) == before
    forced = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms',
                                       'force': True}, check=True)
    assert forced['actions'] == [
        "delete the foreign root qdisc tbf 5: of va in namespace '%s' (force)" % a,
        "set impairment (egress) delay=10ms on va in namespace '%s'" % a]
    # clearing never touches what is not an impairment
    cleared = run_module('impairment', {'name': 'va', 'netns': a, 'state': 'absent'})
    assert cleared['changed'] is False and plumbing(a) == before


def test_foreign_ingress_filters_and_ifb_refused(pair):
    a, _b = pair
    subprocess.check_call(['tc', '-n', a, 'qdisc', 'add', 'dev', 'va', 'ingress'])
    subprocess.check_call(['tc', '-n', a, 'filter', 'add', 'dev', 'va', 'parent', 'ffff:',
                           'protocol', 'all', 'prio', '7', 'u32', 'match', 'u32', '0', '0'])
    before = plumbing(a)
    refused = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms',
                                        'direction': 'ingress'})
    assert refused['failed'] and 'filters this module did not make' in refused['msg']
    forced = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms',
                                       'direction': 'ingress', 'force': True}, check=True)
    assert forced['actions'][1].startswith('delete the foreign ingress qdisc ingress ffff:')
    # a clsact qdisc sits in the same place
    subprocess.check_call(['tc', '-n', a, 'qdisc', 'del', 'dev', 'va', 'ingress'])
    subprocess.check_call(['tc', '-n', a, 'qdisc', 'add', 'dev', 'va', 'clsact'])
    refused = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms',
                                        'direction': 'ingress'})
    assert refused['failed'] and 'clsact ffff:' in refused['msg']
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'ifb-va', 'type', 'ifb'])
    before = plumbing(a)
    refused = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms',
                                        'direction': 'ingress', 'force': True})
    assert refused['failed'] and 'ifb-va exists' in refused['msg'], refused['msg']
    assert plumbing(a) == before


def test_ingress_plumbing_undone_when_netem_is_missing(pair):
    """On a kernel without sch_netem, the last step fails and the ifb, the
    ingress qdisc and the redirect made before it are all undone."""
    if has_netem():
        pytest.skip('this kernel has netem (the guest lane proves undo by fault injection)')
    a, _b = pair
    before = plumbing(a)
    result = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms',
                                       'direction': 'ingress'})
    assert result['failed'] and 'no netem qdisc' in result['msg']
    assert 'undone: redirect what va' in result['msg'] and 'create ifb ifb-va' in result['msg']
    assert plumbing(a) == before


def test_ingress_redirect_faults_undone_here(pair):
    """The first requests (ifb, ingress qdisc, filter) failing one by one:
    each run is undone to nothing (the netem step is the guest's)."""
    a, _b = pair
    before = plumbing(a)
    for k in (1, 2, 3, 4):
        os.environ[ENV] = str(k)
        try:
            result = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms',
                                               'direction': 'ingress'})
        finally:
            del os.environ[ENV]
        assert result['failed'] and 'fault injected at state-changing request %d' % k \
            in result['msg'], result['msg']
        assert plumbing(a) == before, k


def test_lock_out_guard(namespaces, monkeypatch):
    device = default_route_interface()
    if device is not None:
        refused = run_module('impairment', {'name': device, 'delay': '100ms'}, check=True)
        assert refused['failed'] and 'refusing to impair %s' % device in refused['msg']
        assert 'allow_disruptive' in refused['msg']
    other, = namespaces(1)
    end = unique_name('g')
    subprocess.check_call(['ip', 'link', 'add', end, 'type', 'veth', 'peer', 'name', 'g0',
                           'netns', other])
    try:
        subprocess.check_call(['ip', 'addr', 'add', '198.51.100.9/32', 'dev', end])
        monkeypatch.setenv('SSH_CONNECTION', '203.0.113.9 50000 198.51.100.9 22')
        refused = run_module('impairment', {'name': end, 'loss': '50%',
                                            'direction': 'ingress'})
        assert refused['failed'] and 'SSH connection' in refused['msg']
        allowed = run_module('impairment', {'name': end, 'loss': '50%',
                                            'direction': 'ingress', 'allow_disruptive': True},
                             check=True)
        assert allowed['changed'] and not allowed.get('failed')
    finally:
        subprocess.call(['ip', 'link', 'del', end])


def test_query_lists_link_states(pair):
    a, _b = pair
    subprocess.check_call(['ip', '-n', a, 'link', 'set', 'va', 'down'])
    result = run_module('impairment', {'netns': a, 'state': 'query'})
    assert result['changed'] is False
    assert [(r['name'], r['admin_state'], r['egress'], r['ingress'])
            for r in result['interfaces']] == [('va', 'down', None, None)]
    assert result['table'][0].split() == ['node', 'interface', 'admin', 'oper', 'egress',
                                          'ingress']


# --- the guest (netem) ------------------------------------------------------------------

@GUEST
def test_egress_delay_loss_measured_changed_in_place_and_cleared(pair):
    a, _b = pair
    assert ping(a, '10.91.0.2')[1] < 20
    made = apply_exactly({'name': 'va', 'netns': a, 'delay': '100ms'})
    assert made['actions'] == ["set impairment (egress) delay=100ms on va in namespace '%s'" % a]
    loss, rtt = ping(a, '10.91.0.2')
    assert loss == 0 and rtt >= 95, rtt
    assert 'delay 100ms' in tc(a, 'qdisc', 'show', 'dev', 'va')

    changed = apply_exactly({'name': 'va', 'netns': a, 'loss': '50%'})
    assert changed['diff']['before']['impairment']['egress'] == {'delay': '100ms'}
    assert changed['impairment']['egress'] == {'loss': '50%'}
    loss, rtt = ping(a, '10.91.0.2', count=100, interval='0.01')
    assert 25 <= loss <= 75, loss
    assert rtt is None or rtt < 50

    cleared = apply_exactly({'name': 'va', 'netns': a, 'state': 'absent'})
    assert cleared['impairment']['egress'] is None
    assert 'netem' not in tc(a, 'qdisc', 'show', 'dev', 'va')
    loss, rtt = ping(a, '10.91.0.2')
    assert loss == 0 and rtt < 20


@GUEST
def test_ingress_delay_measured_and_cleared(pair):
    a, b = pair
    before = plumbing(a)
    made = apply_exactly({'name': 'va', 'netns': a, 'delay': '100ms', 'direction': 'ingress'})
    assert made['impairment'] == {'egress': None, 'ingress': {'delay': '100ms'}}
    assert 'netem' not in tc(a, 'qdisc', 'show', 'dev', 'va')   # egress left alone
    assert 'delay 100ms' in tc(a, 'qdisc', 'show', 'dev', 'ifb-va')
    loss, rtt = ping(b, '10.91.0.1')
    assert loss == 0 and rtt >= 95, rtt
    apply_exactly({'name': 'va', 'netns': a, 'direction': 'ingress', 'state': 'absent'})
    assert plumbing(a) == before
    assert ping(b, '10.91.0.1')[1] < 20


@GUEST
def test_every_setting_both_directions_idempotent_through_kernel_rounding(pair):
    a, _b = pair
    settings = {'delay': '10ms', 'jitter': '1ms', 'delay_correlation': '25%',
                'loss': '0.1%', 'loss_correlation': '10%', 'duplicate': '1%',
                'duplicate_correlation': '5%', 'reorder': '10%', 'reorder_correlation': '20%',
                'corrupt': '0.5%', 'corrupt_correlation': '3%', 'rate': '100mbit',
                'limit': 2000}
    made = apply_exactly(dict(settings, name='va', netns=a, direction='both'))
    assert made['impairment']['egress'] == made['impairment']['ingress']
    assert made['impairment']['egress']['reorder_gap'] == 1   # the kernel's default gap
    query = run_module('impairment', {'netns': a, 'state': 'query', 'name': 'va'})
    row, = query['interfaces']
    assert row['egress'] == row['ingress'] == made['impairment']['egress']
    assert 'reorder 10%' in tc(a, 'qdisc', 'show', 'dev', 'va')
    # a change in place: what it leaves out is gone (the kernel would keep
    # a correlation or a reordering that the request does not reset)
    fewer = apply_exactly({'name': 'va', 'netns': a, 'direction': 'both', 'loss': '1%'})
    assert fewer['impairment'] == {'egress': {'loss': '1%'}, 'ingress': {'loss': '1%'}}
    shown = tc(a, 'qdisc', 'show', 'dev', 'va')
    assert 'reorder' not in shown and 'corrupt' not in shown and 'rate' not in shown, shown


@GUEST
def test_foreign_clsact_replaced_when_forced(pair):
    a, b = pair
    subprocess.check_call(['tc', '-n', a, 'qdisc', 'add', 'dev', 'va', 'clsact'])
    made = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '100ms',
                                     'direction': 'ingress', 'force': True})
    assert not made.get('failed'), made
    assert made['actions'][1].startswith('delete the foreign ingress qdisc clsact ffff:')
    assert ping(b, '10.91.0.1')[1] >= 95


@GUEST
def test_foreign_root_replaced_when_forced(pair):
    a, _b = pair
    # handle 1: is the one the module gives its netem: the foreign one goes first
    subprocess.check_call(['tc', '-n', a, 'qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:',
                           'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms'])
    forced = run_module('impairment', {'name': 'va', 'netns': a, 'delay': '10ms',
                                       'force': True})
    assert forced['changed'] and not forced.get('failed'), forced
    assert 'tbf' not in tc(a, 'qdisc', 'show', 'dev', 'va')
    run_module('impairment', {'name': 'va', 'netns': a, 'state': 'absent'})
    assert tc(a, 'qdisc', 'show', 'dev', 'va').startswith('qdisc noqueue 0:')


@GUEST
@pytest.mark.parametrize('args', [
    {'direction': 'both', 'delay': '10ms', 'loss': '1%'},
    {'direction': 'both', 'state': 'absent'},
])
def test_faults_at_every_step_undone(pair, args):
    a, _b = pair
    if args.get('state') == 'absent':
        run_module('impairment', {'name': 'va', 'netns': a, 'direction': 'both',
                                  'delay': '20ms'})
    base = dict(args, name='va', netns=a)
    for k in range(1, 20):
        before = plumbing(a)
        os.environ[ENV] = str(k)
        try:
            result = run_module('impairment', base)
        finally:
            del os.environ[ENV]
        if not result.get('failed'):
            break
        assert 'fault injected at state-changing request %d' % k in result['msg']
        assert 'could not undo' not in result['msg'], result['msg']
        assert plumbing(a) == before, (k, result['msg'])
    else:
        raise AssertionError('still failing after 19 faults')
    assert k > 2


@GUEST
def test_topology_egress_impairment_read_and_changed(lab):
    """The topology's impairment (egress, handle 1:) is an impairment like
    any: read, changed in place, and the topology puts its own back."""
    n1, n2 = lab.n('a'), lab.n('b')
    description = {'nodes': [{'name': n1}, {'name': n2}],
                   'links': [{'endpoints': [
                       {'node': n1, 'name': 'e1', 'addresses': ['10.92.0.1/24'],
                        'impairment': {'delay': '30ms'}},
                       {'node': n2, 'name': 'e2', 'addresses': ['10.92.0.2/24']}]}]}
    assert not lab.run(**description).get('failed')
    status = run_module('impairment', {'lab': lab.name, 'state': 'query'})
    rows = dict(((r['node'], r['name']), r) for r in status['interfaces'])
    assert rows[(n1, 'e1')]['egress'] == {'delay': '30ms'}
    assert rows[(n2, 'e2')]['egress'] is None
    again = run_module('impairment', {'name': 'e1', 'netns': n1, 'delay': '30ms'})
    assert again['changed'] is False
    apply_exactly({'name': 'e1', 'netns': n1, 'delay': '60ms'})
    assert ping(n1, '10.92.0.2')[1] >= 57
    drift = lab.run(check=True, **description)
    assert drift['changed'] and any('set impairment delay=30ms' in a for a in drift['actions'])
    assert not lab.run(**description).get('failed')
    assert 'delay 30ms' in tc(n1, 'qdisc', 'show', 'dev', 'e1')


@GUEST
def test_a_run_time_impairment_reads_back_into_a_lab_that_applies_unchanged(lab):
    """Every netem setting the impairment module sets is one the topology
    takes: what topology_info reads back of a link impaired at run time
    (duplication, reordering, corruption, correlations, a queue length)
    applies unchanged, and the same settings described in a lab re-run
    unchanged."""
    n1, n2 = lab.n('a'), lab.n('b')
    description = {'nodes': [{'name': n1}, {'name': n2}],
                   'links': [{'endpoints': [
                       {'node': n1, 'name': 'e1', 'addresses': ['10.93.0.1/24']},
                       {'node': n2, 'name': 'e2', 'addresses': ['10.93.0.2/24']}]}]}
    assert not lab.run(**description).get('failed')
    settings = {'delay': '20ms', 'jitter': '5ms', 'delay_correlation': '25%', 'loss': '1%',
                'loss_correlation': '10%', 'duplicate': '2%', 'duplicate_correlation': '5%',
                'reorder': '10%', 'reorder_correlation': '50%', 'reorder_gap': 5,
                'corrupt': '0.5%', 'corrupt_correlation': '1%', 'limit': 500}
    apply_exactly(dict(settings, name='e1', netns=n1))
    info = lab.info()
    ends = [end for link in info['links'] for end in link.get('endpoints', [])]
    read = [end['impairment'] for end in ends if end.get('node') == n1][0]
    assert read == settings
    applied = lab.run(prune=True, nodes=info['nodes'], bridges=info['bridges'],
                      links=info['links'])
    assert applied.get('changed') is False, (applied.get('msg'), applied.get('actions'))
    description['links'][0]['endpoints'][0]['impairment'] = dict(settings, limit=800)
    changed = lab.run(**description)
    assert changed['changed'] and not changed.get('failed'), changed.get('msg')
    assert lab.run(**description)['changed'] is False
    assert 'limit 800' in tc(n1, 'qdisc', 'show', 'dev', 'e1')
