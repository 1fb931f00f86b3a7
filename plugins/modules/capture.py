#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: capture
short_description: Record the packets of a lab interface into a pcap file
description:
  - Runs C(tcpdump) on one interface of any network namespace and writes
    what it records to O(dest), a pcap file on the managed host that
    Wireshark, C(tcpdump -r) and every pcap reader open.
  - The capture ends after O(count) packets or O(duration) seconds,
    whichever comes first; the time counts from the moment tcpdump
    listens on the interface. With only O(count), it waits for the packets
    however long that takes.
  - O(filter) is a tcpdump (BPF) filter expression; it is compiled for the
    interface before the capture, and one tcpdump cannot compile is
    refused with its message.
  - A missing namespace or interface, or a missing C(tcpdump), is refused
    before anything is recorded.
  - The file appears whole at the end of the capture (a temporary file
    beside it is renamed over it); an earlier file of that name is
    replaced.
  - The role P(vnet.linux.lab#role) has an action C(capture) that runs this
    module on a lab's node and fetches the file to the controller.
version_added: 1.2.0
author:
  - vnet.linux developers (@vnet-linux)
requirements:
  - tcpdump (on the managed host; the role P(vnet.linux.prereqs#role) installs it)
extends_documentation_fragment:
  - vnet.linux.attributes
attributes:
  check_mode:
    support: full
    details:
      - Checks the namespace, the interface, tcpdump and the filter, records
        nothing, writes nothing, and reports the change a real run makes
        (C(changed=true)) with the command it would run.
  diff_mode:
    support: none
  idempotent:
    support: none
    details: Every run records anew and writes the file, so every run reports a change.
options:
  interface:
    description:
      - The interface to record on, or V(any) for every interface of the
        namespace (then the pcap has Linux cooked headers instead of
        Ethernet ones).
    type: str
    required: true
  netns:
    description: The interface's network namespace. Omit for the namespace the module runs in.
    type: str
  dest:
    description:
      - Path of the pcap file on the managed host. Its directory must exist.
    type: path
    required: true
  duration:
    description:
      - Seconds to record (more than 0, at most 86400), counted from the
        moment tcpdump listens.
      - At least one of O(duration) and O(count) is needed.
    type: float
  count:
    description: Stop after this many packets (1 or more).
    type: int
  filter:
    description:
      - A tcpdump filter expression (see C(man pcap-filter)), for example
        C(icmp or arp) or C(tcp port 80). Default every packet.
    type: str
  snaplen:
    description: Bytes kept of each packet (0 to 262144; 0 or unset is tcpdump's default, whole packets).
    type: int
  promiscuous:
    description:
      - Put the interface into promiscuous mode while recording (tcpdump's
        default), to see packets to other hosts on a bridge or macvlan too.
    type: bool
    default: true
seealso:
  - module: vnet.linux.reachability
  - name: tcpdump and pcap-filter
    description: The manual pages of tcpdump and of its filter language.
    link: https://www.tcpdump.org/manpages/
'''

EXAMPLES = r'''
- name: Record 10 seconds of r1's eth1
  vnet.linux.capture:
    netns: r1
    interface: eth1
    duration: 10
    dest: /tmp/r1-eth1.pcap

- name: The first 20 ICMP packets, or what comes in 30 seconds
  vnet.linux.capture:
    netns: h1
    interface: eth0
    count: 20
    duration: 30
    filter: icmp or icmp6
    dest: /tmp/h1-icmp.pcap
  register: icmp_capture

- name: Bring it to the controller
  ansible.builtin.fetch:
    src: /tmp/h1-icmp.pcap
    dest: captures/
    flat: true
'''

RETURN = r'''
dest:
  description: The pcap file.
  returned: always
  type: str
  sample: /tmp/r1-eth1.pcap
command:
  description: The tcpdump command run (in check mode, that would run), inside the namespace.
  returned: always
  type: list
  elements: str
  sample: [/usr/bin/tcpdump, -i, eth1, -n, -U, -w, "-", -c, "20", --, icmp]
packets:
  description: Packets recorded, as tcpdump counts them (not in check mode).
  returned: success and not check mode
  type: int
  sample: 12
dropped_by_kernel:
  description: Packets the kernel dropped because tcpdump did not keep up.
  returned: success and not check mode
  type: int
  sample: 0
bytes:
  description: Size of the pcap file.
  returned: success and not check mode
  type: int
  sample: 1432
seconds:
  description: How long the capture listened.
  returned: success and not check mode
  type: float
  sample: 10.002
msg:
  description: What the run did (in check mode, would do).
  returned: always
  type: str
  sample: recorded 12 packets on eth1 in namespace 'r1' into /tmp/r1-eth1.pcap
'''

import os

from ansible_collections.vnet.linux.plugins.module_utils._engine import validate
from ansible_collections.vnet.linux.plugins.module_utils._engine.strict import StrictModule
from ansible_collections.vnet.linux.plugins.module_utils._lab import capture
from ansible_collections.vnet.linux.plugins.module_utils._netlink.namespaces import use_command_runner
from ansible_collections.vnet.linux.plugins.module_utils._netlink.session import (
    NetlinkFailure,
    Session,
    namespace_exists,
    where,
)

MAX_DURATION = 86400
MAX_SNAPLEN = 262144


def argument_spec():
    return dict(
        interface=dict(type='str', required=True),
        netns=dict(type='str'),
        dest=dict(type='path', required=True),
        duration=dict(type='float'),
        count=dict(type='int'),
        filter=dict(type='str'),
        snaplen=dict(type='int'),
        promiscuous=dict(type='bool', default=True),
    )


def checked_input(params):
    """(netns, interface, dest), refused with the option's name before
    anything is read or recorded."""
    netns = validate.optional_namespace(params['netns'], 'netns')
    interface = params['interface']
    if interface != 'any':
        validate.interface_name(interface, 'interface')
    if params['duration'] is None and params['count'] is None:
        raise validate.InputError('duration or count: give at least one (when the capture stops)')
    if params['duration'] is not None and not 0 < params['duration'] <= MAX_DURATION:
        raise validate.InputError('duration: %g is not more than 0 and at most %d seconds'
                                  % (params['duration'], MAX_DURATION))
    if params['count'] is not None:
        validate.int_range(params['count'], 'count', 1, 2 ** 31 - 1)
    if params['snaplen'] is not None:
        validate.int_range(params['snaplen'], 'snaplen', 0, MAX_SNAPLEN, ' bytes')
    dest = params['dest']
    if os.path.isdir(dest):
        raise validate.InputError('dest: %s is a directory; give the path of the pcap file' % dest)
    if not os.path.isdir(os.path.dirname(dest) or '.'):
        raise validate.InputError('dest: the directory of %s does not exist' % dest)
    return netns, interface, dest


def check_interface(netns, interface):
    """The namespace and the interface must exist (None) or the reason."""
    if not namespace_exists(netns):
        return 'netns: %s does not exist' % where(netns)
    if interface == 'any':
        return None
    session = Session(netns)
    try:
        names = [link['name'] for link in session.parsed_links()]
    finally:
        session.close()
    if interface not in names:
        return 'interface: %s is not in %s (it has %s)' % (interface, where(netns), ', '.join(sorted(names)))
    return None


def main():
    module = StrictModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    use_command_runner(module.run_command)  # a namespace given by container:NAME
    try:
        netns, interface, dest = checked_input(params)
        problem = check_interface(netns, interface)
    except (validate.InputError, NetlinkFailure) as err:
        module.fail_json(msg=str(err))
    if problem:
        module.fail_json(msg=problem)
    binary = module.get_bin_path('tcpdump', required=True)
    if params['filter']:
        problem = capture.check_filter(module.run_command, binary, netns, interface, params['filter'])
        if problem:
            module.fail_json(msg='filter: tcpdump cannot compile %r: %s' % (params['filter'], problem))
    argv = capture.tcpdump_argv(binary, interface, count=params['count'], snaplen=params['snaplen'],
                                bpf_filter=params['filter'], promiscuous=params['promiscuous'])
    place = '%s in %s' % (interface, where(netns))
    if module.check_mode:
        module.exit_json(changed=True, dest=dest, command=argv,
                         msg='would record on %s into %s (%s)' % (place, dest, _limits(params)))
    try:
        stats = capture.capture(argv, netns, dest, duration=params['duration'])
    except (capture.CaptureError, OSError) as err:
        module.fail_json(msg='capture on %s: %s' % (place, err), command=argv)
    module.exit_json(changed=True, dest=dest, command=argv, packets=stats['packets'],
                     dropped_by_kernel=stats['dropped_by_kernel'], bytes=stats['bytes'],
                     seconds=stats['seconds'],
                     msg='recorded %s packets on %s into %s' % (stats['packets'], place, dest))


def _limits(params):
    limits = []
    if params['count'] is not None:
        limits.append('%d packets' % params['count'])
    if params['duration'] is not None:
        limits.append('%g seconds' % params['duration'])
    return ' or '.join(limits)


if __name__ == '__main__':
    main()
