"""One use per LUN (guide 5.3, 8.1): a shared device holds one thing. The management
pair's mnttab, the NFS exports, every cell's quorum disk, the Lustre MDT and OST
devices and the OCFS2 partition never name one device twice.

Device names are seen from nodes: /dev/sdf on the management pair and /dev/sdf on an
I/O cell are two LUNs. Two uses clash when they name one device on a node they share.
"""

from __future__ import annotations

from dataclasses import dataclass

from hagen.model.mngt import management_cell
from hagen.model.nfs import exports
from hagen.base.reports import Where, error


@dataclass(frozen=True, slots=True)
class Use:
    device: str
    what: str                          # "management.mnttab[2] (/varha)"
    nodes: frozenset
    where: Where


def uses(model, site) -> list[Use]:
    """Every device use, in the order: mnttab, exports, quorum disks, Lustre targets, OCFS2."""
    out = []
    mngt = management_cell(model)
    pair = frozenset(mngt.nodes) if mngt else frozenset()
    if mngt and site.get("management") is not None:
        for i, entry in enumerate(site.get("management", "mnttab") or []):
            out.append(Use(entry["device"], f"management.mnttab[{i}] (mounted on {entry['mount_point']})", pair,
                           site.where("management", "mnttab", i, "device")))
    cells = {c.name: c for c in model.cells}
    for e in exports(model, site):
        if e.cell in cells:
            out.append(Use(e.device, f"nfs.exports[{e.index}] (exported as {e.mount_point})",
                           frozenset(cells[e.cell].nodes), site.where("nfs", "exports", e.index, "device")))
    for cell in model.cells:
        if cell.quorum_device:
            out.append(Use(cell.quorum_device, f"the quorum disk of cell {cell.name}", frozenset(cell.nodes),
                           Where(table="da_iocell", row=f"name={cell.name}")))
    for t in model.lustre_targets:
        out.append(Use(t.device, f"Lustre {t.kind.upper()} {t.name}", frozenset(t.nodes),
                       Where(table=t.table, row=f"{t.kind}_name={t.name}")))
    ocfs2 = site.get("batch", "ocfs2")
    if ocfs2 and ocfs2.get("device") and mngt:
        out.append(Use(ocfs2["device"], f"the OCFS2 file system ({ocfs2['mount_point']})", pair,
                       site.where("batch", "ocfs2", "device")))
    return out


def check(model, site) -> list:
    reports = []
    by_device: dict[str, list[Use]] = {}
    for use in uses(model, site):
        by_device.setdefault(use.device.rstrip("/"), []).append(use)
    for device, group in by_device.items():
        reported = set()
        for i, use in enumerate(group):
            if i in reported:
                continue
            clash = [j for j, other in enumerate(group) if j != i and other.nodes & use.nodes]
            if not clash:
                continue
            places = [use] + [group[j] for j in clash]
            reported.update(clash)
            nodes = sorted(set().union(*(p.nodes for p in places)))
            reports.append(error("HA333", use.where,
                                 f"device {device} has {len(places)} uses on {', '.join(nodes)}: "
                                 + "; ".join(f"{p.what} at {p.where}" for p in places),
                                 "one LUN holds one thing: give each use its own device"))
    return reports
