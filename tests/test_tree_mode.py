"""deploy.tool: clush with deploy.topology: push and gather through ClusterShell gateways
(tests/tree_helpers.py: sshd on 127.0.0.1 as the gateways, the real clush, simulated nodes
behind them). Plus what needs no gateway: the topology's checks, clush's failure lines, and
the archive a node sends back to gather."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from cli_runner import cli
from conftest import EXAMPLES
from deploy_helpers import without_shared_files
from hagen.deploy import tree as treemode
from tree_helpers import Tree, missing_reason

NODES = [f"ns{i}" for i in range(14)]
CONF = "/etc/cluster/cluster.conf"
needs_gateway = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))


def _build(base: Path, example: str) -> Path:
    """base/example: the example with deploy: clush through topology.conf (written by each
    test), and base/out built from it."""
    folder = base / "example"
    shutil.copytree(EXAMPLES / example, folder)
    (folder / "fence-password").chmod(0o600)
    clush = shutil.which("clush") or "clush"
    site = folder / "site.yaml"
    site.write_text(without_shared_files(site.read_text()) + f"\ndeploy:\n  tool: clush\n  command: {clush}\n  topology: topology.conf\n")
    r = cli("build", "--site", site, "--out", base / "out")
    assert r.code == 0, r.stderr
    return base


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("tree"), "bas5-guide")


class Site:
    """A per-test copy of the build, and the gateways its topology names."""

    def __init__(self, built: Path, work: Path, monkeypatch, nodes=NODES, **gateways):
        from hagen.emit import OutputTree

        subprocess.run(["cp", "-a", str(built), str(work)], check=True)
        tree = OutputTree(work / "out")
        tree.remember_inputs(tree.built_from())         # this copy is the build: intact, up to date
        self.work, self.site, self.out = work, work / "example/site.yaml", work / "out"
        self.tree = Tree(work / "gw", nodes, **gateways)
        shutil.copy(self.tree.topology, work / "example/topology.conf")
        for var, value in self.tree.env().items():
            monkeypatch.setenv(var, value)

    def push(self, *args):
        return cli("push", "--site", self.site, "--out", self.out, "--yes", *args)

    def gather(self, *args):
        return cli("gather", "--site", self.site, "--out", self.out, "--into", self.work / "gathered", *args)

    def record(self) -> dict:
        path = self.work / ".out.d/nodes.json"
        return json.loads(path.read_text())["nodes"] if path.exists() else {}


@pytest.fixture
def through(built, tmp_path, monkeypatch):
    """A function of the gateway settings giving a started Site; every sshd stopped by pid after."""
    started = []

    def make(**gateways):
        site = Site(built, tmp_path / f"w{len(started)}", monkeypatch, **gateways)
        started.append(site.tree)
        site.tree.start()
        return site
    yield make
    for tree in started:
        tree.stop()


def built_files(site: Site):
    out = site.out.resolve()
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if path.is_file() and rel.parts[0] != ".hagen":
            yield rel, path


@needs_gateway
def test_push_through_one_gateway_keeps_content_modes_and_owner_then_sends_nothing_and_prunes(through):
    site = through()
    site.tree.behave(hostnames={"ns13": "ns13-ha"})     # its own hostname is not the name in -w
    r = site.push()
    assert r.code == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].split() == ["done", "ns[0-13]"]
    assert "--topology" in r.stderr
    for rel, path in built_files(site):
        copy = site.tree.noderoot / rel
        assert copy.read_bytes() == path.read_bytes(), rel
        assert stat.S_IMODE(copy.stat().st_mode) == stat.S_IMODE(path.stat().st_mode), rel
        assert (copy.stat().st_uid, copy.stat().st_gid) == (0, 0), rel
    assert stat.S_IMODE(site.tree.node_file("ns13", CONF).stat().st_mode) == 0o600
    r = site.push()
    assert r.code == 0 and "nothing to send" in r.stdout
    # a file the build no longer makes is removed through the gateway
    site.site.write_text(site.site.read_text().replace("    modprobe: modprobe.conf", "    modprobe: modprobe.d"))
    assert cli("build", "--site", site.site, "--out", site.out).code == 0
    r = site.push("--prune")
    assert r.code == 0, r.stdout + r.stderr
    assert not os.path.lexists(site.tree.node_file("ns0", "/etc/modprobe.conf"))
    assert site.tree.node_file("ns13", "/etc/modprobe.d/bonding.conf").exists()


@needs_gateway
def test_gather_through_one_gateway_keeps_modes_and_names_each_node_as_given(through):
    site = through()
    site.tree.behave(hostnames={"ns13": "ns13-ha"})     # clush --rcopy would name its files *.ns13-ha
    for node in NODES:        # the nodes hold the build (the push test's subject, not this one's)
        shutil.copytree(site.out.resolve() / node, site.tree.noderoot / node, symlinks=True, dirs_exist_ok=True)
    r = site.gather()
    assert r.code == 0, r.stdout + r.stderr
    assert "missing" not in r.stdout and "--rcopy" not in r.stderr and "--topology" in r.stderr
    got = site.work / "gathered"
    for rel, path in built_files(site):
        assert (got / rel).read_bytes() == path.read_bytes(), rel
        host, on_host = str(rel).split("/", 1)        # the node's mode is recorded, the copy is 0600
        assert stat.S_IMODE((got / rel).stat().st_mode) == 0o600, rel
        assert int(site.record()[host]["files"]["/" + on_host]["mode"], 8) == stat.S_IMODE(path.stat().st_mode), rel
    assert not (got / "ns0/etc/passwd").exists()                 # only what was asked for
    assert site.record()["ns13"]["files"][CONF]["config_version"] == 1
    r = site.push()
    assert r.code == 0 and "nothing to send" in r.stdout


@needs_gateway
def test_a_gateway_down_fails_every_node_behind_it_and_nothing_is_recorded_as_held(through):
    site = through(gateways=(), down_gateways=("gw1",))
    r = site.push()
    assert r.code == 3
    assert "done" not in r.stdout
    assert "unreachable ns[0-13] mkdir: unreachable: gateway gw1 failed: ssh: connect to host 127.0.0.1" \
        in " ".join(r.stdout.split())
    assert not any(node.get("files") for node in site.record().values())
    r = site.gather()
    assert r.code == 3
    assert "unreachable: ns[0-13]: unreachable: gateway gw1 failed: ssh: connect to host" in r.stderr
    assert not any(node.get("gathered") for node in site.record().values())


@needs_gateway
def test_a_node_behind_the_gateway_down_is_failed_the_others_served(through):
    site = through()
    site.tree.behave(down=["ns3"])
    r = site.push("-w", "ns[1-12]")          # the compute nodes: two files each, a few calls
    assert r.code == 3
    assert "done     ns[1-2,4-12]" in r.stdout
    assert "unreachable ns3" in r.stdout and "ssh: connect to host ns3 port 22: Connection refused" in r.stdout
    assert "ns3" not in site.record() or not site.record()["ns3"].get("files")
    assert site.tree.node_file("ns4", "/etc/hosts").exists()
    r = site.gather("-w", "ns[1-12]")
    assert r.code == 3
    assert "unreachable: ns3: ssh: connect to host ns3 port 22: Connection refused" in r.stderr
    assert (site.work / "gathered/ns4/etc/hosts").exists() and not (site.work / "gathered/ns3").exists()


@needs_gateway
def test_follow_up_actions_run_through_the_gateway_and_a_node_where_one_fails_is_failed(through):
    site = through()
    for node in NODES:
        site.tree.give_command(node, "service", 'echo "$*" >> /etc/service.log\n')
    site.tree.give_command("ns4", "service", 'echo "pbs: unrecognized service" >&2; exit 1\n')
    r = site.push("-w", "ns[1-12]", "--reload")
    assert r.code == 3
    assert "done     ns[1-3,5-12]" in r.stdout
    assert "failed ns4 action: pbs: unrecognized service" in " ".join(r.stdout.split())
    assert site.tree.node_file("ns7", "/etc/service.log").read_text() == "pbs restart\n"
    assert site.record()["ns4"]["files"]["/etc/pbs.conf"]["sha256"]       # it holds the file; its action failed


@needs_gateway
def test_a_hung_node_behind_the_gateway_times_out_and_is_reported_hung(through):
    site = through()
    site.tree.behave(hung=["ns5"])          # it sleeps until clush's timeout ends it (or the test, by pid)
    site.site.write_text(site.site.read_text().replace("  topology: topology.conf\n",
                                                       "  topology: topology.conf\n  command_timeout: 15\n"))
    assert cli("build", "--site", site.site, "--out", site.out).code == 0
    r = site.push("-w", "ns[4-6]")
    assert r.code == 3
    assert "done     ns[4,6]" in r.stdout and "hung ns5 mkdir: command timeout" in " ".join(r.stdout.split())
    assert not site.record().get("ns5", {}).get("files")
    r = site.gather("-w", "ns[4-6]")
    assert r.code == 3 and "unreachable: ns5: command timeout" in r.stderr
    assert (site.work / "gathered/ns6/etc/hosts").exists()


@needs_gateway
def test_links_are_made_and_gathered_through_the_gateway(tmp_path_factory, tmp_path, monkeypatch):
    built = _build(tmp_path_factory.mktemp("xena"), "xena")
    site = Site(built, tmp_path / "w", monkeypatch, nodes=["xena1", "xena2"])
    try:
        site.tree.start()
        links = ["/usr/sbin/lustre_failover_xena1", "/usr/sbin/lustre_failover_xena2"]
        plan = tmp_path / "links.json"            # a reviewed plan of the links alone: a few calls
        plan.write_text(json.dumps({"format": "hagen-push-plan/1", "remove": [], "send": [
            {"host": host, "path": link, "type": "symlink", "target": "/usr/sbin/lustre_failover"}
            for link in links for host in ("xena1", "xena2")]}))
        r = site.push("--plan", plan)
        assert r.code == 0, r.stdout + r.stderr
        assert "ln -sfn -- /usr/sbin/lustre_failover /usr/sbin/lustre_failover_xena1" in r.stderr
        for host in ("xena1", "xena2"):
            assert os.readlink(site.tree.node_file(host, links[0])) == "/usr/sbin/lustre_failover"
        assert site.record()["xena2"]["files"][links[1]] == {"type": "symlink", "target": "/usr/sbin/lustre_failover"}
        r = site.gather("-w", "xena2")                  # read back as links (its files were not sent: missing)
        assert r.code == 0, r.stderr
        assert os.readlink(site.work / "gathered/xena2" / links[0].lstrip("/")) == "/usr/sbin/lustre_failover"
        assert site.record()["xena2"]["files"][links[0]] == {"type": "symlink", "target": "/usr/sbin/lustre_failover"}
    finally:
        site.tree.stop()


def _archive(*members) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.mode = 0o644
            if kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                tar.addfile(info)
            else:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


@needs_gateway
def test_a_hostile_node_writes_nothing_outside_and_its_answers_are_refused(through, tmp_path):
    site = through()
    for node in NODES:        # the nodes hold the build (a push's work, not this test's subject)
        shutil.copytree(site.out.resolve() / node, site.tree.noderoot / node, symlinks=True, dirs_exist_ok=True)
    # every target is under tmp_path: were the archives extracted as clush --rcopy does through a
    # gateway (it did write them, as fully trusted), this machine would still be unharmed
    escape, victim = tmp_path / "escaped", tmp_path / "victim"
    victim.write_text("untouched\n")
    site.tree.make_hostile("ns5", _archive(("../../../../../../../../.." + str(escape), "file", b"owned\n")))
    site.tree.make_hostile("ns6", _archive((str(escape), "file", b"owned\n")))
    site.tree.make_hostile("ns7", _archive(("hosts", "link", str(victim))))      # then ns8 writes through it
    site.tree.make_hostile("ns8", _archive(("hosts", "file", b"owned\n"), ("hosts.ns0", "file", b"y\n")))
    r = site.gather("-w", "ns[4-8]")
    assert r.code == 0, r.stderr
    assert not os.path.lexists(escape) and victim.read_text() == "untouched\n"
    warned = [ln for ln in r.stderr.splitlines() if "HA992" in ln]
    assert any("ns5" in ln and "/etc/hosts" in ln and "../" in ln for ln in warned)
    assert any("ns7" in ln and "/etc/hosts" in ln and "not a regular file" in ln for ln in warned)
    assert any("ns8" in ln and "/etc/hosts" in ln and "exactly one entry" in ln for ln in warned)
    got = site.work / "gathered"
    for node in ("ns5", "ns6", "ns7", "ns8"):
        assert not os.path.lexists(got / node / "etc/hosts"), node
        assert site.record()[node]["files"]["/etc/hosts"] == {"missing": True}
    assert (got / "ns4/etc/hosts").read_bytes() == (site.out / "ns4/etc/hosts").read_bytes()
    assert all(not p.is_symlink() for p in got.rglob("*"))


@needs_gateway
def test_two_gateways_one_down_every_node_served_through_the_other(through):
    site = through(gateways=("gw1",), down_gateways=("gw2",))
    r = site.push("-w", "ns[1-12]")
    assert r.code == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].split() == ["done", "ns[1-12]"]
    assert site.tree.node_file("ns9", "/etc/hosts").read_bytes() == (site.out / "ns9/etc/hosts").read_bytes()


@needs_gateway
def test_two_levels_of_gateways(through):
    site = through(gateways=("gw1", "gw2"), routes=["ADMIN: gw1", "gw1: gw2", "gw2: ns[0-13]"])
    site.tree.behave(down=["ns1"])
    r = site.push("-w", "ns[1-12]")
    assert r.code == 3
    assert "done     ns[2-12]" in r.stdout and "unreachable ns1" in r.stdout
    r = site.gather("-w", "ns[2-12]")
    assert r.code == 0, r.stderr
    assert (site.work / "gathered/ns12/etc/pbs.conf").read_bytes() == (site.out / "ns12/etc/pbs.conf").read_bytes()


# -- without a gateway ------------------------------------------------------------------

def test_the_archive_a_node_sends_must_be_the_one_plain_file_asked_for(tmp_path):
    def read(archive: bytes):
        spool = tmp_path / "spool"
        spool.write_bytes(archive)
        with open(spool, "rb") as f:
            return treemode._read(f, "/etc/hosts")

    ok = read(_archive(("hosts", "file", b"127.0.0.1 localhost\n")))
    assert (ok.kind, ok.data, ok.mode) == ("file", b"127.0.0.1 localhost\n", 0o644)
    assert "holds '../hosts'" in read(_archive(("../hosts", "file", b"x"))).why
    assert "holds '/etc/hosts'" in read(_archive(("/etc/hosts", "file", b"x"))).why
    assert "not a regular file" in read(_archive(("hosts", "link", str(tmp_path / "victim")))).why
    assert "exactly one entry" in read(_archive(("hosts", "file", b"x"), ("../x", "file", b"y"))).why
    assert "cannot be read" in read(b"not a tar at all" * 64).why
    assert {read(a).kind for a in (b"", _archive())} == {"refused"}


def test_clush_failure_lines_name_the_nodes_and_the_gateway():
    hosts = {"ns0", "ns1", "ns2", "ns3"}
    exit0 = "ns2: ssh: connect to host ns2 port 22: Connection refused\nclush: ns2: exited with exit code 255\n" \
            "clush: 4/4\n"
    assert treemode.failures(exit0, hosts) == {"ns2": "ssh: connect to host ns2 port 22: Connection refused"}
    gateway = ("gw9: ssh: connect to host 127.0.0.1 port 4: Connection refused\n"
               "clush: rerouting commands for ns[0-3] due to the failure of gateway gw9\n"
               "clush: TREE MODE: No route available to ns0\n")
    failed = treemode.failures(gateway, hosts)
    assert sorted(failed) == ["ns0", "ns1", "ns2", "ns3"]
    assert failed["ns3"] == "unreachable: gateway gw9 failed: ssh: connect to host 127.0.0.1 port 4: Connection refused"
    rerouted = "clush: rerouting commands for ns[0-3] due to the failure of gateway gw9\n"
    assert treemode.failures(rerouted, hosts) == {}         # another gateway served them


def test_topology_needs_clush_and_a_topology_clustershell_reads(tmp_path):
    site = tmp_path / "site.yaml"
    text = (EXAMPLES / "bas5-guide/site.yaml").read_text()
    shutil.copy(EXAMPLES / "bas5-guide/fence-password", tmp_path / "fence-password")
    for f in EXAMPLES.joinpath("bas5-guide").iterdir():
        if f.name != "site.yaml" and not (tmp_path / f.name).exists():
            (shutil.copytree if f.is_dir() else shutil.copy)(f, tmp_path / f.name)
    site.write_text(text + "\ndeploy:\n  tool: pdcp\n  topology: topology.conf\n")
    r = cli("gather", "--site", site, "--out", tmp_path / "out", "--into", tmp_path / "g")
    assert r.code == 2 and "HA990" in r.stderr and "deploy.topology" in r.stderr
    site.write_text(text + "\ndeploy:\n  tool: clush\n  topology: topology.conf\n")
    r = cli("push", "--site", site, "--out", tmp_path / "out", "--yes")
    assert r.code == 2 and "HA991" in r.stderr and "No such file" in r.stderr
    (tmp_path / "topology.conf").write_text("[routes]\nnot-this-node: gw1\ngw1: ns[0-13]\n")
    r = cli("gather", "--site", site, "--out", tmp_path / "out", "--into", tmp_path / "g")
    assert r.code == 2 and "HA991" in r.stderr and "not a valid root node" in r.stderr
    assert not (tmp_path / "g").exists()


def test_gather_knows_clush_goes_through_gateways_by_itself_with_a_default_topology(tmp_path, monkeypatch):
    from ClusterShell.Defaults import config_paths

    monkeypatch.setenv("CLUSTERSHELL_CFGDIR", str(tmp_path))
    if any(os.path.isfile(p) for p in config_paths("topology.conf")):
        pytest.skip("this machine has a ClusterShell topology.conf of its own")
    assert not treemode.through_gateways({"tool": "clush", "topology": None})
    (tmp_path / "topology.conf").write_text("[routes]\nadmin: gw1\ngw1: ns[0-13]\n")
    assert treemode.through_gateways({"tool": "clush", "topology": None})       # clush's auto_tree
    assert not treemode.through_gateways({"tool": "pdcp", "topology": None})


def test_fetch_reads_each_nodes_answer_by_the_name_given_in_w(tmp_path, monkeypatch):
    import base64
    import sys

    good = base64.b64encode(_archive(("hosts", "file", b"127.0.0.1 localhost\n"))).decode()
    big = base64.b64encode(_archive(("hosts", "file", b"x" * 40960))).decode()
    lines = [f"ns0: hagen-gather-tar {good}", "ns0: hagen-gather end", "ns1: hagen-gather missing",
             "ns2: hagen-gather odd", "ns4: hagen-gather-tar !!not-base64", "ns4: hagen-gather end",
             f"ns5: hagen-gather-tar {big}", "ns5: hagen-gather end", "ns9: hagen-gather missing",
             "ns0-other: hagen-gather odd"]
    tool = tmp_path / "tool.py"
    tool.write_text("import sys\nprint(" + repr("\n".join(lines)) + ")\n"
                    "sys.stderr.write('ns3: ssh: connect to host ns3 port 22: Connection refused\\n"
                    "clush: ns3: exited with exit code 255\\n')\n")
    monkeypatch.setattr(treemode, "ARCHIVE_LIMIT", 20480)      # a tar is at least 10 KiB
    got = treemode.fetch([sys.executable, str(tool)], ["ns0", "ns1", "ns2", "ns3", "ns4", "ns5"], "/etc/hosts",
                         str(tmp_path))
    assert (got["ns0"].kind, got["ns0"].data, got["ns0"].mode) == ("file", b"127.0.0.1 localhost\n", 0o644)
    assert (got["ns1"].kind, got["ns2"].kind) == ("missing", "odd")
    assert (got["ns3"].kind, got["ns3"].why) == ("unreachable", "ssh: connect to host ns3 port 22: Connection refused")
    assert (got["ns4"].kind, got["ns4"].why) == ("refused", "its answer is not base64")
    assert (got["ns5"].kind, got["ns5"].why) == ("refused", "its archive is larger than 20480 bytes")
    assert sorted(got) == ["ns0", "ns1", "ns2", "ns3", "ns4", "ns5"]        # only the nodes asked
    assert list(tmp_path.iterdir()) == [tool]                                # nothing left behind
