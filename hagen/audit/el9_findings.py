"""Single points of failure and warnings of an el9-pacemaker cell (codes HA1020-HA1039,
and HA1003/HA1004, whose facts do not depend on the stack).

Each finding follows from the failures hagen.audit.el9_failures plays, so that a fix in
the written CIB or corosync.conf (a second fencing level, a second knet link, a link
monitor, a delay) makes the finding go away by itself.
"""

from __future__ import annotations

from hagen.audit.el9_facts import El9Cell
from hagen.audit.el9_failures import BLOCKED, MUTUAL, fence, race, threshold, watchers
from hagen.audit.el9_storage import uses
from hagen.audit.findings import SPOF, WARNING, _finding

SECOND_LEVEL = ("add a fencing level that survives the node's power loss: SBD on a small shared LUN "
                "(da_iocell.quorum_device) or a switched PDU")


def findings(cell: El9Cell, model, site) -> list[dict]:
    out = []
    out += _unfenceable(cell)
    out += _power_spof(cell)
    out += _single_link(cell)
    out += _stranded(cell)
    out += _blocked_stop(cell)
    out += _lone_ping_target(cell)
    out += _mds_on_management(cell, model)
    out += _one_array(cell)
    out += _bonded_unwatched(cell)
    out += _threshold(cell)
    out += _fixed_delay(cell)
    out += _monitor_stops_everywhere(cell)
    return out


def _unfenceable(cell) -> list:
    """HA1023: stonith disabled, or a node no device can fence."""
    if not cell.stonith_enabled:
        return [_finding("HA1023", SPOF, cell, "5.3, 8.1", "stonith-enabled is false: no node is ever fenced",
                         "a node that hangs keeps its file systems while the peer mounts them (corruption), or "
                         "nothing is recovered", "set stonith-enabled=true and configure a fence device per node",
                         [n.name for n in cell.nodes])]
    return [_finding("HA1023", SPOF, cell, "5.3, 8.1", f"no fence device can fence {n.name} (none names it, or "
                     "those that do are disabled)",
                     f"{n.name} fails: {cell.peer(n.name).name} cannot fence it and starts none of its services",
                     "give every node a fence device (its BMC) whose pcmk_host_list names it", [n.name])
            for n in cell.nodes if fence(cell, n.name) is None]


def _power_spof(cell) -> list:
    """HA1020: every fencing level of a node needs a device that loses power with the node."""
    out = []
    for n in cell.nodes:
        if fence(cell, n.name) is None or fence(cell, n.name, powerless=n.name) is not None:
            continue
        devs = sorted({d.id for d in cell.devices if d.powered_by == n.name})
        out.append(_finding(
            "HA1020", SPOF, cell, "5.3, 8.1",
            f"{n.name} has {len(n.levels)} fencing level(s), and every one relies on a device that loses power "
            f"with it ({', '.join(devs)})",
            f"{n.name} loses power: its BMC goes with it, {cell.peer(n.name).name} cannot confirm the fencing and "
            f"does not start {', '.join(s.name for s in cell.owned(n.name)) or 'any of its services'}", SECOND_LEVEL,
            [n.name] + devs))
    return out


def _single_link(cell) -> list:
    """HA1021 (SPOF): one corosync link, whose loss ends in both nodes fenced or none able to;
    HA1030 (warning): one corosync link, the race settled."""
    if len(cell.knet) != 1:
        return []
    net = cell.knet[0].network
    winner, ways = race(cell, frozenset({net}))
    hint = ("give corosync a second knet link on another network the nodes share (ring1_addr), and a delay on "
            "every fencing level (or priority-fencing-delay)")
    if winner in (MUTUAL, BLOCKED):
        how = ("both nodes fence each other at once: every service stops" if winner == MUTUAL else
               "neither node can fence the other: nothing is recovered while it lasts")
        used = sorted({w[1].id for w in ways.values() if w})
        return [_finding("HA1021", SPOF, cell, "5.7.3",
                         f"corosync runs on one link ({net}) and, when it splits, the fencing that still works "
                         + (f"({', '.join(used)}) carries no delay that tells the nodes apart" if winner == MUTUAL
                            else "is none: every level goes through that network"),
                         f"{net} lost: {how}", hint, [net] + used)]
    return [_finding("HA1030", WARNING, cell, "5.7.3",
                     f"corosync runs on one link ({net}): losing it splits the cell with both halves quorate",
                     f"{net} lost: a fencing race; the loser's services restart on the winner", hint, [net])]


