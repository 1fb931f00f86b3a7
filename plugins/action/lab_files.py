# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a lab's report files on the controller, in one task.

The lab role writes half a dozen small files per run (pictures, tables, the
run report). With ansible.builtin.copy each is a module run of its own,
seconds on a busy machine; written here, in the controller process, they
cost nothing. They are reports of the run, not managed state: they are
written in check mode too and never count as a change.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.vnet.linux.plugins.module_utils._engine import strict

# as documented in plugins/modules/lab_files.py
ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    files=dict(type='dict', required=True),
    svg=dict(type='bool', default=False),
)


def write_if_different(path, content):
    """Atomically replace `path` when its content differs; True if written."""
    data = to_bytes(content)
    try:
        with open(path, 'rb') as handle:
            if handle.read() == data:
                return False
    except FileNotFoundError:
        pass
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.lab-')
    try:
        with os.fdopen(handle, 'wb') as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def render_svg(dot_path, svg_path, dot_written):
    """SVG from the DOT file when Graphviz is installed and the DOT changed."""
    if not shutil.which('dot'):
        return 'skipped: the Graphviz dot binary is not installed'
    if not dot_written and os.path.exists(svg_path):
        return 'unchanged'
    done = subprocess.run(['dot', '-Tsvg', '-o', svg_path, dot_path],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        return 'failed: %s' % done.stdout.decode(errors='replace').strip()
    return 'written'


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
        files = args['files']
        base = os.path.abspath(args['path'])
        os.makedirs(os.path.dirname(base), exist_ok=True)
        written, unchanged = [], []
        for suffix, content in files.items():
            path = '%s.%s' % (base, suffix)
            (written if write_if_different(path, str(content)) else unchanged).append(path)
        result.update(changed=False, written=written, unchanged=unchanged)
        if args.get('svg') and 'dot' in files:
            result['svg'] = render_svg(base + '.dot', base + '.svg',
                                       base + '.dot' in written)
        return result
