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
import subprocess
import threading
import time

import pytest

from clusterdb_helpers import cli
from conftest import EXAMPLES, tree_state
from faults_helpers import PausedBuild, assert_complete, store_leftovers
from hagen.emit import MANIFEST, OutputTree, valid_manifest
from hagen.emit.commit import carried
from hagen.errors import OutputError
from hagen.pipeline import build

SITE = EXAMPLES / "bas5-guide" / "site.yaml"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    root = tmp_path_factory.mktemp("store-baseline")
    build(SITE, root / "out")
    return root


@pytest.fixture
def built(baseline, tmp_path):
    """A copy of a good build (cp -a keeps the out link and the hard links): tmp/tree/out."""
    subprocess.run(["cp", "-a", str(baseline), str(tmp_path / "tree")], check=True)
    return tmp_path / "tree" / "out"


@pytest.fixture
def victim(tmp_path):
    """A file and a folder outside the store that nothing may change: (file, folder, their state)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("mine\n")
    folder = outside / "dir"
    folder.mkdir()
    (folder / ("ab" * 32 + "-0644")).write_text("mine too\n")
    return outside / "precious", folder, _state(outside)


def _state(root) -> dict:
    found = {}
    for top, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(top, name)
            st = os.lstat(path)
            found[path] = (st.st_ino, st.st_mode, st.st_mtime_ns, st.st_size,
                           open(path, "rb").read() if stat.S_ISREG(st.st_mode) else None)
    return found


def untouched(victim) -> bool:
    return _state(victim[0].parent) == victim[2]


def store(out):
    return out.parent / f".{out.name}.d"


def plant(link, target):
    if link.is_dir() and not link.is_symlink():
        subprocess.run(["rm", "-rf", str(link)], check=True)
    elif link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)


def rebuild(out, site=SITE):
    """A build that must change something (the manifest's file set is edited), in process."""
    return build(site, out)


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


# --------------------------------------------------------------------------- the manifest read back

def test_a_manifest_entry_removed_by_hand_is_repaired(built):
    good = (built / MANIFEST).read_bytes()
    manifest = json.loads(good)
    manifest["files"] = [e for e in manifest["files"] if e["path"] != "/etc/ntp.conf"]
    os.chmod(built / MANIFEST, 0o600)
    (built / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    res = cli("build", "--site", SITE, "--out", built)
    assert res.code == 0 and "up to date" not in res.stdout, res.output
    assert (built / MANIFEST).read_bytes() == good


@pytest.mark.parametrize("edit", [
    lambda m: m["files"][0].update(hosts="ns[0-"),
    lambda m: m["files"][0].update(path="/etc/../../../etc/shadow"),
    lambda m: m["files"][0].update(path="etc/hosts"),
    lambda m: m["files"][0].update(hosts="-oProxyCommand=x"),
    lambda m: m["files"][1].update(sha256="../../x"),
    lambda m: m["files"][1].update(mode="0999"),
    lambda m: m.update(format="hagen-manifest/0"),
    lambda m: m.update(files={}),
    lambda m: m.update(hosts="ns[0-100000000]"),
], ids=["hosts-unparsable", "dotdot", "relative", "host-option", "sha256", "mode", "format", "files", "huge"])
def test_a_malformed_manifest_is_treated_as_absent_and_the_build_repairs_it(built, edit):
    good = (built / MANIFEST).read_bytes()
    manifest = json.loads(good)
    edit(manifest)
    assert valid_manifest(json.loads(json.dumps(manifest))) is None
    os.chmod(built / MANIFEST, 0o600)
    (built / MANIFEST).write_text(json.dumps(manifest))
    assert OutputTree(built).manifest() is None
    res = cli("diff", "--site", SITE, "--against", built)
    assert res.code in (0, 1) and "Traceback" not in res.output, res.output
    res = cli("build", "--site", SITE, "--out", built)
    assert res.code == 0, res.output
    assert (built / MANIFEST).read_bytes() == good


def test_extra_manifest_keys_are_written_and_accepted(built):
    tree = OutputTree(built)
    with tree.lock():
        files = carried(tree, set())
        tree.commit(files, extra={"expected": {"ns0": {"/etc/hosts": "x"}}})
        with pytest.raises(OutputError):
            tree.commit(files, extra={"files": []})
    manifest = OutputTree(built).manifest()
    assert manifest["expected"] == {"ns0": {"/etc/hosts": "x"}}
    assert_complete(built)


# --------------------------------------------------------------------------- out hagen did not make

def test_a_plain_folder_holding_a_manifest_is_never_moved_or_deleted(tmp_path, baseline):
    out = tmp_path / "out"
    subprocess.run(["cp", "-r", str(baseline / "out") + "/.", str(out)], check=True)   # a copy: plain files
    (out / "notes.txt").write_text("mine\n")
    before = _state(out)
    res = cli("build", "--site", SITE, "--out", out)
    assert res.code == 3 and "not a hagen output tree" in res.stderr and "move it away" in res.stderr, res.output
    assert _state(out) == before and out.is_dir() and not out.is_symlink()


@pytest.mark.parametrize("kind", ["empty-folder", "file", "link-elsewhere"])
def test_an_out_hagen_did_not_make_is_refused(tmp_path, victim, kind):
    out = tmp_path / "out"
    if kind == "empty-folder":
        out.mkdir()
    elif kind == "file":
        out.write_text("mine\n")
    else:
        out.symlink_to(victim[1])
    res = cli("build", "--site", SITE, "--out", out)
    assert res.code == 3 and "not a hagen output tree" in res.stderr, res.output
    assert untouched(victim) and (out.is_symlink() or out.exists())


def test_out_slash_is_refused_and_leaves_nothing(tmp_path):
    res = cli("build", "--site", SITE, "--out", "/")
    assert res.code == 3 and "Traceback" not in res.output, res.output
    assert not os.path.lexists("/..d") and not os.path.lexists("/.d")


def test_an_out_whose_parent_is_a_file_is_refused_cleanly(tmp_path):
    (tmp_path / "file").write_text("x\n")
    res = cli("build", "--site", SITE, "--out", tmp_path / "file" / "out")
    assert res.code == 3 and "Traceback" not in res.output and "cannot use" in res.stderr, res.output


def test_a_tree_of_the_generations_layout_is_converted(built):
    s = store(built)
    os.rename(s / "tree", s / "gen-3")
    os.unlink(built)
    os.symlink(".out.d/gen-3", built)
    before = {k: v[:2] for k, v in tree_state(built).items()}
    build(SITE, built)
    assert os.readlink(built) == ".out.d/tree" and not (s / "gen-3").exists()
    assert {k: v[:2] for k, v in tree_state(built).items()} == before
    assert store_leftovers(built) == []


# --------------------------------------------------------------------------- who may read

def test_the_store_is_the_owners_only(built):
    """The manifest and the objects' names give the sha256 of the 0600 cluster.conf."""
    s = store(built)
    assert stat.S_IMODE(os.stat(s).st_mode) == 0o700
    for name in ("inputs.json", "lock", "apply.lock"):
        assert stat.S_IMODE(os.stat(s / name).st_mode) == 0o600, name
    assert stat.S_IMODE(os.stat(built / MANIFEST).st_mode) == 0o600
    os.chmod(s, 0o755)
    build(SITE, built)
    assert stat.S_IMODE(os.stat(s).st_mode) == 0o700


def test_verified_source_checks_what_push_sends(built, victim):
    tree = OutputTree(built)
    entry = next(e for e in tree.manifest()["files"] if e["path"] == "/etc/ntp.conf")
    path = tree.verified_source("ns0", "/etc/ntp.conf", entry["sha256"])
    assert path.read_bytes() == (built / "ns0/etc/ntp.conf").read_bytes()
    for host, where, sha in [("ns0", "/etc/ntp.conf", "0" * 64), ("-oProxyCommand=x", "/etc/ntp.conf", entry["sha256"]),
                             ("ns0", "/etc/../../etc/shadow", entry["sha256"]), ("ns0", "/etc/nothing", entry["sha256"])]:
        with pytest.raises(OutputError):
            tree.verified_source(host, where, sha)
    target = built / "ns0/etc/ntp.conf"
    data = target.read_bytes()
    target.unlink()
    victim[0].write_bytes(data)
    target.symlink_to(victim[0])                         # the right bytes, through a link: refused
    with pytest.raises(OutputError, match="not a regular file"):
        tree.verified_source("ns0", "/etc/ntp.conf", entry["sha256"])


def test_readers_wait_for_an_apply_and_see_the_new_tree_whole(built, tmp_path, example_copy):
    folder = example_copy("bas5-guide")
    site = folder / "site.yaml"
    site.write_text(site.read_text().replace("stratum: 10", "stratum: 8"))
    child = PausedBuild("link", 2, ["build", "--site", site, "--out", built], tmp_path)
    seen = {}

    def reader():
        with OutputTree(built).reading():
            seen["at"] = time.monotonic()
            seen["ntp"] = {h: (built / h / "etc/ntp.conf").read_text() for h in ("ns0", "ns13")}
    try:
        child.wait_paused()                  # one file of two changed: a half-applied tree
        thread = threading.Thread(target=reader)
        thread.start()
        time.sleep(0.5)
        assert "at" not in seen, "a reader entered while a build applied its changes"
        released = time.monotonic()
        code, out, err = child.release()
        thread.join(30)
    finally:
        child.cleanup()
    assert code == 0, out + err
    assert seen["at"] >= released and all("stratum 8" in t for t in seen["ntp"].values())


def test_state_files_of_the_deploy_side_are_read_and_written_without_following_links(built, victim):
    tree = OutputTree(built)
    plant(store(built) / "pushed.json", victim[0])
    assert tree.read_state("pushed.json") is None
    with tree.lock():
        tree.write_state("pushed.json", {"format": "x"})
        with pytest.raises(OutputError):
            tree.write_state("inputs.json", {})
    assert untouched(victim) and tree.read_state("pushed.json") == {"format": "x"}
    assert stat.S_IMODE(os.lstat(store(built) / "pushed.json").st_mode) == 0o600


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


@pytest.mark.skipif(os.geteuid() != 0, reason="giving the store to another user needs root")
def test_a_store_of_another_user_is_refused(built, victim):
    """Across users: a store someone else made (and could fill with links) is not used."""
    os.chown(store(built), 65534, 65534)
    res = cli("build", "--site", SITE, "--out", built)
    assert res.code == 3 and "belongs to another user" in res.stderr, res.output
    assert untouched(victim)
