"""hagen push against simulated nodes (tests/deploy_helpers.py): incremental, resumable,
per-node results, reviewed plans, config_version against the nodes, follow-up actions."""

from __future__ import annotations

import json
import os
import stat

import pytest

from cli_runner import cli
from conftest import EXAMPLES
from deploy_helpers import Nodes, prepare

CONF = "/etc/cluster/cluster.conf"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("pdcp"), EXAMPLES / "bas5-guide")


@pytest.fixture(scope="module")
def clush_base(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("clush"), EXAMPLES / "bas5-guide", tool="clush")


def gathered(n):
    """The nodes as gather found them (empty: every managed file missing), the log cleared: push
    sends a shared file only merged into the node's own content as gathered (HA966)."""
    r = cli("gather", "--site", n.site, "--out", n.out, "--into", n.work / "g")
    assert r.code == 0, r.stderr
    n.log.unlink()
    return n


@pytest.fixture
def nodes(base, tmp_path, monkeypatch):
    return gathered(Nodes(base, tmp_path / "w", monkeypatch))


def push(n, *args):
    return cli("push", "--site", n.site, "--out", n.out, *args)


def manifest(n) -> dict:
    return json.loads((n.out / ".hagen/manifest.json").read_text())


def record(n) -> dict:
    return json.loads((n.work / ".out.d/nodes.json").read_text())["nodes"]


def copies(n) -> list[str]:
    return [c for c in n.calls() if c.startswith(("pdcp", "clush")) and ("--copy" in c or c.startswith("pdcp"))]


def test_dry_run_prints_one_command_per_distinct_file_and_node_set_and_the_actions(nodes):
    r = push(nodes, "--dry-run")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    mkdirs = [ln for ln in lines if "mkdir -p" in ln]
    sends = [ln for ln in lines if "/pdcp " in ln]
    assert lines[:len(mkdirs)] == mkdirs and mkdirs
    assert len(sends) == len(manifest(nodes)["files"])
    assert any(" -p -w 'ns[0,13]' " in ln and ln.endswith(f" {nodes.out}/ns0/etc/HA/start /etc/HA/start") for ln in sends)
    assert "# --reload would run: " in r.stdout and "ccs_tool update /etc/cluster/cluster.conf && cman_tool version -r 1" \
        in r.stdout
    assert nodes.calls() == []


def test_a_push_sends_every_file_with_its_mode_then_nothing(nodes):
    r = push(nodes, "--yes")
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines()[-1].split() == ["done", "ns[0-13]"]
    out = nodes.out.resolve()
    for path in out.rglob("*"):
        rel = path.relative_to(out)
        if path.is_file() and rel.parts[0] != ".hagen":
            copy = nodes.root / rel
            assert copy.read_bytes() == path.read_bytes(), rel
            assert stat.S_IMODE(copy.stat().st_mode) == stat.S_IMODE(path.stat().st_mode), rel
    assert stat.S_IMODE(nodes.node_file("ns0", CONF).stat().st_mode) == 0o600
    owners = [c for c in nodes.calls() if "chown -h root:root --" in c]
    assert len(owners) == 2 and any("ns[1-12]" in c and "-- /etc/hosts /etc/pbs.conf && stat " in c for c in owners)
    state = nodes.work / ".out.d/nodes.json"
    assert stat.S_IMODE(state.lstat().st_mode) == 0o600
    assert record(nodes)["ns0"]["files"][CONF]["config_version"] == 1
    before = len(nodes.calls())
    r = push(nodes, "--yes")
    assert r.code == 0 and "nothing to send" in r.stdout and "skipped  ns[0-13]  up to date" in r.stdout
    assert len(nodes.calls()) == before


def test_clush_keeps_modes_too(clush_base, tmp_path, monkeypatch):
    n = gathered(Nodes(clush_base, tmp_path / "w", monkeypatch))
    r = push(n, "--yes")
    assert r.code == 0, r.stderr
    sent = [c for c in n.calls() if "--copy" in c]
    assert sent and all(c.endswith(" -p") for c in sent)
    assert stat.S_IMODE(n.node_file("ns13", CONF).stat().st_mode) == 0o600
    assert stat.S_IMODE(n.node_file("ns0", "/etc/HA/bin/haip").stat().st_mode) == 0o755


