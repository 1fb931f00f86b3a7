# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""teamd: its configuration model, how two configurations compare, and the
daemon's lifecycle inside a network namespace.

The first half is pure (no I/O) and unit-tested on any kernel: building the
teamd JSON from module options, checking that options fit the runner and
the link watcher, and deciding from the desired, running and last-applied
configurations whether the daemon must (re)start or ports change live.

The second half runs teamd/teamdctl. Facts measured on Debian 12
(libteam 1.31, kernel 6.1) that shaped it:
- teamdctl refuses to talk to a team device that is not in its own network
  namespace ('Device "team0" does not exist'): it must run inside it.
- teamd's control socket is /run/teamd/<team>.sock, one path for the whole
  host: teams of the same name in two namespaces would steal each other's
  socket. So, in a named namespace, teamd and teamdctl run in a private
  mount namespace where /run/teamd is our per-namespace runtime directory.
- The kernel refuses to enslave a port that is up; it opens the port itself
  once enslaved, and closes it on release.
- teamd writes defaults into its configuration (runner.name,
  notify_peers.count and mcast_rejoin.count for activebackup, a per-port
  link_watch when none is configured), so a running configuration is only
  compared on the keys the module manages.
- On SIGTERM teamd releases its ports, deletes the team device and removes
  its pid file and socket.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._netlink import faults
from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import KindSpec
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import NetlinkFailure

# The kind, as the kernel, the topology module and the facts name it; teamd
# makes the device, netlink only sets the common link attributes.
TEAM = KindSpec('team', options=[])

RUNNERS = ('broadcast', 'roundrobin', 'random', 'activebackup', 'loadbalance', 'lacp')
HWADDR_POLICIES = ('same_all', 'by_active', 'only_active')
TX_HASHES = ('eth', 'vlan', 'ipv4', 'ipv6', 'ip', 'l3', 'tcp', 'udp', 'sctp', 'l4')
TX_BALANCERS = ('basic',)
AGG_SELECT_POLICIES = ('lacp_prio', 'lacp_prio_stable', 'bandwidth', 'count', 'port_config')
WATCHERS = ('ethtool', 'arp_ping', 'nsna_ping')

# Runner options and the runners that read them (teamd.conf(5)).
RUNNER_OPTION_RUNNERS = {
    'hwaddr_policy': ('activebackup',),
    'tx_hash': ('loadbalance', 'lacp'),
    'tx_balancer': ('loadbalance', 'lacp'),
    'active': ('lacp',),
    'fast_rate': ('lacp',),
    'sys_prio': ('lacp',),
    'min_ports': ('lacp',),
    'agg_select_policy': ('lacp',),
}
# Port options and the runners that read them; prio also orders ports that
# share a queue_id, so every runner takes it.
PORT_OPTION_RUNNERS = {
    'prio': RUNNERS,
    'queue_id': RUNNERS,
    'sticky': ('activebackup', 'lacp'),
    'lacp_prio': ('lacp',),
    'lacp_key': ('lacp',),
}
# Link watcher options and the watchers that read them.
WATCHER_OPTIONS = {
    'ethtool': ('delay_up', 'delay_down'),
    'arp_ping': ('interval', 'init_wait', 'missed_max', 'source_host', 'target_host',
                 'validate_active', 'validate_inactive', 'send_always', 'vlanid'),
    'nsna_ping': ('interval', 'init_wait', 'missed_max', 'target_host'),
}
# Integer ranges checked before anything runs: option -> (low, high).
RANGES = {
    'sys_prio': (0, 65535), 'min_ports': (1, 255), 'balancing_interval': (1, 2 ** 31 - 1),
    'prio': (-2 ** 31, 2 ** 31 - 1), 'lacp_prio': (0, 65535), 'lacp_key': (0, 65535),
    'queue_id': (0, 65535), 'delay_up': (0, 2 ** 31 - 1), 'delay_down': (0, 2 ** 31 - 1),
    'interval': (1, 2 ** 31 - 1), 'init_wait': (0, 2 ** 31 - 1),
    'missed_max': (0, 2 ** 31 - 1), 'vlanid': (1, 4094),
    'count': (0, 2 ** 31 - 1), 'burst_interval': (0, 2 ** 31 - 1),
}

