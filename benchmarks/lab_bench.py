# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the same lab with `ip` commands and with vnet.linux.topology, and
print the figures side by side.

The lab: N nodes, each in its own namespace, each with a veth to one shared
bridge (in a namespace of its own) and a veth to the next node in a chain,
with an address on every node interface (the preset star_chain).

    python benchmarks/lab_bench.py                # N=100, N=1000, singles N=100
    python benchmarks/lab_bench.py --singles 20   # a smaller single-module run
    python benchmarks/lab_bench.py --singles 0    # skip it
    python benchmarks/lab_bench.py --no-full      # only the generated form
    python benchmarks/lab_bench.py --spread-only  # the spread planner (no root)
    python benchmarks/lab_bench.py --share-only   # one host's share of a spread lab

One host's share (issue 12): host00's part of the spread planner's
10,004-node lab over 10 hosts, built with one topology run over an underlay
namespace the bench makes (the machine's root namespace is not touched),
judged per node against the single-host N=1000 build of the same run.

The lab is the collection's preset star_chain. The topology module gets it
in two forms: generated on the managed host (`generate: {preset:
star_chain, nodes: N}`, the targets are judged on it) and, for comparison,
the description in full as the lab_preset filter gives it.

Every namespace name starts with a prefix unique to the run, and whatever a
run made is removed at the end, also when it fails. Run as root, with
ansible-playbook and pyroute2 in the interpreter's environment (the project
venv: scripts/run bench).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESET = 'star_chain'


def _lab_module(name):
    """One of the collection's plain-Python lab modules (no Ansible: the
    preset generator, the spread planner), loaded from this checkout."""
    path = os.path.join(REPO, 'plugins', 'module_utils', '_lab', name + '.py')
    spec = importlib.util.spec_from_file_location('vnet_lab_' + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


presets = _lab_module('presets')
spread = _lab_module('spread')


# --- the lab, in the topology module's terms --------------------------------

class LabShape(object):
    """One lab of `count` nodes: preset star_chain (every node on one bridge
    in a namespace of its own, and a veth to the next node in a line), with
    the node names starting with `prefix`."""

    def __init__(self, prefix, count):
        self.prefix = prefix
        self.count = count
        self.params = {'nodes': count, 'prefix': prefix}
        self.topology = presets.lab_preset(dict(self.params, lab=prefix), PRESET)

    def namespaces(self):
        return [node['name'] for node in self.topology['nodes']]

    def description(self, lab):
        """The arguments in full, as a controller-side filter would give them."""
        return dict(self.topology, lab=lab)

    def generated(self, lab):
        """The arguments that have the module generate the same lab."""
        return {'lab': lab, 'generate': dict(self.params, preset=PRESET)}

    def bridge_node(self):
        return dict((b['name'], b['node']) for b in self.topology['bridges'])

    def ip_script(self):
        """The same lab as a shell script of plain `ip` commands."""
        lines = ['set -e']
        for netns in self.namespaces():
            lines.append('ip netns add %s' % netns)
            lines.append('ip -n %s link set lo up' % netns)
        for bridge in self.topology['bridges']:
            lines.append('ip -n %s link add %s type bridge stp_state 0'
                         % (bridge['node'], bridge['name']))
            lines.append('ip -n %s link set %s up' % (bridge['node'], bridge['name']))
        bridge_node = self.bridge_node()
        for link in self.topology['links']:
            ends = [(e.get('node') or bridge_node[e['bridge']], e) for e in link['endpoints']]
            (a, left), (b, right) = ends
            lines.append('ip link add %s netns %s type veth peer name %s netns %s'
                         % (left['name'], a, right['name'], b))
            for netns, end in ends:
                if 'bridge' in end:
                    lines.append('ip -n %s link set %s master %s'
                                 % (netns, end['name'], end['bridge']))
                for cidr in end.get('addresses', []):
                    lines.append('ip -n %s addr add %s dev %s' % (netns, cidr, end['name']))
                lines.append('ip -n %s link set %s up' % (netns, end['name']))
        return '\n'.join(lines) + '\n'

    def ip_teardown_script(self):
        return '\n'.join('ip netns del %s' % n for n in self.namespaces()) + '\n'

    def single_tasks(self, lab):
        """One task per object with the single modules (netns, bridge, veth)."""
        tasks = [{'name': 'namespace %s' % n, 'vnet.linux.netns': {'name': n}}
                 for n in self.namespaces()]
        for bridge in self.topology['bridges']:
            tasks.append({'name': 'bridge', 'vnet.linux.bridge': {
                'name': bridge['name'], 'netns': bridge['node'], 'stp': False,
                'admin_state': 'up'}})
        bridge_node = self.bridge_node()
        for number, link in enumerate(self.topology['links']):
            left, right = link['endpoints']
            peer = {'name': right['name'], 'admin_state': 'up',
                    'netns': right.get('node') or bridge_node[right['bridge']]}
            if 'bridge' in right:
                peer['master'] = right['bridge']
            if right.get('addresses'):
                peer['addresses'] = right['addresses']
            tasks.append({'name': 'veth %d' % number, 'vnet.linux.veth': {
                'name': left['name'], 'netns': left['node'], 'admin_state': 'up',
                'addresses': left.get('addresses', []), 'peer': peer}})
        return tasks


# --- running things -----------------------------------------------------------

def existing_namespaces(prefix):
    try:
        return [n for n in os.listdir('/run/netns') if n.startswith(prefix)]
    except FileNotFoundError:
        return []


def wait_until_gone(prefix, timeout=30.0):
    """Seconds until no namespace with the prefix is left (None: timeout)."""
    start = time.perf_counter()
    while existing_namespaces(prefix):
        if time.perf_counter() - start > timeout:
            return None
        time.sleep(0.005)
    return time.perf_counter() - start


def cleanup(prefix):
    for netns in existing_namespaces(prefix):
        subprocess.call(['ip', 'netns', 'del', netns], stderr=subprocess.DEVNULL)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def loadavg():
    """/proc/loadavg as it is: 1, 5, 15 minute load, running/all tasks."""
    with open('/proc/loadavg') as handle:
        return ' '.join(handle.read().split()[:4])


# --- waiting for a quiet machine ---------------------------------------------

# /proc/stat's cpu line: user nice system idle iowait irq softirq steal (guest
# time is already counted in user and nice)
_IDLE_FIELDS = (3, 4)
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)


