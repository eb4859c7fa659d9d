"""The bonds of HA nodes outside the management pair (network.bonding.bonds[].nodes):
for each such node, its bond and slave interface files and the bonding module lines.

rhel5-cman: ifcfg-BOND (the node's address on the bond's network, as the management
pair's, 3.1.2) and ifcfg-SLAVE, and the module lines in /etc/modprobe.conf or
/etc/modprobe.d/bonding.conf (network.bonding.modprobe). One bonding module serves
every bond of the node: where the node's bonds have the same options (one bond), the
module line carries them with the primary; where they differ, each bond's ifcfg has its own
BONDING_OPTS and the module line only says how many bonds to make (as the pair's).
el9-pacemaker: NetworkManager keyfiles, the bond's options in its [bond] section.
"""

from __future__ import annotations

from hagen.model.names import natural_key
from hagen.model.node_bonds import bonded_nodes, bonds_of
from hagen.plan import Artifact

NETWORK_SCRIPTS = "/etc/sysconfig/network-scripts"


def plan(model, site) -> list[Artifact]:
    el9 = site.get("target") == "el9-pacemaker"
    out = []
    for name in sorted(bonded_nodes(site), key=natural_key):
        node = model.node(name)
        if node is None:
            continue                   # refused by hagen.check.node_bonds
        out += (_keyfiles if el9 else _ifcfg)(model, site, node, bonds_of(site, name))
    return out


def _ifcfg(model, site, node, bonds) -> list[Artifact]:
    out = []
    host = (node.name,)
    each = {b.name: b.option_words(site) for b in bonds}
    alike = len(set(each.values())) <= 1         # one module line serves them all, as the pair's (3.1.2)
    for bond in bonds:
        net, port = model.network(bond.network), node.port_on(bond.network)
        keys = [("DEVICE", bond.name), ("ONBOOT", "yes"), ("TYPE", "Bonding"), ("BOOTPROTO", "none"),
                ("NETMASK", net.netmask), ("IPADDR", str(port.address)), ("USERCTL", "no"), ("PEERDNS", "no"),
                ("IPV6INIT", "no"), ("NOZEROCONF", "yes")]
        if not alike and each[bond.name]:
            keys.append(("BONDING_OPTS", f'"{each[bond.name]}"'))
        out.append(Artifact(f"{NETWORK_SCRIPTS}/ifcfg-{bond.name}", host, "network/ifcfg.j2", {"keys": keys},
                            sources=(f"clusterdb node_port[node={node.name}, interface={port.interface}]",
                                     f"clusterdb network[name={net.name}]", f"site network.bonding.bonds[{bond.index}]")))
        out += _routes(site, net, bond, host)
        for slave in bond.slaves:
            keys = [("DEVICE", slave), ("ONBOOT", "yes"), ("TYPE", "Ethernet"), ("SLAVE", "yes"), ("MASTER", bond.name),
                    ("ISALIAS", "no"), ("BOOTPROTO", "none"), ("NOZEROCONF", "yes")]
            out.append(Artifact(f"{NETWORK_SCRIPTS}/ifcfg-{slave}", host, "network/ifcfg.j2", {"keys": keys},
                                sources=(f"site network.bonding.bonds[{bond.index}]",)))
    style = site.get("network", "bonding", "modprobe")
    path = "/etc/modprobe.conf" if style == "modprobe.conf" else "/etc/modprobe.d/bonding.conf"
    count = f"max_bonds={len(bonds)}" if len(bonds) > 1 else ""
    options = f"{count} {next(iter(each.values()), '')}".strip() if alike else count
    out.append(Artifact(path, host, "network/bonding.conf.j2", {"bonds": [b.name for b in bonds], "options": options},
                        sources=("site network.bonding",)))
    return out


def _routes(site, net, bond, host) -> list[Artifact]:
    """route-BOND, as the management pair's (network.routes; a default route through a
    network's gateway): the node's route-SLAVE no longer applies once the slave is bonded."""
    from ipaddress import IPv4Network

    if net.gateway is None:
        return []
    dests = site.get("network", "routes").get(net.name, ["0.0.0.0/0"])
    if not dests:
        return []
    entries = [{"address": str(IPv4Network(d).network_address), "netmask": str(IPv4Network(d).netmask),
                "gateway": str(net.gateway)} for d in dests]
    return [Artifact(f"{NETWORK_SCRIPTS}/route-{bond.name}", host, "network/route.j2", {"routes": entries},
                     sources=(f"clusterdb network[name={net.name}]", f"site network.routes.{net.name}"))]


def _keyfiles(model, site, node, bonds) -> list[Artifact]:
    from hagen.plan.el9.host import CONNECTIONS, _ipv4, bond_options

    out = []
    for bond in bonds:
        net, port = model.network(bond.network), node.port_on(bond.network)
        sections = [("connection", [("id", bond.name), ("type", "bond"), ("interface-name", bond.name),
                                    ("autoconnect", "true")]),
                    ("bond", bond_options(site, bond)),
                    ("ipv4", _ipv4(model, site, net, port.address)), ("ipv6", [("method", "disabled")])]
        out.append(_keyfile(node.name, bond.name, sections, CONNECTIONS,
                            (f"clusterdb node_port[node={node.name}, interface={port.interface}]",
                             f"site network.bonding.bonds[{bond.index}]")))
        for slave in bond.slaves:
            conn = f"{bond.name}-{slave}"
            out.append(_keyfile(node.name, conn, [
                ("connection", [("id", conn), ("type", "ethernet"), ("interface-name", slave), ("master", bond.name),
                                ("slave-type", "bond"), ("autoconnect", "true")])],
                CONNECTIONS, (f"site network.bonding.bonds[{bond.index}]",)))
    return out


def _keyfile(node, conn_id, sections, folder, sources) -> Artifact:
    return Artifact(f"{folder}/{conn_id}.nmconnection", (node,), "el9/keyfile.nmconnection.j2",
                    {"sections": [{"name": n, "entries": e} for n, e in sections]}, mode=0o600, sources=sources)
