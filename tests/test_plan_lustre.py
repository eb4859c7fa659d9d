"""The Lustre artifacts (guide chapters 5-7) of examples/xena and of variants: the cells'
cluster.conf, the lustre_failover symlinks (real symlinks in out/ and the manifest),
the model files, lustre.cfg, the sudoers fragment, and the management pair's Lustre
additions (7.1) on a copy of bas5-guide given Lustre rows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from lxml import etree

from conftest import EXAMPLES, SHARED
from hagen.emit import OutFile, OutputTree, manifest_of
from hagen.base.errors import OutputError
from hagen.compile.pipeline import build
from hagen.kinds.cman import validate_cluster_conf
from example_helpers import Example, find

SITE = EXAMPLES / "xena" / "site.yaml"
CELLS = {"xena_mds": ("xena1", "xena2"), "xena_oss": ("xena10", "xena12")}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("lustre") / "out"
    build(SITE, out)
    return out


def conf(out, host):
    return etree.fromstring((out / host / "etc/cluster/cluster.conf").read_bytes())


# ---------------------------------------------------------------- cluster.conf

@pytest.mark.parametrize("cell,nodes", CELLS.items())
def test_both_nodes_hold_one_cluster_conf(out, cell, nodes):
    a, b = (out / n / "etc/cluster/cluster.conf" for n in nodes)
    assert a.read_bytes() == b.read_bytes()
    assert oct(a.stat().st_mode & 0o777) == "0o600"
    assert validate_cluster_conf(a.read_bytes()) == []
    assert conf(out, nodes[0]).get("name") == cell


@pytest.mark.parametrize("cell,nodes", CELLS.items())
def test_two_lustre_services_mutual_takeover_manual_start(out, cell, nodes):
    root = conf(out, nodes[0])
    services = {s.get("name"): s for s in root.iter("service")}
    assert sorted(services) == sorted(f"lustre_{n}" for n in nodes)
    domains = {d.get("name"): d for d in root.iter("failoverdomain")}
    for node in nodes:
        svc = services[f"lustre_{node}"]
        assert svc.get("autostart") == "0" and svc.get("recovery") == "relocate"
        (script,) = svc.findall("script")
        assert script.get("file") == f"/usr/sbin/lustre_failover_{node}"
        dom = domains[svc.get("domain")]
        assert dom.get("ordered") == "1" and dom.get("nofailback") == "1"
        members = [(m.get("name"), m.get("priority")) for m in dom.findall("failoverdomainnode")]
        peer = next(n for n in nodes if n != node)
        assert members == [(node, "1"), (peer, "2")]


def test_quorum_disk_and_bmc_fencing(out):
    root = conf(out, "xena10")
    assert root.find("quorumd").get("device") == "/dev/ldn.da2.0"
    assert root.find("cman").attrib == {"two_node": "0", "expected_votes": "3"}
    devices = {d.get("name"): d for d in root.iter("fencedevice")}
    assert devices["fence_xena10"].get("ipaddr") == "10.2.1.10"
    assert devices["fence_xena12"].get("agent") == "fence_ipmilan"
    assert {n.get("name") for n in root.iter("clusternode")} == {"xena10", "xena12"}   # admin host names


def test_without_quorum_disk_a_two_node_cluster(tmp_path):
    ex = Example(tmp_path)
    ex.edit_rows(lambda t: find(t, "da_iocell", name="xena_mds").update(quorum_device=None))
    build(ex.site, tmp_path / "out")
    text = (tmp_path / "out/xena1/etc/cluster/cluster.conf").read_text()
    assert '<cman two_node="1" expected_votes="1"/>' in text and "quorumd" not in text
    assert validate_cluster_conf(text.encode()) == []


def test_the_lustre_heartbeat_stays_on_admin_when_nfs_uses_the_backbone(tmp_path):
    ex = Example(tmp_path)
    ex.edit_site(lambda s: s["nfs"].update(heartbeat="backbone"))
    build(ex.site, tmp_path / "out")
    assert {n.get("name") for n in conf(tmp_path / "out", "xena1").iter("clusternode")} == {"xena1", "xena2"}


@pytest.mark.skipif(not (SHARED / "oracles").exists() or shutil.which("xmllint") is None,
                    reason="needs ../shared/oracles and xmllint")
@pytest.mark.parametrize("schema", ["cluster-rhel5.ng", "cluster-rhel6.rng"])
def test_public_schemas_accept_the_lustre_cluster_conf(out, schema):
    proc = subprocess.run(["xmllint", "--noout", "--relaxng", str(SHARED / "oracles" / schema),
                           str(out / "xena1/etc/cluster/cluster.conf")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------- symlinks

def test_failover_scripts_are_real_symlinks_on_both_nodes(out):
    for nodes in CELLS.values():
        for host in nodes:
            for primary in nodes:
                link = out / host / f"usr/sbin/lustre_failover_{primary}"
                assert link.is_symlink() and os.readlink(link) == "/usr/sbin/lustre_failover"
    assert not (out / "xena11/usr/sbin").exists()


def test_the_manifest_records_the_symlinks(out):
    manifest = json.loads((out / ".hagen/manifest.json").read_text())
    links = [e for e in manifest["files"] if e.get("type") == "symlink"]
    assert {(e["path"], e["hosts"]) for e in links} == {
        ("/usr/sbin/lustre_failover_xena1", "xena[1-2]"), ("/usr/sbin/lustre_failover_xena2", "xena[1-2]"),
        ("/usr/sbin/lustre_failover_xena10", "xena[10,12]"), ("/usr/sbin/lustre_failover_xena12", "xena[10,12]")}
    assert all(e["target"] == "/usr/sbin/lustre_failover" and "sha256" not in e for e in links)


def test_a_rebuild_with_symlinks_writes_nothing(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    gen = os.readlink(out)
    _, result = build(SITE, out)
    assert result.noop and result.changed == 0 and os.readlink(out) == gen


def _link(host, target):
    return OutFile(host, "/usr/sbin/lustre_failover_a", target.encode(), 0o777, "symlink", target)


def test_emit_swaps_a_changed_link_and_repairs_a_broken_one(tmp_path):
    tree = OutputTree(tmp_path / "out")
    plain = OutFile("a", "/etc/x", b"x\n", 0o644, "t")
    with tree.lock():
        tree.commit([plain, _link("a", "/usr/sbin/lustre_failover")])
    with tree.lock():
        result = tree.commit([plain, _link("a", "/opt/lustre_failover")])
    assert not result.noop and result.changed == 1
    link = tmp_path / "out/a/usr/sbin/lustre_failover_a"
    assert os.readlink(link) == "/opt/lustre_failover"
    link.unlink()
    os.symlink("/elsewhere", link)                      # edited in place: the next build repairs it
    with tree.lock():
        result = tree.commit([plain, _link("a", "/opt/lustre_failover")])
    assert not result.noop and os.readlink(tmp_path / "out/a/usr/sbin/lustre_failover_a") == "/opt/lustre_failover"


def test_a_failure_while_linking_leaves_the_previous_tree(tmp_path, monkeypatch):
    tree = OutputTree(tmp_path / "out")
    files = [OutFile("a", "/etc/x", b"x\n", 0o644, "t"), _link("a", "/usr/sbin/lustre_failover")]
    with tree.lock():
        tree.commit(files)
    before = os.readlink(tmp_path / "out")

    def fail(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "symlink", fail)
    with pytest.raises(OutputError), tree.lock():
        tree.commit([files[0], _link("a", "/opt/other")])
    monkeypatch.undo()
    assert os.readlink(tmp_path / "out") == before
    assert os.readlink(tmp_path / "out/a/usr/sbin/lustre_failover_a") == "/usr/sbin/lustre_failover"


def test_regular_entries_keep_their_manifest_form():
    entry = manifest_of([OutFile("a", "/etc/x", b"x\n", 0o644, "t")])["files"][0]
    assert list(entry.to_json()) == ["path", "hosts", "mode", "sha256", "size", "template"]


# ---------------------------------------------------------------- model files

LMF_LINE = re.compile(r"^[a-z_]+:\s*\S.*$")


def lmf(out, fs):
    text = (out / f"xena0/etc/lustre/models/{fs}.lmf").read_text()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert all(LMF_LINE.match(ln) for ln in lines), lines
    return lines


def test_a_model_file_per_file_system_on_the_management_node(out):
    assert sorted(p.name for p in (out / "xena0/etc/lustre/models").iterdir()) == ["data.lmf", "scratch.lmf"]
    assert not (out / "xena1/etc/lustre/models").exists()
    lines = lmf(out, "scratch")
    assert lines.index("fs_name: scratch") < lines.index("mdt: name=^scratch_mdt$")
    assert lines.index("failover: yes") < lines.index("fs_name: scratch")
    assert [ln for ln in lines if ln.startswith("ost:")] == [f"ost: name=^scratch_ost{i}$" for i in range(4)]
    assert "mount_path: /scratch" in lines and "stripe_size: 1048576" in lines
    assert "mdt_mkfs_options: -b 4096 -i 4096" in lines and "quota: no" in lines


def test_failover_is_derived_when_lustre_fs_leaves_it_null(out, tmp_path):
    assert "failover: yes" in lmf(out, "data")          # lustre_fs.failover is NULL, every target has a secondary
    ex = Example(tmp_path)
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="data_ost1").update(oss_ha_node=None))
    build(ex.site, tmp_path / "out")
    assert "failover: no" in lmf(tmp_path / "out", "data")


# ---------------------------------------------------------------- lustre.cfg and sudoers

def cfg(out, host):
    return dict(ln.split("=", 1) for ln in (out / host / "etc/lustre/lustre.cfg").read_text().splitlines()
                if ln and not ln.startswith("#"))


def test_lustre_cfg_where_the_lustre_tools_run(out):
    hosts = sorted(p.parts[-4] for p in out.glob("*/etc/lustre/lustre.cfg"))
    assert hosts == sorted(["xena0", "xena1", "xena2", "xena10", "xena12"])
    assert cfg(out, "xena0") == {"LUSTRE_MGS_HOST": "xena0", "LUSTRE_MGS_NET": "o2ib",
                                 "LUSTRE_LDAP_URL": "ldap://xena0/", "LUSTRE_DB_DAEMON_HOST": "xena0",
                                 "LUSTRE_DB_DAEMON_PORT": "8080", "LUSTRE_DEBUG": "yes"}
    assert cfg(out, "xena12") == cfg(out, "xena0")
    proc = subprocess.run(["bash", "-n", str(out / "xena0/etc/lustre/lustre.cfg")], capture_output=True)
    assert proc.returncode == 0


def test_sudoers_fragment_for_the_ldap_user(out):
    path = out / "xena0/etc/sudoers.d/lustre"
    assert oct(path.stat().st_mode & 0o777) == "0o440"
    rules = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    assert all(r.startswith("ldap ALL=(root) NOPASSWD: /usr/sbin/") for r in rules)
    assert rules[-1].endswith("lustre_util tune_servers, /usr/sbin/lustre_util tune_servers *")
    if shutil.which("visudo"):
        proc = subprocess.run(["visudo", "-c", "-f", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sudoers_elsewhere_for_old_sudo(tmp_path):
    ex = Example(tmp_path)
    ex.edit_site(lambda s: s["lustre"].update(sudoers="/etc/sudoers.lustre"))
    build(ex.site, tmp_path / "out")
    assert (tmp_path / "out/xena0/etc/sudoers.lustre").is_file()
    assert not (tmp_path / "out/xena0/etc/sudoers.d").exists()


# ---------------------------------------------------------------- 7.1: with a management pair

def add_lustre(ex):
    """bas5-guide + a Lustre cell ns1/ns2 and a file system (MDT on ns1, OST on ns2)."""
    def rows(t):
        ids = {r["name"]: r["id"] for r in t["node"]}
        t["da_iocell"].append({"id": 2, "name": "ns_io", "type": "lustre", "quorum_device": "/dev/sdq1"})
        t["da_iocell_component"] += [{"iocell_id": 2, "node_id": ids[n], "disk_array_id": None} for n in ("ns1", "ns2")]
        t["lustre_io_node"] = [{"node_id": ids[a], "ha_node_id": ids[b], "cluster_id": 1, "net_status": None,
                                "storage_status": None, "lustre_status": "OK"} for a, b in (("ns1", "ns2"), ("ns2", "ns1"))]
        t["lustre_fs"] = [{"fs_name": "fs1", "mount_path": "/fs1", "failover": "yes"}]
        t["lustre_mdt"] = [{"mdt_name": "fs1_mdt", "fs_name": "fs1", "mds_node_name": "ns1", "mds_ha_node": "ns2",
                            "mdt_dev": "/dev/sdc"}]
        t["lustre_ost"] = [{"ost_name": "fs1_ost0", "fs_name": "fs1", "oss_node_name": "ns2", "oss_ha_node": "ns1",
                            "ost_dev": "/dev/sdd"}]
    return ex.edit_rows(rows)


def ha(out, name):
    return [ln for ln in (out / "ns0/etc/HA" / name).read_text().splitlines() if ln and not ln.startswith("#")]


def test_the_management_pair_takes_lustre_into_its_links_and_services(tmp_path):
    plain = tmp_path / "plain"
    build(EXAMPLES / "bas5-guide/site.yaml", plain)
    ex = add_lustre(Example(tmp_path, "bas5-guide"))
    out = tmp_path / "out"
    build(ex.site, out)
    start, stop = ha(out, "start"), ha(out, "stop")
    assert start[start.index("/etc/init.d/ldap") + 1] == "/etc/init.d/lustredbd.sh"
    assert stop[stop.index("/etc/init.d/lustredbd.sh") + 1] == "/etc/init.d/ldap"
    # 7.1.1: the MGS lives on the pair (LUSTRE_MGS_HOST ns0, ns13): the HA scripts start it before LDAP
    assert start[start.index("/etc/init.d/ldap") - 1] == "/etc/init.d/mgs"
    assert stop[stop.index("/etc/init.d/ldap") + 1] == "/etc/init.d/mgs"
    assert [ln for ln in start if ln not in ("/etc/init.d/lustredbd.sh", "/etc/init.d/mgs")] == ha(plain, "start")
    # /var/lib/ldap is linked already (it holds /var/lib/ldap/lustre): only /etc/lustre is added
    assert ha(out, "links") == ha(plain, "links") + ["/etc/lustre"]
    c = cfg(out, "ns0")
    assert c["LUSTRE_LDAP_URL"] == "ldap://ns/" and c["LUSTRE_DB_DAEMON_HOST"] == "ns"        # the pair's alias
    assert (c["LUSTRE_MGS_HOST"], c["LUSTRE_MGS_FAILOVER_HOST"]) == ("ns0", "ns13")         # never the alias
    assert cfg(out, "ns13") == c == cfg(out, "ns1")
    for host in ("ns0", "ns13"):
        assert (out / host / "etc/lustre/models/fs1.lmf").is_file()
        assert (out / host / "etc/sudoers.d/lustre").is_file()
    assert (out / "ns1/etc/cluster/cluster.conf").read_bytes() == (out / "ns2/etc/cluster/cluster.conf").read_bytes()
    assert (out / "ns0/etc/cluster/cluster.conf").read_bytes() == (plain / "ns0/etc/cluster/cluster.conf").read_bytes()


def test_without_ldap_in_the_start_list_both_follow_postgresql(tmp_path):
    ex = add_lustre(Example(tmp_path, "bas5-guide"))
    ex.edit_site(lambda s: s["management"].update(services=[x for x in s["management"]["services"]
                                                            if x != "/etc/init.d/ldap"]))
    ex.edit_site(lambda s: s["management"].update(links=[x for x in s["management"]["links"] if x != "/var/lib/ldap"]))
    build(ex.site, tmp_path / "out")
    start = ha(tmp_path / "out", "start")
    at = start.index("/etc/init.d/postgresql")
    assert start[at + 1:at + 4] == ["/etc/init.d/mgs", "/etc/init.d/ldap", "/etc/init.d/lustredbd.sh"]
    assert ha(tmp_path / "out", "links")[-2:] == ["/etc/lustre", "/var/lib/ldap/lustre"]


def test_the_mgs_service_is_a_site_choice(tmp_path):
    ex = add_lustre(Example(tmp_path, "bas5-guide"))
    ex.edit_site(lambda s: s.update(lustre={"mgs_service": "/etc/init.d/lustre_mgs"}))
    build(ex.site, tmp_path / "out")
    start = ha(tmp_path / "out", "start")
    assert start.index("/etc/init.d/lustre_mgs") + 1 == start.index("/etc/init.d/ldap")


def test_lustre_links_off_shared_storage_are_warned_about(tmp_path):
    ex = add_lustre(Example(tmp_path, "bas5-guide"))
    ex.edit_site(lambda s: s["management"].update(
        mnttab=[m for m in s["management"]["mnttab"] if m["mount_point"] != "/etcha"],
        links=[x for x in s["management"]["links"] if not x.startswith("/etc/")]))
    found = [r for r in ex.reports() if r.code == "HA316" and "/etc/lustre" in r.message]
    assert found and found[0].where.key == "management.links"


def test_mgs_hosts_of_the_pair_must_be_two(tmp_path):
    ex = add_lustre(Example(tmp_path, "bas5-guide"))
    ex.edit_site(lambda s: s.update(lustre={"mgs_hosts": ["ns0"]}))
    ex.assert_reports("HA617", "lustre.mgs_hosts")
    ex.edit_site(lambda s: s.update(lustre={"mgs_hosts": ["ns", "ns13"]}))
    r = ex.assert_reports("HA617", "lustre.mgs_hosts[0]")
    assert "alias" in r[0].message


@pytest.mark.skipif(shutil.which("visudo") is None, reason="visudo is not installed (apt-get install sudo)")
def test_the_guides_sudoers_text_is_what_visudo_rejects(tmp_path):
    # 6.3.3 step 4 as printed: `dap` for `ldap`, and the last rule split after `tune_servers ,`
    guide = tmp_path / "guide"
    guide.write_text("ldap ALL=(root)NOPASSWD:/usr/sbin/lustre_ldap *\n"
                     "ldap ALL=(root)NOPASSWD:/usr/sbin/lustre_util tune_servers ,\n"
                     "/usr/sbin/lustre_util tune_servers *\n")
    guide.chmod(0o440)
    assert subprocess.run(["visudo", "-c", "-f", str(guide)], capture_output=True).returncode != 0


def test_rhel5_sudoers_rules_are_a_managed_block_of_etc_sudoers(tmp_path):
    # CLARIFICATIONS 21: sudo older than 1.7.2 reads no sudoers.d
    import subprocess

    ex = add_lustre(Example(tmp_path, "bas5-guide"))
    ex.edit_site(lambda s: (s.update(lustre={"sudoers": "/etc/sudoers"}), s["shared_files"].append("/etc/sudoers")))
    build(ex.site, tmp_path / "out")
    path = tmp_path / "out/ns0/etc/sudoers"
    text = path.read_text()
    assert text.startswith("# BEGIN hagen lustre-ldap\n") and text.endswith("# END hagen lustre-ldap\n")
    assert "ldap ALL=(root) NOPASSWD: /usr/sbin/lustre_ost_dba *" in text
    assert path.stat().st_mode & 0o777 == 0o440
    proc = subprocess.run(["visudo", "-c", "-f", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
