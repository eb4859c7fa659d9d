"""The NFS artifacts (guide chapters 8-9) of examples/xena and of variants: the cell's
cluster.conf (nfs_service with its aliases, file systems and hanfs, a quorum disk),
/etc/exports, haionfs.conf, the clients' fstab entries, and the aliases for /etc/hosts."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from lxml import etree

from conftest import EXAMPLES, SHARED
from hagen.load.snapshot import read_snapshot
from hagen.model.build import build_model
from hagen.model.nfs import alias_hosts
from hagen.compile.pipeline import build
from hagen.kinds.cman import validate_cluster_conf
from example_helpers import Example, find

SITE = EXAMPLES / "xena" / "site.yaml"
CLIENTS = [f"xena{i}" for i in range(20, 28)] + ["xena30"]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("nfs") / "out"
    build(SITE, out)
    return out


def conf(out, host="xena11"):
    return etree.fromstring((out / host / "etc/cluster/cluster.conf").read_bytes())


def lines(path):
    return [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


def test_both_nodes_hold_one_cluster_conf_with_nfs_service_and_a_quorum_disk(out):
    a, b = out / "xena11/etc/cluster/cluster.conf", out / "xena13/etc/cluster/cluster.conf"
    assert a.read_bytes() == b.read_bytes() and validate_cluster_conf(a.read_bytes()) == []
    root = conf(out)
    assert root.get("name") == "xena_nfs"
    assert root.find("quorumd").get("device") == "/dev/ldn.da0.0"
    assert root.find("cman").attrib == {"two_node": "0", "expected_votes": "3"}
    (svc,) = root.iter("service")
    assert svc.get("name") == "nfs_service" and svc.get("autostart") == "0"
    (dom,) = root.iter("failoverdomain")
    assert dom.get("name") == svc.get("domain") and dom.get("ordered") == "1"
    assert [(m.get("name"), m.get("priority")) for m in dom] == [("xena11", "1"), ("xena13", "2")]


def test_the_service_holds_the_aliases_the_file_systems_and_hanfs(out):
    (svc,) = conf(out).iter("service")
    # 9.4 note: each alias takes the prefix of its interface's own address
    assert [ip.get("address") for ip in svc.iter("ip")] == ["10.1.1.76/16", "192.168.118.135/24", "10.10.1.76/16"]
    assert [(f.get("device"), f.get("mountpoint"), f.get("fstype")) for f in svc.iter("fs")] == [
        ("/dev/ldn.da0.1", "/mount_point1", "xfs"), ("/dev/ldn.da0.2", "/home_nfs", "ext3")]
    assert [s.get("file") for s in svc.iter("script")] == ["/usr/sbin/hanfs"]


def test_a_backbone_heartbeat_names_the_nodes_by_their_backbone_host_names(tmp_path):
    ex = Example(tmp_path)
    ex.edit_site(lambda s: s["nfs"].update(heartbeat="backbone"))
    build(ex.site, tmp_path / "out")
    root = conf(tmp_path / "out")
    assert [n.get("name") for n in root.iter("clusternode")] == ["xena11-bk", "xena13-bk"]
    assert [m.get("name") for m in root.iter("failoverdomainnode")] == ["xena11-bk", "xena13-bk"]
    assert validate_cluster_conf((tmp_path / "out/xena11/etc/cluster/cluster.conf").read_bytes()) == []
    if (SHARED / "oracles").exists() and shutil.which("xmllint"):
        for schema in ("cluster-rhel5.ng", "cluster-rhel6.rng"):
            proc = subprocess.run(["xmllint", "--noout", "--relaxng", str(SHARED / "oracles" / schema),
                                   str(tmp_path / "out/xena11/etc/cluster/cluster.conf")], capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr


EXPORT = re.compile(r"^/\S*(\s+[^\s()]*\([A-Za-z0-9_=,:/.-]+\))+\s*$")    # exports(5), as check-tree reads it


def test_exports_on_both_nodes_with_unique_fsids(out):
    assert (out / "xena11/etc/exports").read_bytes() == (out / "xena13/etc/exports").read_bytes()
    got = lines(out / "xena11/etc/exports")
    assert got == ["/mount_point1 *(rw,no_root_squash,sync,fsid=7)", "/home_nfs *(rw,root_squash,sync,fsid=8)"]
    assert all(EXPORT.match(ln) for ln in got)
    assert not (out / "xena0/etc/exports").exists()


def test_haionfs_conf_on_the_management_node(out):
    assert lines(out / "xena0/etc/storageadmin/haionfs.conf") == [
        "/dev/ldn.da0.1 /mount_point1 xfs", "/dev/ldn.da0.2 /home_nfs ext3"]
    assert sorted(p.parts[-4] for p in out.glob("*/etc/storageadmin/haionfs.conf")) == ["xena0"]


def test_clients_mount_through_the_admin_alias(out):
    path = "etc/fstab"                  # the example shares /etc/fstab: hagen's block in it
    assert sorted(p.relative_to(out).parts[0] for p in out.glob(f"*/{path}")) == sorted(CLIENTS)
    assert (out / "xena20" / path).read_text().startswith("# BEGIN hagen nfs-clients\n")
    assert lines(out / "xena20" / path) == ["xenanfs:/mount_point1 /mount_point1 nfs defaults 0 0",
                                            "xenanfs:/home_nfs /home_nfs nfs defaults 0 0"]


def test_clients_may_mount_some_exports_into_etc_fstab(tmp_path):
    ex = Example(tmp_path)
    ex.edit_site(lambda s: s["nfs"].update(client_fstab="/etc/fstab", clients=[
        {"nodes": ["xena[20-21]"], "mounts": ["/home_nfs"], "options": "rw,hard,intr"}]))
    build(ex.site, tmp_path / "out")
    assert lines(tmp_path / "out/xena21/etc/fstab") == ["xenanfs:/home_nfs /home_nfs nfs rw,hard,intr 0 0"]
    assert not (tmp_path / "out/xena22/etc/fstab").exists()


def test_two_nfs_cells_each_with_its_exports(tmp_path):
    ex = Example(tmp_path)

    def second_cell(t):
        ids = {r["name"]: r["id"] for r in t["node"]}
        admin = next(r["id"] for r in t["network"] if r["name"] == "admin")
        for n in ("xena26", "xena27"):
            next(r for r in t["node_ftype"] if r["node_id"] == ids[n])["ftype_id"] = \
                next(r["id"] for r in t["ftype"] if r["label"] == "nfs")
        t["lustre_mount"] = [r for r in t["lustre_mount"] if r["mnt_node_name"] not in ("xena26", "xena27")]
        t["da_iocell"].append({"id": 9, "name": "xena_nfs2", "type": "nfs", "quorum_device": "/dev/ldn.da9.0"})
        t["da_iocell_component"] += [{"iocell_id": 9, "node_id": ids[n], "disk_array_id": None}
                                     for n in ("xena26", "xena27")]
        t["metaservice_port"].append({"id": 9, "name": "xenanfs2", "type": "alias", "network_id": admin,
                                      "ipaddr": "10.1.1.77", "iocell_id": 9})
    ex.edit_rows(second_cell)
    ex.edit_site(lambda s: (s["nfs"]["exports"][0].update(cell="xena_nfs"),
                            s["nfs"]["exports"][1].update(cell="xena_nfs2"),
                            s["nfs"].update(clients=[{"nodes": ["xena[20-25]"]}])))
    out = tmp_path / "out"
    build(ex.site, out)
    assert lines(out / "xena11/etc/exports") == ["/mount_point1 *(rw,no_root_squash,sync,fsid=7)"]
    assert lines(out / "xena27/etc/exports") == ["/home_nfs *(rw,root_squash,sync,fsid=8)"]
    assert lines(out / "xena20/etc/fstab") == ["xenanfs:/mount_point1 /mount_point1 nfs defaults 0 0",
                                                             "xenanfs2:/home_nfs /home_nfs nfs defaults 0 0"]
    assert len(lines(out / "xena0/etc/storageadmin/haionfs.conf")) == 2
    assert conf(out, "xena26").get("name") == "xena_nfs2"


def test_the_aliases_are_there_for_etc_hosts(out):
    model, _ = build_model(read_snapshot(EXAMPLES / "xena/clusterdb.yaml"))
    assert alias_hosts(model) == [("10.1.1.76", "xenanfs"), ("192.168.118.135", "xenanfs_BK"),
                                  ("10.10.1.76", "xenanfs_ic0")]
    hosts = out / "xena20/etc/hosts"
    if hosts.exists():                                   # /etc/hosts comes from hagen.plan.hosts
        text = hosts.read_text()
        assert all(re.search(rf"^{re.escape(a)}\s+{n}\b", text, re.M) for a, n in alias_hosts(model))


def test_the_primary_is_the_first_name_in_plain_string_order(tmp_path):
    # CLARIFICATIONS 8: xena10 comes before xena9 as Bull's tools sort; node lists stay natural
    ex = Example(tmp_path)
    ex.edit_rows(lambda t: find(t, "node", name="xena13").update(name="xena9"))
    ex.edit_rows(lambda t: find(t, "node", name="xena11").update(name="xena100"))
    build(ex.site, tmp_path / "out")
    root = conf(tmp_path / "out", "xena9")
    assert [n.get("name") for n in root.iter("clusternode")] == ["xena9", "xena100"]
    assert [m.get("name") for m in root.iter("failoverdomainnode")] == ["xena100", "xena9"]
