"""The pieces of a deploy, in process: the node record (validated when read, never
written through a link), the plan reader, the actions' waves, the expected commands."""

from __future__ import annotations

import json
import os

import pytest

from hagen.deploy import actions, fanout, plan
from hagen.kinds import CELL, CLUSTER, NODE
from hagen.deploy.expected import commands_in, expected_commands
from hagen.emit import OutputTree
from hagen.emit.nodes import MISSING, FileState, Node, NotARecord, nodes_from_json, read_nodes, write_nodes
from hagen.base.errors import InputRefused

SHA = "a" * 64


@pytest.fixture
def tree(tmp_path):
    t = OutputTree(tmp_path / "out")
    t.store.mkdir()
    return t


def test_the_record_round_trips_and_is_private(tree):
    nodes = {"ns0": Node(True, {"/etc/hosts": FileState(SHA, "0644"), "/x": MISSING,
                                "/etc/cluster/cluster.conf": FileState(SHA, "0640", 7),
                                "/l": FileState(target="/y"), "/u": FileState(unusable="larger than 64 MiB")},
                         "/srv/gathered", ("/etc/HA/bin/hafda",)),
             "ns1": Node(files={"/etc/fstab": FileState(SHA, "0644")},
                         written={"/etc/fstab": FileState(SHA, "0644", shared=True), "/l": FileState(target="/y")})}
    write_nodes(tree, nodes)
    assert read_nodes(tree) == nodes
    assert os.stat(tree.store / "nodes.json").st_mode & 0o777 == 0o600
    doc = json.loads((tree.store / "nodes.json").read_text())
    assert doc["nodes"]["ns0"]["files"]["/x"] == {"missing": True} and "written" not in doc["nodes"]["ns0"]
    assert doc["nodes"]["ns1"]["written"]["/etc/fstab"] == {"sha256": SHA, "mode": "0644", "shared": True}
    assert "missing_commands" not in doc["nodes"]["ns1"] and "into" not in doc["nodes"]["ns1"]


def test_a_record_hagen_wrote_is_read_back_byte_for_byte(tree):
    """The on-disk format is the one earlier hagen wrote: read, then written, the same bytes."""
    old = {"format": "hagen-nodes/1", "nodes": {
        "ns0": {"files": {"/etc/hosts": {"mode": "0644", "sha256": SHA}}, "gathered": True, "into": "/g",
                "missing_commands": [], "written": {"/etc/hosts": {"mode": "0644", "sha256": SHA}}},
        "ns1": {"files": {"/c": {"config_version": 3, "mode": "0600", "sha256": SHA}}, "gathered": False,
                "written": {}}}}
    data = (json.dumps(old, indent=1, sort_keys=True) + "\n").encode()
    (tree.store / "nodes.json").write_bytes(data)
    write_nodes(tree, read_nodes(tree))
    assert (tree.store / "nodes.json").read_bytes() == data


def test_a_malformed_record_is_refused_saying_what_is_wrong():
    bad = {"format": "hagen-nodes/1", "nodes": {"ns0": {"files": {"/etc/hosts": {"sha256": SHA, "mode": "644"}}}}}
    with pytest.raises(NotARecord, match="ns0: a file entry has no valid sha256, mode"):
        nodes_from_json(bad)
    with pytest.raises(NotARecord, match="'shared' is not true"):
        nodes_from_json({"format": "hagen-nodes/1", "nodes": {"ns0": {"written": {"/a": {
            "sha256": SHA, "mode": "0644", "shared": False}}}}})
    with pytest.raises(NotARecord, match="not a hagen-nodes/1 document"):
        nodes_from_json({"format": "other", "nodes": {}})


@pytest.mark.parametrize("bad", [
    {"format": "other", "nodes": {"ns0": {"files": {}}}},      # a valid record but for its format
    {"format": "hagen-nodes/1", "nodes": {"-oProxyCommand=x": {"files": {}}}},
    {"format": "hagen-nodes/1", "nodes": {"ns0": {"files": {"../etc/shadow": {"missing": True}}}}},
    {"format": "hagen-nodes/1", "nodes": {"ns0": {"files": {"/etc/hosts": {"sha256": "zz", "mode": "0644"}}}}},
    {"format": "hagen-nodes/1", "nodes": {"ns0": {"files": {"/c": {"sha256": SHA, "mode": "0644",
                                                                    "config_version": "7"}}}}},
    {"format": "hagen-nodes/1", "nodes": {"ns0": {"missing_commands": ["rm -rf /"]}}},
    [1, 2],
])
def test_an_invalid_record_is_treated_as_absent(tree, bad):
    (tree.store / "nodes.json").write_text(json.dumps(bad))
    assert read_nodes(tree) == {}


