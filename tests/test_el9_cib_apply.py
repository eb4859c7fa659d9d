"""/etc/hagen/cib-apply against a CIB file standing for the live cluster (Pacemaker's
CIB_file makes cibadmin, crm_diff's callers and crm_simulate work on it), with the
operator's state a real cluster carries: maintenance-mode, a node in standby, a cli-ban
constraint, a resource with target-role=Stopped. The apply is a patch (crm_diff then
cibadmin --patch) that leaves all four alone, refuses in maintenance unless asked, backs
the CIB up first, previews with a shadow copy and crm_simulate, reports failures by exit
status, and refuses when the epoch moved between its read and its patch.
Needs Debian's pacemaker-cli-utils (.ci/run installs it); skips without.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest
from lxml import etree

from conftest import EXAMPLES
from hagen.compile.pipeline import build

TOOLS = ("cibadmin", "crm_diff", "crm_simulate", "crm_attribute", "crm_resource")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    for tool in TOOLS:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install pacemaker-cli-utils; .ci/run does)")
    out = tmp_path_factory.mktemp("el9apply") / "out"
    build(EXAMPLES / "bas5-guide" / "site-el9.yaml", out)
    return out.resolve() / "ns0" / "etc" / "hagen"


def run(args, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def cluster(built, tmp_path):
    """A live CIB: hagen's, both nodes up and quorate, with the operator's state."""
    live = tmp_path / "live.xml"
    shutil.copyfile(built / "cib.xml", live)
    assert run(["crm_simulate", "-x", str(live), "-u", "ns0", "-u", "ns13", "-q", "1", "-X"]).returncode == 0
    env = dict(os.environ, CIB_file=str(live))
    for cmd in (["crm_attribute", "--type", "crm_config", "--name", "maintenance-mode", "--update", "true"],
                ["crm_attribute", "--node", "ns13", "--name", "standby", "--update", "on"],
                ["crm_resource", "--ban", "--resource", "HA_NSM", "--node", "ns13"],
                ["crm_resource", "--resource", "svc_httpd", "--meta", "--set-parameter", "target-role",
                 "--parameter-value", "Stopped"]):
        proc = run(cmd, env=env)
        assert proc.returncode == 0, proc.stderr
    ours = tmp_path / "cib.xml"
    ours.write_text((built / "cib.xml").read_text().replace(
        'name="resource-stickiness" value="200"', 'name="resource-stickiness" value="300"'))
    apply_env = dict(env, CIB=str(ours), HAGEN_STATE=str(tmp_path / "state"))
    return live, ours, apply_env


def apply(built, env, *args):
    return run(["python3", str(built / "cib-apply"), *args], env=env)


def value(live, xpath):
    found = etree.parse(str(live)).xpath(xpath)
    return found[0] if found else None


def operator_state(live) -> tuple:
    return (value(live, "//crm_config//nvpair[@name='maintenance-mode']/@value"),
            value(live, "//nodes/node[@uname='ns13']//nvpair[@name='standby']/@value"),
            value(live, "//rsc_location[starts-with(@id, 'cli-ban-HA_NSM')]/@node"),
            value(live, "//primitive[@id='svc_httpd']/meta_attributes/nvpair[@name='target-role']/@value"))


def stickiness(live):
    return value(live, "//rsc_defaults//nvpair[@name='resource-stickiness']/@value")


def test_it_refuses_while_the_cluster_is_in_maintenance(built, cluster):
    live, _, env = cluster
    before = live.read_bytes()
    proc = apply(built, env)
    assert proc.returncode == 2 and "maintenance" in proc.stderr
    assert live.read_bytes() == before


def test_it_patches_and_leaves_the_operators_state_alone(built, cluster, tmp_path):
    live, _, env = cluster
    proc = apply(built, env, "--in-maintenance")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stickiness(live) == "300"
    assert operator_state(live) == ("true", "on", "ns13", "Stopped")
    backups = list((tmp_path / "state" / "backups").iterdir())
    assert len(backups) == 1 and stickiness(backups[0]) == "200"
    assert stat.S_IMODE((tmp_path / "state" / "backups").stat().st_mode) == 0o700
    again = apply(built, env, "--in-maintenance")
    assert again.returncode == 0 and "already runs" in again.stdout


def test_the_dry_run_shows_the_patch_and_the_simulation_and_changes_nothing(built, cluster):
    live, _, env = cluster
    before = live.read_bytes()
    proc = apply(built, env, "--dry-run", "--in-maintenance")
    assert proc.returncode == 0, proc.stderr
    assert "resource-stickiness" in proc.stdout and "Transition Summary" in proc.stdout
    assert live.read_bytes() == before


def test_a_second_apply_diffs_against_the_last_applied_not_the_live(built, cluster):
    """An operator's own resource, added between two applies, survives the second."""
    live, ours, env = cluster
    assert apply(built, env, "--in-maintenance").returncode == 0
    op = run(["cibadmin", "--create", "--scope", "resources", "--xml-text",
              '<primitive id="operator_dummy" class="ocf" provider="pacemaker" type="Dummy"/>'], env=env)
    assert op.returncode == 0, op.stderr
    ours.write_text(ours.read_text().replace('value="300"', 'value="400"'))
    proc = apply(built, env, "--in-maintenance")
    assert proc.returncode == 0, proc.stderr
    assert stickiness(live) == "400" and value(live, "//primitive[@id='operator_dummy']/@id") is not None


