"""What each single failure does to a cell, from its facts (hagen.audit.facts).

Each failure is a plain dict with stable keys: `failure` (its class), `subject` (the
node, network, device... that fails), `effect` (one sentence), `moves` (services that
move: service, from, to), `fenced` (node, by, via), `lost` (what stops), `guide` (the
table row it is compared with), `agrees` and `differs` (where the written configuration
departs from the guide's row). Services are placed as in the standard state: each on
the first node of its failover domain.
"""

from __future__ import annotations

from hagen.audit.facts import CellFacts, fence_route

# the guide's rows, by cell type and failure class
ROWS = {
    ("mngt", "node_crash"): "2.1.1 Management Node kernel panic/hang; Node Hardware Failure or Power Down",
    ("lustre", "node_crash"): "5.7.1 I/O Node Panic/Hang; I/O Node Power down",
    ("nfs", "node_crash"): "8.3.1 I/O Node Panic/Hang; I/O Node Power down",
    ("mngt", "network"): "5.7.3 Management Network Failure (2.1.1 has no network row; the pair is built as a Lustre cell is)",
    ("lustre", "network"): "5.7.3 Management Network Failure",
    ("nfs", "network"): "8.3.3 Ethernet Heartbeat Network failure",
    ("mngt", "link"): "2.4 Channel Bonding; 5.7.3 Ethernet Network Access Failure (NIC or link Failure)",
    ("lustre", "link"): "5.7.3 Ethernet Network Access Failure (NIC or link Failure)",
    ("nfs", "link"): "8.3.3 BMC Ethernet Network Access Failure for the switch or link",
    ("mngt", "storage"): "2.2.1 a rack of disks shared between the nodes, tolerant of breakdowns",
    ("lustre", "storage"): "5.7.2 Storage Failures",
    ("nfs", "storage"): "8.3.2 Storage Failures",
    ("mngt", "bmc"): "2.1 the peer takes over only once fencing is completed",
    ("lustre", "bmc"): "5.3 the node which fails is powered off before its services restart",
    ("nfs", "bmc"): "8.1 a node which fails is powered off",
    ("mngt", "quorum"): "3.1.4.3 cluster.conf (no quorum disk in the guide's management pair)",
    ("lustre", "quorum"): "6.2.1 the quorum disk defined in the model file",
    ("nfs", "quorum"): "8.3.3 Cluster Suite's Quorum disk prevents the fencing race",
}


def _failure(kind, subject, effect, guide, moves=(), fenced=(), lost=(), differs=None) -> dict:
    return {"failure": kind, "subject": subject, "effect": effect, "moves": list(moves), "fenced": list(fenced),
            "lost": list(lost), "guide": guide, "agrees": differs is None, "differs": differs}


def owned(cell: CellFacts, node: str) -> list:
    """The services node runs in the standard state."""
    return [s for s in cell.services if s.members and s.members[0] == node]


def _serves(cell: CellFacts, service) -> str:
    """What a service carries, for the reader: its aliases, file systems or targets."""
    parts = []
    if cell.type == "mngt":
        parts += [f"alias {a.name}" for a in cell.aliases]
        parts += [d.use for d in cell.devices if d.use != "quorum disk"]
    names = {a.address: a.name for a in cell.aliases}
    parts += [f"alias {names.get(a.split('/')[0], a)}" for a in service.addresses]
    parts += [mp for _, mp in service.filesystems]
    node = service.members[0] if service.members else None
    parts += [f"{t.kind.upper()} {t.name}" for t in cell.lustre_targets if t.primary == node]
    return ", ".join(parts)


def analyse(cell: CellFacts, model) -> list[dict]:
    out = []
    for node in cell.nodes:
        out.append(_node_crash(cell, node))
    networks = [cell.heartbeat] if cell.heartbeat else []
    for role in ("admin", "backbone"):
        net = model.role_network(role)
        if net is not None and net.name not in networks:
            networks.append(net.name)
    for name in networks:
        out.append(_network_down(cell, model, name))
    for node in cell.nodes:
        out.append(_bmc_unreachable(cell, node))
    for node in cell.nodes:
        for link in node.links:
            if model.network(link.network).function != "bmc":
                out.append(_link_lost(cell, model, node, link))
    for array in cell.disk_arrays:
        out.append(_array_lost(cell, array))
    for dev in cell.devices:
        if dev.use != "quorum disk":
            out.append(_lun_lost(cell, dev))
    out.append(_quorum_lost(cell))
    return out


def _takeover(cell, victim, winner):
    moves = [{"service": s.name, "from": victim.name, "to": winner.name} for s in owned(cell, victim.name)]
    fenced = [{"node": victim.name, "by": winner.name, "via": fence_route(cell, winner, victim)}]
    return moves, fenced


