"""The typed records of what hagen writes and reads back: the manifest entry, what a node holds,
the reviewed plan's entry. Each has one reader and one writer, round-trips byte for byte, and
refuses a malformed one saying why; same_file() is the one answer to "the same file?"."""

from __future__ import annotations

import json

import pytest

from hagen.base.errors import InputRefused
from hagen.deploy.pushplan import PlanEntry, PushPlan
from hagen.emit import ManifestEntry, OutFile, manifest_bytes, manifest_of, same_file, valid_manifest
from hagen.emit.nodes import MISSING, FileState, Node, NotARecord, nodes_bytes, nodes_from_json

SHA, OTHER = "a" * 64, "b" * 64


def test_one_answer_to_the_same_file_across_every_record():
    data = b"x"
    built = OutFile("ns0", "/etc/hosts", data, 0o644, "t")
    sha = built.sha256
    entry = ManifestEntry("/etc/hosts", "ns0", "t", sha, "0644", 1)
    held = FileState(sha, "0644", shared=True)
    planned = PlanEntry("ns0", "/etc/hosts", sha, "0644")
    same = [built, entry, held, planned, FileState(sha, "0644", config_version=3)]
    assert all(same_file(a, b) for a in same for b in same)
    for other in (FileState(sha, "0600"), FileState(OTHER, "0644"), FileState(target="/etc/hosts"), MISSING,
                  FileState(unusable="larger than 64 MiB"), None, PlanEntry("ns0", "/etc/hosts", sha, "0755")):
        assert not same_file(entry, other) and not same_file(other, entry), other
    link = OutFile("xena1", "/usr/sbin/x", b"/usr/sbin/y", 0o777, "symlink", "/usr/sbin/y")
    assert same_file(link, ManifestEntry("/usr/sbin/x", "xena1", "symlink", target="/usr/sbin/y"))
    assert same_file(link, FileState(target="/usr/sbin/y"))
    assert same_file(link, PlanEntry("xena1", "/x", target="/usr/sbin/y"))
    assert not same_file(link, FileState(target="/usr/sbin/z")) and not same_file(None, None)


def test_a_node_holds_a_file_only_when_it_is_the_same_file():
    entry = ManifestEntry("/etc/hosts", "ns0", "t", SHA, "0644", 1)
    assert Node(files={"/etc/hosts": FileState(SHA, "0644")}).holds("/etc/hosts", entry)
    assert not Node(files={"/etc/hosts": FileState(SHA, "0600")}).holds("/etc/hosts", entry)
    assert not Node(files={"/etc/hosts": MISSING}).holds("/etc/hosts", entry) and not Node().holds("/etc/hosts", entry)


@pytest.mark.parametrize("doc", [
    {"path": "/etc/hosts", "hosts": "ns[0-1]", "mode": "0644", "sha256": SHA, "size": 12, "template": "hosts/hosts.j2"},
    {"path": "/usr/sbin/x", "hosts": "xena1", "type": "symlink", "target": "/usr/sbin/y", "template": "symlink"},
])
def test_a_manifest_entry_round_trips(doc):
    entry = ManifestEntry.from_json(doc)
    assert entry is not None and entry.to_json() == doc and list(entry.to_json()) == list(doc)
    assert ManifestEntry.from_json(json.loads(json.dumps(entry.to_json()))) == entry


@pytest.mark.parametrize("change", [
    {"mode": "644"}, {"mode": "4755"}, {"sha256": "A" * 64}, {"path": "etc/hosts"}, {"path": "/etc/../shadow"},
    {"hosts": 7}, {"size": -1}, {"size": True}, {"template": 3}, {"type": "fifo"},
])
def test_a_malformed_manifest_entry_is_not_read(change):
    doc = {"path": "/etc/hosts", "hosts": "ns0", "mode": "0644", "sha256": SHA, "size": 1, "template": "t"}
    assert ManifestEntry.from_json({**doc, **change}) is None
    assert valid_manifest({"format": "hagen-manifest/1", "hosts": "ns0", "files": [{**doc, **change}]}) is None


