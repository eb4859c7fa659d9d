"""The failures `hagen audit` predicts, played on any live cell (tests/live_cluster.py):
bas5-guide's management pair, xena's NFS cell and its two Lustre pairs alike.

Each play starts from the audit's standard state (every service on the node it prefers,
both nodes online, nothing failed), takes the audit's entry for the failure, does it to the
cell, lets the daemons react, and reads back which nodes were fenced (their BMC powered
them on again) and where every service of the cell runs. A test asserts `Play.check()`:
the daemons did what the audit said, or the message shows both.

What a play cannot see at once it waits out before reading: until the audit's prediction
holds, or for as long as the audit says the cell's slowest link monitor may take to act
(`reaction_time`: ethmonitor checks a dead link repeat_count times, repeat_interval apart,
before it clears its attribute: 65 s with the agent's defaults, its interval and dampen
included), so that "nothing moves" is a reading and not an early look.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass

from lxml import etree

from live_cluster import LiveCell, members_of, started_on, wait_for
from live_scenarios import all_online, daemon_pid, healthy, knet_link_connected, peer, sbd_reset, settled

QUIET = 30


@dataclass
class Play:
    failure: str
    subject: str
    effect: str            # the audit's own words for it
    expected: dict
    observed: dict
    seconds: float

    def check(self) -> None:
        print(f"{self.failure} of {self.subject}: {self.seconds:.0f} s")
        assert self.observed == self.expected, (
            f"{self.failure} of {self.subject}: the audit predicted {self.expected} ({self.effect}); "
            f"the daemons: {self.observed}")


# --- reading the cell -----------------------------------------------------------------------

def services(cell: LiveCell) -> list[dict]:
    return cell.notes["audit"]["services"]


def places(cell: LiveCell, viewer: str) -> dict[str, str | None]:
    """{service: the node it runs on whole, None when stopped everywhere, or 'partly on
    ...' when some of its members run}, from one crm_mon reading on viewer."""
    mon, out = cell.mon(viewer), {}
    for service in services(cell):
        name = service["name"]
        node = started_on(mon, name)
        if node is None:      # not whole on one node: say what each member not stopped is
            up = sorted({f"{r.get('id')} {r.get('role')}{' failed' if r.get('failed') == 'true' else ''} on "
                         + ",".join(n.get("name") for n in r.iter("node"))
                         for r in members_of(mon, name) if r.get("role") != "Stopped"})
            node = f"partly: {'; '.join(up)}" if up else None
        out[name] = node
    return out


def entry(cell: LiveCell, failure: str, subject) -> dict:
    """The audit's entry for failure whose subject is `subject` (or satisfies it)."""
    test = subject if callable(subject) else (lambda s: s == subject)
    found = [f for f in cell.notes["audit"]["failures"] if f["failure"] == failure and test(f["subject"])]
    assert found, f"hagen audit plays no {failure} with such a subject in {cell.notes['audit']['cluster_name']}"
    return found[0]


def expected(audit_entry: dict, before: dict, *, via_sbd: bool = False) -> dict:
    stopped = {s for s in before if any(lost.startswith(f"{s} (stopped everywhere") for lost in audit_entry["lost"])}
    moves = {m["service"]: m["to"] for m in audit_entry["moves"]}
    out = {"fenced": sorted(f["node"] for f in audit_entry["fenced"]),
           "places": {s: None if s in stopped else moves.get(s, node) for s, node in before.items()}}
    if via_sbd:
        out["fenced_via_sbd"] = sorted(f["node"] for f in audit_entry["fenced"] if f["via"].startswith("shared disk"))
    return out


def observed(cell: LiveCell, viewer: str, boots: dict, **more) -> dict:
    return {"fenced": sorted(n for n in cell.nodes if cell.boots(n) > boots[n]),
            "places": places(cell, viewer), **more}


def standard(cell: LiveCell) -> dict:
    """Bring the cell to the audit's standard state; the places of its services."""
    healthy(cell)
    viewer = cell.nodes[0]
    homes = {s["name"]: s["members"][0] for s in services(cell)}
    now = places(cell, viewer)
    away = [name for name, home in homes.items() if now[name] != home]
    for name in away:
        cell.run(viewer, "crm_resource", "--move", "--resource", name, "--node", homes[name])
    try:
        wait_for("every service on the node it prefers", lambda: places(cell, viewer) == homes, 120, 1)
    finally:
        for name in away:
            cell.run(viewer, "crm_resource", "--clear", "--resource", name, check=False)
    settled(cell, viewer)
    return places(cell, viewer)


def standin_member(cell: LiveCell, service: str) -> str:
    """A member of the service that runs as tests/live/standin (the service itself when it
    is one primitive): the test can make its monitor or its stop fail."""
    ids = cell.cib.xpath(f"//group[@id='{service}']/primitive[@type='standin']/@id"
                         f" | //primitive[@id='{service}'][@type='standin']/@id")
    assert ids, f"{service} has no stand-in member to fail"
    return ids[0]


def reaction_time(cell: LiveCell) -> float:
    """The audit's word for how long the cell's slowest link monitor takes to act on a dead
    link (link_monitors[].reacts_within: ethmonitor's interval, repeat_count x
    repeat_interval and dampen, 65 s with the agent's defaults), plus QUIET for Pacemaker's
    reaction: a move later than that is a disagreement with the audit too."""
    return max((m["reacts_within"] for m in cell.notes["audit"]["link_monitors"]), default=0) + QUIET


def _react(cell: LiveCell, viewer: str, prediction: dict, before: dict, bound: float) -> None:
    """Let the daemons react, then until Pacemaker has nothing left to do. Where the audit
    predicts a move: until the services are where it says, at most bound seconds. Where it
    predicts none: watch for bound seconds, and stop at the first service that moves (so
    "nothing moved" is read after the time anything could have)."""
    if prediction["places"] != before:
        probe, what = (lambda: places(cell, viewer) == prediction["places"]), "the prediction"
    else:
        probe, what = (lambda: places(cell, viewer) != before), "a service moving"
    try:
        wait_for(what, probe, bound, 2)
    except AssertionError:
        pass                    # the reading that follows says what happened instead
    settled(cell, viewer)


# --- the plays -------------------------------------------------------------------------------

def _fenced(cell: LiveCell, failure: str, audit: dict, before: dict, node: str, act) -> Play:
    """act() makes the peer fence node: wait for the fencing (node held in its POST until the
    survivor's reaction is read), then for the services; the node then boots and rejoins."""
    survivor, boots = peer(cell, node), {n: cell.boots(n) for n in cell.nodes}
    prediction = expected(audit, before)
    started = time.monotonic()
    cell.hold_in_post(node)
    try:
        act()
        wait_for(f"{survivor} fences {node}", lambda: cell.boots(node) > boots[node], 150, 0.5)
        _react(cell, survivor, prediction, before, 60)
        seen = observed(cell, survivor, boots)
    finally:
        cell.hold_in_post(node, False)
    seconds = time.monotonic() - started
    all_online(cell)
    healthy(cell)
    return Play(failure, audit["subject"], audit["effect"], prediction, seen, seconds)


def corosync_killed(cell: LiveCell, node: str) -> Play:
    """corosync dies on node (SIGKILL): its Pacemaker cannot go on; the peer must fence it."""
    before = standard(cell)
    audit = entry(cell, "daemon_killed", f"corosync on {node}")
    return _fenced(cell, "daemon_killed", audit, before, node,
                   lambda: os.kill(daemon_pid(cell, node, "corosync"), signal.SIGKILL))


def failed_stop(cell: LiveCell, node: str) -> Play:
    """A member of the service node runs fails its monitor and then its stop (the stand-in
    told so): the recovery's stop fails, the peer fences node and starts what it ran."""
    before = standard(cell)
    audit = entry(cell, "failed_stop", lambda s: s.endswith(f" on {node}"))
    service = audit["subject"].rsplit(" on ", 1)[0].split(" of ")[-1]
    member = standin_member(cell, service)
    return _fenced(cell, "failed_stop", audit, before, node, lambda: cell.run(
        node, "sh", "-c", f"mkdir -p /run/hagen-live && touch /run/hagen-live/fail-stop-{member}"
                          f" && rm /run/hagen-live/{member}.state"))


def monitor_failure(cell: LiveCell, service: str) -> Play:
    """The stand-in member of service finds itself stopped at its next monitor."""
    before = standard(cell)
    node = before[service]
    audit = entry(cell, "monitor_failure", f"{service} on {node}")
    member, boots = standin_member(cell, service), {n: cell.boots(n) for n in cell.nodes}
    started = time.monotonic()
    cell.run(node, "rm", f"/run/hagen-live/{member}.state")
    wait_for(f"{member}'s monitor failure recorded", lambda: cell.mon(node).find("failures") is not None, 60, 1)
    _react(cell, node, expected(audit, before), before, 60)
    seen = observed(cell, node, boots)
    seconds = time.monotonic() - started
    healthy(cell)
    return Play("monitor_failure", audit["subject"], audit["effect"], expected(audit, before), seen, seconds)


def fence_device_lost(cell: LiveCell, node: str) -> Play:
    """node's BMC leaves the network: fence_{node}'s monitor fails; nothing else happens."""
    before = standard(cell)
    audit = entry(cell, "fence_device_lost", lambda s: s.startswith(f"fence_{node} ("))
    viewer, boots = peer(cell, node), {n: cell.boots(n) for n in cell.nodes}
    started = time.monotonic()
    cell.bmc_link(node, up=False)
    try:
        wait_for(f"fence_{node}'s monitor failure", lambda: any(
            f.get("op_key", "").startswith(f"fence_{node}_monitor") for f in cell.mon(viewer).iter("failure")),
                 150, 2)
        _react(cell, viewer, expected(audit, before), before, QUIET)
        seen = observed(cell, viewer, boots)
    finally:
        cell.bmc_link(node, up=True)
    seconds = time.monotonic() - started
    healthy(cell)
    return Play("fence_device_lost", audit["subject"], audit["effect"], expected(audit, before), seen, seconds)


def knet_link_lost(cell: LiveCell, link: int, node: str) -> Play:
    """node's NIC under corosync's knet link `link` goes dark (its switch port down)."""
    before = standard(cell)
    audit = entry(cell, "knet_link_lost", lambda s: s.startswith(f"link {link} (")
                  and (s.endswith(f" on {node}") or " on " not in s))
    viewer, nic = peer(cell, node), cell.ring_nic(node, link)
    boots = {n: cell.boots(n) for n in cell.nodes}
    started = time.monotonic()
    cell.link(node, nic, up=False)
    try:
        wait_for(f"knet link {link} seen down", lambda: not knet_link_connected(cell, viewer, link), 60, 0.5)
        _react(cell, viewer, expected(audit, before), before, reaction_time(cell))
        seen = observed(cell, viewer, boots, members=sorted(n for n in cell.nodes if cell.online(n) == set(cell.nodes)))
    finally:
        cell.link(node, nic, up=True, check=False)
    wait_for(f"knet link {link} up again", lambda: knet_link_connected(cell, viewer, link), 60, 0.5)
    seconds = time.monotonic() - started
    healthy(cell)
    return Play("knet_link_lost", audit["subject"], audit["effect"],
                {**expected(audit, before), "members": sorted(cell.nodes)}, seen, seconds)


def network_down(cell: LiveCell, network: str) -> Play:
    """Every node's NIC on `network` goes dark (the network's switch down)."""
    before = standard(cell)
    audit = entry(cell, "network_down", network)
    nics = {n["name"]: link["interface"] for n in cell.notes["audit"]["nodes"] for link in n["links"]
            if link["network"] == network}
    viewer, boots = cell.nodes[0], {n: cell.boots(n) for n in cell.nodes}
    started = time.monotonic()
    try:
        for node, nic in nics.items():
            cell.link(node, nic, up=False)
        _react(cell, viewer, expected(audit, before), before, reaction_time(cell))
        seen = observed(cell, viewer, boots)
    finally:
        for node, nic in nics.items():
            cell.link(node, nic, up=True, check=False)
    seconds = time.monotonic() - started
    healthy(cell)
    return Play("network_down", audit["subject"], audit["effect"], expected(audit, before), seen, seconds)


def power_lost_with_bmc(cell: LiveCell, node: str) -> Play:
    """node loses power with its BMC: level 1 (fence_ipmilan) cannot confirm; level 2
    (fence_sbd) must. Read off the SBD disk's slots: who was reset through it."""
    before = standard(cell)
    audit = entry(cell, "node_power_lost", node)
    survivor, boots = peer(cell, node), cell.boots(node)
    started = time.monotonic()
    cell.bmc_link(node, up=False)
    try:
        cell.power_cut(node)
        wait_for(f"{survivor} fences {node} by some level", lambda: node in sbd_reset(cell)
                 or cell.boots(node) > boots, 240, 1)
        _react(cell, survivor, expected(audit, before), before, 60)
        by_sbd = sbd_reset(cell)
        seen = {"fenced": by_sbd, "places": places(cell, survivor), "fenced_via_sbd": by_sbd}
    finally:
        cell.bmc_link(node, up=True)
    seconds = time.monotonic() - started
    cell.ipmi(node, "chassis", "power", "on")     # repaired: it boots, its sbd clears the slot
    all_online(cell)
    healthy(cell)
    return Play("node_power_lost", audit["subject"], audit["effect"], expected(audit, before, via_sbd=True),
                seen, seconds)


def stickiness_bumped(cib_text: str) -> str:
    """hagen's CIB with rsc_defaults' resource-stickiness one more: a change to apply."""
    return re.sub(r'(name="resource-stickiness" value=")(\d+)"', lambda m: f'{m[1]}{int(m[2]) + 1}"',
                  cib_text, count=1)


def operator_state(cell: LiveCell, node: str, resource: str) -> dict:
    """The four pieces of an operator's state cib-apply must keep, as the live CIB holds them
    (resource: the one whose target-role the test set)."""
    cib = etree.fromstring(cell.run(node, "cibadmin", "--query").stdout.encode())
    return {
        "maintenance-mode": cib.xpath("string(//cluster_property_set/nvpair"
                                      "[@name='maintenance-mode']/@value)"),
        "standby": cib.xpath("string(//nodes/node/instance_attributes/nvpair"
                             "[@name='standby']/@value)"),
        "cli-ban": bool(cib.xpath("//rsc_location[starts-with(@id, 'cli-ban-')]")),
        "target-role": cib.xpath(f"string(//primitive[@id='{resource}']/meta_attributes/nvpair"
                                 "[@name='target-role']/@value)"),
    }


def cib_apply_keeps_operator_state(cell: LiveCell) -> None:
    """/etc/hagen/cib-apply on a live CIB that carries an operator's state (maintenance-mode,
    a node in standby, a cli-ban, a target-role=Stopped): refused while in maintenance,
    applied with --in-maintenance, and the four are still there after it."""
    active = healthy(cell)
    standby, group = peer(cell, active), cell.group
    member = standin_member(cell, group)
    wanted = {"maintenance-mode": "true", "standby": "on", "cli-ban": True, "target-role": "Stopped"}
    changed = stickiness_bumped(cell.run(active, "cat", "/etc/hagen/cib.xml").stdout)
    cell.run(active, "sh", "-c", "cat > /run/cib-changed.xml", input=changed)
    cell.run(active, "crm_attribute", "--type", "crm_config", "--name", "maintenance-mode", "--update", "true")
    try:
        cell.run(active, "crm_attribute", "--node", standby, "--name", "standby", "--update", "on")
        cell.run(active, "crm_resource", "--ban", "--resource", group, "--node", standby)
        cell.run(active, "crm_resource", "--resource", member, "--meta", "--set-parameter", "target-role",
                 "--parameter-value", "Stopped")
        assert operator_state(cell, active, member) == wanted
        refused = cell.run(active, "env", "CIB=/run/cib-changed.xml", "/etc/hagen/cib-apply", check=False)
        assert refused.returncode == 2 and "maintenance" in refused.stderr, refused.stderr
        cell.run(active, "env", "CIB=/run/cib-changed.xml", "/etc/hagen/cib-apply", "--in-maintenance")
        assert operator_state(cell, active, member) == wanted
        stickiness = re.search(r'name="resource-stickiness" value="(\d+)"', changed)[1]
        assert stickiness in cell.run(active, "crm_attribute", "--type", "rsc_defaults", "--name",
                                      "resource-stickiness", "--query").stdout, "the change applied"
    finally:
        cell.run(active, "crm_resource", "--resource", member, "--meta", "--delete-parameter", "target-role",
                 check=False)
        cell.run(active, "crm_resource", "--clear", "--resource", group, check=False)
        cell.run(active, "crm_attribute", "--node", standby, "--name", "standby", "--delete", check=False)
        cell.run(active, "/etc/hagen/cib-apply", "--in-maintenance", check=False)
        cell.run(active, "crm_attribute", "--type", "crm_config", "--name", "maintenance-mode", "--delete",
                 check=False)
    healthy(cell)
