#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: teamd
short_description: Manage team devices driven by the teamd daemon, in any network namespace
description:
  - Creates, changes and removes a team device together with the C(teamd)
    daemon that drives it. The options are teamd's configuration model
    (see teamd.conf(5)) - the runner and its settings, link watchers, and
    ports with their settings.
  - The kernel team driver only moves packets; the runner, the link watchers
    and the ports are teamd's job. The module writes the teamd configuration
    to C(/run/vnet-linux/teamd/root/NAME.conf) (root namespace) or
    C(/run/vnet-linux/teamd/netns/NETNS/NAME.conf), starts
    C(teamd -d -f CONF -t NAME -p PIDFILE) inside the namespace, and owns
    the daemon through its pid file beside the configuration.
  - The running configuration (C(teamdctl NAME config dump actual)) is
    compared with the one the options describe, on the keys the module
    manages - the options given, the options given in the previous run (so
    that removing an option is a change), and the set of ports. Keys that
    teamd fills in with its own defaults are not compared. An option that is
    omitted takes teamd's default.
  - Ports are added and removed live (C(teamdctl port add/remove)). A port
    whose settings change is given its new settings and removed and added
    again, because teamd reads them when a port is added. Ports are taken
    down before they are enslaved (the kernel requires it), and the kernel
    brings them up when they join; a removed port is left down, as the
    kernel leaves it. A port add that teamd or the kernel refuses leaves
    the port as it was (its admin state, no master). Any other change
    (runner, its settings, team-wide link watchers, notify_peers,
    mcast_rejoin) restarts the daemon, which re-creates the team device;
    RV(restarted) says so. Its link settings (addresses, MTU, state,
    alias, master) are carried over to the new device unless the task
    gives them.
  - A restart that fails, or a later step of the run that fails, brings
    the old team back - the daemon with its previous configuration file,
    the device with its link settings, addresses, master and admin state,
    the ports enslaved and up as before; the error names the failed step
    and what was restored.
  - The common link options (addresses, state, MTU, alias, master...) are
    applied with netlink to the team device once teamd created it.
  - In a named namespace, teamd and teamdctl run in a private mount
    namespace in which teamd's fixed socket directory C(/run/teamd) is the
    namespace's runtime directory, so that teams of the same name in
    several namespaces never share a control socket. By hand, such a team
    is reached with
    C(nsenter --net=/run/netns/NETNS --mount=/proc/$(cat /run/vnet-linux/teamd/netns/NETNS/NAME.pid)/ns/mnt teamdctl NAME state).
    In the root namespace the usual C(teamdctl NAME state) works.
  - C(state=absent) stops the daemon (which deletes the device), removes
    the runtime files and the runtime directories that are left empty
    (and C(/run/teamd) if the module made it), and, if no daemon ran,
    deletes the team device.
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.safety
options:
  runner:
    description:
      - The teamd runner and its settings (C(runner) object of teamd.conf(5)).
      - Settings that the chosen runner would ignore are refused before
        anything changes.
      - Omitted means O(runner.name=roundrobin), teamd's default.
    type: dict
    suboptions:
      name:
        description: The runner.
        type: str
        choices: [broadcast, roundrobin, random, activebackup, loadbalance, lacp]
        default: roundrobin
      hwaddr_policy:
        description:
          - How MAC addresses of the team and its ports are set (activebackup only).
          - C(same_all) gives every port the team's address; C(by_active) gives
            the team the active port's; C(only_active) gives only the active
            port the team's.
        type: str
        choices: [same_all, by_active, only_active]
      tx_hash:
        description:
          - Packet fields hashed to choose the transmit port (loadbalance and lacp).
          - teamd's default is C([eth, ipv4, ipv6]).
        type: list
        elements: str
        choices: [eth, vlan, ipv4, ipv6, ip, l3, tcp, udp, sctp, l4]
      tx_balancer:
        description: Active transmit load balancing (loadbalance and lacp).
        type: dict
        suboptions:
          name:
            description: The balancer; teamd has one.
            type: str
            choices: [basic]
            default: basic
          balancing_interval:
            description: Rebalancing interval in tenths of a second (teamd's default 50).
            type: int
      active:
        description: Send LACPDUs periodically (true), or only answer (false). lacp only.
        type: bool
      fast_rate:
        description: Ask the partner for LACPDUs every second instead of every 30 seconds. lacp only.
        type: bool
      sys_prio:
        description: LACP system priority, 0 to 65535 (teamd's default 65535). lacp only.
        type: int
      min_ports:
        description: Ports that must be up before the team has carrier, 1 to 255. lacp only.
        type: int
      agg_select_policy:
        description: How the aggregator is selected. lacp only.
        type: str
        choices: [lacp_prio, lacp_prio_stable, bandwidth, count, port_config]
  link_watch:
    description:
      - Link watchers of every port (team-wide). Several may be given; teamd
        counts a port up when any of its watchers reports it up.
      - Omitted means teamd's default, one C(ethtool) watcher.
      - Options of another kind of watcher are refused.
    type: list
    elements: dict
    suboptions: &watcher
      name:
        description: The kind of watcher.
        type: str
        required: true
        choices: [ethtool, arp_ping, nsna_ping]
      delay_up:
        description: Milliseconds between the link coming up and the runner being told (ethtool).
        type: int
      delay_down:
        description: Milliseconds between the link going down and the runner being told (ethtool).
        type: int
      interval:
        description: Milliseconds between probes (arp_ping, nsna_ping; teamd's default 1000).
        type: int
      init_wait:
        description: Milliseconds before the first probe (arp_ping, nsna_ping).
        type: int
      missed_max:
        description: Missed replies after which the link is down (arp_ping, nsna_ping; default 3).
        type: int
      source_host:
        description: IPv4 source address of the ARP requests (arp_ping; default 0.0.0.0).
        type: str
      target_host:
        description:
          - Address probed; required for arp_ping (IPv4) and nsna_ping (IPv6).
          - An IP address, not a host name (teamd would resolve names inside
            the namespace at start, where name service rarely works).
        type: str
      validate_active:
        description: Check ARP replies on the active port (arp_ping).
        type: bool
      validate_inactive:
        description: Check ARP replies on inactive ports (arp_ping).
        type: bool
      send_always:
        description: Send ARP requests on inactive ports too (arp_ping).
        type: bool
      vlanid:
        description: VLAN id to tag the ARP requests with, 1 to 4094 (arp_ping).
        type: int
  notify_peers:
    description: Gratuitous ARP / unsolicited NA bursts after a port change.
    type: dict
    suboptions:
      count:
        description: Bursts (teamd's default 0, 1 for activebackup).
        type: int
      interval:
        description: Milliseconds between bursts.
        type: int
  mcast_rejoin:
    description: Multicast group rejoin bursts after a port change.
    type: dict
    suboptions:
      count:
        description: Bursts (teamd's default 0, 1 for activebackup).
        type: int
      interval:
        description: Milliseconds between bursts.
        type: int
  ports:
    description:
      - The complete set of the team's ports, in the team's namespace (for
        example veth ends). Ports of the team that are not listed are removed
        from it (they are not deleted).
      - Settings that the runner would ignore are refused.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Interface name.
        type: str
        required: true
      prio:
        description: Port priority; higher wins the active role (activebackup) and orders ports sharing a queue_id.
        type: int
      sticky:
        description: Keep the port active even when a better one comes up (activebackup, lacp).
        type: bool
      lacp_prio:
        description: LACP port priority, 0 to 65535; lower is better (lacp).
        type: int
      lacp_key:
        description: LACP port key, 0 to 65535; only ports with one key aggregate (lacp).
        type: int
      queue_id:
        description: Transmit queue this port is mapped to.
        type: int
      link_watch:
        description:
          - Link watchers of this port, used in addition to the team-wide ones.
        type: list
        elements: dict
        suboptions: *watcher
notes:
  - Needs C(teamd) and C(teamdctl) on the managed host (package
    C(libteam-utils) on Debian and Ubuntu, C(teamd) on the RHEL family) and
    a kernel with the team driver. The module fails with that advice when
    they are missing.
  - Why not C(ip netns exec) - modules of this collection never run C(ip).
    The daemon is started by the module's own Python interpreter running a
    small launcher (C(setns), C(unshare) and C(mount) through C(ctypes), then
    C(exec) of teamd), with a list of arguments and no shell. C(teamdctl)
    joins the running daemon's network and mount namespaces with C(nsenter)
    from util-linux (the launcher is the fallback when C(nsenter) is missing).
  - Deleting a namespace in which teamd still runs does not stop the daemon
    (it keeps the namespace alive); remove teams with O(state=absent) first.
seealso:
  - module: vnet.linux.veth
  - module: vnet.linux.netns
'''

EXAMPLES = r'''
- name: An active-backup team of two veth ends, with a preferred port
  vnet.linux.teamd:
    name: team0
    netns: host1
    runner:
      name: activebackup
      hwaddr_policy: same_all
    link_watch:
      - name: ethtool
        delay_up: 100
    ports:
      - name: eth1
        prio: 100
        sticky: true
      - name: eth2
    addresses: [192.0.2.10/24]
    admin_state: up

- name: LACP with fast rate, hashing on L3 and L4
  vnet.linux.teamd:
    name: team1
    netns: host1
    runner:
      name: lacp
      active: true
      fast_rate: true
      tx_hash: [ipv4, ipv6, l4]
      agg_select_policy: lacp_prio
    ports:
      - name: eth3
        lacp_prio: 10
      - name: eth4

- name: ARP monitoring instead of carrier
  vnet.linux.teamd:
    name: team0
    netns: host1
    runner:
      name: activebackup
    link_watch:
      - name: arp_ping
        interval: 200
        missed_max: 5
        target_host: 192.0.2.1
        validate_active: true
    ports:
      - name: eth1
      - name: eth2

- name: Stop the daemon and remove the team
  vnet.linux.teamd:
    name: team0
    netns: host1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["start teamd for team team0 in namespace 'host1' (runner activebackup, ports eth1, eth2)",
           "add address 192.0.2.10/24 to team team0 in namespace 'host1'"]
restarted:
  description: The daemon was (in check mode, would be) restarted, which re-creates the team device.
  returned: always
  type: bool
link:
  description: The team device as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample: {name: team0, netns: host1, kind: team, admin_state: up, mtu: 1500,
           addresses: [192.0.2.10/24], options: {}}
config:
  description:
    - The teamd configuration after the run, restricted to the keys the
      module manages (empty when absent). Link watchers are always lists.
  returned: always
  type: dict
  sample:
    device: team0
    runner: {name: activebackup}
    link_watch: [{name: ethtool, delay_up: 100}]
    ports: {eth1: {prio: 100, sticky: true}, eth2: {}}
team:
  description:
    - The live state of the team from C(teamdctl state dump) (empty when
      absent). In check mode, when the daemon is to be (re)started, only
      the runner and the port names are predicted.
  returned: always
  type: dict
  contains:
    pid:
      description: Process id of teamd.
      type: int
    runner:
      description: The runner teamd runs.
      type: str
    kernel_team_mode:
      description: The mode teamd set in the kernel driver.
      type: str
    active_port:
      description: The active port (activebackup), else null.
      type: str
    ports:
      description: Ports with their link state.
      type: list
      elements: dict
  sample:
    pid: 4242
    runner: activebackup
    kernel_team_mode: activebackup
    active_port: eth1
    ports:
      - {name: eth1, link_up: true, link_watches_up: true, active: true, speed: 10000, duplex: full}
      - {name: eth2, link_up: true, link_watches_up: true, active: false, speed: 10000, duplex: full}
'''


from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    CREATE_ATTRS,
    EngineError,
    Wanted,
    other_kind,
    plan_delete,
    plan_link,
    predicted,
    public,
    undone_with_its_object,
    verify,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.guard import ENSLAVE, Touch
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
    wanted_end,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    namespace_exists,
    where,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.teamd import (
    TEAM,
    TEAMD_SPEC,
    Daemon,
    TeamdFailure,
    TeamSteps,
    build_config,
    managed_view,
    plan_changes,
    summary,
    team_view,
)


def converge(run):
    params = run.module.params
    team = wanted_end(params, TEAM)
    daemon = Daemon(run.module, team.netns, team.name)
    if params['state'] == 'absent':
        converge_absent(run, team, daemon)
        return
    desired = build_config(team.name, params)
    daemon.find_binaries()
    link_now = run.read(team.netns, team.name, 'netns')
    refuse_other_kind(team, link_now)
    exists = namespace_exists(team.netns)
    running = daemon.running_config() if exists and daemon.pid() else None
    applied = daemon.applied()
    if link_now is not None and running is None and applied is None:
        raise EngineError(
            '%s exists but no teamd started by this module drives it; it is left alone. '
            'Delete it (state: absent) or choose another name.' % team.label)
    read_ports(run, team, desired['ports'], exists)
    changes = plan_changes(desired, running, applied, link_now is not None)
    plan_teamd(run, team, daemon, desired, changes, running)
    fresh = changes.mode in ('start', 'restart')
    link_wanted = carried_over(team, link_now) if changes.mode == 'restart' else team
    if fresh:
        plan_creation_attrs(run, link_wanted)
    plan_link(run.plan, run.session(team.netns), link_wanted, None if fresh else link_now,
              run.guard, create=lambda *args: None)
    run.expect(link_wanted)
    run.checks.append(config_check(daemon, desired))
    before = {'link': public(link_now, TEAM), 'config': managed_view(running, desired, applied)}
    after = {'link': predicted(link_wanted, None if fresh else link_now), 'config': desired}
    finish(run, daemon, team, before, after, changes,
           lambda: predicted_team_view(daemon, desired, changes))


def refuse_other_kind(team, link_now):
    if link_now is not None and link_now['kind'] != 'team':
        raise other_kind(team.name, team.netns, link_now, 'team')


def read_ports(run, team, ports, exists):
    """Current state of each wanted port; refuses ports that are missing
    (real run). The guard vets each port the team takes: the lock-out
    guard, and a port of another master (a bridge, a bond, another team)
    only with allow_port_takeover."""
    session = run.session(team.netns)
    result = {}
    for name in ports:
        state = session.read(name) if exists else None
        if state is None:
            missing_port(run, team, name)
        elif state['master'] != team.name:
            run.guard.vet(Touch(dict(state, netns=team.netns), ENSLAVE, master=team.name))
        result[name] = state
    return result


def missing_port(run, team, name):
    elsewhere = run.locate(name, team.netns)
    hint = (' It exists in %s: a port must be in the team\'s namespace.'
            % ', '.join(elsewhere)) if elsewhere else ''
    if not run.module.check_mode:
        raise EngineError('ports: %s does not exist in %s.%s' % (name, where(team.netns), hint))
    run.module.warn('ports: %s does not exist in %s yet; the prediction assumes an '
                    'earlier task creates it.%s' % (name, where(team.netns), hint))


def plan_teamd(run, team, daemon, desired, changes, running):
    """The daemon's steps: a start, a restart, or live port changes. Each
    step puts back what it changed when it fails, and has an undo for when
    a later step fails (TeamSteps)."""
    session = run.session(team.netns)
    steps = TeamSteps(session, daemon)
    label = team.label
    if changes.mode == 'start':
        run.plan.add('start teamd for %s (%s)' % (label, summary(desired)),
                     lambda: steps.start(desired), steps.undo_start)
    elif changes.mode == 'restart':
        run.guard.check(team.netns, session.read(team.name),
                        're-create (restarting its teamd)')
        run.plan.add('restart teamd for %s because %s changed (%s); the team device is '
                     're-created' % (label, ', '.join(changes.reasons), summary(desired)),
                     lambda: steps.restart(desired), steps.undo_restart)
    elif changes.mode == 'live':
        plan_live_ports(run, team, daemon, desired, changes, running)


def plan_live_ports(run, team, daemon, desired, changes, running):
    session = run.session(team.netns)
    label = team.label
    have = running.get('ports') or {}
    for name in changes.remove:
        steps = TeamSteps(session, daemon)
        run.plan.add('remove port %s from %s' % (name, label),
                     lambda steps=steps, name=name: steps.remove_port(name, desired),
                     lambda steps=steps, name=name: steps.undo_remove_port(name, have[name]))
    for name in changes.update:
        steps = TeamSteps(session, daemon)
        config = desired['ports'][name]
        run.plan.add('update port %s of %s to %s (removed and added again)'
                     % (name, label, _port_text(config)),
                     lambda steps=steps, name=name, config=config: steps.update_port(
                         name, config, have[name], desired),
                     lambda steps=steps, name=name: steps.undo_update_port(name, have[name]))
    for name in changes.add:
        steps = TeamSteps(session, daemon)
        config = desired['ports'][name]
        run.plan.add('add port %s to %s (%s)' % (name, label, _port_text(config)),
                     lambda steps=steps, name=name, config=config: steps.add_port(
                         name, config, desired),
                     lambda steps=steps, name=name: steps.undo_add_port(name))


def _port_text(config):
    return ', '.join('%s=%s' % (k, v) for k, v in sorted(config.items())) or 'default settings'


def plan_creation_attrs(run, wanted):
    """The engine gives MTU, MAC and queue length when it creates a link;
    teamd creates this one, so they are set right after it did."""
    attrs = dict((option, wanted.attrs[option]) for option in CREATE_ATTRS
                 if option in wanted.attrs)
    if not attrs:
        return
    session = run.session(wanted.netns)
    # undone with the device: the undo of the start removes it, the undo of
    # a restart brings back the old device with its own settings
    run.plan.add('set %s on %s' % (link_steps.describe(attrs), wanted.label),
                 link_steps.set_link_step(session, wanted.name, 'changing ' + wanted.label,
                                          **attrs),
                 undone_with_its_object)


def carried_over(team, link_now):
    """A restart re-creates the device: keep its link settings that the task
    does not give (the MAC address is left to teamd)."""
    if link_now is None:
        return team
    attrs = dict(team.attrs)
    for option in ('mtu', 'txqueuelen', 'alias'):
        if option not in attrs and link_now.get(option) not in (None, ''):
            attrs[option] = link_now[option]
    addresses = team.addresses
    if addresses is None and link_now['addresses']:
        addresses = list(link_now['addresses'])
    master = team.master if team.master is not None else (link_now['master'] or None)
    return Wanted(team.name, team.netns, team.spec, attrs=attrs, addresses=addresses,
                  purge_addresses=team.purge_addresses,
                  admin_state=team.admin_state or link_now['admin_state'], master=master)


def config_check(daemon, desired):
    """After apply: the daemon runs the desired configuration."""
    def check():
        if daemon.pid() is None:
            return ['teamd for %s is not running after apply' % daemon.team]
        changes = plan_changes(desired, daemon.running_config(), desired, True)
        if changes.mode == 'none':
            return []
        return ['teamd for %s: %r' % (daemon.team, changes)]
    return check


def predicted_team_view(daemon, desired, changes):
    """The team state a run would leave (check mode), or the current one."""
    if changes.mode in ('start', 'restart'):
        return {'runner': desired['runner']['name'], 'active_port': None,
                'ports': [{'name': n} for n in sorted(desired['ports'])]}
    view = team_view(daemon.state())
    if changes.mode == 'live':
        view['ports'] = [p for p in view['ports'] if p['name'] in desired['ports']] + [
            {'name': n} for n in changes.add]
    return view


def finish(run, daemon, team, before, after, changes, predict_team):
    """Check mode reports the plan and the prediction; a real run applies,
    verifies, and reports what teamd and the kernel read back."""
    module = run.module
    plan = run.plan
    result = {'changed': bool(plan.steps), 'actions': plan.actions,
              'restarted': bool(changes and plan.steps and changes.mode == 'restart')}
    if not plan.steps:
        after = before
        live = predict_team() if before['link'] else {}
    elif module.check_mode:
        live = predict_team()
    else:
        plan.apply()
        verify(run.checks)
        after, live = reread(run, daemon, team, after) if changes else (after, {})
    if module._diff:
        result['diff'] = {'before': before, 'after': after}
    result.update(link=after['link'], config=after['config'], team=live)
    run.sessions.close()
    module.exit_json(**result)


def reread(run, daemon, team, after):
    running = daemon.running_config()
    link = public(run.session(team.netns).read(team.name), TEAM)
    config = managed_view(running, after['config'], after['config'])
    return {'link': link, 'config': config}, team_view(daemon.state())


def converge_absent(run, team, daemon):
    # A namespace deleted under a running teamd lives on, held by the daemon:
    # state=absent still stops it, so that no teamd outlives its team.
    orphaned = not namespace_exists(team.netns)
    link_now = None if orphaned else run.read(team.netns, team.name, 'netns')
    refuse_other_kind(team, link_now)
    session = run.session(team.netns)
    running = daemon.pid() is not None
    before = {'link': public(link_now, TEAM),
              'config': running_config_if_readable(daemon) if running else {}}
    if running or daemon.has_files():
        run.guard.check(team.netns, link_now, 'delete')
        if orphaned:
            run.plan.add(_absent_text(team, running, orphaned, link_now), daemon.stop)
        else:
            steps = TeamSteps(session, daemon)
            run.plan.add(_absent_text(team, running, orphaned, link_now), steps.stop,
                         steps.undo_stop)
    elif link_now is not None:
        plan_delete(run.plan, session, link_now, run.guard)
    finish(run, daemon, team, before, {'link': {}, 'config': {}}, None, lambda: {})


def _absent_text(team, running, orphaned, link_now):
    if running and orphaned:
        return ('stop teamd for %s (the namespace was deleted while the daemon ran)'
                % team.label)
    if running:
        return 'stop teamd for %s (it deletes the team device)' % team.label
    return 'remove the stale teamd runtime files of %s%s' % (
        team.label, ' and delete the device' if link_now is not None else '')


def running_config_if_readable(daemon):
    """For the diff of a removal only: without teamdctl the daemon can still
    be stopped by its pid."""
    try:
        daemon.find_binaries()
        return daemon.running_config()
    except TeamdFailure:
        return {}


def main():
    module = StrictModule(
        argument_spec=link_argument_spec(**TEAMD_SPEC),
        supports_check_mode=True,
    )
    run = LinkRun(module)

    run.run(converge)


if __name__ == '__main__':
    main()