def test_a_cib_the_schema_refuses_fails_by_exit_status_and_changes_nothing(built, cluster):
    live, ours, env = cluster
    ours.write_text(ours.read_text().replace("<constraints>", '<constraints><rsc_location id="bad" rsc="HA_NSM"/>'))
    before = live.read_bytes()
    proc = apply(built, env, "--in-maintenance")
    assert proc.returncode == 1 and "cibadmin" in proc.stderr
    assert live.read_bytes() == before


def test_a_change_between_read_and_patch_is_refused(built, cluster, tmp_path):
    """cibadmin, on PATH before the real one, lets another writer in before its second query."""
    live, _, env = cluster
    real = shutil.which("cibadmin")
    wrapper = tmp_path / "bin" / "cibadmin"
    wrapper.parent.mkdir()
    count = tmp_path / "queries"
    wrapper.write_text(f"""#!/bin/sh
if [ "$1" = "--query" ]; then
    echo x >> {count}
    if [ "$(wc -l < {count})" -eq 2 ]; then
        crm_attribute --type crm_config --name cluster-recheck-interval --update 5min >/dev/null
    fi
fi
exec {real} "$@"
""")
    wrapper.chmod(0o755)
    proc = apply(built, dict(env, PATH=f"{wrapper.parent}:{os.environ['PATH']}"), "--in-maintenance")
    assert proc.returncode == 2 and "epoch moved" in proc.stderr, proc.stdout + proc.stderr
    assert stickiness(live) == "200"


def test_the_first_apply_on_a_fresh_cluster_creates_everything(built, tmp_path):
    """A new cluster's CIB (cibadmin --empty, cluster-name set as pcs cluster setup does)."""
    live = tmp_path / "fresh.xml"
    proc = run(["cibadmin", "--empty"])
    assert proc.returncode == 0, proc.stderr
    live.write_text(proc.stdout)
    env = dict(os.environ, CIB_file=str(live), CIB=str(built / "cib.xml"), HAGEN_STATE=str(tmp_path / "state"))
    assert run(["crm_attribute", "--type", "crm_config", "--name", "cluster-name", "--update", "ns_mngt"],
               env=env).returncode == 0
    proc = apply(built, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ours = etree.parse(str(built / "cib.xml")).getroot()
    got = etree.parse(str(live)).getroot()
    assert [p.get("id") for p in got.iter("primitive")] == [p.get("id") for p in ours.iter("primitive")]
    assert (tmp_path / "state" / "applied.xml").exists()
