"""What every HA cell shares: its cman cluster name (CLARIFICATIONS 15); and the servers
that belong to no cell of their kind (HA218)."""

from __future__ import annotations

from hagen.model.cman import MAX_LENGTH, VALID, cluster_name, name_key
from hagen.model.unpaired import servers_outside_cells
from hagen.base.reports import Where, error, warning

# what a server outside its cells loses, and how it joins one (guide chapters)
_OUTSIDE = {
    "mngt": ("nothing takes over its management services",
             "2.2: put it in the mngt cell (da_iocell_component) in place of another node, or drop its ftype mngt "
             "if it is not a management node"),
    "nfs": ("its exports have no failover",
            "8.1, 9.1: pair it with a second NFS node in a da_iocell of type nfs (storiocellctl), or drop its "
            "ftype nfs if it serves nothing"),
    "lustre": ("its Lustre targets have no failover",
               "5.3, 6.1: pair it with a second I/O node in a da_iocell of type lustre and give its targets that "
               "node as secondary, or drop the ftype if it serves no target"),
}


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
    return reports + _outside_cells(model)


def _outside_cells(model) -> list:
    """A warning, not an error: a server outside HA can be a choice (a scratch NFS server, a
    spare management node), but hagen then writes it nothing but /etc/hosts, which no site
    should learn from an outage."""
    reports = []
    short = {c.type for c in model.cells if len(c.nodes) < 2}     # its size error names them (likely_missing)
    for found in servers_outside_cells(model):
        if found.cell_type in short:
            continue
        loss, hint = _OUTSIDE[found.cell_type]
        cells = model.cells_of_type(found.cell_type)
        where = (f"the ClusterDB has no {found.cell_type} cell" if not cells
                 else "it is in no " + found.cell_type + " cell (" + ", ".join(c.name for c in cells) + ")")
        reports.append(warning("HA218", Where(table="node_ftype", row=f"node={found.node}"),
                               f"{found.node} has ftype {found.ftype} but {where}: hagen writes it only "
                               f"/etc/hosts, and {loss}", hint))
    return reports


def likely_missing(model, cell) -> str:
    """For a cell short of a node: the server nodes of its kind outside every cell of it, the
    likely cause (a missing da_iocell_component row), so that one missing row is one error."""
    if len(cell.nodes) >= 2:
        return ""
    outside = [f"{o.node} (ftype {o.ftype})" for o in servers_outside_cells(model) if o.cell_type == cell.type]
    if not outside:
        return ""
    return f"; {', '.join(outside)} is in no {cell.type} cell: is its da_iocell_component row missing?"


def io_pair(model, cell, kind: str, size_code: str, fence_code: str, guide: str) -> list:
    """What a Lustre and an NFS cell share: two nodes (guide), each fenced by a BMC with an address."""
    reports = []
    if len(cell.nodes) != 2:
        reports.append(error(size_code, Where(table="da_iocell_component", row=f"iocell={cell.name}"),
                             f"{kind} cell {cell.name} holds {len(cell.nodes)} node(s)"
                             + (f" ({', '.join(cell.nodes)})" if cell.nodes else "") + ", not 2"
                             + likely_missing(model, cell),
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
