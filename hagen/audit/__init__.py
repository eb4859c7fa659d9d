"""hagen audit: what each single failure does to each HA cell, and the single points of
failure left (guide tables 2.1.1, 5.7, 8.3).

The site is compiled as a build would (hagen.pipeline.compile_site, nothing written)
so that the audit reads the cluster.conf files really written; hagen.audit.facts turns
each cell into facts, hagen.audit.failures plays every single failure on them and
hagen.audit.findings lists the SPOFs and warnings. The result is one plain document
(`document()`): hagen.audit.report writes it as text or JSON, hagen.audit.svg as a
picture. Nothing in it is a secret: fence passwords are never read out of cluster.conf.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

FORMAT = "hagen-audit/1"


def compile_for_audit(site_path, db=None, snapshot=None):
    """The compiled site, against an empty output tree (config_version 1, nothing read or written)."""
    from hagen.emit import OutputTree
    from hagen.pipeline import compile_site

    with tempfile.TemporaryDirectory(prefix="hagen-audit-") as tmp:
        return compile_site(site_path, OutputTree(Path(tmp) / "out"), db, snapshot)


def document(compiled, today=None) -> dict:
    from hagen.audit.facts import cell_facts
    from hagen.audit.failures import analyse
    from hagen.audit.findings import findings

    cells = []
    for facts in cell_facts(compiled):
        cells.append({**cell_summary(facts),
                      "failures": analyse(facts, compiled.model),
                      "findings": findings(facts, compiled.model, compiled.site)})
    every = [f for c in cells for f in c["findings"]]
    used = accept_findings(compiled, every, today)
    names, why = not_covered(compiled)
    open_ = [f for f in every if not f["accepted"]]
    return {
        "format": FORMAT,
        "cluster": compiled.model.cluster.name,
        "cells": cells,
        "accepted_reports": [r.to_json() for r in compiled.warnings if r.accepted],
        "not_audited": names,
        "not_audited_why": why,
        "summary": {"cells": len(cells), "spofs": sum(f["spof"] for f in open_),
                    "warnings": sum(not f["spof"] for f in open_),
                    "accepted": len(every) - len(open_) + sum(bool(r.accepted) for r in compiled.warnings)},
        "unused_acceptances": sorted(used),
    }


def accept_findings(compiled, every: list[dict], today=None) -> set[int]:
    """Mark each finding an audit.accepted entry in force accepts (its reason in `accepted`);
    the entries of audit codes that accepted nothing (their indexes), for HA1012."""
    from hagen.check.accepted import accepting, in_force
    from hagen.codes import AUDIT_CODES

    entries = in_force(compiled.site, today)
    used = set()
    for f in every:
        cell = next(c for c in compiled.model.cells if c.name == f["cell"])
        entry = accepting(entries, compiled.model, f["code"], f["cell"], set(f["subjects"]) & set(cell.nodes))
        if entry is not None:
            used.add(entry.index)
            f["accepted"] = entry.describe()
    return {a.index for a in entries if a.code in AUDIT_CODES and a.index not in used}


def unused_warnings(compiled, doc: dict) -> list:
    """HA1012 for each audit.accepted entry of an audit code that matches no finding."""
    from hagen.check.accepted import acceptances, unused

    entries = [a for a in acceptances(compiled.site) if a.index in doc["unused_acceptances"]]
    return unused(compiled.site, entries, set(), lambda code: True)


def not_covered(compiled) -> tuple[list[str], str]:
    """The cells the audit and the runbook say nothing of, and why ("" when there are none):
    both read the cluster.conf the build writes (hagen.audit.facts), and some cells have none."""
    from hagen.audit.facts import CLUSTER_CONF
    from hagen.check.target import EL9
    from hagen.model.names import natural_key

    written = {f.host for f in compiled.files if f.path == CLUSTER_CONF}
    names = sorted((c.name for c in compiled.model.cells if written.isdisjoint(c.nodes)), key=natural_key)
    if not names:
        return [], ""
    if compiled.site.get("target") == EL9:
        return names, (f"target {EL9}: the build writes Pacemaker's CIB for them, and the audit and the "
                       "runbook read Cluster Suite's cluster.conf")
    return names, "the build writes no cluster.conf for them (no section of the site spec)"


def uncovered_warning(site, names: list[str]) -> list:
    """HA176 when the site's target leaves the cells names (not_covered's) out of the audit and
    the runbook: an empty audit must not read as a cluster without single points of failure."""
    from hagen.check.target import EL9
    from hagen.model.names import fold
    from hagen.reports import warning

    if not names or site.get("target") != EL9:
        return []
    return [warning("HA176", site.where("target"),
                    f"the audit and the runbook do not cover target {EL9}: {fold(names)} not analysed "
                    "(they read Cluster Suite's cluster.conf; this build writes Pacemaker's CIB)",
                    "audit the same inventory with target: rhel5-cman for its networks, disks and fencing "
                    "paths; on the cells, `crm_verify -L -V` and `pcs status` check Pacemaker's own view")]


def cell_summary(facts) -> dict:
    from hagen.audit.facts import fence_route

    return {
        "name": facts.name,
        "type": facts.type,
        "cluster_name": facts.cluster_name,
        "heartbeat": facts.heartbeat,
        "nodes": [{
            "name": n.name,
            "heartbeat_host": n.heartbeat_host,
            "links": [{"network": ln.network, "interface": ln.interface, "slaves": list(ln.slaves)} for ln in n.links],
            "fencing": None if n.fencing is None else {
                "device": n.fencing.device, "agent": n.fencing.agent, "address": n.fencing.address,
                "login": n.fencing.login, "lanplus": n.fencing.lanplus, "controller": n.fencing.controller,
                "controller_network": n.fencing.controller_network,
                "fenced_by": facts.peer(n.name).name if facts.peer(n.name) else None,
                "via": fence_route(facts, facts.peer(n.name), n) if facts.peer(n.name) else None},
        } for n in facts.nodes],
        "quorum": {"two_node": facts.quorum.two_node, "expected_votes": facts.quorum.expected_votes,
                   "device": facts.quorum.device, "label": facts.quorum.label,
                   "heuristics": list(facts.quorum.heuristics)},
        "services": [{"name": s.name, "members": list(s.members), "autostart": s.autostart, "recovery": s.recovery,
                      "scripts": list(s.scripts), "addresses": list(s.addresses), "watched": list(s.watched),
                      "filesystems": [{"device": d, "mount_point": m} for d, m in s.filesystems]}
                     for s in facts.services],
        "storage": {"disk_arrays": list(facts.disk_arrays),
                    "devices": [{"path": d.path, "use": d.use, "disk_array": d.array} for d in facts.devices]},
        "aliases": [{"name": a.name, "network": a.network, "address": a.address} for a in facts.aliases],
    }


def has_spof(doc: dict) -> bool:
    """Whether a single point of failure is left that the site has not accepted (exit 1)."""
    return doc["summary"]["spofs"] > 0
