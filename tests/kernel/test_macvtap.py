"""vnet.linux.macvtap on the machine's kernel, in throwaway namespaces.

Besides the link, the module keeps a character device node per link (see
module_utils/_netlink/tapdev.py); its device number is checked against what the
kernel shows in sysfs inside the link's namespace (read with `ip netns exec`,
which mounts that namespace's sysfs: an independent witness).
"""

import os
import shutil
import stat
import subprocess

import pytest

from conftest import PREFIX, ip, run_module

MODES = ['private', 'vepa', 'bridge', 'passthru', 'source']


@pytest.fixture(autouse=True)
def no_stale_tap_nodes():
    """The fixture that deletes a test's namespaces does not know about the
    tap nodes the module keeps for links inside them (the module removes a
    node only with state=absent): drop the node directories of namespaces
    this test run made that no longer exist."""
    yield
    root = '/run/vnet-linux/tap/netns'
    if os.path.isdir(root):
        for netns in os.listdir(root):
            if netns.startswith(PREFIX) and not os.path.exists(os.path.join('/run/netns', netns)):
                shutil.rmtree(os.path.join(root, netns), ignore_errors=True)


def parent_in(netns, name='par'):
    result = run_module('veth', {'name': name, 'netns': netns, 'admin_state': 'up',
                                 'peer': {'name': name + 'x', 'netns': netns,
                                          'admin_state': 'up'}})
    assert not result.get('failed'), result


def node_path(netns, name):
    return '/run/vnet-linux/tap/netns/%s/%s' % (netns, name)


def sysfs_number(netns, name):
    """major:minor of the link's tap device, as the namespace's sysfs says."""
    out = subprocess.check_output(
        ['ip', 'netns', 'exec', netns, 'sh', '-c',
         'cat /sys/class/net/%s/macvtap/tap*/dev' % name])
    return out.decode().strip()


def node(path):
    info = os.stat(path)
    assert stat.S_ISCHR(info.st_mode)
    return ('%d:%d' % (os.major(info.st_rdev), os.minor(info.st_rdev)),
            info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode))


def exactly(args):
    predicted = run_module('macvtap', args, check=True)
    assert not predicted.get('failed'), predicted
    made = run_module('macvtap', args)
    assert not made.get('failed'), made
    assert made['actions'] == predicted['actions']
    again = run_module('macvtap', args)
    assert again['changed'] is False and again['actions'] == []
    return made


@pytest.mark.parametrize('mode', MODES)
def test_every_mode_with_its_device_node(namespaces, mode):
    host, node_ns = namespaces(2)
    parent_in(host)
    args = {'name': 'mvt0', 'netns': node_ns, 'link': 'par', 'link_netns': host,
            'mode': mode}
    made = exactly(args)
    assert ip(node_ns, 'link', 'show', 'mvt0')[0]['linkinfo']['info_data']['mode'] == mode
    path = node_path(node_ns, 'mvt0')
    assert node(path) == (sysfs_number(node_ns, 'mvt0'), 0, 0, 0o600)
    assert made['device'] == {'path': path, 'owner': 0, 'group': 0, 'mode': '0600',
                              'device': sysfs_number(node_ns, 'mvt0')}


def test_device_owner_group_mode_applied_changed_and_idempotent(namespaces):
    host, node_ns = namespaces(2)
    parent_in(host)
    args = {'name': 'mvt0', 'netns': node_ns, 'link': 'par', 'link_netns': host,
            'mode': 'bridge', 'bcqueuelen': 123, 'device_owner': 'nobody',
            'device_group': '12', 'device_mode': '0660', 'admin_state': 'up',
            'addresses': ['10.63.0.1/24']}
    made = exactly(args)
    path = node_path(node_ns, 'mvt0')
    assert node(path) == (sysfs_number(node_ns, 'mvt0'), 65534, 12, 0o660)
    assert made['actions'][-1] == ("create device node %s for macvtap mvt0 in namespace '%s' "
                                   "(owner 65534, group 12, mode 0660)" % (path, node_ns))
    assert ip(node_ns, 'link', 'show', 'mvt0')[0]['linkinfo']['info_data']['bcqueuelen'] == 123

    changed = dict(args, device_owner='0', device_mode='640')
    predicted = run_module('macvtap', changed, check=True)
    result = run_module('macvtap', changed)
    assert result['actions'] == predicted['actions'] == \
        ['set owner 0, group 12, mode 0640 on device node %s' % path]
    assert node(path)[1:] == (0, 12, 0o640)
    assert run_module('macvtap', changed)['changed'] is False
    # omitted settings keep the node as it is
    assert run_module('macvtap', dict(changed, device_owner=None, device_group=None,
                                      device_mode=None))['changed'] is False


