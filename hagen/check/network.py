"""Networks: aliases (guide 2.2.3, 9.4 note), bonding (2.4, 3.1.2), routes."""

from __future__ import annotations

import re
from ipaddress import IPv4Network

from hagen.model.mngt import bond_for, bonds, management_pair
from hagen.model.names import INTERFACE
from hagen.base.reports import Where, error

# what the bonding options line of modprobe.conf may carry: key=value words, one line
# the kernel's (and NetworkManager's keyfile) grammar: blank-separated name=value words, a name in
# lower case (mode, miimon, arp_ip_target), a value of letters, digits and _ . , : + - (never empty)
_BOND_OPTION = r"[a-z][a-z_]*=[A-Za-z0-9_.,:+-]+"
BONDING_OPTIONS = re.compile(rf"(?:{_BOND_OPTION}(?: +{_BOND_OPTION})*)?")


def check(model, site) -> list:
    reports = []
    reports += _addresses(model)
    reports += _aliases(model, site)
    reports += _bonding(model, site)
    reports += _routes(model, site)
    reports += _one_device_per_network(model, site)
    reports += _overlapping_subnets(model)
    reports += _controller_addresses(model)
    return reports


def _one_device_per_network(model, site) -> list:
    """A management node gets one ifcfg file per device (its bond, or its interface): two networks
    on one device without a bond would leave one address out of every file (HA412)."""
    reports = []
    pair = management_pair(model)
    if pair is None:
        return reports
    for node in pair.nodes:
        first: dict = {}
        for port in node.ports:
            net = model.network(port.network)
            if net is None or net.function == "bmc" or port.address is None:
                continue
            bond = bond_for(site, net.name)
            device = bond.name if bond else port.interface
            if device in first:
                reports.append(error("HA412", Where(table="node_port", row=f"node={node.name}, interface={port.interface}"),
                                     f"{node.name} carries network {port.network} ({port.address}) and network "
                                     f"{first[device].network} ({first[device].address}) on one device {device}: "
                                     "its ifcfg file can hold one address",
                                     "give each network its own interface in node_port, or its own bond in "
                                     "network.bonding.bonds"))
            else:
                first[device] = port
    return reports


def _overlapping_subnets(model) -> list:
    """Two networks whose subnets overlap route each other's addresses: /etc/hosts and the ifcfg
    netmasks would disagree on which interface an address is on."""
    reports = []
    nets = sorted((n for n in model.networks if n.subnet is not None), key=lambda n: (n.subnet.network_address, n.name))
    for i, a in enumerate(nets):
        for b in nets[i + 1:]:
            if b.subnet.network_address > a.subnet.broadcast_address:
                break
            reports.append(error("HA413", Where(table="network", row=f"name={b.name}"),
                                 f"network {b.name} ({b.subnet}) overlaps network {a.name} ({a.subnet})",
                                 "give every network its own subnet"))
    return reports


def _controller_addresses(model) -> list:
    """A fence agent given a node's or an alias's address would power off the wrong machine, or none."""
    reports = []
    taken: dict = {}
    for node in model.nodes:
        for port in node.ports:
            if port.address is not None:
                taken.setdefault(port.address, f"node {node.name}'s address on {port.network}")
    for cell in model.cells:
        for alias in cell.aliases:
            if alias.address is not None:
                taken.setdefault(alias.address, f"alias {alias.name}")
    controllers = sorted({n.controller for n in model.nodes if n.controller is not None}, key=lambda c: c.name)
    for ctl in controllers:
        if ctl.address is None:
            continue
        if ctl.address in taken:
            reports.append(error("HA414", Where(table="hwmanager_port", row=f"hwmanager={ctl.name}"),
                                 f"controller {ctl.name}'s address {ctl.address} is also {taken[ctl.address]}",
                                 "give every controller an address of its own: fencing powers off what answers there"))
        else:
            taken[ctl.address] = f"controller {ctl.name}'s address"
    return reports


def _addresses(model) -> list:
    reports = []
    seen: dict = {}
    for node in model.nodes:
        for port in node.ports:
            if port.address is None:
                continue
            key = (port.network, int(port.address))    # an int hashes in C; an IPv4Address in Python
            if key in seen:
                reports.append(error("HA208", Where(table="node_port", row=f"node={node.name}, interface={port.interface}"),
                                     f"address {port.address} on network {port.network} is also {seen[key]}'s",
                                     "give every port its own address"))
            else:
                seen[key] = node.name
    return reports


