"""Issue 9, "Input": wrong types are refused (not converted) and namespaces
are named as `ip netns` names them (up to 255 bytes), on the real kernel.

Long namespace names here look like a container runtime's (cni-<uuid>,
40 bytes): this run's PREFIX, a dash and a uuid4. Every namespace a test
makes is removed afterwards, also when the test fails.
"""

import os
import shutil
import uuid

import pytest

from pyroute2 import IPRoute
from pyroute2 import netns as pyroute2_netns

from conftest import PREFIX, ip, remove_namespace, run_module, unique_name


def long_name():
    name = '%s-%s' % (PREFIX, uuid.uuid4())
    assert len(name.encode()) > 15
    return name


@pytest.fixture
def long_names():
    """Factory of long namespace names; whatever exists of them at the end
    (made by the test or by a module it ran) is removed."""
    made = []

    def make(count=1):
        names = [long_name() for _index in range(count)]
        made.extend(names)
        return names
    yield make
    existing = pyroute2_netns.listnetns()
    for name in made:
        if name in existing:
            remove_namespace(name)


def links(netns):
    return sorted(link['ifname'] for link in ip(netns, 'link', 'show'))


# --- wrong types -------------------------------------------------------------

def test_a_list_for_a_name_is_refused_not_turned_into_a_name():
    """Before: ['x'] became the text "['x']", a valid-looking namespace name,
    and the netns module created a namespace of that name."""
    name = unique_name('L')
    coerced = str([name])
    try:
        result = run_module('netns', {'name': [name]})
        assert result.get('failed') is True, result
        assert result['msg'] == "name: must be a string, not a list ['%s']" % name
        assert coerced not in pyroute2_netns.listnetns()
    finally:
        if coerced in pyroute2_netns.listnetns():
            remove_namespace(coerced)


def test_a_list_for_a_peer_name_changes_nothing(namespaces):
    a, b = namespaces(2)
    result = run_module('veth', {'name': 'va', 'netns': a,
                                 'peer': {'name': ['vb', 'vc'], 'netns': b}})
    assert result['failed'] and result['msg'].startswith(
        "peer.name: must be a string, not a list ['vb', 'vc']"), result['msg']
    assert links(a) == ['lo'] and links(b) == ['lo']


def test_a_topology_port_of_the_wrong_type_is_named_by_its_path(namespaces):
    node, = namespaces(1, create=False)
    result = run_module('topology', {
        'lab': 'strict-' + node, 'nodes': [{'name': node}],
        'links': [{'endpoints': [{'node': node, 'name': 'a0'}, {'node': node, 'name': 'a1'}]},
                  {'kind': 'bond', 'node': node, 'name': 'bond0', 'ports': ['a0', ['a1']]}]})
    # a bond's ports may be names or dicts (with port settings), never lists
    assert result['failed'] and result['msg'].startswith("links[1].ports[1]: "), result['msg']
    assert "['a1'] is not an interface name" in result['msg']
    assert node not in pyroute2_netns.listnetns()


def test_an_unquoted_octal_mode_is_refused_and_nothing_is_made(namespaces):
    """YAML reads `device_mode: 0660` as the number 432. Before, it was turned
    into the text '432' and the device node got the mode 0432."""
    netns, = namespaces(1)
    parent = run_module('veth', {'name': 'par', 'netns': netns, 'admin_state': 'up',
                                 'peer': {'name': 'parx', 'netns': netns}})
    assert not parent.get('failed'), parent
    try:
        result = run_module('macvtap', {'name': 'mvt0', 'netns': netns, 'link': 'par',
                                        'device_mode': 0o660})
        assert result.get('failed') is True, result
        assert result['msg'].startswith("device_mode: must be a file mode as octal text "
                                        "like '0660', not the integer 432"), result['msg']
        assert "quote the mode ('0660')" in result['msg']
        assert links(netns) == ['lo', 'par', 'parx']
        assert not os.path.exists('/run/vnet-linux/tap/netns/%s/mvt0' % netns)
    finally:  # what a run that took the number would have left
        run_module('macvtap', {'name': 'mvt0', 'netns': netns, 'state': 'absent'})


def test_a_quoted_octal_mode_is_the_mode(namespaces):
    netns, = namespaces(1)
    run_module('veth', {'name': 'par', 'netns': netns, 'admin_state': 'up',
                        'peer': {'name': 'parx', 'netns': netns}})
    path = '/run/vnet-linux/tap/netns/%s/mvt0' % netns
    try:
        result = run_module('macvtap', {'name': 'mvt0', 'netns': netns, 'link': 'par',
                                        'device_mode': '0660'})
        assert not result.get('failed'), result
        assert oct(os.stat(path).st_mode & 0o7777) == '0o660'
    finally:
        run_module('macvtap', {'name': 'mvt0', 'netns': netns, 'state': 'absent'})


def test_a_boolean_sysctl_value_is_refused(namespaces):
    """Before, true was written to /proc/sys as the text 'True'."""
    netns, = namespaces(1, create=False)
    result = run_module('netns', {'name': netns, 'sysctls': {'net.ipv4.ip_forward': True}})
    assert result['failed'] and result['msg'].startswith(
        'sysctls.net.ipv4.ip_forward: True is not a sysctl value'), result['msg']
    assert netns not in pyroute2_netns.listnetns()


# --- long namespace names ---------------------------------------------------

def read_facts(lab, tries=3):
    """topology_info reads every namespace of the host; it fails when
    another process's namespace vanishes while it reads (other test runs on
    this machine do that; a known race, reported), so it gets a few tries."""
    for _attempt in range(tries):
        facts = run_module('topology_info', {'lab': lab})
        if not facts.get('failed'):
            return facts
    return facts


