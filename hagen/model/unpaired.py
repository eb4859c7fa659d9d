"""What has no failover partner: a server node outside every HA cell of its kind, and a
Lustre target without a secondary node in its primary's cell.

The ftype says what a node is for; the cells say what is highly available. Where the
two disagree, hagen writes the node nothing but /etc/hosts, and a target of it has no
failover: the checks report it (HA218, HA620) and the audit lists it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hagen.model import Model

# the ftypes that name an HA server, and the cell type that makes each one highly available
SERVER_FTYPES = {"mngt": "mngt", "nfs": "nfs", "mds": "lustre", "oss": "lustre"}


@dataclass(frozen=True)
class OutsideCell:
    """A node whose ftype makes it a server of a cell type it is not a member of."""

    node: str
    ftype: str
    cell_type: str


@dataclass(frozen=True)
class Unpartnered:
    """A Lustre target that nothing takes over: why (no secondary, or a primary in no cell)."""

    target: str
    kind: str                          # mdt, ost
    fs: str
    primary: str
    reason: str


def servers_outside_cells(model: Model) -> list[OutsideCell]:
    """Each (node, ftype) whose cell type the node is not in, natural node order. A single
    management node with no mngt cell is the documented non-HA layout (the audit may still
    count it): it is listed only when a mngt cell exists, or when several nodes are mngt."""
    mngt_nodes = [n for n in model.nodes if "mngt" in n.ftypes]
    has_pair = bool(model.cells_of_type("mngt"))
    found = []
    for node in model.nodes:
        for ftype in node.ftypes:
            kind = SERVER_FTYPES.get(ftype)
            if kind is None or model.cell_of(node.name, kind) is not None:
                continue
            if kind == "mngt" and not has_pair and len(mngt_nodes) < 2:
                continue
            found.append(OutsideCell(node.name, ftype, kind))
    return found


def targets_without_partner(model: Model) -> list[Unpartnered]:
    """Every Lustre target no other node can serve: it has no secondary, or its primary is in
    no Lustre cell (the secondary would not see its LUN)."""
    found = []
    for t in model.lustre_targets:
        if model.node(t.primary) is None:
            continue                    # an unknown node: HA609 says so
        if model.cell_of(t.primary, "lustre") is None:
            reason = f"its primary {t.primary} is in no Lustre cell"
        elif t.secondary is None:
            reason = "it has no secondary node"
        else:
            continue
        found.append(Unpartnered(t.name, t.kind, t.fs, t.primary, reason))
    return found


def servers_without_partner(model: Model) -> list[OutsideCell]:
    """For the audit (every service with no failover partner is a single point of failure):
    the servers outside their cells, and the single management node of a cluster without a
    mngt cell, which the checks leave alone (the documented non-HA layout)."""
    found = servers_outside_cells(model)
    listed = {(o.node, o.ftype) for o in found}
    if not model.cells_of_type("mngt"):
        found += [OutsideCell(n.name, "mngt", "mngt") for n in model.nodes
                  if "mngt" in n.ftypes and (n.name, "mngt") not in listed]
    return found