# Argument specs, shared by the module and the doc (the module documents them).
WATCHER_SPEC = dict(
    name=dict(type='str', required=True, choices=list(WATCHERS)),
    delay_up=dict(type='int'),
    delay_down=dict(type='int'),
    interval=dict(type='int'),
    init_wait=dict(type='int'),
    missed_max=dict(type='int'),
    source_host=dict(type='str'),
    target_host=dict(type='str'),
    validate_active=dict(type='bool'),
    validate_inactive=dict(type='bool'),
    send_always=dict(type='bool'),
    vlanid=dict(type='int'),
)
RUNNER_SPEC = dict(
    name=dict(type='str', default='roundrobin', choices=list(RUNNERS)),
    hwaddr_policy=dict(type='str', choices=list(HWADDR_POLICIES)),
    tx_hash=dict(type='list', elements='str', choices=list(TX_HASHES)),
    tx_balancer=dict(type='dict', options=dict(
        name=dict(type='str', default='basic', choices=list(TX_BALANCERS)),
        balancing_interval=dict(type='int'),
    )),
    active=dict(type='bool'),
    fast_rate=dict(type='bool'),
    sys_prio=dict(type='int'),
    min_ports=dict(type='int'),
    agg_select_policy=dict(type='str', choices=list(AGG_SELECT_POLICIES)),
)
PORT_SPEC = dict(
    name=dict(type='str', required=True),
    prio=dict(type='int'),
    sticky=dict(type='bool'),
    lacp_prio=dict(type='int'),
    lacp_key=dict(type='int', no_log=False),  # an LACP port key, not a secret
    queue_id=dict(type='int'),
    link_watch=dict(type='list', elements='dict', options=WATCHER_SPEC),
)
COUNT_SPEC = dict(count=dict(type='int'), interval=dict(type='int'))
TEAMD_SPEC = dict(
    runner=dict(type='dict', options=RUNNER_SPEC),
    link_watch=dict(type='list', elements='dict', options=WATCHER_SPEC),
    notify_peers=dict(type='dict', options=COUNT_SPEC),
    mcast_rejoin=dict(type='dict', options=COUNT_SPEC),
    ports=dict(type='list', elements='dict', default=[], options=PORT_SPEC),
)


# --------------------------------------------------------------------------
# Building the teamd configuration from module options
# --------------------------------------------------------------------------

def _given(values):
    """The options of a suboption dict that were set (None means omitted)."""
    return dict((k, v) for k, v in (values or {}).items() if v is not None)


def _check_range(option, value, field):
    if option in RANGES and isinstance(value, int) and not isinstance(value, bool):
        low, high = RANGES[option]
        validate.int_range(value, field, low, high)


def _reject_misfits(given, allowed_for, runner, field):
    """Options that the chosen runner would silently ignore."""
    for option in sorted(given):
        owners = allowed_for.get(option)
        if owners is not None and runner not in owners:
            raise validate.InputError(
                '%s.%s: only the %s runner%s this option, not %s; remove it or '
                'change runner.name' % (field, option, ' and '.join(owners),
                                        's read' if len(owners) > 1 else ' reads', runner))


def runner_config(runner, field='runner'):
    """teamd's "runner" object; rejects options the runner would ignore."""
    given = _given(runner)
    name = given.pop('name', 'roundrobin')
    _reject_misfits(given, RUNNER_OPTION_RUNNERS, name, field)
    config = {'name': name}
    for option, value in sorted(given.items()):
        if option == 'tx_balancer':
            value = _given(value)
            if 'balancing_interval' in value:
                _check_range('balancing_interval', value['balancing_interval'],
                             field + '.tx_balancer.balancing_interval')
            value.setdefault('name', 'basic')
        elif option == 'tx_hash':
            if not value:
                raise validate.InputError('%s.tx_hash: give at least one hash fragment, '
                                          'or omit it for teamd\'s default' % field)
            if len(set(value)) != len(value):
                raise validate.InputError('%s.tx_hash: a fragment is listed twice' % field)
            value = list(value)
        else:
            _check_range(option, value, '%s.%s' % (field, option))
        config[option] = value
    return config


def watcher_config(watcher, field):
    """One link watcher object; options of other watchers are rejected."""
    given = _given(watcher)
    name = given.pop('name')
    allowed = WATCHER_OPTIONS[name]
    for option in sorted(given):
        if option not in allowed:
            users = [w for w in WATCHERS if option in WATCHER_OPTIONS[w]]
            raise validate.InputError(
                '%s.%s: only the %s link watcher%s this option, not %s'
                % (field, option, ' and '.join(users),
                   's read' if len(users) > 1 else ' reads', name))
        _check_range(option, given[option], '%s.%s' % (field, option))
    if name in ('arp_ping', 'nsna_ping') and 'target_host' not in given:
        raise validate.InputError('%s.target_host: required by the %s link watcher'
                                  % (field, name))
    version = 4 if name == 'arp_ping' else 6
    for option in ('source_host', 'target_host'):
        if option in given:
            given[option] = _host_address(given[option], version, '%s.%s' % (field, option))
    config = {'name': name}
    config.update(given)
    return config


def _host_address(value, version, field):
    """An IP literal of the right family. Host names are refused: teamd would
    resolve them inside the namespace when it starts, where DNS rarely works."""
    address = validate.ip_address(value, field)
    if (':' in address) != (version == 6):
        raise validate.InputError('%s: %r must be an IPv%d address' % (field, value, version))
    return address


