"""Per-node results established positively (issue "Deploy at 10,000 nodes": the real tools
do not fail the way the suite's stand-ins did): real pdsh and clush exit 0 when a node
failed, so push and gather must see each node's success, never infer it from the exit
status. Against the stand-ins of tests/deploy_helpers.py in both of their ways to fail:
exit 0 with per-node error lines (the real tools) and exit 1 (strict)."""

from __future__ import annotations

import json

import pytest

from cli_runner import cli
from conftest import EXAMPLES
from deploy_helpers import Nodes, prepare

LINK = "/usr/sbin/lustre_failover_xena12"
CONF = "/etc/cluster/cluster.conf"
FAST = "  connect_timeout: 1\n  command_timeout: 1\n"


@pytest.fixture(scope="module", params=["pdcp", "clush"])
def base(request, tmp_path_factory):
    from deploy_helpers import deploy_section

    folder = tmp_path_factory.mktemp(request.param)
    section = deploy_section({k: f"{{{k}}}" for k in ("pdcp", "pdsh", "rpdcp", "clush")}, request.param, FAST)
    return prepare(folder, EXAMPLES / "xena", section=section, shared=False)


@pytest.fixture
def nodes(request, base, tmp_path, monkeypatch):
    n = Nodes(base, tmp_path / "w", monkeypatch)
    n.strict = getattr(request, "param", False)
    return n


BOTH = pytest.mark.parametrize("nodes", [False, True], ids=["exit0", "strict"], indirect=True)


def record(n) -> dict:
    path = n.work / ".out.d/nodes.json"
    return json.loads(path.read_text())["nodes"] if path.exists() else {}


def held(n, host) -> dict:
    return record(n).get(host, {}).get("files", {})


@BOTH
def test_a_node_down_and_nodes_where_mkdir_or_ln_fail_are_failed_and_hold_nothing(nodes):
    nodes.behave(down=["xena2"], broken={"xena10": ["mkdir"], "xena12": ["ln"]}, strict=nodes.strict)
    r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes", "--reload")
    assert r.code == 3, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert any(ln.split()[:2] == ["unreachable", "xena2"] and "Connection refused" in ln for ln in lines), lines
    assert any(ln.split()[:2] == ["failed", "xena10"] and "mkdir: mkdir: cannot do that here" in ln for ln in lines)
    assert any(ln.split()[:2] == ["failed", "xena12"] and "link: ln: cannot do that here" in ln for ln in lines)
    done = next(ln for ln in lines if ln.startswith("done"))
    assert "xena2" not in done.replace("xena20", "") and "xena10" not in done and "xena12" not in done
    assert held(nodes, "xena2") == {} and held(nodes, "xena10") == {}
    assert LINK not in held(nodes, "xena12") and held(nodes, "xena12") == {}     # no file confirmed either
    assert held(nodes, "xena1")["/usr/sbin/lustre_failover_xena1"]["type"] == "symlink"
    ran = {h for h, _ in nodes.ran()}
    assert ran and ran.isdisjoint({"xena2", "xena10", "xena12"})
    nodes.behave(strict=nodes.strict)
    nodes.log.unlink()
    r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes")
    assert r.code == 0, r.stdout + r.stderr
    assert "done     xena[2,10,12]" in r.stdout, r.stdout          # only those: the others hold the build
    assert nodes.node_file("xena12", LINK).is_symlink()


def test_a_copy_that_did_not_land_is_not_recorded(nodes):
    """The copy tool says nothing of xena1 and exits 0, but its copies never land there:
    the node holds older files at every path. The verification sees it."""
    nodes.behave(lost=["xena1"], strict=nodes.strict)
    built = nodes.out.resolve() / "xena1"
    for path in built.rglob("*"):
        if path.is_file() and not path.is_symlink():
            old = nodes.root / "xena1" / path.relative_to(built)
            old.parent.mkdir(parents=True, exist_ok=True)
            old.write_bytes(path.read_bytes() + b"# older\n")
            old.chmod(path.stat().st_mode & 0o777)
    r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes", "-w", "xena[1-2]")
    assert r.code == 3, r.stdout + r.stderr
    assert "failed   xena1  verify: " in r.stdout and "on the node is not what was sent (and " in r.stdout, r.stdout
    assert "done     xena2" in r.stdout
    assert CONF not in held(nodes, "xena1") and CONF in held(nodes, "xena2")


def test_a_hung_node_is_reported_as_hung_and_push_ends(nodes):
    nodes.behave(hung=["xena13"], strict=nodes.strict)
    r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes", "-w", "xena[11,13]")
    assert r.code == 3, r.stdout + r.stderr
    assert "hung     xena13  mkdir: hung: no answer within the timeouts (connect 1 s, command 1 s)" in r.stdout
    assert "done     xena11" in r.stdout and held(nodes, "xena13") == {}
    calls = nodes.calls()
    assert calls and all(" -t 1 -u 1 " in f" {c} " for c in calls)
    assert all(" -S " not in c for c in calls if c.startswith(("pdcp", "rpdcp")))


@BOTH
def test_gather_reports_a_node_down_or_hung_as_unreachable_never_as_missing_every_file(nodes):
    assert cli("push", "--site", nodes.site, "--out", nodes.out, "--yes").code == 0
    nodes.behave(down=["xena2"], hung=["xena11"], broken={"xena12": ["stat"]}, strict=nodes.strict)
    r = cli("gather", "--site", nodes.site, "--out", nodes.out, "--into", nodes.work / "g")
    assert r.code == 3, r.stdout + r.stderr
    assert "unreachable: xena2: ssh: connect to host xena2 port 22: Connection refused" in r.stderr
    assert "unreachable: xena11: hung: no answer within the timeouts" in r.stderr
    assert "unreachable: xena12: cannot tell what" in r.stderr
    nodes_held = record(nodes)
    for host in ("xena2", "xena11", "xena12"):
        assert nodes_held[host]["gathered"] is False                # what push confirmed, untouched
        assert not any(f.get("missing") for f in nodes_held[host]["files"].values())
    assert nodes_held["xena1"]["gathered"] is True and "missing on the nodes" not in r.stdout
    assert nodes_held["xena1"]["files"]["/usr/sbin/lustre_failover_xena1"]["type"] == "symlink"
    inventories = [c for c in nodes.calls() if "hagen-inv" in c]
    assert len(inventories) <= len({tuple(sorted(f)) for f in (n["files"] for n in nodes_held.values())}) + 1
    assert not any("readlink" in c and "hagen-inv" not in c for c in nodes.calls())      # links read with it


def test_gather_of_a_node_that_answers_nothing_at_all(nodes, tmp_path):
    """A tool that reports nothing for a node (no line, no file, exit 0): unreachable."""
    assert cli("push", "--site", nodes.site, "--out", nodes.out, "--yes", "-w", "xena[1-2]").code == 0
    site = nodes.site.read_text()
    quiet = tmp_path / "quiet"
    quiet.write_text("#!/bin/sh\nexit 0\n")
    quiet.chmod(0o755)
    key = "command" if "tool: clush" in site else "exec_command"
    lines = [ln if not ln.startswith(f"  {key}:") else f"  {key}: {quiet}" for ln in site.splitlines()]
    nodes.site.write_text("\n".join(lines) + "\n")
    r = cli("gather", "--site", nodes.site, "--out", nodes.out, "--into", nodes.work / "g", "-w", "xena[1-2]")
    assert r.code == 3 and "unreachable: xena[1-2]: no answer" in r.stderr, r.stderr
    assert record(nodes)["xena1"]["gathered"] is False
