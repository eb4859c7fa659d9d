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


def document(compiled) -> dict:
    from hagen.audit.facts import cell_facts
    from hagen.audit.failures import analyse
    from hagen.audit.findings import SPOF, findings
    from hagen.model.names import natural_key

    cells = []
    for facts in cell_facts(compiled):
        cells.append({**cell_summary(facts),
                      "failures": analyse(facts, compiled.model),
                      "findings": findings(facts, compiled.model, compiled.site)})
    every = [f for c in cells for f in c["findings"]]
    audited = {c["name"] for c in cells}
    return {
        "format": FORMAT,
        "cluster": compiled.model.cluster.name,
        "cells": cells,
        # cells the build writes no cluster.conf for: nothing to read their behaviour from
        "not_audited": sorted((c.name for c in compiled.model.cells if c.name not in audited), key=natural_key),
        "summary": {"cells": len(cells), "spofs": sum(f["severity"] == SPOF for f in every),
                    "warnings": sum(f["severity"] != SPOF for f in every)},
    }


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
    return doc["summary"]["spofs"] > 0
