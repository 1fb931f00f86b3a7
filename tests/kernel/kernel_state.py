"""A comparable snapshot of what the collection manages in some namespaces.

Read with iproute2 (`ip -j -d`), an independent witness of the kernel, plus
the files the collection keeps beside it (tap device nodes, teamd
configurations). Two snapshots compare equal when the namespaces hold the
same links with the same kind, attributes, kind and port options, masters,
peers or parents, addresses, bridge port VLANs, static forwarding entries
(a vxlan's) and device nodes. What the kernel changes by
itself is left out: ifindexes (a re-created link gets a new one), carrier
and operstate, counters, STP timers and port states, IPv6 link-local
addresses, lo's own loopback addresses, and a bridge port's number.

    before = snapshot(['ns1', 'ns2'])
    ... a run that failed ...
    assert snapshot(['ns1', 'ns2']) == before
"""

import json
import os
import stat
import subprocess

from pyroute2 import netns as pyroute2_netns

TAP_ROOT = '/run/vnet-linux/tap/netns'
TEAMD_ROOT = '/run/vnet-linux/teamd/netns'

# kind and port options the kernel changes on its own
_VOLATILE = ('_timer', 'state', 'port_no', 'port_id', 'designated_', 'topology_change',
             'root_port', 'root_path_cost', 'config_pending', 'mii_status',
             'link_failure_count', 'ad_info', 'ad_aggregator_id',
             'ad_actor_oper_port_state', 'ad_partner_oper_port_state', 'active_slave',
             'perm_hwaddr')


def _stable(data):
    return dict((key, value) for key, value in (data or {}).items()
                if not any(part in key for part in _VOLATILE))


def _ip(netns, *args):
    out = subprocess.check_output(['ip', '-j', '-d', '-n', netns] + list(args))
    return json.loads(out or b'[]')


# the kernel gives lo these when it first comes up, and keeps 127.0.0.1/8
# when lo goes down again: they are the kernel's, not a run's
LOOPBACK_OWN = ('127.0.0.1/8', '::1/128')


def _addresses(link):
    result = []
    for addr in link.get('addr_info', []):
        if addr.get('family') == 'inet6' and addr['local'].lower().startswith('fe80:'):
            continue
        if link['ifname'] == 'lo' and '%s/%d' % (addr['local'], addr['prefixlen']) \
                in LOOPBACK_OWN:
            continue
        result.append('%s/%d' % (addr['local'], addr['prefixlen']))
    return sorted(result)


def _other_end(link, netns, raw, nsid_names):
    """(namespace, name) of a veth's peer or a stacked link's parent."""
    if 'link' in link and link['link']:
        return (netns, link['link'])
    if 'link_index' not in link:
        return None
    other_ns = nsid_names.get(link.get('link_netnsid'), netns) \
        if 'link_netnsid' in link else netns
    for candidate in raw.get(other_ns, []):
        if candidate['ifindex'] == link['link_index']:
            return (other_ns, candidate['ifname'])
    return (other_ns, 'ifindex %d' % link['link_index'])


def _link_view(link, netns, raw, nsid_names):
    info = link.get('linkinfo', {})
    view = {
        'kind': info.get('info_kind'),
        'admin_state': 'up' if 'UP' in link.get('flags', []) else 'down',
        'mtu': link.get('mtu'),
        'mac_address': link.get('address'),
        'txqueuelen': link.get('txqlen'),
        'alias': link.get('ifalias', ''),
        'master': link.get('master', ''),
        'addresses': _addresses(link),
        'options': _stable(info.get('info_data')),
        'port_kind': info.get('info_slave_kind'),
        'port_options': _stable(info.get('info_slave_data')),
    }
    if view['kind'] in ('veth', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'vlan'):
        view['other_end'] = _other_end(link, netns, raw, nsid_names)
    return view


def _port_vlans(netns):
    """ifname -> the VLANs of a bridge port ({} where the kernel has none)."""
    out = subprocess.run(['bridge', '-j', '-n', netns, 'vlan', 'show'], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=False)
    if out.returncode != 0 or not out.stdout.strip():
        return {}
    return dict((entry['ifname'], sorted((vlan['vlan'], vlan.get('vlanEnd'),
                                          tuple(sorted(vlan.get('flags', []))))
                                         for vlan in entry.get('vlans', [])))
                for entry in json.loads(out.stdout))