def _aliases(model, site) -> list:
    reports = []
    own = {}                         # by int(address): an int hashes in C, an IPv4Address in Python
    for node in model.nodes:
        for port in node.ports:
            if port.address is not None:
                own[int(port.address)] = node.name
    used: dict = {}
    for cell in model.cells:
        for alias in cell.aliases:
            where = Where(table="metaservice_port", row=f"name={alias.name}")
            net = model.network(alias.network)
            if alias.address is None or net is None:
                continue
            if net.subnet is not None and alias.address not in net.subnet:
                reports.append(error("HA401", where,
                                     f"alias {alias.name} {alias.address} lies outside network {net.name} ({net.subnet})",
                                     f"choose an address inside {net.subnet}: the alias is added to the interface "
                                     f"that carries that network"))
            if int(alias.address) in own:
                reports.append(error("HA402", where,
                                     f"alias {alias.name} {alias.address} is node {own[int(alias.address)]}'s own address",
                                     "an alias needs an address of its own (guide 2.2.3: 10.1.0.65 beside 10.1.0.1 and 10.1.0.13)"))
            if alias.address in used:
                reports.append(error("HA403", where, f"alias {alias.name} {alias.address} is also alias {used[alias.address]}",
                                     "give every alias its own address"))
            used[alias.address] = alias.name
    # CLARIFICATIONS 17: the backbone VIP of the cluster row is the mngt cell's backbone alias
    backbone = model.role_network("backbone")
    vip = model.cluster.backbone_vip
    mngt_cells = model.cells_of_type("mngt")
    if vip is not None and backbone is not None and mngt_cells:
        bb_aliases = [a for a in mngt_cells[0].aliases if a.network == backbone.name]
        if bb_aliases and all(a.address != vip for a in bb_aliases):
            reports.append(error("HA404", Where(table="cluster", row=f"name={model.cluster.name}"),
                                 f"node_backbone_ipaddr {vip} is not the mngt cell's backbone alias "
                                 f"({', '.join(str(a.address) for a in bb_aliases)})",
                                 "set cluster.node_backbone_ipaddr to the backbone alias of the management pair"))
    pair = management_pair(model)
    if pair is not None:
        for alias in pair.cell.aliases:
            for node in pair.nodes:
                if node.port_on(alias.network) is None:
                    reports.append(error("HA405", Where(table="metaservice_port", row=f"name={alias.name}"),
                                         f"node {node.name} has no port on network {alias.network}, "
                                         f"where alias {alias.name} must be added",
                                         f"add a node_port row for {node.name} on {alias.network}, or move the alias"))
            # /etc/HA/ip is one file for both nodes: without a bond, the alias goes on the
            # primary's interface, so the secondary must carry the network on the same name
            if bond_for(site, alias.network) is not None:
                continue
            first, second = (n.port_on(alias.network) for n in pair.nodes)
            if first is not None and second is not None and first.interface != second.interface:
                reports.append(error("HA405", Where(table="node_port", row=f"node={second.node}, interface={second.interface}"),
                                     f"alias {alias.name} goes on {first.interface} (/etc/HA/ip is shared by both nodes), "
                                     f"but {second.node} carries network {alias.network} on {second.interface}, "
                                     f"{first.node} on {first.interface}",
                                     f"give both management nodes' ports on {alias.network} one interface name, "
                                     f"or bond {alias.network} in network.bonding.bonds"))
    return reports


