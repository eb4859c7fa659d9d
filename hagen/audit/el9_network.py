"""A whole network down for both nodes of an el9-pacemaker cell (its switch), and the link
monitors that react to it.

Losing a network for both nodes is not losing one node's port: corosync loses that link
between every pair, every address on it is unreachable wherever it runs, fencing
requests routed through it fail, and every link monitor watching it clears its node
attribute on *both* nodes, so that a location rule of score -INFINITY bans the service
it guards from every node: the service stops everywhere, with its addresses on the
networks that still work (the classic ping/ethmonitor pitfall).
"""

from __future__ import annotations

from hagen.audit.el9_facts import El9Cell, within
from hagen.audit.el9_fencing import BLOCKED, MUTUAL, fence, race, race_text, route
from hagen.audit.failures import ROWS, _failure


def watched_networks(cell: El9Cell, monitor) -> set[str]:
    """The networks a link monitor sees: its interface's (ethmonitor), its hosts' (ping)."""
    if monitor.agent == "ethmonitor":
        return {ln.network for n in cell.nodes for ln in n.links if ln.interface == monitor.interface}
    return set(monitor.host_networks)


def banning(cell: El9Cell, monitor) -> list[str]:
    """The services a -INFINITY location rule reading the monitor's attribute bans."""
    return sorted({c.rsc for c in cell.constraints if c.kind == "rsc_location" and c.rsc
                   and monitor.attribute in c.rule_attributes and (c.score or "").lstrip("-") in ("INFINITY", "inf")
                   and (c.score or "").startswith("-")})


def stopped_by(cell: El9Cell, net: str) -> dict[str, list[str]]:
    """{service: [monitor ids]} that the loss of net on both nodes stops everywhere."""
    out: dict[str, list[str]] = {}
    for m in cell.monitors:
        if net in watched_networks(cell, m):
            for svc in banning(cell, m):
                out.setdefault(svc, []).append(m.id)
    return out


def networks(cell: El9Cell) -> list[str]:
    nets = [ln.network for ln in cell.knet if ln.network]
    nets += [a.network for a in cell.addresses if a.network]
    return sorted(set(nets), key=nets.index)


def network_down(cell: El9Cell, net: str) -> dict:
    parts, lost, moves, fenced = [], [], [], []
    on = [ln for ln in cell.knet if ln.network == net]
    others = [ln for ln in cell.knet if ln.network != net]
    if on and others:
        parts.append(f"corosync carries on over link {others[0].number} ({others[0].network})")
    elif on:
        winner, ways = race(cell, frozenset({net}))
        parts.append("the cell splits (its only corosync link): " + race_text(cell, winner, ways))
        if winner in (MUTUAL, BLOCKED) or winner is None:
            lost.append("every service of the cell" if winner == MUTUAL else "failover while it lasts")
        else:
            loser = cell.peer(winner).name
            moves = [{"service": s.name, "from": loser, "to": winner} for s in cell.owned(loser)]
            fenced = [{"node": loser, "by": winner, "via": route(cell, winner, ways[loser][1])}]
    addrs = [a.address for a in cell.addresses if a.network == net]
    if addrs:
        parts.append(f"{', '.join(addrs)} cannot be reached on {net}, whichever node runs them")
        lost += [f"address {a} (until {net} is back)" for a in addrs]
    for svc, mons in sorted(stopped_by(cell, net).items()):
        slow = within(m for m in cell.monitors if m.id in mons)
        parts.append(f"{', '.join(mons)}: the node attribute clears on both nodes{slow}: the -INFINITY rule bans {svc} from "
                     "every node, and it stops, with its addresses on the networks that still work")
        lost.append(f"{svc} (stopped everywhere until {net} is back)")
    unfenced = [n.name for n in cell.nodes if fence(cell, n.name) and not fence(cell, n.name, down=frozenset({net}))]
    if unfenced:
        parts.append(f"fencing requests go through {net}: {', '.join(unfenced)} can no longer be fenced")
        lost.append(f"failover of {', '.join(unfenced)}")
    if not parts:
        parts.append(f"nothing of the cell depends on {net}")
    return _failure("network_down", net, "; ".join(parts), ROWS[(cell.type, "network")], moves, fenced, lost)


def ping_target_lost(cell: El9Cell, monitor) -> dict:
    """One host a ping monitor pings stops answering (a router rebooting) while the networks work."""
    banned = banning(cell, monitor)
    subject = f"{monitor.hosts[0] if monitor.hosts else '?'} (pinged by {monitor.id})"
    if len(monitor.hosts) > 1:
        return _failure("ping_target_lost", subject, f"{monitor.attribute} drops by one on both nodes and stays above "
                        f"0: the other {len(monitor.hosts) - 1} host(s) still answer, nothing moves", "-")
    if not banned:
        return _failure("ping_target_lost", subject, f"{monitor.attribute} falls to 0 on both nodes; no -INFINITY "
                        "rule reads it: nothing stops", "-")
    return _failure("ping_target_lost", subject,
                    f"its only host stops answering: {monitor.attribute} falls to 0 on both nodes{within([monitor])} "
                    "and the -INFINITY "
                    f"rule bans {', '.join(banned)} from every node: it stops, although every network works", "-",
                    lost=[f"{svc} (stopped everywhere until the host answers)" for svc in banned])
