"""The scenarios the live tests play on a LiveCell (tests/live_cluster.py), and what they
read back from the real daemons: crm_mon, crm_resource --wait, cibadmin, corosync-cfgtool,
the BMCs' power-on counts. Every wait polls with a deadline."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from live_cluster import LiveCell, members_of, sh, wait_for

GROUP = "HA_NSM"            # bas5-guide's management group (LiveCell.group's default)


def healthy(cell: LiveCell, timeout: float = 180) -> str:
    """Wait for both nodes online and Pacemaker settled with the group started, failures
    cleaned; the active node."""
    all_online(cell, timeout)
    viewer = cell.nodes[0]
    settled(cell, viewer)
    if cell.mon(viewer).find("failures") is not None:
        cell.run(viewer, "crm_resource", "--cleanup")
        settled(cell, viewer)
    return wait_for(f"{cell.group} started", lambda: cell.group_started_on(viewer, cell.group), timeout, 1)


def peer(cell: LiveCell, node: str) -> str:
    return next(n for n in cell.nodes if n != node)


def settled(cell: LiveCell, node: str, timeout: int = 90) -> None:
    """Pacemaker has nothing left to do (crm_resource --wait), as node sees it."""
    cell.run(node, "crm_resource", "--wait", f"--timeout={timeout}s", timeout=timeout + 10)


def all_online(cell: LiveCell, timeout: float = 150) -> None:
    wait_for("both nodes online", lambda: all(cell.online(n) == set(cell.nodes)
                                              for n in cell.nodes), timeout, 1)


def fenced_and_failed_over(cell: LiveCell, lost: str, boots: int) -> tuple[str, float]:
    """Wait for the peer to fence `lost` (fence_ipmilan's reboot through ipmi_sim powers it
    on again: its boots count moves) and start the group; (survivor, seconds taken)."""
    survivor = peer(cell, lost)
    started = time.monotonic()
    wait_for(f"{survivor} fences {lost} (ipmi_sim powers it on again)",
             lambda: cell.boots(lost) > boots, 150, 0.5)
    wait_for(f"{cell.group} started on {survivor}",
             lambda: cell.group_started_on(survivor, cell.group) == survivor, 150, 1)
    return survivor, time.monotonic() - started


def unplug_and_rejoin(cell: LiveCell) -> dict:
    """The active node loses power; the peer fences it (ipmi_sim powers it off and on) and
    starts the group while the node is held in its POST; then the node boots from its own
    disk and rejoins. Played once per cell: what happened is kept for the tests that look
    at its parts."""
    if "unplug" in cell.notes:
        return cell.notes["unplug"]
    lost = healthy(cell)
    survivor = peer(cell, lost)
    boots = cell.boots(lost)
    cell.hold_in_post(lost)
    try:
        cell.power_cut(lost)
        _, seconds = fenced_and_failed_over(cell, lost, boots)
        settled(cell, survivor)         # every service the lost node ran started, not only the group
        calls = started_calls(cell, survivor, survivor)
    finally:
        cell.hold_in_post(lost, False)
    all_online(cell)
    settled(cell, survivor)
    cell.notes["unplug"] = {
        "lost": lost, "survivor": survivor, "failover_seconds": seconds,
        "group_after_rejoin": cell.group_started_on(survivor, cell.group),
        "restarted_on_survivor": sorted(k for k, v in started_calls(cell, survivor, survivor).items()
                                        if calls.get(k) != v)}
    return cell.notes["unplug"]


def move_group(cell: LiveCell, node: str) -> None:
    if healthy(cell) == node:
        return
    cell.run(node, "crm_resource", "--move", "--resource", cell.group, "--node", node)
    try:
        wait_for(f"{cell.group} moved to {node}", lambda: cell.group_started_on(node, cell.group) == node,
                 120, 1)
    finally:
        cell.run(node, "crm_resource", "--clear", "--resource", cell.group)
    settled(cell, node)


def split(cell: LiveCell) -> dict:
    """The nodes stop hearing each other on every corosync link (their switch ports isolated
    from each other) while each keeps its networks, its gateway and so both BMCs, with the
    group on the node the location constraint does not prefer (a fixed preference would
    lose); a fenced node is held in its POST until the outcome is read. Played once."""
    if "split" in cell.notes:
        return cell.notes["split"]
    holder = cell.nodes[-1]
    move_group(cell, holder)
    boots = {n: cell.boots(n) for n in cell.nodes}
    for node in cell.nodes:
        cell.hold_in_post(node)
    try:
        cell.isolate_nodes(True)
        wait_for("a node fenced", lambda: any(cell.boots(n) > boots[n] for n in cell.nodes), 120, 0.5)
        fenced = [n for n in cell.nodes if cell.boots(n) > boots[n]]
        survivors = [n for n in cell.nodes if n not in fenced]
        group = None
        if len(survivors) == 1:
            survivor = survivors[0]
            group = wait_for(f"{cell.group} started on {survivor}", lambda: cell.group_started_on(
                survivor, cell.group) == survivor and survivor, 120, 1)
        fenced = [n for n in cell.nodes if cell.boots(n) > boots[n]]
    finally:
        cell.isolate_nodes(False)
        for node in cell.nodes:
            cell.hold_in_post(node, False)
    all_online(cell)
    cell.notes["split"] = {"holder": holder, "fenced": fenced, "group": group}
    return cell.notes["split"]


def failed_operations(cell: LiveCell, viewer: str) -> list[str]:
    """crm_mon's failed actions: 'op_key on node: status (exit reason)'."""
    return [f"{f.get('op_key')} on {f.get('node')}: {f.get('status')} ({f.get('exitreason', '')})"
            for f in cell.mon(viewer).iter("failure")]