def _node_crash(cell, node) -> dict:
    peer = cell.peer(node.name)
    moves, fenced = _takeover(cell, node, peer)
    route = fenced[0]["via"]
    what = "; ".join(f"{m['service']} ({_serves(cell, s)}) moves to {peer.name}" if _serves(cell, s) else
                     f"{m['service']} moves to {peer.name}"
                     for m, s in zip(moves, owned(cell, node.name)))
    f = node.fencing
    effect = (f"{peer.name} misses {node.name}'s heartbeat on {cell.heartbeat} and powers it off through "
              f"{f.device} ({f.agent} at {f.address}, reached by the {route} network); "
              + (f"then it takes over: {what}" if what else
                 f"no service runs on {node.name} in the standard state: nothing moves"))
    if cell.type == "lustre":
        effect += f"; when {node.name} is back, lustre_migrate relocate -n {node.name} moves its services home (5.4)"
    if cell.type == "nfs":
        effect += f"; after its reboot Cluster Suite is restarted on {node.name} by hand (9.4.1)"
    return _failure("node_crash", node.name, effect, ROWS[(cell.type, "node_crash")], moves, fenced,
                    lost=[f"{node.name} (the cell runs on one node until it is repaired)"])


def _shares_fencing(cell, network) -> bool:
    """Whether every fencing request of the cell leaves by this network."""
    routes = {fence_route(cell, cell.peer(n.name), n) for n in cell.nodes}
    return routes == {network}


def _network_down(cell, model, name) -> dict:
    on = [n for n in cell.nodes if n.link(name)]
    aliases = [a.name for a in cell.aliases if a.network == name]
    row = ROWS[(cell.type, "network")]
    if not on:
        return _failure("network_down", name, f"no node of the cell is on {name}: nothing happens to the cell", row)
    lost = [f"alias {a} (its clients lose the services)" for a in aliases]
    if name == cell.heartbeat:
        if _shares_fencing(cell, name):
            effect = (f"heartbeat and fencing both go over {name}: each node misses its peer, neither can fence "
                      "it, and Cluster Suite blocks: no failover; the services stay where they run, unmanaged")
            lost.append("failover of every service of the cell")
            differs = None
            if cell.type == "nfs":
                differs = ("8.3.3 has the quorum disk settle a heartbeat failure; with fencing on the same network "
                           "nobody can fence, so nothing fails over (as 5.7.3 says of the management network)")
            return _failure("network_down", name, effect, row, lost=lost, differs=differs)
        if cell.quorum.device and cell.quorum.heuristics:
            effect = (f"the heartbeat stops; the quorum disk {cell.quorum.device} and its heuristics decide which "
                      "node keeps quorum; the other is fenced and the services run on the survivor")
            return _failure("network_down", name, effect, row, lost=lost)
        effect = (f"the heartbeat stops and both nodes race to fence each other through "
                  f"{', '.join(sorted({fence_route(cell, cell.peer(n.name), n) for n in cell.nodes}))}: "
                  "the winner runs every service of the cell, possibly after restarting them")
        differs = None
        if cell.quorum.device:
            differs = (f"the quorum disk {cell.quorum.device} has no heuristic: both nodes keep its vote and it "
                       "does not prevent the fencing race 8.3.3 expects it to prevent")
        return _failure("network_down", name, effect, row, lost=lost + ["the services during the race"],
                        differs=differs)
    fencing = _shares_fencing(cell, name)
    parts = [f"the heartbeat ({cell.heartbeat}) goes on: no failover is started (only the heartbeat is "
             "watched by Cluster Suite, 5.7.3, 8.3.3)"]
    if fencing:
        parts.append(f"fencing requests leave by {name}: no node can be fenced, so a node failure now would "
                     "not fail over")
        lost.append("the ability to fail over")
    monitored = [a for a in aliases if _monitored(cell, model, a)]
    if monitored:
        parts.append(f"the alias(es) {', '.join(monitored)} are watched (monitor_link): the service is relocated, "
                     f"but the peer is on {name} too and cannot serve them either")
    return _failure("network_down", name, "; ".join(parts), row, lost=lost)


def _monitored(cell, model, alias_name) -> bool:
    """Whether rgmanager watches the alias's link (an ip resource with monitor_link)."""
    alias = next(a for a in cell.aliases if a.name == alias_name)
    return any(addr.split("/")[0] == alias.address for s in cell.services for addr in s.watched)


def _bmc_unreachable(cell, node) -> dict:
    peer = cell.peer(node.name)
    f = node.fencing
    effect = (f"nothing happens while {node.name} is healthy; should it fail now, {peer.name} cannot power it off "
              f"through {f.device} ({f.address}) and does not take over its services")
    lost = [f"failover of {', '.join(s.name for s in owned(cell, node.name))} if {node.name} fails"] \
        if owned(cell, node.name) else [f"the cell's protection against a failure of {node.name}"]
    return _failure("bmc_unreachable", f"{f.controller or f.device} ({node.name})", effect,
                    ROWS[(cell.type, "bmc")], lost=lost)


