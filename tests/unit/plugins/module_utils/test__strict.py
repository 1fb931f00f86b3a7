"""Strict input: every option of every module refuses a wrong type, by name.

The argument spec of each module in plugins/modules is captured from its
own main(); then, for every option (nested ones too), main() runs with a
wrong value there and nothing else. The task must fail with a message that
starts with the option's full path, before Ansible's own checks convert
anything (required options are missing on purpose: the type check comes
first).
"""

import contextlib
import importlib
import io
import json
import os

import pytest

from ansible.module_utils import _internal as module_internals
from ansible.module_utils.testing import patch_module_args

from ansible_collections.vnet.linux.plugins.module_utils._engine import strict
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError

MODULES_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'modules')
PACKAGE = 'ansible_collections.vnet.linux.plugins.modules.'
# modules without main(): an action plugin does their work (tested below)
ACTION_ONLY = ('lab_files',)

# A value of another type for each option type, and what the message says.
WRONG = {
    'str': [(['a', 'b'], 'must be a string'), (5, 'must be a string'),
            (True, 'must be a string'), ({'a': 1}, 'must be a string')],
    'path': [(['a'], 'must be a string')],
    'int': [('ten', 'must be an integer'), (1.5, 'must be an integer'),
            (True, 'must be an integer'), ([1], 'must be an integer')],
    'float': [('fast', 'must be a number'), (False, 'must be a number'), ([1.0], 'must be a number')],
    'bool': [('maybe', 'must be a boolean'), (1, 'must be a boolean'), ([True], 'must be a boolean')],
    'list': [('a,b', 'must be a list'), ({'a': 1}, 'must be a list'), (5, 'must be a list')],
    'dict': [('a=b', 'must be a dictionary'), (['a'], 'must be a dictionary'),
             (5, 'must be a dictionary')],
    # raw: the option's own code checks it (a topology bond port: a name or a
    # dict; test__topology_model.py)
    'raw': [],
}
RIGHT = {
    'str': ['x'], 'path': ['/tmp/x'], 'int': [1, '-2', ' 30 '],
    'float': [1, 1.5, '0.25', '2'], 'bool': [True, False, 'yes', 'Off', '0'],
    'list': [[]], 'dict': [{}], 'raw': ['eth0', {'name': 'eth0'}],
}


class SpecCaptured(Exception):
    pass


def module_names():
    return sorted(name[:-3] for name in os.listdir(MODULES_DIR)
                  if name.endswith('.py') and name != '__init__.py'
                  and name[:-3] not in ACTION_ONLY)


def captured_spec(name, monkeypatch):
    """The argument spec the module's main() hands to StrictModule."""
    module = importlib.import_module(PACKAGE + name)

    def capture(self, argument_spec, **kwargs):
        raise SpecCaptured(argument_spec)
    with monkeypatch.context() as patch:
        patch.setattr(strict.StrictModule, '__init__', capture)
        with pytest.raises(SpecCaptured) as captured:
            module.main()
    return captured.value.args[0]


def fields(spec, path=(), inside=None):
    """(path, option) for every option; a path is a tuple of keys and
    list positions, built so that it can be turned into parameters."""
    for name, option in sorted(spec.items()):
        here = path + (name,)
        yield here, option
        kind = option.get('type', 'str')
        nested = option.get('options')
        if kind == 'dict' and nested:
            yield from fields(nested, here)
        if kind == 'list' and option.get('elements'):
            yield here + (0,), dict(type=option['elements'], options=nested)
            if option['elements'] == 'dict' and nested:
                yield from fields(nested, here + (0,))


def params_at(path, value):
    for key in reversed(path):
        value = [value] if isinstance(key, int) else {key: value}
    return value


def field_name(path):
    text = ''
    for key in path:
        text += '[%d]' % key if isinstance(key, int) else ('.' if text else '') + key
    return text


def run_main(name, args):
    module = importlib.import_module(PACKAGE + name)
    out = io.StringIO()
    was_controller = module_internals.is_controller
    module_internals.is_controller = False
    try:
        with patch_module_args(dict(args, _ansible_check_mode=True)), \
                contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            module.main()
    finally:
        module_internals.is_controller = was_controller
    return json.loads(out.getvalue())


def cases(monkeypatch_factory):
    found = []
    for name in module_names():
        with monkeypatch_factory() as patch:
            spec = captured_spec(name, patch)
        for path, option in fields(spec):
            kind = option.get('type', 'str')
            for value, rule in WRONG.get(kind, []):
                if path[-1] in strict.NUMBER_AS_TEXT_OPTIONS and value == 5:
                    continue  # taken as its digits (test below)
                found.append((name, path, value, rule))
    return found


