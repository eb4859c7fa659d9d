"""Issue 21, "Proof with the real daemons", for a second example: the NFS cell of
examples/xena/site-el9.yaml (xena11/xena13, the guide's chapter 9) as hagen builds it, run
by the real daemons on this machine as tests/test_live_pacemakerd.py runs bas5-guide's
management pair (tests/live_cluster.py), each outcome compared with `hagen audit`'s.

What differs from the management pair: el9 writes no NetworkManager keyfiles for an NFS
node (its NICs are the site's own), so the NICs come from the ClusterDB snapshot the audit
reads, and the BMCs are reached through the admin network's router as the audit assumes
(live_setup.snapshot_network); the NFS server's agents (nfsserver, exportfs, nfsnotify)
are stand-ins and the xfs LUNs hold ext3 (live_cib). The three service addresses
(IPaddr2), the file systems on shared LUNs (Filesystem), the three ethmonitor clones and
both fencing levels are real.

Opt-in (HAGEN_LIVE=1): about 10 minutes here (bring-up ~34 s; the plays of
tests/live_plays.py 30 s to 105 s each, a dark BMC the longest: its fence device's monitor
runs every 60 s), beyond what CI's 10 minutes leave after the default live run. With the
Lustre module on the other worker: 34 passed in 10 min 3 s.
"""

from __future__ import annotations

import os

import pytest

import live_plays as plays
from live_cluster import LiveCell, missing_requirement, wait_for
from live_scenarios import (agrees, group_state, healthy, peer, predicted, settled, split,
                            unplug_and_rejoin)
from live_setup import bridge_of, snapshot_network
from test_live_pacemakerd import audit, built_example, cell_nodes, running, units_of

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(bool(missing_requirement()), reason=missing_requirement() or ""),
    pytest.mark.skipif(os.environ.get("HAGEN_LIVE") != "1",
                       reason="xena's NFS cell on the real daemons is opt-in (about 10 minutes): "
                              "set HAGEN_LIVE=1 to play it")]

CLUSTER = "xena_nfs"
MOUNTS = ("/var/lib/nfs-ha", "/mount_point1", "/home_nfs")


def xena_cell(tmp_path_factory, cluster: str):
    """(A generator for a module fixture) the live cell of xena's el9 cell `cluster`, up
    (`running`), and as its group the (first) service the first node prefers."""
    work = built_example(tmp_path_factory, f"live-{cluster}", "xena")
    example = work / "xena"
    nodes = cell_nodes(work / "out", cluster)
    facts = audit(example, cluster)
    preferred = [s["name"] for s in facts["services"] if s["members"][0] == nodes[0]]
    assert preferred, f"the audit gives {nodes[0]} no service of its own in {cluster}"
    group = preferred[0]      # an OSS prefers several targets: the first stands for them in the waits
    network = {node: snapshot_network(example / "clusterdb.yaml", node) for node in nodes}
    assert {node: [nic for nic, _ in network[node][0]] for node in nodes} == {
        n["name"]: [link["interface"] for link in n["links"]] for n in facts["nodes"]}, \
        "the NICs played are the ones the audit reasons on"
    live = LiveCell(work / "out", nodes, work / "state", group=group, network=network,
                    units=units_of(example / "site-el9.yaml"))
    yield from running(live, lambda live: facts)


@pytest.fixture(scope="module")
def cell(tmp_path_factory):
    yield from xena_cell(tmp_path_factory, CLUSTER)


def test_the_nfs_cell_starts_its_exports_and_addresses_on_the_primary(cell):
    active = healthy(cell)
    assert active == cell.nodes[0], "rsc_location prefers the primary (score 100)"
    for address in cell.notes["audit"]["addresses"]:
        nic = bridge_of(cell.nics(active), address["address"])[0].removeprefix("br-")
        shown = cell.run(active, "ip", "-brief", "address", "show", nic).stdout
        assert address["address"] + "/" in shown, f"IPaddr2 put {address['address']} on {nic}"
    standby = peer(cell, active)
    for mount in MOUNTS:
        assert cell.run(active, "mountpoint", "-q", mount, check=False).returncode == 0, mount
        assert cell.run(standby, "mountpoint", "-q", mount, check=False).returncode != 0, mount
    for node in cell.nodes:
        assert cell.where(active, f"fence_{node}"), f"fence_{node} (fence_ipmilan) runs"
    wanted = {(node, monitor["attribute"], "1") for node in cell.nodes
              for monitor in cell.notes["audit"]["link_monitors"]}
    wait_for("ethmonitor sees eth0, eth1 and ib0 up on both nodes", lambda: wanted <= {
        (n.get("name"), a.get("name"), a.get("value")) for n in cell.mon(active).iter("node")
        for a in n.iter("attribute")}, 30, 1)


