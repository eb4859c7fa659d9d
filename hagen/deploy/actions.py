"""What makes a node take a file: the follow-up action its kind declares (hagen.kinds).

A file's kind is its template's (the manifest records it). A file without an action is
read when next used (the /etc/HA lists and scripts at the next failover, ifcfg at the
next ifup, /etc/hosts at once). `{path}` and `{config_version}` are filled in from the
file sent.

How often an action runs is the kind's `runs`: CELL, the action acts on the whole HA
cell from one node (ccs_tool update propagates cluster.conf to every member and
cman_tool version -r tells them all), so it runs on one node of each cell only; CLUSTER,
on one node for the whole cluster (the first in natural order of those that received
the file); NODE, on every node that received the file, one node of each HA cell at a
time, so that a cell never loses both nodes' service to a reload that goes wrong.
"""

from __future__ import annotations

from hagen.kinds import CELL, CLUSTER, registry
from hagen.model.names import natural_key


def action_for(template: str, path: str, config_version: int | None) -> str | None:
    return registry().of_template(template).action_for(path, config_version)


def cells(manifest_by_key: dict) -> list[list[str]]:
    """The HA cells: the node sets sharing one copy of a file whose kind is a cell's
    configuration (cluster.conf, corosync.conf), in natural order."""
    kinds = registry()
    groups: dict = {}
    for (host, path), entry in manifest_by_key.items():
        if kinds.of_template(entry.template, entry.target).cell_config:
            groups.setdefault((path, entry.sha256), []).append(host)
    return sorted((sorted(g, key=natural_key) for g in groups.values()), key=lambda g: natural_key(g[0]))


def waves(hosts, cell_list: list[list[str]], runs: str) -> list[list[str]]:
    """hosts split into calls: the k-th call holds the k-th node of each cell (and, in the
    first call, every host in no cell). CELL: the first call only; CLUSTER: its first host."""
    hosts = set(hosts)
    if runs == CLUSTER:
        return [sorted(hosts, key=natural_key)[:1]] if hosts else []
    first = set(hosts)
    rest: list[set] = []
    for cell in cell_list:
        mine = [h for h in cell if h in hosts]
        for h in mine:
            first.discard(h)
        if not mine:
            continue
        first.add(mine[0])
        for k, h in enumerate(mine[1:]):
            if runs == CELL:
                break
            while len(rest) <= k:
                rest.append(set())
            rest[k].add(h)
    return [sorted(w, key=natural_key) for w in [first, *rest] if w]


def wanted_actions(sent) -> list[tuple[str, str, list[str]]]:
    """[(command, runs, hosts)] for sent, an iterable of (host, path, template, config_version)
    of the files that landed: one entry per command, in the order of the kinds' actions."""
    kinds = registry()
    wanted: dict = {}
    for host, path, template, version in sent:
        kind = kinds.of_template(template)
        command = kind.action_for(path, version)
        if command:
            wanted.setdefault((kinds.action_rank(template), command, kind.runs), []).append(host)
    return [(command, runs, hosts) for (_, command, runs), hosts in sorted(wanted.items())]
