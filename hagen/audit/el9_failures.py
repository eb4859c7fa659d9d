"""What each single failure does to an el9-pacemaker cell, from its facts (hagen.audit.el9_facts).

The failures are the dicts of hagen.audit.failures (failure, subject, effect, moves,
fenced, lost, guide, agrees, differs), played the way corosync and Pacemaker behave:
a node is fenced by its fencing levels in order, the first level whose every device
works wins; a BMC loses power with its node; fence_sbd works while both nodes see the
disk; in a split (two_node: both halves quorate) each node fences the other, and the
node whose fencing is delayed more (pcmk_delay_base of the device used, plus
priority-fencing-delay for the node running the higher-priority resources) survives;
a service address moves only if a link monitor's node attribute is read by a location
rule of its resource or group. Services are placed by their highest location score.
"""

from __future__ import annotations

from hagen.audit.el9_facts import El9Cell, seconds, within
from hagen.audit.el9_fencing import BLOCKED, MUTUAL, fence, race, race_text, route
from hagen.audit.failures import ROWS, _failure

ROWS_EL9 = {
    "power": "5.3, 8.1 the node which fails is powered off before its services restart",
    ("mngt", "monitor"): "2.3.3 /etc/HA/status: a failed status check relocates HA_NSM (recovery relocate)",
    ("lustre", "monitor"): "5.7.1 Lustre Software Failure: the status check powers the node off",
    ("nfs", "monitor"): "8.3.1 NFS Software Failure: restart, then reboot of the node",
    "stop": "4.1 rgmanager marks a service whose stop fails as failed; an operator disables it",
}
def analyse(cell: El9Cell, model) -> list[dict]:
    out = []
    for node in cell.nodes:
        out += [_node_crash(cell, node.name), _power_lost(cell, node.name)]
    for link in cell.knet:
        on_active = _knet_lost_on_active(cell, link)
        out += [_knet_lost(cell, link, on_active and cell.peer(on_active["node"]).name)]
        out += [on_active["failure"]] if on_active else []
    from hagen.audit.el9_network import network_down, networks

    out += [network_down(cell, net) for net in networks(cell)]
    from hagen.audit.el9_network import ping_target_lost

    out += [ping_target_lost(cell, m) for m in cell.monitors if m.agent != "ethmonitor"]
    out += [_device_lost(cell, dev) for dev in cell.devices]
    for node in cell.nodes:
        for net in sorted({a.network for a in cell.addresses if a.network}):
            out.append(_nic_lost(cell, node.name, net))
    for svc in cell.services:
        out += [_monitor_failure(cell, svc), _failed_stop(cell, svc)]
    from hagen.audit.el9_lifecycle import lifecycle
    from hagen.audit.el9_storage import storage_failures

    return out + storage_failures(cell) + lifecycle(cell)


def _moves(cell, victim, winner) -> list[dict]:
    return [{"service": s.name, "from": victim, "to": winner} for s in cell.owned(victim)]


def _node_crash(cell, victim) -> dict:
    peer = cell.peer(victim).name
    way = fence(cell, victim)
    row = ROWS[(cell.type, "node_crash")]
    if way is None:
        return _failure("node_crash", victim, f"{peer} misses {victim} on corosync and cannot fence it (no device "
                        f"can): nothing of {victim}'s is recovered", row,
                        lost=[s.name for s in cell.owned(victim)] or [f"the protection of {victim}"])
    level, dev = way
    moved = _moves(cell, victim, peer)
    what = ", ".join(m["service"] for m in moved) or "nothing (no service runs there in the standard state)"
    effect = (f"{peer} misses {victim} on every corosync link and fences it through level {level.index} "
              f"{dev.id} ({dev.agent}, by {route(cell, peer, dev)}); then it starts {what}")
    return _failure("node_crash", victim, effect, row, moved,
                    [{"node": victim, "by": peer, "via": route(cell, peer, dev)}],
                    lost=[f"{victim} (the cell runs on one node until it is repaired)"])