def test_one_node_down_does_not_stop_the_others_and_a_rerun_sends_only_what_is_missing(nodes):
    nodes.behave(down=["ns5"])
    r = push(nodes, "--yes")
    assert r.code == 3, r.stdout + r.stderr
    assert "done     ns[0-4,6-13]" in r.stdout
    assert "unreachable ns5" in r.stdout and "Connection refused" in r.stdout
    assert nodes.node_file("ns13", "/etc/hosts").exists() and not nodes.node_file("ns5", "/etc/hosts").exists()
    nodes.behave()
    nodes.log.unlink()
    r = push(nodes, "--yes")
    assert r.code == 0, r.stdout + r.stderr
    sent = copies(nodes)
    assert sent and all(" -w ns5 " in c for c in sent), sent       # only ns5's files, nothing else again
    assert "done     ns5" in r.stdout and "skipped  ns[0-4,6-13]  up to date" in r.stdout


def test_a_node_refusing_writes_is_reported_and_the_others_served(nodes):
    nodes.behave(readonly=["ns13"])
    r = push(nodes, "--yes")
    assert r.code == 3
    assert "failed   ns13" in r.stdout and "Read-only file system" in r.stdout
    assert nodes.node_file("ns0", CONF).exists() and not nodes.node_file("ns13", CONF).exists()
    assert record(nodes)["ns13"]["files"].get(CONF) in (None, {"missing": True})      # as gathered: not received


def test_restricted_with_w_and_x(nodes):
    r = push(nodes, "--yes", "-w", "ns[0-13]", "-x", "ns[1-12]")
    assert r.code == 0, r.stderr
    assert "done     ns[0,13]" in r.stdout
    assert not nodes.node_file("ns3", "/etc/hosts").exists()
    assert all("ns3" not in c and "ns[0-13]" not in c for c in nodes.calls())
    r = push(nodes, "--yes", "-x", "-oProxyCommand=evil")
    assert r.code == 2 and "HA140" in r.stderr


def test_without_a_terminal_and_without_yes_push_refuses(nodes):
    r = push(nodes)
    assert r.code == 2 and "HA142" in r.stderr
    assert "send /etc/hosts to ns[0-13]" in r.stderr
    assert nodes.calls() == []


def test_a_stale_output_tree_is_refused(nodes):
    text = nodes.site.read_text().replace("    modprobe: modprobe.conf", "    modprobe: modprobe.d")
    assert text != nodes.site.read_text()
    nodes.site.write_text(text)
    r = push(nodes, "--yes")
    assert r.code == 2 and "HA941" in r.stderr and "hagen build" in r.stderr
    assert nodes.calls() == []


def plan_for(n, *paths, host="ns0") -> dict:
    from ClusterShell.NodeSet import NodeSet

    sends = [{"host": host, "path": e["path"], "sha256": e["sha256"], "mode": e["mode"]}
             for e in manifest(n)["files"] if e["path"] in paths and host in NodeSet(e["hosts"])]
    return {"format": "hagen-push-plan/1", "send": sends, "remove": []}


def test_a_plan_is_sent_exactly_and_refused_once_the_tree_changed(nodes):
    plan = nodes.work / "plan.json"
    plan.write_text(json.dumps(plan_for(nodes, "/etc/hosts", "/etc/modprobe.conf")))
    r = push(nodes, "--plan", plan)          # a reviewed plan needs no --yes
    assert r.code == 0, r.stderr
    assert [c.split()[-1] for c in copies(nodes)] == ["/etc/hosts", "/etc/modprobe.conf"]
    assert nodes.node_file("ns0", "/etc/hosts").exists() and not nodes.node_file("ns13", "/etc/hosts").exists()
    nodes.site.write_text(nodes.site.read_text().replace("    modprobe: modprobe.conf", "    modprobe: modprobe.d"))
    assert cli("build", "--site", nodes.site, "--out", nodes.out).code == 0
    r = push(nodes, "--plan", plan)          # modprobe.conf is no longer built
    assert r.code == 2 and "HA942" in r.stderr and "send[1]" in r.stderr, r.stderr
    plan.write_text('{"format": "hagen-push-plan/1", "send": [{"host": "-oProxyCommand=x", "path": "/etc/hosts", '
                    '"sha256": "00", "mode": "0644"}]}')
    r = push(nodes, "--plan", plan)
    assert r.code == 2 and "HA133" in r.stderr and "send[0]" in r.stderr


