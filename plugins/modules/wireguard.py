#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: wireguard
short_description: Manage WireGuard interfaces, their keys and peers, in any network namespace
description:
  - Creates, changes and deletes a WireGuard interface with its private key
    (read from a file on the managed host, or generated there), listen
    port, firewall mark and peers (public key, preshared key, endpoint,
    allowed IPs, persistent keepalive).
  - Every setting given is compared with what the kernel reports and only
    what differs is changed; settings that are omitted are left as they
    are. O(peers), when given, is the whole list of peers.
  - The private key never leaves the managed host's file and the kernel;
    it is not returned, logged or shown in a diff. Preshared keys neither
    (results only say whether a peer has one). The public key is returned.
  - The interface's UDP socket lives in the namespace where the interface
    was created (here O(netns)); the underlay that carries the tunnel's
    packets must be reachable from that namespace.
  - A failure half-way undoes what the run changed (a generated key file
    is removed again). A deleted interface cannot be restored by an undo.
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
extends_documentation_fragment:
  - vnet.linux.attributes
  - vnet.linux.attributes.LINKS_GROUP
  - vnet.linux.link
  - vnet.linux.link.ATTRIBUTES
  - vnet.linux.wireguard
  - vnet.linux.safety
seealso:
  - module: vnet.linux.topology
  - name: WireGuard
    description: The protocol, its keys and the wg tool.
    link: https://www.wireguard.com/
'''

EXAMPLES = r'''
- name: A site's tunnel end, with a key generated and kept on the host
  vnet.linux.wireguard:
    name: wg0
    netns: site1
    private_key_file: /etc/vnet/site1-wg0.key
    generate_key: true
    listen_port: 51820
    addresses: [10.10.0.1/24]
    admin_state: up
    peers:
      - public_key: "{{ site2_public_key }}"
        endpoint: 192.0.2.2:51820
        allowed_ips: [10.10.0.2/32, 10.20.0.0/16]
        persistent_keepalive: 25
  register: site1

- name: Its public key, for the other side
  ansible.builtin.debug:
    msg: "{{ site1.public_key }}"

- name: A peer over IPv6 with a preshared key from a file
  vnet.linux.wireguard:
    name: wg0
    netns: site1
    peers:
      - public_key: "{{ site2_public_key }}"
        endpoint: "[2001:db8::2]:51820"
        preshared_key_file: /etc/vnet/site1-site2.psk
        allowed_ips: [10.10.0.2/32]

- name: Remove it (the key file stays)
  vnet.linux.wireguard:
    name: wg0
    netns: site1
    state: absent
'''

RETURN = r'''
actions:
  description: The steps the run made (in check mode, would make), in order. They never hold a key other than a shortened public key.
  returned: always
  type: list
  elements: str
  sample:
    - "create wireguard wg0 in namespace 'site1'"
    - "set private key of wireguard wg0 in namespace 'site1' from /etc/vnet/site1-wg0.key"
    - "set listen_port=51820 on wireguard wg0 in namespace 'site1'"
    - "add peer hHwNLDdSNP... to wireguard wg0 in namespace 'site1' (endpoint 192.0.2.2:51820, allowed ips 10.10.0.2/32)"
public_key:
  description:
    - The interface's public key (base64), derived from its private key.
    - V(null) when it has no key, or in check mode while the key is still to be generated.
  returned: when state is present
  type: str
  sample: hHwNLDdSNPNl5mCVUYejc1oPdhPRYJ06ak2MU66qWiI=
link:
  description:
    - The interface as the kernel reports it after the run (empty when absent).
    - C(options) holds its WireGuard settings; a peer's C(preshared_key_set) says whether it has a preshared key.
  returned: always
  type: dict
  sample:
    name: wg0
    netns: site1
    kind: wireguard
    admin_state: up
    mtu: 1420
    addresses: [10.10.0.1/24]
    options:
      public_key: hHwNLDdSNPNl5mCVUYejc1oPdhPRYJ06ak2MU66qWiI=
      listen_port: 51820
      fwmark: 0
      peers:
        - public_key: Ph8Pd/J22WLQ4oCpwkFcP4ZGon86jxpmctOrhJEAtXM=
          endpoint: 192.0.2.2:51820
          allowed_ips: [10.10.0.2/32]
          persistent_keepalive: 25
          preshared_key_set: false
'''

from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._engine.link_run import (
    LinkRun,
    link_argument_spec,
    wanted_end,
)
from ansible_collections.vnet.linux.plugins.module_utils._engine.plan import (
    other_kind,
    plan_delete,
    plan_link,
    predicted,
    public,
)
from ansible_collections.vnet.linux.plugins.module_utils._kinds import wireguard
from ansible_collections.vnet.linux.plugins.module_utils._kinds.specs import WIREGUARD


def converge(run):
    params = run.module.params
    settings = wireguard.check_settings(
        dict((name, params.get(name)) for name in wireguard.WIREGUARD_OPTIONS))
    probe = wanted_end(params, WIREGUARD)
    now = run.read(probe.netns, probe.name, 'netns')
    if now is not None and now['kind'] != WIREGUARD.netlink_kind:
        raise other_kind(probe.name, probe.netns, now, WIREGUARD.kind)
    config = wireguard.read_config(probe.netns, probe.name) if now is not None else None
    before = views(public(now, WIREGUARD), wireguard.view(config))
    if params['state'] == 'absent':
        if now is not None:
            plan_delete(run.plan, run.session(probe.netns), now, run.guard)
        run.finish(before, {'link': {}}, lambda: {'link': {}})
        return
    key_file = None
    if settings.key_file is not None:
        key_file = wireguard.KeyFile(settings.key_file, settings.generate, 'private_key_file')
        key_file.check()
    wanted = wanted_end(params, WIREGUARD)
    session = run.session(wanted.netns)
    wireguard.plan_key_generation(run.plan.add, key_file, wanted.label)
    created = plan_link(run.plan, session, wanted, now, run.guard)
    target = wireguard.Target(wanted.netns, wanted.name, wanted.label, settings, key_file)
    wireguard.plan_config(run.plan.add, target, None if created else config)
    run.expect(wanted)
    run.checks.append(wireguard.config_check(target))
    after = views(predicted(wanted, None if created else now),
                  wireguard.predicted_view(target, {} if created else before['link'].get('options')))
    run.finish(before, after, lambda: reread(run, wanted))


def views(link, settings):
    """The result's link (its WireGuard settings as its options) and public key."""
    if not link:
        return {'link': {}}
    link = dict(link, options=settings)
    return {'link': link, 'public_key': settings.get('public_key')}


def reread(run, wanted):
    link = public(run.session(wanted.netns).read(wanted.name), WIREGUARD)
    return views(link, wireguard.view(wireguard.read_config(wanted.netns, wanted.name)))


def main():
    module = StrictModule(
        argument_spec=link_argument_spec(**wireguard.WIREGUARD_OPTIONS),
        supports_check_mode=True,
    )
    LinkRun(module).run(converge)


if __name__ == '__main__':
    main()