def _power_lost(cell, victim) -> dict:
    peer = cell.peer(victim).name
    way = fence(cell, victim, powerless=victim)
    onboard = [d.id for d in cell.devices if d.powered_by == victim]
    if way is None:
        effect = (f"{victim} and its controller lose power together: {', '.join(onboard) or 'its device'} cannot "
                  f"confirm it is off and no other level can; {peer} retries fencing forever and starts none of "
                  f"{victim}'s services")
        return _failure("node_power_lost", victim, effect, ROWS_EL9["power"],
                        lost=[f"{s.name} (not recovered)" for s in cell.owned(victim)] or
                        [f"{victim}, and fencing of it"],
                        differs="the guide powers the failed node off; here nothing can confirm it is off")
    level, dev = way
    moved = _moves(cell, victim, peer)
    failed = [(lv, d) for lv in cell.node(victim).levels if lv.index < level.index
              for d in map(cell.device, lv.devices) if d is not None]
    spent = [_spent(cell, lv, d) for lv, d in failed]
    onboard = [d for d in onboard if d not in {d.id for _, d in failed}]
    effect = (f"{victim} loses power with its controller" + (f" ({', '.join(onboard)} fails)" if onboard else "")
              + "".join(f"; {text}" for text in spent)
              + f"; level {level.index} {dev.id} ({dev.agent}) confirms it is off"
              + (" once SBD's msgwait has passed" if dev.agent == "fence_sbd" else "")
              + f"; {peer} starts " + (", ".join(m["service"] for m in moved) or "nothing (no service ran there)"))
    return _failure("node_power_lost", victim, effect, ROWS_EL9["power"], moved,
                    [{"node": victim, "by": peer, "via": route(cell, peer, dev)}],
                    lost=[f"{victim} until repaired"])


def _spent(cell, level, dev) -> str:
    """What a level that cannot fence costs before the next is tried: its device's bound
    (pcmk_reboot_timeout, pcmk_reboot_retries), else stonith-timeout spent in retries."""
    if dev.reboot_timeout:
        tries = "one attempt" if dev.reboot_attempts == 1 else f"{dev.reboot_attempts} attempts"
        return (f"level {level.index} {dev.id} gives up after {tries} within {dev.reboot_timeout:g} s "
                "(pcmk_reboot_timeout)")
    return (f"level {level.index} {dev.id} is retried until stonith-timeout ({cell.stonith_timeout:g} s) has "
            "run out")


def _knet_lost(cell, link, on: str | None = None) -> dict:
    """Link `link` lost; on node `on` when it matters where (see _knet_lost_on_active)."""
    subject = f"link {link.number} ({link.network or 'unknown network'})" + (f" on {on}" if on else "")
    row = ROWS[(cell.type, "network")]
    others = [ln for ln in cell.knet if ln.number != link.number]
    if others:
        rest = ", ".join(f"link {ln.number} ({ln.network})" for ln in others)
        return _failure("knet_link_lost", subject, f"corosync carries on over {rest}: the membership holds, no "
                        "fencing, no failover (corosync-cfgtool -s shows the link down)", row,
                        differs="cman's heartbeat rode one network; corosync's other knet link keeps the membership")
    winner, ways = race(cell, down=frozenset({link.network}))
    both = "both halves keep quorum (two_node)" if cell.two_node else "quorum decides"
    effect = f"the cell's only corosync link: the cell splits, {both}; " + race_text(cell, winner, ways)
    if cell.two_node and winner not in (MUTUAL, BLOCKED):
        effect += " (wait_for_all keeps the fenced node out of the cluster until it sees its peer again)"
    if winner in (MUTUAL, BLOCKED) or winner is None:
        lost = (["every service of the cell"] if winner == MUTUAL else
                ["failover of every service until the link is back"] if winner == BLOCKED else
                ["the services of the node that loses"])
        return _failure("knet_link_lost", subject, effect, row, lost=lost)
    loser = cell.peer(winner).name
    moved = _moves(cell, loser, winner)
    effect += "; " + (f"{', '.join(m['service'] for m in moved)} restart on {winner}" if moved else
                      f"{winner} already runs every service: nothing moves")
    return _failure("knet_link_lost", subject, effect, row, moved,
                    [{"node": loser, "by": winner, "via": route(cell, winner, ways[loser][1])}],
                    lost=[f"{loser} until the link is back and it is restarted"]
                    + ([f"{m['service']} while it restarts" for m in moved]))


def _device_lost(cell, dev) -> dict:
    targets = [t for t in dev.targets if any(dev.id in lv.devices for lv in cell.node(t).levels)]
    parts, lost = [f"{dev.id}'s monitor fails: crm_mon shows it failed; the services run on"], []
    for t in targets:
        way = fence(cell, t, lost=frozenset({dev.id}))
        if way is None:
            parts.append(f"should {t} fail now, {cell.peer(t).name} cannot fence it and does not take over")
            owned = ", ".join(s.name for s in cell.owned(t))
            lost.append(f"failover of {owned} if {t} fails" if owned else f"the cell's protection against a "
                        f"failure of {t}")
        else:
            parts.append(f"{t} is still fenced by level {way[0].index} ({way[1].id})")
    return _failure("fence_device_lost", f"{dev.id} ({dev.agent}" + (f" at {dev.address})" if dev.address else ")"),
                    "; ".join(parts), ROWS[(cell.type, "bmc")], lost=lost)


