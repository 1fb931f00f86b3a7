"""The lab_files action: files written only when their content changes,
nothing in check mode, `changed` exactly when a file changes."""

import os
import shutil

import pytest

from ansible_collections.vnet.linux.plugins.action.lab_files import render_svg, sync_file


def test_writes_new_and_changed_content_only(tmp_path):
    path = str(tmp_path / 'lab.mmd')
    assert sync_file(path, 'one\n') == (True, None)
    before = os.stat(path).st_mtime_ns
    assert sync_file(path, 'one\n') == (False, b'one\n')
    assert os.stat(path).st_mtime_ns == before
    assert sync_file(path, 'two\n') == (True, b'one\n')
    with open(path) as handle:
        assert handle.read() == 'two\n'
    assert oct(os.stat(path).st_mode & 0o777) == '0o644'
    assert [p.name for p in tmp_path.iterdir()] == ['lab.mmd']   # no temporary left


def test_check_mode_tells_without_writing(tmp_path):
    path = str(tmp_path / 'out' / 'lab.mmd')
    assert sync_file(path, 'one\n', check_mode=True) == (True, None)
    assert not (tmp_path / 'out').exists()


def test_svg_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, 'which', lambda name: None)
    assert render_svg('graph g {}', str(tmp_path / 'a.svg'), True).startswith('skipped')


@pytest.mark.skipif(not shutil.which('dot'), reason='Graphviz dot is not installed')
def test_svg_drawn_once_per_change(tmp_path):
    svg = str(tmp_path / 'a.svg')
    assert render_svg('graph g { a -- b; }\n', svg, True, check_mode=True) == 'written'
    assert not os.path.exists(svg)
    assert render_svg('graph g { a -- b; }\n', svg, True) == 'written'
    assert render_svg('graph g { a -- b; }\n', svg, False) == 'unchanged'
    # the same DOT text written anew draws the same picture: no change
    assert render_svg('graph g { a -- b; }\n', svg, True) == 'unchanged'
    assert render_svg('graph g { a -- }\n', svg, True).startswith('failed')


def run_action(monkeypatch, args, check_mode=False, diff=False):
    """The action's run() with a stand-in task (no play, no connection)."""
    from types import SimpleNamespace

    from ansible.plugins.action import ActionBase

    from ansible_collections.vnet.linux.plugins.action.lab_files import ActionModule
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    action = ActionModule.__new__(ActionModule)
    action._task = SimpleNamespace(args=args, check_mode=check_mode, diff=diff)
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


def test_changed_exactly_when_a_file_changes(monkeypatch, tmp_path):
    args = {'path': str(tmp_path / 'out' / 'lab'), 'files': {'mmd': 'a\n', 'up.json': '{}\n'}}
    first = run_action(monkeypatch, args)
    assert first['changed'] and len(first['written']) == 2
    again = run_action(monkeypatch, args)
    assert not again['changed'] and again['written'] == [] and len(again['unchanged']) == 2
    args['files']['mmd'] = 'b\n'
    third = run_action(monkeypatch, args)
    assert third['changed'] and third['written'] == [str(tmp_path / 'out' / 'lab.mmd')]


def test_check_mode_writes_nothing_and_reports_what_would_change(monkeypatch, tmp_path):
    args = {'path': str(tmp_path / 'out' / 'lab'), 'files': {'mmd': 'a\n'}}
    result = run_action(monkeypatch, args, check_mode=True, diff=True)
    assert result['changed'] and result['written'] == [str(tmp_path / 'out' / 'lab.mmd')]
    assert result['diff'] == [{'before_header': str(tmp_path / 'out' / 'lab.mmd') + ' (absent)',
                               'after_header': str(tmp_path / 'out' / 'lab.mmd'),
                               'before': '', 'after': 'a\n'}]
    assert not (tmp_path / 'out').exists()
    run_action(monkeypatch, args)
    args['files']['mmd'] = 'b\n'
    result = run_action(monkeypatch, args, check_mode=True, diff=True)
    assert result['changed'] and result['diff'][0]['before'] == 'a\n'
    assert (tmp_path / 'out' / 'lab.mmd').read_text() == 'a\n'
    assert 'diff' not in run_action(monkeypatch, args, check_mode=True)


def test_unknown_and_missing_options_are_refused_by_the_argument_spec(monkeypatch, tmp_path):
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail) as err:
        run_action(monkeypatch, {'path': str(tmp_path / 'lab'), 'files': {}, 'colour': 'red'})
    assert 'colour' in str(err.value)
    with pytest.raises(AnsibleActionFail) as err:
        run_action(monkeypatch, {'files': {}})
    assert 'path' in str(err.value)
