#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: veth
short_description: Manage veth pairs, each end in any network namespace
description:
  - Creates, changes and deletes a veth pair whose two ends may live in
    different network namespaces. The pair is created in one netlink request
    with the peer placed directly in its namespace.
  - Every attribute given is compared with what the kernel reports and only
    what differs is changed. A pair whose peer has another name or namespace
    than requested is re-created.
  - Deleting either end deletes the pair.
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
  peer:
    description:
      - The other end of the pair. Required with O(state=present).
      - Its O(peer.mtu) defaults to O(mtu) so that both ends agree.
    type: dict
    suboptions:
      name:
        description: Name of the peer interface.
        type: str
        required: true
      netns:
        description:
          - Namespace of the peer (default the root namespace); a name or a
            reference (C(pid:1234), C(path:/FILE), C(container:NAME)) as for
            O(netns).
        type: str
      admin_state:
        description: Administrative state of the peer.
        type: str
        choices: [up, down]
      mtu:
        description: MTU of the peer (default O(mtu)).
        type: int
      mac_address:
        description: MAC address of the peer.
        type: str
      txqueuelen:
        description: Transmit queue length of the peer.
        type: int
      alias:
        description: Alias of the peer.
        type: str
      master:
        description: Bridge (or bond/team) to enslave the peer to, in the peer's namespace.
        type: str
      addresses:
        description: Addresses of the peer in CIDR form.
        type: list
        elements: str
      purge_addresses:
        description: Remove peer addresses not listed in O(peer.addresses).
        type: bool
        default: false
seealso:
  - module: vnet.linux.netns
  - module: vnet.linux.bridge
'''

EXAMPLES = r'''
- name: The classic first veth example, between two namespaces
  vnet.linux.veth:
    name: veth01
    netns: netns0
    addresses: [192.168.254.10/24]
    admin_state: up
    peer:
      name: veth10
      netns: netns1
      addresses: [192.168.254.11/24]
      admin_state: up

- name: A pair with one end on the host and jumbo frames on both
  vnet.linux.veth:
    name: v-host
    mtu: 9000
    admin_state: up
    peer:
      name: v-red
      netns: red
      admin_state: up

- name: Remove the pair
  vnet.linux.veth:
    name: veth01
    netns: netns0
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create veth veth01 in namespace 'netns0' with peer veth10 in namespace 'netns1'"]
link:
  description: The end named O(name) as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: veth01
    netns: netns0
    kind: veth
    admin_state: up
    mtu: 1500
    mac_address: "5a:1c:0e:7d:3e:01"
    txqueuelen: 1000
    alias: ""
    master: ""
    addresses: [192.168.254.10/24]
    options: {}
peer:
  description: The peer end as the kernel reports it after the run (empty when absent).
  returned: always
  type: dict
  sample:
    name: veth10
    netns: netns1
    kind: veth
    admin_state: up
    addresses: [192.168.254.11/24]
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps
from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    EngineError,
    a_kind,
    other_kind,
    plan_delete,
    plan_link,
    predicted,
    public,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import VETH
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    END_OPTIONS,
    LinkRun,
    link_argument_spec,
    wanted_end,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.restore import namespace_of
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import where

PEER_OPTIONS = dict(END_OPTIONS, name=dict(type='str', required=True))


def paired(run, end, other):
    """True if `end` is a veth whose peer is exactly `other` (same ns+index)."""
    if end is None or other is None or end['kind'] != 'veth':
        return False
    if end['link_index'] != other['index']:
        return False
    if end['netns'] == other['netns']:
        return end['link_netnsid'] is None
    return end['link_netnsid'] == run.session(end['netns']).nsid_of(other['netns'])


def other_end(run, end):
    """Where the other end of a veth end is now, as (name, netns), or None
    when no named namespace holds it. An end reports its peer's index and,
    for a peer in another namespace, that namespace's id as its own
    namespace numbers it (IFLA_LINK_NETNSID): the named namespaces are asked
    which of them has that id."""
    netns = end['netns'] if end['link_netnsid'] is None else \
        namespace_of(run.session(end['netns']), end['link_netnsid'])
    if netns is False:
        return None
    name = run.session(netns).name_of(end['link_index'])
    return None if name is None else (name, netns)


def end_text(run, end):
    """'va in namespace 'x'', or where the other end cannot be found."""
    found = other_end(run, end)
    if found is not None:
        return '%s in %s' % (found[0], where(found[1]))
    return 'in a namespace without a name in /run/netns (id %s in %s)' % (
        end['link_netnsid'], where(end['netns']))


