"""What makes a node take a file: the follow-up action each artifact kind declares.

Keyed by the template that renders the file (the manifest records it), so that adding
an artifact kind adds one line here. A file without an action is read when next used
(the /etc/HA lists and scripts at the next failover, ifcfg at the next ifup, /etc/hosts
at once). `{path}` and `{config_version}` are filled in from the file sent.

`once_per_cell`: the action acts on the whole HA cell from one node (ccs_tool update
propagates cluster.conf to every member and cman_tool version -r tells them all), so it
runs on one node of each cell only. Every other action runs on every node that received
the file, one node of each HA cell at a time, so that a cell never loses both nodes'
service to a reload that goes wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from hagen.kinds.formats import CHRONY, CIB, COROSYNC
from hagen.model.names import natural_key


@dataclass(frozen=True)
class Action:
    command: str
    once_per_cell: bool = False


_CMAN = Action("ccs_tool update {path} && cman_tool version -r {config_version}", once_per_cell=True)

ACTIONS: dict[str, Action] = {
    "cluster/mngt.conf.xml.j2": _CMAN,
    "cluster/lustre.conf.xml.j2": _CMAN,
    "cluster/nfs.conf.xml.j2": _CMAN,
    "batch/slurm.conf.j2": Action("scontrol reconfigure"),
    "nfs/exports.j2": Action("exportfs -ra"),
    "mngt/syslog-ng.conf.j2": Action("service syslog-ng reload"),
    "mngt/ntp.conf.j2": Action("service ntpd restart"),
    "batch/pbs.conf.j2": Action("service pbs restart"),
    # target el9-pacemaker: each format says what makes a node take it
    "el9/cib.xml.j2": Action(CIB.reload, once_per_cell=True),            # the apply script replaces the cell's CIB
    "el9/corosync.conf.j2": Action(COROSYNC.reload, once_per_cell=True),  # corosync-cfgtool -R reloads every member
    "el9/chrony.conf.j2": Action(CHRONY.reload),
}

CELL_TEMPLATES = {"cluster/mngt.conf.xml.j2", "cluster/lustre.conf.xml.j2", "cluster/nfs.conf.xml.j2",
                  "el9/corosync.conf.j2"}


def action_for(template: str, path: str, config_version: int | None) -> str | None:
    action = ACTIONS.get(template)
    if action is None:
        return None
    import shlex

    # the command runs in a shell on the node: the path (from the manifest) goes quoted
    return action.command.format(path=shlex.quote(path),
                                 config_version=config_version if config_version is not None else "")


def cells(manifest_by_key: dict) -> list[list[str]]:
    """The HA cells: the node sets sharing one cluster.conf, in natural order."""
    groups: dict = {}
    for (host, path), entry in manifest_by_key.items():
        if entry.template in CELL_TEMPLATES:
            groups.setdefault((path, entry.sha256), []).append(host)
    return sorted((sorted(g, key=natural_key) for g in groups.values()), key=lambda g: natural_key(g[0]))


def waves(hosts, cell_list: list[list[str]], once_per_cell: bool) -> list[list[str]]:
    """hosts split into calls: the k-th call holds the k-th node of each cell (and, in the
    first call, every host in no cell). once_per_cell: the first call only."""
    hosts = set(hosts)
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
            if once_per_cell:
                break
            while len(rest) <= k:
                rest.append(set())
            rest[k].add(h)
    return [sorted(w, key=natural_key) for w in [first, *rest] if w]