def watchers_config(watchers, field):
    if watchers is None:
        return None
    if not watchers:
        raise validate.InputError('%s: give at least one link watcher, or omit it for '
                                  'teamd\'s default (ethtool)' % field)
    return [watcher_config(w, '%s[%d]' % (field, pos)) for pos, w in enumerate(watchers)]


def port_config(port, runner_name, field):
    given = _given(port)
    given.pop('name')
    watchers = given.pop('link_watch', None)
    _reject_misfits(given, PORT_OPTION_RUNNERS, runner_name, field)
    for option, value in given.items():
        _check_range(option, value, '%s.%s' % (field, option))
    config = dict(given)
    if watchers is not None:
        config['link_watch'] = watchers_config(watchers, field + '.link_watch')
    return config


def ports_config(ports, runner_name, team):
    result = {}
    for pos, port in enumerate(ports or []):
        field = 'ports[%d]' % pos
        name = validate.interface_name(port['name'], field + '.name')
        if name in result:
            raise validate.InputError('%s.name: port %s is listed twice' % (field, name))
        if name == team:
            raise validate.InputError('%s.name: a team cannot be its own port' % field)
        result[name] = port_config(port, runner_name, field)
    return result


def _counts_config(values, field):
    given = _given(values)
    for option, value in given.items():
        _check_range('count' if option == 'count' else 'burst_interval', value,
                     '%s.%s' % (field, option))
    return given


def check_link_options(params):
    """Common link options that teamd would fight with."""
    policy = (params.get('runner') or {}).get('hwaddr_policy')
    if params.get('mac_address') is not None and policy == 'by_active':
        raise validate.InputError(
            'mac_address: with runner.hwaddr_policy by_active the team takes the MAC '
            'address of its active port and teamd would undo it; omit mac_address or '
            'choose another hwaddr_policy')


def build_config(team, params):
    """The teamd JSON configuration (a dict) the options describe.

    Raises InputError, before anything changes, for options the runner or
    the link watcher would ignore and for values out of range.
    """
    check_link_options(params)
    runner = runner_config(params.get('runner') or {'name': 'roundrobin'})
    config = {'device': team, 'runner': runner}
    watchers = watchers_config(params.get('link_watch'), 'link_watch')
    if watchers is not None:
        config['link_watch'] = watchers
    for group in ('notify_peers', 'mcast_rejoin'):
        counts = _counts_config(params.get(group), group)
        if counts:
            config[group] = counts
    config['ports'] = ports_config(params.get('ports'), runner['name'], team)
    return config


# --------------------------------------------------------------------------
# Comparing configurations and planning the change
# --------------------------------------------------------------------------

def _leaf(value):
    """A comparable form of a value: lists are sets (the order of hash
    fragments or link watchers means nothing to teamd); a lone link watcher
    object equals a list of one."""
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        return sorted(json.dumps(v, sort_keys=True) for v in value)
    return value


def flatten(config, skip=('ports',)):
    """{('runner', 'name'): 'lacp', ('link_watch',): [...], ...}.

    Objects are walked into; lists and the link watcher objects are leaves.
    """
    result = {}

    def walk(node, path):
        for key, value in node.items():
            if not path and key in skip:
                continue
            here = path + (key,)
            if key == 'link_watch' or not isinstance(value, dict):
                result[here] = value
            else:
                walk(value, here)
    walk(config or {}, ())
    return result


def _dotted(path):
    return '.'.join(path)


def differences(desired, running, applied, skip=('ports',)):
    """Paths whose running value is not the desired one.

    Compared: every key the user gives, and every key the module applied
    before (so that removing an option from the task is a change). Keys
    that teamd added as its own defaults are not compared. Ports are
    compared one by one (port_differences).
    """
    want, have = flatten(desired, skip), flatten(running, skip)
    paths = set(want) | set(flatten(applied, skip))
    return sorted(_dotted(p) for p in paths if _leaf(want.get(p)) != _leaf(have.get(p)))


def port_differences(desired, running, applied):
    """Options of one port that differ, compared like differences()."""
    return differences(desired, running, applied, skip=())


class Changes(object):
    """What converging teamd needs.

    mode: 'none', 'start' (no daemon, no device), 'restart' (stop, then
    start with the new configuration) or 'live' (port changes through
    teamdctl, no restart). add/remove/update are port names for 'live'.
    """

    def __init__(self, mode, reasons=(), add=(), remove=(), update=()):
        self.mode = mode
        self.reasons = list(reasons)
        self.add = list(add)
        self.remove = list(remove)
        self.update = list(update)

    def __repr__(self):
        return 'Changes(%r, reasons=%r, add=%r, remove=%r, update=%r)' % (
            self.mode, self.reasons, self.add, self.remove, self.update)


