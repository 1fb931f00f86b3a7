# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Link impairment as a netem qdisc: the one codec of the collection.

An impairment is a dict in canonical units (times in microseconds,
percentages as floats, rates in bits per second, counts as integers) with
only the settings in use. `parse` makes one from what users write,
`encode` turns it into the options of a netem request (every attribute,
zeros too, so that a change in place resets what it leaves out; pyroute2's
netem encoder leaves zero attributes out and sends rates as floats),
`from_options` reads one back from the kernel, and `rounded` is what the
kernel will report for a wanted one (its ticks and 32-bit fractions
round), so that runs compare equal values.

The kernel needs sch_netem (Debian's kernel has it as a module; some
minimal kernels lack it, and the run then fails with the kernel's "not
supported").
"""

from __future__ import annotations

import re
import struct

from ansible_collections.vnet.linux.plugins.module_utils._engine.validate import InputError
from ansible_collections.vnet.linux.plugins.module_utils._netlink import rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import NetlinkFailure, nla

U32_MAX = 2 ** 32 - 1
ROOT_HANDLE = 0x10000  # "1:"
TC_H_ROOT = 0xFFFFFFFF
TC_H_INGRESS = 0xFFFFFFF1
DEFAULT_LIMIT = 1000   # the netem queue the kernel (and tc) use when none is given

TIMES = ('delay', 'jitter')
PERCENTS = ('delay_correlation', 'loss', 'loss_correlation', 'duplicate',
            'duplicate_correlation', 'reorder', 'reorder_correlation', 'corrupt',
            'corrupt_correlation')
COUNTS = ('reorder_gap', 'limit')
# every setting, in the order describe() names them
SETTINGS = ('delay', 'jitter', 'delay_correlation', 'loss', 'loss_correlation', 'duplicate',
            'duplicate_correlation', 'reorder', 'reorder_correlation', 'reorder_gap',
            'corrupt', 'corrupt_correlation', 'rate', 'limit')
# the settings as Ansible options: counts are numbers, the rest text with
# a unit (10ms, 1%, 10mbit); the impairment module and a lab's impairment
OPTION_SPEC = dict((key, dict(type='int' if key in COUNTS else 'str')) for key in SETTINGS)
# a setting that means nothing without another one
NEEDS = (
    ('jitter', 'delay'),
    ('delay_correlation', 'jitter'),
    ('loss_correlation', 'loss'),
    ('duplicate_correlation', 'duplicate'),
    ('reorder', 'delay'),       # tc too refuses reordering without a delay
    ('reorder_correlation', 'reorder'),
    ('reorder_gap', 'reorder'),
    ('corrupt_correlation', 'corrupt'),
)
# the kernel keeps times in 32-bit ticks and a rate in 32-bit bytes/s
MAX_RATE = U32_MAX * 8
_TIME = re.compile(r'^(\d+(?:\.\d+)?)(us|ms|s)$')
_RATE = re.compile(r'^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$')
_PERCENT = re.compile(r'^(\d+(?:\.\d+)?)%$')
_TIME_SCALE = {'us': 1, 'ms': 1000, 's': 1000000}
_RATE_SCALE = {'bit': 1, 'kbit': 1000, 'mbit': 10 ** 6, 'gbit': 10 ** 9}


def _tick_in_usec():
    from pyroute2.netlink.rtnl.tcmsg import common
    return common.tick_in_usec


def max_time_usec():
    return int(U32_MAX / _tick_in_usec())


# --- parsing -----------------------------------------------------------------

def parse(params, field, settings=SETTINGS):
    """The canonical impairment of user input (None when empty); refuses a
    bad value naming `field`.<setting>."""
    result = {}
    for key in settings:
        value = params.get(key)
        if value is None or value == '':
            continue
        result[key] = _parse_one(key, value, '%s.%s' % (field, key) if field else key)
    for setting, needed in NEEDS:
        if setting in result and needed not in result:
            name = '%s.%s' % (field, setting) if field else setting
            raise InputError('%s: needs a %s as well' % (name, needed))
    return result or None


def _parse_one(key, value, name):
    text = str(value).strip()
    if key in TIMES:
        match = _TIME.match(text)
        if not match:
            raise InputError('%s: %r is not a time like 10ms, 500us or 1s' % (name, value))
        usec = int(round(float(match.group(1)) * _TIME_SCALE[match.group(2)]))
        if usec > max_time_usec():
            raise InputError('%s: %r is longer than the kernel keeps (%d s at most)'
                             % (name, value, max_time_usec() // 1000000))
        return usec
    if key in PERCENTS:
        match = _PERCENT.match(text)
        if not match or float(match.group(1)) > 100:
            raise InputError('%s: %r is not a percentage like 1%% or 0.5%%' % (name, value))
        return float(match.group(1))
    if key == 'rate':
        match = _RATE.match(text.lower())
        if not match:
            raise InputError('%s: %r is not a rate like 10mbit or 512kbit' % (name, value))
        rate = int(float(match.group(1)) * _RATE_SCALE[match.group(2)])
        if not 8 <= rate <= MAX_RATE:
            raise InputError('%s: %r is out of range (8bit to %dbit)' % (name, value, MAX_RATE))
        return rate
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= U32_MAX:
        raise InputError('%s: %r is not a whole number from 1 to %d' % (name, value, U32_MAX))
    return value


# --- the kernel's side ---------------------------------------------------------

def kernel_values(impairment):
    """The netem option struct (fields) and nested attributes (name ->
    struct) that ask the kernel for this impairment, as integers. Every
    attribute is given, zeros included: the kernel keeps the old value of
    an attribute a change leaves out (a correlation, a reordering)."""
    tick = _tick_in_usec()

    def fraction(key):
        return int(U32_MAX * impairment.get(key, 0) / 100)
    reorder = fraction('reorder')
    fields = {
        'delay': int(impairment.get('delay', 0) * tick),
        'limit': impairment.get('limit', DEFAULT_LIMIT),
        'loss': fraction('loss'),
        # as tc: reordering without a gap reorders every packet it picks
        'gap': impairment.get('reorder_gap', 1 if reorder else 0),
        'duplicate': fraction('duplicate'),
        'jitter': int(impairment.get('jitter', 0) * tick),
    }
    attrs = {
        'TCA_NETEM_CORR': {'delay_corr': fraction('delay_correlation'),
                           'loss_corr': fraction('loss_correlation'),
                           'dup_corr': fraction('duplicate_correlation')},
        'TCA_NETEM_REORDER': {'prob_reorder': reorder,
                              'corr_reorder': fraction('reorder_correlation')},
        'TCA_NETEM_CORRUPT': {'prob_corrupt': fraction('corrupt'),
                              'corr_corrupt': fraction('corrupt_correlation')},
        'TCA_NETEM_RATE': {'rate': impairment.get('rate', 0) // 8},
    }
    return fields, attrs


# struct tc_netem_qopt and the nested attributes (include/uapi/linux/pkt_sched.h)
_QOPT = struct.Struct('=IIIIII')
_NESTED = (
    (1, 'TCA_NETEM_CORR', struct.Struct('=III'), ('delay_corr', 'loss_corr', 'dup_corr')),
    (3, 'TCA_NETEM_REORDER', struct.Struct('=II'), ('prob_reorder', 'corr_reorder')),
    (4, 'TCA_NETEM_CORRUPT', struct.Struct('=II'), ('prob_corrupt', 'corr_corrupt')),
    # rate, packet_overhead, cell_size, cell_overhead
    (6, 'TCA_NETEM_RATE', struct.Struct('=IiIi'), ('rate',)),
)


def encode(impairment):
    """TCA_OPTIONS of a netem qdisc: the option struct, then the attributes."""
    fields, attrs = kernel_values(impairment)
    payload = _QOPT.pack(fields['delay'], fields['limit'], fields['loss'], fields['gap'],
                         fields['duplicate'], fields['jitter'])
    for number, name, layout, keys in _NESTED:
        values = [attrs[name].get(key, 0) for key in keys]
        values += [0] * (layout.size // 4 - len(values))  # overheads and cell size: none
        payload += rtnl.attr(number, layout.pack(*values))
    return payload


def rounded(impairment):
    """What the kernel reports after being given this impairment (ticks,
    32-bit fractions, bytes/s, the default gap of a reordering)."""
    if not impairment:
        return {}
    fields, attrs = kernel_values(impairment)
    return _decode(fields, attrs)


def from_options(opts):
    """The impairment of a netem qdisc's TCA_OPTIONS as the kernel reports it."""
    if opts is None:
        return {}
    attrs = {}
    for name in ('TCA_NETEM_CORR', 'TCA_NETEM_REORDER', 'TCA_NETEM_CORRUPT', 'TCA_NETEM_RATE'):
        value = nla(opts, name)
        if value is not None:
            attrs[name] = value
    return _decode(opts, attrs)


def _decode(fields, attrs):
    """Canonical impairment from the netem option struct (fields) and its
    nested attributes (name -> struct): zeros and the default queue length
    left out, as users leave them out."""
    tick = _tick_in_usec()
    raw = {
        'delay': fields.get('delay'), 'jitter': fields.get('jitter'),
        'loss': fields.get('loss'), 'duplicate': fields.get('duplicate'),
        'reorder_gap': fields.get('gap'), 'limit': fields.get('limit'),
    }
    for attr, pairs in (
            ('TCA_NETEM_CORR', (('delay_corr', 'delay_correlation'),
                                ('loss_corr', 'loss_correlation'),
                                ('dup_corr', 'duplicate_correlation'))),
            ('TCA_NETEM_REORDER', (('prob_reorder', 'reorder'),
                                   ('corr_reorder', 'reorder_correlation'))),
            ('TCA_NETEM_CORRUPT', (('prob_corrupt', 'corrupt'),
                                   ('corr_corrupt', 'corrupt_correlation'))),
            ('TCA_NETEM_RATE', (('rate', 'rate'),))):
        struct = attrs.get(attr) or {}
        for kernel_name, key in pairs:
            raw[key] = struct.get(kernel_name)
    result = {}
    for key in SETTINGS:
        value = raw.get(key)
        if not value:
            continue
        if key in TIMES:
            value = int(round(value / tick))
        elif key in PERCENTS:
            value = round(value * 100.0 / U32_MAX, 3)
        elif key == 'rate':
            value = int(value) * 8
        result[key] = value
    if result.get('limit') == DEFAULT_LIMIT:
        del result['limit']
    if 'reorder' not in result:
        result.pop('reorder_gap', None)  # the kernel keeps a gap only for reordering
    return result


def qdiscs_by_index(session):
    """index -> {'root': qdisc, 'ingress': qdisc} (each {kind, handle,
    impairment} or absent) for one namespace."""
    result = {}
    for msg in session.dump('tc'):
        if msg['parent'] == TC_H_ROOT:
            place = 'root'
        elif msg['parent'] == TC_H_INGRESS:
            place = 'ingress'
        else:
            continue
        kind = msg.get_attr('TCA_KIND')
        result.setdefault(msg['index'], {})[place] = {
            'kind': kind, 'handle': msg['handle'],
            'impairment': from_options(msg.get_attr('TCA_OPTIONS'))
            if kind == 'netem' else None}
    return result


def read_all(session):
    """index -> impairment of every link with a netem root qdisc."""
    return dict((index, places['root']['impairment'])
                for index, places in qdiscs_by_index(session).items()
                if places.get('root') and places['root']['kind'] == 'netem')


# --- words -------------------------------------------------------------------

def _ms(usec):
    return _num(usec / 1000.0)


def _num(value):
    return ('%.3f' % value).rstrip('0').rstrip('.')


def _user_value(key, value):
    if key in TIMES:
        return '%sms' % _ms(value)
    if key in PERCENTS:
        return '%s%%' % _num(value)
    if key == 'rate':
        # in the largest unit that writes it whole: 100mbit, 1500kbit, 1001bit
        unit = next(unit for unit in ('gbit', 'mbit', 'kbit', 'bit')
                    if value % _RATE_SCALE[unit] == 0)
        return '%d%s' % (value // _RATE_SCALE[unit], unit)
    return value


def user_view(impairment):
    """The impairment in the units users write (for facts and results)."""
    if not impairment:
        return None
    return dict((key, _user_value(key, impairment[key]))
                for key in SETTINGS if impairment.get(key) is not None)


def describe(impairment):
    return ', '.join('%s=%s' % (key, _user_value(key, impairment[key]))
                     for key in SETTINGS if impairment.get(key) is not None)


# --- the step body -------------------------------------------------------------

def setter(session, name, impairment, text, handle=ROOT_HANDLE):
    """A step body that makes the root qdisc netem(impairment), or deletes
    the netem qdisc when impairment is None."""
    def run():
        index = session.index(name)
        if not impairment:
            try:
                session.call(text, 'tc', 'del', index=index, handle=handle, parent=TC_H_ROOT)
            except NetlinkFailure:
                pass  # already gone: the kernel's default qdisc is back
            return
        try:
            session.raw(text, rtnl.qdisc, index, handle, TC_H_ROOT, 'netem', encode(impairment))
        except NetlinkFailure as err:
            if 'kind is unknown' not in str(err):
                raise
            raise NetlinkFailure('%s; this kernel has no netem qdisc (sch_netem: built into '
                                 'it, or a module to load)' % err)
    return run
