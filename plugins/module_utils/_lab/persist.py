# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lab that comes back at boot (the topology module's `persist`).

The lab is stored on the managed host, readable by root only:

  /etc/vnet-linux/labs/<lab>/            0700
      description.json                   0600  the description the module ran with
      build.sh                           0700  export.script of the lab, ending
                                               with the check that it is whole
  /etc/systemd/system/vnet-lab-<lab>.service   a oneshot unit that runs build.sh,
                                               enabled (multi-user.target)

The unit runs the generated script, not the engine from a stored copy: a
POSIX shell script of ip, tc, sysctl and teamd commands needs nothing at
boot but iproute2 (and teamd for a team), works without Ansible, Python
or pyroute2 on the host, and can be read and run by hand.

Every file is replaced atomically and only when its bytes or mode differ;
the unit is enabled only when `systemctl is-enabled` says it is not, so
`changed` means something changed. Check mode plans the same steps and
writes nothing. `root` (Host) lets the tests put the files under a
temporary directory, where systemctl works offline (--root).
"""

from __future__ import annotations

import json
import os
import stat

from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._lab import export
from ansible_collections.vnet.linux.plugins.module_utils._lab.publish import Change

STORE_DIR = '/etc/vnet-linux/labs'
UNIT_DIR = '/etc/systemd/system'
SYSTEMD_RUNNING = '/run/systemd/system'   # present when systemd is PID 1 (sd_booted)
DIR_MODE = 0o700
DESCRIPTION_MODE = 0o600
SCRIPT_MODE = 0o700
UNIT_MODE = 0o644                          # systemd reads unit files as any user
# the options that say what the lab is (not how one run goes)
DESCRIPTION_KEYS = ('lab', 'nodes', 'bridges', 'links', 'generate', 'spread')


class PersistError(InputError):
    """persist cannot be done on this host; the message names the field."""


def unit_name(lab_name):
    # a lab's name is letters, digits, "_", "." and "-": all valid in a unit name
    return 'vnet-lab-%s.service' % lab_name


def unit_text(lab_name, script_path):
    """The oneshot unit. Ordered before network-pre.target: the lab is
    there before the host's network managers and the services that use
    it start. KillMode=process: the teamd daemons the script starts stay
    when the unit is stopped or removed (the lab's modules own them)."""
    return '\n'.join([
        '# Written by vnet.linux.topology (persist: true); do not edit.',
        '[Unit]',
        'Description=vnet.linux lab %s, built again at boot' % lab_name,
        'Documentation=https://github.com/vnet-linux/vnet.linux/blob/main/docs/persist.md',
        'DefaultDependencies=no',
        'After=local-fs.target systemd-modules-load.service systemd-sysctl.service',
        'Before=network-pre.target shutdown.target',
        'Wants=network-pre.target',
        'Conflicts=shutdown.target',
        '',
        '[Service]',
        'Type=oneshot',
        'RemainAfterExit=yes',
        'KillMode=process',
        'ExecStart=/bin/sh %s' % script_path,
        '',
        '[Install]',
        'WantedBy=multi-user.target',
        ''])


def description_text(params):
    return json.dumps(dict((key, params.get(key)) for key in DESCRIPTION_KEYS),
                      indent=1, sort_keys=True) + '\n'


class Host(object):
    """The managed host's paths and its systemctl."""

    def __init__(self, run_command, root='/'):
        self.run_command = run_command    # AnsibleModule.run_command
        self.root = root

    def path(self, absolute):
        return os.path.join(self.root, absolute.lstrip('/'))

    @property
    def live(self):
        """systemd runs this root: reload it after a unit file changes."""
        return self.root == '/' and os.path.isdir(SYSTEMD_RUNNING)

    def systemctl(self, *words):
        # offline (--root) when systemd does not run this root: enable,
        # disable and is-enabled then work on the unit files alone
        argv = ['systemctl'] + ([] if self.live else ['--root=%s' % self.root]) + list(words)
        return self.run_command(argv)

    def is_enabled(self, unit):
        _rc, out, _err = self.systemctl('is-enabled', unit)
        return out.strip() == 'enabled'

    def must(self, *words):
        rc, out, err = self.systemctl(*words)
        if rc != 0:
            raise PersistError('persist: systemctl %s failed: %s'
                               % (' '.join(words), (err or out).strip()))


class Persistence(object):
    """What persist does for one lab: wanted (present) or removed."""

    def __init__(self, host, lab_name, wanted, description=None, script=None):
        self.host = host
        self.unit = unit_name(lab_name)
        self.wanted = wanted
        self.directory = host.path(os.path.join(STORE_DIR, lab_name))
        script_path = os.path.join(STORE_DIR, lab_name, 'build.sh')
        unit_path = host.path(os.path.join(UNIT_DIR, self.unit))
        if wanted:
            afters = [(description, DESCRIPTION_MODE), (script, SCRIPT_MODE),
                      (unit_text(lab_name, script_path), UNIT_MODE)]
        else:
            afters = [(None, None)] * 3
        paths = [os.path.join(self.directory, 'description.json'), host.path(script_path),
                 unit_path]
        self.files = [Change(path, text, mode) for path, (text, mode) in zip(paths, afters)]
        self.unit_file = self.files[2]
        self.directory_mode = _mode(self.directory)
        # is-enabled only when there is a unit to ask about: a lab that was
        # never persisted costs no systemctl
        self.enabled = self.unit_file.before is not None and host.is_enabled(self.unit)

    @property
    def make_directory(self):
        return self.wanted and self.directory_mode != DIR_MODE

    @property
    def remove_directory(self):
        return not self.wanted and self.directory_mode is not None

    def actions(self):
        """The steps, in the order apply() makes them."""
        steps = []
        if self.make_directory:
            steps.append('%s directory %s (mode 0700)' % (
                'create' if self.directory_mode is None else 'set the mode of', self.directory))
        if not self.wanted and self.enabled:
            steps.append('systemctl disable %s' % self.unit)
        for change in self.files:
            if change.changed:
                steps.append('%s %s' % ('remove' if change.after is None else 'write',
                                        change.path))
        if self.remove_directory:
            steps.append('remove directory %s' % self.directory)
        if self.unit_file.changed and self.host.live:
            steps.append('systemctl daemon-reload')
        if self.wanted and not self.enabled:
            steps.append('systemctl enable %s' % self.unit)
        return steps

    def apply(self):
        if self.make_directory:
            os.makedirs(self.directory, mode=DIR_MODE, exist_ok=True)
            os.chmod(self.directory, DIR_MODE)
        if not self.wanted and self.enabled:
            self.host.must('disable', self.unit)
        if self.wanted:
            # always there under systemd; not in a fresh temporary root
            os.makedirs(os.path.dirname(self.unit_file.path), mode=0o755, exist_ok=True)
        for change in self.files:
            change.apply()
        if self.remove_directory:
            _remove_tree(self.directory)
        if self.unit_file.changed and self.host.live:
            self.host.must('daemon-reload')
        if self.wanted and not self.enabled:
            self.host.must('enable', self.unit)

    def report(self):
        return {'unit': self.unit, 'enabled': bool(self.wanted),
                'directory': self.directory if self.wanted else None,
                'actions': self.actions()}

    def diffs(self):
        return [change.diff() for change in self.files if change.changed]


def _mode(path):
    try:
        return stat.S_IMODE(os.lstat(path).st_mode)
    except FileNotFoundError:
        return None


def _remove_tree(directory):
    """The lab's directory: its known files are gone already; anything else
    left there is removed too (the directory is the collection's)."""
    for name in os.listdir(directory):
        os.unlink(os.path.join(directory, name))
    os.rmdir(directory)


def refuse_without_systemd(host):
    """persist: true on a host whose PID 1 is not systemd: refused before
    anything is read or changed."""
    if not os.path.isdir(host.path(SYSTEMD_RUNNING)):
        raise PersistError('persist: true needs systemd as the init system of the managed host '
                           '(%s does not exist); nothing was changed' % SYSTEMD_RUNNING)


def planned(host, lab, params):
    """The Persistence of a run: wanted with persist true and state
    present, else removed. The script is made before any change, so a lab
    that cannot be written as one (a wireguard link without its
    private_key_file) is refused first."""
    wanted = bool(params.get('persist')) and lab.state == 'present'
    if not wanted:
        return Persistence(host, lab.name, False)
    try:
        script = export.script(lab, boot=True)
    except export.ExportError as err:
        raise PersistError('persist: %s' % err)
    return Persistence(host, lab.name, True, description_text(params), script)


__all__ = ['Host', 'Persistence', 'planned', 'refuse_without_systemd', 'unit_text',
           'unit_name', 'PersistError', 'STORE_DIR', 'UNIT_DIR']
