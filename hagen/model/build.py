"""build_model(rows) -> (Model, reports): ids resolved to names, addresses parsed.

Problems that make a row unusable (an address that is not one, a stored prefix that
differs from the network's) are reported here; the model then carries None for that
value and the checks skip what depends on it.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_interface
from socket import AF_INET, inet_ntoa, inet_pton
from types import MappingProxyType

from hagen.model import (Alias, Cell, ClusterInfo, Controller, LustreClient, LustreFS, LustreIONode, LustreTarget,
                         Model, Network, Node, Port)
from hagen.model.names import natural_key
from hagen.base.reports import Where, error


def _where(table: str, row: str) -> Where:
    return Where(table=table, row=row)


def parse_subnet(text, where, reports) -> IPv4Network | None:
    try:
        return IPv4Network(text, strict=True)
    except ValueError as exc:
        reports.append(error("HA205", where, f"subnet {text!r} is not a valid IPv4 network: {exc}",
                             "write the network as ADDRESS/PREFIX with no host bits set, e.g. 10.1.0.0/16"))
        return None


def parse_address(text, network: Network | None, where, reports, what="address") -> IPv4Address | None:
    """An address stored with or without a prefix; the prefix must be the network's (CLARIFICATIONS 17)."""
    if text is None:
        return None
    address = _dotted_quad(text)
    if address is not None:       # the usual case, parsed in C: no prefix to compare
        if network is not None and network.subnet is not None and address not in network.subnet:
            reports.append(error("HA207", where, f"{what} {address} is outside network {network.name} "
                                 f"({network.subnet})",
                                 f"give it an address inside {network.subnet}, or attach it to the right network"))
        return address
    try:
        iface: IPv4Interface = ip_interface(text)
        if iface.version != 4:
            raise ValueError("not IPv4")
    except ValueError:
        reports.append(error("HA205", where, f"{what} {text!r} is not a valid IPv4 address",
                             "write an IPv4 address such as 10.1.0.1 (a /PREFIX, if any, must be the network's)"))
        return None
    stored_prefix = "/" in str(text)
    if stored_prefix and network is not None and network.subnet is not None \
            and iface.network.prefixlen != network.prefix:
        reports.append(error("HA206", where,
                             f"{what} {text} is stored with prefix /{iface.network.prefixlen}, "
                             f"but network {network.name} is {network.subnet}",
                             f"store it as {iface.ip} or {iface.ip}/{network.prefix}"))
    if network is not None and network.subnet is not None and iface.ip not in network.subnet:
        reports.append(error("HA207", where, f"{what} {iface.ip} is outside network {network.name} ({network.subnet})",
                             f"give it an address inside {network.subnet}, or attach it to the right network"))
    return iface.ip


def _dotted_quad(text) -> IPv4Address | None:
    """text as an address when it is one in its one canonical spelling (10.1.0.1: what
    PostgreSQL prints); anything else (a prefix, leading zeros, not text) goes the long way."""
    try:
        packed = inet_pton(AF_INET, text)
    except (OSError, TypeError, ValueError):
        return None
    return IPv4Address(packed) if inet_ntoa(packed) == text else None


def _address(text, network: Network, where_of, reports) -> IPv4Address | None:
    """parse_address for the many ports: a plain address inside its network takes no Where
    (where_of() makes it when a report needs one)."""
    address = _dotted_quad(text)
    if address is not None and (network.subnet is None or address in network.subnet):
        return address
    return parse_address(text, network, where_of(), reports)


