# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""topology_info's export: the lab read back, written as a build script
(export.py) and as systemd-networkd files (networkd.py) on the managed host.

A file is replaced atomically (a temporary file in the same directory,
renamed over it) and only when its content or mode differs, so `changed`
means a file changed. Check mode computes everything and writes nothing.
In the networkd directory the lab's files are those named after it
(networkd.prefix): one the lab no longer needs is removed.
"""

from __future__ import annotations

import os
import stat

from ansible_collections.vnet.linux.plugins.module_utils._lab import export, networkd
from ansible_collections.vnet.linux.plugins.module_utils._lab.atomic import write_atomically

SCRIPT_MODE = 0o700          # root's: it changes the host's network
NETWORKD_MODE = 0o644        # systemd-networkd reads them as its own user
EXPORT_OPTIONS = dict(
    script=dict(type='path'),
    networkd_dir=dict(type='path'),
    private_key_files=dict(type='list', elements='dict', default=[], no_log=False, options=dict(
        node=dict(type='str', required=True),
        name=dict(type='str', required=True),
        path=dict(type='path', required=True),
    )),
)


class Change(object):
    """One file: what it holds now and what it will hold (None: absent)."""

    def __init__(self, path, after, mode):
        self.path = path
        self.after = after
        self.mode = mode
        self.before, self.before_mode = _read(path)

    @property
    def changed(self):
        if self.before != self.after:
            return True
        return self.after is not None and self.before_mode != self.mode

    def apply(self):
        if not self.changed:
            return
        if self.after is None:
            os.unlink(self.path)
        else:
            write_atomically(self.path, self.after, self.mode)

    def diff(self):
        return {'before_header': self.path, 'after_header': self.path,
                'before': self.before or '', 'after': self.after or ''}


def _read(path):
    try:
        with open(path) as handle:
            return handle.read(), stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
    except FileNotFoundError:
        return None, None
    except UnicodeDecodeError:
        return '', None  # not text: replaced


def key_files(options):
    return dict(((item['node'], item['name']), item['path'])
                for item in options.get('private_key_files') or ())


def changes(options, facts, lab_name):
    """The file changes an export asks for, and what networkd cannot
    express. ExportError (an InputError) names the field."""
    lab = export.lab_from_facts(facts, lab_name)
    result, not_exported = [], []
    if options.get('script'):
        path = options['script']
        _directory_exists(path, 'export.script')
        result.append(Change(path, export.script(lab, key_files(options)), SCRIPT_MODE))
    if options.get('networkd_dir'):
        directory = options['networkd_dir']
        networkd.check(lab)
        if not os.path.isdir(directory):
            raise export.ExportError('export.networkd_dir: %s is not a directory' % directory)
        wanted, not_exported = networkd.files(lab)
        for name, text in sorted(wanted.items()):
            result.append(Change(os.path.join(directory, name), text, NETWORKD_MODE))
        for name in sorted(os.listdir(directory)):
            if name.startswith(networkd.prefix(lab.name)) and name not in wanted and \
                    name.endswith(networkd.SUFFIXES):
                result.append(Change(os.path.join(directory, name), None, None))
    return result, not_exported


def _directory_exists(path, field):
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        raise export.ExportError('%s: the directory %s does not exist' % (field, directory))
    if os.path.isdir(path):
        raise export.ExportError('%s: %s is a directory; give the path of the script file'
                                 % (field, path))


def run(module, facts):
    """The `export` part of the result (and `changed`, `diff`)."""
    options = module.params['export']
    found, not_exported = changes(options, facts, module.params['lab'])
    for link in facts.get('other_links') or ():
        module.warn('%s %s in node %s is not exported: the topology module does not describe '
                    'it' % (link['kind'] or 'link', link['name'], link['node']))
    changed = [change for change in found if change.changed]
    if not module.check_mode:
        for change in changed:
            change.apply()
    report = {'files': [change.path for change in changed]}
    if options.get('script'):
        report['script'] = options['script']
    if options.get('networkd_dir'):
        report['networkd_dir'] = options['networkd_dir']
        report['not_exported'] = not_exported
    result = {'changed': bool(changed), 'export': report}
    if module._diff:
        result['diff'] = [change.diff() for change in changed]
    return result


__all__ = ['run', 'changes', 'EXPORT_OPTIONS']
