"""The step bodies every planner composes (_engine/link_steps.py), against a
recording session: what request each sends, in which order."""

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine import link_steps
from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import NetlinkFailure


class Recorder(object):
    """A session that records requests; `refuse` names requests to fail."""

    def __init__(self, indexes=None, addresses=None, refuse=()):
        self.netns = 'ns1'
        self.sent = []
        self.indexes = indexes or {'e0': 5, 'br0': 9}
        self._addresses = addresses or []
        self.refuse = refuse

    def index(self, name):
        return self.indexes[name]

    def addresses(self, _index):
        return list(self._addresses)

    def raw(self, what, request, *args, **kwargs):
        self.sent.append((request.__name__, args, kwargs))
        if request.__name__ in self.refuse and kwargs.get('master') is not None:
            raise NetlinkFailure('%s failed: refused' % what)

    def call(self, what, method, *args, **kwargs):
        self.sent.append((method, args, kwargs))


def test_set_link_sends_option_names_as_one_request():
    session = Recorder()
    link_steps.set_link(session, 'e0', 'x', mtu=1400, mac_address='02:00:00:00:00:01',
                        txqueuelen=10, alias='vnet:a', master='br0', admin_state='up')
    assert session.sent == [('set_link', (5,), {
        'up': True, 'mtu': 1400, 'address': '02:00:00:00:00:01', 'txqlen': 10,
        'alias': 'vnet:a', 'master': 9})]


def test_set_link_release_and_unknown_attribute():
    session = Recorder()
    link_steps.set_link(session, 'e0', 'x', master='')
    assert session.sent == [('set_link', (5,), {'up': None, 'master': 0})]
    with pytest.raises(TypeError, match='speed'):
        link_steps.set_link(session, 'e0', 'x', speed=10)


def test_a_refused_attach_to_a_bond_brings_the_port_up_again():
    session = Recorder(refuse=('set_link',))
    step = link_steps.attach_step(session, 'e0', 'x', 'br0', take_down=True, was_up=True)
    with pytest.raises(NetlinkFailure):
        step()
    assert [kwargs.get('up') for _name, _args, kwargs in session.sent] == [False, None, True]


def test_address_steps_remove_first_and_the_guard_sees_each_removal():
    session, steps, vetted = Recorder(), [], []

    class Guard(object):
        @staticmethod
        def check(netns, state, action):
            vetted.append((netns, action))

    removed, added = link_steps.address_steps(
        lambda *step: steps.append(step), session, 'e0', 'e0 in ns1',
        ['10.0.0.2/24'], ['10.0.0.1/24', '127.0.0.1/8'], purge=True, keep=('127.0.0.1/8',),
        guard=Guard(), state={'name': 'e0'})
    assert (removed, added) == (['10.0.0.1/24'], ['10.0.0.2/24'])
    assert [text for text, _do, _undo in steps] == [
        'remove address 10.0.0.1/24 from e0 in ns1', 'add address 10.0.0.2/24 to e0 in ns1']
    assert vetted == [('ns1', 'remove address 10.0.0.1/24 from')]
    steps[1][1]()
    assert session.sent[-1] == ('address', ('add', 5, 2, '10.0.0.2', 24), {})


def test_undoing_an_address_the_kernel_dropped_is_done():
    session, steps = Recorder(addresses=[]), []
    link_steps.address_steps(lambda *step: steps.append(step), session, 'e0', 'e0',
                             ['2001:db8::1/64'], [])
    steps[0][2]()   # the undo of the add: the address is gone already
    assert session.sent == []


def test_create_veth_places_the_peer_and_names_the_bridge():
    session = Recorder()
    link_steps.create_veth(session, 'e0', 'e1', 'ns1', 'x', attrs={'mtu': 1400, 'alias': 'a'},
                           peer_attrs={'mac_address': '02:00:00:00:00:02'}, master='br0')
    assert session.sent == [(rtnl.add_veth.__name__, ('e0', 'e1'), {
        'own': {'mtu': 1400, 'master': 9},
        'peer_attrs': {'address': '02:00:00:00:00:02'}, 'peer_netns_fd': None})]