def plan_changes(desired, running, applied, device_present):
    """Decide between nothing, a start, a restart and live port changes.

    running: the daemon's "config dump actual" (None: no daemon of ours runs);
    applied: the configuration the module last applied (None: unknown).
    """
    if running is None:
        if device_present:
            return Changes('restart', ['the teamd of this team is not running'])
        return Changes('start')
    if not device_present:
        return Changes('restart', ['the team device is missing'])
    reasons = differences(desired, running, applied or {})
    if reasons:
        return Changes('restart', reasons)
    want_ports = desired.get('ports') or {}
    have_ports = running.get('ports') or {}
    before_ports = (applied or {}).get('ports') or {}
    add = sorted(p for p in want_ports if p not in have_ports)
    remove = sorted(p for p in have_ports if p not in want_ports)
    update = sorted(p for p in want_ports if p in have_ports and port_differences(
        want_ports[p], have_ports[p], before_ports.get(p, {})))
    if add or remove or update:
        return Changes('live', add=add, remove=remove, update=update)
    return Changes('none')


def managed_view(running, desired, applied):
    """The running configuration cut to what the module manages (for diffs):
    the keys of the desired and the last applied configuration, and all
    present ports."""
    if running is None:
        return {}
    keys = set(flatten(desired)) | set(flatten(applied))
    have = flatten(running)
    view = {}
    for path in sorted(keys):
        if path in have:
            _put(view, path, have[path])
    view['ports'] = {}
    before_ports = (applied or {}).get('ports') or {}
    for port, config in sorted((running.get('ports') or {}).items()):
        port_keys = set(flatten((desired.get('ports') or {}).get(port, {}), ())) | \
            set(flatten(before_ports.get(port, {}), ()))
        port_have = flatten(config, ())
        view['ports'][port] = {}
        for path in sorted(port_keys):
            if path in port_have:
                _put(view['ports'][port], path, port_have[path])
    return view


def _put(tree, path, value):
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def normalised(config):
    """A configuration with link watchers always as lists (teamd takes an
    object or a list; the module writes lists)."""
    def fix(node):
        result = {}
        for key, value in node.items():
            if key == 'link_watch' and isinstance(value, dict):
                value = [value]
            elif isinstance(value, dict):
                value = fix(value)
            result[key] = value
        return result
    return fix(config or {})


def team_view(state):
    """The live team state from "teamdctl state dump": runner, active port,
    ports with their link states."""
    if not state:
        return {}
    setup = state.get('setup') or {}
    active = (state.get('runner') or {}).get('active_port') or None
    ports = []
    for name, port in sorted((state.get('ports') or {}).items()):
        link = port.get('link') or {}
        watches = port.get('link_watches') or {}
        ports.append({
            'name': name,
            'link_up': bool(link.get('up')),
            'speed': link.get('speed'),
            'duplex': link.get('duplex'),
            'link_watches_up': bool(watches.get('up')),
            'link_watches': [dict(w) for _k, w in sorted((watches.get('list') or {}).items())],
            'active': name == active if active else None,
        })
    return {
        'pid': setup.get('pid'),
        'runner': setup.get('runner_name'),
        'kernel_team_mode': setup.get('kernel_team_mode_name'),
        'active_port': active,
        'ports': ports,
    }


# --------------------------------------------------------------------------
# The daemon: runtime files, launching inside a namespace, teamdctl
# --------------------------------------------------------------------------

RUNTIME_ROOT = '/run/vnet-linux/teamd'
TEAMD_RUN_DIR = '/var/run/teamd'  # compiled into teamd and libteamdctl
NETNS_DIR = '/run/netns'
# present while /run/teamd exists because this collection made it
MADE_RUN_DIR_MARK = os.path.join(RUNTIME_ROOT, 'made-run-teamd')
STOP_WAIT = 10.0
START_WAIT = 10.0

MISSING_TEAMD = ('teamd and teamdctl are needed on the managed host and were not found '
                 'in PATH: install the package libteam-utils (Debian, Ubuntu) or teamd '
                 '(RHEL, Fedora, CentOS and related)')

# Runs a program inside a named network namespace and, when a runtime
# directory is given, in a private mount namespace where teamd's fixed
# socket directory is that directory (so teams of one name in several
# namespaces never share a socket). Why a Python launcher: modules may not
# use `ip netns exec`; AnsibleModule.run_command takes no preexec_fn;
# os.setns/os.unshare exist only from Python 3.12, so libc is called
# through ctypes. It is run with the module's own interpreter and a list
# of arguments (no shell). argv: NETNS_PATH RUNDIR PROGRAM [ARGS...]
LAUNCHER = r'''
import ctypes, os, sys
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000
libc = ctypes.CDLL(None, use_errno=True)
def check(ret, what):
    if ret != 0:
        sys.stderr.write("vnet-linux launcher: %s: %s\n" % (what, os.strerror(ctypes.get_errno())))
        sys.exit(126)
netns, rundir, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
if netns:
    fd = os.open(netns, os.O_RDONLY)
    check(libc.setns(fd, CLONE_NEWNET), "entering network namespace " + netns)
    os.close(fd)
if rundir:
    target = os.path.realpath("/var/run/teamd")
    check(libc.unshare(CLONE_NEWNS), "creating a mount namespace")
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making / private")
    check(libc.mount(rundir.encode(), target.encode(), None, MS_BIND, None),
          "binding " + rundir + " on " + target)
os.execvp(argv[0], argv)
'''