def hold_version(n, version: int) -> None:
    """Both management nodes hold a cluster.conf of another content at config_version version."""
    data = (n.out / "ns0" / CONF.lstrip("/")).read_text()
    held = data.replace('config_version="1"', f'config_version="{version}"').replace("</cluster>",
                                                                                      "<!-- old -->\n</cluster>")
    for host in ("ns0", "ns13"):
        target = n.node_file(host, CONF)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(held)


def test_nodes_holding_a_higher_config_version(nodes):
    hold_version(nodes, 7)
    assert cli("gather", "--site", nodes.site, "--out", nodes.out, "--into", nodes.work / "g").code == 0
    r = push(nodes, "--yes")                 # the build would now say 8: the tree is stale
    assert r.code == 2 and "HA941" in r.stderr
    plan = nodes.work / "plan.json"
    plan.write_text(json.dumps(plan_for(nodes, CONF)))
    r = push(nodes, "--plan", plan)          # a plan reviewed before the gather
    assert r.code == 2 and "HA943" in r.stderr and "holds 7" in r.stderr
    assert not any(c.endswith(CONF) for c in copies(nodes))
    assert cli("build", "--site", nodes.site, "--out", nodes.out).code == 0
    assert 'config_version="8"' in (nodes.out / "ns0" / CONF.lstrip("/")).read_text()
    r = push(nodes, "--yes")
    assert r.code == 0, r.stderr
    assert 'config_version="8"' in nodes.node_file("ns13", CONF).read_text()
    assert cli("build", "--site", nodes.site, "--out", nodes.out).code == 0      # the nodes hold it: stays 8
    assert 'config_version="8"' in (nodes.out / "ns0" / CONF.lstrip("/")).read_text()


def test_reload_runs_each_action_once_per_node_set_one_node_of_a_cell_at_a_time(nodes):
    r = push(nodes, "--yes", "--reload")
    assert r.code == 0, r.stderr
    ran = nodes.ran()
    assert [h for h, c in ran if c.startswith("ccs_tool update")] == ["ns0"]          # propagates to the cell
    calls = [c for c in nodes.calls() if "syslog-ng reload" in c]
    assert len(calls) == 2 and " -w ns0 " in calls[0] and " -w ns13 " in calls[1]
    assert sorted(h for h, c in ran if c == "service syslog-ng reload") == ["ns0", "ns13"]
    assert sum(c == "service pbs restart" for _, c in ran) == 14
    first = [c for c in nodes.calls() if "pbs restart" in c]
    assert len(first) == 2 and "ns[0-12]" in first[0] and " -w ns13 " in first[1]
    nodes.actions.unlink()
    assert push(nodes, "--yes", "--reload").code == 0
    assert nodes.ran() == []                                  # nothing sent, nothing to take


def test_vanished_files_are_removed_only_with_prune(nodes):
    assert push(nodes, "--yes").code == 0
    own = nodes.node_file("ns0", "/etc/modprobe.conf")
    own.write_bytes(b"alias eth0 e1000\n" + own.read_bytes() + b"options lp io=0x378\n")   # the node's own lines
    nodes.site.write_text(nodes.site.read_text().replace("    modprobe: modprobe.conf", "    modprobe: modprobe.d"))
    assert cli("build", "--site", nodes.site, "--out", nodes.out).code == 0
    r = push(nodes, "--yes")
    assert r.code == 0, r.stderr
    assert "vanished (use --prune to remove): /etc/modprobe.conf on ns[0,13]" in r.stderr
    assert own.exists()
    r = push(nodes, "--yes", "--prune")       # what the node holds is not known since the push: refused whole
    assert r.code == 2 and "HA965" in r.stderr and "hagen gather" in r.stderr, r.stderr
    g = cli("gather", "--site", nodes.site, "--out", nodes.out, "--into", nodes.work / "g")
    assert g.code == 0, g.stderr
    r = push(nodes, "--yes", "--prune")
    assert r.code == 0, r.stderr
    # a shared file is never removed: hagen's block goes, the node's own lines stay, byte for byte
    assert own.read_bytes() == b"alias eth0 e1000\noptions lp io=0x378\n"
    assert nodes.node_file("ns13", "/etc/modprobe.conf").read_bytes() == b""
    assert not any(" rm " in c for c in nodes.calls())
    assert nodes.node_file("ns13", "/etc/modprobe.d/bonding.conf").exists()
    assert "/etc/modprobe.conf" not in record(nodes)["ns0"]["written"]
    again = push(nodes, "--yes", "--prune")
    assert "vanished (use --prune" not in again.stderr, again.stderr


