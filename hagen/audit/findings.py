"""Single points of failure left in a cell, and weaker findings (warnings).

A single point of failure is a single failure after which a service of the cell stops or
can no longer fail over; a warning is degraded but still serving. Each finding is an
ordinary report of the code registry (hagen.base.codes): its severity is the code's (a single
point of failure is an audit code of severity error, hagen.base.codes.is_spof), with the guide
section it comes from, what the failure stops, and a hint. Findings are plain dicts with
stable keys.
"""

from __future__ import annotations

from hagen.audit.facts import CellFacts, fence_route
from hagen.audit.failures import owned, uses
from hagen.base.codes import is_spof
from hagen.base.codes import severity as registry_severity

SPOF = "error"          # the registry's severity of a single point of failure
WARNING = "warning"


def _finding(code, severity, cell, guide, message, stops, hint, subjects=()) -> dict:
    """subjects: what the finding names (networks, nodes, aliases, devices, disk arrays), for machines.
    severity says what the caller means; the registry's is the one reported (they must agree)."""
    if severity != registry_severity(code):
        raise ValueError(f"{code} is registered as {registry_severity(code)}, found as {severity}")
    return {"code": code, "severity": severity, "spof": is_spof(code), "cell": cell.name, "guide": guide,
            "message": message, "stops": stops, "hint": hint, "subjects": list(subjects), "accepted": None,
            "table": "da_iocell", "row": f"name={cell.name}"}


def findings(cell: CellFacts, model, site) -> list[dict]:
    out = []
    out += _heartbeat_is_fencing(cell, model)
    out += _unwatched_alias_links(cell, model)
    out += _quorum(cell)
    out += _mds_on_management(cell, model)
    out += _one_array(cell)
    out += _heartbeat_links(cell, model)
    return out


def _heartbeat_is_fencing(cell, model) -> list:
    """HA1000: the heartbeat network is also the way every fencing request goes (5.7.3)."""
    hb = cell.heartbeat
    routes = {fence_route(cell, cell.peer(n.name), n) for n in cell.nodes if n.fencing}
    if hb is None or routes != {hb}:
        return []
    bmcs = sorted({n.fencing.controller_network or "?" for n in cell.nodes if n.fencing})
    return [_finding("HA1000", SPOF, cell, "5.7.3",
                     f"heartbeat and fencing share the {hb} network: the controllers ({', '.join(bmcs)} network) "
                     f"are reached through {hb}, where the heartbeat runs",
                     f"{hb} down: neither node can fence the other, Cluster Suite does not fail over "
                     f"({', '.join(s.name for s in cell.services)} can no longer fail over)",
                     _bmc_port_hint(cell, model)
                     + {"nfs": "; or run the heartbeat on the backbone (nfs.heartbeat, 9.4 step 6)",
                        "lustre": "; a Lustre cell's heartbeat stays on the admin network (6.2.1)"}.get(cell.type,
                        "; or run the heartbeat on another network (management.heartbeat)"), [hb])]


def _bmc_port_hint(cell, model) -> str:
    """A port on the controllers' network, named so that it does not clash with the
    controllers' own names (<node>-bmc, HA813): the network's suffix says the port's name."""
    nets = sorted({n.fencing.controller_network for n in cell.nodes if n.fencing and n.fencing.controller_network})
    nodes = ", ".join(n.name for n in cell.nodes)
    if not nets:
        return f"give {nodes} a port on their controllers' network (a node_port row each)"
    net = model.network(nets[0])
    controllers = {n.fencing.controller for n in cell.nodes if n.fencing}
    clash = [n.name for n in cell.nodes if net.host_name(n.name) in controllers]
    hint = f"give {nodes} a port on the {net.name} network (a node_port row each, on an interface of its own)"
    if clash:
        hint += (f" and give that network a suffix other than '{net.suffix}' (network.suffix, e.g. 'fence': the "
                 f"ports are then named {clash[0]}-fence while the controller keeps {net.host_name(clash[0])}; "
                 "one name for both is HA813)")
    return hint


def _bond_hint(cell, node, network, model) -> str:
    """A bond hagen writes: the management pair's bonds, or one with nodes: for another HA node."""
    port = next((p for p in model.node(node.name).ports if p.network == network), None) if model.node(node.name) else None
    slaves = f"[{port.interface}, <second interface>]" if port else "[<two interfaces>]"
    if cell.type == "mngt":
        return (f"bond two slaves for {network} on {node.name} (network.bonding.bonds: name, network: {network}, "
                f"slaves: {slaves})")
    return (f"bond two slaves for {network} on {node.name} (network.bonding.bonds: name, network: {network}, "
            f"slaves: {slaves}, nodes: [{node.name}])")


