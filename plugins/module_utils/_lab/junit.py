# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rows of reachability checks as a JUnit XML report, which CI
systems (GitLab, Jenkins, GitHub actions) show as test results: one
testcase per row, a failure element for each row not as expected.

Used by the reachability module (its junit option) and by the lab role's
filter lab_junit (for a lab spread over hosts, over the joined rows).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.vnet.linux.plugins.module_utils._lab.reachability import problem_text


def testcase_name(row):
    return '%s -> %s (%s) %s' % (row['src'], row['dst'], row['address'], row.get('check', 'icmp'))


def junit_xml(rows, suite='vnet.linux.reachability', attempts=None):
    """The JUnit XML text (with its XML declaration) of the rows."""
    failures = [r for r in rows if not r['ok'] and not r.get('error')]
    errors = [r for r in rows if r.get('error')]
    seconds = sum((r['rtt_avg'] or 0) * r['sent'] for r in rows) / 1000.0
    attrs = dict(name=suite, tests=str(len(rows)), failures=str(len(failures)),
                 errors=str(len(errors)), skipped='0', time='%.3f' % seconds)
    root = ET.Element('testsuites', attrs)
    testsuite = ET.SubElement(root, 'testsuite', attrs)
    if attempts is not None:
        properties = ET.SubElement(testsuite, 'properties')
        ET.SubElement(properties, 'property', name='attempts', value=str(attempts))
    for row in rows:
        _testcase(testsuite, suite, row)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


def _testcase(testsuite, suite, row):
    rtt = (row['rtt_avg'] or 0) / 1000.0
    case = ET.SubElement(testsuite, 'testcase', name=testcase_name(row),
                         classname='%s.%s' % (suite, row['src']), time='%.6f' % rtt)
    detail = ['%s=%s' % (key, row[key]) for key in ('sent', 'received', 'loss', 'expected', 'outcome')
              if row.get(key) is not None]
    if row.get('error'):
        element = ET.SubElement(case, 'error', message=problem_text(row), type='error')
        element.text = row['error']
    elif not row['ok']:
        kind = 'leak' if not row['expected'] else 'unreachable'
        element = ET.SubElement(case, 'failure', message=problem_text(row), type=kind)
        element.text = ', '.join(detail)
    else:
        ET.SubElement(case, 'system-out').text = ', '.join(detail)