@pytest.mark.parametrize("key, value", [
    ("hosts", "-oProxyCommand=touch${IFS}/tmp/x"),
    ("hosts", "ns[0-"),
    ("path", "/etc/HA/../../../etc/shadow"),
    ("sha256", "../../x"),
])
def test_an_altered_manifest_is_refused_before_anything_is_sent(nodes, key, value):
    path = nodes.out.resolve() / ".hagen/manifest.json"
    doc = json.loads(path.read_text())
    doc["files"][0][key] = value
    path.chmod(0o644)
    path.write_text(json.dumps(doc))
    r = push(nodes, "--yes")
    assert r.code == 3 and "HA940" in r.stderr and nodes.calls() == []
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_an_edited_source_file_is_refused(nodes):
    target = nodes.out / "ns0/etc/hosts"
    os.chmod(target, 0o644)
    with open(target, "a") as f:
        f.write("6.6.6.6 ns0\n")
    r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes", "--snapshot",
            nodes.site.parent / "clusterdb.yaml")
    assert r.code == 3 and "HA944" in r.stderr and "/etc/hosts" in r.stderr and nodes.calls() == []


def test_the_record_is_never_written_through_a_planted_link(nodes):
    victim = nodes.work / "victim"
    victim.write_text("keep me\n")
    (nodes.work / ".out.d/nodes.json").unlink()
    os.symlink(victim, nodes.work / ".out.d/nodes.json")
    r = push(nodes, "--yes")       # no record read: the shared files' node content is unknown (HA966), the rest goes
    assert r.code == 3 and "HA966" in r.stderr and "done     ns[0-13]" in r.stdout, r.stderr
    assert victim.read_text() == "keep me\n"
    state = nodes.work / ".out.d/nodes.json"
    assert not state.is_symlink() and stat.S_IMODE(state.stat().st_mode) == 0o600


def test_push_without_a_build_says_so(tmp_path, base):
    r = cli("push", "--site", base / "example/site.yaml", "--out", tmp_path / "nothing", "--yes")
    assert r.code == 3 and "hagen build" in r.stderr


def test_links_are_made_on_the_nodes_and_gathered_as_links(tmp_path_factory, tmp_path, monkeypatch):
    n = Nodes(prepare(tmp_path_factory.mktemp("xena"), EXAMPLES / "xena"), tmp_path / "w", monkeypatch)
    r = push(n, "--yes", "-w", "xena[1-2]")
    assert r.code == 0, r.stderr
    link = "/usr/sbin/lustre_failover_xena1"
    # made by the node set's verification call, before it reports what the nodes hold
    assert any(f"ln -sfn -- /usr/sbin/lustre_failover {link} && " in c and "sha256sum" in c for c in n.calls())
    assert not any(c.split()[0].endswith("pdcp") and "lustre_failover_" in c for c in n.calls())
    assert os.readlink(n.node_file("xena2", link)) == "/usr/sbin/lustre_failover"
    r = cli("gather", "--site", n.site, "--out", n.out, "--into", n.work / "g", "-w", "xena[1-2]")
    assert r.code == 0, r.stderr
    assert os.readlink(n.work / "g/xena2" / link.lstrip("/")) == "/usr/sbin/lustre_failover"
    assert record(n)["xena2"]["files"][link] == {"type": "symlink", "target": "/usr/sbin/lustre_failover"}
    assert "nothing to send" in push(n, "--yes", "-w", "xena[1-2]").stdout
