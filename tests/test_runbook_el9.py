"""hagen runbook for target el9-pacemaker: its own template and sections (packages, storage
and SELinux, units left to Pacemaker, watchdog and SBD, pcsd and bring-up, the CIB
applied with /etc/hagen/cib-apply, failover tests expecting what the audit predicts),
values read from the CIB and corosync.conf the build writes, never a secret.
"""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from cli_runner import cli
from conftest import EXAMPLES
from hagen.audit import compile_for_audit, document
from hagen.audit.el9_runbook import runbook
from hagen.audit.runbook import render_runbook


@pytest.fixture(scope="module")
def compiled():
    return {name: compile_for_audit(EXAMPLES / name / "site-el9.yaml") for name in ("bas5-guide", "xena")}


def steps(compiled, name) -> list[dict]:
    return [dict(step, section=s["title"]) for s in runbook(compiled[name])["sections"] for step in s["steps"]]


def commands(compiled, name) -> list[str]:
    return [c for step in steps(compiled, name) for c in step["commands"]]


def test_sections_in_order(compiled):
    assert [s["title"] for s in runbook(compiled["xena"])["sections"]] == [
        "Packages and fence devices", "Shared storage and SELinux", "Units Pacemaker manages", "Watchdog and SBD",
        "pcsd and the cluster's bring-up", "The CIB", "Failover tests of cell xena_mds",
        "Failover tests of cell xena_nfs", "Failover tests of cell xena_oss"]
    assert all(step["expect"] and step["hosts"] and step["commands"] for step in steps(compiled, "xena"))
    assert runbook(compiled["xena"])["not_covered"] == ""


def test_management_pair(compiled):
    cmds = commands(compiled, "bas5-guide")
    assert any(c.startswith("dnf install -y pacemaker pcs resource-agents fence-agents-ipmilan") for c in cmds)
    assert "systemctl enable --now pcsd" in cmds and "pcs host auth ns0 ns13 -u hacluster" in cmds
    assert "pcs cluster start --all" in cmds
    unit = next(c for c in cmds if c.startswith("systemctl disable --now"))
    assert "postgresql" in unit and "httpd" in unit and "hafda" in unit     # every systemd: resource of HA_NSM
    assert "semanage fcontext -a -e /var/lib/pgsql /varha/lib/pgsql" in cmds and "restorecon -Rv /varha" in cmds
    assert cmds.index("/etc/hagen/cib-apply --dry-run") < cmds.index("/etc/hagen/cib-apply")
    from hagen.audit.el9_facts import el9_cell_facts

    sbd = dict(el9_cell_facts(compiled["bas5-guide"])[0].sbd).get("SBD_DEVICE")
    assert any(c.startswith("sbd ") for c in cmds) == bool(sbd)              # SBD steps only for an SBD cell


def test_io_cells_sbd_watchdog_and_nfs(compiled):
    cmds = commands(compiled, "xena")
    assert "sbd -d /dev/ldn.da0.0 -1 5 -4 10 create" in cmds and "systemctl enable sbd" in cmds and "wdctl" in cmds
    assert "systemctl disable --now nfs-server" in cmds
    assert "mkfs.xfs /dev/ldn.da0.1   # /mount_point1" in cmds
    assert "getsebool nfs_export_all_rw nfs_export_all_ro" in cmds


def test_failover_tests_expect_what_the_audit_predicts(compiled):
    doc = document(compiled["bas5-guide"])
    power = next(f for f in doc["cells"][0]["failures"] if f["failure"] == "node_power_lost" and f["subject"] == "ns0")
    test = next(s for s in steps(compiled, "bas5-guide") if s["title"] == "power of ns0 lost")
    assert test["expect"] == power["effect"] and test["hosts"] == "ns13"
    back = next(s for s in steps(compiled, "bas5-guide") if s["title"] == "ns0 back in the cluster")
    assert "pcs cluster start" in back["commands"] and back["expect"].startswith("ns0 joins again")
    nic = next(s for s in steps(compiled, "xena") if s["title"].startswith("service NIC eth0 of xena11"))
    lost = next(f for c in document(compiled["xena"])["cells"] for f in c["failures"]
                if f["failure"] == "service_nic_lost" and f["subject"] == "xena11 eth0 (admin)")
    assert nic["expect"] == lost["effect"]
    assert "pcs stonith fence xena11" in commands(compiled, "xena")
    assert "ip route add blackhole 10.2.1.11/32" in commands(compiled, "xena")


def test_html_and_no_secret(compiled):
    for name in ("bas5-guide", "xena"):
        secret = (EXAMPLES / name / "fence-password").read_text().strip()
        page = render_runbook(compiled[name], "html")
        md = render_runbook(compiled[name], "md")
        assert secret not in page and secret not in md
        root = lxml_html.fromstring(page)
        assert [h.text_content() for h in root.iter("h3")] == \
            [f"{i}.{j} {step['title']}" for i, s in enumerate(runbook(compiled[name])["sections"], 1)
             for j, step in enumerate(s["steps"], 1)]
        assert md.startswith(f"# Runbook of cluster {compiled[name].model.cluster.name}") and "el9-pacemaker" in md


def test_command_line():
    res = cli("runbook", "--site", EXAMPLES / "xena" / "site-el9.yaml")
    assert res.code == 0 and "HA176" not in res.stderr and "pcs cluster start --all" in res.stdout


def test_each_alert_agent_is_installed_from_the_sample_pacemaker_ships(compiled):
    """Pacemaker ships its alert agents as .sample files only: a CIB naming an agent nobody
    installed logs 'not installed' at every event (seen on the live cell). The runbook
    installs each shipped agent from its sample, on both nodes of every cell, and the
    sample it names is the one the installed pacemaker really has, where it is installed."""
    import shlex
    from pathlib import Path

    from lxml import etree

    cell_steps = [s for s in steps(compiled, "xena") if s["title"].startswith("alert agents on ")]
    assert [s["title"] for s in cell_steps] == ["alert agents on xena_mds", "alert agents on xena_nfs",
                                                "alert agents on xena_oss"]
    install = cell_steps[0]["commands"][0]
    argv = shlex.split(install)
    assert argv[:3] == ["install", "-m", "0755"] and argv[4] == "/var/lib/pacemaker/alert_smtp.sh"
    assert cell_steps[0]["rollback"] == ["rm -f /var/lib/pacemaker/alert_smtp.sh"]
    cib = etree.fromstring(next(f.data for f in compiled["xena"].files
                                if f.host == "xena1" and f.path == "/etc/hagen/cib.xml"))
    assert [a.get("path") for a in cib.iter("alert")] == [argv[4]]      # what the CIB names is what is installed
    samples = Path("/usr/share/pacemaker/alerts")
    if not samples.is_dir():
        pytest.skip("pacemaker is not installed here: its samples cannot be compared")
    assert Path(argv[3]).is_file(), f"{argv[3]} is not a sample the installed pacemaker ships"