def test_a_record_that_is_a_link_or_a_fifo_is_not_read(tree, tmp_path):
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"format": "hagen-nodes/1", "nodes": {"ns0": {"files": {}}}}))
    os.symlink(elsewhere, tree.store / "nodes.json")
    assert read_nodes(tree) == {}
    write_nodes(tree, {"ns1": Node()})
    assert json.loads(elsewhere.read_text())["nodes"] == {"ns0": {"files": {}}}      # untouched
    os.unlink(tree.store / "nodes.json")
    os.mkfifo(tree.store / "nodes.json")
    assert read_nodes(tree) == {}          # at once, no hang


def write_plan(tmp_path, doc) -> str:
    path = tmp_path / "plan.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


@pytest.mark.parametrize("doc, key", [
    ("not json", ""),
    ({"format": "hagen-push-plan/2", "send": []}, "format"),
    ({"format": "hagen-push-plan/1", "send": [{"host": "ns0", "path": "/etc/../shadow", "sha256": SHA,
                                                "mode": "0644"}]}, "send[0]"),
    ({"format": "hagen-push-plan/1", "send": [{"host": "ns0", "path": "/a", "sha256": SHA, "mode": "644"}]},
     "send[0]"),
    ({"format": "hagen-push-plan/1", "send": [], "remove": [{"host": "ns 0", "path": "/a"}]}, "remove[0]"),
])
def test_a_bad_plan_is_refused_with_its_location(tmp_path, doc, key):
    with pytest.raises(InputRefused) as info:
        plan.read_plan(write_plan(tmp_path, doc))
    report = info.value.reports[0]
    assert report.code == "HA133" and (report.where.key or "").startswith(key)


def test_a_good_plan_is_read(tmp_path):
    doc = {"format": "hagen-push-plan/1",
           "send": [{"host": "ns0", "path": "/a", "sha256": SHA, "mode": "0600"},
                    {"host": "ns0", "path": "/l", "type": "symlink", "target": "/b"}],
           "remove": [{"host": "ns1", "path": "/old"}]}
    got = plan.read_plan(write_plan(tmp_path, doc))
    assert got.to_json() == doc
    assert got.send[1].is_link and got.send[0].identity == ("file", SHA, "0600") and got.remove == (("ns1", "/old"),)


def test_waves_take_one_node_of_each_cell_at_a_time():
    cells = [["ns0", "ns13"], ["ns5", "ns6"]]
    hosts = ["ns0", "ns13", "ns5", "ns6", "ns1", "ns2"]
    assert actions.waves(hosts, cells, NODE) == [["ns0", "ns1", "ns2", "ns5"], ["ns6", "ns13"]]
    assert actions.waves(hosts, cells, CELL) == [["ns0", "ns1", "ns2", "ns5"]]
    assert actions.waves(hosts, cells, CLUSTER) == [["ns0"]]
    assert actions.action_for("batch/slurm.conf.j2", "/etc/slurm/slurm.conf", None) == "scontrol reconfigure"
    assert actions.action_for("nfs/exports.j2", "/etc/exports", None) == "exportfs -ra"
    assert actions.action_for("cluster/nfs.conf.xml.j2", "/etc/cluster/cluster.conf", 9) == \
        "ccs_tool update /etc/cluster/cluster.conf && cman_tool version -r 9"
    assert actions.action_for("hosts/hosts.j2", "/etc/hosts", None) is None
    assert actions.action_for("cluster/mngt.conf.xml.j2", "/etc/a;reboot", 2).startswith("ccs_tool update '/etc/a;reboot' ")