def _unwatched_alias_links(cell, model) -> list:
    """HA1001: an alias on a network other than the heartbeat, reached through a single port
    (no bond, or a bond of one slave) that nothing watches."""
    out = []
    for alias in cell.aliases:
        if alias.network == cell.heartbeat:
            continue                   # losing that link loses the heartbeat: the node is fenced, services move
        watched = any(a.split("/")[0] == alias.address for s in cell.services for a in s.watched)
        if watched:
            continue
        single = [n for n in cell.nodes if n.link(alias.network) is None or not n.link(alias.network).redundant]
        for node in single:
            link = node.link(alias.network)
            how = "no port" if link is None else (f"bond {link.interface} with one slave" if link.slaves
                                                  else f"the single port {link.interface}")
            out.append(_finding(
                "HA1001", SPOF, cell, "2.4, 5.7.3, 8.3.3",
                f"alias {alias.name} ({alias.network}) is carried on {node.name} by {how}, and no monitor "
                "watches that link",
                f"that link lost while {node.name} is active: {alias.name} is unreachable and nothing fails "
                f"over ({', '.join(s.name for s in owned(cell, node.name)) or 'the services'} keep running "
                "unreachable)",
                _bond_hint(cell, node, alias.network, model)
                + {"nfs": f", or run the heartbeat on {alias.network} (nfs.heartbeat)",
                   "mngt": f", or run the heartbeat on {alias.network} (management.heartbeat)"}.get(cell.type, ""),
                [alias.network, alias.name, node.name]))
    return out


def _quorum(cell) -> list:
    """HA1002: a quorum disk with no heuristic (SPOF); HA1011: two_node (warning)."""
    q = cell.quorum
    if q.device and not q.heuristics:
        return [_finding("HA1002", SPOF, cell, "8.3.3",
                         f"the quorum disk {q.device} has no heuristic: on a heartbeat split both nodes keep "
                         "its vote",
                         f"{cell.heartbeat} heartbeat down: a fencing race instead of the quorum disk's choice; "
                         "the active node may be fenced and its services stop while they restart on the peer",
                         "give the quorum disk a heuristic (a ping of the heartbeat network's gateway) so that "
                         "the node that lost the network loses quorum", [q.device])]
    if q.two_node:
        return [_finding("HA1011", WARNING, cell, "5.7.3",
                         "two_node without a quorum disk: a heartbeat loss starts a fencing race",
                         "the winner of the race runs every service; the services of the loser restart",
                         "add a quorum disk with a heuristic to the cell (da_iocell.quorum_device)")]
    return []


def _mds_on_management(cell, model) -> list:
    """HA1003: a management node also serves an MDT (5.4: a double failure)."""
    from hagen.model.iocell import management_nodes

    if cell.type != "lustre":
        return []
    mgmt = {n.name for n in management_nodes(model)}
    out = []
    for t in cell.lustre_targets:
        if t.kind != "mdt":
            continue
        for name in sorted(set(t.nodes) & mgmt):
            out.append(_finding("HA1003", SPOF, cell, "5.4",
                                f"MDT {t.name} is served by management node {name}",
                                f"{name} down: the management services and the metadata server of {t.fs} migrate "
                                "at once, a double failure the guide does not support",
                                "serve MDTs from I/O nodes that are not management nodes", [name, t.name]))
    return out


def _one_array(cell) -> list:
    """HA1004: the cell's shared storage is one disk array."""
    if len(cell.disk_arrays) != 1:
        return []
    array = cell.disk_arrays[0]
    stopped = [s.name for s in cell.services if uses(cell, s)]
    return [_finding("HA1004", SPOF, cell, "5.3, 8.1, 8.3.2",
                     f"every shared LUN of the cell{' and its quorum disk' if cell.quorum.device else ''} "
                     f"lies on one disk array, {array}",
                     f"{array} lost: {', '.join(stopped) or 'every service of the cell'} stop{'s' if len(stopped) == 1 else ''} "
                     "on both nodes",
                     "spread the cell's LUNs over two disk arrays (da_iocell_component), mirrored where one "
                     "service needs both", [array])]


def _heartbeat_links(cell, model) -> list:
    """HA1010: a node reaches the heartbeat network by a single port (warning: it is fenced
    and its services fail over, 5.7.3)."""
    out = []
    for node in cell.nodes:
        link = node.link(cell.heartbeat)
        if link is None or link.redundant:
            continue
        how = f"bond {link.interface} with one slave" if link.slaves else f"the single port {link.interface}"
        out.append(_finding("HA1010", WARNING, cell, "5.7.3",
                            f"{node.name} reaches the heartbeat network {cell.heartbeat} by {how}",
                            f"that link lost: {node.name} is fenced by its peer and its services fail over",
                            _bond_hint(cell, node, cell.heartbeat, model), [cell.heartbeat, node.name]))
    return out
