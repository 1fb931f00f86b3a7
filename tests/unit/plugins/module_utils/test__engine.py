"""Plan/apply/undo and the difference tracker, without a kernel."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine import plan as engine
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import BRIDGE
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import NetlinkFailure


def state(**extra):
    base = {'name': 'br0', 'netns': 'sw', 'kind': 'bridge', 'index': 3, 'admin_state': 'down',
            'mtu': 1500, 'mac_address': '02:00:00:00:00:01', 'txqueuelen': 1000,
            'alias': '', 'master': '', 'addresses': ['10.0.0.1/24'],
            'data': {'IFLA_BR_STP_STATE': 0, 'IFLA_BR_FORWARD_DELAY': 1500},
            'port_data': {}, 'port_kind': None}
    base.update(extra)
    return base


def test_apply_undoes_done_steps_in_reverse_and_names_them():
    log = []
    plan = engine.Plan()
    plan.add('one', lambda: log.append('do 1'), lambda: log.append('undo 1'))
    plan.add('two', lambda: log.append('do 2'), lambda: log.append('undo 2'))
    plan.add('three (no undo)', lambda: log.append('do 3'))

    def boom():
        raise NetlinkFailure('kernel said no')
    plan.add('four', boom, lambda: log.append('undo 4'))
    with pytest.raises(engine.EngineError) as err:
        plan.apply()
    assert log == ['do 1', 'do 2', 'do 3', 'undo 2', 'undo 1']
    message = str(err.value)
    assert message.startswith('step "four" failed: kernel said no')
    assert 'undone: two; one' in message and 'could not undo: three (no undo)' in message


def test_undo_failure_is_reported_not_hidden():
    plan = engine.Plan()

    def undo_fails():
        raise NetlinkFailure('gone')

    def disk_fails():
        raise OSError('disk')
    plan.add('one', lambda: None, undo_fails)
    plan.add('two', disk_fails)
    with pytest.raises(engine.EngineError, match=r'could not undo: one \(gone\)'):
        plan.apply()


def test_differences_only_what_is_managed_and_differs():
    wanted = engine.Wanted('br0', 'sw', BRIDGE, attrs={'mtu': 1500, 'alias': None},
                           options={'stp': True, 'forward_delay': 15},
                           addresses=['10.0.0.2/24'], admin_state='up')
    diff = engine.differences(wanted, state())
    assert diff == {'stp': (False, True),
                    'addresses': (['10.0.0.1/24'], ['10.0.0.1/24', '10.0.0.2/24']),
                    'admin_state': ('down', 'up')}


def test_purge_addresses_in_differences_and_prediction():
    wanted = engine.Wanted('br0', 'sw', BRIDGE, addresses=['10.0.0.2/24'],
                           purge_addresses=True)
    assert engine.differences(wanted, state())['addresses'] == \
        (['10.0.0.1/24'], ['10.0.0.2/24'])
    assert engine.predicted(wanted, state())['addresses'] == ['10.0.0.2/24']


def test_nothing_wanted_means_no_difference():
    assert engine.differences(engine.Wanted('br0', 'sw', BRIDGE), state()) == {}


def test_predicted_equals_public_when_nothing_changes():
    current = state()
    wanted = engine.Wanted('br0', 'sw', BRIDGE, attrs={'mtu': 1500}, options={'stp': False})
    assert engine.predicted(wanted, current) == engine.public(current, BRIDGE)


def test_verify_reports_every_problem():
    wanted = engine.Wanted('br0', 'sw', BRIDGE, attrs={'mtu': 9000})
    check = engine.link_check('bridge br0', state, wanted)
    missing = engine.link_check('bridge br1', lambda: None, wanted)
    original = engine.VERIFY_TRIES
    engine.VERIFY_TRIES = 1
    try:
        with pytest.raises(engine.EngineError) as err:
            engine.verify([check, missing])
    finally:
        engine.VERIFY_TRIES = original
    assert 'bridge br0: mtu is 1500 in the kernel, expected 9000' in str(err.value)
    assert 'bridge br1 is missing after apply' in str(err.value)


def test_rolled_back_undoes_applied_steps_and_reports_change():
    made = []
    plan = engine.Plan()
    plan.add('make a', lambda: made.append('a'), lambda: made.remove('a'))
    plan.add('make b', lambda: made.append('b'), lambda: made.remove('b'))
    plan.apply()
    assert made == ['a', 'b']
    # a verification that fails after apply undoes the whole run
    failure = plan.rolled_back('verification after apply failed: b is wrong')
    assert made == [] and failure.changed is True
    assert 'undone: make b; make a' in str(failure)
    # nothing applied, nothing changed
    assert engine.Plan().rolled_back('x').changed is False
