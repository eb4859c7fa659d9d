"""The output tree: the incremental apply, store once, no-op rebuilds, config_version, the lock."""

from __future__ import annotations

import os
import re

import pytest

from conftest import EXAMPLES, built_less_ns5_and_ntp, tree_state
from hagen.emit import OutputTree
from hagen.base.errors import OutputError
from hagen.compile.pipeline import build

SITE = EXAMPLES / "bas5-guide" / "site.yaml"


def version(out, host="ns0"):
    text = (out / host / "etc/cluster/cluster.conf").read_text()
    return int(re.search(r'config_version="(\d+)"', text).group(1))


def edited_site(example_copy, old: str, new: str):
    folder = example_copy("bas5-guide")
    site = folder / "site.yaml"
    text = site.read_text()
    assert old in text
    site.write_text(text.replace(old, new))
    return site


def test_out_is_a_symlink_to_the_stores_tree(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    assert out.is_symlink() and os.readlink(out) == ".out.d/tree"
    assert (out / ".hagen/manifest.json").is_file()


def test_noop_rebuild_writes_nothing(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    before = tree_state(out)
    inodes = {p: p.stat().st_ino for p in out.resolve().rglob("*") if p.is_file()}
    _, result = build(SITE, out)
    assert result.noop and result.changed == 0 and result.objects_written == 0
    assert tree_state(out) == before
    assert {p: p.stat().st_ino for p in out.resolve().rglob("*") if p.is_file()} == inodes


def test_identical_files_are_stored_once(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    a, b = out / "ns0/etc/HA/start", out / "ns13/etc/HA/start"
    assert a.stat().st_ino == b.stat().st_ino


def test_a_change_rewrites_only_what_it_affects(tmp_path, example_copy):
    site = edited_site(example_copy, "stratum: 10", "stratum: 8")
    out = tmp_path / "out"
    build(SITE, out)
    before, inodes = tree_state(out), entries(out)
    _, result = build(site, out)
    after = tree_state(out)
    changed = sorted(k for k in after if before.get(k, (None,))[0] != after[k][0])
    assert changed == [".hagen/manifest.json", "ns0/etc/ntp.conf", "ns13/etc/ntp.conf"]
    now = entries(out)
    assert sorted(k for k in now if now[k] != inodes.get(k)) == changed      # no folder of any host made again
    assert result.changed == 2
    for k in after:
        if k not in changed:
            assert after[k][2] == before[k][2], f"{k} was rewritten"


def test_config_version_rises_only_when_the_content_changes(tmp_path, example_copy):
    out = tmp_path / "out"
    build(SITE, out)
    assert version(out) == 1
    build(SITE, out)
    assert version(out) == 1
    site = edited_site(example_copy, "service_name: HA_NSM", "service_name: HA_MGMT")
    build(site, out)
    assert version(out, "ns0") == version(out, "ns13") == 2
    build(site, out)
    assert version(out) == 2
    build(SITE, out)
    assert version(out) == 3
    # the same bytes on both nodes, whatever the version
    assert (out / "ns0/etc/cluster/cluster.conf").read_bytes() == (out / "ns13/etc/cluster/cluster.conf").read_bytes()


def test_an_unrelated_change_keeps_config_version(tmp_path, example_copy):
    out = tmp_path / "out"
    build(SITE, out)
    build(edited_site(example_copy, "stratum: 10", "stratum: 9"), out)
    assert version(out) == 1


def test_a_failure_during_emit_leaves_the_previous_tree_whole(tmp_path, example_copy, monkeypatch):
    out = tmp_path / "out"
    build(SITE, out)
    before = tree_state(out)
    calls = {"n": 0}
    real_link = os.link

    def failing_link(src, dst, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:          # the second file of the apply: the first is undone
            raise OSError(28, "No space left on device")
        return real_link(src, dst, *a, **k)

    monkeypatch.setattr(os, "link", failing_link)
    with pytest.raises(OutputError, match="No space left"):
        build(edited_site(example_copy, "stratum: 10", "stratum: 7"), out)
    monkeypatch.undo()
    assert tree_state(out) == before
    assert not (tmp_path / ".out.d/journal.json").exists()
    assert sorted(p.name for p in (tmp_path / ".out.d").iterdir()) == ["apply.lock", "inputs.json", "lock",
                                                                      "objects", "tree"]


def test_a_second_build_refuses_while_the_first_holds_the_lock(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    with OutputTree(out).lock():
        with pytest.raises(OutputError, match="another hagen build"):
            build(SITE, out)


def test_a_foreign_directory_is_not_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious").write_text("mine")
    with pytest.raises(OutputError, match="not a hagen output tree"):
        build(SITE, out)
    assert (out / "precious").read_text() == "mine"


def test_a_file_edited_in_place_is_repaired_by_the_next_build(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    start = out / "ns0/etc/HA/start"
    good = start.read_bytes()
    with open(start, "ab") as f:      # in place: the shared inode changes for both hosts
        f.write(b"/etc/init.d/rogue\n")
    _, result = build(SITE, out)
    assert not result.noop
    assert (out / "ns0/etc/HA/start").read_bytes() == good
    assert (out / "ns13/etc/HA/start").read_bytes() == good


def test_manifest_is_deterministic(tmp_path):
    build(SITE, tmp_path / "a")
    build(SITE, tmp_path / "b")
    assert (tmp_path / "a/.hagen/manifest.json").read_bytes() == (tmp_path / "b/.hagen/manifest.json").read_bytes()


def test_unchanged_inputs_are_recognised_without_compiling(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    compiled, result = build(SITE, out)
    assert compiled is None and result.noop and result.files > 0


def test_a_same_size_edit_in_place_is_still_seen(tmp_path):
    out = tmp_path / "out"
    build(SITE, out)
    ntp = out / "ns0/etc/ntp.conf"
    good = ntp.read_bytes()
    with open(ntp, "r+b") as f:          # same inode, same size: only the mtime and bytes tell
        f.write(b"X")
    compiled, result = build(SITE, out)
    assert compiled is not None and not result.noop
    assert (out / "ns0/etc/ntp.conf").read_bytes() == good


def test_a_changed_input_compiles_again(tmp_path, example_copy):
    out = tmp_path / "out"
    build(SITE, out)
    folder = example_copy("bas5-guide")
    # the secret's mode is an input too (HA103 depends on it): the copy keeps the original's
    (folder / "fence-password").chmod((SITE.parent / "fence-password").stat().st_mode & 0o777)
    compiled, result = build(folder / "site.yaml", out)   # same bytes, other folder: same fingerprint
    assert compiled is None and result.noop
    (folder / "fence-password").write_text("another\n")
    compiled, result = build(folder / "site.yaml", out)
    assert compiled is not None and result.changed == 2     # cluster.conf on both nodes


def test_host_limits_a_build_and_the_other_hosts_keep_their_files(tmp_path, example_copy):
    out = tmp_path / "out"
    build(SITE, out)
    before = tree_state(out)
    folder = example_copy("bas5-guide")
    with open(folder / "site.yaml", "a") as f:
        f.write("\nhosts:\n  extra:\n    - {address: 10.9.9.9, names: [gateway]}\n")
    _, result = build(folder / "site.yaml", out, hosts={"ns0", "ns13"})
    after = tree_state(out)
    assert b"gateway" in after["ns0/etc/hosts"][0] and b"gateway" in after["ns13/etc/hosts"][0]
    assert after["ns1/etc/hosts"] == before["ns1/etc/hosts"]        # not rebuilt: kept as it was
    assert set(after) == set(before)
    assert result.changed == 4          # /etc/hosts and /etc/hosts-tpl (the extras) on ns0 and ns13


def test_host_never_splits_a_cells_cluster_conf(tmp_path):
    from hagen.base.errors import InputRefused

    out = tmp_path / "out"
    build(SITE, out)
    before = tree_state(out)
    with pytest.raises(InputRefused) as info:
        build(SITE, out, hosts={"ns13"})
    assert info.value.reports[0].code == "HA111"
    assert tree_state(out) == before


def entries(out) -> dict:
    """{relative path: inode} of every file, link and folder of the tree (links not followed)."""
    root = out.resolve()
    found = {}
    for top, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(top, name)
            found[os.path.relpath(path, root)] = os.lstat(path).st_ino
    return found


def test_a_one_node_change_gives_new_inodes_only_to_the_files_it_changes(tmp_path, example_copy):
    """ns1's BMC address moves: /etc/hosts changes on every host, nothing else. Only those
    files (and the manifest) get new inodes, one new object is written, and not one folder of
    the tree is made again: every folder, of every host, keeps its inode."""
    out = tmp_path / "out"
    build(SITE, out)
    before, state = entries(out), tree_state(out)
    objects = {p.name: p.stat().st_ino for p in (tmp_path / ".out.d/objects").glob("*/*")}
    folder = example_copy("bas5-guide")
    snapshot = folder / "clusterdb.yaml"
    snapshot.write_text(snapshot.read_text().replace("ipaddr: 10.2.0.2,", "ipaddr: 10.2.0.99,"))
    _, result = build(folder / "site.yaml", out)
    after, new_state = entries(out), tree_state(out)
    assert set(after) == set(before)
    renewed = sorted(k for k in after if after[k] != before[k])
    hosts = sorted({k.split("/")[0] for k in state if not k.startswith(".")})
    assert renewed == sorted([".hagen/manifest.json"] + [f"{h}/etc/hosts" for h in hosts])
    assert sorted(k for k in new_state if new_state[k][0] != state[k][0]) == renewed
    assert all(new_state[k][2] == state[k][2] for k in new_state if k not in renewed), "an unchanged mtime moved"
    now = {p.name: p.stat().st_ino for p in (tmp_path / ".out.d/objects").glob("*/*")}
    new_objects = set(now) - set(objects)
    assert len(new_objects) == 1 and result.objects_written == 1 and result.changed == len(hosts)
    assert all(now[k] == objects[k] for k in now if k in objects), "an object kept was written again"


def test_a_vanished_host_and_file_are_removed_with_their_empty_folders(tmp_path):
    out = tmp_path / "out"
    for tree, every, files in built_less_ns5_and_ntp(out):
        result = tree.commit(files)
    assert result.removed == len(every) - len(files) and result.changed == 0
    assert not (out / "ns5").exists() and not (out / "ns0/etc/ntp.conf").exists()
    assert (out / "ns0/etc/hosts").is_file() and (out / "ns0/etc").is_dir()
    assert "ns5" not in OutputTree(out).manifest()["hosts"]


def test_a_file_that_becomes_a_folder_and_back(tmp_path):
    from faults_helpers import assert_complete, store_leftovers
    from hagen.emit import OutFile

    def one(path, data, link=None):
        return OutFile("ns0", path, data, 0o644, "t", link)

    out = tmp_path / "out"
    tree = OutputTree(out)
    steps = [[one("/etc/foo", b"a\n"), one("/etc/keep", b"k\n")],
             [one("/etc/foo/bar", b"b\n"), one("/etc/keep", b"k\n"), one("/etc/link", b"/x", "/x")],
             [one("/etc/foo", b"c\n"), one("/etc/keep", b"k\n"), one("/etc/link/deeper", b"d\n")],
             [one("/etc/keep", b"k\n"), one("/etc/foo", b"/elsewhere", "/elsewhere")]]
    for files in steps:
        with tree.lock():
            tree.commit(files)
        assert_complete(out)
        assert store_leftovers(out) == []
    assert os.readlink(out / "ns0/etc/foo") == "/elsewhere" and not (out / "ns0/etc/link").exists()


def test_a_failure_after_the_new_tree_is_in_place_says_the_tree_changed(tmp_path, example_copy, monkeypatch):
    import hagen.emit.commit as commit_module

    out = tmp_path / "out"
    build(SITE, out)

    def failing_record(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(commit_module, "_record", failing_record)
    with pytest.raises(OutputError, match="holds the new tree") as info:
        build(edited_site(example_copy, "stratum: 10", "stratum: 6"), out)
    assert "untouched" not in str(info.value) + info.value.hint
    assert "stratum 6" in (out / "ns0/etc/ntp.conf").read_text()