def test_the_fanout_forms_and_per_node_failures():
    cfg = fanout.settings({"deploy": {"tool": "clush", "fanout": 8}})
    assert fanout.copy_argv(cfg, ["ns1", "ns0"], "/s", "/d") == \
        ["clush", "-t", "10", "-u", "600", "-S", "-w", "ns[0-1]", "-f", "8", "--copy", "/s", "--dest", "/d", "-p"]
    assert fanout.gather_argv(cfg, ["ns0"], "/etc/hosts", "/tmp/x")[-5:] == ["--rcopy", "/etc/hosts", "--dest",
                                                                            "/tmp/x", "-p"]
    cfg = fanout.settings({"deploy": {"fanout": 4, "connect_timeout": 3, "command_timeout": 30}})
    assert fanout.copy_argv(cfg, ["ns0"], "/s", "/d") == ["pdcp", "-t", "3", "-u", "30", "-p", "-w", "ns0",
                                                          "-f", "4", "/s", "/d"]        # pdcp refuses -S
    assert "-S" not in fanout.gather_argv(cfg, ["ns0"], "/s", "/d")
    assert fanout.exec_argv(cfg, ["ns0"], ["rm", "-f", "--", "/a b"]) == ["pdsh", "-t", "3", "-u", "30", "-S", "-w",
                                                                          "ns0", "-f", "4", "rm -f -- '/a b'"]
    with pytest.raises(Exception):
        fanout.exec_argv(cfg, ["-oProxyCommand=x"], "true")
    assert fanout._node_of("pdsh@admin: ns5: ssh exited with exit code 255", {"ns5"}) == \
        ("ns5", "ssh exited with exit code 255")
    assert fanout._node_of("clush: ns5: exited with exit code 1", {"ns5"}) == ("ns5", "exited with exit code 1")
    outcome = fanout.run_exec(fanout.settings({"deploy": {"exec_command": "false"}}), ["ns0", "ns1"], "true")
    assert set(outcome.failed) == {"ns0", "ns1"} and not outcome.ok
    outcome = fanout.run_copy(fanout.settings({"deploy": {"command": "/nonexistent/pdcp"}}), ["ns0"], "/s", "/d")
    assert "not installed" in outcome.failed["ns0"]


def _fake_tool(tmp_path, stdout: str, stderr: str = "", code: int = 0) -> dict:
    """A fan-out command that prints what it is given to print, and records its argv."""
    tool = tmp_path / "tool"
    tool.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {tmp_path}/argv\n"
                    f"sed \"s/MARK/$(sed -n 's/.*echo \\(hagen-done-[0-9a-f]*\\).*/\\1/p' {tmp_path}/argv)/\" <<'EOF'\n"
                    f"{stdout}EOF\nprintf '%s' '{stderr}' >&2\nexit {code}\n")
    tool.chmod(0o755)
    return fanout.settings({"deploy": {"exec_command": str(tool), "command": str(tool)}})


def test_a_node_is_ok_only_when_its_marker_says_so_whatever_the_exit_status(tmp_path):
    out = "n1: fine\nn1: MARK:0\nn2: MARK:3\nn3: partialMARK:0\nn5: MARK:0\n"
    err = "n2: mkdir: cannot create directory: Permission denied\npdsh@a: n2: sh exited with exit code 3\n" \
          "n4: ssh: connect to host n4 port 22: Connection refused\npdsh@a: n4: ssh exited with exit code 255\n" \
          "pdsh@a: n6: command timeout\n"
    cfg = _fake_tool(tmp_path, out, err, code=0)           # real pdsh and clush exit 0
    outcome = fanout.run_exec(cfg, ["n1", "n2", "n3", "n4", "n6", "n7"], "mkdir -p -- /x")
    assert outcome.ok == {"n1", "n3"}                          # n5 was not asked: never ok
    assert outcome.output["n1"] == ["fine"] and outcome.output["n3"] == ["partial"]
    assert outcome.failed["n2"] == "mkdir: cannot create directory: Permission denied"
    assert outcome.failed["n4"] == "ssh: connect to host n4 port 22: Connection refused"
    assert outcome.hung == {"n6"} and outcome.failed["n6"].startswith("hung: no answer within the timeouts")
    assert outcome.failed["n7"].startswith("no answer")
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[:6] == ["-t", "10", "-u", "600", "-S", "-w"] and argv[-1].startswith("mkdir -p -- /x; echo hagen-done-")
    assert str(outcome).endswith("'mkdir -p -- /x'")            # shown without the marker


