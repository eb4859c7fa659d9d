"""hagen.load.secrets: a password file is read at once or refused at once, and its value is masked."""

from __future__ import annotations

import os
import shutil

import pytest

from cli_runner import cli
from conftest import EXAMPLES


@pytest.fixture
def folder(tmp_path):
    dest = tmp_path / "bas5-guide"
    shutil.copytree(EXAMPLES / "bas5-guide", dest)
    (dest / "fence-password").unlink()
    return dest


@pytest.mark.parametrize("make, code, words", [
    (lambda p: os.mkfifo(p), "HA113", "is a FIFO, not a regular file"),
    (lambda p: p.symlink_to("/dev/zero"), "HA113", "is a device"),
    (lambda p: p.mkdir(), "HA113", "is a directory"),
    (lambda p: p.write_bytes(b"x" * 2_000_000), "HA114", "more than the limit"),
    (lambda p: p.write_bytes(b"\xff\xfe\n"), "HA102", "not UTF-8 text"),
], ids=["fifo", "dev-zero", "folder", "huge", "not-utf8"])
def test_a_password_file_that_is_no_file_is_refused_at_once(folder, tmp_path, make, code, words):
    """A FIFO would hang a read, /dev/zero fill memory: refused before either (the command returns)."""
    make(folder / "fence-password")
    for command in (["check"], ["build", "--out", tmp_path / "out"]):
        r = cli(*command, "--site", folder / "site.yaml")
        assert r.code == 2, r.output
        assert f"management.fencing.password_file: error {code}" in r.stderr and words in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_the_first_line_is_the_password_and_is_remembered_for_masking(folder, tmp_path):
    from hagen.base.masking import forget_all, remembered

    forget_all()
    (folder / "fence-password").write_text("first-line-pw\r\nsecond line\n")
    (folder / "fence-password").chmod(0o600)
    r = cli("render", "ns0", "/etc/cluster/cluster.conf", "--site", folder / "site.yaml", "--show-secrets",
            "--out", tmp_path / "out")
    assert r.code == 0 and 'passwd="first-line-pw"' in r.stdout
    assert "first-line-pw" in remembered()
    forget_all()


@pytest.mark.parametrize("example", ["bas5-guide", "xena"])
def test_each_secret_is_read_once_per_build(example, tmp_path, monkeypatch):
    """load reads every fence password once; check and the planners take what it read."""
    from hagen.emit import OutputTree
    from hagen.load import secrets
    from hagen.compile.pipeline import compile_site

    reads = []
    real = secrets.read_fence_password

    def counted(site, section="management"):
        reads.append(section)
        return real(site, section)

    monkeypatch.setattr(secrets, "read_fence_password", counted)
    compiled = compile_site(EXAMPLES / example / "site.yaml", OutputTree(tmp_path / "out"))
    assert compiled.files
    assert reads and sorted(reads) == sorted(set(reads)), f"sections read more than once: {reads}"
