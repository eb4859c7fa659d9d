"""OutputTree: an out hagen did not make is never moved or deleted, the store is its owner's
only, what push sends is verified, and readers never see a half-applied tree."""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import threading
import time

import pytest

from cli_runner import cli
from conftest import tree_state
from faults_helpers import PausedBuild, store_leftovers
from hagen.emit import MANIFEST, OutputTree
from hagen.base.errors import OutputError
from hagen.compile.pipeline import build
from store_helpers import SITE, _state, baseline, built, plant, store, untouched, victim  # noqa: F401 (fixtures)


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


def test_a_tree_of_the_generations_layout_is_converted_in_place(built):
    """A tree of the hagen that kept generations (out -> .out.d/gen-N) becomes the store's tree
    by a rename: no file is written again, and the old generations go."""
    s = store(built)
    os.rename(s / "tree", s / "gen-3")
    (s / "gen-2").mkdir()
    os.unlink(built)
    os.symlink(".out.d/gen-3", built)
    before = {k: v[:2] for k, v in tree_state(built).items()}
    inodes = {str(p.relative_to(s / "gen-3")): p.stat().st_ino for p in (s / "gen-3").rglob("*") if p.is_file()}
    build(SITE, built)
    assert os.readlink(built) == ".out.d/tree" and not (s / "gen-3").exists() and not (s / "gen-2").exists()
    assert {k: v[:2] for k, v in tree_state(built).items()} == before
    assert {str(p.relative_to(s / "tree")): p.stat().st_ino for p in (s / "tree").rglob("*") if p.is_file()} \
        == inodes, "a file of the converted tree was written again"
    assert store_leftovers(built) == []


def test_a_conversion_killed_between_its_two_renames_is_finished_by_the_next_command(built):
    s = store(built)
    before = {k: v[:2] for k, v in tree_state(built).items()}
    os.unlink(built)
    os.symlink(".out.d/gen-3", built)           # the generation was renamed into the tree, out not yet
    res = cli("diff", "--site", SITE, "--against", built)
    assert res.code == 0, res.output
    assert os.readlink(built) == ".out.d/tree" and (s / "tree").is_dir()
    assert {k: v[:2] for k, v in tree_state(built).items()} == before


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
    entry = next(e for e in tree.manifest()["files"] if e.path == "/etc/ntp.conf")
    path = tree.verified_source("ns0", "/etc/ntp.conf", entry.sha256)
    assert path.read_bytes() == (built / "ns0/etc/ntp.conf").read_bytes()
    for host, where, sha in [("ns0", "/etc/ntp.conf", "0" * 64), ("-oProxyCommand=x", "/etc/ntp.conf", entry.sha256),
                             ("ns0", "/etc/../../etc/shadow", entry.sha256), ("ns0", "/etc/nothing", entry.sha256)]:
        with pytest.raises(OutputError):
            tree.verified_source(host, where, sha)
    target = built / "ns0/etc/ntp.conf"
    data = target.read_bytes()
    target.unlink()
    victim[0].write_bytes(data)
    target.symlink_to(victim[0])                         # the right bytes, through a link: refused
    with pytest.raises(OutputError, match="not a regular file"):
        tree.verified_source("ns0", "/etc/ntp.conf", entry.sha256)


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
        # the lock a reader takes is refused while the build applies: a reader cannot enter now
        probe = os.open(store(built) / "apply.lock", os.O_RDONLY | os.O_NOFOLLOW)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
        finally:
            os.close(probe)
        thread = threading.Thread(target=reader)
        thread.start()
        released = time.monotonic()
        code, out, err = child.release()
        thread.join(30)
    finally:
        child.cleanup()
    assert code == 0, out + err
    assert seen["at"] >= released and all("stratum 8" in t for t in seen["ntp"].values())


@pytest.mark.skipif(os.geteuid() != 0, reason="giving the store to another user needs root")
def test_a_store_of_another_user_is_refused(built, victim):
    """Across users: a store someone else made (and could fill with links) is not used."""
    os.chown(store(built), 65534, 65534)
    res = cli("build", "--site", SITE, "--out", built)
    assert res.code == 3 and "belongs to another user" in res.stderr, res.output
    assert untouched(victim)


def test_too_many_hard_links_to_one_file_says_what_to_do(tmp_path, monkeypatch):
    """Every host's /etc/hosts is a hard link to one object: past the file system's limit
    (ext4: 65,000) the build stops, says why and what to do, and writes no tree."""
    import errno

    real_link = os.link

    def limited(src, dst, *a, **k):
        if str(dst).endswith("/etc/hosts"):
            raise OSError(errno.EMLINK, os.strerror(errno.EMLINK))
        return real_link(src, dst, *a, **k)

    monkeypatch.setattr(os, "link", limited)
    with pytest.raises(OutputError, match="Too many links") as info:
        build(SITE, tmp_path / "out")
    assert "XFS" in info.value.hint and "65,000" in info.value.hint
    assert not os.path.lexists(tmp_path / "out")
    assert [n for n in store_leftovers(tmp_path / "out") if not n.startswith("objects/")] == []