def watchers(cell: El9Cell, node: str, address) -> list:
    """The link monitors whose attribute a location rule of address's resource or service reads,
    and which see the loss of node's link to the address's network."""
    link = next((ln for ln in cell.node(node).links if ln.network == address.network), None)
    out = []
    for m in cell.monitors:
        if not {address.resource, address.service} & set(m.guards):
            continue
        if m.agent == "ethmonitor" and m.interface and m.interface in {address.nic, link.interface if link else None}:
            out.append(m)
        elif m.agent != "ethmonitor" and address.network in m.host_networks:
            out.append(m)
    return out


def _knet_lost_on_active(cell, link) -> dict | None:
    """{"node", "failure"}: link `link` lost on the node running the services with an address
    on its network: its port there dies with the link (the bond whole, not one slave), so the
    membership holds over the other links while those services follow their link monitors
    (a live cell shows it: ethmonitor and ping move the group). None when no such node, or
    when the link is the only one (then the cell splits: _knet_lost)."""
    others = [ln for ln in cell.knet if ln.number != link.number]
    owners = [n.name for n in cell.nodes if any(a.network == link.network and a.service in
                                                {s.name for s in cell.owned(n.name)} for a in cell.addresses)]
    if not others or not link.network or not owners:
        return None
    node = owners[0]
    port = _nic_lost(cell, node, link.network, whole=True)
    return {"node": node, "failure": {**port, "failure": "knet_link_lost",
                                      "subject": f"link {link.number} ({link.network}) on {node}",
                                      "effect": f"{node}'s port on {link.network} goes with the link, and "
                                                f"corosync carries on over the others; " + port["effect"]}}


def _nic_lost(cell, node, net, whole: bool = False) -> dict:
    """One of node's ports on net lost: one slave of a bond, or with `whole` the bond itself."""
    addrs = [a for a in cell.addresses if a.network == net]
    link = next((ln for ln in cell.node(node).links if ln.network == net), None)
    row = ROWS[(cell.type, "link")]
    active = {s.name for s in cell.owned(node)}
    names = ", ".join(a.address for a in addrs)
    if link is None:
        return _failure("service_nic_lost", f"{node} (no port on {net})", f"{node} has no port on {net}", row)
    subject = f"{node} {link.interface} ({net})"
    if link.redundant and not whole:
        return _failure("service_nic_lost", subject, f"one slave of {link.interface} lost: the bond carries on over "
                        f"the other ({'+'.join(link.slaves)}); nothing is lost", row)
    mine = [a for a in addrs if a.service in active]
    if not mine:
        return _failure("service_nic_lost", subject, f"{node} runs none of the services with an address on {net} "
                        "in the standard state: nothing moves; the address could not run there until repaired", row)
    seen = [a for a in mine if watchers(cell, node, a)]
    if len(seen) == len(mine):
        found = {m.id: m for a in mine for m in watchers(cell, node, a)}
        mons = sorted(found)
        moved = [{"service": s, "from": node, "to": cell.peer(node).name} for s in sorted({a.service for a in mine})]
        return _failure("service_nic_lost", subject, f"{', '.join(mons)} clears its node attribute on {node}"
                        f"{within(found.values())}: the "
                        f"location rule moves {', '.join(m['service'] for m in moved)} to {cell.peer(node).name}",
                        row, moved)
    if all(ln.network == net for ln in cell.knet):
        winner, ways = race(cell, down=frozenset({net}))
        effect = f"{node} loses its only corosync link too: the cell splits; " + race_text(cell, winner, ways)
        if winner == cell.peer(node).name:
            return _failure("service_nic_lost", subject, effect + f"; {', '.join(sorted(active))} restart there", row,
                            _moves(cell, node, winner),
                            [{"node": node, "by": winner, "via": route(cell, winner, ways[node][1])}])
        if winner == MUTUAL:
            return _failure("service_nic_lost", subject, effect, row, lost=["every service of the cell"])
        return _failure("service_nic_lost", subject, effect + f"; {names} may stay on {node}'s dead port", row,
                        lost=[f"address {a.address} (its clients are stranded)" for a in mine])
    other = [ln for ln in cell.knet if ln.network != net]
    why = (f"corosync carries on over link {other[0].number} ({other[0].network})" if other
           else f"{net} carries no corosync link")
    effect = (f"{node} stays a full member ({why}); IPaddr2 does not watch the link and no link monitor guards "
              f"{names}: they stay on a dead port, nothing fails over")
    return _failure("service_nic_lost", subject, effect, row,
                    lost=[f"address {a.address} (its clients are stranded)" for a in mine if not watchers(cell, node, a)],
                    differs="rgmanager's ip resource watched the link (monitor_link); IPaddr2 does not")


