"""What the Lustre and NFS I/O cells share (guide 5.3, 8.1): two nodes sharing disk
arrays, fencing each other through their BMCs, and the management node(s) that
configure them."""

from __future__ import annotations

from hagen.model import Model, Node
from hagen.model.mngt import management_pair


def management_nodes(model: Model) -> tuple[Node, ...]:
    """The management node(s): the HA pair, primary first, when the ClusterDB has one;
    else every node of ftype mngt (a single management node: no mngt cell)."""
    pair = management_pair(model)
    if pair is not None:
        return pair.nodes
    return tuple(n for n in model.nodes if "mngt" in n.ftypes)


def management_host(model: Model) -> str | None:
    """The name the I/O nodes reach the management services by: the pair's admin alias
    (guide 7.1.3, 7.1.4), else the single management node's admin host name."""
    pair = management_pair(model)
    admin = model.role_network("admin")
    if pair is not None:
        alias = model.admin_alias(pair.cell)
        if alias is not None:
            return alias.name
    nodes = management_nodes(model)
    if not nodes:
        return None
    return admin.host_name(nodes[0].name) if admin is not None else nodes[0].name


def fencing_section(site, section: str) -> str | None:
    """Where the credentials of the cells of `section` (lustre, nfs) are: their own
    fencing key, else management.fencing, else nowhere (None)."""
    if site.get(section, "fencing"):
        return section
    if site.get("management", "fencing"):
        return "management"
    return None


def cell_fencing(model: Model, cell, site, section: str, secret, heartbeat: str) -> tuple[list, list]:
    """cluster.conf's clusternodes and fencedevices of an I/O cell, nodes in natural order:
    each node fenced by fence_ipmilan through its own BMC (5.3, 8.1)."""
    fencing_in = fencing_section(site, section) or section
    hb = model.role_network(heartbeat)
    nodes, devices = [], []
    for nodeid, name in enumerate(cell.nodes, 1):
        node = model.node(name)
        ctl = node.controller
        device = {"name": f"fence_{name}", "agent": "fence_ipmilan", "ipaddr": str(ctl.address),
                  "login": site.get(fencing_in, "fencing", "login"), "passwd": secret,
                  "lanplus": bool(site.get(fencing_in, "fencing", "lanplus"))}
        devices.append(device)
        nodes.append({"name": hb.host_name(name), "nodeid": nodeid, "fence_device": device["name"], "pap_domain": None})
    return nodes, devices
