"""Plan: a run of parallel steps is applied from several threads, and a
failure among them is reported by name and undone like any other."""

import threading

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine.errors import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    PARALLEL_STEPS,
    Plan,
)


def test_parallel_steps_run_at_the_same_time():
    """Each step waits for the others: one by one, the barrier breaks."""
    together = threading.Barrier(PARALLEL_STEPS, timeout=10)
    plan = Plan()
    for number in range(PARALLEL_STEPS):
        plan.add('remove %d' % number, together.wait, parallel=True)
    plan.apply()
    assert [step.text for step in plan.applied] == plan.actions


def test_serial_steps_around_a_parallel_run_keep_their_order():
    seen = []
    lock = threading.Lock()

    def record(text):
        def run():
            with lock:
                seen.append(text)
        return run
    plan = Plan()
    plan.add('first', record('first'))
    for number in range(5):
        plan.add('p%d' % number, record('p%d' % number), parallel=True)
    plan.add('last', record('last'))
    plan.apply()
    assert seen[0] == 'first' and seen[-1] == 'last'
    assert sorted(seen[1:-1]) == ['p%d' % n for n in range(5)]


def test_a_single_parallel_step_between_serial_ones_runs_in_place():
    seen = []
    plan = Plan()
    plan.add('a', lambda: seen.append('a'), parallel=True)
    plan.add('b', lambda: seen.append('b'))
    plan.add('c', lambda: seen.append('c'), parallel=True)
    plan.apply()
    assert seen == ['a', 'b', 'c']


def test_failures_in_a_parallel_run_are_named_and_the_rest_undone():
    undone = []

    def fail(text):
        def run():
            raise OSError(5, 'refused %s' % text)
        return run
    plan = Plan()
    plan.add('create x', lambda: None, undo=lambda: undone.append('x'))
    plan.add('remove a', lambda: None, parallel=True)
    plan.add('remove b', fail('b'), parallel=True)
    plan.add('remove c', lambda: None, parallel=True)
    plan.add('remove d', fail('d'), parallel=True)
    plan.add('never', lambda: undone.append('never ran'))
    with pytest.raises(EngineError) as failure:
        plan.apply()
    message = str(failure.value)
    assert 'step "remove b" failed: [Errno 5] refused b' in message
    assert 'step "remove d" failed: [Errno 5] refused d' in message
    assert 'undone: create x' in message
    assert 'could not undo: remove c; remove a' in message
    assert undone == ['x'] and failure.value.changed