def _link_lost(cell, model, node, link) -> dict:
    peer = cell.peer(node.name)
    row = ROWS[(cell.type, "link")]
    if link.redundant:
        subject = f"{node.name} {' or '.join(link.slaves)} (a slave of {link.interface} on {link.network})"
        effect = (f"{link.interface} carries on over the other slave: nothing is lost "
                  "(active-backup bonding, 3.1.2)")
        return _failure("bond_slave_lost", subject, effect, row)
    subject = f"{node.name} {link.interface} (the only link to {link.network})"
    if link.network == cell.heartbeat:
        moves, fenced = _takeover(cell, node, peer)
        effect = (f"{node.name} loses the heartbeat and cannot fence {peer.name}"
                  if fence_route(cell, node, peer) == link.network else f"{node.name} loses the heartbeat")
        effect += f"; {peer.name} fences it and takes over its services"
        return _failure("link_lost", subject, effect, row, moves, fenced, lost=[f"{node.name} until repaired"])
    aliases = [a.name for a in cell.aliases if a.network == link.network]
    if not aliases:
        return _failure("link_lost", subject, f"no service of the cell depends on {link.network}: no failover, "
                        "nothing of the cell is lost", row)
    watched = [a for a in aliases if _monitored(cell, model, a)]
    if watched and len(watched) == len(aliases):
        moves = [{"service": s.name, "from": node.name, "to": peer.name} for s in owned(cell, node.name)]
        effect = (f"the link monitor of the alias(es) {', '.join(aliases)} fails the service on {node.name}: "
                  f"rgmanager relocates it to {peer.name}")
        differs = ("8.3.3 says only the heartbeat network is watched; the written cluster.conf watches the "
                   "aliases' links (monitor_link), so the service moves")
        return _failure("link_lost", subject, effect, row, moves, differs=differs)
    effect = (f"the alias(es) {', '.join(aliases)} on {node.name} are unreachable; nothing watches that link "
              "(only the heartbeat is watched, and /etc/HA/status is empty: 2.3.3): no failover")
    return _failure("link_lost", subject, effect, row,
                    lost=[f"alias {a} while {node.name} is active" for a in aliases])


def uses(cell, service) -> set[str]:
    """The devices a service cannot run without: its file systems, its node's Lustre targets,
    every mnttab device for the management pair's service (hamount mounts them all)."""
    if cell.type == "mngt":
        return {d.path for d in cell.devices if d.use != "quorum disk"}
    node = service.members[0] if service.members else None
    return {dev for dev, _ in service.filesystems} | {t.device for t in cell.lustre_targets if t.primary == node}


def _array_lost(cell, array) -> dict:
    devs = [d for d in cell.devices if d.array == array]
    paths = {d.path for d in devs}
    lost = [f"{d.use} ({d.path})" for d in devs]
    services = [s.name for s in cell.services if uses(cell, s) & paths]
    effect = (f"both nodes lose what {array} holds: the failover script fails on one node and the peer cannot "
              "mount it either" + (f"; {', '.join(services)} stop{'s' if len(services) == 1 else ''}"
                                         if services else ""))
    if any(d.use == "quorum disk" for d in devs):
        effect += "; the quorum disk goes with it"
    return _failure("disk_array_lost", array, effect, ROWS[(cell.type, "storage")], lost=lost)


def _lun_lost(cell, dev) -> dict:
    effect = (f"I/O errors on {dev.path} ({dev.use}) make the node using it fail; its services move to the peer, "
              "which sees the same LUN and fails the same way")
    differs = ("the guide's rows cover a path to the LUN failing on one node (adapter, controller), which a "
               "failover cures; a LUN lost on the array is lost for both nodes") if cell.type != "mngt" else None
    return _failure("lun_lost", dev.path, effect, ROWS[(cell.type, "storage")], lost=[f"{dev.use} ({dev.path})"],
                    differs=differs)


def _quorum_lost(cell) -> dict:
    q = cell.quorum
    row = ROWS[(cell.type, "quorum")]
    if not q.device:
        return _failure("quorum_device_lost", "-", "the cell has no quorum device (two_node): nothing to lose", row)
    effect = (f"the nodes keep quorum with their own votes ({len(cell.nodes)} of {q.expected_votes}) and the "
              "services run on; "
              "a node failure now leaves the survivor without quorum: no failover until the quorum disk is back")
    return _failure("quorum_device_lost", q.device, effect, row, lost=["failover while the quorum disk is lost"])