def test_unplugged_nfs_server_is_fenced_and_its_exports_and_addresses_move_to_the_peer(cell):
    outcome = unplug_and_rejoin(cell)
    print(f"NFS failover after power loss: {outcome['failover_seconds']:.0f} s")
    agrees(predicted(cell, "node_crash", "{active}", outcome["lost"]), fenced=[outcome["lost"]],
           group_before=outcome["lost"], group_after=outcome["survivor"])
    survivor = outcome["survivor"]
    for mount in MOUNTS:
        assert cell.run(survivor, "mountpoint", "-q", mount, check=False).returncode == 0, mount


def test_fenced_nfs_server_rejoins_without_failback(cell):
    outcome = unplug_and_rejoin(cell)
    assert outcome["restarted_on_survivor"] == [], outcome
    agrees(predicted(cell, "node_rejoins", outcome["lost"], cell.nodes[0]), fenced=[],
           group_before=outcome["survivor"], group_after=outcome["group_after_rejoin"])


def test_interconnect_nic_down_on_the_active_server_moves_the_nfs_service(cell):
    """rgmanager's monitor_link, on EL9: ethmonitor_ib0-clone clears its attribute and the
    location rule moves the group, with no fencing (corosync runs on eth0 and eth1)."""
    active = healthy(cell)
    standby = peer(cell, active)
    prediction = predicted(cell, "service_nic_lost", "{active} ib0 (interconnect)", active)
    boots = {n: cell.boots(n) for n in cell.nodes}
    try:
        cell.link(active, "ib0", up=False)
        wait_for(f"{cell.group} moved away from the dead ib0", lambda: cell.group_started_on(
            active, cell.group) == standby, 90, 1)
        agrees(prediction, fenced=[n for n in cell.nodes if cell.boots(n) > boots[n]],
               group_before=active, group_after=group_state(cell, active))
    finally:
        cell.link(active, "ib0", up=True, check=False)
    healthy(cell)


def test_a_monitor_failure_relocates_the_nfs_service_as_rgmanager_did(cell):
    """rgmanager's recovery="relocate", on EL9: migration-threshold=1 moves the whole NFS
    service to the peer on the first failure of a member (one service address taken from its
    NIC behind IPaddr2's back), with no fencing: what the audit predicts for the cell."""
    active = healthy(cell)
    prediction = predicted(cell, "monitor_failure", f"{cell.group} on {{active}}", active)
    address = cell.cib.xpath(f"//group[@id='{cell.group}']/primitive[@type='IPaddr2']")[0]
    ip, mask = (address.xpath(f"string(.//nvpair[@name='{name}']/@value)") for name in ("ip", "cidr_netmask"))
    # the cell's IPaddr2 names no nic (it finds the one on the address's network): ask the node
    nic = cell.run(active, "ip", "-o", "address", "show", "to", ip).stdout.split()[1]
    cell.run(active, "ip", "address", "del", f"{ip}/{mask}", "dev", nic)     # IPaddr2's own
    wait_for("IPaddr2's monitor failure recorded", lambda: cell.mon(active).find("failures")
             is not None, 60, 1)
    settled(cell, active)
    agrees(prediction, fenced=[], group_before=active, group_after=group_state(cell, active))
    healthy(cell)                   # the failure cleaned, the service settled where it went


# --- the rest of the audit's failures, played as on every cell (tests/live_plays.py) ---------

def test_corosync_killed_on_the_active_nfs_server_gets_it_fenced_and_the_service_moves(cell):
    plays.corosync_killed(cell, cell.nodes[0]).check()


def test_a_failed_stop_on_the_nfs_server_gets_it_fenced_and_the_service_moves(cell):
    plays.failed_stop(cell, cell.nodes[0]).check()


def test_the_standbys_bmc_unreachable_fails_its_fence_device_and_the_service_runs_on(cell):
    plays.fence_device_lost(cell, cell.nodes[1]).check()


def test_knet_link_1_lost_on_the_standby_changes_nothing(cell):
    plays.knet_link_lost(cell, 1, cell.nodes[1]).check()


def test_knet_link_0_lost_on_the_active_server_moves_the_service_through_its_link_monitor(cell):
    """Link 0 rides admin, where a service address lives: ethmonitor_eth0 moves the service."""
    plays.knet_link_lost(cell, 0, cell.nodes[0]).check()


def test_the_admin_network_down_stops_the_nfs_service_everywhere(cell):
    plays.network_down(cell, "admin").check()


def test_the_nfs_server_lost_with_its_bmc_is_fenced_through_sbd(cell):
    plays.power_lost_with_bmc(cell, cell.nodes[0]).check()


def test_cib_apply_on_the_live_nfs_cell_keeps_the_operators_state(cell):
    plays.cib_apply_keeps_operator_state(cell)


def test_a_split_with_both_bmcs_reachable_ends_with_the_nfs_server_fencing_its_peer(cell):
    """Not an audit scenario (every corosync link lost at once); item 9: with
    priority-fencing-delay the node holding the service wins the race, whichever it is."""
    outcome = split(cell)
    assert outcome["fenced"] == [peer(cell, outcome["holder"])], outcome
    assert outcome["group"] == outcome["holder"], outcome
