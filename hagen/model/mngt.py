"""The management pair and its interfaces, as the model and the site spec define them."""

from __future__ import annotations

from dataclasses import dataclass

from hagen.model import ManagementPair, Model, Node


def management_cell(model: Model):
    cells = model.cells_of_type("mngt")
    return cells[0] if cells else None


def management_pair(model: Model) -> ManagementPair | None:
    """The pair, when the ClusterDB has one mngt cell of two known nodes (else None: checks report why)."""
    cell = management_cell(model)
    if cell is None or len(cell.nodes) != 2:
        return None
    nodes = [model.node(n) for n in cell.nodes]
    if any(n is None for n in nodes):
        return None
    primary_name = cell.primary_name
    primary = next(n for n in nodes if n.name == primary_name)
    secondary = next(n for n in nodes if n.name != primary_name)
    return ManagementPair(cell, primary, secondary)


@dataclass(frozen=True, slots=True)
class Bond:
    name: str
    network: str
    slaves: tuple[str, ...]
    primary: str | None
    index: int                     # position in the site spec (network.bonding.bonds[i])
    options: str | None = None     # its own options (bonds[i].options), else network.bonding.options

    def option_words(self, site) -> str:
        """This bond's driver options on one line: its own or the site's, and its primary."""
        words = self.options if self.options is not None else site.get("network", "bonding", "options") or ""
        return f"{words} primary={self.primary}".strip() if self.primary else words.strip()


def bonds(site) -> list[Bond]:
    out = []
    for i, b in enumerate(site.get("network", "bonding", "bonds") or []):
        if b.get("nodes"):
            continue               # a bond of other HA nodes (hagen.model.node_bonds)
        primary = b.get("primary") or (b["slaves"][0] if b["slaves"] else None)
        out.append(Bond(b["name"], b["network"], tuple(b["slaves"]), primary, i, b.get("options")))
    return out


def bonding_options(site) -> tuple[str, dict]:
    """(the `options bonding` line, {bond: its BONDING_OPTS}). Where every bond has the same
    options (one bond, or bonds alike), the guide's single module line carries them (3.1.2);
    otherwise a module-wide line would give every bond the first one's primary, so each bond's
    ifcfg carries its own BONDING_OPTS (RHEL 5.3's initscripts apply them through sysfs) and
    the module line only says how many bonds to make."""
    found = bonds(site)
    count = f"max_bonds={len(found)}" if len(found) > 1 else ""
    each = {b.name: b.option_words(site) for b in found}
    if len(set(each.values())) <= 1:
        return f"{count} {next(iter(each.values()), '')}".strip(), {}
    return count, each


def bond_for(site, network: str) -> Bond | None:
    for b in bonds(site):
        if b.network == network:
            return b
    return None


def interface_on(site, node: Node, network: str) -> str | None:
    """The interface that carries the node's address on a network: its bond, or its port."""
    bond = bond_for(site, network)
    if bond is not None:
        return bond.name
    port = node.port_on(network)
    return port.interface if port else None


DEFAULT = "0.0.0.0/0"


def route_destinations(site, net) -> list[str]:
    """What a network's gateway routes (3.1.2): the site's routes for it, else the default
    route, when the network has a gateway and network.default_route names it or nothing."""
    given = (site.get("network", "routes") or {}).get(net.name)
    if given is not None:
        return list(given)
    chosen = site.get("network", "default_route")
    if net.gateway is None or (chosen is not None and chosen != net.name):
        return []
    return [DEFAULT]


def default_route_networks(model, site, node: Node) -> list[str]:
    """The networks that would give node a default route (a /0 destination), in port order."""
    from ipaddress import IPv4Network

    found = []
    for port in node.ports:
        net = model.network(port.network)
        if net is None or net.function == "bmc" or port.address is None or net.name in found:
            continue
        dests = route_destinations(site, net) if net.gateway is not None else []
        if any(_is_default(d, IPv4Network) for d in dests):
            found.append(net.name)
    return found


def _is_default(dest: str, network) -> bool:
    try:
        return network(dest, strict=False).prefixlen == 0
    except ValueError:
        return False      # HA107 reports it


def addressed_devices(model, site, node: Node):
    """(port, network, bond or None, device) for each device that carries one of the node's
    addresses (its bond, or its port), once each, the BMC network left out: what ifcfg and
    NetworkManager keyfiles describe."""
    done = set()
    for port in node.ports:
        net = model.network(port.network)
        if net.function == "bmc" or port.address is None:
            continue
        bond = bond_for(site, net.name)
        device = bond.name if bond else port.interface
        if device in done:
            continue
        done.add(device)
        yield port, net, bond, device
