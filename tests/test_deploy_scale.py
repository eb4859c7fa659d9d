"""What keeps push, gather and diff --against proportional to what differs stays correct.

- The node record is written once per push; what each call confirmed goes to its journal
  at once (hagen.emit.nodes): a push that dies midway leaves a record that knows what
  the nodes confirmed, and never more.
- diff --against a gathered tree takes a copy's content from gather's mark only while the
  copy is the very inode gather wrote, unchanged (hagen.deploy.gathered.ForeignTree.known):
  an administrator's edit, even one that keeps the size and the mtime, is seen.
- gather leaves the tree up to date when the nodes hold what the record said."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from cli_runner import cli
from conftest import EXAMPLES
from deploy_helpers import Nodes, prepare, without_shared_files
from hagen.base.errors import OutputError
from hagen.emit import OutputTree
from hagen.emit import nodes as record
from hagen.emit.nodes import FileState, Node

HOSTS = FileState("a" * 64, "0644")
NTP = FileState("b" * 64, "0644")


def _tree(tmp_path) -> OutputTree:
    tree = OutputTree(tmp_path / "out")
    os.makedirs(tree.store, exist_ok=True)
    return tree


def test_the_journal_is_replayed_over_the_record_and_folded_in_by_the_next_write(tmp_path):
    tree = _tree(tmp_path)
    record.write_nodes(tree, {"ns1": Node()})
    record.journal(tree, {"ns1": [("/etc/hosts", HOSTS, HOSTS)], "ns2": [("/etc/hosts", HOSTS, HOSTS)]})
    on_disk = json.loads((tree.store / "nodes.json").read_text())["nodes"]
    assert on_disk == {"ns1": {"gathered": False, "files": {}}}          # the record itself is not rewritten
    nodes = record.read_nodes(tree)
    assert nodes["ns1"].files == {"/etc/hosts": HOSTS} and nodes["ns2"].written == {"/etc/hosts": HOSTS}
    record.journal(tree, {"ns1": [("/etc/hosts", None, None)]})        # a removal confirmed later
    assert "/etc/hosts" not in record.read_nodes(tree)["ns1"].files
    record.write_nodes(tree, record.read_nodes(tree))
    assert not (tree.store / "nodes.journal").exists()
    assert record.read_nodes(tree)["ns2"].files == {"/etc/hosts": HOSTS}


def test_a_line_cut_short_or_not_valid_ends_the_replay(tmp_path):
    tree = _tree(tmp_path)
    record.journal(tree, {"ns1": [("/etc/hosts", HOSTS, HOSTS)]})
    hosts, ntp = HOSTS.to_json(), NTP.to_json()
    with open(tree.store / "nodes.journal", "a") as f:
        f.write(json.dumps({"hosts": ["ns1"], "files": [["/etc/../shadow", hosts, hosts]]}) + "\n")
        f.write(json.dumps({"hosts": ["ns1"], "files": [["/etc/ntp.conf", ntp, ntp]]}) + "\n")
    assert record.read_nodes(tree)["ns1"].files == {"/etc/hosts": HOSTS}    # nothing after the bad line
    (tree.store / "nodes.journal").write_text(json.dumps({"hosts": ["ns1"], "files": [["/etc/hosts", hosts,
                                                                                       hosts]]})[:-3])
    assert record.read_nodes(tree) == {}                                  # killed mid-line: not confirmed


def test_a_journal_planted_as_a_link_is_neither_followed_nor_written_through(tmp_path):
    tree = _tree(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text(json.dumps({"hosts": ["ns1"], "files": [["/etc/hosts", HOSTS.to_json(),
                                                               HOSTS.to_json()]]}) + "\n")
    os.symlink(victim, tree.store / "nodes.journal")
    assert record.read_nodes(tree) == {}
    with pytest.raises(OutputError):
        record.journal(tree, {"ns1": [("/etc/hosts", HOSTS, HOSTS)]})
    assert victim.read_text().count("\n") == 1


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    example = tmp_path_factory.mktemp("example")
    (example / "x").mkdir()
    for item in (EXAMPLES / "bas5-guide").iterdir():
        if item.is_file():
            (example / "x" / item.name).write_bytes(item.read_bytes())
    site = example / "x" / "site.yaml"
    site.write_text(without_shared_files(site.read_text()))
    return prepare(tmp_path_factory.mktemp("journal"), example / "x")


def test_a_push_that_dies_before_its_record_is_written_keeps_only_what_nodes_confirmed(base, tmp_path,
                                                                                       monkeypatch):
    n = Nodes(base, tmp_path / "w", monkeypatch)
    n.behave(down=["ns13"])
    from hagen.deploy import push as pushing

    def dies(*args, **kwargs):          # as if the process were killed: the journal alone remains
        raise OutputError("killed before the record was written")
    monkeypatch.setattr(pushing, "write_nodes", dies)
    r = cli("push", "--site", n.site, "--out", n.out, "--yes")
    assert r.code != 0
    assert not (n.work / ".out.d/nodes.json").exists() and (n.work / ".out.d/nodes.journal").exists()
    nodes = record.read_nodes(OutputTree(n.out))
    assert "ns13" not in nodes and nodes["ns0"].files
    for path, held in nodes["ns0"].files.items():        # every entry: what the node holds
        on_node = n.node_file("ns0", path)
        if held.is_link:
            assert os.readlink(on_node) == held.target
        else:
            assert hashlib.sha256(on_node.read_bytes()).hexdigest() == held.sha256, path
    monkeypatch.setattr(pushing, "write_nodes", record.write_nodes)
    n.behave()
    r = cli("push", "--site", n.site, "--out", n.out, "--yes")           # a rerun: only what was not confirmed
    assert r.code == 0, r.stdout + r.stderr
    assert "done     ns13" in r.stdout, r.stdout
    assert not (n.work / ".out.d/nodes.journal").exists()


def test_a_gathered_copy_edited_after_gather_is_read_again(base, tmp_path, monkeypatch):
    n = Nodes(base, tmp_path / "w", monkeypatch)
    assert cli("push", "--site", n.site, "--out", n.out, "--yes").code == 0
    r = cli("gather", "--site", n.site, "--out", n.out, "--into", n.work / "g")
    assert r.code == 0, r.stderr
    r = cli("push", "--site", n.site, "--out", n.out, "--dry-run")          # gather found what push recorded
    assert r.code == 0 and "is up to date" in r.stderr, r.stderr
    r = cli("diff", "--site", n.site, "--out", n.out, "--against", n.work / "g")
    assert r.code == 0, r.stdout + r.stderr
    copy = n.work / "g/ns1/etc/hosts"
    before = copy.stat()
    data = copy.read_bytes()
    copy.write_bytes(data.replace(b"10.", b"11.", 1))                          # same size
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))                 # same mtime
    r = cli("diff", "--site", n.site, "--out", n.out, "--against", n.work / "g")
    assert r.code == 1, r.stdout + r.stderr
    assert "changed /etc/hosts on ns1" in r.stdout and "1 of 14 hosts differ" in r.stdout, r.stdout
