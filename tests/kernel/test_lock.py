"""Runs side by side (issue 9): two runs of the same lab on one host wait
for each other and both succeed; a run that waits too long fails before it
changes anything, naming the run it waited for."""

import multiprocessing

import pytest

from conftest import run_module, unique_name

from pyroute2 import netns as pyroute2_netns

from ansible_collections.vnet.linux.plugins.module_utils._engine.lock import (
    HostLocks,
    lab_key,
    netns_key,
)


def description(prefix, count=12):
    nodes = [{'name': '%s%d' % (prefix, i)} for i in range(count)]
    links = [{'endpoints': [{'node': nodes[i]['name'], 'name': 'e0',
                             'addresses': ['10.9.%d.1/24' % i]},
                            {'node': nodes[i + 1]['name'], 'name': 'e1',
                             'addresses': ['10.9.%d.2/24' % i]}]}
             for i in range(count - 1)]
    return {'nodes': nodes, 'links': links}


@pytest.fixture
def lab():
    prefix = unique_name('k')[:12]
    name = 'lab-' + prefix
    yield name, prefix
    run_module('topology', {'lab': name, 'state': 'absent'})
    for netns in pyroute2_netns.listnetns():
        if netns.startswith(prefix):
            pyroute2_netns.remove(netns)


def _apply(args, queue):
    queue.put(run_module('topology', args))


def test_two_runs_of_one_lab_both_succeed(lab):
    name, prefix = lab
    args = dict(description(prefix), lab=name)
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    runs = [context.Process(target=_apply, args=(args, queue)) for _run in range(2)]
    for run in runs:
        run.start()
    results = [queue.get(timeout=600) for _run in runs]
    for run in runs:
        run.join()
    assert [r.get('failed', False) for r in results] == [False, False], \
        [r.get('msg') for r in results]
    # one built the lab, the other found it built
    assert sorted(r['changed'] for r in results) == [False, True]
    again = run_module('topology', args)
    assert again['changed'] is False


def test_timeout_names_the_holder_and_changes_nothing(lab):
    name, prefix = lab
    with HostLocks({'task': 'the other run'}) as held:
        held.acquire([lab_key(name)])
        waited = run_module('topology', dict(description(prefix, 2), lab=name,
                                             lock_timeout=1))
    assert waited['failed'] and 'the other run' in waited['msg']
    assert "lab %r" % name in waited['msg'] and 'lock_timeout' in waited['msg']
    assert not [n for n in pyroute2_netns.listnetns() if n.startswith(prefix)]


def test_module_runs_lock_their_namespaces(namespaces):
    netns, = namespaces(1)
    with HostLocks({'task': 'holder of the namespace'}) as held:
        held.acquire([netns_key(netns)])
        waited = run_module('bridge', {'name': 'br0', 'netns': netns, 'lock_timeout': 1})
        assert waited['failed'] and 'holder of the namespace' in waited['msg']
        # another namespace is not blocked
        other = unique_name('l')
        try:
            free = run_module('netns', {'name': other})
            assert free['changed'] and not free.get('failed')
        finally:
            run_module('netns', {'name': other, 'state': 'absent'})
    done = run_module('bridge', {'name': 'br0', 'netns': netns})
    assert done['changed'] and not done.get('failed')
