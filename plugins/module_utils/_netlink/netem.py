# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Link impairment (delay, jitter, loss, rate) as a netem root qdisc.

Values are kept in canonical units (microseconds, percent, bits per second)
so that what is read back compares equal to what was asked. The kernel
needs sch_netem (Debian's kernel has it as a module; some minimal kernels
lack it, and the run then fails with the kernel's "not supported").
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import NetlinkFailure, nla

U32_MAX = 2 ** 32 - 1
ROOT_HANDLE = 0x10000  # "1:"


def _tick_in_usec():
    from pyroute2.netlink.rtnl.tcmsg import common
    return common.tick_in_usec


def describe(impairment):
    parts = []
    if impairment.get('delay') is not None:
        parts.append('delay=%sms' % _ms(impairment['delay']))
    if impairment.get('jitter') is not None:
        parts.append('jitter=%sms' % _ms(impairment['jitter']))
    if impairment.get('loss') is not None:
        parts.append('loss=%s%%' % _num(impairment['loss']))
    if impairment.get('rate') is not None:
        parts.append('rate=%sbit' % impairment['rate'])
    return ', '.join(parts)


def _ms(usec):
    return _num(usec / 1000.0)


def _num(value):
    return ('%.3f' % value).rstrip('0').rstrip('.')


def user_view(impairment):
    """The impairment in the units users write (for facts)."""
    if not impairment:
        return None
    out = {}
    if impairment.get('delay') is not None:
        out['delay'] = '%sms' % _ms(impairment['delay'])
    if impairment.get('jitter') is not None:
        out['jitter'] = '%sms' % _ms(impairment['jitter'])
    if impairment.get('loss') is not None:
        out['loss'] = '%s%%' % _num(impairment['loss'])
    if impairment.get('rate') is not None:
        out['rate'] = '%sbit' % impairment['rate']
    return out


def read_all(session):
    """index -> impairment of every link with a netem root qdisc."""
    result = {}
    for msg in session.dump('tc'):
        if msg.get_attr('TCA_KIND') != 'netem' or msg['parent'] != 0xFFFFFFFF:
            continue
        result[msg['index']] = from_options(msg.get_attr('TCA_OPTIONS'))
    return result


def from_options(opts):
    if opts is None:
        return {}
    tick = _tick_in_usec()
    result = {}
    delay = int(round(opts['delay'] / tick)) if opts.get('delay') else 0
    jitter = int(round(opts['jitter'] / tick)) if opts.get('jitter') else 0
    if delay:
        result['delay'] = delay
    if jitter:
        result['jitter'] = jitter
    if opts.get('loss'):
        result['loss'] = round(opts['loss'] * 100.0 / U32_MAX, 3)
    rate = nla(opts, 'TCA_NETEM_RATE')
    if rate and rate.get('rate'):
        result['rate'] = int(rate['rate']) * 8
    return result


def setter(session, name, impairment, text):
    """A step body that makes the root qdisc netem(impairment), or deletes
    the netem qdisc when impairment is None."""
    def run():
        index = session.index(name)
        if not impairment:
            try:
                session.call(text, 'tc', 'del', index=index, handle=ROOT_HANDLE,
                             parent=0xFFFFFFFF)
            except NetlinkFailure:
                pass  # already gone: the kernel's default qdisc is back
            return
        args = {}
        if impairment.get('delay') is not None:
            args['delay'] = impairment['delay']
        if impairment.get('jitter') is not None:
            args['jitter'] = impairment['jitter']
        if impairment.get('loss') is not None:
            args['loss'] = impairment['loss']
        if impairment.get('rate') is not None:
            args['rate'] = '%dbit' % impairment['rate']
        session.call(text, 'tc', 'replace', kind='netem', index=index, handle=ROOT_HANDLE,
                     **args)
    return run