def threshold(cell, svc, member) -> str:
    """The migration-threshold of a member: its own meta attribute, its group's, rsc_defaults'."""
    value = (dict(member.meta).get("migration-threshold") or dict(svc.meta).get("migration-threshold")
             or cell.default("migration-threshold") or "INFINITY")
    return "INFINITY" if value.lstrip("+") == "INFINITY" or value == "0" else value


def _monitor_failure(cell, svc) -> dict:
    node = (svc.preferred[:1] or (cell.nodes[0].name,))[0]
    peer = cell.peer(node).name
    failing = svc.members[-1]
    limit = threshold(cell, svc, failing)
    on_fail = (failing.op("monitor") or ("", "", "", ""))[3] or "restart"
    row = ROWS_EL9[(cell.type, "monitor")]
    timeout = cell.default("failure-timeout") or dict(svc.meta).get("failure-timeout")
    way = fence(cell, node)
    if on_fail == "fence" and way is not None:
        return _failure("monitor_failure", f"{svc.name} on {node}", f"on-fail=fence: {peer} fences {node} through "
                        f"{way[1].id}, then starts {svc.name}", row, [{"service": svc.name, "from": node, "to": peer}],
                        [{"node": node, "by": peer, "via": route(cell, peer, way[1])}])
    if on_fail == "fence":
        return _failure("monitor_failure", f"{svc.name} on {node}", f"on-fail=fence, and no device can fence {node}: "
                        f"{svc.name} is not recovered", row, lost=[svc.name])
    if on_fail in ("block", "ignore", "stop"):
        return _failure("monitor_failure", f"{svc.name} on {node}", f"on-fail={on_fail}: {svc.name} is not recovered",
                        row, lost=[svc.name])
    if limit == "1":
        return _failure("monitor_failure", f"{svc.name} on {node}",
                        f"migration-threshold=1: the first failure moves {svc.name} to {peer}"
                        + (f" (the failure expires after {timeout})" if timeout else ""), row,
                        [{"service": svc.name, "from": node, "to": peer}])
    effect = (("Pacemaker restarts the failing member and the members after it" if svc.kind == "group"
               else f"Pacemaker restarts {failing.id}")
              + f" on {node}; migration-threshold is {limit}: "
              + ("a monitor that keeps failing restarts it in place forever, the peer never takes over"
                 if limit == "INFINITY" else f"after {limit} failures it moves to {peer}"))
    return _failure("monitor_failure", f"{svc.name} on {node}", effect, row,
                    lost=[f"{svc.name} while it restarts"],
                    differs="rgmanager relocated the service (recovery relocate)" if limit == "INFINITY" else None)


def _failed_stop(cell, svc) -> dict:
    node = (svc.preferred[:1] or (cell.nodes[0].name,))[0]
    peer = cell.peer(node).name
    member = svc.members[0]
    op = member.op("stop") or ("stop", "0s", "", "")
    on_fail = op[3] or ("fence" if cell.stonith_enabled else "block")
    timeout = op[2] or "20s (the default)"
    subject = f"{member.id} of {svc.name} on {node}" if svc.kind == "group" else f"{svc.name} on {node}"
    if on_fail == "fence":
        way = fence(cell, node)
        if way is None:
            return _failure("failed_stop", subject, f"the stop fails or passes {timeout}: {peer} must fence {node} "
                            "and cannot: the service stays blocked", ROWS_EL9["stop"], lost=[svc.name])
        # the fenced node takes every service it ran along, not only the one whose stop
        # failed (seen on xena's OSS pair on the real daemons: tests/test_live_xena_lustre.py)
        moved = _moves(cell, node, peer)
        return _failure("failed_stop", subject,
                        f"the stop fails or passes its timeout ({timeout}): {peer} fences {node} through "
                        f"{way[1].id}, then starts {', '.join(m['service'] for m in moved)}", ROWS_EL9["stop"],
                        moved, [{"node": node, "by": peer, "via": route(cell, peer, way[1])}],
                        lost=[f"{node} until restarted"])
    return _failure("failed_stop", subject, f"on-fail={on_fail} for stop: {svc.name} is blocked on {node} until an "
                    "operator cleans it up", ROWS_EL9["stop"], lost=[svc.name])


__all__ = ["analyse", "race", "fence", "route", "watchers", "seconds"]
