# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WireGuard: keys, listen port, fwmark and peers of a wireguard link.

The link itself is made by rtnetlink (kind wireguard, no IFLA_INFO_DATA:
see the spec in specs.py); everything here travels over generic netlink,
through pyroute2's WireGuard socket. The first part is pure (input rules,
unit-tested anywhere), the second reads and writes private key files on
the managed host, the third talks to the kernel, the fourth plans steps.

Facts measured on Debian 12's 6.1 kernel with pyroute2 0.9.7 that shaped it:
- A generic netlink socket acts on the network namespace it was opened in:
  it is opened inside the device's namespace (namespaces.entered) and used
  from there.
- The kernel keeps the private key clamped (X25519) and reads it back so:
  a key file is compared through its public key, never byte for byte.
- A peer whose public key is the device's own is dropped silently, with no
  error; a private key whose public key is a peer's removes that peer. Both
  are refused before anything changes.
- A large configuration comes back in several messages; a peer's allowed
  IPs may continue in the next one under the same public key: readings are
  merged by public key.
- pyroute2 gives keys as base64 bytes, allowed IPs with host bits as the
  kernel keeps them (masked), and sends one peer per request with no
  "replace peers" flag: removals are requests of their own.
- An endpoint cannot be cleared (only replaced), and the kernel replaces it
  with the address authenticated packets come from (roaming): a peer
  without an endpoint is not compared on it.
- A preshared key of 32 zero bytes means none; a private key of 32 zero
  bytes removes the device's identity (how an undo takes a key back).
- listen_port 0 asks for a random port, which the kernel then reports.
- The kernel reads the private and preshared keys back to root: they are
  used for comparisons (preshared keys as digests) and undo inside the step
  that changes them, and never put in a view, a step text or a message.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import ipaddress
import os
import socket

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.errors import EngineError
from ansible_collections.vnet.linux.plugins.module_utils._netlink import faults
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import entered
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    where,
)

try:
    from pyroute2 import WireGuard
    from pyroute2.netlink.exceptions import NetlinkError
except ImportError:  # the modules report the missing pyroute2 themselves
    WireGuard = None
    NetlinkError = OSError

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as import_error:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = import_error

KEY_BYTES = 32
NO_KEY = base64.b64encode(bytes(KEY_BYTES)).decode('ascii')
PORT_MAX = 65535
U32_MAX = 2 ** 32 - 1
KEY_FILE_MODE = 0o600

# --- input ---------------------------------------------------------------------
# The module's options; the topology's `options` of a wireguard link take the
# same, except that a peer may name a wireguard link of the lab instead of a
# public key, and a preshared key only from a file (a literal in a lab
# description would be logged with the task's arguments).

PEER_OPTIONS = dict(
    public_key=dict(type='str', required=True, no_log=False),
    preshared_key=dict(type='str', no_log=True),
    preshared_key_file=dict(type='path', no_log=False),
    endpoint=dict(type='str'),
    allowed_ips=dict(type='list', elements='str'),
    persistent_keepalive=dict(type='int'),
)

WIREGUARD_OPTIONS = dict(
    private_key_file=dict(type='path', no_log=False),
    generate_key=dict(type='bool', default=False, no_log=False),
    listen_port=dict(type='int'),
    fwmark=dict(type='int'),
    peers=dict(type='list', elements='dict', options=PEER_OPTIONS),
)

LAB_PEER_OPTIONS = dict(
    public_key=dict(type='str', no_log=False),
    peer=dict(type='dict', options=dict(node=dict(type='str'), name=dict(type='str'))),
    preshared_key_file=dict(type='path', no_log=False),
    endpoint=dict(type='str'),
    allowed_ips=dict(type='list', elements='str'),
    persistent_keepalive=dict(type='int'),
)

LAB_OPTIONS = dict(WIREGUARD_OPTIONS,
                   peers=dict(type='list', elements='dict', options=LAB_PEER_OPTIONS))


def check_key(value, field, what='a WireGuard key'):
    """A key in canonical base64 (44 characters for 32 bytes)."""
    text = value.strip() if isinstance(value, str) else value
    try:
        raw = base64.b64decode(text, validate=True) if isinstance(text, str) else b''
    except (binascii.Error, ValueError):
        raw = b''
    if len(raw) != KEY_BYTES:
        raise validate.InputError('%s: not %s (44 characters of base64 for %d bytes, as '
                                  '`wg genkey` and `wg pubkey` write them)'
                                  % (field, what, KEY_BYTES))
    if raw == bytes(KEY_BYTES):
        raise validate.InputError('%s: the all-zero key is not a key' % field)
    return base64.b64encode(raw).decode('ascii')


