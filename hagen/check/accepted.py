"""The site's accepted findings (audit.accepted, CLARIFICATIONS 41): risks a site knows and
cannot remove (one disk array, heartbeat and fencing on one network), so that hagen audit
can gate CI and a known warning (HA602) is not printed on every command.

An entry has a code and a reason, optionally a cell or a node (without them the code is
accepted everywhere) and an `until` ISO date. One matcher serves check's warnings and the
audit's findings: a report is accepted when an entry in force names its code and, if the
entry is scoped, the report is about that cell or node. An expired entry accepts nothing
and is a warning (HA1013); an entry that matches nothing is a warning (HA1012), said by
the command that can know: the audit for audit codes, check and build for the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from hagen.base.codes import AUDIT_CODES, CODES, acceptable
from hagen.base.reports import error, warning


@dataclass(frozen=True, slots=True)
class Acceptance:
    index: int                         # position in audit.accepted
    code: str
    reason: str
    cell: str | None
    node: str | None
    until: date | None

    def expired(self, today: date) -> bool:
        return self.until is not None and self.until < today

    def describe(self) -> str:
        """The reason as printed beside what it accepts."""
        return self.reason + (f" (until {self.until.isoformat()})" if self.until else "")


def acceptances(site) -> list[Acceptance]:
    out = []
    for i, entry in enumerate(site.get("audit", "accepted") or []):
        try:
            until = date.fromisoformat(entry["until"]) if entry.get("until") else None
        except ValueError:
            until = date.min           # refused by check() below: never in force
        out.append(Acceptance(i, entry["code"], entry["reason"], entry.get("cell"), entry.get("node"), until))
    return out


def in_force(site, today: date | None = None) -> list[Acceptance]:
    today = today or date.today()
    return [a for a in acceptances(site) if not a.expired(today)]


def check(model, site) -> list:
    """HA1014 for an entry that cannot be honoured; HA1013 for one past its date."""
    out = []
    cells = {c.name for c in model.cells}
    today = date.today()
    for a in acceptances(site):
        where = site.where("audit", "accepted", a.index)
        if a.code not in CODES or not acceptable(a.code):
            why = "is not a registered code" if a.code not in CODES else \
                "is an error: the inputs are refused with it, so it cannot be accepted"
            out.append(error("HA1014", where, f"audit.accepted names {a.code}, which {why}",
                             "name an audit finding (HA10xx) or a warning (`hagen codes` lists them)"))
        if a.cell is not None and a.node is not None:
            out.append(error("HA1014", where, "an audit.accepted entry names both a cell and a node",
                             "give one of them: cell for the whole cell, node for what names that node"))
        if a.cell is not None and a.cell not in cells:
            out.append(error("HA1014", where, f"audit.accepted names cell {a.cell}, which the ClusterDB does not have",
                             "name a da_iocell row's name, or leave cell out to accept the code everywhere"))
        if a.node is not None and model.node(a.node) is None:
            out.append(error("HA1014", where, f"audit.accepted names node {a.node}, which the ClusterDB does not have",
                             "name a node row's name, or leave node out"))
        if a.until == date.min:
            out.append(error("HA1014", where, "audit.accepted until is not a date", "write an ISO date: 2027-06-30"))
        elif a.expired(today):
            out.append(warning("HA1013", where, f"the acceptance of {a.code} expired on {a.until.isoformat()} "
                               f"({a.reason}): it is reported again",
                               "remove the risk, or renew the entry with a new until date"))
    return out


_NODE_IN_ROW = re.compile(r"(?:^|[ ,])(?:name|node)=([^,\]\s]+)")


def _about(entry: Acceptance, model, cell: str | None, nodes: set[str]) -> bool:
    if entry.cell is not None:
        node_cells = {c.name for c in model.cells if nodes & set(c.nodes)}
        return entry.cell == cell or entry.cell in node_cells
    if entry.node is not None:
        return entry.node in nodes
    return True


def accepting(entries, model, code: str, cell: str | None, nodes: set[str]) -> Acceptance | None:
    """The first entry in force that accepts a report of code about cell and nodes."""
    return next((a for a in entries if a.code == code and _about(a, model, cell, nodes)), None)


def report_scope(report, model) -> tuple[str | None, set[str]]:
    """The cell and the nodes a check report is about, from its ClusterDB location."""
    w = report.where
    if not w.table or not w.row:
        return None, set()
    names = set(_NODE_IN_ROW.findall(w.row))
    if w.table == "da_iocell":
        cell = next(iter(names), None)
        found = next((c for c in model.cells if c.name == cell), None)
        return cell, set(found.nodes) if found else set()
    return None, {n for n in names if model.node(n) is not None}


def sort_reports(site, model, reports, judged=lambda code: True, today: date | None = None) -> list:
    """The reports, each warning an entry in force accepts marked with its reason (printed
    as accepted, not counted), followed by HA1012 for each entry in force that accepts
    nothing although its code is one this command can judge (judged(code))."""
    entries = in_force(site, today)
    used, out = set(), []
    for r in reports:
        entry = None
        if r.severity.value == "warning" and not r.accepted:
            entry = accepting(entries, model, r.code, *report_scope(r, model))
        if entry is not None:
            used.add(entry.index)
            r = replace(r, accepted=entry.describe())
        out.append(r)
    return out + unused(site, entries, used, lambda c: c not in AUDIT_CODES and judged(c))


def unused(site, entries, used: set[int], judged) -> list:
    return [warning("HA1012", site.where("audit", "accepted", a.index),
                    f"audit.accepted entry for {a.code}" + (f" (cell {a.cell})" if a.cell else "")
                    + (f" (node {a.node})" if a.node else "") + " matches nothing this site reports",
                    "remove the entry (the risk is gone), or correct its code, cell or node")
            for a in entries if a.index not in used and judged(a.code) and acceptable(a.code)]
