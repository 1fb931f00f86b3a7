"""Every module documents where it runs (the platform attribute), and the
modules of the action group `links` say so (the action_group attribute), so
that module_defaults for the group can be found in ansible-doc. The group's
members are read from meta/runtime.yml: a module added to the group without
the attribute, or documented as a member without being one, fails here."""

import os

import pytest
import yaml

from conftest import MODULES, ROOT, module_doc

with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as handle:
    LINKS_GROUP = set(yaml.safe_load(handle)['action_groups']['links'])
# lab_files is the lab role's action plugin: it runs on the controller
CONTROLLER = {'lab_files'}


@pytest.mark.parametrize('module', MODULES)
def test_platform_attribute(module, ansible_env, all_docs):
    platform = module_doc(module, ansible_env, all_docs)['attributes']['platform']
    assert platform['support'] == 'N/A'
    assert platform['platforms'] == ('posix' if module in CONTROLLER else ['posix', 'Linux'])


@pytest.mark.parametrize('module', MODULES)
def test_action_group_attribute_matches_meta_runtime(module, ansible_env, all_docs):
    attributes = module_doc(module, ansible_env, all_docs).get('attributes') or {}
    if module in LINKS_GROUP:
        assert attributes['action_group']['membership'] == ['vnet.linux.links']
    else:
        assert 'action_group' not in attributes


def test_every_group_member_is_a_module():
    assert LINKS_GROUP <= set(MODULES)
