"""The bonds of HA nodes outside the management pair (network.bonding.bonds[].nodes,
hagen.model.node_bonds): each node a Lustre or NFS cell's, with an address on the bond's
network carried by one of its slaves; one bond per network and name on a node; no slave
in two bonds. The names, the network and the primary follow the management pair's rules
(HA411, HA400, HA409)."""

from __future__ import annotations

from hagen.model.mngt import management_pair
from hagen.model.names import INTERFACE
from hagen.model.node_bonds import node_bonds
from hagen.base.reports import error


def check(model, site) -> list:
    out = []
    pair = management_pair(model)
    mngt = set(pair.host_names) if pair else set()
    io_nodes = {n for c in model.cells if c.type != "mngt" for n in c.nodes}
    per_node: dict = {}
    for nb in node_bonds(site):
        bond, key = nb.bond, ("network", "bonding", "bonds", nb.bond.index)
        for name, path in [(bond.name, ("name",))] + [(s, ("slaves", j)) for j, s in enumerate(bond.slaves)]:
            if not INTERFACE.match(name):
                out.append(error("HA411", site.where(*key, *path), f"{name!r} is not a valid interface name",
                                 "interface names have at most 15 characters: letters, digits, . _ -"))
        if bond.primary not in bond.slaves:
            out.append(error("HA409", site.where(*key, "primary"), f"primary {bond.primary!r} of {bond.name} is not "
                             "one of its slaves", f"choose one of {', '.join(bond.slaves)}"))
        if model.network(bond.network) is None:
            out.append(error("HA400", site.where(*key, "network"), f"bond {bond.name} carries network "
                             f"{bond.network!r}, which the ClusterDB does not have",
                             "networks of the ClusterDB: " + ", ".join(n.name for n in model.networks)))
            continue
        for j, name in enumerate(nb.nodes):
            where = site.where(*key, "nodes", j)
            if name in mngt or name not in io_nodes:
                what = "a management node (leave nodes out for the management pair's bonds)" if name in mngt \
                    else "not a node of a Lustre or NFS cell"
                out.append(error("HA160", where, f"bond {bond.name} is written for {name}, which is {what}",
                                 "name nodes of the ClusterDB's Lustre and NFS cells (da_iocell_component)"))
                continue
            out += _on_node(model.node(name), bond, where, per_node.setdefault(name, {}))
    return out


def _on_node(node, bond, where, seen: dict) -> list:
    out = []
    port = node.port_on(bond.network)
    if port is None or port.address is None:
        out.append(error("HA161", where, f"{node.name} has no address on network {bond.network}, which bond "
                         f"{bond.name} carries", f"add the node_port row of {node.name} on {bond.network}, or "
                         "take the node out of this bond"))
    elif port.interface not in bond.slaves:
        out.append(error("HA161", where, f"{node.name}'s address on {bond.network} is on {port.interface}, "
                         f"which is not a slave of {bond.name} ({', '.join(bond.slaves)})",
                         f"make {port.interface} one of the slaves"))
    for what, value in (("name", bond.name), ("network", bond.network),
                        *(("slave", s) for s in bond.slaves)):
        if (what, value) in seen and seen[(what, value)] != bond.index:
            out.append(error("HA162", where, f"two bonds of {node.name} share the {what} {value}",
                             "one bond per network and per name on a node; an interface is a slave of one bond"))
        seen.setdefault((what, value), bond.index)
    return out