def build_model(rows: dict) -> tuple[Model, list]:
    reports: list = []
    crow = rows["cluster"][0]
    by_id = {t: {r["id"]: r for r in rows[t]} for t in ("network", "hwmanager", "node", "ftype", "da_iocell", "disk_array")}
    networks, net_by_id = _networks(rows, reports)
    nodes = _nodes(rows, by_id, net_by_id, reports)
    cells = _cells(rows, by_id, net_by_id, reports)
    vip = None
    if crow["node_backbone_ipaddr"]:
        vip = parse_address(crow["node_backbone_ipaddr"], None,
                            _where("cluster", f"name={crow['name']}"), reports, "node_backbone_ipaddr")
    info = ClusterInfo(crow["name"], crow["basename"], crow["dns_domain"], bool(crow["actif_ha"]), vip)
    lustre = _lustre(rows, by_id)
    model = Model(
        cluster=info,
        networks=tuple(networks),
        nodes=tuple(nodes),
        cells=tuple(cells),
        **lustre,
        _networks=MappingProxyType({n.name: n for n in networks}),
        _nodes=MappingProxyType({n.name: n for n in nodes}),
    )
    return model, reports


def _networks(rows: dict, reports: list) -> tuple[list, dict]:
    """(the networks in row order, {network row id: Network})."""
    networks = []
    net_by_id = {}
    for r in rows["network"]:
        where = _where("network", f"name={r['name']}")
        gw = None
        subnet = parse_subnet(r["subnet"], where, reports)
        net = Network(r["name"], r["function"], r["techno"] or "ethernet", subnet, None, r["suffix"] or "")
        if r["gateway"]:
            gw = parse_address(r["gateway"], net, where, reports, "gateway")
        net = Network(r["name"], r["function"], r["techno"] or "ethernet", subnet, gw, r["suffix"] or "")
        networks.append(net)
        net_by_id[r["id"]] = net
    return networks, net_by_id


def _nodes(rows: dict, by_id: dict, net_by_id: dict, reports: list) -> list:
    """The nodes in natural order, each with its ftypes, its ports and its fencing controller."""
    ctrl_address: dict = {}
    for r in rows["hwmanager_port"]:
        hw = by_id["hwmanager"][r["hwmanager_id"]]
        net = net_by_id[r["network_id"]]
        addr = _address(r["ipaddr"], net, lambda: _where("hwmanager_port", f"hwmanager={hw['name']}"), reports)
        ctrl_address.setdefault(r["hwmanager_id"], addr)
    controllers = {}
    for r in rows["hwmanager"]:
        controllers[r["id"]] = Controller(r["name"], r["type"], r["model"], ctrl_address.get(r["id"]))

    ftypes = defaultdict(list)
    for r in rows["node_ftype"]:
        ftypes[r["node_id"]].append(by_id["ftype"][r["ftype_id"]]["label"])
    ports = defaultdict(list)
    for r in rows["node_port"]:
        node_name = by_id["node"][r["node_id"]]["name"]
        net = net_by_id[r["network_id"]]
        addr = _address(r["ipaddr"], net,
                        lambda: _where("node_port", f"node={node_name}, interface={r['interface_name']}"), reports)
        ports[r["node_id"]].append(Port(node_name, net.name, r["interface_name"], addr, r["hwaddr"]))

    nodes = []
    for r in rows["node"]:
        nodes.append(Node(
            name=r["name"], model=r["model"], status=r["status"],
            ftypes=tuple(sorted(ftypes[r["id"]])),
            ports=tuple(sorted(ports[r["id"]], key=lambda p: (p.network, natural_key(p.interface)))),
            controller=controllers.get(r["hwmanager_id"]) if r["hwmanager_id"] is not None else None,
        ))
    nodes.sort(key=lambda n: natural_key(n.name))
    return nodes