def parse_endpoint(value, field, resolve=None):
    """'host:port' -> (address, port); an IPv6 address in brackets
    ('[fd00::1]:51820'). A name is resolved on the managed host (the first
    address getaddrinfo gives, as `wg` does): the kernel keeps an address."""
    text = str(value).strip()
    if text.startswith('['):
        host, sep, port = text[1:].partition(']:')
        if not sep:
            raise validate.InputError('%s: %r is not [IPv6 address]:port' % (field, value))
    else:
        host, sep, port = text.rpartition(':')
        if not sep or not host:
            raise validate.InputError('%s: %r is not host:port (an IPv6 address goes in '
                                      'brackets: [2001:db8::1]:51820)' % (field, value))
        if ':' in host:
            raise validate.InputError('%s: %r: write an IPv6 endpoint in brackets, like '
                                      '[%s]:%s' % (field, value, host, port))
    if not port.isdigit() or not 1 <= int(port) <= PORT_MAX:
        raise validate.InputError('%s: %r: the port must be a number in 1..%d'
                                  % (field, value, PORT_MAX))
    if '%' in host:
        raise validate.InputError('%s: %r: scoped (link-local %%dev) endpoints are not '
                                  'supported' % (field, value))
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        address = (resolve or resolve_name)(host, field)
    return address, int(port)