def _static_fdb(netns):
    """ifname -> the static entries of a device's own forwarding database
    (a vxlan's: `bridge fdb ... self permanent`)."""
    out = subprocess.run(['bridge', '-j', '-n', netns, 'fdb', 'show'], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=False)
    found = {}
    if out.returncode != 0 or not out.stdout.strip():
        return found
    for entry in json.loads(out.stdout):
        if 'self' in entry.get('flags', []) and entry.get('state') == 'permanent' and \
                entry.get('dst'):
            found.setdefault(entry['ifname'], []).append(
                (entry['mac'], entry['dst'], entry.get('port'), entry.get('vni')))
    return dict((name, sorted(entries, key=repr)) for name, entries in found.items())


def _device_nodes(netns):
    """Tap device nodes the collection keeps for links in this namespace,
    and whether each still points at its link's device."""
    from ansible_collections.vnet.linux.plugins.module_utils._netlink import tapdev
    folder = os.path.join(TAP_ROOT, netns)
    nodes = {}
    if not os.path.isdir(folder):
        return nodes
    for name in sorted(os.listdir(folder)):
        info = os.lstat(os.path.join(folder, name))
        current = None
        for kind in ('macvtap', 'ipvtap'):
            try:
                current = current or tapdev.device_number(netns, name, kind)
            except OSError:
                pass
        rdev = (os.major(info.st_rdev), os.minor(info.st_rdev))
        nodes[name] = {'uid': info.st_uid, 'gid': info.st_gid,
                       'mode': '%04o' % stat.S_IMODE(info.st_mode),
                       'char_device': stat.S_ISCHR(info.st_mode),
                       'matches_link': current == rdev}
    return nodes


def _teamd_files(netns):
    """The teamd configurations the collection keeps for this namespace."""
    folder = os.path.join(TEAMD_ROOT, netns)
    found = {}
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.endswith('.conf'):
                with open(path) as handle:
                    found[name] = json.load(handle)
            else:
                found[name] = 'present'
    return found


def _sysctls(netns, keys):
    values = {}
    for key in keys:
        out = subprocess.run(['ip', 'netns', 'exec', netns, 'sysctl', '-n', key],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        values[key] = out.stdout.decode().strip() if out.returncode == 0 else None
    return values


def snapshot(netns_names, sysctls=()):
    """{netns: None (absent) or {'links': {...}, 'device_nodes', 'teamd',
    'sysctls'}} for the given namespace names."""
    present = set(pyroute2_netns.listnetns())
    raw, nsid_names = {}, {}
    for netns in netns_names:
        if netns in present:
            raw[netns] = _ip(netns, 'addr', 'show')
            nsid_names[netns] = dict((entry['nsid'], entry.get('name'))
                                     for entry in _ip(netns, 'netns', 'list-id'))
    state = {}
    for netns in netns_names:
        if netns not in raw:
            state[netns] = None
            continue
        links = dict((link['ifname'], _link_view(link, netns, raw, nsid_names[netns]))
                     for link in raw[netns])
        for name, vlans in _port_vlans(netns).items():
            if name in links:
                links[name]['vlans'] = vlans
        for name, entries in _static_fdb(netns).items():
            if name in links:
                links[name]['fdb'] = entries
        state[netns] = {
            'links': links,
            'device_nodes': _device_nodes(netns),
            'teamd': _teamd_files(netns),
            'sysctls': _sysctls(netns, sysctls),
        }
    return state


def differences(before, after):
    """Readable lines naming what differs between two snapshots."""
    lines = []
    for netns in sorted(set(before) | set(after)):
        old, new = before.get(netns), after.get(netns)
        if old == new:
            continue
        if old is None or new is None:
            lines.append('%s: %s -> %s' % (netns, 'absent' if old is None else 'present',
                                           'absent' if new is None else 'present'))
            continue
        for section in ('device_nodes', 'teamd', 'sysctls'):
            if old[section] != new[section]:
                lines.append('%s %s: %s -> %s' % (netns, section, old[section], new[section]))
        for name in sorted(set(old['links']) | set(new['links'])):
            was, now = old['links'].get(name), new['links'].get(name)
            if was == now:
                continue
            if was is None or now is None:
                lines.append('%s %s: %s' % (netns, name, 'appeared' if was is None else 'gone'))
                continue
            for field in sorted(set(was) | set(now)):
                old_value, new_value = was.get(field), now.get(field)
                if isinstance(old_value, dict) and isinstance(new_value, dict):
                    keys = [key for key in sorted(set(old_value) | set(new_value))
                            if old_value.get(key) != new_value.get(key)]
                    old_value = dict((key, old_value.get(key)) for key in keys)
                    new_value = dict((key, new_value.get(key)) for key in keys)
                if old_value != new_value:
                    lines.append('%s %s %s: %r -> %r' % (netns, name, field, old_value,
                                                         new_value))
    return lines