def _cells(rows: dict, by_id: dict, net_by_id: dict, reports: list) -> list:
    """The HA cells in row order, each with its nodes, disk arrays and aliases."""
    members = defaultdict(list)
    arrays = defaultdict(list)
    for r in rows["da_iocell_component"]:
        if r["node_id"] is not None:
            members[r["iocell_id"]].append(by_id["node"][r["node_id"]]["name"])
        if r["disk_array_id"] is not None:
            arrays[r["iocell_id"]].append(by_id["disk_array"][r["disk_array_id"]]["name"])
    aliases = defaultdict(list)
    for r in rows["metaservice_port"]:
        cell = by_id["da_iocell"][r["iocell_id"]]
        net = net_by_id[r["network_id"]]
        where = _where("metaservice_port", f"name={r['name']}")
        addr = parse_address(r["ipaddr"], None, where, reports, "alias address")
        if addr is not None and "/" in r["ipaddr"] and net.subnet is not None \
                and ip_interface(r["ipaddr"]).network.prefixlen != net.prefix:
            reports.append(error("HA206", where,
                                 f"alias address {r['ipaddr']} is stored with a prefix other than network "
                                 f"{net.name}'s ({net.subnet})",
                                 f"store it as {addr} or {addr}/{net.prefix}: an alias takes its interface's prefix"))
        aliases[r["iocell_id"]].append(Alias(r["name"], net.name, addr, cell["name"]))
    cells = []
    for r in rows["da_iocell"]:
        cells.append(Cell(
            name=r["name"], type=r["type"], quorum_device=r["quorum_device"],
            nodes=tuple(sorted(set(members[r["id"]]), key=natural_key)),
            disk_arrays=tuple(sorted(set(arrays[r["id"]]), key=natural_key)),
            aliases=tuple(sorted(aliases[r["id"]], key=lambda a: (a.network, natural_key(a.name)))),
        ))
    return cells


_FS_COLUMNS = ("mount_path", "mount_options", "stripe_size", "stripe_count", "stripe_pattern", "nettype", "fstype",
               "failover", "ha_timeout", "mdt_mkfs_options", "mdt_inode_size", "mdt_mount_options",
               "ost_mkfs_options", "ost_inode_size", "ost_mount_options", "quota", "quota_options", "description")


def _lustre(rows: dict, by_id: dict) -> dict:
    """The Lustre tables (guide 6.3.1): file systems with their targets and clients, by name.

    Targets and clients refer to nodes and file systems by name (text columns): a name
    that resolves to nothing is kept as written, and hagen.check.lustre reports it."""
    targets = []
    for kind, prefix, node_col in (("mdt", "mdt", "mds"), ("ost", "ost", "oss")):
        for r in rows.get(f"lustre_{kind}", []):
            targets.append(LustreTarget(
                name=r[f"{prefix}_name"], kind=kind, fs=r["fs_name"], primary=r[f"{node_col}_node_name"],
                secondary=r[f"{node_col}_ha_node"] or None, active=r[f"{node_col}_active_node"] or None,
                device=r[f"{prefix}_dev"], size=r[f"{prefix}_size"], config_status=r["config_status"],
                status=r["status"]))
    targets.sort(key=lambda t: (t.kind != "mdt", natural_key(t.name)))
    clients = sorted((LustreClient(r["fs_name"], r["mnt_node_name"], r["mount_options"])
                      for r in rows.get("lustre_mount", [])),
                     key=lambda c: (c.fs, natural_key(c.node)))
    targets_of: dict = defaultdict(list)      # (fs, kind) -> targets, fs -> clients: one pass each, order kept
    for t in targets:
        targets_of[(t.fs, t.kind)].append(t)
    clients_of: dict = defaultdict(list)
    for c in clients:
        clients_of[c.fs].append(c)
    filesystems = []
    for r in rows.get("lustre_fs", []):
        name = r["fs_name"]
        filesystems.append(LustreFS(
            name=name, **{c: r[c] for c in _FS_COLUMNS},
            mdts=tuple(targets_of.get((name, "mdt"), ())), osts=tuple(targets_of.get((name, "ost"), ())),
            clients=tuple(clients_of.get(name, ()))))
    filesystems.sort(key=lambda f: natural_key(f.name))
    nodes = by_id["node"]
    io_nodes = sorted((LustreIONode(nodes[r["node_id"]]["name"],
                                    nodes[r["ha_node_id"]]["name"] if r["ha_node_id"] is not None else None,
                                    r["net_status"], r["storage_status"], r["lustre_status"])
                       for r in rows.get("lustre_io_node", [])),
                      key=lambda n: natural_key(n.node))
    return {"filesystems": tuple(filesystems), "lustre_targets": tuple(targets),
            "lustre_clients": tuple(clients), "io_nodes": tuple(io_nodes)}