def test_a_copy_fails_the_nodes_named_in_error_lines_even_on_exit_0(tmp_path):
    cfg = _fake_tool(tmp_path, "", "clush: n2: exited with exit code 1\n", code=0)
    outcome = fanout.run_copy(cfg, ["n1", "n2"], "/s", "/d")
    assert set(outcome.failed) == {"n2"} and not outcome.ok     # n1 only sent: confirmed by a later command
    cfg = _fake_tool(tmp_path, "", "n1: Warning: Permanently added 'n1' (ED25519) to the list of known hosts.\n")
    assert not fanout.run_copy(cfg, ["n1"], "/s", "/d").failed
    cfg = _fake_tool(tmp_path, "", "no route\n", code=1)
    assert set(fanout.run_copy(cfg, ["n1", "n2"], "/s", "/d").failed) == {"n1", "n2"}


def test_a_large_node_set_goes_through_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr(fanout, "INLINE_MAX", 10)
    hosts = [f"n{i}" for i in range(0, 40, 2)]
    tool = tmp_path / "tool"
    tool.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {tmp_path}/argv\n"
                    f"for a; do case $a in ^*) cp \"${{a#^}}\" {tmp_path}/nodes;; esac; done\n"
                    f"prev=; for a; do [ \"$prev\" = --hostfile ] && cp \"$a\" {tmp_path}/nodes; prev=$a; done\n")
    tool.chmod(0o755)
    fanout.run_exec(fanout.settings({"deploy": {"exec_command": str(tool)}}), hosts, "true")
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[argv.index("-w") + 1].startswith("^")
    assert (tmp_path / "nodes").read_text().split() == hosts
    fanout.run_exec(fanout.settings({"deploy": {"tool": "clush", "command": str(tool)}}), hosts, "true")
    argv = (tmp_path / "argv").read_text().splitlines()
    assert "-w" not in argv and "--hostfile" in argv
    assert (tmp_path / "nodes").read_text().split() == hosts
    assert not os.path.exists(argv[argv.index("--hostfile") + 1])           # removed after the call


def test_expected_commands_are_what_the_service_lists_call_that_hagen_does_not_write():
    from conftest import EXAMPLES
    from hagen.emit import OutputTree as Tree
    from hagen.compile.pipeline import compile_site

    assert commands_in(b"# c\n/etc/HA/bin/haip\n\n#/etc/init.d/lsf\n/etc/init.d/nfs\n") == \
        ["/etc/HA/bin/haip", "/etc/init.d/nfs"]
    compiled = compile_site(EXAMPLES / "bas5-guide" / "site.yaml", Tree("/nonexistent/out"))
    expected = expected_commands(compiled)
    assert expected["/etc/HA/bin/dbmConfig"] == ["ns0", "ns13"]
    assert expected["/etc/init.d/nagios"] == ["ns0", "ns13"]          # called by stop only
    assert "/etc/HA/bin/haip" not in expected and "/etc/HA/bin/hacron" not in expected


def test_a_tool_that_never_ends_is_stopped(tmp_path, monkeypatch):
    """A tool that ignores -t/-u: hagen stops the whole call (its process group, children
    included) and reports its unanswered nodes hung."""
    tool = tmp_path / "tool"
    tool.write_text(f"#!/bin/sh\nsleep 120 &\necho $! > {tmp_path}/child\nexec sleep 120\n")
    tool.chmod(0o755)
    monkeypatch.setattr(fanout, "guard", lambda cfg, count: 1.0)
    outcome = fanout.run_exec(fanout.settings({"deploy": {"exec_command": str(tool)}}), ["n1", "n2"], "true")
    assert outcome.hung == {"n1", "n2"} and outcome.failed["n1"].startswith("hung: ")
    child = int((tmp_path / "child").read_text())
    try:                                                    # killed: gone, or a zombie awaiting its reaper
        with open(f"/proc/{child}/stat") as f:
            assert f.read().split(") ")[1][0] in "ZX"
    except FileNotFoundError:
        pass
