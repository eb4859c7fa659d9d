"""Shared test fixtures: paths, the command-line runner (cli_runner), copies of the examples, the tree walker."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from hypothesis import settings

# a suite run must not fail by chance: each property test draws the same examples every
# run (HYPOTHESIS_PROFILE=explore draws new ones, to look for what the fixed ones miss)
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GOLDEN = REPO / "golden"
SHARED = REPO.parent / "shared"
CHECK_TREE = SHARED / "oracles" / "check-tree"


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite golden/ from the current build instead of comparing (never in CI)")


@pytest.fixture
def example_copy(tmp_path):
    """copy('bas5-guide') -> a private copy of an example folder, safe to edit."""
    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(EXAMPLES / name, dest)
        (dest / "fence-password").chmod(0o600) if (dest / "fence-password").exists() else None
        return dest
    return copy



@pytest.fixture(scope="session")
def el9_builds(tmp_path_factory):
    """{example: (its out tree, the Compiled result)} of bas5-guide's and xena's site-el9.yaml,
    built once for every module that reads them (read only: copy before changing a file)."""
    from hagen.compile.pipeline import build

    out = {}
    for name in ("bas5-guide", "xena"):
        root = tmp_path_factory.mktemp(f"el9-{name}") / "out"
        compiled, _ = build(EXAMPLES / name / "site-el9.yaml", root)
        out[name] = (root.resolve(), compiled)
    return out

def walk(root: Path):
    """(relative path, path, lstat) of everything under root, root's own link followed (out is
    a link to the store's tree), in sorted order: the one walk every tree comparison uses."""
    base = Path(root).resolve()
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            yield str(path.relative_to(base)), path, path.lstat()


def tree_contents(root: Path) -> dict:
    """{relative path: (kind, mode, bytes | link target | None)} of everything under root."""
    state = {}
    for rel, path, st in walk(root):
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            state[rel] = ("link", mode, os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            state[rel] = ("dir", mode, None)
        else:
            state[rel] = ("file", mode, path.read_bytes())
    return state


def built_less_ns5_and_ntp(out: Path):
    """The bas5-guide example built at out, its tree locked: (tree, every file it holds, the
    same files less ns5's and every ntp.conf), for commits that remove a host and a file."""
    from hagen.emit import OutputTree
    from hagen.compile.pipeline import build

    build(EXAMPLES / "bas5-guide" / "site.yaml", out)
    tree = OutputTree(out)
    with tree.lock():
        every = tree.carried(set())
        yield tree, every, [f for f in every if f.host != "ns5" and f.path != "/etc/ntp.conf"]


def tree_state(root: Path) -> dict:
    """{relative path: (bytes, mode, mtime_ns)} of every file under root (a link to a file
    counts as that file): what a refused command must leave as it was, mtimes included."""
    state = {}
    if not root.exists():
        return state
    for rel, path, _ in walk(root):
        if path.is_file():
            st = path.stat()
            state[rel] = (path.read_bytes(), st.st_mode & 0o7777, st.st_mtime_ns)
    return state


requires_shared = pytest.mark.skipif(not CHECK_TREE.exists(),
                                     reason="../shared (the oracles) is absent: this clone stands alone")