def _all_cases():
    return cases(pytest.MonkeyPatch.context)


ALL_CASES = _all_cases()


def test_every_module_is_covered():
    covered = set(case[0] for case in ALL_CASES)
    assert covered == set(module_names())
    # and every option type the modules use has wrong values to try
    for name in module_names():
        with pytest.MonkeyPatch.context() as patch:
            for _path, option in fields(captured_spec(name, patch)):
                assert option.get('type', 'str') in WRONG, (name, option)


@pytest.mark.parametrize('name, path, value, rule', ALL_CASES,
                         ids=['%s:%s=%r' % (c[0], field_name(c[1]), c[2]) for c in ALL_CASES])
def test_wrong_type_fails_with_the_field_path(name, path, value, rule):
    result = run_main(name, params_at(path, value))
    if path[-1] in strict.FILE_MODE_OPTIONS:
        rule = 'must be a file mode as octal text'
    assert result.get('failed') is True, result
    assert result['msg'].startswith(field_name(path) + ': ' + rule), result['msg']


@pytest.mark.parametrize('name', module_names())
def test_right_types_pass(name):
    with pytest.MonkeyPatch.context() as patch:
        spec = captured_spec(name, patch)
    for path, option in fields(spec):
        for value in RIGHT[option.get('type', 'str')]:
            params = params_at(path, value)
            assert strict.type_problems(spec, params) == [], (path, value)


def test_unquoted_file_mode_is_refused_with_the_fix():
    spec = {'device_mode': dict(type='str')}
    message = strict.check(spec, {'device_mode': 0o660})
    assert message == ("device_mode: must be a file mode as octal text like '0660', not the "
                       "integer 432; YAML reads an unquoted 0660 as the octal number 432: "
                       "quote the mode ('0660')")
    assert strict.check(spec, {'device_mode': '0660'}) is None


def test_messages_name_every_wrong_field_and_the_type_given():
    spec = {'name': dict(type='str'), 'peer': dict(type='dict', options={
        'name': dict(type='str'), 'mtu': dict(type='int')})}
    message = strict.check(spec, {'name': ['eth0'], 'peer': {'name': 'p', 'mtu': 1500.0}})
    assert message == ("name: must be a string, not a list ['eth0']; "
                       "peer.mtu: must be an integer, not the number 1500.0")


def test_null_is_omitted_but_not_inside_a_list():
    spec = {'ports': dict(type='list', elements='str'), 'mtu': dict(type='int')}
    assert strict.check(spec, {'mtu': None, 'ports': None}) is None
    assert strict.check(spec, {'ports': ['a', None]}) == 'ports[1]: must be a string, not null'


def test_aliases_are_checked_under_their_own_name():
    spec = {'name': dict(type='str', aliases=['dev'])}
    assert strict.check(spec, {'dev': 7}).startswith('dev: must be a string')


def test_typed_converts_what_it_accepts():
    spec = {'miimon': dict(type='int'), 'on': dict(type='bool'), 'delay': dict(type='float'),
            'ports': dict(type='list', elements='dict', options={'prio': dict(type='int')})}
    assert strict.typed(spec, {'miimon': '100', 'on': 'no', 'delay': 2,
                               'ports': [{'prio': '-3'}], 'other': 'kept'}) == \
        {'miimon': 100, 'on': False, 'delay': 2.0, 'ports': [{'prio': -3}], 'other': 'kept'}
    with pytest.raises(InputError, match=r'^x\.miimon: must be an integer'):
        strict.typed(spec, {'miimon': [100]}, 'x.')


def test_strict_module_converts_accepted_text_like_ansible(monkeypatch):
    with patch_module_args({'mtu': '1500', 'up': 'yes', 'delay': 3}):
        module = strict.StrictModule(argument_spec=dict(
            mtu=dict(type='int'), up=dict(type='bool'), delay=dict(type='float')))
    assert module.params == {'mtu': 1500, 'up': True, 'delay': 3.0}


def test_a_no_log_value_is_not_shown():
    spec = {'key': dict(type='int', no_log=True)}
    assert strict.check(spec, {'key': 'hunter2'}) == 'key: must be an integer, not a str'


def test_numbers_for_ids_are_their_digits():
    """vid: 10 and device_owner: 1000 mean what they say; a boolean does not."""
    spec = {'vid': dict(type='str'), 'device_owner': dict(type='str'), 'name': dict(type='str')}
    assert strict.check(spec, {'vid': 10, 'device_owner': 1000}) is None
    assert strict.check(spec, {'name': 10}).startswith('name: must be a string')
    assert strict.check(spec, {'vid': True}).startswith('vid: must be a string')
    assert strict.typed(spec, {'vid': 10}) == {'vid': '10'}