class TeamdFailure(EngineError):
    """teamd or teamdctl failed; the message says which and why. An
    EngineError, so that a failing step undoes the steps before it."""


def runtime_dir(netns):
    """Per-namespace runtime directory (no collision between a namespace
    called "root" and the root namespace)."""
    if netns is None:
        return os.path.join(RUNTIME_ROOT, 'root')
    return os.path.join(RUNTIME_ROOT, 'netns', netns)


class Daemon(object):
    """The teamd of one team in one namespace, as this collection runs it.

    Files: <runtime_dir>/<team>.conf (the configuration last applied),
    <team>.pid, and in a named namespace <team>.sock (teamd's socket, seen
    by teamd as /run/teamd/<team>.sock).
    """

    def __init__(self, module, netns, team, teamd=None, teamdctl=None, nsenter=None):
        self.module = module
        self.netns = netns
        self.team = team
        self.teamd = teamd
        self.teamdctl = teamdctl
        self.nsenter = nsenter
        self.dir = runtime_dir(netns)
        self.conf = os.path.join(self.dir, team + '.conf')
        self.pidfile = os.path.join(self.dir, team + '.pid')
        self.sock = os.path.join(self.dir, team + '.sock')

    def _need_binaries(self):
        """Steps that run late (an undo, a topology step) find them then."""
        if not self.teamd or not self.teamdctl:
            self.find_binaries()

    def find_binaries(self):
        self.teamd = self.module.get_bin_path('teamd')
        self.teamdctl = self.module.get_bin_path('teamdctl')
        # optional: a faster way into a running daemon's namespaces
        self.nsenter = self.module.get_bin_path('nsenter')
        if not self.teamd or not self.teamdctl:
            raise TeamdFailure(MISSING_TEAMD)

    # -- launching -----------------------------------------------------
    def _argv(self, argv):
        """Run argv in the team's namespace with a private /run/teamd."""
        if self.netns is None:
            return list(argv)  # the root namespace and the host's /run/teamd
        # -I -S: no site packages or user paths; this interpreter only execs
        return [sys.executable, '-I', '-S', '-c', LAUNCHER,
                os.path.join(NETNS_DIR, self.netns), self.dir] + list(argv)

    def _ctl_argv(self, argv):
        """teamdctl joins the network and mount namespaces of the running
        daemon with nsenter (util-linux) when there is one: a Python
        launcher per call costs seconds on slow machines."""
        pid = self.pid() if self.netns is not None and self.nsenter else None
        if pid is None:
            return self._argv(argv)
        return [self.nsenter, '--net=' + os.path.join(NETNS_DIR, self.netns),
                '--mount=/proc/%d/ns/mnt' % pid, '--'] + list(argv)

    def _run(self, argv, what, changes=True):
        fault = faults.injected(what) if changes else None
        if fault is not None:
            raise TeamdFailure('%s failed: %s' % (what, fault))
        rc, out, err = self.module.run_command(argv, expand_user_and_vars=False)
        if rc != 0:
            raise TeamdFailure('%s failed (rc=%d): %s' % (
                what, rc, _tidy(err) or _tidy(out) or 'no message'))
        return out

    def ctl(self, *args):
        self._need_binaries()
        return self._run(self._ctl_argv([self.teamdctl, '-o', self.team] + list(args)),
                         'teamdctl %s %s' % (self.team, ' '.join(args)),
                         changes='dump' not in args)

    # -- reading ---------------------------------------------------------
    def pid(self):
        """The pid of our running teamd for this team, else None."""
        try:
            with open(self.pidfile) as handle:
                pid = int(handle.read().strip())
        except (OSError, ValueError):
            return None
        return pid if _is_our_teamd(pid, self.pidfile) else None

    def applied(self):
        """The configuration this module last applied, or None."""
        try:
            with open(self.conf) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def has_files(self):
        return any(os.path.exists(p) for p in (self.conf, self.pidfile, self.sock))

    def running_config(self):
        return normalised(json.loads(self.ctl('config', 'dump', 'actual')))

    def state(self):
        return json.loads(self.ctl('state', 'dump'))

    # -- changing ----------------------------------------------------------
    def write_config(self, config):
        tmp = self.conf + '.tmp'
        for attempt in (1, 2):
            os.makedirs(self.dir, mode=0o755, exist_ok=True)
            try:
                with open(tmp, 'w') as handle:
                    json.dump(config, handle, indent=2, sort_keys=True)
                    handle.write('\n')
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise  # (once: another run removed the empty directory meanwhile)
        os.rename(tmp, self.conf)

    def start(self, config):
        """Write the configuration and start teamd; returns once it runs."""
        self._need_binaries()
        self.write_config(config)
        if self.netns is not None:
            _make_teamd_run_dir()
        self._run(self._argv([self.teamd, '-d', '-f', self.conf, '-t', self.team,
                              '-p', self.pidfile]),
                  'starting teamd for %s' % self.team)
        deadline = time.time() + START_WAIT
        while self.pid() is None:
            if time.time() > deadline:
                raise TeamdFailure('teamd for %s did not write its pid file %s'
                                   % (self.team, self.pidfile))
            time.sleep(0.05)

    def stop(self):
        """Stop our teamd (it deletes the team device) and remove our files.
        Returns True if a daemon was running."""
        pid = self.pid()
        if pid is not None:
            _terminate(pid)
        for path in (self.pidfile, self.sock, self.conf, self.conf + '.tmp'):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self.remove_empty_dirs()
        return pid is not None

    def remove_empty_dirs(self):
        """Remove the directories this collection made for teamd, once no
        team uses them: this namespace's runtime directory, its parents up
        to RUNTIME_ROOT, and teamd's own /run/teamd when we made it (a
        marker says so). rmdir removes only empty directories, so another
        team's files (ours or not) keep theirs."""
        parents = [self.dir]
        if self.netns is not None:
            parents.append(os.path.dirname(self.dir))
        for path in parents:
            _rmdir(path)
        try:
            left = os.listdir(RUNTIME_ROOT)
        except FileNotFoundError:
            return
        if left == [os.path.basename(MADE_RUN_DIR_MARK)]:
            if _rmdir(os.path.realpath(TEAMD_RUN_DIR)):
                os.unlink(MADE_RUN_DIR_MARK)
        _rmdir(RUNTIME_ROOT)


