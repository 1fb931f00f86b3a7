# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a lab's report files on the controller, in one task (internal to
the vnet.linux.lab role).

The lab role writes half a dozen small files per run (pictures, tables, the
run report). With ansible.builtin.copy each is a module run of its own,
seconds on a busy machine; written here, in the controller process, they
cost nothing. Like any module it changes nothing in check mode, reports a
change exactly when a file's content changes, and shows it in diff mode.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.vnet.linux.plugins.module_utils._engine import strict
from ansible_collections.vnet.linux.plugins.module_utils._lab.atomic import write_atomically

FILE_MODE = 0o644

# as documented in plugins/modules/lab_files.py
ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    files=dict(type='dict', required=True),
    svg=dict(type='bool', default=False),
)


def read_bytes(path):
    """The file's content, or None when there is no such file."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def sync_file(path, content, check_mode=False):
    """Give `path` this content when it differs (not in check mode).
    Returns (changed, the content before or None)."""
    data = to_bytes(content)
    before = read_bytes(path)
    if before == data:
        return False, before
    if not check_mode:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomically(path, data, FILE_MODE)
    return True, before


def render_svg(dot_text, svg_path, dot_changed, check_mode=False):
    """Draw the DOT text as SVG with Graphviz (to memory: writes nothing in
    check mode) and sync the SVG file. The SVG follows from the DOT, so an
    unchanged DOT with an SVG beside it needs no drawing."""
    if not shutil.which('dot'):
        return 'skipped: the Graphviz dot binary is not installed'
    if not dot_changed and os.path.exists(svg_path):
        return 'unchanged'
    done = subprocess.run(['dot', '-Tsvg'], input=to_bytes(dot_text),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        return 'failed: %s' % to_text(done.stderr, errors='surrogate_or_replace').strip()
    changed = sync_file(svg_path, done.stdout, check_mode)[0]
    return 'written' if changed else 'unchanged'


def file_diff(path, before, after):
    """One entry of the task's diff (Ansible shows a list of them)."""
    return dict(before_header=path if before is not None else '%s (absent)' % path,
                after_header=path,
                before=to_text(before or b'', errors='surrogate_or_replace'),
                after=after)


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        # the modules' strict types first (a list for path is not a path),
        # then Ansible's own checks (required options, unknown ones)
        message = strict.check(ARGUMENT_SPEC, self._task.args)
        if message:
            raise AnsibleActionFail(message)
        args = self.validate_argument_spec(ARGUMENT_SPEC)[1]
        check_mode = bool(self._task.check_mode)
        base = os.path.abspath(args['path'])
        written, unchanged, diff = [], [], []
        for suffix, content in args['files'].items():
            path = '%s.%s' % (base, suffix)
            changed, before = sync_file(path, str(content), check_mode)
            (written if changed else unchanged).append(path)
            if changed:
                diff.append(file_diff(path, before, str(content)))
        result.update(written=written, unchanged=unchanged)
        if args['svg'] and 'dot' in args['files']:
            result['svg'] = render_svg(str(args['files']['dot']), base + '.svg',
                                       base + '.dot' in written, check_mode)
        result['changed'] = bool(written) or result.get('svg') == 'written'
        if self._task.diff and diff:
            result['diff'] = diff
        return result
