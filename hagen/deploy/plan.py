"""What a push sends: from the output tree and the nodes' record, or from a reviewed plan.

A reviewed plan is the file `hagen diff --save-plan` writes:

    {"format": "hagen-push-plan/1",
     "send": [{"host": "ns0", "path": "/etc/hosts", "sha256": "...", "mode": "0644"},
              {"host": "xena1", "path": "/usr/sbin/x", "type": "symlink", "target": "/usr/sbin/y"}],
     "remove": [{"host": "ns0", "path": "/etc/modprobe.conf"}]}

`push --plan` sends exactly that, and refuses (HA942) if the output tree changed since:
a send entry whose (host, path) the manifest no longer has with that sha256 and mode
(or link target).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from hagen.deploy.pushplan import PushPlan, load_plan
from hagen.deploy.removals import written_paths
from hagen.emit.manifest import ManifestEntry, same_file
from hagen.emit.nodes import Node
from hagen.base.errors import InputRefused
from hagen.model.names import natural_key
from hagen.base.reports import Where, error


@dataclass
class Plan:
    send: list[tuple[str, str, ManifestEntry]] = field(default_factory=list)    # (host, path, its manifest entry)
    remove: list[tuple[str, str]] = field(default_factory=list)
    up_to_date: set = field(default_factory=set)                      # hosts with nothing to do
    remove_keys: list[str] | None = None                              # where each removal is in a plan file
    folders: dict = field(default_factory=dict)    # host -> the folders the record says it has (no mkdir there)


def read_plan(path) -> PushPlan:
    """The plan file `hagen diff --save-plan` wrote, every field checked (hagen.deploy.pushplan).
    Refused (HA133, exit 2) otherwise."""
    return load_plan(path)


def _chosen(host: str, only: set | None, exclude: set | None) -> bool:
    return (only is None or host in only) and not (exclude and host in exclude)


def from_tree(entries: dict[tuple[str, str], ManifestEntry], nodes: Mapping[str, Node], only=None, exclude=None,
              prune=False) -> tuple[Plan, list]:
    """What differs between the manifest entries ({(host, path): entry}) and what the record
    says each node holds. Returns the plan and the (host, path) pairs push wrote on a host of
    the build that the build no longer has (removed only with prune, as hagen.deploy.removals
    allows)."""
    plan = Plan()
    hosts = {h for h, _ in entries if _chosen(h, only, exclude)}
    busy = set()
    for (host, path), entry in sorted(entries.items(), key=lambda kv: (natural_key(kv[0][0]), kv[0][1])):
        if host in hosts and not (host in nodes and nodes[host].holds(path, entry)):
            plan.send.append((host, path, entry))
            busy.add(host)
    vanished = []
    for host in sorted(hosts, key=natural_key):        # a host of the build only: never one the record alone names
        for path in sorted(written_paths(nodes.get(host))):
            if (host, path) not in entries:
                vanished.append((host, path))
                if prune:
                    plan.remove.append((host, path))
                    busy.add(host)
    plan.up_to_date = hosts - busy
    plan.folders = {host: _folders(nodes.get(host)) for host in busy}
    return plan, vanished


def _folders(node: Node | None) -> set:
    """The folders a node has as far as the record knows: those of each file it confirmed
    or gather saw there (a missing one says nothing of its folder)."""
    import posixpath

    files = node.files if node is not None else {}
    return {posixpath.dirname(p) for p, state in files.items() if not state.missing}


def from_file(reviewed: PushPlan, entries: dict[tuple[str, str], ManifestEntry], where: str, only=None,
              exclude=None) -> Plan:
    """The reviewed plan, checked against the output tree: refused (HA942) if any file it sends
    is no longer what the manifest holds."""
    plan, changed = Plan(), []
    for i, item in enumerate(reviewed.send):
        entry = entries.get((item.host, item.path))
        if not same_file(entry, item):
            changed.append(error("HA942", Where(file=where, key=f"send[{i}]"),
                                 f"{item.path} on {item.host} is not what the output tree holds now",
                                 "review again: `hagen diff --save-plan FILE`, then push that plan"))
        elif _chosen(item.host, only, exclude):
            plan.send.append((item.host, item.path, entry))
    if changed:
        raise InputRefused("the output tree changed since the plan was written: nothing was sent", reports=changed)
    plan.remove = [(host, path) for host, path in reviewed.remove if _chosen(host, only, exclude)]
    plan.remove_keys = [f"remove[{i}]" for i, (host, _) in enumerate(reviewed.remove) if _chosen(host, only, exclude)]
    return plan


def selection_refused(only, skip, built: set) -> None:
    """-w/-x must select hosts of the build (HA135): an empty or foreign selection is a usage
    error, never "every node holds the build"."""
    from hagen.base.errors import UsageError
    from hagen.base.reports import Where, error

    for option, chosen in (("-w", only), ("-x", skip)):
        if chosen is not None and not chosen & built:
            raise UsageError(reports=[error("HA135", Where(key=option), f"{option} names no host of the build",
                                            "name hosts the build makes (`hagen explain` lists them)")])
    if only is not None and not (only & built) - (skip or set()):
        raise UsageError(reports=[error("HA135", Where(key="-x"), "-w and -x together leave no host of the build",
                                        "name hosts the build makes")])