def resolve_name(host, field):
    try:
        found = socket.getaddrinfo(host, None, 0, socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as err:
        raise validate.InputError('%s: %r is not an IP address, and resolving it as a host '
                                  'name failed: %s' % (field, host, err))
    return str(ipaddress.ip_address(found[0][4][0]))


def endpoint_text(address, port):
    return '[%s]:%d' % (address, port) if ':' in address else '%s:%d' % (address, port)


def allowed_ips(values, field):
    """Networks in canonical form, sorted (the kernel keeps no order)."""
    result = []
    for pos, value in enumerate(values):
        where_ = '%s[%d]' % (field, pos)
        try:
            net = ipaddress.ip_network(str(value).strip(), strict=True)
        except ValueError:
            raise validate.InputError('%s: %r is not a network in CIDR form with no host '
                                      'bits set (like 10.0.0.0/24 or 10.0.0.2/32)'
                                      % (where_, value))
        if '/' not in str(value):
            raise validate.InputError('%s: %r has no prefix length (write %s)'
                                      % (where_, value, net.with_prefixlen))
        if net in result:
            raise validate.InputError('%s: %s is listed twice' % (field, net.with_prefixlen))
        result.append(net)
    return tuple(n.with_prefixlen for n in sorted(result, key=lambda n: (n.version, n)))


class WantedPeer(object):
    """One peer as described. key: its public key (None: named by `ref`, a
    (node, name) of a lab's wireguard link, resolved by the planner).
    psk: None leaves the preshared key as it is, '' means none, else
    ('value', key) or ('file', path)."""

    def __init__(self, field, key=None, ref=None, psk=None, endpoint=None, allowed=None,
                 keepalive=None):
        self.field = field
        self.key = key
        self.ref = ref
        self.psk = psk
        self.endpoint = endpoint
        self.allowed = allowed
        self.keepalive = keepalive

    @property
    def name(self):
        """How steps and messages name the peer (never a secret)."""
        if self.ref is not None:
            return '%s/%s' % self.ref
        return short(self.key)

    def view(self, key=None):
        """The peer as results show it (public data only)."""
        out = {'public_key': key or self.key}
        if self.ref is not None:
            out['peer'] = {'node': self.ref[0], 'name': self.ref[1]}
        if self.endpoint is not None:
            out['endpoint'] = endpoint_text(*self.endpoint)
        if self.allowed is not None:
            out['allowed_ips'] = list(self.allowed)
        if self.keepalive is not None:
            out['persistent_keepalive'] = self.keepalive
        if self.psk is not None:
            out['preshared_key_set'] = self.psk != ''
        return out


def short(key):
    """A public key shortened for step texts (like `wg` names peers)."""
    return key[:10] + '...' if key else '?'


class Settings(object):
    """A wireguard link's settings as described (None: left as it is)."""

    def __init__(self, key_file=None, generate=False, listen_port=None, fwmark=None,
                 peers=None):
        self.key_file = key_file
        self.generate = generate
        self.listen_port = listen_port
        self.fwmark = fwmark
        self.peers = peers


def check_settings(params, field_of=lambda name: name, lab=False, resolve=None):
    """Clean Settings from the module's parameters or a lab link's
    `options`; InputError names the field. Unknown keys are refused (a
    misspelt option must not pass as "left as it is")."""
    known = LAB_OPTIONS if lab else WIREGUARD_OPTIONS
    _unknown(params, known, field_of)
    key_file = params.get('private_key_file')
    if key_file is not None:
        if not isinstance(key_file, str) or not key_file.strip():
            raise validate.InputError('%s: give the path of a file on the managed host'
                                      % field_of('private_key_file'))
        if not os.path.isabs(key_file):
            raise validate.InputError('%s: %r is not an absolute path'
                                      % (field_of('private_key_file'), key_file))
    generate = bool(params.get('generate_key'))
    if generate and key_file is None:
        raise validate.InputError('%s: needs private_key_file (where the key is kept)'
                                  % field_of('generate_key'))
    if params.get('listen_port') == 0:
        raise validate.InputError('%s: 0 asks the kernel for a random port, which a re-run '
                                  'would see as a change; leave listen_port out for that'
                                  % field_of('listen_port'))
    validate.int_range(params.get('listen_port'), field_of('listen_port'), 1, PORT_MAX)
    validate.int_range(params.get('fwmark'), field_of('fwmark'), 0, U32_MAX)
    peers = None
    if params.get('peers') is not None:
        peers = [_peer(peer, '%s[%d]' % (field_of('peers'), pos), lab, resolve)
                 for pos, peer in enumerate(params['peers'])]
        _distinct_peers(peers, field_of('peers'))
    return Settings(key_file, generate, params.get('listen_port'), params.get('fwmark'),
                    peers)


def _unknown(params, known, field_of, what='wireguard option'):
    for name in sorted(params or {}):
        if name not in known:
            raise validate.InputError('%s: not a %s; known: %s'
                                      % (field_of(name), what, ', '.join(sorted(known))))


def _peer(params, field, lab, resolve):
    if not isinstance(params, dict):
        raise validate.InputError('%s: %r is not a peer (a dict with public_key, ...)'
                                  % (field, params))
    if lab and params.get('preshared_key') is not None:
        raise validate.InputError('%s.preshared_key: a literal key in a lab description would '
                                  'be logged with the task\'s arguments; put it in a file on '
                                  'the managed host and give preshared_key_file' % field)
    _unknown(params, LAB_PEER_OPTIONS if lab else PEER_OPTIONS,
             lambda name: '%s.%s' % (field, name), 'wireguard peer option')
    key, ref = None, None
    if params.get('public_key') is not None:
        key = check_key(params['public_key'], field + '.public_key', 'a WireGuard public key')
    if lab and params.get('peer') is not None:
        ref = _peer_ref(params['peer'], field + '.peer')
    if (key is None) == (ref is None):
        raise validate.InputError('%s: give public_key%s' % (
            field, ' or peer (a wireguard link of the lab), not both' if lab else ''))
    psk = _psk(params, field)
    endpoint = parse_endpoint(params['endpoint'], field + '.endpoint', resolve) \
        if params.get('endpoint') is not None else None
    allowed = allowed_ips(params['allowed_ips'], field + '.allowed_ips') \
        if params.get('allowed_ips') is not None else None
    keepalive = validate.int_range(params.get('persistent_keepalive'),
                                   field + '.persistent_keepalive', 0, PORT_MAX)
    return WantedPeer(field, key, ref, psk, endpoint, allowed, keepalive)


def _peer_ref(value, field):
    if not isinstance(value, dict) or not value.get('node') or not value.get('name'):
        raise validate.InputError('%s: give node and name of a wireguard link of the lab'
                                  % field)
    return (value['node'], validate.interface_name(value['name'], field + '.name'))


def _psk(params, field):
    literal, path = params.get('preshared_key'), params.get('preshared_key_file')
    if literal is not None and path is not None:
        raise validate.InputError('%s: give preshared_key or preshared_key_file, not both'
                                  % field)
    if literal is not None:
        if literal == '':
            return ''
        return ('value', check_key(literal, field + '.preshared_key', 'a preshared key'))
    if path is not None:
        if path == '':
            return ''
        if not os.path.isabs(path):
            raise validate.InputError('%s.preshared_key_file: %r is not an absolute path'
                                      % (field, path))
        return ('file', path)
    return None


def _distinct_peers(peers, field):
    """A public key once; an allowed IP for one peer only (the kernel moves
    an allowed IP to the last peer given it)."""
    seen_keys, seen_ips = {}, {}
    for peer in peers:
        ident = peer.key or peer.ref
        if ident in seen_keys:
            raise validate.InputError('%s: peer %s is listed twice (at %s)'
                                      % (peer.field, peer.name, seen_keys[ident]))
        seen_keys[ident] = peer.field
        for net in peer.allowed or ():
            if net in seen_ips:
                raise validate.InputError(
                    '%s.allowed_ips: %s is also an allowed IP of %s; the kernel routes a '
                    'network to one peer only' % (peer.field, net, seen_ips[net]))
            seen_ips[net] = peer.field
    return peers


# --- keys on the managed host --------------------------------------------------------

def need_cryptography(field):
    if not HAS_CRYPTOGRAPHY:
        raise EngineError('%s: the Python package cryptography is needed on the managed host '
                          'to derive and generate X25519 keys (%s); ansible-core depends on '
                          'it: install it (pip install cryptography, or python3-cryptography)'
                          % (field, CRYPTOGRAPHY_IMPORT_ERROR))


def public_key_of(private_key):
    """The base64 public key of a base64 private key (X25519, clamped as
    the kernel clamps it)."""
    raw = base64.b64decode(private_key)
    public = X25519PrivateKey.from_private_bytes(raw).public_key()
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)).decode('ascii')


