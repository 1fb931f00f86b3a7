# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Strict input: a value must already have the type its option declares.

AnsibleModule converts what it can, without a word: a list given for a name
becomes the text "['a', 'b']" (a valid-looking namespace name), the number
432 (what YAML makes of an unquoted file mode 0660) becomes the text "432",
the text "a,b" becomes a two-item list, "k=v" becomes a dict, true becomes
the MTU 1. Each turns a slip into another, plausible value. StrictModule
checks the raw parameters against the argument spec before AnsibleModule
converts them; a wrong type fails the task, before anything is read or
changed, with the option's full path (peer.name, links[3].ports[0]) and the
type it needs.

Accepted on purpose, because nothing is lost and templates and extra vars
hand values over as text:
- an integer where a float is expected (15 is 15.0);
- text that spells a whole number for an int ("1500"), a number for a float
  ("0.5"), or one of Ansible's boolean words for a bool ("yes", "off",
  "true", "0", any case);
- an integer for the few text options whose values are often numbers
  (NUMBER_AS_TEXT_OPTIONS: a VLAN id, a uid, a gid).

Refused: text for anything else than text and the cases above, numbers and
booleans for text (quote them), floats for an int, a boolean for a number,
numbers for a bool, a scalar for a list or a dict, null inside a list.
"""

from __future__ import annotations

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError

_WHOLE = re.compile(r'^[-+]?\d+$')
_NUMBER = re.compile(r'^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$')
# Ansible's boolean words (ansible.module_utils.parsing.convert_bool), as text
_TRUE_WORDS = frozenset(('y', 'yes', 'on', '1', 'true', 't'))
_BOOLEAN_WORDS = _TRUE_WORDS | frozenset(('n', 'no', 'off', '0', 'false', 'f'))
# Options that take a file mode as octal text (ansible.builtin.file's `mode`)
FILE_MODE_OPTIONS = frozenset(('device_mode',))
# Text options whose values are often plain numbers (a VLAN id or range, a
# uid or user name, a gid or group name): an integer is taken as its digits,
# which is what it means
NUMBER_AS_TEXT_OPTIONS = frozenset(('vid', 'device_owner', 'device_group'))

_WANTED = {
    'str': 'a string',
    'path': 'a string (a path)',
    'int': 'an integer',
    'float': 'a number',
    'bool': 'a boolean (true or false)',
    'list': 'a list',
    'dict': 'a dictionary (mapping)',
}


def describe(value):
    """What the user gave, in YAML's words."""
    if isinstance(value, bool):
        return 'the boolean %s' % ('true' if value else 'false')
    if isinstance(value, int):
        return 'the integer %d' % value
    if isinstance(value, float):
        return 'the number %r' % value
    if isinstance(value, str):
        return 'the string %r' % value
    if isinstance(value, (list, tuple)):
        return 'a list %r' % (list(value),)
    if isinstance(value, dict):
        return 'a dictionary %r' % (value,)
    if value is None:
        return 'null'
    return 'a %s %r' % (type(value).__name__, value)


def fits(kind, value):
    """True if `value` is of option type `kind` (or lossless text for it)."""
    if kind in ('str', 'path'):
        return isinstance(value, str)
    if kind == 'int':
        return _is_int(value) or (isinstance(value, str) and bool(_WHOLE.match(value.strip())))
    if kind == 'float':
        return (_is_int(value) or isinstance(value, float)
                or (isinstance(value, str) and bool(_NUMBER.match(value.strip()))))
    if kind == 'bool':
        return isinstance(value, bool) or (
            isinstance(value, str) and value.strip().lower() in _BOOLEAN_WORDS)
    if kind == 'list':
        return isinstance(value, list)
    if kind == 'dict':
        return isinstance(value, dict)
    return True  # raw and the rarer types: the option's own code checks them


def _is_int(value):
    # bool is a subclass of int: `mtu: true` is not the MTU 1
    return isinstance(value, int) and not isinstance(value, bool)


def _number_as_text(kind, value, name):
    return kind == 'str' and name in NUMBER_AS_TEXT_OPTIONS and _is_int(value)


def _hint(kind, value, name):
    """The fix for the most likely slips."""
    if name in FILE_MODE_OPTIONS and _is_int(value):
        return ('; YAML reads an unquoted 0%o as the octal number %d: quote the mode '
                '(\'0%o\')' % (value, value, value))
    if kind in ('str', 'path') and isinstance(value, (int, float)):
        return '; quote it if it is meant as text (\'%s\')' % (
            str(value).lower() if isinstance(value, bool) else value)
    if kind == 'list' and isinstance(value, str):
        return '; write a YAML list, like [%s]' % value
    return ''


