"""The pyroute2 bound of the modules: its reading of versions, and that it is
the bound the collection states everywhere else (requirements.txt, the
prereqs role, the modules' documentation)."""

import os
import re
import sys

import pytest
import yaml

from ansible_collections.vnet.linux.plugins.module_utils._netlink import requirement

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))


@pytest.mark.parametrize('text, version', [
    ('0.7.2', (0, 7, 2)), ('0.9.1', (0, 9, 1)), ('0.9.7.post1', (0, 9, 7)), ('1.0', (1, 0, 0)),
    ('unknown', None), ('', None), (None, None),
])
def test_version_tuple(text, version):
    assert requirement.version_tuple(text) == version


def test_debian_12_pyroute2_is_refused_with_the_version_needed_and_the_prereqs_role():
    message = requirement.too_old('0.7.2')
    assert 'pyroute2 0.9.1 or newer is needed' in message
    assert 'has pyroute2 0.7.2' in message
    assert sys.executable in message
    assert 'vnet.linux.prereqs' in message


@pytest.mark.parametrize('found', ['0.9.1', '0.9.7', '0.10.0', '1.0', 'unknown'])
def test_new_enough_or_unreadable_versions_pass(found):
    assert requirement.too_old(found) is None


def test_this_python_passes():
    assert requirement.pyroute2_problem() is None


def minimum_of(specifier):
    match = re.search(r'pyroute2\s*>=\s*([\d.]+)', specifier)
    assert match, specifier
    return tuple(int(part) for part in match.group(1).split('.'))


def test_the_bound_is_the_one_stated_in_requirements_and_the_prereqs_role():
    with open(os.path.join(ROOT, 'requirements.txt')) as f:
        assert minimum_of(f.read()) == requirement.MINIMUM_VERSION
    with open(os.path.join(ROOT, 'roles', 'prereqs', 'defaults', 'main.yml')) as f:
        defaults = yaml.safe_load(f)
    assert minimum_of(defaults['prereqs_pyroute2_requirement']) == requirement.MINIMUM_VERSION
