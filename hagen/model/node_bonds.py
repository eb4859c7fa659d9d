"""Bonds of the HA nodes outside the management pair (Lustre and NFS cells).

A `network.bonding.bonds` entry without `nodes` is a bond of the management pair (the
guide's 2.4, 3.1.2); with `nodes` it is written for those nodes only: their ifcfg (or,
on el9-pacemaker, NetworkManager keyfile) for the bond and its slaves, and the bonding
module lines. So the audit's hint "bond two slaves" (HA1001, HA1010) is one hagen accepts
for any HA node.
"""

from __future__ import annotations

from dataclasses import dataclass

from hagen.model.mngt import Bond


@dataclass(frozen=True, slots=True)
class NodeBond:
    bond: Bond
    nodes: tuple[str, ...]


def node_bonds(site) -> list[NodeBond]:
    out = []
    for i, b in enumerate(site.get("network", "bonding", "bonds") or []):
        if not b.get("nodes"):
            continue
        primary = b.get("primary") or (b["slaves"][0] if b["slaves"] else None)
        out.append(NodeBond(Bond(b["name"], b["network"], tuple(b["slaves"]), primary, i, b.get("options")),
                                tuple(b["nodes"])))
    return out


def node_bond_for(site, node: str, network: str) -> Bond | None:
    """The bond the site writes for node on network (outside the management pair), or None."""
    return next((nb.bond for nb in node_bonds(site) if node in nb.nodes and nb.bond.network == network), None)


def bonds_of(site, node: str) -> list[Bond]:
    return [nb.bond for nb in node_bonds(site) if node in nb.nodes]


def bonded_nodes(site) -> list[str]:
    seen: dict = {}
    for nb in node_bonds(site):
        for n in nb.nodes:
            seen.setdefault(n, None)
    return list(seen)