def fail_over_with(cell: LiveCell, prepare: list[str], undo: list[str]) -> tuple[bool, list[str]]:
    """Run `prepare` (shell lines) on the standby, put the active node in standby; (is the
    group started on the former standby once Pacemaker settled, the failed actions); then
    undo it all."""
    active = healthy(cell)
    standby = peer(cell, active)
    cell.run(standby, "sh", "-c", " && ".join(prepare))
    try:
        cell.run(active, "crm_resource", "--refresh", "--node", standby)
        settled(cell, active)
        cell.run(active, "crm_attribute", "--node", active, "--name", "standby", "--update", "on")
        settled(cell, active)
        return cell.group_started_on(active, cell.group) == standby, failed_operations(cell, active)
    finally:
        cell.run(standby, "sh", "-c", " ; ".join(undo), check=False)
        cell.run(active, "crm_attribute", "--node", active, "--name", "standby", "--delete",
                 check=False)
        healthy(cell)

def daemon_pid(cell: LiveCell, node: str, name: str) -> int:
    """The host pid of the node's process named `name` (found by its PID namespace)."""
    init = cell.init_pid(node)
    ns = os.readlink(f"/proc/{init}/ns/pid")
    for proc in Path("/proc").iterdir():
        try:
            if (proc.name.isdigit() and (proc / "comm").read_text().strip() == name
                    and os.readlink(proc / "ns/pid") == ns):
                return int(proc.name)
        except OSError:
            continue
    raise LookupError(f"no {name} on {node}")


def knet_link_connected(cell: LiveCell, node: str, link: int) -> bool:
    """corosync-cfgtool -s on node: is knet link `link` up toward every other node?"""
    report = cell.run(node, "corosync-cfgtool", "-s", timeout=20).stdout
    block = report.split(f"LINK ID {link}")[1].split("LINK ID")[0]
    states = re.findall(r"nodeid:\s*\d+:\s*(\w+)", block)
    return all(s in ("localhost", "connected") for s in states)


