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


def io_pair(model, cell, kind: str, size_code: str, fence_code: str, guide: str) -> list:
    """What a Lustre and an NFS cell share: two nodes (guide), each fenced by a BMC with an address."""
    reports = []
    if len(cell.nodes) != 2:
        reports.append(error(size_code, Where(table="da_iocell_component", row=f"iocell={cell.name}"),
                             f"{kind} cell {cell.name} holds {len(cell.nodes)} node(s)"
                             + (f" ({', '.join(cell.nodes)})" if cell.nodes else "") + ", not 2",
                             f"an I/O cell is two nodes sharing a disk array ({guide}): add or remove "
                             "da_iocell_component rows"))
    for name in cell.nodes:
        ctl = model.node(name).controller
        if ctl is None:
            reports.append(error(fence_code, Where(table="node", row=f"name={name}"),
                                 f"{kind} node {name} has no fencing controller",
                                 f"set node.hwmanager_id to its BMC: the peer powers it off before taking over ({guide})"))
        elif ctl.type != "bmc":
            reports.append(error(fence_code, Where(table="hwmanager", row=f"name={ctl.name}"),
                                 f"{kind} node {name} is fenced by {ctl.type} {ctl.name}, not a BMC",
                                 "I/O nodes are fenced through their BMC (fence_ipmilan): give the node its BMC"))
        elif ctl.address is None:
            reports.append(error(fence_code, Where(table="hwmanager", row=f"name={ctl.name}"),
                                 f"BMC {ctl.name} of {name} has no address", "add its hwmanager_port row"))
    return reports