def create_pair(run, link, peer):
    """One request: the peer is placed straight into its namespace."""
    session = run.session(link.netns)

    def create():
        link_steps.create_veth(session, link.name, peer.name, peer.netns,
                               'creating ' + link.label, attrs=link.attrs, peer_attrs=peer.attrs)

    def undo():
        link_steps.delete_link(session, link.name, 'deleting ' + link.label)

    def add(plan, _session, _wanted):
        plan.add('create %s with peer %s in %s' % (link.label, peer.name, where(peer.netns)),
                 create, undo)
    return add


def converge(run):
    params = run.module.params
    link = wanted_end(params, VETH)
    state = params['state']
    link_now = run.read(link.netns, link.name, 'netns')
    if state == 'absent':
        before = {'link': public(link_now, VETH), 'peer': {}}
        if link_now is not None:
            if link_now['kind'] != 'veth':
                raise other_kind(link.name, link.netns, link_now, 'veth')
            plan_delete(run.plan, run.session(link.netns), link_now, run.guard)
        run.finish(before, {'link': {}, 'peer': {}}, lambda: {'link': {}, 'peer': {}})
        return
    if not params.get('peer'):
        raise EngineError('peer: required with state=present (name of the other end)')
    peer_params = dict(params['peer'])
    if peer_params.get('mtu') is None:
        peer_params['mtu'] = params.get('mtu')
    peer = wanted_end(peer_params, VETH, field='peer')
    if (peer.name, peer.netns) == (link.name, link.netns):
        raise EngineError('peer: the peer must differ from the link itself '
                          '(another name or another namespace)')
    peer_now = run.read(peer.netns, peer.name, 'peer.netns')
    if link_now is not None and link_now['kind'] != 'veth':
        raise other_kind(link.name, link.netns, link_now, 'veth')

    intact = paired(run, link_now, peer_now)
    if not intact:
        refuse_foreign_peer(run, link, peer, link_now, peer_now)
    if link_now is not None and not intact:
        plan_delete(run.plan, run.session(link.netns), link_now, run.guard,
                    reason='its peer is not %s in %s but %s' % (
                        peer.name, where(peer.netns), end_text(run, link_now)))
        link_now = peer_now = None
    create = create_pair(run, link, peer)
    created = plan_link(run.plan, run.session(link.netns), link, link_now, run.guard,
                        create=create)
    plan_link(run.plan, run.session(peer.netns), peer, None if created else peer_now,
              run.guard, create=lambda *a: None)
    run.expect(link)
    run.expect(peer)

    before = {'link': public(link_now, VETH), 'peer': public(peer_now, VETH)}
    after = {'link': predicted(link, None if created else link_now),
             'peer': predicted(peer, None if created else peer_now)}

    def reread():
        return {'link': public(run.session(link.netns).read(link.name), VETH),
                'peer': public(run.session(peer.netns).read(peer.name), VETH)}
    run.finish(before, after, reread)


def refuse_foreign_peer(run, link, peer, link_now, peer_now):
    """The peer's name is taken by something that is not this pair's end."""
    if peer_now is None:
        return
    if link_now is None and peer_now['kind'] == 'veth':
        found = other_end(run, peer_now)
        if found is not None and found[0] == link.name:
            raise EngineError(
                'name: %s is no longer in %s: it is in %s now, and its peer is %s in %s '
                '(was it moved?). It is left alone: move it back, or %s.'
                % (link.name, where(link.netns), where(found[1]), peer.name,
                   where(peer.netns), 'give netns: %s' % found[1] if found[1]
                   else 'leave netns out (the root namespace)'))
        raise EngineError(
            'peer: %s already exists in %s as one end of another veth pair, whose '
            'other end is %s, not %s in %s (was the pair created with other names or '
            'namespaces?). It is not duplicated: delete that pair first.'
            % (peer.name, where(peer.netns), end_text(run, peer_now), link.name,
               where(link.netns)))
    if peer_now['kind'] != 'veth':
        raise EngineError('peer: %s already exists in %s as %s; choose another name'
                          % (peer.name, where(peer.netns), a_kind(peer_now['kind'])))
    raise EngineError('peer: %s in %s is the end of another veth pair; delete it or '
                      'choose another name' % (peer.name, where(peer.netns)))


def main():
    module = StrictModule(
        argument_spec=link_argument_spec(
            peer=dict(type='dict', options=PEER_OPTIONS),
        ),
        supports_check_mode=True,
    )
    LinkRun(module).run(converge)


if __name__ == '__main__':
    main()
