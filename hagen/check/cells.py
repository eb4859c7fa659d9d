"""What every HA cell shares: its cman cluster name (CLARIFICATIONS 15)."""

from __future__ import annotations

from hagen.model.cman import MAX_LENGTH, VALID, cluster_name, name_key
from hagen.reports import Where, error


def check(model, site) -> list:
    reports = []
    seen: dict = {}
    for cell in model.cells:
        name = cluster_name(cell, site)
        key = name_key(cell)
        where = site.where(*key) if key and site.get(*key) else Where(table="da_iocell", row=f"name={cell.name}")
        if not name or len(name) > MAX_LENGTH or not VALID.match(name):
            reports.append(error("HA305", where,
                                 f"cman cluster name {name!r} of cell {cell.name} is not 1 to {MAX_LENGTH} "
                                 "letters, digits, '-' or '_'",
                                 "cman derives the cluster id and multicast address from the name: "
                                 "choose a short one" + (" (management.cluster_name)" if cell.type == "mngt" else
                                                         " (rename the da_iocell row)")))
        if name in seen:
            reports.append(error("HA306", where, f"cells {seen[name]} and {cell.name} share the cman cluster name {name!r}",
                                 "two cells with one name on one network join each other: give each its own"))
        seen.setdefault(name, cell.name)
    return reports