def started_calls(cell: LiveCell, viewer: str, node: str) -> dict[str, str]:
    """{resource: call-id of its last start or stop} on node, from the live CIB's status:
    a resource restarted since gets a new one."""
    from lxml import etree
    status = etree.fromstring(cell.run(viewer, "cibadmin", "--query", "--scope", "status",
                                       timeout=20).stdout.encode())
    return {op.get("id"): op.get("call-id") for state in status.iter("node_state")
            if state.get("uname") == node for op in state.iter("lrm_rsc_op")
            if op.get("id").endswith("_last_0") and op.get("operation") in ("start", "stop")}


# --- what hagen audit predicts, beside what the daemons did ------------------------------------

def predicted(cell: LiveCell, failure: str, subject: str, active: str) -> dict:
    """The audit's prediction (hagen audit --format json, read once by the fixture into
    cell.notes["audit"]) for `failure` of `subject`, seen with the group on `active`.
    The audit plays each failure from the standard state (the group on the primary,
    cell.nodes[0]); the pair is symmetric, so with the group on the other node the names
    swap. `subject` names the primary as "{active}" and the other as "{standby}"."""
    primary, other = cell.nodes[0], cell.nodes[1]
    swap = {primary: other, other: primary} if active != primary else {}
    wanted = subject.format(active=primary, standby=other)
    entry = next((f for f in cell.notes["audit"]["failures"]
                  if f["failure"] == failure and f["subject"] == wanted), None)
    assert entry, f"hagen audit plays no {failure} of {wanted}"
    name = lambda n: swap.get(n, n)
    return {"fenced": sorted(name(f["node"]) for f in entry["fenced"]),
            "fenced_via_sbd": sorted(name(f["node"]) for f in entry["fenced"]
                                     if f["via"].startswith("shared disk")),
            "moves": {m["service"]: name(m["to"]) for m in entry["moves"]},
            "stopped": [s for s in entry["lost"] if s.startswith(f"{cell.group} (stopped everywhere")],
            "effect": entry["effect"], "group": cell.group}


def agrees(prediction: dict, *, fenced: list[str], group_before: str | None,
           group_after: str | None, fenced_via_sbd: list[str] | None = None) -> None:
    """The daemons did what the audit predicted: the same nodes fenced (by SBD where it
    says so), and the group where it says (moved, stayed, or stopped everywhere)."""
    expected_group = (None if prediction["stopped"]
                      else prediction["moves"].get(prediction["group"], group_before))
    seen = {"fenced": sorted(fenced), "group": group_after}
    wanted = {"fenced": prediction["fenced"], "group": expected_group}
    if fenced_via_sbd is not None:
        seen["fenced_via_sbd"] = sorted(fenced_via_sbd)
        wanted["fenced_via_sbd"] = prediction["fenced_via_sbd"]
    assert seen == wanted, f"the audit predicted {wanted} ({prediction['effect']}); the daemons: {seen}"


def sbd_reset(cell: LiveCell) -> list[str]:
    """The nodes whose slot on the SBD disk holds a reset (fence_sbd fenced them)."""
    nodes = []
    for lun in cell.sbd_disks.values():
        for line in sh("sbd", "-d", lun, "list").stdout.splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2] in ("reset", "off"):
                nodes.append(fields[1])
    return sorted(set(nodes))


def members_up(cell: LiveCell, viewer: str) -> list[str]:
    """The members of the group not stopped, as viewer sees them."""
    return [r.get("id") for r in members_of(cell.mon(viewer), cell.group) if r.get("role") != "Stopped"]


def group_state(cell: LiveCell, viewer: str) -> str | None:
    """Where the group runs whole as viewer sees it, None when every member is stopped
    (a group neither whole on one node nor stopped fails the test): read once settled."""
    place = cell.group_started_on(viewer, cell.group)
    if place:
        return place
    started = members_up(cell, viewer)
    assert not started, f"{cell.group} half started: {started}"
    return None
