"""hagen.emit.journal: the plan of a rebuild, from the tree or from its manifest."""

from __future__ import annotations

import pytest

import hagen.emit.commit as commit_module
from conftest import EXAMPLES, built_less_ns5_and_ntp
from faults_helpers import assert_complete, store_leftovers
from hagen.emit import OutFile, OutputTree
from hagen.emit.journal import plan
from hagen.compile.pipeline import build

SITE = EXAMPLES / "bas5-guide" / "site.yaml"


def one(host, path, data, link=None):
    return OutFile(host, path, data, 0o644, "t", link)


@pytest.fixture
def both_plans(monkeypatch):
    """Every commit plans twice, from the manifest and by looking at every file, and the two
    must agree; the list says how many operations each commit planned, and whether the
    manifest planned them too."""
    planned = []

    def checked(tree_fd, by_host, inodes, previous, listed, intact=False):
        looked = plan(tree_fd, by_host, inodes, previous, listed, False)
        if intact:
            assert plan(tree_fd, by_host, inodes, previous, listed, True) == looked
        planned.append((len(looked), intact))
        return looked

    monkeypatch.setattr(commit_module, "plan", checked)
    return planned


def test_an_intact_trees_manifest_plans_what_looking_at_every_file_plans(tmp_path, both_plans):
    out = tmp_path / "out"
    tree = OutputTree(out)
    steps = [[one("ns0", "/etc/foo", b"a\n"), one("ns0", "/etc/keep", b"k\n"), one("ns1", "/etc/keep", b"k\n")],
             # a file becomes a folder, a link appears, a host goes
             [one("ns0", "/etc/foo/bar", b"b\n"), one("ns0", "/etc/keep", b"k\n"), one("ns0", "/etc/link", b"/x", "/x")],
             # and back; a link becomes a folder; a host comes
             [one("ns0", "/etc/foo", b"c\n"), one("ns0", "/etc/keep", b"k\n"), one("ns0", "/etc/link/deeper", b"d\n"),
              one("ns2", "/etc/keep", b"k2\n")],
             # a file becomes a link, a link's target moves, the same content under another mode
             [one("ns0", "/etc/keep", b"k\n"), one("ns0", "/etc/foo", b"/elsewhere", "/elsewhere"),
              OutFile("ns2", "/etc/keep", b"k2\n", 0o600, "t")],
             [one("ns0", "/etc/keep", b"k\n"), one("ns0", "/etc/foo", b"/there", "/there"),
              OutFile("ns2", "/etc/keep", b"k2\n", 0o600, "t")]]
    for files in steps:
        with tree.lock():
            intact = tree.intact()
            tree.commit(files, intact=intact)
        assert_complete(out)
        assert store_leftovers(out) == []
    assert both_plans == [(3, False), (4, True), (5, True), (3, True), (1, True)]


def test_a_rebuild_of_the_example_plans_the_same_both_ways(tmp_path, both_plans):
    out = tmp_path / "out"
    for tree, every, files in built_less_ns5_and_ntp(out):
        files = [f if f.path != "/etc/hosts" else OutFile(f.host, f.path, f.data + b"# more\n", 0o644, f.template)
                 for f in files]
        assert tree.intact()
        tree.commit(files, intact=True)
    assert both_plans[-1] == (len(every) - len(files) + sum(f.path == "/etc/hosts" for f in files), True)
    assert (out / "ns0/etc/hosts").read_bytes().endswith(b"# more\n") and not (out / "ns5").exists()


def test_a_tree_changed_by_hand_is_planned_by_looking_not_from_its_manifest(tmp_path):
    """intact() is what lets a build skip looking: a file replaced behind hagen's back makes
    it False, and the rebuild of the same inputs puts the file back."""
    out = tmp_path / "out"
    build(SITE, out)
    hosts = out / "ns0/etc/hosts"
    wanted = hosts.read_bytes()
    hosts.unlink()
    hosts.write_bytes(b"edited\n")
    tree = OutputTree(out)
    with tree.lock():
        assert not tree.intact()
        result = tree.commit(tree.carried(set()), intact=False)
    assert hosts.read_bytes() == wanted and result.changed == 0 and not result.noop
