#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: netns
short_description: Manage named network namespaces
description:
  - Creates and deletes named network namespaces (as C(ip netns add/del)),
    matched by exact name.
  - Brings the namespace's loopback interface up, and sets per-namespace
    sysctls such as C(net.ipv4.ip_forward) for routers in a lab.
  - Deleting a namespace first deletes the links inside it, so that none is
    left behind. Their veth peers in other namespaces go with them (the other
    ends of the pairs it removes), and are listed in the plan. Links of
    others stacked on them elsewhere (a macvlan on such a peer) are refused
    unless O(allow_collateral=true); a peer that would cut this host off is
    refused unless O(allow_disruptive=true).
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.safety
options:
  name:
    description:
      - Name of the namespace (1 to 255 bytes, as C(ip netns) allows, so
        that namespaces of container runtimes such as C(cni-<uuid>) can be
        managed; no C(/), no whitespace, not C(.) or C(..)). Never a path.
    type: str
    required: true
  state:
    description: Whether the namespace should exist.
    type: str
    choices: [present, absent]
    default: present
  loopback:
    description:
      - Bring the loopback interface C(lo) up (C(true)) or down (C(false)).
        New namespaces start with it down.
    type: bool
    default: true
  sysctls:
    description:
      - Per-namespace sysctls to set, C(net.*) keys only, for example
        C(net.ipv4.ip_forward=1) or C(net.ipv6.conf.all.forwarding=1).
      - Keys with an interface name containing a dot may be written with
        slashes (C(net/ipv4/conf/eth0.10/rp_filter)).
    type: dict
    default: {}
  allow_disruptive:
    description:
      - Deleting the namespace deletes the veth peers of its links in other
        namespaces. If one of those carries the root namespace's default route
        or the SSH connection of this task, the run is refused unless this is
        C(true).
    type: bool
    default: false
seealso:
  - module: vnet.linux.veth
'''

EXAMPLES = r'''
- name: A namespace with loopback up
  vnet.linux.netns:
    name: red

- name: A router namespace
  vnet.linux.netns:
    name: r1
    sysctls:
      net.ipv4.ip_forward: 1
      net.ipv6.conf.all.forwarding: 1

- name: Remove a namespace and every link inside it
  vnet.linux.netns:
    name: red
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make).
  returned: always
  type: list
  elements: str
  sample: ["create namespace 'red'", "bring lo up in namespace 'red'"]
namespace:
  description: The namespace after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: red
    loopback: true
    sysctls: {net.ipv4.ip_forward: "1"}
    links: [lo]
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.guard import dying_with
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    EngineError,
    undone_with_its_object,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    SAFETY_OPTIONS,
    LinkRun,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    create_namespace,
    inside,
    namespace_exists,
    read_sysctl,
    remove_namespace,
    sysctl_path,
    where,
    write_sysctl,
)


def sysctl_paths(sysctls):
    paths = {}
    for key, value in sysctls.items():
        try:
            path = sysctl_path(key)
        except ValueError:
            raise validate.InputError(
                'sysctls: %r is not a per-namespace sysctl; only net.* keys are '
                'set per namespace' % key)
        paths[key] = (path, validate.sysctl_value(value, 'sysctls.' + key))
    return paths


def read_namespace(run, name, keys):
    if not namespace_exists(name):
        return {}
    session = run.session(name)
    lo = session.read('lo')
    sysctls = {}
    with inside(name):
        for key, (path, _value) in keys.items():
            try:
                sysctls[key] = read_sysctl(path)
            except (IOError, OSError):
                sysctls[key] = None
    return {'name': name, 'loopback': bool(lo and lo['admin_state'] == 'up'),
            'sysctls': sysctls, 'links': sorted(session.link_names())}