def problem(kind, value, field, name, secret=False):
    """The message for a value that does not fit, or None. The value of a
    no_log option is not shown (Ansible has not collected it for masking
    yet)."""
    if value is None or fits(kind, value) or _number_as_text(kind, value, name):
        return None
    wanted = _WANTED.get(kind, kind)
    if name in FILE_MODE_OPTIONS:
        wanted = "a file mode as octal text like '0660'"
    if secret:
        return '%s: must be %s, not a %s' % (field, wanted, type(value).__name__)
    return '%s: must be %s, not %s%s' % (field, wanted, describe(value),
                                         _hint(kind, value, name))


def type_problems(spec, params, prefix=''):
    """Every wrong type in `params` against the argument spec `spec`, each
    a message naming the field's full path. Unknown options, missing
    required ones and choices are left to Ansible's own checks."""
    found = []
    for name, option in spec.items():
        for key in [name] + list(option.get('aliases') or []):
            if key in params:
                found.extend(_option_problems(option, params[key], prefix + key, name))
    return found


def _option_problems(option, value, field, name):
    kind = option.get('type', 'str')
    if value is None or callable(kind):
        return []
    message = problem(kind, value, field, name, option.get('no_log'))
    if message:
        return [message]
    if kind == 'dict' and option.get('options'):
        return type_problems(option['options'], value, field + '.')
    if kind == 'list':
        return _element_problems(option, value, field, name)
    return []


def _element_problems(option, values, field, name):
    kind = option.get('elements')
    if kind is None or callable(kind):
        return []
    found = []
    for pos, value in enumerate(values):
        item = '%s[%d]' % (field, pos)
        if value is None:
            found.append('%s: must be %s, not null' % (item, _WANTED.get(kind, kind)))
            continue
        message = problem(kind, value, item, name, option.get('no_log'))
        if message:
            found.append(message)
        elif kind == 'dict' and option.get('options'):
            found.extend(type_problems(option['options'], value, item + '.'))
    return found


def check(spec, params, prefix=''):
    """One message for every wrong type (None if there is none)."""
    found = type_problems(spec, params, prefix)
    return '; '.join(found) if found else None


def typed(spec, params, prefix=''):
    """For a free-form mapping that Ansible passes on unconverted (the
    topology's per-kind `options`): refuse wrong types as StrictModule
    does, and return a copy with the accepted text turned into its type
    ("1500" -> 1500, "no" -> False), so that the rules are the same as a
    module's. Keys the spec does not know are copied as they are."""
    message = check(spec, params, prefix)
    if message:
        raise InputError(message)
    return _typed_mapping(spec, params)


def _typed_mapping(spec, params):
    result = dict(params)
    for name, option in spec.items():
        if result.get(name) is not None:
            result[name] = _typed_value(option, option.get('type', 'str'), result[name], name)
    return result


def _typed_value(option, kind, value, name):
    if _number_as_text(kind, value, name):
        return str(value)
    if kind == 'int' and isinstance(value, str):
        return int(value.strip())
    if kind == 'float' and not isinstance(value, float):
        return float(value.strip() if isinstance(value, str) else value)
    if kind == 'bool' and isinstance(value, str):
        return value.strip().lower() in _TRUE_WORDS
    if kind == 'dict' and option.get('options'):
        return _typed_mapping(option['options'], value)
    if kind == 'list' and option.get('elements'):
        return [_typed_value(option, option['elements'], item, name) for item in value]
    return value


class StrictModule(AnsibleModule):
    """AnsibleModule that refuses wrong types instead of converting them.

    The check runs where AnsibleModule has read its parameters and its own
    settings (check mode, diff, no_log) but has not yet converted anything:
    at the end of _set_internal_properties, which __init__ calls right after
    loading the parameters.
    """

    def _set_internal_properties(self, argument_spec=None, module_parameters=None):
        super(StrictModule, self)._set_internal_properties(argument_spec, module_parameters)
        if argument_spec is None and module_parameters is None:
            message = check(self.argument_spec, self.params)
            if message:
                self.fail_json(msg=message)


__all__ = ['StrictModule', 'check', 'typed', 'type_problems', 'problem', 'fits', 'FILE_MODE_OPTIONS',
           'NUMBER_AS_TEXT_OPTIONS']
