"""vnet.linux.reachability on the machine's kernel, between namespaces the
test makes (traffic never leaves them)."""

import subprocess

from conftest import run_module


def one_way_pair(a, b):
    """a answers at 10.66.0.1; 10.66.0.2 (in b) never answers: its end is down."""
    subprocess.check_call(['ip', '-n', a, 'link', 'add', 'ra', 'type', 'veth',
                           'peer', 'name', 'rb', 'netns', b])
    subprocess.check_call(['ip', '-n', a, 'addr', 'add', '10.66.0.1/24', 'dev', 'ra'])
    subprocess.check_call(['ip', '-n', a, 'link', 'set', 'ra', 'up'])


def probe(a, b, **extra):
    args = dict(nodes={a: ['10.66.0.1'], b: ['10.66.0.2']}, pairs=[{'src': a, 'dst': b}],
                count=2, interval=0.05, timeout=0.3, warmup=0)
    args.update(extra)
    return run_module('reachability', args)


def test_max_loss_100_accepts_a_path_with_all_echoes_lost(namespaces):
    a, b = namespaces(2)
    one_way_pair(a, b)
    strict = probe(a, b)
    assert strict['failed'] and '100% loss' in strict['msg'], strict
    tolerant = probe(a, b, max_loss=100)
    assert not tolerant.get('failed'), tolerant
    row, = tolerant['results']
    assert row['loss'] == 100.0 and row['ok'] and not row['reachable']
    assert tolerant['summary'] == {'paths': 1, 'ok': 1, 'broken': 0}


def test_max_loss_outside_0_to_100_is_refused(namespaces):
    a, b = namespaces(2)
    result = probe(a, b, max_loss=101)
    assert result['failed'] and result['msg'].startswith('max_loss:'), result