def _stranded(cell) -> list:
    """HA1022: a service address on a single port that no link monitor guards."""
    out = []
    for a in cell.addresses:
        for n in cell.nodes:
            link = next((ln for ln in n.links if ln.network == a.network), None)
            if link is None or link.redundant or watchers(cell, n.name, a):
                continue
            if all(ln.network == a.network for ln in cell.knet) and \
                    race(cell, frozenset({a.network}))[0] == cell.peer(n.name).name:
                continue                   # its loss cuts the node off and the peer wins: the service moves
            out.append(_finding(
                "HA1022", SPOF, cell, "8.3.3",
                f"address {a.address} ({a.resource}, {a.network}) rides the single port {link.interface} of {n.name} "
                "and no link monitor guards it (IPaddr2 does not watch the link)",
                f"{link.interface} lost while {n.name} runs {a.service}: {n.name} stays in the cluster, the address "
                "stays on a dead port, its clients are stranded",
                f"add an ocf:heartbeat:ethmonitor clone on {link.interface} (or ocf:pacemaker:ping toward the "
                f"clients) with a location rule on {a.service}", [a.network, a.resource, n.name]))
    return out


def _blocked_stop(cell) -> list:
    """HA1024: a failed stop that nothing recovers (on-fail=block, or no fencing)."""
    out = []
    for s in cell.services:
        for r in s.members:
            op = r.op("stop")
            on_fail = (op[3] if op else "") or ("fence" if cell.stonith_enabled else "block")
            if on_fail in ("block", "ignore") and cell.stonith_enabled:
                out.append(_finding("HA1024", SPOF, cell, "4.1", f"{r.id}'s stop has on-fail={on_fail}",
                                    f"its stop fails: {s.name} is blocked until an operator cleans it up",
                                    "leave on-fail of stop to its default (fence)", [r.id]))
    return out


def _mds_on_management(cell, model) -> list:
    """HA1003 on el9 too: a management node serves an MDT."""
    from hagen.model.iocell import management_nodes

    if cell.type != "lustre":
        return []
    mgmt = {n.name for n in management_nodes(model)}
    return [_finding("HA1003", SPOF, cell, "5.4", f"MDT {t.name} is served by management node {name}",
                     f"{name} down: the management services and the metadata server of {t.fs} migrate at once",
                     "serve MDTs from I/O nodes that are not management nodes", [name, t.name])
            for t in cell.lustre_targets if t.kind == "mdt" for name in sorted(set(t.nodes) & mgmt)]


def _one_array(cell) -> list:
    """HA1004 on el9 too: every shared LUN (and the SBD disk) on one disk array."""
    if len(cell.disk_arrays) != 1:
        return []
    array = cell.disk_arrays[0]
    stopped = [s.name for s in cell.services if uses(cell, s)]
    sbd = any(d.use.startswith("SBD") for d in cell.storage)
    return [_finding("HA1004", SPOF, cell, "5.3, 8.1, 8.3.2",
                     f"every shared LUN of the cell{' and its SBD disk' if sbd else ''} lies on one disk array, {array}",
                     f"{array} lost: {', '.join(stopped) or 'every service of the cell'} cannot run on either node",
                     "spread the cell's LUNs over two disk arrays (da_iocell_component)", [array])]


