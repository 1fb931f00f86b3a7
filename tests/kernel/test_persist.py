"""persist (a lab that comes back at boot) on this machine, which does not
boot with systemd: the stored files and the unit under a temporary root
(systemctl works offline there, --root), the closing check of the build
script on this kernel, and the module's refusal without systemd.

The reboot itself is proven in the systemd guest (tests/vm/persist-reboot.sh).
"""

import os
import stat
import subprocess

import pytest

from conftest import run_module

from ansible_collections.vnet.linux.plugins.module_utils._lab import export, persist
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import build


def _run_command(argv):
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


class Recording(persist.Host):
    """The real systemctl, offline under a temporary root; the calls kept."""

    def __init__(self, root):
        super().__init__(_run_command, root=str(root))
        self.calls = []

    def systemctl(self, *words):
        self.calls.append(words)
        return super().systemctl(*words)


def _description(lab, address='10.1.0.0/31'):
    r1, r2 = lab.n('a'), lab.n('b')
    return {'lab': lab.name, 'state': 'present', 'prune': False, 'persist': True,
            'nodes': [{'name': r1, 'routes': [{'dst': '10.9.0.0/16', 'via': '10.1.0.1'}]},
                      {'name': r2}],
            'bridges': [{'name': 'br0', 'node': r2, 'stp': False}],
            'links': [{'endpoints': [{'node': r1, 'name': 'eth0', 'addresses': [address]},
                                     {'node': r2, 'name': 'eth0',
                                      'addresses': ['10.1.0.1/31']}]},
                      {'endpoints': [{'node': r1, 'name': 'eth1'},
                                     {'bridge': 'br0', 'name': 'p1'}]}]}


def _planned(root, params):
    host = Recording(root)
    return host, persist.planned(host, build(params), params)


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _files(root, lab_name):
    store = os.path.join(str(root), 'etc/vnet-linux/labs', lab_name)
    unit = os.path.join(str(root), 'etc/systemd/system', 'vnet-lab-%s.service' % lab_name)
    wants = os.path.join(str(root), 'etc/systemd/system/multi-user.target.wants',
                         'vnet-lab-%s.service' % lab_name)
    return store, unit, wants


def test_persist_writes_the_files_root_only_and_enables_the_unit(lab, tmp_path):
    params = _description(lab)
    host, stored = _planned(tmp_path, params)
    assert not stored.enabled and host.calls == []  # nothing there: no systemctl asked
    planned_steps = stored.actions()
    stored.apply()
    store, unit, wants = _files(tmp_path, lab.name)
    assert _mode(store) == 0o700
    assert _mode(os.path.join(store, 'description.json')) == 0o600
    assert _mode(os.path.join(store, 'build.sh')) == 0o700
    assert _mode(unit) == 0o644
    text = open(unit).read()
    assert 'ExecStart=/bin/sh /etc/vnet-linux/labs/%s/build.sh\n' % lab.name in text
    assert 'Type=oneshot' in text and 'RemainAfterExit=yes' in text
    assert 'WantedBy=multi-user.target' in text and 'Before=network-pre.target' in text
    assert os.path.islink(wants)
    script = open(os.path.join(store, 'build.sh')).read()
    assert script == export.script(build(params), boot=True)
    assert '# --- check: the lab came back whole' in script
    # the steps planned are the steps made (offline: no daemon-reload)
    assert planned_steps == [
        'create directory %s (mode 0700)' % store,
        'write %s' % os.path.join(store, 'description.json'),
        'write %s' % os.path.join(store, 'build.sh'),
        'write %s' % unit,
        'systemctl enable vnet-lab-%s.service' % lab.name]
    assert host.calls == [('enable', 'vnet-lab-%s.service' % lab.name)]