def test_same_ifindex_in_two_namespaces_gets_two_nodes(namespaces):
    """/dev/tap<ifindex> would clash: both links get ifindex 4 here."""
    one, two = namespaces(2)
    numbers = []
    for netns in (one, two):
        parent_in(netns)
        exactly({'name': 'mvt', 'netns': netns, 'link': 'par', 'mode': 'bridge'})
        assert ip(netns, 'link', 'show', 'mvt')[0]['ifindex'] == \
            ip(one, 'link', 'show', 'mvt')[0]['ifindex']
        numbers.append(sysfs_number(netns, 'mvt'))
    assert numbers[0] != numbers[1]
    assert node(node_path(one, 'mvt'))[0] == numbers[0]
    assert node(node_path(two, 'mvt'))[0] == numbers[1]


def test_recreate_replaces_the_node_and_absent_removes_it(namespaces):
    host, node_ns = namespaces(2)
    parent_in(host, 'par')
    parent_in(host, 'other')
    args = {'name': 'mvt0', 'netns': node_ns, 'link': 'par', 'link_netns': host,
            'device_mode': '0666'}
    exactly(args)
    path = node_path(node_ns, 'mvt0')
    old = node(path)[0]
    moved = dict(args, link='other')
    predicted = run_module('macvtap', moved, check=True)
    result = run_module('macvtap', moved)
    assert result['actions'] == predicted['actions']
    assert result['actions'][-1].startswith('replace device node %s' % path)
    # the kernel may hand the new link the freed minor again: what matters
    # is that the node matches the new link
    assert node(path) == (sysfs_number(node_ns, 'mvt0'), 0, 0, 0o666)
    assert old
    gone = {'name': 'mvt0', 'netns': node_ns, 'state': 'absent'}
    predicted = run_module('macvtap', gone, check=True)
    result = run_module('macvtap', gone)
    assert result['actions'] == predicted['actions'] == [
        "delete macvtap mvt0 in namespace '%s'" % node_ns, 'remove device node %s' % path]
    assert not os.path.exists(path)
    assert run_module('macvtap', gone)['changed'] is False


def test_a_stale_node_is_replaced(namespaces):
    node_ns, = namespaces(1)
    parent_in(node_ns)
    args = {'name': 'mvt0', 'netns': node_ns, 'link': 'par'}
    exactly(args)
    path = node_path(node_ns, 'mvt0')
    os.unlink(path)
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's number
    result = run_module('macvtap', args)
    assert result['actions'] == ["replace device node %s for macvtap mvt0 in namespace '%s' "
                                 "(owner 0, group 0, mode 0600)" % (path, node_ns)]
    assert node(path)[0] == sysfs_number(node_ns, 'mvt0')


@pytest.mark.parametrize('extra, message', [
    ({'device_owner': 'no-such-user-here'}, "device_owner: no user named 'no-such-user-here'"),
    ({'device_group': 'no-such-group-here'}, "device_group: no group named"),
    ({'device_mode': 'rw-rw----'}, 'not an octal file mode'),
    ({'device_mode': '17777'}, 'out of range'),
    ({'mode': 'private', 'source_macs': []}, 'only used in mode source'),
])
def test_input_errors_change_nothing(namespaces, extra, message):
    node_ns, = namespaces(1)
    parent_in(node_ns)
    result = run_module('macvtap', dict({'name': 'mvt0', 'netns': node_ns, 'link': 'par'},
                                        **extra))
    assert result['failed'] and message in result['msg'], result['msg']
    assert 'mvt0' not in [link['ifname'] for link in ip(node_ns, 'link', 'show')]
    assert not os.path.exists(node_path(node_ns, 'mvt0'))