def cpu_ticks():
    """(busy, total) clock ticks of all CPUs since boot."""
    with open('/proc/stat') as handle:
        fields = [int(v) for v in handle.readline().split()[1:9]]
    busy = sum(fields[i] for i in _BUSY_FIELDS)
    return busy, busy + sum(fields[i] for i in _IDLE_FIELDS)


def busy_share(window):
    """Share of all CPUs' time (0..1) spent outside idle over `window`
    seconds, softirq and irq included (the kernel's own work counts)."""
    busy, total = cpu_ticks()
    time.sleep(window)
    busy_after, total_after = cpu_ticks()
    return (busy_after - busy) / max(total_after - total, 1)


class Quiet(object):
    """Waits before each measured figure until the machine is quiet.

    A figure taken right after another one pays for kernel work the other
    left running: `ip netns del` returns while a kworker still destroys the
    namespaces (seconds at N=1000), and a freshly built 1000-port bridge
    floods every veth's IPv6 start-up traffic (duplicate address detection,
    router solicitations, MLD reports) to all other ports, ksoftirqd at
    100% for 10 to 60 s. The wait is bounded: a machine busy with other
    work is measured anyway, and the line printed says so."""

    def __init__(self, threshold=0.08, settle=2.0, window=0.25, limit=120.0):
        self.threshold = threshold
        self.settle = settle
        self.window = window
        self.limit = limit

    def wait(self, before):
        start = time.perf_counter()
        first = None
        quiet_for = 0.0
        while quiet_for < self.settle:
            share = busy_share(self.window)
            first = share if first is None else first
            quiet_for = quiet_for + self.window if share < self.threshold else 0.0
            if time.perf_counter() - start >= self.limit:
                break
        waited = time.perf_counter() - start
        print('  (quiet before %s: waited %.1f s%s; busy %.0f%% at start; load %s)'
              % (before, waited, '' if quiet_for >= self.settle else
                 ', NOT quiet after %.0f s' % self.limit, 100 * first, loadavg()),
              flush=True)
        return waited


def run_shell(script):
    """Seconds to run a script, given on stdin (too long for an argument)."""
    start = time.perf_counter()
    subprocess.run(['sh', '-s'], input=script, text=True, check=True)
    return time.perf_counter() - start