def _bonded_unwatched(cell) -> list:
    """HA1031: a service address on a bond that no link monitor guards (both slaves, or the node's
    switch, lost strands its clients)."""
    out = []
    for a in cell.addresses:
        for n in cell.nodes:
            link = next((ln for ln in n.links if ln.network == a.network), None)
            if link is None or not link.redundant or watchers(cell, n.name, a):
                continue
            out.append(_finding("HA1031", WARNING, cell, "2.4",
                                f"address {a.address} rides bond {link.interface} of {n.name} and no link monitor "
                                "guards it",
                                f"both slaves of {link.interface} lost (one switch): the address stays on a dead bond",
                                f"add an ocf:heartbeat:ethmonitor clone on {link.interface} with a location rule on "
                                f"{a.service}", [a.network, a.resource, n.name]))
    return out


def _threshold(cell) -> list:
    """HA1032: no migration-threshold: a failing monitor restarts the service in place forever."""
    out = []
    for s in cell.services:
        if any(threshold(cell, s, r) == "INFINITY" for r in s.members):
            out.append(_finding("HA1032", WARNING, cell, "4.1",
                                f"{s.name} has a member without migration-threshold (its meta attributes, its "
                                "group's or rsc_defaults)",
                                f"a monitor of {s.name} that keeps failing restarts it on the same node forever; "
                                "the peer never takes over (rgmanager relocated it)",
                                "set migration-threshold=1 and a failure-timeout in rsc_defaults", [s.name]))
    return out


def _fixed_delay(cell) -> list:
    """HA1033: the race is settled by a fixed delay on one node's device, not by where the services run."""
    delayed = sorted({t for d in cell.devices if not d.delay_max for t in d.targets if d.delay(t)})
    if cell.priority_fencing_delay or len(delayed) != 1:
        return []
    node = delayed[0]
    return [_finding("HA1033", WARNING, cell, "5.7.3",
                     f"a fixed pcmk_delay_base on {node}'s device makes {node} win every fencing race, and "
                     "priority-fencing-delay is not set",
                     f"a split while {cell.peer(node).name} runs the services: {node} fences it and they fail over "
                     "for nothing",
                     "set priority-fencing-delay and a priority on the services, so that the node running them "
                     "wins", [node])]


def _monitor_stops_everywhere(cell) -> list:
    """HA1034: a link monitor's -INFINITY rule stops a service on every node when the network it
    watches fails for both, although the service has addresses on networks that still work."""
    from hagen.audit.el9_network import networks, stopped_by

    out = []
    for net in networks(cell):
        for svc, mons in sorted(stopped_by(cell, net).items()):
            elsewhere = sorted({a.address for a in cell.addresses if a.service == svc and a.network != net})
            if not elsewhere:
                continue
            out.append(_finding("HA1034", WARNING, cell, "2.4, 8.3.3",
                                f"{', '.join(mons)} bans {svc} from every node (-INFINITY) when {net} is down "
                                "for both nodes",
                                f"{net}'s switch lost: {svc} stops everywhere, and with it {', '.join(elsewhere)} "
                                "on the networks that still work",
                                "give the rule a finite score (or score-attribute), so that the service stays "
                                "where it runs when no node has the link", [net, svc] + mons))
    return out


def _lone_ping_target(cell) -> list:
    """HA1025: a ping monitor with one host, read by a -INFINITY rule: that host is a SPOF."""
    from hagen.audit.el9_network import banning

    out = []
    for m in cell.monitors:
        banned = banning(cell, m)
        if m.agent == "ethmonitor" or len(m.hosts) != 1 or not banned:
            continue
        out.append(_finding("HA1025", SPOF, cell, "8.3.3",
                            f"{m.id} pings one host, {m.hosts[0]}, and a -INFINITY rule on {m.attribute} guards "
                            f"{', '.join(banned)}",
                            f"{m.hosts[0]} stops answering (a router rebooting): {', '.join(banned)} is banned from "
                            "every node and stops, although every network works",
                            "ping two or more hosts of the clients' network (host_list), so that one of them "
                            "going down leaves the attribute above 0", [m.hosts[0]] + banned))
    return out