def plan_present(run, name, now, keys, loopback):
    plan = run.plan
    label = where(name)
    if not now:
        plan.add('create %s' % label, lambda: create_namespace(name),
                 lambda: remove_namespace(name))
    lo_up = now.get('loopback', False)
    if loopback is not None and lo_up != loopback:
        wanted = 'up' if loopback else 'down'

        def set_lo(state):
            def run_it():
                session = run.session(name)
                session.call('bringing lo %s' % state, 'link', 'set',
                             index=session.index('lo'), state=state)
            return run_it
        plan.add('bring lo %s in %s' % (wanted, label), set_lo(wanted),
                 set_lo('up' if lo_up else 'down'))
    for key, (path, value) in sorted(keys.items()):
        have = now.get('sysctls', {}).get(key)
        if now and have is None:
            raise EngineError('sysctls: %s does not exist in %s (a typo, or an '
                              'interface that is not there?)' % (key, label))
        if have != value:
            plan.add('set %s=%s in %s' % (key, value, label),
                     _sysctl_writer(name, path, value, key),
                     _sysctl_writer(name, path, have, key) if have is not None
                     else undone_with_its_object)


def _sysctl_writer(name, path, value, key):
    def run_it():
        with inside(name):
            try:
                write_sysctl(path, value)
            except (IOError, OSError) as err:
                raise EngineError('setting %s=%s in %s failed: %s'
                                  % (key, value, where(name), err))
    return run_it


def plan_absent(run, name, now):
    if not now:
        return
    session = run.session(name)
    # the kernel deletes the veth peers of the links inside (the other ends
    # of pairs this task removes) and links stacked on them (objects of
    # their own), wherever those are: collateral, vetted by the guard
    collateral = run.guard.vet_collateral(
        dying_with(run.guard.host, namespaces=[name]),
        names_partner=lambda partner: partner['netns'] == name)

    def delete_links():
        # delete what lives inside first, so nothing is left dangling; a
        # veth's peer or a macvlan on a deleted parent goes with it
        for link in session.dump('link'):
            link_name = link.get_attr('IFLA_IFNAME')
            if link_name == 'lo':
                continue
            if session.get_msg(name=link_name) is not None:
                session.call('deleting link %s' % link_name, 'link', 'del',
                             index=link['index'])
        session.close()
    if len(now['links']) > 1:
        run.plan.add('delete links %s in %s%s' % (', '.join(
            n for n in now['links'] if n != 'lo'), where(name), collateral),
            delete_links)
    run.plan.add('delete %s' % where(name), lambda: (session.close(), remove_namespace(name)))


def converge(run):
    params = run.module.params
    name = validate.namespace_name(params['name'], 'name')
    keys = sysctl_paths(params['sysctls'] or {})
    now = read_namespace(run, name, keys)
    if params['state'] == 'absent':
        plan_absent(run, name, now)
        run.finish({'namespace': now}, {'namespace': {}}, lambda: {'namespace': {}})
        return
    plan_present(run, name, now, keys, params['loopback'])
    after = {'name': name, 'loopback': params['loopback'] if params['loopback'] is not None
             else now.get('loopback', False),
             'sysctls': dict((k, v) for k, (_p, v) in keys.items()),
             'links': now.get('links', ['lo'])}
    run.checks.append(lambda: _namespace_problems(run, name, keys, after))
    run.finish({'namespace': now}, {'namespace': after},
               lambda: {'namespace': read_namespace(run, name, keys)})
    return


def _namespace_problems(run, name, keys, after):
    now = read_namespace(run, name, keys)
    if not now:
        return ['%s is missing after apply' % where(name)]
    return ['%s: %s is %r, expected %r' % (where(name), field, now[field], after[field])
            for field in ('loopback', 'sysctls') if now[field] != after[field]]


def main():
    module = StrictModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            loopback=dict(type='bool', default=True),
            sysctls=dict(type='dict', default={}),
            allow_disruptive=dict(type='bool', default=False),
            **SAFETY_OPTIONS
        ),
        supports_check_mode=True,
    )
    LinkRun(module).run(converge, namespaces=[module.params['name']])


if __name__ == '__main__':
    main()
