"""The management pair's host files on EL9: chrony.conf in place of ntp.conf, and
NetworkManager keyfiles in place of ifcfg/route files and the bonding module options
(the bond's options go to its keyfile's [bond] section; modprobe has no part)."""

from __future__ import annotations

from ipaddress import IPv4Network

from hagen.model.mngt import addressed_devices, route_destinations
from hagen.plan import Artifact

CONNECTIONS = "/etc/NetworkManager/system-connections"
# the bonding driver's numeric modes, by the names NetworkManager writes
BOND_MODES = {"0": "balance-rr", "1": "active-backup", "2": "balance-xor", "3": "broadcast", "4": "802.3ad",
              "5": "balance-tlb", "6": "balance-alb"}


def plan(model, site, pair) -> list[Artifact]:
    return _chrony(model, site, pair) + _keyfiles(model, site, pair)


def _chrony(model, site, pair) -> list[Artifact]:
    admin = model.role_network("admin")
    out = []
    for node in pair.nodes:
        peer = pair.peer(node)
        context = {"peer": str(peer.port_on(admin.name).address), "serve": list(site.get("ntp", "serve")),
                   "servers": site.get("ntp", "servers"), "local_clock": site.get("ntp", "local_clock"),
                   "stratum": site.get("ntp", "stratum")}
        out.append(Artifact("/etc/chrony.conf", (node.name,), "el9/chrony.conf.j2", context,
                            sources=(f"clusterdb node_port[node={peer.name}, network={admin.name}]", "site ntp")))
    return out


def bond_options(site, bond) -> list[tuple[str, str]]:
    """The bond's options (its own, else network.bonding.options; its primary) as [bond] keys,
    mode by name."""
    keys = []
    for word in bond.option_words(site).split():
        name, _, value = word.partition("=")
        if name == "mode":
            value = BOND_MODES.get(value, value)
        keys.append((name, value))
    return keys


def _ipv4(model, site, net, address) -> list[tuple[str, str]]:
    keys = [("method", "manual"), ("address1", f"{address}/{net.prefix}")]
    if net.gateway is not None:
        dests = route_destinations(site, net)
        for i, dest in enumerate(dests, 1):
            if IPv4Network(dest).prefixlen == 0:
                keys.append(("gateway", str(net.gateway)))
            else:
                keys.append((f"route{i}", f"{IPv4Network(dest)},{net.gateway}"))
    keys.append(("may-fail", "false"))
    return keys


def _keyfile(node, conn_id, sections, sources) -> Artifact:
    return Artifact(f"{CONNECTIONS}/{conn_id}.nmconnection", (node,), "el9/keyfile.nmconnection.j2",
                    {"sections": [{"name": n, "entries": e} for n, e in sections]}, mode=0o600, sources=sources)


def _keyfiles(model, site, pair) -> list[Artifact]:
    out = []
    for node in pair.nodes:
        for port, net, bond, device in addressed_devices(model, site, node):
            row = f"clusterdb node_port[node={node.name}, interface={port.interface}]"
            kind = "bond" if bond else "infiniband" if net.techno == "infiniband" else "ethernet"
            sections = [("connection", [("id", device), ("type", kind), ("interface-name", device),
                                        ("autoconnect", "true")])]
            if bond:
                sections.append(("bond", bond_options(site, bond)))
            sections += [("ipv4", _ipv4(model, site, net, port.address)), ("ipv6", [("method", "disabled")])]
            out.append(_keyfile(node.name, device, sections,
                                (row, f"clusterdb network[name={net.name}]", "site network.bonding",
                                 f"site network.routes.{net.name}")))
            for slave in bond.slaves if bond else ():
                port_id = f"{bond.name}-{slave}"
                out.append(_keyfile(node.name, port_id, [
                    ("connection", [("id", port_id), ("type", "ethernet"), ("interface-name", slave),
                                    ("master", bond.name), ("slave-type", "bond"), ("autoconnect", "true")])],
                    ("site network.bonding",)))
    return out