def test_cni_style_namespace_made_used_by_veth_and_bridge_and_removed(long_names):
    first, second = long_names(2)
    for name in (first, second):
        made = run_module('netns', {'name': name})
        assert made['changed'] is True and not made.get('failed'), made
    assert {first, second} <= set(pyroute2_netns.listnetns())

    pair = {'name': 'v0', 'netns': first, 'addresses': ['10.9.0.1/24'], 'admin_state': 'up',
            'peer': {'name': 'v0p', 'netns': second, 'admin_state': 'up'}}
    veth = run_module('veth', pair)
    assert veth['changed'] is True and not veth.get('failed'), veth
    assert veth['link']['netns'] == first and veth['peer']['netns'] == second
    assert run_module('veth', pair)['changed'] is False

    bridge = {'name': 'br0', 'netns': second, 'admin_state': 'up', 'stp': False,
              'addresses': ['10.9.0.2/24'], 'ports': [{'name': 'v0p'}]}
    made = run_module('bridge', bridge)
    assert made['changed'] is True and not made.get('failed'), made
    assert ip(second, 'link', 'show', 'v0p')[0]['master'] == 'br0'
    assert run_module('bridge', bridge)['changed'] is False

    gone = run_module('veth', dict(pair, state='absent'))
    assert gone['changed'] is True and not gone.get('failed'), gone
    assert links(first) == ['lo'] and links(second) == ['br0', 'lo']
    for name in (first, second):
        gone = run_module('netns', {'name': name, 'state': 'absent'})
        assert gone['changed'] is True and not gone.get('failed'), gone
    assert not {first, second} & set(pyroute2_netns.listnetns())


def test_lab_with_long_node_names_builds_reads_back_reaches_and_goes(long_names):
    first, second = long_names(2)
    lab = 'strict-' + unique_name('l')
    description = {'lab': lab, 'nodes': [{'name': first}, {'name': second}], 'links': [
        {'endpoints': [{'node': first, 'name': 'eth0', 'addresses': ['10.9.1.1/24']},
                       {'node': second, 'name': 'eth0', 'addresses': ['10.9.1.2/24']}]}]}
    try:
        built = run_module('topology', description)
        assert built['changed'] is True and not built.get('failed'), built
        assert run_module('topology', description)['changed'] is False
        facts = read_facts(lab)
        assert not facts.get('failed'), facts
        assert sorted(node['name'] for node in facts['nodes']) == sorted([first, second])
        reach = run_module('reachability', {
            'nodes': {first: ['10.9.1.1'], second: ['10.9.1.2']}, 'warmup': 0,
            'count': 2})
        assert not reach.get('failed'), reach
        assert reach['summary'] == {'paths': 2, 'ok': 2, 'broken': 0}
    finally:
        gone = run_module('topology', {'lab': lab, 'state': 'absent'})
    assert gone['changed'] is True and not gone.get('failed'), gone
    assert not {first, second} & set(pyroute2_netns.listnetns())


@pytest.mark.parametrize('bad, rule', [
    ('x' * 256, 'is 256 bytes long; the limit is 255 bytes'),
    ('a/b', 'may not contain "/"'), ('..', 'may not be "." or ".."'),
    ('', 'must be a non-empty string'),
])
def test_namespace_names_past_the_rules_are_refused_everywhere(bad, rule):
    # (a NUL byte never reaches a module: Ansible fails to log the call)
    for module, args, field in (
            ('netns', {'name': bad}, 'name'),
            ('veth', {'name': 'v0', 'netns': bad, 'peer': {'name': 'v1'}}, 'netns'),
            ('veth', {'name': 'v0', 'peer': {'name': 'v1', 'netns': bad}}, 'peer.netns'),
            ('bridge', {'name': 'br0', 'netns': bad}, 'netns'),
            ('topology', {'lab': 'x', 'nodes': [{'name': bad}]}, 'nodes[0].name'),
            ('reachability', {'nodes': {'a': ['10.0.0.1'], 'b': ['10.0.0.2']},
                              'namespaces': {'a': bad}, 'warmup': 0}, 'namespaces.a')):
        if module == 'reachability' and bad == '':
            continue  # '' is documented there: the module's own namespace
        result = run_module(module, args)
        assert result.get('failed') is True, (module, result)
        assert result['msg'].startswith(field + ': ') and rule in result['msg'], \
            (module, result['msg'])


@pytest.mark.guest_kernel
@pytest.mark.skipif(shutil.which('teamd') is None, reason='teamd not installed')
def test_teamd_runs_in_a_cni_style_namespace(long_names):
    """teamd's files live under a directory named after the namespace and
    its socket is reached through it: a 40-byte name must not break them."""
    netns, = long_names(1)
    assert not run_module('netns', {'name': netns}).get('failed')
    with IPRoute(netns=netns, flags=0) as ipr:
        ipr.link('add', ifname='p1', kind='veth', peer='x1')
    team = {'name': 'team0', 'netns': netns, 'ports': [{'name': 'p1'}]}
    try:
        started = run_module('teamd', team)
        assert started['changed'] is True and not started.get('failed'), started
        again = run_module('teamd', team)   # reads the running config over the socket
        assert again['changed'] is False and not again.get('failed'), again
        assert [port['name'] for port in again['team']['ports']] == ['p1']
    finally:
        stopped = run_module('teamd', dict(name='team0', netns=netns, state='absent'))
    assert stopped['changed'] is True and not stopped.get('failed'), stopped
    assert 'team0' not in links(netns)
