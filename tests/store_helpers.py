"""Fixtures of the output store's tests (test_emit_store.py, test_emit_tree.py, test_emit_manifest.py):
a good build copied per test, and a victim outside the store that nothing may change."""

from __future__ import annotations

import stat
import subprocess

import pytest

from conftest import EXAMPLES, walk
from hagen.compile.pipeline import build

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
    """Everything under root with its inode too: nothing may be replaced, even by an equal copy."""
    return {rel: (st.st_ino, st.st_mode, st.st_mtime_ns, st.st_size,
                  path.read_bytes() if stat.S_ISREG(st.st_mode) else None)
            for rel, path, st in walk(root)}


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
