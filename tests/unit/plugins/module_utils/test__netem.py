"""The netem codec (parse, encode, the kernel's rounding), the ifb names and
the status table of the run-time modules: pure functions."""

import struct

import pytest

from ansible_collections.vnet.linux.plugins.module_utils._engine import impair
from ansible_collections.vnet.linux.plugins.module_utils._engine.runtime import impairment_input
from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._lab import status
from ansible_collections.vnet.linux.plugins.module_utils._netlink import netem

EVERYTHING = {'delay': '10ms', 'jitter': '1ms', 'delay_correlation': '25%', 'loss': '0.1%',
              'loss_correlation': '10%', 'duplicate': '1%', 'duplicate_correlation': '5%',
              'reorder': '10%', 'reorder_correlation': '20%', 'corrupt': '0.5%',
              'corrupt_correlation': '3%', 'rate': '100mbit', 'limit': 2000}


def pyroute2_reading(impairment):
    """The options as pyroute2 parses them from the kernel: an independent
    decoder of what encode() sends."""
    from pyroute2.netlink.rtnl.tcmsg import sched_netem
    raw = netem.encode(impairment)
    msg = sched_netem.options(struct.pack('=HH', 4 + len(raw), 2) + raw)
    msg.decode()
    return msg


def test_parse_every_setting_in_canonical_units():
    assert netem.parse(EVERYTHING, 'f') == {
        'delay': 10000, 'jitter': 1000, 'delay_correlation': 25.0, 'loss': 0.1,
        'loss_correlation': 10.0, 'duplicate': 1.0, 'duplicate_correlation': 5.0,
        'reorder': 10.0, 'reorder_correlation': 20.0, 'corrupt': 0.5,
        'corrupt_correlation': 3.0, 'rate': 100000000, 'limit': 2000}
    assert netem.parse({}, 'f') is None


@pytest.mark.parametrize('params,message', [
    ({'delay': '10 parsecs'}, 'f.delay: '),
    ({'delay': '300s'}, 'f.delay: '),
    ({'loss': '101%'}, 'f.loss: '),
    ({'jitter': '1ms'}, 'f.jitter: needs a delay'),
    ({'delay': '1ms', 'delay_correlation': '5%'}, 'f.delay_correlation: needs a jitter'),
    ({'loss': '1%', 'reorder': '5%'}, 'f.reorder: needs a delay'),
    ({'corrupt_correlation': '5%'}, 'f.corrupt_correlation: needs a corrupt'),
    ({'rate': '4bit'}, 'f.rate: '),
    ({'limit': True}, 'f.limit: '),
])
def test_parse_refuses_naming_the_field(params, message):
    with pytest.raises(InputError, match='^' + message.replace('.', r'\.')):
        netem.parse(params, 'f')


def test_encoded_options_read_back_as_rounded_by_an_independent_decoder():
    wanted = netem.parse(EVERYTHING, 'f')
    assert netem.from_options(pyroute2_reading(wanted)) == netem.rounded(wanted)
    assert netem.rounded(wanted) == dict(wanted, reorder_gap=1)


def test_a_change_sends_every_attribute_zeros_included():
    reading = pyroute2_reading({'loss': 1.0})
    assert reading.get_attr('TCA_NETEM_CORR')['delay_corr'] == 0
    assert reading.get_attr('TCA_NETEM_REORDER')['prob_reorder'] == 0
    assert reading.get_attr('TCA_NETEM_RATE')['rate'] == 0
    assert netem.from_options(reading) == {'loss': 1.0}


def test_rounding_of_odd_values():
    # 1 us is 15.625 ticks: the kernel keeps 15, which reads back as 1 us
    assert netem.rounded({'delay': 1}) == {'delay': 1}
    # a rate in bits is kept in bytes per second
    assert netem.rounded({'rate': 1001}) == {'rate': 1000}
    assert netem.rounded({'loss': 33.3333})['loss'] == 33.333


def test_user_view_and_describe():
    wanted = {'delay': 100000, 'loss': 2.5, 'rate': 1000000, 'reorder': 5.0, 'reorder_gap': 3}
    assert netem.user_view(wanted) == {'delay': '100ms', 'loss': '2.5%', 'rate': '1mbit', 'reorder': '5%',
                                       'reorder_gap': 3}
    assert netem.describe(wanted) == 'delay=100ms, loss=2.5%, reorder=5%, reorder_gap=3, rate=1mbit'
    assert [netem.user_view({'rate': rate})['rate'] for rate in (10 ** 9, 1500000, 1001)] == \
        ['1gbit', '1500kbit', '1001bit']
    # what is shown parses back to the same value
    assert netem.parse(netem.user_view(wanted), 'f') == wanted


def test_ifb_names_fit_and_differ():
    assert impair.ifb_name('eth1') == 'ifb-eth1'
    assert impair.ifb_name('abcdefghijk') == 'ifb-abcdefghijk'
    long_a, long_b = impair.ifb_name('abcdefghijkl0'), impair.ifb_name('abcdefghijkl1')
    assert long_a != long_b and long_a.startswith('ifb-abcdef-')
    assert all(len(n.encode()) <= 15 for n in (long_a, long_b, impair.ifb_name('é' * 7)))
    assert impair.ifb_name('abcdefghijkl0') == long_a


def test_module_input():
    params = dict({'name': 'e1', 'netns': 'n1', 'lab': None, 'state': 'present',
                   'direction': 'both'}, **dict((k, None) for k in netem.SETTINGS))
    netns, name, want = impairment_input(dict(params, delay='5ms'))
    assert (netns, name, want) == ('n1', 'e1', {'egress': {'delay': 5000},
                                                'ingress': {'delay': 5000}})
    _netns, _name, want = impairment_input(dict(params, state='absent', direction='ingress'))
    assert want == {'ingress': None}
    with pytest.raises(InputError, match='^name: '):
        impairment_input(dict(params, name='a/b', delay='5ms'))


def test_mirred_targets_found_in_a_filter_reading():
    options = {'attrs': [('TCA_U32_CLASSID', 65536), ('TCA_U32_ACT', {'attrs': [
        ('TCA_ACT_PRIO_1', {'attrs': [('TCA_ACT_KIND', 'mirred'), ('TCA_ACT_OPTIONS', {
            'attrs': [('TCA_MIRRED_PARMS', {'eaction': 1, 'ifindex': 4})]})]})]})]}
    assert impair._mirred_targets(options) == [4]
    assert impair._mirred_targets(None) == []


def test_status_table():
    rows = [{'node': 'r1', 'name': 'eth1', 'admin_state': 'up', 'oper_state': 'up',
             'egress': {'delay': '100ms', 'loss': '2%'}, 'ingress': None},
            {'node': 'r2', 'name': 'eth10', 'admin_state': 'down', 'oper_state': 'down',
             'egress': None, 'ingress': None}]
    assert status.table(rows) == [
        'node  interface  admin  oper  egress               ingress',
        'r1    eth1       up     up    delay=100ms loss=2%  -',
        'r2    eth10      down   down  -                    -']