def test_a_failed_recreate_brings_the_old_link_and_its_node_back(namespaces):
    """issue 9: a switch to passthru deletes the old macvtap first; when a
    later step fails the undo builds it again, with a device node of the old
    owner, group and mode for the new device number."""
    host, node_ns = namespaces(2)
    parent_in(host)
    args = {'name': 'mvt0', 'netns': node_ns, 'link': 'par', 'link_netns': host,
            'mode': 'bridge', 'device_group': '12', 'device_mode': '0640', 'admin_state': 'up'}
    exactly(args)
    result = run_module('macvtap', dict(args, mode='passthru', master='nobridge'))
    assert result['failed'] and "link 'nobridge' is missing" in result['msg'], result['msg']
    link = ip(node_ns, 'link', 'show', 'mvt0')[0]
    assert link['linkinfo']['info_data']['mode'] == 'bridge' and 'UP' in link['flags']
    assert node(node_path(node_ns, 'mvt0')) == (sysfs_number(node_ns, 'mvt0'), 0, 12, 0o640)
    assert run_module('macvtap', args)['changed'] is False


# --- topology macvtaps get the same device node -----------------------------

def tap_lab(lab, **device):
    host, one = lab.n('h'), lab.n('a')
    return dict(
        nodes=[{'name': host}, {'name': one}],
        links=[{'endpoints': [{'node': host, 'name': 'e0'}, {'node': one, 'name': 'e1'}]},
               dict({'kind': 'macvtap', 'node': one, 'name': 'mvt0', 'parent': 'e0',
                     'parent_node': host, 'mode': 'bridge'}, **device)])


def test_topology_macvtap_device_node(lab):
    one = lab.n('a')
    path = node_path(one, 'mvt0')
    made = lab.run(**tap_lab(lab, device_group='12', device_mode='0660'))
    assert not made.get('failed'), made.get('msg')
    assert "create device node %s for macvtap mvt0 in node %s (owner 0, group 12, mode 0660)" \
        % (path, one) in made['actions']
    assert node(path) == (sysfs_number(one, 'mvt0'), 0, 12, 0o660)
    assert lab.run(**tap_lab(lab, device_group='12', device_mode='0660'))['changed'] is False

    changed = tap_lab(lab, device_group='12', device_mode='0640')
    predicted = lab.run(check=True, **changed)
    result = lab.run(**changed)
    assert result['actions'] == predicted['actions'] == [
        'set owner 0, group 12, mode 0640 on device node %s' % path]
    assert result['diff']['before'] != result['diff']['after']
    assert node(path)[1:] == (0, 12, 0o640)

    facts = run_module('topology_info', {'lab': lab.name})
    assert 'links' in facts, facts
    tap = [link for link in facts['links'] if link.get('name') == 'mvt0'][0]
    assert (tap['device_owner'], tap['device_group'], tap['device_mode']) == ('0', '12', '0640')
    again = lab.run(nodes=facts['nodes'], links=facts['links'])
    assert again['changed'] is False, again['actions']

    # another parent re-creates the link: the node follows the new device
    moved = tap_lab(lab, device_group='12', device_mode='0640')
    moved['links'][1]['parent'], moved['links'][1]['parent_node'] = 'e1', one
    result = lab.run(**moved)
    assert not result.get('failed'), result.get('msg')
    assert node(path) == (sysfs_number(one, 'mvt0'), 0, 12, 0o640)

    # pruned, the node goes with its link; the lab's removal takes the rest
    pruned = tap_lab(lab)
    pruned['links'] = pruned['links'][:1]
    result = lab.run(prune=True, **pruned)
    assert 'remove device node %s' % path in result['actions']
    assert not os.path.exists(path)
    assert lab.run(**tap_lab(lab))['changed']
    assert os.path.exists(path)
    run_module('topology', {'lab': lab.name, 'state': 'absent'})
    assert not os.path.exists(os.path.dirname(path))


def test_topology_device_options_are_checked(lab):
    refused = lab.run(**tap_lab(lab, device_owner='no-such-user-here'))
    assert refused['failed'] and refused['msg'] == \
        "links[1].device_owner: no user named 'no-such-user-here' on this host"
    description = tap_lab(lab)
    description['links'][1]['kind'] = 'macvlan'
    description['links'][1]['device_mode'] = '0600'
    refused = lab.run(**description)
    assert refused['failed'] and 'only a macvtap or ipvtap has a device node' in refused['msg']
    assert lab.namespaces() == []
