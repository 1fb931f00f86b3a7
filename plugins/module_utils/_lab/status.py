# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run-time state of a lab's interfaces: link state and impairments.

Read for the impairment module's state=query and the lab role's status
action: per interface its admin and operational state and the impairment
of each direction (egress: a netem root qdisc; ingress: netem on the ifb
that the impairment module puts beside the interface). The ifbs
themselves are not listed: they are how an ingress impairment is made.
"""

from __future__ import annotations

from ansible_collections.vnet.linux.plugins.module_utils._engine import impair
from ansible_collections.vnet.linux.plugins.module_utils._lab.model import MARK_PREFIX, lab_name
from ansible_collections.vnet.linux.plugins.module_utils._netlink import netem, rtnl
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import (
    display_name,
    process_namespaces,
)
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    list_namespaces,
)

COLUMNS = (('node', 'node'), ('interface', 'name'), ('admin', 'admin_state'),
           ('oper', 'oper_state'), ('egress', 'egress'), ('ingress', 'ingress'))
ROOT = 'host'


def _links(session):
    return [link for link in session.parsed_links() if not rtnl.fallback_device(link)]


def lab_namespaces(session_of, lab):
    """The namespaces of a lab (its mark on their lo), and the root
    namespace and containers' namespaces when lab links are there; with
    the mark that picks the lab's links in each (None: all of them)."""
    mark = MARK_PREFIX + lab_name(lab)
    namespaces, marks = [], {}
    for netns in [None] + list_namespaces() + process_namespaces():
        try:
            links = _links(session_of(netns))
        except (NetlinkFailure, OSError):
            continue  # removed meanwhile
        lo = next((link for link in links if link['name'] == 'lo'), {})
        if netns is not None and lo.get('alias') == mark:
            namespaces.append(netns)
            marks[netns] = None
        elif any(link['alias'] == mark for link in links):
            namespaces.append(netns)
            marks[netns] = mark
    return namespaces, marks


def read(session_of, namespaces, names=None, marks=None):
    """One row per interface (lo and the impairment ifbs left out)."""
    rows = []
    for netns in namespaces:
        session = session_of(netns)
        mark = (marks or {}).get(netns)
        links = _links(session)
        by_name = dict((link['name'], link) for link in links)
        qdiscs = netem.qdiscs_by_index(session)
        for link in sorted(links, key=lambda item: item['name']):
            if link['name'] == 'lo' or link['alias'].startswith(impair.IFB_MARK) or \
                    (mark and link['alias'] != mark) or (names and link['name'] not in names):
                continue
            rows.append(_row(session, netns, link, qdiscs, by_name))
    return rows


def _row(session, netns, link, qdiscs, by_name):
    root = qdiscs.get(link['index'], {}).get('root')
    egress = root['impairment'] if root and root['kind'] == 'netem' else None
    ingress = None
    ifb = by_name.get(impair.ifb_name(link['name']))
    if ifb is not None and ifb['alias'] == impair.ifb_mark(link['name']) and \
            qdiscs.get(link['index'], {}).get('ingress'):
        state = {'ifb': ifb, 'filters': impair.read_filters(session, link['index']),
                 'ifb_root': qdiscs.get(ifb['index'], {}).get('root')}
        if impair.our_filter(state):
            ingress = impair.ifb_impairment(state) or None
    return {
        'node': ROOT if netns is None else display_name(netns),
        'netns': netns,
        'name': link['name'],
        'kind': link['kind'],
        'admin_state': link['admin_state'],
        'oper_state': link['oper_state'],
        'egress': netem.user_view(egress),
        'ingress': netem.user_view(ingress),
    }


def _cell(value):
    if value is None:
        return '-'
    if isinstance(value, dict):
        return ' '.join('%s=%s' % item for item in value.items())
    return str(value)


def table(rows):
    """The rows as lines of a text table (a header, then one per interface)."""
    cells = [[title for title, _key in COLUMNS]] + [
        [_cell(row[key]) for _title, key in COLUMNS] for row in rows]
    widths = [max(len(line[col]) for line in cells) for col in range(len(COLUMNS))]
    return ['  '.join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
            for line in cells]


__all__ = ['lab_namespaces', 'read', 'table']
