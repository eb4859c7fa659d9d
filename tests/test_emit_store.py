"""The output store trusts nothing it finds between runs (docs/security.md, "The output store").

A link planted in place of any file hagen opens in the store is never followed: the build
refuses (the locks, the store itself) or replaces the link (inputs.json, the manifest, the
objects, the journal, the tree's folders), and nothing outside the store changes. A manifest
read back is validated or treated as absent, and the next build repairs the tree. An out
that hagen did not make is never moved or deleted.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from cli_runner import cli
from conftest import tree_state
from faults_helpers import assert_complete, store_leftovers
from hagen.emit import MANIFEST, OutputTree
from hagen.compile.pipeline import build
from store_helpers import SITE, _state, baseline, built, plant, store, untouched, victim  # noqa: F401 (fixtures)


# --------------------------------------------------------------------------- planted links

@pytest.mark.parametrize("name", ["lock", "apply.lock"])
def test_a_lock_planted_as_a_link_is_refused_and_not_followed(built, victim, name):
    plant(store(built) / name, victim[0])
    res = cli("build", "--site", SITE, "--out", built)
    assert res.code == 3 and "symbolic link" in res.stderr and "Traceback" not in res.output, res.output
    assert untouched(victim)


def test_a_store_that_is_a_link_is_refused(tmp_path, victim):
    out = tmp_path / "out"
    store(out).symlink_to(victim[1])
    res = cli("build", "--site", SITE, "--out", out)
    assert res.code == 3 and "symbolic link" in res.stderr, res.output
    assert untouched(victim) and not out.exists()


def test_inputs_json_planted_as_a_link_is_replaced_not_followed(built, victim):
    record = store(built) / "inputs.json"
    victim[0].write_bytes(record.read_bytes())        # even a true record is not read through a link
    plant(record, victim[0])
    victim = (victim[0], victim[1], _state(victim[0].parent))
    compiled, result = build(SITE, built)
    assert compiled is not None, "a record read through a link was trusted"
    assert result.noop and untouched(victim)
    assert stat.S_ISREG(os.lstat(record).st_mode)


def test_a_manifest_planted_as_a_link_is_not_read_and_is_repaired(built, victim):
    manifest = built / MANIFEST
    victim[0].write_bytes(manifest.read_bytes())
    plant(manifest, victim[0])
    victim = (victim[0], victim[1], _state(victim[0].parent))
    assert OutputTree(built).manifest() is None
    compiled, result = build(SITE, built)
    assert compiled is not None and untouched(victim)
    assert stat.S_ISREG(os.lstat(built / MANIFEST).st_mode)
    assert_complete(built)


def test_a_manifest_folder_planted_as_a_link_is_replaced(built, victim):
    (victim[1] / "manifest.json").write_bytes((built / MANIFEST).read_bytes())
    victim = (victim[0], victim[1], _state(victim[0].parent))
    plant(built / ".hagen", victim[1])
    build(SITE, built)
    assert untouched(victim) and not (built / ".hagen").is_symlink()
    assert_complete(built)


def test_the_objects_folder_planted_as_a_link_is_neither_followed_nor_collected(built, victim):
    """Collection removes unused objects: through a planted link it would delete files outside."""
    plant(store(built) / "objects", victim[1])
    build(SITE, built)
    assert untouched(victim)
    assert not (store(built) / "objects").is_symlink()
    assert_complete(built)


def test_a_link_planted_among_the_objects_is_not_followed_nor_its_target_deleted(built, victim):
    objects = store(built) / "objects"
    ntp = os.stat(built / "ns0/etc/ntp.conf")
    obj = next(p for p in objects.glob("*/*") if p.stat().st_ino == ntp.st_ino)
    plant(obj, victim[0])                               # the object the tree uses, and
    (objects / "ab").mkdir(exist_ok=True)
    (objects / "ab" / ("ab" * 32 + "-0644")).symlink_to(victim[1] / ("ab" * 32 + "-0644"))   # a stray one
    _, result = build(SITE, built)
    assert untouched(victim)
    assert stat.S_ISREG(os.lstat(obj).st_mode) and result.objects_written == 1
    assert_complete(built)
    assert store_leftovers(built) == []


@pytest.mark.parametrize("what", ["link", "garbage", "outside-path"])
def test_a_journal_that_is_not_ours_is_dropped_unapplied(built, victim, what):
    journal = store(built) / "journal.json"
    bad = {"format": "hagen-journal/1", "link_out": False, "manifest": json.loads((built / MANIFEST).read_text()),
           "ops": [["rm", "ns0", "/../../outside/precious", None]]}
    if what == "link":
        victim[0].write_text(json.dumps(dict(bad, ops=[["rm", "ns0", "/etc/hosts", None]])))
        victim = (victim[0], victim[1], _state(victim[0].parent))
        plant(journal, victim[0])
    else:
        journal.write_text("{not json" if what == "garbage" else json.dumps(bad))
    before = tree_state(built)
    res = cli("diff", "--site", SITE, "--against", built)
    assert res.code == 0, res.output
    assert not journal.exists() and not journal.is_symlink()
    assert tree_state(built) == before and untouched(victim)


def test_a_tree_folder_planted_as_a_link_is_replaced_not_written_through(built, victim, example_copy):
    plant(store(built) / "tree" / "ns0" / "etc", victim[1])
    folder = example_copy("bas5-guide")
    site = folder / "site.yaml"
    site.write_text(site.read_text().replace("stratum: 10", "stratum: 8"))
    build(site, built)
    assert untouched(victim)
    assert not (built / "ns0/etc").is_symlink() and "stratum 8" in (built / "ns0/etc/ntp.conf").read_text()
    assert_complete(built)


@pytest.mark.parametrize("name", ["tree", "tree.new"])
def test_the_tree_planted_as_a_link_is_replaced(built, victim, name, example_copy):
    plant(store(built) / name, victim[1])
    folder = example_copy("bas5-guide")
    site = folder / "site.yaml"
    site.write_text(site.read_text().replace("stratum: 10", "stratum: 8"))
    build(site, built)
    assert untouched(victim)
    assert not (store(built) / "tree").is_symlink() and not (store(built) / "tree.new").exists()
    assert_complete(built)


def test_files_the_deploy_side_keeps_in_the_store_survive_every_build(built, example_copy):
    s = store(built)
    (s / "pushed.json").write_text('{"mine": 1}\n')
    (s / "nodes").mkdir()
    (s / "nodes" / "ns0.json").write_text("{}\n")
    (s / "gathered").mkdir()
    (s / "gathered" / "hosts.ns0").write_text("x\n")
    kept = _state(s / "nodes"), _state(s / "gathered"), (s / "pushed.json").read_text()
    folder = example_copy("bas5-guide")
    site = folder / "site.yaml"
    site.write_text(site.read_text().replace("stratum: 10", "stratum: 8"))
    build(site, built)
    build(site, built, hosts={"ns0", "ns13"})
    build(SITE, built)
    assert (_state(s / "nodes"), _state(s / "gathered"), (s / "pushed.json").read_text()) == kept


def test_an_object_edited_with_its_mtime_put_back_is_still_seen(built):
    """The recorded inode, size and mtime would not tell: the ctime does."""
    obj = next(p for p in (store(built) / "objects").glob("*/*")
               if p.stat().st_ino == os.stat(built / "ns0/etc/ntp.conf").st_ino)
    st = obj.stat()
    good = obj.read_bytes()
    os.chmod(obj, 0o644)
    with open(obj, "r+b") as f:
        f.write(b"X")
    os.utime(obj, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not OutputTree(built).intact()
    build(SITE, built)
    assert (built / "ns0/etc/ntp.conf").read_bytes() == good


def test_a_journal_whose_objects_are_gone_is_undone_and_the_tree_repaired(built):
    """A killed build's journal names an object someone removed since: the next command cannot
    roll it forward, so it rolls back (or, failing that, distrusts the tree), and the next
    build repairs whatever is left."""
    good = {k: v[:2] for k, v in tree_state(built).items()}
    manifest = json.loads((built / MANIFEST).read_text())
    old = {e["path"]: ["obj", f"{e['sha256']}-{e['mode']}"] for e in manifest["files"] if "sha256" in e}
    journal = {"format": "hagen-journal/1", "link_out": False, "manifest": manifest,
               "ops": [["put", "ns0", "/etc/hosts", "cd" * 32 + "-0644", old["/etc/hosts"]],
                       ["put", "ns0", "/etc/ntp.conf", "ef" * 32 + "-0644", old["/etc/ntp.conf"]]]}
    (store(built) / "journal.json").write_text(json.dumps(journal))
    res = cli("build", "--site", SITE, "--out", built)
    assert res.code == 0, res.output
    assert not (store(built) / "journal.json").exists()
    assert {k: v[:2] for k, v in tree_state(built).items()} == good
    assert_complete(built)