def _bonding(model, site) -> list:
    reports = []
    pair = management_pair(model)
    options = site.get("network", "bonding", "options")
    if isinstance(options, str) and not BONDING_OPTIONS.fullmatch(options):
        reports.append(error("HA107", site.where("network", "bonding", "options"),
                             f"bonding options {options!r} are not blank-separated name=value words (a name in "
                             "lower case, a value of letters, digits and _ . , : + -)",
                             "write the options on one line as blank-separated key=value words, "
                             "e.g. mode=1 miimon=1000 (CLARIFICATIONS 12)"))
    owner: dict = {}
    named: dict = {}
    carried: dict = {}
    for bond in bonds(site):
        key = ("network", "bonding", "bonds", bond.index)
        if bond.options is not None and not BONDING_OPTIONS.fullmatch(bond.options):
            reports.append(error("HA107", site.where(*key, "options"),
                                 f"the options of {bond.name} {bond.options!r} hold characters other than letters, "
                                 "digits and _ = , . : - or a line break",
                                 "write them on one line as blank-separated key=value words, e.g. mode=1 miimon=100"))
        # one ifcfg-BOND per bond and one bond per network: a second would be dropped silently
        if bond.name in named:
            reports.append(error("HA407", site.where(*key, "name"), f"two bonds are named {bond.name}",
                                 "give every bond its own name (bond0, bond1, ...)"))
        named.setdefault(bond.name, bond.index)
        if bond.network in carried:
            reports.append(error("HA407", site.where(*key, "network"),
                                 f"{carried[bond.network]} and {bond.name} both carry network {bond.network}",
                                 "one bond per network: put every slave of that network in one bond"))
        carried.setdefault(bond.network, bond.name)
        for name, sub in [(bond.name, "name")] + [(s, ("slaves", j)) for j, s in enumerate(bond.slaves)]:
            if not INTERFACE.match(name):
                path = key + (sub if isinstance(sub, tuple) else (sub,))
                reports.append(error("HA411", site.where(*path), f"{name!r} is not a valid interface name",
                                     "interface names have at most 15 characters: letters, digits, . _ -"))
        known = model.network(bond.network) is not None
        if not known:
            reports.append(error("HA400", site.where(*key, "network"),
                                 f"bond {bond.name} carries network {bond.network!r}, which the ClusterDB does not have",
                                 "networks of the ClusterDB: " + ", ".join(n.name for n in model.networks)))
        if bond.primary not in bond.slaves:
            reports.append(error("HA409", site.where(*key, "primary"),
                                 f"primary {bond.primary!r} of {bond.name} is not one of its slaves",
                                 f"choose one of {', '.join(bond.slaves)}"))
        for j, slave in enumerate(bond.slaves):
            if slave in owner and owner[slave] != bond.name:
                reports.append(error("HA407", site.where(*key, "slaves", j),
                                     f"{slave} is a slave of both {owner[slave]} and {bond.name}",
                                     "an interface can belong to one bond only"))
            owner.setdefault(slave, bond.name)
        if pair is None or not known:
            continue
        for node in pair.nodes:
            port = node.port_on(bond.network)
            if port is not None and port.interface not in bond.slaves and port.interface != bond.name:
                reports.append(error("HA406", site.where(*key, "slaves"),
                                     f"{node.name}'s address on {bond.network} is on {port.interface}, "
                                     f"which is not a slave of {bond.name}",
                                     f"add {port.interface} to the slaves of {bond.name}, or fix the node_port row"))
            for other in node.ports:
                if other.network != bond.network and other.interface in bond.slaves:
                    reports.append(error("HA408", site.where(*key, "slaves"),
                                         f"{other.interface} of {node.name} carries its address on {other.network}, "
                                         f"so it cannot be a slave of {bond.name} ({bond.network})",
                                         "enslave interfaces that carry no address of their own"))
    return reports


def _routes(model, site) -> list:
    reports = []
    for name, dests in (site.get("network", "routes") or {}).items():
        net = model.network(name)
        if net is None:
            reports.append(error("HA400", site.where("network", "routes", name),
                                 f"routes are given for network {name!r}, which the ClusterDB does not have",
                                 "networks of the ClusterDB: " + ", ".join(n.name for n in model.networks)))
            continue
        if dests and net.gateway is None:
            reports.append(error("HA410", site.where("network", "routes", name),
                                 f"network {name} has no gateway in the ClusterDB to route through",
                                 "set network.gateway in the ClusterDB, or remove these routes"))
        for i, dest in enumerate(dests):
            try:
                IPv4Network(dest, strict=True)
            except ValueError:
                reports.append(error("HA107", site.where("network", "routes", name, i),
                                     f"route destination {dest!r} is not a network address",
                                     "write it as ADDRESS/PREFIX with no host bits: 10.0.0.0/8"))
    return reports + _default_routes(model, site)


def _default_routes(model, site) -> list:
    """At most one default route per node (3.1.2 gives one gateway): two route files with a
    default each make the second fail at ifup, or route replies out of the wrong interface.
    An error, since the fix is one key: network.default_route names the network that has it."""
    from hagen.model.mngt import default_route_networks, management_pair

    reports = []
    chosen = site.get("network", "default_route")
    if chosen is not None:
        net = model.network(chosen)
        if net is None or net.gateway is None:
            why = "which the ClusterDB does not have" if net is None else "which has no gateway in the ClusterDB"
            reports.append(error("HA415", site.where("network", "default_route"),
                                 f"network.default_route names network {chosen!r}, {why}",
                                 "networks with a gateway: " + (", ".join(n.name for n in model.networks
                                                                          if n.gateway is not None) or "none")))
    pair = management_pair(model)
    for node in pair.nodes if pair is not None else ():
        found = default_route_networks(model, site, node)
        if len(found) > 1:
            reports.append(error("HA416", site.where("network", "routes"),
                                 f"{node.name} would get a default route on each of {', '.join(found)}",
                                 f"name the one network that carries it: network.default_route: {found[0]} "
                                 "(the others then route only what network.routes gives them)"))
    return reports
