"""hagen audit: what each single failure does to each HA cell, and the single points of
failure left (guide tables 2.1.1, 5.7, 8.3).

The site is compiled as a build would (hagen.compile.pipeline.compile_site, nothing written)
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
    from hagen.compile.pipeline import compile_site

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
    cells += el9_cells(compiled)
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


def el9_cells(compiled) -> list[dict]:
    """The cells of target el9-pacemaker, from the CIB and corosync.conf the build writes
    (hagen.audit.el9_facts), in the same document as cman cells (`stack: el9-pacemaker`)."""
    from hagen.audit.el9_facts import el9_cell_facts
    from hagen.audit.el9_failures import analyse
    from hagen.audit.el9_findings import findings
    from hagen.audit.el9_report import cell_summary

    return [{**cell_summary(facts), "failures": analyse(facts, compiled.model),
             "findings": findings(facts, compiled.model, compiled.site)} for facts in el9_cell_facts(compiled)]


def accept_findings(compiled, every: list[dict], today=None) -> set[int]:
    """Mark each finding an audit.accepted entry in force accepts (its reason in `accepted`);
    the entries of audit codes that accepted nothing (their indexes), for HA1012."""
    from hagen.check.accepted import accepting, in_force
    from hagen.base.codes import AUDIT_CODES

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
    they read the cluster.conf (rhel5-cman) or the CIB and corosync.conf (el9-pacemaker) the
    build writes, and the build writes none for a cell whose section the site spec lacks."""
    from hagen.check.target import EL9
    from hagen.kinds import registry
    from hagen.kinds.planning import target_of
    from hagen.model.names import natural_key

    el9 = compiled.site.get("target") == EL9
    kinds = registry()
    read = {k.name for k in kinds if k.audited and target_of(compiled.site) in k.targets}   # the kinds the audit reads
    written = {}
    for f in compiled.files:
        kind = kinds.of_template(f.template, f.link_target)
        if kind.name in read:
            written.setdefault(f.host, set()).add(kind.name)
    names = sorted((c.name for c in compiled.model.cells
                    if not any(written.get(n) == read for n in c.nodes)), key=natural_key)
    if not names:
        return [], ""
    if el9:
        return names, f"target {EL9}: the build writes no CIB and corosync.conf for them (no section of the site spec)"
    return names, "the build writes no cluster.conf for them (no section of the site spec)"


def uncovered_warning(site, names: list[str]) -> list:
    """HA176 when an el9-pacemaker build writes no CIB for the cells names (not_covered's), so that
    the audit and the runbook leave them out: an empty audit must not read as a cluster without
    single points of failure."""
    from hagen.check.target import EL9
    from hagen.model.names import fold
    from hagen.base.reports import warning

    if not names or site.get("target") != EL9:
        return []
    return [warning("HA176", site.where("target"),
                    f"{fold(names)} not analysed: the build writes no CIB and corosync.conf for them "
                    f"(target {EL9}), so the audit and the runbook have nothing to read",
                    "give the site spec the section of those cells (management, lustre, nfs); an empty audit "
                    "is not a cluster without single points of failure")]


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
