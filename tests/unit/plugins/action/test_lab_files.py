"""The lab_files action's file handling (no Ansible run needed)."""

import os
import shutil

import pytest

from ansible_collections.vnet.linux.plugins.action.lab_files import render_svg, write_if_different


def test_writes_new_and_changed_content_only(tmp_path):
    path = str(tmp_path / 'lab.mmd')
    assert write_if_different(path, 'one\n')
    before = os.stat(path).st_mtime_ns
    assert not write_if_different(path, 'one\n')
    assert os.stat(path).st_mtime_ns == before
    assert write_if_different(path, 'two\n')
    with open(path) as handle:
        assert handle.read() == 'two\n'
    assert oct(os.stat(path).st_mode & 0o777) == '0o644'
    assert [p.name for p in tmp_path.iterdir()] == ['lab.mmd']   # no temporary left


def test_svg_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, 'which', lambda name: None)
    assert render_svg(str(tmp_path / 'a.dot'), str(tmp_path / 'a.svg'), True).startswith('skipped')


@pytest.mark.skipif(not shutil.which('dot'), reason='Graphviz dot is not installed')
def test_svg_drawn_once_per_change(tmp_path):
    dot, svg = str(tmp_path / 'a.dot'), str(tmp_path / 'a.svg')
    write_if_different(dot, 'graph g { a -- b; }\n')
    assert render_svg(dot, svg, True) == 'written'
    assert render_svg(dot, svg, False) == 'unchanged'
    write_if_different(dot, 'graph g { a -- }\n')
    assert render_svg(dot, svg, True).startswith('failed')


def run_action(monkeypatch, args):
    """The action's run() with a stand-in task (no play, no connection)."""
    from types import SimpleNamespace

    from ansible.plugins.action import ActionBase

    from ansible_collections.vnet.linux.plugins.action.lab_files import ActionModule
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    action = ActionModule.__new__(ActionModule)
    action._task = SimpleNamespace(args=args)
    action._load_name = 'vnet.linux.lab_files'
    return action.run(task_vars={})


@pytest.mark.parametrize('args, message', [
    ({'path': ['a'], 'files': {}}, "path: must be a string (a path), not a list ['a']"),
    ({'path': '/tmp/x', 'files': 'mmd=text'}, "files: must be a dictionary"),
    ({'path': '/tmp/x', 'files': {}, 'svg': 'maybe'}, "svg: must be a boolean"),
])
def test_wrong_types_are_refused_by_name(monkeypatch, args, message):
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail) as err:
        run_action(monkeypatch, args)
    assert str(err.value.message).startswith(message)


def test_svg_no_as_text_means_no(monkeypatch, tmp_path):
    # before, any non-empty text was true: svg: "no" drew the picture
    result = run_action(monkeypatch, {'path': str(tmp_path / 'lab'), 'files': {'dot': 'graph g {}'},
                                      'svg': 'no'})
    assert 'svg' not in result and result['written'] == [str(tmp_path / 'lab.dot')]