def _make_teamd_run_dir():
    """In a named namespace teamd's socket directory is bind-mounted over
    /run/teamd, which must exist (teamd would make it): make it, and mark
    that we did, so that the last team gone removes it again."""
    path = os.path.realpath(TEAMD_RUN_DIR)
    if os.path.isdir(path):
        return
    os.makedirs(RUNTIME_ROOT, mode=0o755, exist_ok=True)
    with open(MADE_RUN_DIR_MARK, 'w') as handle:
        handle.write(path + '\n')
    os.makedirs(path, mode=0o755, exist_ok=True)


def _rmdir(path):
    """True when the directory is gone (removed now, or missing)."""
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass
    except OSError:
        return False  # not empty (or busy): in use
    return True


def _is_our_teamd(pid, pidfile):
    """The process lives, is teamd, and was started with our pid file (a
    recycled pid or someone else's teamd is never ours)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = handle.read().split(b'\0')
    except OSError:
        return False
    return (os.path.basename(argv[0]) == b'teamd'
            and pidfile.encode() in argv)


def _terminate(pid):
    """SIGTERM, wait (teamd cleans up), SIGKILL as a last resort."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + STOP_WAIT
    while time.time() < deadline:
        if not os.path.exists('/proc/%d' % pid) or is_zombie(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def is_zombie(pid):
    """Has the process exited, its parent not yet reaped it (or is it gone)?
    (An init that reaps late leaves a stopped daemon a zombie a while.)"""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except (OSError, IndexError):
        return True


def _tidy(text):
    """teamd's output without its noise about running as root."""
    lines = [line for line in (text or '').splitlines()
             if line.strip() and 'not intended to be run as root' not in line]
    return ' '.join(lines)


# --------------------------------------------------------------------------
# A team's steps, each undone whole: start, restart, stop, live port changes
# --------------------------------------------------------------------------

DEVICE_WAIT = 10.0
STEP_ERRORS = (TeamdFailure, EngineError, NetlinkFailure, OSError)


def summary(config):
    """'runner activebackup, ports p1, p2' (step texts and messages)."""
    ports = ', '.join(sorted(config.get('ports') or {})) or 'none'
    return 'runner %s, ports %s' % ((config.get('runner') or {}).get('name', 'roundrobin'),
                                    ports)


def port_states(session, names):
    """name -> {'admin_state', 'master'} of the ports that exist."""
    states = {}
    for name in names:
        now = session.read(name)
        if now is not None:
            states[name] = {'admin_state': now['admin_state'], 'master': now['master']}
    return states


def set_link_state(session, name, state):
    now = session.read(name)
    if now is not None and now['admin_state'] != state:
        session.call('bringing %s %s' % (name, state), 'link', 'set',
                     index=now['index'], state=state)


def free_port(session, team, name):
    """A port the user lets the team take over (allow_port_takeover) leaves
    its other master first: teamd adds only free ports."""
    now = session.read(name)
    if now is not None and now['master'] not in ('', team):
        session.call('releasing %s from %s' % (name, now['master']), 'link', 'set',
                     index=now['index'], master=0)


def restore_ports(session, team, states):
    """Give ports back the master (none, the team, or the master a team
    took them from) and admin state they had. Returns what it changed, as
    text."""
    done = []
    for name, was in sorted(states.items()):
        now = session.read(name)
        if now is None:
            continue
        moved = now['master'] != was['master'] and was['master'] != team
        if moved:
            master = session.get_msg(name=was['master']) if was['master'] else None
            session.call('giving %s back to %s' % (name, was['master'] or 'no master'),
                         'link', 'set', index=now['index'],
                         master=master['index'] if master is not None else 0)
            if was['master']:
                done.append('%s a port of %s' % (name, was['master']))
            now = session.read(name)  # a released port may have been closed
        if now['admin_state'] != was['admin_state']:
            set_link_state(session, name, was['admin_state'])
            done.append('%s %s' % (name, was['admin_state']))
    return done


def wait_for_device(session, name, present, fail=True):
    deadline = time.time() + DEVICE_WAIT
    while (session.get_msg(name=name) is not None) != present:
        if time.time() > deadline:
            if fail:
                raise TeamdFailure('team device %s did not %s within %d s' % (
                    name, 'appear' if present else 'disappear', DEVICE_WAIT))
            return False
        time.sleep(0.05)
    return True


class Snapshot(object):
    """What a team is, to bring it back: the configuration its daemon ran
    (None: no daemon of ours), its device as read (None: no device), and
    the admin state and master of its ports (and of the ports a new
    configuration names)."""

    def __init__(self, config, device, ports):
        self.config = config
        self.device = device
        self.ports = ports


def take_snapshot(session, daemon, more_ports=()):
    config = daemon.applied()
    if config is None and daemon.pid() is not None:
        config = daemon.running_config()
    names = set((config or {}).get('ports') or {}) | set(more_ports)
    return Snapshot(config, session.read(daemon.team), port_states(session, sorted(names)))


class TeamSteps(object):
    """The bodies of a team's steps, for the teamd module and the topology
    alike: each step that fails puts back what it changed (daemon, files,
    device, ports), and each has an undo for when a later step fails.

    refresh() is called after the device came or went (the topology's
    sessions cache link indexes).
    """

    def __init__(self, session, daemon, refresh=None):
        self.session = session
        self.daemon = daemon
        self.refresh = refresh or (lambda: None)
        self.before = None
        self.old_conf = None

    # -- start ---------------------------------------------------------------
    def start(self, config):
        """Start teamd with `config`: its ports are taken down first (the
        kernel enslaves only ports that are down) and brought up once it
        runs. A failure stops the daemon, removes its files and gives the
        ports their admin state back."""
        self.before = port_states(self.session, sorted(config['ports']))
        try:
            self._start(config, self.before)
        except STEP_ERRORS as err:
            raise TeamdFailure(_with_cleanup(err, self.undo_start))

    def _start(self, config, ports):
        try:
            for name, was in sorted(ports.items()):
                if was['master'] != self.daemon.team:
                    set_link_state(self.session, name, 'down')
                    free_port(self.session, self.daemon.team, name)
            self.daemon.start(config)
            wait_for_device(self.session, self.daemon.team, present=True)
            for name in sorted(config['ports']):
                set_link_state(self.session, name, 'up')
        finally:
            self.refresh()

    def undo_start(self):
        """Stop the daemon, delete its device and files, restore the ports."""
        self._stop()
        done = restore_ports(self.session, self.daemon.team, self.before or {})
        return 'stopped teamd and removed its files%s' % (
            '; ports back to ' + ', '.join(done) if done else '')

    # -- stop ------------------------------------------------------------------
    def stop(self):
        """Stop teamd (it deletes the device), delete a device left behind
        and remove the files; undo_stop() brings the team back."""
        self.before = take_snapshot(self.session, self.daemon)
        self._stop()

    def _stop(self):
        try:
            if self.daemon.stop():
                wait_for_device(self.session, self.daemon.team, present=False, fail=False)
            msg = self.session.get_msg(name=self.daemon.team)
            if msg is not None:
                self.session.call('deleting team %s' % self.daemon.team, 'link', 'del',
                                  index=msg['index'])
        finally:
            self.refresh()

    def undo_stop(self):
        return self.restore(self.before)

    # -- restart ---------------------------------------------------------------
    def restart(self, config):
        """Stop teamd and start it with `config` (the device is re-created).
        A failure brings the old team back: its daemon with its old
        configuration file, the device with its link settings and
        addresses, and the ports as they were; the error says what was
        restored."""
        self.before = take_snapshot(self.session, self.daemon, more_ports=config['ports'])
        try:
            self._stop()
            self._start(config, port_states(self.session, sorted(config['ports'])))
        except STEP_ERRORS as err:
            raise TeamdFailure(_with_cleanup(err, self.undo_restart))

    def undo_restart(self):
        return self.restore(self.before)

    def restore(self, old):
        """Bring a team back as a snapshot shows it; returns what was done."""
        self._stop()
        done = []
        if old.config is not None:
            self._start(old.config, port_states(self.session, sorted(old.config['ports'])))
            restored = ['teamd with its previous configuration (%s)' % summary(old.config)]
            if old.device is not None:
                restored.extend(restore_device(self.session, old.device))
            done.append('restored the old team: ' + ', '.join(restored))
        ports = restore_ports(self.session, self.daemon.team, old.ports)
        if ports:
            done.append('ports back to ' + ', '.join(ports))
        return '; '.join(done) or 'nothing to restore'

    # -- live port changes ---------------------------------------------------------
    def add_port(self, name, config, desired):
        """Enslave one port through teamd. teamd reads a port's settings
        when it is added: they are given first. A refusal gives the port
        its admin state back."""
        self.before = port_states(self.session, [name])
        try:
            if config is not None:
                self.daemon.ctl('port', 'config', 'update', name, _json(config))
            set_link_state(self.session, name, 'down')
            free_port(self.session, self.daemon.team, name)
            self.daemon.ctl('port', 'add', name)
            set_link_state(self.session, name, 'up')
        except STEP_ERRORS as err:
            raise TeamdFailure(_with_cleanup(err, self.undo_add_port, name))
        if desired is not None:
            self._write_config(desired)

    def undo_add_port(self, name):
        if self.daemon.pid() is not None and self._is_port(name):
            self.daemon.ctl('port', 'remove', name)
        done = restore_ports(self.session, self.daemon.team, self.before or {})
        self._put_config_back()
        return 'port %s released%s' % (name, ' and back to ' + ', '.join(done) if done else '')

    def remove_port(self, name, desired):
        """Release one port; the kernel closes it: it is left down."""
        self.before = port_states(self.session, [name])
        self.daemon.ctl('port', 'remove', name)
        self._write_config(desired)

    def undo_remove_port(self, name, config):
        before = self.before
        self.add_port(name, config, None)  # (None: the file is not written)
        restore_ports(self.session, self.daemon.team, before or {})
        self._put_config_back()

    def _write_config(self, desired):
        """The configuration file follows each live change; the one before
        is kept for the undo."""
        self.old_conf = self.daemon.applied()
        self.daemon.write_config(desired)

    def _put_config_back(self):
        if self.old_conf is not None:
            self.daemon.write_config(self.old_conf)
            self.old_conf = None

    def update_port(self, name, config, old_config, desired):
        """teamd reads a port's settings only when the port is added: the
        port is given its new settings, removed and added again. A failure
        adds it back with its old settings."""
        try:
            self.daemon.ctl('port', 'config', 'update', name, _json(config))
            self.daemon.ctl('port', 'remove', name)
            self.add_port(name, None, desired)
        except STEP_ERRORS as err:
            raise TeamdFailure(_with_cleanup(err, self.undo_update_port, name, old_config))

    def undo_update_port(self, name, old_config):
        if self._is_port(name):
            self.daemon.ctl('port', 'remove', name)
        self.add_port(name, old_config, None)
        self._put_config_back()
        return 'port %s added back with its previous settings' % name

    def _is_port(self, name):
        now = self.session.read(name)
        return now is not None and now['master'] == self.daemon.team


def restore_device(session, view):
    """Give a re-created team device the link settings, addresses, master
    and admin state a reading of the old one shows; returns what it set."""
    name = view['name']
    now = session.read(name)
    if now is None:
        raise TeamdFailure('team device %s is missing' % name)
    done = []
    attrs = dict((option, view[option]) for option, _kw in link_steps.COMMON
                 if view.get(option) not in (None, '') and now.get(option) != view[option])
    if attrs:
        link_steps.set_link(session, name, 'restoring %s of %s' % (
            ', '.join(sorted(attrs)), name), **attrs)
        done.append('its ' + ', '.join(sorted(attrs)))
    missing = [cidr for cidr in view['addresses'] if cidr not in now['addresses']]
    for cidr in missing:
        link_steps.address(session, name, 'restoring address %s of %s' % (cidr, name), 'add',
                           cidr)
    if missing:
        done.append('its addresses ' + ', '.join(missing))
    if view['master'] and now['master'] != view['master']:
        master = session.get_msg(name=view['master'])
        if master is None:
            raise TeamdFailure('%s cannot join %s again: %s is gone'
                               % (name, view['master'], view['master']))
        link_steps.set_link(session, name, 'attaching %s to %s' % (name, view['master']),
                            master=view['master'])
        done.append('its master ' + view['master'])
    if now['admin_state'] != view['admin_state']:
        set_link_state(session, name, view['admin_state'])
        done.append('admin state ' + view['admin_state'])
    return done


def _with_cleanup(err, cleanup, *args):
    """The message of a failed step, with what its cleanup put back (or
    why it could not)."""
    try:
        done = cleanup(*args)
    except STEP_ERRORS as cleanup_err:
        return '%s; putting back what this step changed failed too: %s' % (err, cleanup_err)
    return '%s; %s' % (err, done)


def _json(config):
    return json.dumps(config, sort_keys=True)
