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
