# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The wireguard settings (module_utils/_kinds/wireguard.py WIREGUARD_OPTIONS):
    # the vnet.linux.wireguard module's options, and (without a literal
    # preshared_key, with peer references) a topology wireguard link's `options`.
    DOCUMENTATION = r'''
options:
  private_key_file:
    description:
      - Absolute path of a file on the managed host that holds the private
        key (base64, as C(wg genkey) writes it). The key is read from it
        and never returned, logged or shown in a diff; it is compared with
        the kernel's through its public key.
      - Omit to leave the device's key as it is.
    type: path
  generate_key:
    description:
      - When O(private_key_file) does not exist, generate a key there
        (mode C(0600)) and use it. Check mode writes nothing.
      - The file is kept, also when the interface is deleted; delete it
        yourself when the key is no longer wanted.
    type: bool
    default: false
  listen_port:
    description:
      - UDP port the device listens on (1 to 65535). Omit to leave it as it
        is (a new device gets a random port when it comes up).
      - The socket lives in the namespace where the interface was created.
    type: int
  fwmark:
    description:
      - Firewall mark of the device's outgoing packets (0 to 4294967295; 0
        is none). Omit to leave it as it is.
    type: int
  peers:
    description:
      - The device's peers, all of them. Peers of the device that are not
        listed are removed (an empty list removes every peer); omit
        O(peers) to leave the peers as they are.
      - Within a peer, a setting left out is left as it is (a new peer gets
        the kernel's defaults, that is no preshared key, no keepalive and no allowed IPs).
    type: list
    elements: dict
    suboptions:
      public_key:
        description:
          - The peer's public key (base64, as C(wg pubkey) writes it).
        type: str
        required: true
      preshared_key:
        description:
          - A preshared key (base64, as C(wg genpsk) writes it). Never returned
            or logged. An empty string removes the peer's preshared key.
          - Mutually exclusive with O(peers[].preshared_key_file).
        type: str
      preshared_key_file:
        description:
          - Absolute path of a file on the managed host holding the preshared
            key. An empty string removes the peer's preshared key.
        type: path
      endpoint:
        description:
          - Where the peer is reached, C(host:port); an IPv6 address goes in
            brackets (C([2001:db8::1]:51820)). A host name is resolved on the
            managed host when the task runs (the first address).
          - Left out, the kernel learns the endpoint from the peer's packets,
            and it is not compared. The kernel also moves a given endpoint
            to where authenticated packets come from (roaming); a re-run
            then sets it back.
        type: str
      allowed_ips:
        description:
          - Networks routed to this peer and accepted from it, in CIDR form
            with no host bits set (C(10.0.0.2/32), C(fd00::/64)). Compared in
            any order; the list replaces the peer's. A network may belong to
            one peer only.
        type: list
        elements: str
      persistent_keepalive:
        description:
          - Seconds between keepalive packets (0 to 65535; 0 is off).
        type: int
notes:
  - Needs a kernel with WireGuard (C(CONFIG_WIREGUARD), module C(wireguard))
    and, on the managed host, the Python package C(cryptography) (an
    ansible-core dependency) to derive and generate X25519 keys.
  - Keys, port and peers are set over generic netlink through pyroute2's
    WireGuard support, inside the interface's namespace.
'''
