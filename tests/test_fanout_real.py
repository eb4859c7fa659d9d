"""push and gather through the REAL pdsh (its exec module), the REAL pdsh, pdcp and rpdcp
(their ssh module, `ssh` on PATH being node-ssh) and the REAL clush, against simulated
nodes: one folder per node, reached through node-ssh and node-scp
(tests/deploy_helpers.py). pdsh's exec module does not serve pdcp (CLARIFICATIONS 26):
with -R exec, copies go through the pdcp/rpdcp stand-ins. Real pdsh and clush exit 0 when
a node failed: what hagen reports comes from each node's own marker line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runner import cli
from conftest import EXAMPLES
from deploy_helpers import Nodes, prepare

PDSH = shutil.which("pdsh")
BESIDE = Path(sys.executable).parent / "clush"       # ClusterShell installed with this interpreter
CLUSH = str(BESIDE) if BESIDE.exists() else shutil.which("clush")
LINK = "/usr/sbin/lustre_failover_xena12"
SOME = "xena[1-2,10-13]"
TIMEOUTS = "  connect_timeout: 2\n  command_timeout: 2\n"


def _pdsh_exec_works() -> bool:
    if not PDSH:
        return False
    probe = subprocess.run([PDSH, "-R", "exec", "-w", "n1", "echo", "%h"], capture_output=True, text=True)
    return probe.stdout.strip() == "n1: n1"


def _clush_works() -> bool:
    return bool(CLUSH) and subprocess.run([CLUSH, "--version"], capture_output=True).returncode == 0


def _pdsh_ssh_works() -> bool:
    return _pdsh_exec_works() and bool(shutil.which("pdcp")) and bool(shutil.which("rpdcp")) and \
        "ssh" in subprocess.run([PDSH, "-L"], capture_output=True, text=True).stdout


SECTIONS = {
    "pdsh": pytest.param(
        "\ndeploy:\n  tool: pdcp\n  command: {pdcp}\n  exec_command: {pdsh-exec}\n  gather_command: {rpdcp}\n"
        + TIMEOUTS,
        marks=pytest.mark.skipif(not _pdsh_exec_works(), reason="pdsh with its exec module is not installed "
                                 "(Debian package pdsh)"), id="pdsh"),
    "pdsh-ssh": pytest.param(
        f"\ndeploy:\n  tool: pdcp\n  command: {shutil.which('pdcp')}\n  exec_command: {PDSH}\n"
        f"  gather_command: {shutil.which('rpdcp')}\n  options: ['-R', 'ssh']\n" + TIMEOUTS,
        marks=pytest.mark.skipif(not _pdsh_ssh_works(), reason="pdsh, pdcp and rpdcp with the ssh module are not "
                                 "installed (Debian package pdsh)"), id="pdsh-ssh"),
    "clush": pytest.param(
        f"\ndeploy:\n  tool: clush\n  command: {CLUSH}\n"
        "  options: ['-O', 'ssh_path={node-ssh}', '-O', 'scp_path={node-scp}']\n" + TIMEOUTS,
        marks=pytest.mark.skipif(not _clush_works(), reason="clush is not installed (PyPI ClusterShell)"),
        id="clush"),
}


@pytest.fixture(scope="module", params=list(SECTIONS.values()))
def base(request, tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("real"), EXAMPLES / "xena", section=request.param, shared=False)


@pytest.fixture
def nodes(base, tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("PATH", f"{base / 'bin/ssh-path'}:{os.environ['PATH']}")     # pdsh -R ssh: node-ssh
    return Nodes(base, tmp_path / "w", monkeypatch)


def held(n, host) -> dict:
    path = n.work / ".out.d/nodes.json"
    return json.loads(path.read_text())["nodes"].get(host, {}).get("files", {}) if path.exists() else {}


def table(r) -> dict:
    """{status word and node set: message} of push's closing table."""
    rows = {}
    for line in r.stdout.splitlines():
        words = line.split(None, 2)
        if len(words) >= 2 and words[0] in ("done", "failed", "hung", "unreachable", "skipped"):
            rows[f"{words[0]} {words[1]}"] = words[2] if len(words) > 2 else ""
    return rows


def test_push_through_the_real_tool_sees_each_node_fail(nodes):
    nodes.behave(down=["xena2"], hung=["xena13"], broken={"xena10": ["mkdir"], "xena12": ["ln"]})
    r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes", "--reload", "-w", SOME)
    assert r.code == 3, r.stdout + r.stderr
    rows = table(r)
    assert "Connection refused" in rows["unreachable xena2"]
    assert rows["failed xena10"].startswith("mkdir: mkdir: cannot do that here")
    assert rows["failed xena12"].startswith("link: ln: cannot do that here")
    assert rows["hung xena13"].startswith("mkdir: hung: no answer within the timeouts")
    assert "done xena[1,11]" in rows, rows
    for host in ("xena2", "xena10", "xena12", "xena13"):
        assert held(nodes, host) == {}, host
    assert held(nodes, "xena1")["/etc/hosts"]["mode"] == "0644"
    assert {h for h, _ in nodes.ran()} <= {"xena1", "xena11"} and nodes.ran()
    nodes.behave()
    r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes", "-w", SOME)
    assert r.code == 0, r.stdout + r.stderr
    assert "done xena[2,10,12-13]" in table(r) and nodes.node_file("xena12", LINK).is_symlink()


def test_gather_through_the_real_tool_reports_the_unreachable(nodes):
    from ClusterShell.NodeSet import NodeSet

    for host in NodeSet(SOME):          # the nodes hold the build (a push's work, not this test's subject)
        shutil.copytree(nodes.out.resolve() / host, nodes.root / host, symlinks=True, dirs_exist_ok=True)
    nodes.node_file("xena11", "/etc/hosts").unlink()
    nodes.behave(down=["xena2"], hung=["xena13"])
    r = cli("gather", "--site", nodes.site, "--out", nodes.out, "--into", nodes.work / "g", "-w", SOME)
    assert r.code == 3, r.stdout + r.stderr
    assert "unreachable: xena2: ssh: connect to host xena2 port 22: Connection refused" in r.stderr
    assert "unreachable: xena13: hung: no answer within the timeouts" in r.stderr
    assert "missing on the nodes: /etc/hosts on xena11" in r.stdout
    assert (nodes.work / "g/xena12" / LINK.lstrip("/")).is_symlink()
    assert held(nodes, "xena2") == {}                 # never recorded as missing anything
    assert held(nodes, "xena1")["/etc/hosts"]["mode"] == "0644"


def test_node_sets_through_a_file(nodes, monkeypatch):
    from hagen.deploy import fanout

    monkeypatch.setattr(fanout, "INLINE_MAX", 1)       # every node set past the limit
    r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes", "-w", "xena[1-2]")
    assert r.code == 0, r.stdout + r.stderr
    r = cli("gather", "--site", nodes.site, "--out", nodes.out, "--into", nodes.work / "g", "-w", "xena[1-2]")
    assert r.code == 0, r.stdout + r.stderr
    assert (nodes.work / "g/xena2/etc/hosts").read_bytes() == nodes.node_file("xena2", "/etc/hosts").read_bytes()
    calls = nodes.calls()           # the stand-ins' (pdcp, rpdcp): the real tools keep no log
    assert all(" -w ^/" in c or " --hostfile /" in c for c in calls)
