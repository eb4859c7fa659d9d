"""hagen gather against simulated nodes (tests/deploy_helpers.py): the managed files come
back as <host>/<path> with their modes, the nodes' state is recorded, nothing else is
fetched, no link found on a node is followed."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from cli_runner import cli
from conftest import EXAMPLES
from deploy_helpers import Nodes, prepare
from hagen.deploy.expected import missing_expected

CONF = "/etc/cluster/cluster.conf"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("pdcp"), EXAMPLES / "bas5-guide")


@pytest.fixture(scope="module")
def clush_base(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("clush"), EXAMPLES / "bas5-guide", tool="clush")


@pytest.fixture(scope="module")
def pushed_base(base, tmp_path_factory):
    """Nodes that received the whole build, once for the module."""
    work = tmp_path_factory.mktemp("pushed") / "w"
    with pytest.MonkeyPatch.context() as mp:
        n = Nodes(base, work, mp)
        assert cli("gather", "--site", n.site, "--out", n.out, "--into", work / "first").code == 0
        assert cli("push", "--site", n.site, "--out", n.out, "--yes").code == 0
    n.log.unlink()
    return work


@pytest.fixture
def pushed(pushed_base, tmp_path, monkeypatch):
    return Nodes(pushed_base, tmp_path / "w", monkeypatch)


def gather(n, *args):
    return cli("gather", "--site", n.site, "--out", n.out, "--into", n.work / "gathered", *args)


def record(n) -> dict:
    return json.loads((n.work / ".out.d/nodes.json").read_text())["nodes"]


def test_gather_fetches_every_managed_file_with_its_mode_and_records_it(pushed):
    (pushed.root / "ns0/etc/passwd").write_text("not managed\n")
    r = gather(pushed)
    assert r.code == 0, r.stderr
    got = pushed.work / "gathered"
    out = pushed.out.resolve()
    marks = json.loads((got / ".hagen/gathered.json").read_text())["hosts"]
    assert stat.S_IMODE(got.stat().st_mode) == 0o700 and stat.S_IMODE((got / "ns0/etc").stat().st_mode) == 0o700
    for path in out.rglob("*"):
        rel = path.relative_to(out)
        if path.is_file() and rel.parts[0] != ".hagen":
            assert (got / rel).read_bytes() == path.read_bytes(), rel
            # 0600 in the gathered tree whatever the node's mode; the node's mode is recorded beside it
            assert stat.S_IMODE((got / rel).stat().st_mode) == 0o600, rel
            host, on_node = rel.parts[0], "/" + "/".join(rel.parts[1:])
            assert marks[host][on_node] == f"{stat.S_IMODE(path.stat().st_mode):04o}", rel
    assert not (got / "ns0/etc/passwd").exists()                   # nothing else is fetched
    assert [p.name for p in got.iterdir() if p.name.startswith(".")] == [".hagen"]  # no staging left behind
    assert all("passwd" not in c for c in pushed.calls())
    nodes = record(pushed)
    assert nodes["ns0"]["gathered"] is True and nodes["ns13"]["files"][CONF]["config_version"] == 1
    assert nodes["ns13"]["files"][CONF]["mode"] == "0600"
    fetches = [c for c in pushed.calls() if "/rpdcp " in f"/{c}" or c.startswith("rpdcp")]
    assert fetches and all(" -p -w " in c for c in fetches)
    r = cli("push", "--site", pushed.site, "--out", pushed.out, "--yes")        # the nodes hold the build
    assert r.code == 0 and "nothing to send" in r.stdout


def test_missing_files_and_expected_commands(pushed):
    pushed.node_file("ns13", "/etc/ntp.conf").unlink()
    for path in ("/etc/HA/bin/dbmConfig", "/etc/HA/bin/hacisco", "/etc/init.d/postgresql"):
        for host in ("ns0", "ns13"):
            target = pushed.node_file(host, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("#!/bin/sh\n")
            target.chmod(0o755)
    pushed.node_file("ns13", "/etc/HA/bin/hacisco").chmod(0o644)       # there, not executable
    r = gather(pushed)
    assert r.code == 0, r.stderr
    assert "missing on the nodes: /etc/ntp.conf on ns13" in r.stdout
    assert "host ns13: warning HA945: /etc/HA/bin/hacisco is called by /etc/HA/start" in r.stderr
    assert "host ns[0,13]: warning HA945: /etc/HA/bin/hafda" in r.stderr
    warned = " ".join(ln for ln in r.stderr.splitlines() if "HA945" in ln)
    assert "dbmConfig" not in warned and "/etc/HA/bin/haip" not in warned      # present, or hagen's own
    assert record(pushed)["ns13"]["files"]["/etc/ntp.conf"] == {"missing": True}
    missing = missing_expected(pushed.out)
    assert ("ns13", "/etc/HA/bin/hacisco") in missing and ("ns[0,13]", "/etc/HA/bin/hafda") in missing
    assert all(path != "/etc/HA/bin/dbmConfig" for _, path in missing)
    r = cli("diff", "--site", pushed.site, "--against", pushed.work / "gathered", "--out", pushed.out)
    assert r.code in (0, 1) and "host ns13: warning HA945: /etc/HA/bin/hacisco" in r.stderr   # warns, no exit 2
    r = cli("push", "--site", pushed.site, "--out", pushed.out, "--yes", "-w", "ns13")
    assert r.code == 0 and pushed.node_file("ns13", "/etc/ntp.conf").exists()   # only what was missing


def test_an_unreachable_node_is_reported_and_the_others_gathered(pushed):
    pushed.behave(down=["ns3", "ns4"])
    r = gather(pushed)
    assert r.code == 3
    assert "unreachable: ns3: ssh: connect to host ns3 port 22: Connection refused" in r.stderr
    assert (pushed.work / "gathered/ns5/etc/hosts").exists() and not (pushed.work / "gathered/ns3").exists()
    assert record(pushed)["ns3"].get("into") != str(pushed.work / "gathered")     # not recorded as gathered now


def test_gather_restricted_and_with_clush(clush_base, tmp_path, monkeypatch):
    n = Nodes(clush_base, tmp_path / "w", monkeypatch)
    for host in ("ns0", "ns13"):        # the nodes hold the build (a push's work, not this test's subject)
        shutil.copytree(n.out.resolve() / host, n.root / host, symlinks=True, dirs_exist_ok=True)
    r = gather(n, "-w", "ns[0-13]", "-x", "ns[1-12]")
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in (n.work / "gathered").iterdir()) == [".hagen", "ns0", "ns13"]
    fetches = [c for c in n.calls() if "--rcopy" in c]
    assert fetches and all(c.endswith(" -p") and "--dest" in c for c in fetches)
    assert stat.S_IMODE((n.work / "gathered/ns0/etc/cluster/cluster.conf").stat().st_mode) == 0o600


def test_gather_never_follows_a_link_found_on_a_node_nor_writes_outside_its_folder(pushed):
    secret = pushed.work / "secret"
    secret.write_text("root:hash\n")
    hosts = pushed.node_file("ns0", "/etc/hosts")
    hosts.unlink()
    hosts.symlink_to(secret)                            # the node holds a link where hagen wrote a file
    outside = pushed.work / "outside"
    outside.mkdir()
    assert gather(pushed, "-w", "ns12").code == 0        # the folder is gather's own
    os.symlink(outside, pushed.work / "gathered/ns13")  # a link planted where a host's folder goes
    r = gather(pushed)
    assert r.code == 0, r.stderr
    assert "HA946" in r.stderr and "/etc/hosts" in r.stderr
    got = pushed.work / "gathered/ns0/etc/hosts"
    assert not os.path.lexists(got)
    assert record(pushed)["ns0"]["files"]["/etc/hosts"] == {"unusable": "not a plain file on the node (a symbolic link)"}
    assert list(outside.iterdir()) == []
    assert not (pushed.work / "gathered/ns13").is_symlink() and (pushed.work / "gathered/ns13/etc/hosts").exists()


def test_config_version_comes_from_the_nodes(pushed):
    conf = pushed.node_file("ns0", CONF)
    text = conf.read_text().replace('config_version="1"', 'config_version="7"').replace("</cluster>", "<!---->\n</cluster>")
    for host in ("ns0", "ns13"):
        pushed.node_file(host, CONF).write_text(text)
    assert gather(pushed).code == 0
    assert cli("build", "--site", pushed.site, "--out", pushed.out).code == 0
    assert 'config_version="8"' in (pushed.out / "ns13" / CONF.lstrip("/")).read_text()


def test_gather_without_a_build_says_so(tmp_path, base):
    r = cli("gather", "--site", base / "example/site.yaml", "--out", tmp_path / "none", "--into", tmp_path / "g")
    assert r.code == 3 and "hagen build" in r.stderr


def test_a_host_no_longer_built_leaves_the_record_with_the_folder_gather_made(pushed):
    from hagen.emit import OutputTree

    assert gather(pushed).code == 0
    got = pushed.work / "gathered"
    (got / "ns99").mkdir()                                  # not gather's: never removed
    tree = OutputTree(pushed.out)
    with tree.lock():                                       # the build no longer makes ns5 and ns6
        tree.commit([f for f in tree.carried(set()) if f.host not in ("ns5", "ns6")])
    assert (got / "ns5").is_dir() and "ns5" in record(pushed)
    r = gather(pushed, "-w", "ns0")                         # whatever -w chooses
    assert r.code == 0, r.stderr
    assert "no longer built, forgotten (record and gathered folder): ns[5-6]" in r.stdout
    assert not os.path.lexists(got / "ns5") and not os.path.lexists(got / "ns6")
    assert {"ns5", "ns6"}.isdisjoint(record(pushed)) and "ns13" in record(pushed)
    assert (got / "ns99").is_dir() and (got / "ns13/etc").is_dir()
    assert "no longer built" not in gather(pushed, "-w", "ns0").stdout          # said once


def test_gather_makes_one_inventory_per_node_set_and_one_reverse_copy_per_path(pushed):
    """Never one call per node: the paths a build manages, fetched once each from every
    host that has them; links and expected commands read by the inventory."""
    r = gather(pushed)
    assert r.code == 0, r.stderr
    doc = json.loads((pushed.out / ".hagen/manifest.json").read_text())
    files = {e["path"] for e in doc["files"] if e.get("type") != "symlink"}
    calls = pushed.calls()
    fetches = [c for c in calls if c.startswith("rpdcp")]
    assert sorted(c.split()[-2] for c in fetches) == sorted(files)
    inventories = [c for c in calls if "hagen-inv" in c]
    assert len(inventories) + len(fetches) == len(calls)
    per_host: dict = {}
    for e in doc["files"]:
        from ClusterShell.NodeSet import NodeSet

        for host in NodeSet(e["hosts"]):
            per_host.setdefault(host, set()).add(e["path"])
    assert len(inventories) <= len({frozenset(p) for p in per_host.values()}) * 2      # with or without commands


def test_a_node_lost_half_way_is_only_unreachable(pushed):
    """ns13 answers the inventory, then gives nothing back: unreachable, not "missing"."""
    pushed.node_file("ns13", "/etc/ntp.conf").unlink()
    pushed.behave(lost=["ns13"])
    before = record(pushed)["ns13"]
    r = gather(pushed)
    assert r.code == 3, r.stdout + r.stderr
    assert "unreachable: ns13: " in r.stderr and "brought nothing back" in r.stderr
    assert "ns13" not in r.stdout.replace("unreachable", "")
    assert record(pushed)["ns13"] == before                # nothing of this gather recorded for it
