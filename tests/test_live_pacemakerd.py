"""Issue "Today's stack that works on a real EL9 pair": the management pair of
examples/bas5-guide/site-el9.yaml as hagen builds it, run by the real daemons (corosync,
pacemakerd, fence_ipmilan against one OpenIPMI ipmi_sim per node) in namespaces on this
machine (tests/live_cluster.py), and its failures played on them.

One cell serves the whole module (bringing it up takes ~45 s); each test starts from a
healthy cell (both nodes online, the group started, no failed action) and leaves one.
Tests whose correct outcome needs a fix of the el9 output not made yet are xfail with the
issue's item; the lead flips them when it lands. Select them with `-m live`, leave them out
with `-m "not live"`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, REPO
from live_cluster import LiveCell, missing_requirement, sh, wait_for
from live_scenarios import (GROUP, all_online, daemon_pid, fail_over_with, fenced_and_failed_over,
                            healthy, knet_link_connected, operator_state, peer, settled, split,
                            unplug_and_rejoin)

# The cell's CIB copy (tests/live_cib.py) was written against the el9 output before the
# merge that added link monitors (ethmonitor, and a ping clone toward the admin gateway,
# which does not exist in the cell's namespaces: its -INFINITY rule bans HA_NSM from both
# nodes, the audit's HA1025), the SBD fencing level and the Python cib-apply. Until the copy
# follows them, the live cell runs only when asked, so that a red run means a defect.
LIVE_PENDING = ("the live cell does not yet follow the el9 output of the last merge (ping and ethmonitor "
                "clones, the SBD level): set HAGEN_LIVE=1 to run it anyway")
pytestmark = [pytest.mark.live,
              pytest.mark.skipif(bool(missing_requirement()), reason=missing_requirement() or ""),
              pytest.mark.skipif(os.environ.get("HAGEN_LIVE") != "1", reason=LIVE_PENDING)]

# the example's fence password is 23 bytes, more than IPMI lanplus can send (issue item 6):
# until the example ships a valid one, the cell's copy of the example carries this one (16
# bytes: OpenIPMI 2.0.33's ipmi_sim refuses a session with a 20-byte password, 19 work)
VALID_PASSWORD = "Live-Fence-2026!"


def build(example: Path, out: Path) -> None:
    sh(sys.executable, "-m", "hagen", "build", "--site", str(example / "site-el9.yaml"),
       "--out", str(out), env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)


def cell_nodes(out: Path) -> list[str]:
    """The management pair: the nodes of the first corosync.conf hagen wrote."""
    conf = sorted(out.glob("*/etc/corosync/corosync.conf"))[0]
    return re.findall(r"^\s*name:\s*(\S+)$", conf.read_text(), re.M)


@pytest.fixture(scope="module")
def cell(tmp_path_factory):
    work = tmp_path_factory.mktemp("live")
    example = work / "bas5-guide"
    shutil.copytree(EXAMPLES / "bas5-guide", example)
    (example / "fence-password").write_text(VALID_PASSWORD + "\n")
    (example / "fence-password").chmod(0o600)
    build(example, work / "out")
    live = LiveCell(work / "out", cell_nodes(work / "out"), work / "state")
    try:
        live.start()
        live.run(live.nodes[0], "/etc/hagen/cib-apply")
        wait_for(f"{GROUP} started", lambda: live.group_started_on(live.nodes[0], GROUP), 120, 1)
        yield live
    finally:
        live.destroy()


# --- start ---------------------------------------------------------------------------------

def test_pacemakerd_and_corosync_start_the_management_group_on_the_primary(cell):
    active = healthy(cell)
    assert active == cell.nodes[0], "rsc_location prefers the primary (score 100)"
    addresses = cell.run(active, "ip", "-brief", "address", "show", "bond0").stdout
    assert "10.1.0.65/16" in addresses, "IPaddr2 put the service address on bond0"
    assert cell.run(active, "mountpoint", "-q", "/varha", check=False).returncode == 0
    assert cell.run(active, "readlink", "/var/lib/pgsql").stdout.strip() == "/varha/lib/pgsql"
    assert cell.run(peer(cell, active), "mountpoint", "-q", "/varha", check=False).returncode != 0
    for node in cell.nodes:
        assert cell.where(active, f"fence_{node}"), f"fence_{node} (fence_ipmilan) runs"


# --- a node unplugged, and its return ---------------------------------------------------------

def test_unplugged_node_is_fenced_via_ipmi_sim_and_pacemakerd_starts_its_group_on_the_peer(cell):
    outcome = unplug_and_rejoin(cell)
    print(f"failover after power loss: {outcome['failover_seconds']:.0f} s")


@pytest.mark.xfail(reason="issue 21 item 8: links left on the fenced node's disk make its rejoin "
                          "'active on 2 nodes' (no multiple-active=stop_unexpected)", strict=False)
def test_fenced_node_rejoins_without_failback_or_restart_on_the_survivor(cell):
    outcome = unplug_and_rejoin(cell)
    assert outcome["group_after_rejoin"] == outcome["survivor"], outcome
    assert outcome["restarted_on_survivor"] == [], outcome


# --- a split with both BMCs reachable ---------------------------------------------------------

def test_split_with_both_ipmi_sim_reachable_ends_with_one_fencing_winner(cell):
    outcome = split(cell)
    assert len(outcome["fenced"]) == 1, outcome
    assert outcome["group"] == peer(cell, outcome["fenced"][0]), outcome


@pytest.mark.xfail(reason="issue 21 item 9: a fixed pcmk_delay_base on one device makes that node "
                          "win every race, even against the node holding the services", strict=False)
def test_split_winner_is_the_node_holding_the_services(cell):
    outcome = split(cell)
    assert outcome["fenced"] == [peer(cell, outcome["holder"])], outcome


# --- a daemon killed ----------------------------------------------------------------------------

def test_corosync_killed_on_the_active_node_gets_it_fenced_and_pacemakerd_fails_over(cell):
    active = healthy(cell)
    boots = cell.boots(active)
    cell.hold_in_post(active)
    try:
        os.kill(daemon_pid(cell, active, "corosync"), signal.SIGKILL)
        _, seconds = fenced_and_failed_over(cell, active, boots)
    finally:
        cell.hold_in_post(active, False)
    print(f"failover after corosync was killed: {seconds:.0f} s")
    all_online(cell)


# --- a failed stop -------------------------------------------------------------------------------

def test_failed_stop_gets_the_node_fenced_via_ipmi_sim_and_pacemakerd_starts_the_group_on_the_peer(cell):
    active = healthy(cell)
    boots = cell.boots(active)
    link = "/usr/lib/clustmngt/rms/etc"         # its parent, read-only: the link cannot go
    parent = link.rsplit("/", 1)[0]
    cell.run(active, "sh", "-c", f"mount --bind {parent} {parent} && "
                                 f"mount -o remount,bind,ro {parent} {parent}")
    cell.hold_in_post(active)
    try:
        cell.run(active, "crm_attribute", "--node", active, "--name", "standby", "--update", "on")
        _, seconds = fenced_and_failed_over(cell, active, boots)
    finally:
        cell.hold_in_post(active, False)
    print(f"failover after a failed stop: {seconds:.0f} s")
    all_online(cell)
    cell.run(peer(cell, active), "crm_attribute", "--node", active, "--name", "standby", "--delete")


# --- the fence device down -------------------------------------------------------------------------

@pytest.mark.xfail(reason="issue 21 item 5: one fencing level: a node lost with its BMC cannot be "
                          "fenced and its group never starts on the peer", strict=False)
def test_node_lost_with_its_ipmi_sim_is_fenced_by_a_second_level_and_the_peer_takes_over(cell):
    active = healthy(cell)
    survivor = peer(cell, active)
    boots = cell.boots(active)
    cell.hold_in_post(active)
    try:
        cell.bmc_link(active, up=False)          # the BMC goes with the node's power
        cell.power_cut(active)
        wait_for(f"{GROUP} started on {survivor}",
                 lambda: cell.group_started_on(survivor, GROUP) == survivor, 60, 1)
    finally:
        cell.bmc_link(active, up=True)
        # Pacemaker retries the fencing that failed: it now reaches the BMC
        wait_for(f"{active} fenced once its BMC is back", lambda: cell.boots(active) > boots,
                 150, 1)
        cell.hold_in_post(active, False)
    healthy(cell)


# --- one knet link down -------------------------------------------------------------------------

def test_one_knet_link_down_on_the_standby_changes_nothing_for_corosync_or_pacemakerd(cell):
    active = healthy(cell)
    standby = peer(cell, active)
    boots = {n: cell.boots(n) for n in cell.nodes}
    nic = cell.ring_nic(standby, 1)
    try:
        cell.link(standby, nic, up=False)
        wait_for("knet link 1 seen down", lambda: not knet_link_connected(cell, active, 1), 60, 0.5)
        assert knet_link_connected(cell, active, 0)
        assert cell.online(active) == set(cell.nodes) == cell.online(standby)
        assert cell.group_started_on(active, GROUP) == active
        assert {n: cell.boots(n) for n in cell.nodes} == boots, "nobody fenced"
    finally:
        cell.link(standby, nic, up=True, check=False)
    wait_for("knet link 1 up again", lambda: knet_link_connected(cell, active, 1), 60, 0.5)


# --- the service NIC down -----------------------------------------------------------------------

@pytest.mark.xfail(reason="issue 21 item 3: no link monitoring (ethmonitor/ping) on the service "
                          "interfaces: the address stays on a dead NIC", strict=False)
def test_service_nic_down_moves_the_group_while_corosync_keeps_its_other_knet_link(cell):
    active = healthy(cell)
    nic = cell.ring_nic(active, 0)           # bond0: the service address ns and knet link 0
    try:
        cell.link(active, nic, up=False)
        wait_for("knet link 0 seen down", lambda: not knet_link_connected(cell, active, 0), 60, 0.5)
        assert cell.online(active) == set(cell.nodes), "corosync keeps the node on link 1"
        wait_for(f"{GROUP} moved away from the dead NIC", lambda: cell.group_started_on(
            active, GROUP) == peer(cell, active), 30, 1)
    finally:
        cell.link(active, nic, up=True, check=False)
        wait_for("knet link 0 up again", lambda: knet_link_connected(cell, active, 0), 60, 0.5)


# --- a monitor failure ---------------------------------------------------------------------------

@pytest.mark.xfail(reason="issue 21 (medium): rgmanager's recovery=relocate wants "
                          "migration-threshold=1; today a failing monitor restarts in place",
                   strict=False)
def test_monitor_failure_relocates_the_group_as_rgmanager_did(cell):
    active = healthy(cell)
    ip, mask, nic = (cell.cib.xpath(f"string(//primitive[@id='ip_ns']//nvpair[@name='{name}']/@value)")
                     for name in ("ip", "cidr_netmask", "nic"))
    cell.run(active, "ip", "address", "del", f"{ip}/{mask}", "dev", nic)     # IPaddr2's own
    wait_for("IPaddr2's monitor failure recorded", lambda: cell.mon(active).find("failures")
             is not None, 60, 1)
    settled(cell, active)
    assert cell.group_started_on(active, GROUP) == peer(cell, active)


# --- cib-apply on a live cluster with operator state ----------------------------------------------

@pytest.mark.xfail(reason="issue 21 item 4: /etc/hagen/cib-apply replaces the configuration "
                          "section and drops the operator's state", strict=False)
def test_cib_apply_on_a_live_cib_keeps_the_operators_state(cell):
    active = healthy(cell)
    standby = peer(cell, active)
    wanted = {"maintenance-mode": "true", "standby": "on", "cli-ban": True, "target-role": "Stopped"}
    cell.run(active, "crm_attribute", "--type", "crm_config", "--name", "maintenance-mode",
             "--update", "true")
    try:
        cell.run(active, "crm_attribute", "--node", standby, "--name", "standby", "--update", "on")
        cell.run(active, "crm_resource", "--ban", "--resource", GROUP, "--node", standby)
        cell.run(active, "crm_resource", "--resource", "svc_postfix", "--meta",
                 "--set-parameter", "target-role", "--parameter-value", "Stopped")
        assert operator_state(cell, active) == wanted
        cell.run(active, "/etc/hagen/cib-apply", check=False)      # refusing is fine too
        assert operator_state(cell, active) == wanted
    finally:
        cell.run(active, "crm_resource", "--resource", "svc_postfix", "--meta",
                 "--delete-parameter", "target-role", check=False)
        cell.run(active, "crm_resource", "--clear", "--resource", GROUP, check=False)
        cell.run(active, "crm_attribute", "--node", standby, "--name", "standby", "--delete",
                 check=False)
        cell.run(active, "crm_attribute", "--type", "crm_config", "--name", "maintenance-mode",
                 "--delete", check=False)
    healthy(cell)


# --- the node's disk as a fresh EL9 install leaves it -----------------------------------------------

@pytest.mark.xfail(reason="issue 21 item 1: ocf:heartbeat:symlink without backup_suffix fails "
                          "with 'not installed' where the link path is a packaged directory",
                   strict=False)
def test_group_fails_over_to_a_node_whose_link_path_is_a_packaged_directory(cell):
    # /etc/snmp as net-snmp installs it on a fresh node, not yet moved to the shared disk
    moved, failed = fail_over_with(cell, ["rm -rf /etc/snmp", "mkdir /etc/snmp",
                                          "touch /etc/snmp/snmpd.conf"], ["rm -rf /etc/snmp"])
    assert moved, failed


@pytest.mark.xfail(reason="issue 21 item 7: the link of a service the site turned off (rms) "
                          "has no parent folder on the node, and its start fails", strict=False)
def test_group_fails_over_to_a_node_without_the_parents_of_turned_off_services_links(cell):
    moved, failed = fail_over_with(cell, ["rm -rf /usr/lib/clustmngt"],
                                   ["mkdir -p /usr/lib/clustmngt/rms"])
    assert moved, failed


# --- the example's own fence password -----------------------------------------------------------

@pytest.mark.xfail(reason="issue 21 item 6: the example's fence password is 23 bytes; ipmitool's "
                          "lanplus refuses more than 20", strict=False)
def test_fence_ipmilan_sends_the_examples_own_password_to_ipmi_sim(tmp_path):
    """fence_ipmilan (lanplus, as the CIB says) against an ipmi_sim holding the password the
    example's build writes. (OpenIPMI 2.0.33's ipmi_sim itself takes at most 19 bytes.)"""
    build(EXAMPLES / "bas5-guide", tmp_path / "out")
    secret = tmp_path / "out" / "ns0" / "etc/hagen/fence-password"
    password = secret.read_text().strip()
    (tmp_path / "lan.conf").write_text(
        'name "bmc"\nset_working_mc 0x20\n  startlan 1\n    addr 127.0.0.1 623\n'
        "    priv_limit admin\n    allowed_auths_admin none md2 md5 straight\n"
        "    guid a123456789abcdefa123456789abcdef\n  endlan\n"
        f'  user 2 true "root" "{password}" admin 10 none md2 md5 straight\n')
    (tmp_path / "emu").write_text("mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f "
                                  "0x1291 0xf02 persist_sdr\nmc_enable 0x20\n")
    sim = subprocess.Popen(["unshare", "--net", "sh", "-c", 'ip link set lo up && exec ipmi_sim -n '
                            f'-c {tmp_path}/lan.conf -f {tmp_path}/emu -s {tmp_path}'],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        netns = f"--net=/proc/{sim.pid}/ns/net"
        wait_for("ipmi_sim listening", lambda: ":026F " in sh("nsenter", netns, "cat",
                                                               "/proc/net/udp").stdout, 10, 0.1)
        fence = sh("nsenter", netns, "fence_ipmilan", "--ip=127.0.0.1", "--username=root",
                   f"--password-script=/bin/cat {secret}", "--lanplus", "--cipher=3",
                   "--action=status", check=False)
        # the simulated machine is off (no chassis here): status answers 2, a failure 1
        assert fence.returncode in (0, 2) and "Status:" in fence.stdout, fence.stdout + fence.stderr
    finally:
        sim.kill()
        sim.wait()