class Ansible(object):
    """ansible-playbook against localhost with this checkout as vnet.linux."""

    def __init__(self, workdir):
        self.workdir = workdir
        collections = os.path.join(workdir, 'collections', 'ansible_collections', 'vnet')
        os.makedirs(collections)
        os.symlink(REPO, os.path.join(collections, 'linux'))
        self.env = dict(os.environ,
                        ANSIBLE_COLLECTIONS_PATH=os.path.join(workdir, 'collections'),
                        ANSIBLE_STDOUT_CALLBACK='ansible.builtin.minimal',
                        ANSIBLE_CALLBACKS_ENABLED='ansible.builtin.tree',
                        ANSIBLE_CALLBACK_TREE_DIR=os.path.join(workdir, 'results'),
                        ANSIBLE_LOCALHOST_WARNING='false',
                        ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                        ANSIBLE_HOME=os.path.join(workdir, 'ansible-home'),
                        ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'tmp'))
        self.playbook_bin = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
        if not os.path.exists(self.playbook_bin):
            self.playbook_bin = 'ansible-playbook'
        self.count = 0

    def play(self, tasks):
        """Run the tasks; returns (seconds, the last task's result). The tree
        callback leaves each host's last result in a file."""
        self.count += 1
        path = os.path.join(self.workdir, 'play%d.yml' % self.count)
        with open(path, 'w') as handle:
            json.dump([{'hosts': 'localhost', 'gather_facts': False,
                        'connection': 'local', 'tasks': tasks}], handle)
        result_file = os.path.join(self.workdir, 'results', 'localhost')
        if os.path.exists(result_file):
            os.unlink(result_file)
        start, cpu = time.perf_counter(), children_cpu()
        proc = subprocess.run([self.playbook_bin, '-i', 'localhost,', path], env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              check=False)
        seconds = time.perf_counter() - start
        # CPU seconds of ansible-playbook, its workers and the module: less
        # sensitive than wall time to what else runs on the machine
        self.last_cpu = children_cpu() - cpu
        self.last_result_bytes = os.path.getsize(result_file) \
            if os.path.exists(result_file) else 0
        if proc.returncode != 0:
            raise RuntimeError('ansible-playbook failed:\n%s\n%s' % (proc.stdout[-3000:],
                                                                     proc.stderr[-3000:]))
        with open(result_file) as handle:
            return seconds, json.load(handle)

    def fan_out(self, hosts, tasks):
        """Run the tasks on `hosts` inventory hosts, all of them this
        machine (connection local), with forks for all at once; returns
        (seconds, CPU seconds of the controller, its workers and the modules)."""
        self.count += 1
        path = os.path.join(self.workdir, 'play%d.yml' % self.count)
        with open(path, 'w') as handle:
            json.dump([{'hosts': 'all', 'gather_facts': False, 'connection': 'local',
                        'tasks': tasks}], handle)
        inventory = ','.join('idle%d' % i for i in range(hosts)) + ','
        start, cpu = time.perf_counter(), children_cpu()
        proc = subprocess.run([self.playbook_bin, '-i', inventory, '-f', str(hosts), path],
                              env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError('ansible-playbook failed:\n%s' % proc.stdout[-3000:])
        return time.perf_counter() - start, children_cpu() - cpu

    def topology(self, description, state='present'):
        args = dict(description, state=state)
        if state == 'absent':
            args = {'lab': description['lab'], 'state': 'absent'}
        return self.play([{'name': 'lab', 'vnet.linux.topology': args}])


# --- the benchmark ------------------------------------------------------------

class Figures(object):
    def __init__(self):
        self.rows = []
        self.failures = 0

    def row(self, what, value, target=None, ok=None):
        if ok is False:
            self.failures += 1
        mark = '' if ok is None else ('ok' if ok else 'MISSED')
        self.rows.append((what, value, target or '', mark))
        print('%-58s %-26s %-22s %s' % (what, value, target or '', mark), flush=True)


def measure_ip(shape, figures, label, quiet):
    script = shape.ip_script()
    quiet.wait('the ip script\'s build %s' % label)
    build = run_shell(script)
    quiet.wait('the ip script\'s teardown %s' % label)
    start = time.perf_counter()
    run_shell(shape.ip_teardown_script())
    teardown = time.perf_counter() - start + (wait_until_gone(shape.prefix) or 0)
    figures.row('ip script: build %s (%d commands)' % (label, script.count('\n') - 1),
                '%.2f s' % build)
    figures.row('ip script: teardown %s' % label, '%.2f s' % teardown)
    return build, teardown


# issue 9's targets for the N=1000 lab through ansible-playbook (seconds);
# the teardown's is `ip netns del` of the same namespaces
TARGETS_1000 = {'build': 4.0, 'again': 2.0}


def measure_topology(ansible, shape, lab, figures, label, quiet, ip_build=None,
                     ip_teardown=None, floor=None, form='generate', judge=True):
    """Build, re-run and remove the lab through ansible-playbook, with the
    arguments generated on the host (form 'generate') or given in full
    ('full'). Targets are judged only when `judge`, on a quiet machine; the
    re-run is also measured right after the build, for comparison."""
    description = shape.generated(lab) if form == 'generate' else shape.description(lab)
    label = '%s %s' % (label, 'generated' if form == 'generate' else 'in full')

    def row(what, value, target=None, ok=None):
        figures.row(what, value, target, ok if judge else None)

    quiet.wait('the topology build %s' % label)
    wall, result = ansible.topology(description)
    build_cpu, build_bytes = ansible.last_cpu, ansible.last_result_bytes
    inner = result['timing']['total']
    nodes = shape.count
    row('topology: build %s, ansible-playbook' % label, '%.2f s' % wall,
        '<= ip (%.2f s)' % ip_build if ip_build else None,
        wall <= ip_build if ip_build else None)
    if nodes == 1000:
        row('topology: build %s, ansible-playbook (issue 9)' % label, '%.2f s' % wall,
            '<= %.1f s' % TARGETS_1000['build'], wall <= TARGETS_1000['build'])
    row('  CPU (playbook, workers, module); result size',
        '%.2f s; %d bytes' % (build_cpu, build_bytes))
    if floor:
        row('  above the floor (one-task playbook, %.2f s)' % floor,
            '%.2f s' % (wall - floor))
    row('topology: build %s, module\'s own work' % label, '%.2f s' % inner,
        '<= ip / 2 (%.2f s)' % (ip_build / 2) if ip_build else None,
        inner <= ip_build / 2 if ip_build else None)
    row('  stages', ', '.join('%s %.3f' % (k, v) for k, v in result['timing'].items()
                              if k not in ('total', 'process')))
    if 'process' in result['timing']:
        row('  module process (Python, imports, argument checks, work)',
            '%.2f s' % result['timing']['process'])
    row('  steps', '%d' % result['summary']['steps'])
    # right after the build, the kernel is still busy with the new links'
    # start-up traffic: shown, not judged
    early_wall, early = ansible.topology(description)
    row('topology: second run %s right after the build (not settled)' % label,
        '%.2f s (module %.2f s)' % (early_wall, early['timing']['total']))
    quiet.wait('the second run %s' % label)
    again_wall, again = ansible.topology(description)
    row('topology: second run %s, changed' % label, str(again['changed']),
        'False', again['changed'] is False)
    row('topology: second run %s, ansible-playbook' % label, '%.2f s' % again_wall,
        '<= build / 2 (%.2f s)' % (wall / 2), again_wall <= wall / 2)
    if nodes == 1000:
        row('topology: second run %s, ansible-playbook (issue 9)' % label,
            '%.2f s' % again_wall, '<= %.1f s' % TARGETS_1000['again'],
            again_wall <= TARGETS_1000['again'])
    row('  CPU (playbook, workers, module)', '%.2f s' % ansible.last_cpu)
    row('topology: second run %s, module\'s own work' % label,
        '%.2f s' % again['timing']['total'], '<= build / 2 (%.2f s)' % (inner / 2),
        again['timing']['total'] <= inner / 2)
    row('  stages', ', '.join('%s %.3f' % (k, v) for k, v in again['timing'].items()
                              if k not in ('total', 'process')))
    quiet.wait('the teardown %s' % label)
    down_wall, down = ansible.topology(description, state='absent')
    down_cpu = ansible.last_cpu
    left = existing_namespaces(shape.prefix)
    marked = count_marked_links(lab)
    row('topology: teardown %s, ansible-playbook' % label, '%.2f s' % down_wall,
        '<= 2 x ip (%.2f s)' % (2 * ip_teardown) if ip_teardown else None,
        down_wall <= 2 * ip_teardown if ip_teardown else None)
    if ip_teardown:
        row('topology: teardown %s, ansible-playbook vs ip netns del' % label,
            '%.2f s' % down_wall, '<= ip (%.2f s)' % ip_teardown,
            down_wall <= ip_teardown)
    row('  CPU (playbook, workers, module)', '%.2f s' % down_cpu)
    row('topology: teardown %s, module\'s own work' % label,
        '%.2f s' % down['timing']['total'],
        '<= 2 x ip (%.2f s)' % (2 * ip_teardown) if ip_teardown else None,
        down['timing']['total'] <= 2 * ip_teardown if ip_teardown else None)
    row('topology: after teardown %s: namespaces, marked links' % label,
        '%d, %d' % (len(left), marked), '0, 0', not left and not marked)
    memory = max(result['peak_memory_mb'], again['peak_memory_mb'], down['peak_memory_mb'])
    return {'wall': wall, 'inner': inner, 'nodes': nodes, 'per_node_wall': wall / nodes,
            'per_node_inner': inner / nodes, 'memory': memory}


# --- the spread planner --------------------------------------------------------

def spread_fabric(spines, leaves, hosts_per_leaf, host_count, placement, prefix='',
                  lab='spread'):
    """A leaf-spine lab (every leaf to every spine, each leaf on a LAN of its
    own with its hosts) spread over `host_count` hosts, the node names
    starting with `prefix`."""
    nodes = [{'name': '%ss%d' % (prefix, i)} for i in range(spines)]
    bridges, links = [], []
    for leaf in range(leaves):
        leaf_node, switch = '%sl%d' % (prefix, leaf), '%sw%d' % (prefix, leaf)
        nodes += [{'name': leaf_node, 'weight': 2}, {'name': switch}]
        bridges.append({'name': 'br0', 'node': switch})
        links += [{'endpoints': [{'node': '%ss%d' % (prefix, s), 'name': 'e%d' % leaf},
                                 {'node': leaf_node, 'name': 'u%d' % s}]}
                  for s in range(spines)]
        links.append({'endpoints': [{'node': leaf_node, 'name': 'lan'},
                                    {'bridge': 'br0', 'node': switch, 'name': 'up'}]})
        for host in range(hosts_per_leaf):
            name = '%sh%d.%d' % (prefix, leaf, host)
            nodes.append({'name': name})
            links.append({'endpoints': [{'node': name, 'name': 'eth0'},
                                        {'bridge': 'br0', 'node': switch,
                                         'name': 'p%d' % host}]})
    hosts = dict(('host%02d' % i, {'address': '192.0.2.%d' % (i + 1)})
                 for i in range(host_count))
    return {'lab': lab, 'nodes': nodes, 'bridges': bridges, 'links': links,
            'spread': {'this_host': 'host00', 'hosts': hosts, 'placement': placement}}


def best_of(count, work):
    times = []
    for _attempt in range(count):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure_spread(figures, leaves, host_count):
    """The planner of a lab spread over hosts, pure Python on one core:
    placing the nodes and planning the whole lab, then one host's share
    (what each host computes before its build). Best of 3."""
    for placement in ('balanced', 'compact'):
        lab = spread_fabric(4, leaves, 23, host_count, placement)
        label = '%d nodes over %d hosts, %s' % (len(lab['nodes']), host_count, placement)
        planned, plan = best_of(3, lambda: spread.plan(lab))
        figures.row('spread: place and plan, %s' % label, '%.2f s' % planned)
        shared, share = best_of(3, lambda: spread.share(lab))
        crossing = sum(1 for ends in plan.desc.ends.values()
                       if len(set(plan.where[node] for node, _bridge in ends)) > 1)
        figures.row('spread: plan + one host\'s share, %s' % label,
                    '%.2f s (%d nodes, %d links)' % (shared, len(share['nodes']),
                                                     len(share['links'])),
                    '< 2 s', shared < 2.0)
        figures.row('spread: links crossing hosts, %s' % label,
                    '%d of %d, %d LANs spread' % (crossing, len(plan.desc.ends),
                                                  len(plan.lans)))


# --- one host's share of the spread lab, built here ---------------------------

# a share "within the single-host figures": its build no slower per node than
# 1.25 x the single-host N=1000 lab's, measured in the same run
SHARE_SLACK = 1.25


class ShareLab(object):
    """host00's share of the spread fabric (compact placement), as host00
    builds it, on this machine without touching its root namespace: the
    share's root node (the tunnels' underlay) is replaced by a namespace of
    the bench, which holds host00's underlay address on a veth whose peer
    stays in a second bench namespace (vxlan binds its `local` address)."""

    def __init__(self, prefix, lab, leaves, host_count):
        self.prefix = prefix
        self.underlay, self.peer = prefix + 'ul', prefix + 'up'
        whole = spread_fabric(4, leaves, 23, host_count, 'compact', prefix, lab)
        self.address = whole['spread']['hosts']['host00']['address']
        self.total_nodes, self.host_count = len(whole['nodes']), host_count
        self.whole = whole
        self.description = self._underlay_replaced(spread.share(whole))

    def whole_for_an_idle_host(self):
        """The whole description as every host gets it, for an extra host
        that holds none of it: every node pinned (`host:`) where the compact
        placement put it, so the module on this machine takes, checks and
        plans all 10,004 nodes and builds an empty share (no underlay is
        needed, nothing is made)."""
        where = spread.placement(self.whole)
        hosts = dict(self.whole['spread']['hosts'], idle={'address': '192.0.2.250'})
        nodes = [dict(node, host=where[node['name']]) for node in self.whole['nodes']]
        return dict(self.whole, nodes=nodes,
                    spread=dict(self.whole['spread'], hosts=hosts, this_host='idle'))

    def _underlay_replaced(self, share):
        roots = set(node['name'] for node in share['nodes'] if node.get('root'))
        nodes = [{'name': self.underlay, 'external': True} if node.get('root') else node
                 for node in share['nodes']]
        links = []
        for link in share['links']:
            if any(ep.get('node') in roots for ep in link.get('endpoints') or []):
                raise ValueError('a link of the share ends in its root node: %r' % link)
            if link.get('parent_node') in roots:
                link = dict(link, parent_node=self.underlay)
            links.append(link)
        return dict(share, nodes=nodes, links=links)

    def tunnels(self):
        return [link for link in self.description['links'] if link.get('kind') == 'vxlan']

    def lab_nodes(self):
        return [node['name'] for node in self.description['nodes'] if not node.get('external')]

    def lab_namespaces(self):
        return [n for n in existing_namespaces(self.prefix) if n not in (self.underlay, self.peer)]

    def make_underlay(self):
        run_shell('\n'.join([
            'set -e',
            'ip netns add %s' % self.underlay, 'ip netns add %s' % self.peer,
            'ip -n %s link set lo up' % self.underlay,
            'ip -n %s link add u0 type veth peer name u0 netns %s' % (self.underlay, self.peer),
            'ip -n %s address add %s/24 dev u0' % (self.underlay, self.address),
            'ip -n %s link set u0 up' % self.underlay,
            'ip -n %s link set u0 up' % self.peer]) + '\n')

    def tunnel_witness(self):
        """`ip -d` of one tunnel: (kind, local, link namespace is the underlay's)."""
        tunnel = self.tunnels()[0]
        out = subprocess.run(['ip', '-n', tunnel['node'], '-j', '-d', 'link', 'show',
                              tunnel['name']], stdout=subprocess.PIPE, text=True,
                             check=True).stdout
        entry = json.loads(out)[0]
        return entry['linkinfo']['info_kind'], entry['linkinfo']['info_data'].get('local')


def measure_share(ansible, lab, figures, quiet, reference):
    """Build, re-run and remove host00's share through ansible-playbook;
    `reference` is the single-host N=1000 build of this run (measure_topology's
    figures and the lab's node count), judged per node."""
    nodes, links, tunnels = len(lab.lab_nodes()), len(lab.description['links']), \
        len(lab.tunnels())
    label = 'host00\'s share'
    figures.row('share: %s of %d nodes over %d hosts, compact'
                % (label, lab.total_nodes, lab.host_count),
                '%d nodes, %d links' % (nodes, links), None, None)
    figures.row('  of which vxlan tunnels over the underlay namespace', '%d' % tunnels)
    lab.make_underlay()
    quiet.wait('the share\'s build')
    wall, result = ansible.topology(lab.description)
    build_cpu = ansible.last_cpu
    inner = result['timing']['total']
    allowed = SHARE_SLACK * reference['per_node_wall'] * nodes
    figures.row('share: build, ansible-playbook', '%.2f s' % wall,
                '<= %.2f x N=%d per node (%.2f s)' % (SHARE_SLACK, reference['nodes'], allowed),
                wall <= allowed)
    figures.row('  per node: share / single host', '%.1f / %.1f ms'
                % (1000 * wall / nodes, 1000 * reference['per_node_wall']))
    figures.row('  CPU (playbook, workers, module)', '%.2f s' % build_cpu)
    figures.row('share: build, module\'s own work', '%.2f s' % inner,
                '<= %.2f x N=%d per node (%.2f s)' % (
                    SHARE_SLACK, reference['nodes'],
                    SHARE_SLACK * reference['per_node_inner'] * nodes),
                inner <= SHARE_SLACK * reference['per_node_inner'] * nodes)
    figures.row('  stages', ', '.join('%s %.3f' % (k, v) for k, v in result['timing'].items()
                                      if k not in ('total', 'process')))
    figures.row('  steps', '%d' % result['summary']['steps'])
    figures.row('  a tunnel: kind, local', '%s, %s' % lab.tunnel_witness(),
                'vxlan, %s' % lab.address, lab.tunnel_witness() == ('vxlan', lab.address))
    quiet.wait('the share\'s second run')
    again_wall, again = ansible.topology(lab.description)
    figures.row('share: second run, changed', str(again['changed']), 'False',
                again['changed'] is False)
    figures.row('share: second run, ansible-playbook (module)', '%.2f s (%.2f s)'
                % (again_wall, again['timing']['total']))
    quiet.wait('the share\'s teardown')
    down_wall, down = ansible.topology(lab.description, state='absent')
    left, marked = lab.lab_namespaces(), count_marked_links(lab.description['lab'])
    figures.row('share: teardown, ansible-playbook (module)', '%.2f s (%.2f s)'
                % (down_wall, down['timing']['total']))
    figures.row('share: after teardown: namespaces, marked links', '%d, %d'
                % (len(left), marked), '0, 0', not left and not marked)
    cleanup(lab.prefix)


def measure_whole_description(ansible, lab, figures, quiet):
    """What each host pays for receiving the whole spread description
    rather than its share: Ansible templating and sending it, the module's
    argument checks and the plan of every node, with nothing to build."""
    whole = lab.whole_for_an_idle_host()
    quiet.wait('the whole description\'s run')
    wall, result = ansible.topology(whole)
    figures.row('share: the whole description (%d nodes, %d links) on a host '
                'with no share, ansible-playbook' % (len(whole['nodes']), len(whole['links'])),
                '%.2f s' % wall)
    figures.row('  CPU (playbook, workers, module); module process, own work',
                '%.2f s; %.2f s, %.2f s' % (ansible.last_cpu,
                                            result['timing'].get('process', 0.0),
                                            result['timing']['total']))
    figures.row('  changed, namespaces made', '%s, %d' % (result['changed'],
                                                          len(lab.lab_namespaces())),
                'False, 0', result['changed'] is False and not lab.lab_namespaces())
    process = result['timing'].get('process', 0.0)
    quiet.wait('the whole description to %d hosts' % lab.host_count)
    wall, cpu = ansible.fan_out(lab.host_count, [{'name': 'lab', 'vnet.linux.topology':
                                                  dict(whole, state='present')}])
    figures.row('share: the same to %d hosts at once (forks %d), all of them this machine'
                % (lab.host_count, lab.host_count), '%.2f s' % wall)
    figures.row('  CPU; of it the controller\'s (less %d module processes)' % lab.host_count,
                '%.2f s; %.2f s' % (cpu, cpu - lab.host_count * process))
    return wall


def count_marked_links(lab):
    out = subprocess.run(['ip', '-j', '-d', 'link', 'show'], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    return sum(1 for link in json.loads(out) if link.get('ifalias') == 'vnet:' + lab)


def measure_singles(ansible, shape, lab, figures, topology_wall, quiet):
    tasks = shape.single_tasks(lab)
    quiet.wait('the single modules\' build')
    wall, _last = ansible.play(tasks)
    figures.row('single modules: build N=%d (%d tasks)' % (shape.count, len(tasks)),
                '%.2f s' % wall)
    if topology_wall:
        figures.row('single modules / topology (N=%d)' % shape.count,
                    '%.1fx' % (wall / topology_wall))
    run_shell(shape.ip_teardown_script())
    wait_until_gone(shape.prefix)
    return wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--nodes', type=int, default=100)
    parser.add_argument('--large', type=int, default=1000,
                        help='the larger lab, for time per node and the N=1000 targets '
                             '(0: skip)')
    parser.add_argument('--singles', type=int, default=100,
                        help='nodes for the one-task-per-link comparison (0: skip)')
    parser.add_argument('--no-full', dest='full', action='store_false',
                        help='skip the runs with the description given in full (the '
                             'targets are judged on the generated form)')
    parser.add_argument('--quiet-threshold', type=float, default=8.0,
                        help='before each figure, wait until all CPUs together are busy '
                             'less than this percentage for 2 s (softirq included)')
    parser.add_argument('--quiet-limit', type=float, default=120.0,
                        help='wait at most this many seconds for a quiet machine')
    parser.add_argument('--spread-leaves', type=int, default=400,
                        help='leaves of the leaf-spine lab the spread planner places over '
                             '--spread-hosts hosts (400: 10,004 nodes; 0: skip)')
    parser.add_argument('--spread-hosts', type=int, default=10)
    parser.add_argument('--spread-only', action='store_true',
                        help='only the spread planner\'s figures (no root, no kernel)')
    parser.add_argument('--no-share', dest='share', action='store_false',
                        help='skip building one host\'s share of the spread lab (it runs '
                             'after the --large lab, against its figures)')
    parser.add_argument('--share-only', action='store_true',
                        help='only one host\'s share of the spread lab, after the single-host '
                             '--large lab (generated) it is judged against')
    args = parser.parse_args()
    if args.spread_only:
        figures = Figures()
        measure_spread(figures, args.spread_leaves, args.spread_hosts)
        return 1 if figures.failures else 0
    quiet = Quiet(threshold=args.quiet_threshold / 100.0, limit=args.quiet_limit)
    if os.geteuid() != 0:
        sys.exit('run as root (it creates network namespaces)')
    run_id = '%d' % (os.getpid() % 10000)
    prefixes = dict((k, 'vb%s%s' % (run_id, k))
                    for k in ('i', 't', 's', 'j', 'u', 'f', 'g', 'x'))
    figures = Figures()
    workdir = tempfile.mkdtemp(prefix='vnet-bench-')
    print('load (/proc/loadavg) at start: %s (%d CPUs)' % (loadavg(), os.cpu_count()))
    print('%-58s %-26s %-22s %s' % ('figure', 'value', 'target', ''))
    try:
        ansible = Ansible(workdir)
        share_lab = ShareLab(prefixes['x'], 'bench-%s-x' % run_id, args.spread_leaves,
                             args.spread_hosts) \
            if (args.share or args.share_only) and args.spread_leaves and args.large else None
        if args.share_only:
            if share_lab is None:
                sys.exit('--share-only needs --large and --spread-leaves')
            reference = measure_topology(ansible, LabShape(prefixes['u'], args.large),
                                         'bench-%s-u' % run_id, figures, 'N=%d' % args.large,
                                         quiet, judge=False)
            measure_share(ansible, share_lab, figures, quiet, reference)
            measure_whole_description(ansible, share_lab, figures, quiet)
            quiet.wait('the floor')
            figures.row('ansible-playbook fixed cost (one ping task)', '%.2f s' % min(
                ansible.play([{'name': 'nothing', 'ansible.builtin.ping': {}}])[0]
                for _attempt in range(2)))
            return finish(figures)
        if args.spread_leaves:
            quiet.wait('the spread planner')
            measure_spread(figures, args.spread_leaves, args.spread_hosts)
        quiet.wait('the floor')
        fixed = min(ansible.play([{'name': 'nothing', 'ansible.builtin.ping': {}}])[0]
                    for _attempt in range(2))
        figures.row('ansible-playbook fixed cost (one ping task)', '%.2f s' % fixed)
        n = args.nodes
        ip_build, ip_teardown = measure_ip(LabShape(prefixes['i'], n), figures, 'N=%d' % n,
                                           quiet)
        small = measure_topology(ansible, LabShape(prefixes['t'], n), 'bench-%s-t' % run_id,
                                 figures, 'N=%d' % n, quiet, ip_build, ip_teardown, fixed)
        memory = small['memory']
        if args.full:
            full = measure_topology(ansible, LabShape(prefixes['f'], n), 'bench-%s-f' % run_id,
                                    figures, 'N=%d' % n, quiet, ip_build, ip_teardown,
                                    fixed, form='full', judge=False)
            memory = max(memory, full['memory'])
        if args.large:
            big_n = args.large
            print('load (/proc/loadavg) before N=%d: %s' % (big_n, loadavg()))
            big_ip = measure_ip(LabShape(prefixes['j'], big_n), figures, 'N=%d' % big_n,
                                quiet)
            big = measure_topology(ansible, LabShape(prefixes['u'], big_n),
                                   'bench-%s-u' % run_id, figures, 'N=%d' % big_n, quiet,
                                   big_ip[0], big_ip[1], fixed)
            memory = max(memory, big['memory'])
            if args.full:
                full = measure_topology(ansible, LabShape(prefixes['g'], big_n),
                                        'bench-%s-g' % run_id, figures, 'N=%d' % big_n,
                                        quiet, big_ip[0], big_ip[1], fixed, form='full',
                                        judge=False)
                memory = max(memory, full['memory'])
            if share_lab:
                measure_share(ansible, share_lab, figures, quiet, big)
            ratio_inner = big['per_node_inner'] / small['per_node_inner']
            ratio_wall = big['per_node_wall'] / small['per_node_wall']
            figures.row('time per node N=%d / N=%d, module\'s own work' % (big_n, n),
                        '%.2f (%.1f / %.1f ms)' % (ratio_inner, big['per_node_inner'] * 1000,
                                                   small['per_node_inner'] * 1000),
                        '<= 1.3', ratio_inner <= 1.3)
            figures.row('time per node N=%d / N=%d, ansible-playbook' % (big_n, n),
                        '%.2f (%.1f / %.1f ms)' % (ratio_wall, big['per_node_wall'] * 1000,
                                                   small['per_node_wall'] * 1000),
                        '<= 1.3', ratio_wall <= 1.3)
        figures.row('module peak memory (max of all runs)', '%.1f MB' % memory, '< 150 MB',
                    memory < 150)
        if args.singles:
            shape = LabShape(prefixes['s'], args.singles)
            reference = small['wall'] if args.singles == n else None
            if reference is None:
                quiet.wait('the topology build N=%d' % args.singles)
                wall, _result = ansible.topology(shape.description('bench-%s-s' % run_id))
                ansible.topology(shape.description('bench-%s-s' % run_id), state='absent')
                reference = wall
                figures.row('topology: build N=%d, ansible-playbook' % args.singles,
                            '%.2f s' % wall)
            measure_singles(ansible, shape, 'bench-%s-s' % run_id, figures, reference, quiet)
    finally:
        for prefix in prefixes.values():
            cleanup(prefix)
        subprocess.call(['rm', '-rf', workdir])
    return finish(figures)


def finish(figures):
    print('\nload (/proc/loadavg) at end: %s' % loadavg())
    print('%d target(s) missed' % figures.failures)
    return 1 if figures.failures else 0


if __name__ == '__main__':
    sys.exit(main())
