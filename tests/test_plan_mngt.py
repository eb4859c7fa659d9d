"""Variants of the management pair the bas5-guide example does not show:
PAP fencing, a quorum disk, no bonding, modprobe.d, logs to the active node,
the heartbeat on the backbone, a password from the environment."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from conftest import SHARED, requires_shared
from hagen.compile.pipeline import build
from hagen.kinds.cman import validate_cluster_conf


def edit_rows(folder, fn):
    path = folder / "clusterdb.yaml"
    doc = yaml.safe_load(path.read_text())
    fn(doc["tables"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def edit_site(folder, fn):
    path = folder / "site.yaml"
    doc = yaml.safe_load(path.read_text())
    fn(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def xmllint(path, schema):
    return subprocess.run(["xmllint", "--noout", "--relaxng", str(SHARED / "oracles" / schema), str(path)],
                          capture_output=True, text=True)


def make_pap(tables):
    for hw in tables["hwmanager"]:
        hw["type"] = "pap"


@pytest.fixture
def pap(example_copy):
    folder = example_copy("bas5-guide")
    edit_rows(folder, make_pap)
    edit_site(folder, lambda s: s["management"]["fencing"].update(pap_domains={"ns0": "ns0dom", "ns13": "ns13dom"}))
    return folder


def test_pap_fencing_uses_fence_bullpap_with_domains(pap, tmp_path):
    out = tmp_path / "out"
    build(pap / "site.yaml", out)
    text = (out / "ns0/etc/cluster/cluster.conf").read_text()
    assert 'agent="fence_bullpap"' in text and 'domain="ns0dom"' in text and "lanplus" not in text
    assert validate_cluster_conf(text.encode()) == []


@requires_shared
def test_pap_cluster_conf_passes_the_rhel5_schema(pap, tmp_path):
    # CLARIFICATIONS 20: the RHEL6 schema does not know fence_bullpap; RHEL5 does
    out = tmp_path / "out"
    build(pap / "site.yaml", out)
    proc = xmllint(out / "ns0/etc/cluster/cluster.conf", "cluster-rhel5.ng")
    assert proc.returncode == 0, proc.stderr


def test_quorum_disk_gives_two_node_0_and_quorumd(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    edit_rows(folder, lambda t: t["da_iocell"][0].update(quorum_device="/dev/sdq1"))
    out = tmp_path / "out"
    build(folder / "site.yaml", out)
    text = (out / "ns0/etc/cluster/cluster.conf").read_text()
    assert '<cman two_node="0" expected_votes="3"/>' in text
    assert '<quorumd device="/dev/sdq1"' in text
    # 8.3.3: a ping heuristic (the admin gateway 10.1.255.254) and a token twice qdiskd's 20 s, plus one
    assert '<heuristic program="ping -c1 -w1 10.1.255.254" score="1" interval="2" tko="3"/>' in text
    assert '<totem token="41000"/>' in text and "master_wins" not in text
    assert validate_cluster_conf(text.encode()) == []
    if (SHARED / "oracles").exists():
        for schema in ("cluster-rhel5.ng", "cluster-rhel6.rng"):
            proc = xmllint(out / "ns0/etc/cluster/cluster.conf", schema)
            assert proc.returncode == 0, proc.stderr


def test_without_bonding_the_physical_interface_carries_the_address(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    edit_site(folder, lambda s: s["network"].pop("bonding"))
    out = tmp_path / "out"
    build(folder / "site.yaml", out)
    scripts = out / "ns13/etc/sysconfig/network-scripts"
    assert sorted(p.name for p in scripts.iterdir()) == ["ifcfg-eth0", "ifcfg-eth1", "route-eth0"]
    assert "IPADDR=10.1.0.13" in (scripts / "ifcfg-eth0").read_text()
    assert [ln.split() for ln in (out / "ns0/etc/HA/ip").read_text().splitlines() if not ln.startswith("#")] == [
        ["eth0", "10.1.0.65/16"], ["eth1", "176.18.118.65/24"]]
    assert not (out / "ns0/etc/modprobe.conf").exists()


def _bond_files(out, host="ns0"):
    scripts = out / host / "etc/sysconfig/network-scripts"
    text = (out / host / "etc/modprobe.conf").read_text()
    return text, {p.name: p.read_text() for p in scripts.glob("ifcfg-bond*")}


def test_one_bond_keeps_the_guides_single_options_line(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    edit_site(folder, lambda s: s["network"]["bonding"].update(bonds=s["network"]["bonding"]["bonds"][:1]))
    out = tmp_path / "out"
    build(folder / "site.yaml", out)
    modprobe, ifcfg = _bond_files(out)
    assert "options bonding mode=1 downdelay=1000 updelay=1000 miimon=1000 primary=eth0\n" in modprobe
    assert "BONDING_OPTS" not in ifcfg["ifcfg-bond0"]


def test_each_bond_gets_its_own_primary_and_options(example_copy, tmp_path):
    """Two bonds (the example's): one module line would give bond1 bond0's primary (eth0,
    not its slave); each bond's ifcfg carries its own BONDING_OPTS, bond1 its own options."""
    folder = example_copy("bas5-guide")
    edit_site(folder, lambda s: s["network"]["bonding"]["bonds"][1].update(options="mode=1 miimon=100"))
    out = tmp_path / "out"
    build(folder / "site.yaml", out)
    modprobe, ifcfg = _bond_files(out)
    assert "options bonding max_bonds=2\n" in modprobe and "primary" not in modprobe
    assert 'BONDING_OPTS="mode=1 downdelay=1000 updelay=1000 miimon=1000 primary=eth0"' in ifcfg["ifcfg-bond0"]
    assert 'BONDING_OPTS="mode=1 miimon=100 primary=eth1"' in ifcfg["ifcfg-bond1"]


def test_modprobe_d_style(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    edit_site(folder, lambda s: s["network"]["bonding"].update(modprobe="modprobe.d"))
    out = tmp_path / "out"
    build(folder / "site.yaml", out)
    assert (out / "ns0/etc/modprobe.d/bonding.conf").is_file()
    assert not (out / "ns0/etc/modprobe.conf").exists()


def test_passive_logs_go_to_the_admin_alias(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    edit_site(folder, lambda s: s["syslog_ng"].update(passive_logs_to_active=True))
    out = tmp_path / "out"
    build(folder / "site.yaml", out)
    assert 'udp("10.1.0.65"' in (out / "ns0/etc/syslog-ng/syslog-ng.conf").read_text()


def test_heartbeat_on_the_backbone_names_nodes_by_their_backbone_host_names(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    edit_site(folder, lambda s: s["management"].update(heartbeat="backbone"))
    out = tmp_path / "out"
    build(folder / "site.yaml", out)
    text = (out / "ns0/etc/cluster/cluster.conf").read_text()
    assert '<clusternode name="ns0-bk"' in text and '<failoverdomainnode name="ns13-bk"' in text


def test_password_from_the_environment(example_copy, tmp_path, monkeypatch):
    folder = example_copy("bas5-guide")
    edit_site(folder, lambda s: s["management"]["fencing"].update(password_env="FENCE_PW") or
              s["management"]["fencing"].pop("password_file"))
    monkeypatch.setenv("FENCE_PW", "s3cr<et>&\"q")
    out = tmp_path / "out"
    build(folder / "site.yaml", out)
    from lxml import etree

    data = (out / "ns0/etc/cluster/cluster.conf").read_bytes()
    assert validate_cluster_conf(data) == []
    assert {d.get("passwd") for d in etree.fromstring(data).iter("fencedevice")} == {'s3cr<et>&"q'}
