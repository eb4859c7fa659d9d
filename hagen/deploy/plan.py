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

import json
import os
import stat
from dataclasses import dataclass, field

from hagen.deploy.fanout import MODE, SHA256, plain_host, plain_path
from hagen.deploy.state import holds
from hagen.errors import InputRefused
from hagen.model.names import natural_key
from hagen.reports import Where, error

PLAN_FORMAT = "hagen-push-plan/1"
MAX_PLAN_BYTES = 64 << 20


@dataclass
class Plan:
    send: list[tuple[str, str, dict]] = field(default_factory=list)    # (host, path, manifest-like entry)
    remove: list[tuple[str, str]] = field(default_factory=list)
    up_to_date: set = field(default_factory=set)                      # hosts with nothing to do


def _refuse(where: str, key: str, why: str) -> InputRefused:
    return InputRefused(f"the push plan {where} cannot be used: nothing was sent",
                        reports=[error("HA141", Where(file=where, key=key), why,
                                       "write the plan again with `hagen diff --save-plan FILE`")])


def read_plan(path) -> dict:
    """The plan file, validated: {"send": [...], "remove": [...]}. Refused (HA141, exit 2) otherwise."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_PLAN_BYTES:
                raise _refuse(where, "", "is not a regular file of reasonable size")
            with os.fdopen(fd, "rb", closefd=False) as f:
                plan = json.loads(f.read())
        finally:
            os.close(fd)
    except OSError as exc:
        raise _refuse(where, "", f"cannot be read: {exc.strerror}")
    except (ValueError, RecursionError) as exc:
        raise _refuse(where, "", f"is not JSON: {exc}")
    if not isinstance(plan, dict) or plan.get("format") != PLAN_FORMAT:
        raise _refuse(where, "format", f"is not a {PLAN_FORMAT} document")
    for kind in ("send", "remove"):
        items = plan.get(kind, [])
        if not isinstance(items, list):
            raise _refuse(where, kind, f"{kind} is not a list")
        for i, item in enumerate(items):
            why = _bad_item(kind, item)
            if why:
                raise _refuse(where, f"{kind}[{i}]", why)
    return {"send": plan.get("send", []), "remove": plan.get("remove", [])}


def _bad_item(kind: str, item) -> str | None:
    if not isinstance(item, dict):
        return "is not an object"
    if not plain_host(item.get("host")):
        return f"host {item.get('host')!r} is not a plain host name"
    if not plain_path(item.get("path")):
        return f"path {item.get('path')!r} is not a normalised absolute path"
    if kind == "remove":
        return None if set(item) == {"host", "path"} else "a remove entry holds host and path only"
    if item.get("type") == "symlink":
        target = item.get("target")
        ok = set(item) == {"host", "path", "type", "target"} and isinstance(target, str) and target.isprintable()
        return None if ok and target else "a link entry holds host, path, type and a printable target"
    ok = set(item) == {"host", "path", "sha256", "mode"} and isinstance(item.get("sha256"), str) \
        and bool(SHA256.match(item["sha256"])) and isinstance(item.get("mode"), str) and bool(MODE.match(item["mode"]))
    return None if ok else "a send entry holds host, path, sha256 and mode (0644)"


def _chosen(host: str, only: set | None, exclude: set | None) -> bool:
    return (only is None or host in only) and not (exclude and host in exclude)


def from_tree(entries: dict, nodes: dict, only=None, exclude=None, prune=False) -> tuple[Plan, list]:
    """What differs between the manifest entries ({(host, path): entry}) and what the record
    says each node holds. Returns the plan and the (host, path) pairs the nodes hold that the
    build no longer has (removed only with prune)."""
    plan = Plan()
    hosts = {h for h, _ in entries if _chosen(h, only, exclude)}
    busy = set()
    for (host, path), entry in sorted(entries.items(), key=lambda kv: (natural_key(kv[0][0]), kv[0][1])):
        if host in hosts and not holds(nodes.get(host), path, entry):
            plan.send.append((host, path, entry))
            busy.add(host)
    vanished = []
    for host in sorted(nodes, key=natural_key):
        if not _chosen(host, only, exclude):
            continue
        for path, have in sorted(nodes[host].get("files", {}).items()):
            if not have.get("missing") and (host, path) not in entries:
                vanished.append((host, path))
                if prune:
                    plan.remove.append((host, path))
                    busy.add(host)
    plan.up_to_date = hosts - busy
    return plan, vanished


def from_file(plan_doc: dict, entries: dict, where: str, only=None, exclude=None) -> Plan:
    """The reviewed plan, checked against the output tree: refused (HA942) if any file it sends
    is no longer what the manifest holds."""
    plan, changed = Plan(), []
    for i, item in enumerate(plan_doc["send"]):
        entry = entries.get((item["host"], item["path"]))
        if item.get("type") == "symlink":
            same = entry is not None and entry.get("type") == "symlink" and entry["target"] == item["target"]
        else:
            same = entry is not None and entry.get("type") != "symlink" and entry["sha256"] == item["sha256"] \
                and entry["mode"] == item["mode"]
        if not same:
            changed.append(error("HA942", Where(file=where, key=f"send[{i}]"),
                                 f"{item['path']} on {item['host']} is not what the output tree holds now",
                                 "review again: `hagen diff --save-plan FILE`, then push that plan"))
        elif _chosen(item["host"], only, exclude):
            plan.send.append((item["host"], item["path"], entry))
    if changed:
        raise InputRefused("the output tree changed since the plan was written: nothing was sent", reports=changed)
    plan.remove = [(r["host"], r["path"]) for r in plan_doc["remove"] if _chosen(r["host"], only, exclude)]
    return plan