def test_a_manifest_round_trips_byte_for_byte():
    files = [OutFile("ns0", "/etc/hosts", b"a", 0o644, "t"), OutFile("ns1", "/etc/hosts", b"a", 0o644, "t"),
             OutFile("ns1", "/etc/x", b"s", 0o600, "u"), OutFile("xena1", "/usr/sbin/x", b"/y", 0o777, "symlink", "/y")]
    manifest = manifest_of(files)
    assert all(isinstance(e, ManifestEntry) for e in manifest["files"])
    data = manifest_bytes(manifest)
    again = valid_manifest(json.loads(data))
    assert again == manifest and manifest_bytes(again) == data
    assert json.loads(data)["files"][0] == {"path": "/etc/hosts", "hosts": "ns[0-1]", "mode": "0644",
                                            "sha256": files[0].sha256, "size": 1, "template": "t"}


def test_a_node_record_round_trips_and_a_malformed_one_says_where():
    nodes = {"ns0": Node(True, {"/a": FileState(SHA, "4755", 2), "/b": MISSING}, "/g", ()),
             "ns1": Node(written={"/c": FileState(target="/d", shared=True)})}
    data = nodes_bytes(nodes)
    assert nodes_from_json(json.loads(data)) == nodes and nodes_bytes(nodes_from_json(json.loads(data))) == data
    assert Node().took([("/a", FileState(SHA, "0644"), FileState(SHA, "0644", shared=True))]).to_json() == {
        "gathered": False, "files": {"/a": {"sha256": SHA, "mode": "0644"}},
        "written": {"/a": {"sha256": SHA, "mode": "0644", "shared": True}}}
    assert Node(files={"/a": MISSING}, written={"/a": FileState(target="/x")}).took([("/a", None, None)]) == \
        Node(files={}, written={})
    with pytest.raises(NotARecord, match="ns1: 'into' is not a normalised absolute path"):
        nodes_from_json({"format": "hagen-nodes/1", "nodes": {"ns1": {"into": "relative"}}})
    with pytest.raises(NotARecord, match="hagen never wrote a missing or unusable file"):
        nodes_from_json({"format": "hagen-nodes/1", "nodes": {"ns1": {"written": {"/a": {"missing": True}}}}})


def test_a_push_plan_round_trips_and_a_malformed_one_is_refused_with_ha133():
    plan = PushPlan((PlanEntry("ns0", "/a", SHA, "0600"), PlanEntry("xena1", "/l", target="/t")), (("ns1", "/old"),))
    doc = json.loads(json.dumps(plan.to_json()))
    assert PushPlan.from_json(doc) == plan
    doc["send"][0]["mode"] = "600"
    with pytest.raises(InputRefused) as info:
        PushPlan.from_json(doc, "plan.json")
    assert [(r.code, r.where.key) for r in info.value.reports] == [("HA133", "send[0].mode")]


@pytest.mark.parametrize("write, why", [
    (lambda p: p.write_text("{"), "not JSON"),
    (lambda p: p.write_text('{"format": "hagen-nodes/1", "nodes": {"ns0": {"gathered": "yes"}}}'), "ns0: a node is"),
    (lambda p: p.symlink_to("/etc/hostname"), "a symbolic link, never followed"),
    (lambda p: p.mkdir(), "not a regular file"),
])
def test_a_record_that_is_not_valid_is_absent_with_an_ha971_warning(tmp_path, write, why):
    from hagen.emit import OutputTree
    from hagen.emit.nodes import read_nodes

    tree = OutputTree(tmp_path / "out")
    tree.store.mkdir()
    write(tree.store / "nodes.json")
    reports: list = []
    assert read_nodes(tree, reports) == {} and read_nodes(tree) == {}
    [report] = reports
    assert report.code == "HA971" and report.severity.name == "WARNING" and why in report.message, report.message
    assert report.where.file == str(tree.store / "nodes.json")
    (tree.store / "nodes.json").unlink() if not (tree.store / "nodes.json").is_dir() else None
    if not (tree.store / "nodes.json").exists():
        absent: list = []
        assert read_nodes(tree, absent) == {} and absent == []          # no record at all: nothing to say