def test_persist_is_idempotent_and_rewrites_only_what_differs(lab, tmp_path):
    params = _description(lab)
    _planned(tmp_path, params)[1].apply()
    host, again = _planned(tmp_path, params)
    assert again.actions() == [] and again.diffs() == []
    assert host.calls == [('is-enabled', 'vnet-lab-%s.service' % lab.name)]
    again.apply()
    assert host.calls == [('is-enabled', 'vnet-lab-%s.service' % lab.name)]
    # another address: the description and the script change, not the unit
    store, unit, _wants = _files(tmp_path, lab.name)
    _host, changed = _planned(tmp_path, _description(lab, address='10.1.0.2/31'))
    assert changed.actions() == ['write %s' % os.path.join(store, 'description.json'),
                                 'write %s' % os.path.join(store, 'build.sh')]
    diffs = changed.diffs()
    assert [d['before_header'] for d in diffs] == [
        os.path.join(store, 'description.json'), os.path.join(store, 'build.sh')]
    assert '10.1.0.0/31' in diffs[1]['before'] and '10.1.0.2/31' in diffs[1]['after']
    # a file whose mode was loosened is set back
    os.chmod(os.path.join(store, 'description.json'), 0o644)
    _host, loose = _planned(tmp_path, params)
    assert 'write %s' % os.path.join(store, 'description.json') in loose.actions()
    # a unit disabled by hand is enabled again
    subprocess.run(['systemctl', '--root=%s' % tmp_path, 'disable',
                    'vnet-lab-%s.service' % lab.name], check=True, capture_output=True)
    _host, disabled = _planned(tmp_path, params)
    assert disabled.actions()[-1] == 'systemctl enable vnet-lab-%s.service' % lab.name


def test_check_mode_plans_and_writes_nothing(lab, tmp_path):
    host, stored = _planned(tmp_path, _description(lab))
    assert len(stored.actions()) == 5
    diffs = stored.diffs()
    assert [d['before'] for d in diffs] == ['', '', '']
    assert 'ExecStart=' in diffs[2]['after']
    # the module in check mode reports and stops before apply(): nothing written
    assert not os.path.exists(os.path.join(str(tmp_path), 'etc'))
    assert host.calls == []


def test_persist_false_and_state_absent_remove_the_unit_and_the_files(lab, tmp_path):
    params = _description(lab)
    for off in (dict(params, persist=False), dict(params, state='absent')):
        _planned(tmp_path, params)[1].apply()
        store, unit, wants = _files(tmp_path, lab.name)
        host, removed = _planned(tmp_path, off)
        assert removed.actions() == [
            'systemctl disable vnet-lab-%s.service' % lab.name,
            'remove %s' % os.path.join(store, 'description.json'),
            'remove %s' % os.path.join(store, 'build.sh'),
            'remove %s' % unit,
            'remove directory %s' % store]
        removed.apply()
        assert not os.path.exists(store) and not os.path.exists(unit)
        assert not os.path.lexists(wants)
        _host, nothing = _planned(tmp_path, off)
        assert nothing.actions() == []


def test_the_script_ends_by_checking_the_lab_is_whole(lab, tmp_path):
    """Built from nothing on this kernel, the script says the lab is back;
    its closing check alone, with a link gone, says what is missing and
    exits 1 (what systemctl status then shows)."""
    params = _description(lab)
    text = export.script(build(params), boot=True)
    path = tmp_path / 'build.sh'
    path.write_text(text)
    ran = subprocess.run(['sh', str(path)], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == 'lab %s is back: 2 namespaces, 5 links' % lab.name
    # the topology module owns what the script built
    assert not run_module('topology', dict(params, persist=False))['changed']
    subprocess.run(['ip', '-n', lab.n('b'), 'link', 'del', 'p1'], check=True)
    check = tmp_path / 'check.sh'
    check.write_text('#!/bin/sh\nset -eu\n' + text.split('# --- check: the lab came back whole\n')[1])
    failed = subprocess.run(['sh', str(check)], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert 'missing: link p1 in %s' % lab.n('b') in failed.stderr
    assert 'missing: link eth1 in %s' % lab.n('a') in failed.stderr
    assert 'did not come back whole: 2 missing of 2 namespaces, 5 links' in failed.stderr


@pytest.mark.skipif(os.path.isdir('/run/systemd/system'), reason='this host boots with systemd')
def test_persist_is_refused_without_systemd_before_any_change(lab):
    description = _description(lab)
    args = dict((key, description[key]) for key in ('nodes', 'bridges', 'links', 'persist'))
    for check in (True, False):
        failed = lab.run(check=check, **args)
        assert failed.get('failed'), failed
        assert 'persist: true needs systemd' in failed['msg']
        assert not failed.get('changed')
        assert lab.namespaces() == []
    assert not os.path.exists('/etc/systemd/system/vnet-lab-%s.service' % lab.name)
    # persist false on such a host is fine (nothing stored, nothing to remove)
    built = lab.run(**dict(args, persist=False))
    assert built['changed'] and built['persist'] == {
        'unit': 'vnet-lab-%s.service' % lab.name, 'enabled': False, 'directory': None,
        'actions': []}
