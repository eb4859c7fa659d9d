"""The batch artifacts of guide chapter 10 carry the guide's values: pbs.conf per role (10.1.2,
<hostname 1> = ns0, <hostname 2> = ns13), slurm.conf in the guide's 1.x syntax (10.2.2) and
today's, OCFS2 (10.2.1), LSF's hosts file and links (10.2.3), RMS's rcontrol script (10.3.1)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import CHECK_TREE, EXAMPLES, requires_shared
from hagen.compile.pipeline import build

GUIDE = EXAMPLES / "bas5-guide"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """build('site-slurm.yaml') -> the built tree of a bas5-guide site, each built once."""
    trees = {}

    def get(site: str):
        if site not in trees:
            out = tmp_path_factory.mktemp("batch") / "out"
            build(GUIDE / site, out)
            trees[site] = out.resolve()
        return trees[site]
    return get


def settings(path) -> list[tuple[str, str]]:
    """(NAME, VALUE) of a NAME=VALUE file, comments and blank lines left out, in order."""
    out = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            out.append((name, value))
    return out


def manifest(tree) -> dict:
    return {(e["path"], e["hosts"]): e for e in json.loads((tree / ".hagen/manifest.json").read_text())["files"]}


def guide_pbs(server, mom, sched):
    return [("PBS_EXEC", "/usr/pbs"), ("PBS_HOME", "/var/spool/PBS"), ("PBS_START_SERVER", server),
            ("PBS_START_MOM", mom), ("PBS_START_SCHED", sched), ("PBS_SERVER", "ns0"), ("PBS_PRIMARY", "ns0"),
            ("PBS_SECONDARY", "ns13"), ("PBS_SCP", "/usr/bin/scp")]


# ---------------------------------------------------------------- PBS Professional (10.1.2)

@pytest.mark.parametrize("host,expected", [
    ("ns0", guide_pbs("1", "0", "1")),       # Primary Management Node
    ("ns13", guide_pbs("0", "0", "1")),      # Secondary Management Node
    ("ns1", guide_pbs("0", "1", "0")),       # COMPUTE(X) Reference Node
    ("ns11", guide_pbs("0", "1", "0")),
    ("ns12", guide_pbs("0", "0", "0")),      # LOGIN Reference Node
])
def test_pbs_conf_is_the_guides_per_role(built, host, expected):
    assert settings(built("site.yaml") / host / "etc/pbs.conf") == expected


def test_pbs_conf_is_one_file_per_role(built):
    entries = manifest(built("site.yaml"))
    assert {hosts for path, hosts in entries if path == "/etc/pbs.conf"} == {"ns0", "ns13", "ns[1-11]", "ns12"}


def test_a_node_both_compute_and_login_gets_the_compute_pbs_conf(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    path = folder / "clusterdb.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["tables"]["node_ftype"].append({"node_id": 2, "ftype_id": 2})     # ns1: compute and login
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    build(folder / "site.yaml", tmp_path / "out")
    assert ("PBS_START_MOM", "1") in settings(tmp_path / "out/ns1/etc/pbs.conf")


# ---------------------------------------------------------------- SLURM (10.2.2)

def test_slurm_conf_v1_carries_the_guides_keys_and_values(built):
    conf = dict(settings(built("site-slurm.yaml") / "ns0/etc/slurm/slurm.conf"))
    assert conf["ControlMachine"] == "ns0"
    assert conf["ControlAddr"] == "10.1.0.1"
    assert conf["BackupController"] == "ns13"          # the guide writes bal1: see the example's README
    assert conf["BackupAddr"] == "10.1.0.13"
    assert conf["StateSaveLocation"] == "/ocfs2shared/slurmdata"
    assert conf["JobAcctType"] == "jobacct/log"
    assert conf["JobAcctLoc"] == "/ocfs2shared/slurmdata/slurm_accounting.log"
    assert not {"SlurmctldHost", "JobCompType", "ClusterName"} & set(conf)


def test_slurm_conf_today_uses_slurmctldhost_and_jobcomp(built):
    lines = [f"{k}={v}" for k, v in settings(built("site-slurm22.yaml") / "ns0/etc/slurm/slurm.conf")]
    assert lines[:3] == ["ClusterName=ns", "SlurmctldHost=ns0(10.1.0.1)", "SlurmctldHost=ns13(10.1.0.13)"]
    assert "JobAcctGatherType=jobacct_gather/linux" in lines
    assert "JobCompType=jobcomp/filetxt" in lines
    assert "JobCompLoc=/ocfs2shared/slurmdata/slurm_accounting.log" in lines
    assert not [ln for ln in lines if ln.startswith(("ControlMachine", "BackupController", "JobAcctType"))]


@pytest.mark.parametrize("site", ["site-slurm.yaml", "site-slurm22.yaml"])
def test_slurm_conf_folds_nodes_and_partitions_and_goes_everywhere(built, site):
    tree = built(site)
    text = (tree / "ns5/etc/slurm/slurm.conf").read_text()
    assert "NodeName=ns[1-11] State=UNKNOWN\n" in text
    assert "PartitionName=compute Nodes=ns[1-11] Default=YES State=UP\n" in text
    assert ("/etc/slurm/slurm.conf", "ns[0-13]") in manifest(tree)


def test_slurm_partitions_of_the_site(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    path = folder / "site-slurm22.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["batch"]["slurm"]["partitions"] = [{"name": "small", "nodes": "ns[1-4]"},
                                           {"name": "big", "nodes": "ns5,ns6,ns7,ns8,ns9,ns11", "default": True}]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    build(path, tmp_path / "out")
    text = (tmp_path / "out/ns0/etc/slurm/slurm.conf").read_text()
    assert "PartitionName=small Nodes=ns[1-4] State=UP\n" in text
    assert "PartitionName=big Nodes=ns[5-9,11] Default=YES State=UP\n" in text


@requires_shared
def test_todays_slurm_conf_passes_slurmctlds_parser(built):
    if shutil.which("slurmctld") is None:
        pytest.skip("slurmctld is not installed (apt-get install slurmctld)")
    tree = built("site-slurm22.yaml")
    assert (tree / "ns0/etc/slurm/slurm.conf").is_file()
    proc = subprocess.run([sys.executable, str(CHECK_TREE), "--require-all", str(tree)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout
    assert not [ln for ln in proc.stdout.splitlines() if "slurm.conf" in ln], proc.stdout


# ---------------------------------------------------------------- OCFS2 (10.2.1)

def test_ocfs2_cluster_conf_on_both_management_nodes(built):
    tree = built("site-slurm.yaml")
    text = (tree / "ns0/etc/ocfs2/cluster.conf").read_text()
    assert text == (tree / "ns13/etc/ocfs2/cluster.conf").read_text()
    assert text == ("node:\n\tip_port = 7777\n\tip_address = 10.1.0.1\n\tnumber = 0\n\tname = ns0\n\tcluster = ocfs2\n\n"
                    "node:\n\tip_port = 7777\n\tip_address = 10.1.0.13\n\tnumber = 1\n\tname = ns13\n\tcluster = ocfs2\n\n"
                    "cluster:\n\tnode_count = 2\n\tname = ocfs2\n")
    # site-slurm.yaml shares /etc/fstab with the system: the line is hagen's block in it
    text = (tree / "ns0/etc/fstab").read_text()
    assert text.startswith("# BEGIN hagen ocfs2\n") and text.endswith("# END hagen ocfs2\n")
    fstab = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert fstab == ["/dev/sdj1 /ocfs2shared ocfs2 _netdev,defaults 0 0"]
    assert not (tree / "ns1/etc/ocfs2").exists()


# ---------------------------------------------------------------- LSF (10.2.3)

GUIDE_LSF_HOSTS = ["10.1.0.65 ns ns0 ns13", "10.1.0.1 ns ns0", "10.1.0.13 ns ns13"]


def content_lines(path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


def test_lsf_hosts_file_is_the_guides_three_lines_at_the_link_target_on_the_primary(built):
    tree = built("site-slurm.yaml")
    # CLARIFICATIONS 22: $LSF_ENVDIR = /usr/share/lsf/conf, and /usr/share/lsf -> /ocfs2shared/lsf
    assert content_lines(tree / "ns0/ocfs2shared/lsf/conf/hosts") == GUIDE_LSF_HOSTS
    assert not (tree / "ns13/ocfs2shared").exists()
    assert ("/ocfs2shared/lsf/conf/hosts", "ns0") in manifest(tree)


def test_lsf_slurm_links_on_both_management_nodes(built):
    tree = built("site-slurm.yaml")
    for host in ("ns0", "ns13"):
        assert os.readlink(tree / host / "usr/share/lsf") == "/ocfs2shared/lsf"
        assert os.readlink(tree / host / "hptc_cluster") == "/ocfs2shared/hptc_cluster"
    entries = manifest(tree)
    assert entries[("/usr/share/lsf", "ns[0,13]")]["type"] == "symlink"
    assert not (tree / "ns1/usr").exists()


def test_lsf_lines_are_live_in_start_and_stop(built):
    for site in ("site-slurm.yaml", "site-rms.yaml"):
        tree = built(site)
        for name in ("start", "stop"):
            lines = (tree / f"ns0/etc/HA/{name}").read_text().splitlines()
            assert "/etc/init.d/lsf" in lines and "#/etc/init.d/lsf" not in lines
    start = (built("site.yaml") / "ns0/etc/HA/start").read_text().splitlines()
    assert "#/etc/init.d/lsf" in start and "#/etc/init.d/msqld" in start


def test_lsf_with_rms_writes_its_hosts_file_on_the_halinks_storage(built):
    tree = built("site-rms.yaml")
    assert content_lines(tree / "ns0/usrha/share/lsf/conf/hosts") == GUIDE_LSF_HOSTS
    assert not (tree / "ns13/usrha").exists() and not (tree / "ns0/usr/share/lsf").exists()


def test_lsf_alone_off_shared_storage_writes_envdir_on_both_nodes(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    path = folder / "site-rms.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["batch"] = {"manager": "lsf", "lsf": {"envdir": "/opt/lsf/conf"}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    compiled, _ = build(path, tmp_path / "out")
    assert [r.code for r in compiled.warnings if r.code.startswith("HA8")] == ["HA830"]
    for host in ("ns0", "ns13"):
        assert content_lines(tmp_path / "out" / host / "opt/lsf/conf/hosts") == GUIDE_LSF_HOSTS
    start = (tmp_path / "out/ns0/etc/HA/start").read_text().splitlines()
    assert "/etc/init.d/lsf" in start and "#/etc/init.d/msqld" in start


# ---------------------------------------------------------------- RMS (10.3.1)

def test_rms_script_and_service_lines(built):
    tree = built("site-rms.yaml")
    script = tree / "ns0/etc/HA/rms-ha-setup"
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "rcontrol create attribute rmshost-if val '10.1.0.65'" in text      # CLARIFICATIONS 13
    assert "rcontrol set attribute reconnect-timeout val 480" in text
    assert script.stat().st_mode & 0o777 == 0o755
    assert text == (tree / "ns13/etc/HA/rms-ha-setup").read_text()
    for name in ("start", "stop"):
        lines = (tree / f"ns0/etc/HA/{name}").read_text().splitlines()
        assert "/etc/init.d/msqld" in lines and "/etc/HA/bin/harms" in lines


def test_rms_script_is_shellcheck_clean(built):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    proc = subprocess.run(["shellcheck", "-S", "style", str(built("site-rms.yaml") / "ns0/etc/HA/rms-ha-setup")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_rms_alone(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    path = folder / "site-rms.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["batch"] = {"manager": "rms", "rms": {"rmshost_if": "10.1.0.66", "reconnect_timeout": 600}}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    build(path, tmp_path / "out")
    text = (tmp_path / "out/ns0/etc/HA/rms-ha-setup").read_text()
    assert "val '10.1.0.66'" in text and "reconnect-timeout val 600" in text
    start = (tmp_path / "out/ns0/etc/HA/start").read_text().splitlines()
    assert "/etc/init.d/msqld" in start and "#/etc/init.d/lsf" in start
    assert not list((tmp_path / "out").resolve().glob("*/usrha"))