def new_private_key():
    """A fresh private key, clamped as `wg genkey` writes it."""
    raw = bytearray(X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption()))
    raw[0] &= 248
    raw[31] = (raw[31] & 127) | 64
    return base64.b64encode(bytes(raw)).decode('ascii')


def read_key_file(path, field, what='private key'):
    """The key in a file (base64, as `wg genkey` writes it). Messages never
    show the file's content."""
    try:
        with open(path) as handle:
            text = handle.read(256)
    except OSError as err:
        raise EngineError('%s: cannot read %s: %s' % (field, path, err.strerror))
    try:
        return check_key(text, field)
    except validate.InputError:
        raise EngineError('%s: %s does not hold a WireGuard %s (44 characters of base64, '
                          'as `wg genkey` writes; the content is not shown)'
                          % (field, path, what))


class KeyFile(object):
    """A private key file on the managed host, maybe still to be generated."""

    def __init__(self, path, generate, field):
        self.path = path
        self.generate = generate
        self.field = field

    def exists(self):
        return os.path.exists(self.path)

    def check(self):
        """Before anything changes: the key is there (or may be made), and
        cryptography can derive its public key."""
        need_cryptography(self.field)
        if self.exists():
            read_key_file(self.path, self.field)
            return
        if not self.generate:
            raise EngineError('%s: %s does not exist; create it (wg genkey > %s; chmod 600) '
                              'or set generate_key: true' % (self.field, self.path, self.path))
        directory = os.path.dirname(self.path) or '.'
        if not os.path.isdir(directory):
            raise EngineError('%s: cannot generate %s: directory %s does not exist'
                              % (self.field, self.path, directory))

    def public_key(self):
        """None while the file is still to be generated."""
        if not self.exists():
            return None
        return public_key_of(read_key_file(self.path, self.field))

    def private_key(self):
        return read_key_file(self.path, self.field)

    def write_new(self):
        """Generate the key and write it, mode 0600, refusing to replace a
        file that appeared meanwhile."""
        key = new_private_key()
        faults.os_error('generating %s' % self.path)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
        try:
            os.fchmod(fd, KEY_FILE_MODE)
            os.write(fd, (key + '\n').encode('ascii'))
            os.fsync(fd)
        finally:
            os.close(fd)

    def remove(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


# --- the kernel ----------------------------------------------------------------------

def _failure(err, what, netns):
    code = getattr(err, 'code', None) or getattr(err, 'errno', None)
    text = os.strerror(code) if isinstance(code, int) and code > 0 else str(err)
    if code == errno.ENOENT:
        text += ' (no wireguard in this kernel? modprobe wireguard)'
    return NetlinkFailure('%s in %s: %s' % (what, where(netns), text))


def _request(netns, what, call):
    """Run call(socket) on a WireGuard socket opened inside the namespace."""
    if WireGuard is None:
        raise NetlinkFailure('%s: pyroute2 is missing' % what)
    try:
        with entered(netns):
            sock = WireGuard()
    except FileNotFoundError:
        raise NetlinkFailure('%s: %s does not exist' % (what, where(netns)))
    except (NetlinkError, OSError) as err:
        raise _failure(err, what, netns)
    try:
        return call(sock)
    except (NetlinkError, OSError) as err:
        raise _failure(err, what, netns)
    finally:
        sock.close()


def _text(value):
    return value.decode('ascii') if isinstance(value, bytes) else value


def _digest(key):
    """What a reading keeps of a preshared key: enough to compare."""
    return hashlib.sha256(key.encode('ascii')).hexdigest()


def parse(messages, secrets=False):
    """A device's configuration from pyroute2's messages, peers merged by
    public key across messages. Keeps the private key and raw preshared
    keys only with `secrets` (for a step's own undo)."""
    config = {'public_key': None, 'listen_port': 0, 'fwmark': 0, 'peers': {}}
    for msg in messages:
        for name, key in (('listen_port', 'WGDEVICE_A_LISTEN_PORT'),
                          ('fwmark', 'WGDEVICE_A_FWMARK')):
            if msg.get_attr(key) is not None:
                config[name] = msg.get_attr(key)
        if msg.get_attr('WGDEVICE_A_PUBLIC_KEY') is not None:
            config['public_key'] = _text(msg.get_attr('WGDEVICE_A_PUBLIC_KEY'))
        if secrets and msg.get_attr('WGDEVICE_A_PRIVATE_KEY') is not None:
            config['private_key'] = _text(msg.get_attr('WGDEVICE_A_PRIVATE_KEY'))
        for raw in msg.get_attr('WGDEVICE_A_PEERS') or ():
            _merge_peer(config['peers'], raw, secrets)
    for peer in config['peers'].values():
        peer['allowed_ips'] = tuple(sorted(set(peer['allowed_ips']), key=_net_order))
    return config


def _net_order(text):
    net = ipaddress.ip_network(text)
    return (net.version, net)


def _merge_peer(peers, raw, secrets):
    key = _text(raw.get_attr('WGPEER_A_PUBLIC_KEY'))
    peer = peers.get(key)
    if peer is None:
        peer = peers[key] = {'public_key': key, 'endpoint': None, 'allowed_ips': [],
                             'persistent_keepalive': 0, 'preshared_key': None}
        _peer_settings(peer, raw, secrets)
    for allowed in raw.get_attr('WGPEER_A_ALLOWEDIPS') or ():
        if allowed.get('addr'):
            peer['allowed_ips'].append(
                ipaddress.ip_network(allowed['addr'], strict=False).with_prefixlen)


def _peer_settings(peer, raw, secrets):
    """A peer's settings, from its first message: one that continues its
    allowed IPs carries the public key and the allowed IPs only."""
    psk = raw.get_attr('WGPEER_A_PRESHARED_KEY')
    if psk is not None:
        psk = _text(psk)
        peer['preshared_key'] = None if psk == NO_KEY else _digest(psk)
        if secrets:
            peer['psk'] = psk
    keepalive = raw.get_attr('WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL')
    if keepalive is not None:
        peer['persistent_keepalive'] = keepalive
    endpoint = raw.get_attr('WGPEER_A_ENDPOINT')
    if endpoint and endpoint.get('family') in (socket.AF_INET, socket.AF_INET6):
        peer['endpoint'] = (endpoint['addr'], endpoint['port'])


def read_config(netns, name, secrets=False):
    """The device's configuration (None: no such device)."""
    def info(sock):
        try:
            return parse(sock.info(name), secrets)
        except NetlinkError as err:
            if err.code == errno.ENODEV:
                return None
            raise
    return _request(netns, 'reading wireguard %s' % name, info)


def set_device(netns, name, what, **kwargs):
    """One WG_CMD_SET_DEVICE request (pyroute2 sends one peer per request)."""
    fault = faults.injected(what)
    if fault is not None:
        raise NetlinkFailure('%s: %s' % (what, fault))
    _request(netns, what, lambda sock: sock.set(name, **kwargs))


def view(config):
    """A reading as results show it: no private or preshared key, only
    whether a peer has one."""
    if config is None:
        return {}
    peers = []
    for key in sorted(config['peers']):
        peer = config['peers'][key]
        entry = {'public_key': key, 'allowed_ips': list(peer['allowed_ips']),
                 'persistent_keepalive': peer['persistent_keepalive'],
                 'preshared_key_set': peer['preshared_key'] is not None}
        if peer['endpoint'] is not None:
            entry['endpoint'] = endpoint_text(*peer['endpoint'])
        peers.append(entry)
    return {'public_key': config['public_key'], 'listen_port': config['listen_port'],
            'fwmark': config['fwmark'], 'peers': peers}


# --- planning --------------------------------------------------------------------------

class Target(object):
    """One wireguard device to configure: where it is, what is wanted, and
    how peers named by reference get their keys.

    key_of(peer) -> the peer's public key now (None: it is generated by this
    run); at apply time the steps ask again and the key must be there.
    """

    def __init__(self, netns, name, label, settings, key_file=None, key_of=None):
        self.netns = netns
        self.name = name
        self.label = label
        self.settings = settings
        self.key_file = key_file
        self.key_of = key_of or (lambda peer: peer.key)

    def key_now(self, peer):
        key = self.key_of(peer)
        if key is None:
            raise EngineError('%s: the public key of peer %s is still unknown (its key file '
                              'was not generated)' % (peer.field, peer.name))
        return key


def plan_key_generation(add, key_file, label, when_done=None):
    """The step that generates a missing key file (check mode writes
    nothing: it only plans this step)."""
    if key_file is None or not key_file.generate or key_file.exists():
        return False
    add('generate private key file %s (mode 0600) for %s' % (key_file.path, label),
        key_file.write_new, key_file.remove)
    return True


def plan_config(add, target, now):
    """Steps that bring the device from `now` (a reading; {} for a device
    this run creates) to what `target` wants, through add(text, do, undo).
    Returns field -> (before, after) of what changes, for reports."""
    now = now or {'public_key': None, 'listen_port': 0, 'fwmark': 0, 'peers': {}}
    settings, label = target.settings, target.label
    changes = {}
    if target.key_file is not None:
        public = target.key_file.public_key()
        _refuse_own_key(target, public)
        if public is None or public != now['public_key']:
            changes['public_key'] = (now['public_key'], public)
            add('set private key of %s from %s' % (label, target.key_file.path),
                *_private_key_steps(target))
    device = dict((name, value) for name, value in (('listen_port', settings.listen_port),
                                                    ('fwmark', settings.fwmark))
                  if value is not None and value != now[name])
    if device:
        old = dict((name, now[name]) for name in device)
        changes.update((name, (now[name], device[name])) for name in device)
        what = 'setting %s on %s' % (_describe(device), label)
        add('set %s on %s' % (_describe(device), label),
            lambda: set_device(target.netns, target.name, what, **device),
            lambda: set_device(target.netns, target.name, 'undoing ' + what, **old))
    if settings.peers is not None:
        _plan_peers(add, target, now['peers'], changes)
    return changes


def _refuse_own_key(target, public):
    for peer in target.settings.peers or ():
        if public is not None and target.key_of(peer) == public:
            raise validate.InputError('%s: peer %s has the public key of %s itself; the kernel '
                                      'would drop it silently' % (peer.field, peer.name,
                                                                  target.label))


def _private_key_steps(target):
    stash = {}
    what = 'setting the private key of %s' % target.label

    def do():
        old = read_config(target.netns, target.name, secrets=True) or {}
        stash['key'] = old.get('private_key') or NO_KEY
        set_device(target.netns, target.name, what, private_key=target.key_file.private_key())

    def undo():
        if 'key' in stash:
            set_device(target.netns, target.name, 'undoing ' + what, private_key=stash['key'])
    return do, undo


def _plan_peers(add, target, have, changes):
    """Removals, then changes, then additions."""
    wanted = {}
    unknown = []
    for peer in target.settings.peers:
        key = target.key_of(peer)
        if key is None:
            unknown.append(peer)
        else:
            wanted[key] = peer
    for key in sorted(have):
        if key not in wanted:
            changes['peers.%s' % short(key)] = ('present', 'absent')
            _remove_peer(add, target, key)
    for key, peer in wanted.items():
        if key in have:
            fields = peer_differences(peer, have[key])
            if fields:
                changes['peers.%s' % peer.name] = (
                    dict((f, _shown(have[key], f)) for f in fields), sorted(fields))
                _change_peer(add, target, peer, have[key], fields)
    for peer in [p for p in target.settings.peers if target.key_of(p) not in have]:
        changes['peers.%s' % peer.name] = ('absent', 'present')
        _add_peer(add, target, peer)
    return unknown


def _shown(peer, field):
    if field == 'preshared_key':
        return peer['preshared_key'] is not None
    if field == 'endpoint':
        return endpoint_text(*peer['endpoint']) if peer['endpoint'] else None
    value = peer[field]
    return list(value) if isinstance(value, tuple) else value


def peer_psk(peer):
    """The preshared key a peer is given (base64; NO_KEY for none)."""
    if peer.psk == '':
        return NO_KEY
    kind, value = peer.psk
    return value if kind == 'value' else read_key_file(value, peer.field +
                                                       '.preshared_key_file',
                                                       'preshared key')


def peer_differences(peer, have):
    """Names of the described fields the kernel's peer lacks."""
    fields = []
    if peer.endpoint is not None and tuple(have['endpoint'] or ()) != tuple(peer.endpoint):
        fields.append('endpoint')
    if peer.allowed is not None and tuple(have['allowed_ips']) != tuple(peer.allowed):
        fields.append('allowed_ips')
    if peer.keepalive is not None and have['persistent_keepalive'] != peer.keepalive:
        fields.append('persistent_keepalive')
    if peer.psk is not None:
        want = None if peer.psk == '' else _digest(peer_psk(peer))
        if want != have['preshared_key']:
            fields.append('preshared_key')
    return fields


def _request_of(peer, key, fields, psk=None):
    """pyroute2's peer dict for the given fields of a described peer."""
    request = {'public_key': key}
    if 'endpoint' in fields:
        request['endpoint_addr'], request['endpoint_port'] = peer.endpoint
    if 'allowed_ips' in fields:
        request['allowed_ips'] = list(peer.allowed)
        request['replace_allowed_ips'] = True
    if 'persistent_keepalive' in fields:
        request['persistent_keepalive'] = peer.keepalive
    if 'preshared_key' in fields:
        request['preshared_key'] = psk if psk is not None else peer_psk(peer)
    return request


def _restore_request(old):
    """The kernel's old peer, whole (its raw preshared key read by the step)."""
    request = {'public_key': old['public_key'], 'allowed_ips': list(old['allowed_ips']),
               'replace_allowed_ips': True,
               'persistent_keepalive': old['persistent_keepalive'],
               'preshared_key': old.get('psk') or NO_KEY}
    if old['endpoint']:
        request['endpoint_addr'], request['endpoint_port'] = old['endpoint']
    return request


def _raw_peer(target, key):
    config = read_config(target.netns, target.name, secrets=True) or {'peers': {}}
    return config['peers'].get(key)


def _describe(values):
    return ', '.join('%s=%s' % (k, v) for k, v in sorted(values.items()))


def _peer_text(peer, fields):
    parts = []
    if 'endpoint' in fields:
        parts.append('endpoint %s' % endpoint_text(*peer.endpoint))
    if 'allowed_ips' in fields:
        parts.append('allowed ips %s' % (', '.join(peer.allowed) or 'none'))
    if 'persistent_keepalive' in fields:
        parts.append('keepalive %d s' % peer.keepalive)
    if 'preshared_key' in fields:
        parts.append('no preshared key' if peer.psk == '' else 'preshared key')
    return ', '.join(parts)


def _remove_peer(add, target, key):
    what = 'removing peer %s from %s' % (short(key), target.label)
    stash = {}

    def do():
        stash['old'] = _raw_peer(target, key)
        set_device(target.netns, target.name, what, peer={'public_key': key, 'remove': True})

    def undo():
        if stash.get('old'):
            set_device(target.netns, target.name, 'undoing ' + what,
                       peer=_restore_request(stash['old']))
    add('remove peer %s from %s' % (short(key), target.label), do, undo)


def _change_peer(add, target, peer, have, fields):
    what = 'changing peer %s of %s' % (peer.name, target.label)
    stash = {}

    def do():
        key = target.key_now(peer)
        stash['old'] = _raw_peer(target, key)
        set_device(target.netns, target.name, what, peer=_request_of(peer, key, fields))

    def undo():
        # removed and added back whole: an endpoint cannot be cleared in place
        old = stash.get('old')
        if old:
            set_device(target.netns, target.name, 'undoing ' + what,
                       peer={'public_key': old['public_key'], 'remove': True})
            set_device(target.netns, target.name, 'undoing ' + what,
                       peer=_restore_request(old))
    add('change peer %s of %s: %s' % (peer.name, target.label, _peer_text(peer, fields)),
        do, undo)


def _add_peer(add, target, peer):
    what = 'adding peer %s to %s' % (peer.name, target.label)
    fields = [f for f, value in (('endpoint', peer.endpoint), ('allowed_ips', peer.allowed),
                                 ('persistent_keepalive', peer.keepalive),
                                 ('preshared_key', peer.psk if peer.psk else None))
              if value is not None]
    added = {}

    def do():
        added['key'] = target.key_now(peer)
        set_device(target.netns, target.name, what, peer=_request_of(peer, added['key'],
                                                                     fields))

    def undo():
        if 'key' in added:
            set_device(target.netns, target.name, 'undoing ' + what,
                       peer={'public_key': added['key'], 'remove': True})
    text = 'add peer %s to %s' % (peer.name, target.label)
    if fields:
        text += ' (%s)' % _peer_text(peer, fields)
    add(text, do, undo)


def config_check(target):
    """After apply: a re-read plans nothing more (the same comparison)."""
    def check():
        now = read_config(target.netns, target.name)
        if now is None:
            return ['%s is missing after apply' % target.label]
        steps = []
        plan_config(lambda text, do, undo=None: steps.append(text), target, now)
        return ['%s: still to do: %s' % (target.label, text) for text in steps]
    return check


def predicted_view(target, current):
    """The view (as view() gives it; {} for a new device) a real run would
    leave: check mode's result, diff's after."""
    result = dict(current) if current else {'public_key': None, 'listen_port': 0, 'fwmark': 0,
                                            'peers': []}
    settings = target.settings
    if target.key_file is not None:
        result['public_key'] = target.key_file.public_key()
    for name in ('listen_port', 'fwmark'):
        if getattr(settings, name) is not None:
            result[name] = getattr(settings, name)
    if settings.peers is not None:
        old = dict((p['public_key'], p) for p in result['peers'])
        peers = []
        for peer in settings.peers:
            key = target.key_of(peer)
            entry = dict(old.get(key) or {'public_key': key, 'allowed_ips': [],
                                          'persistent_keepalive': 0,
                                          'preshared_key_set': False})
            shown = peer.view(key)
            shown.pop('peer', None)
            entry.update(shown)
            peers.append(entry)
        result['peers'] = sorted(peers, key=lambda p: p['public_key'] or '')
    return result


def described(config_view, key_names=None):
    """A reading's view as a lab describes it (topology_info): settings and
    peers, never a key file (the kernel does not know where its key came
    from: left out, the key stays as it is) nor a preshared key (a secret:
    left out, it stays as it is). key_names maps public keys of the lab's
    wireguard links to (node, name): such peers are named by reference."""
    if not config_view:
        return {}
    out = {'listen_port': config_view['listen_port']} if config_view['listen_port'] else {}
    if config_view['fwmark']:
        out['fwmark'] = config_view['fwmark']
    peers = []
    for peer in config_view['peers']:
        ref = (key_names or {}).get(peer['public_key'])
        entry = {'peer': {'node': ref[0], 'name': ref[1]}} if ref else \
            {'public_key': peer['public_key']}
        entry['allowed_ips'] = list(peer['allowed_ips'])
        entry['persistent_keepalive'] = peer['persistent_keepalive']
        if peer.get('endpoint'):
            entry['endpoint'] = peer['endpoint']
        peers.append(entry)
    out['peers'] = peers
    return out
