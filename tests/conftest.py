"""Shared test fixtures: paths, a hagen runner, copies of the bundled examples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli_runner import Result, cli, run_hagen  # noqa: F401  (the one runner, re-exported)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GOLDEN = REPO / "golden"
SHARED = REPO.parent / "shared"
CHECK_TREE = SHARED / "oracles" / "check-tree"


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite golden/ from the current build instead of comparing (never in CI)")


@pytest.fixture
def hagen():
    return run_hagen


@pytest.fixture
def example_copy(tmp_path):
    """copy('bas5-guide') -> a private copy of an example folder, safe to edit."""
    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(EXAMPLES / name, dest)
        (dest / "fence-password").chmod(0o600) if (dest / "fence-password").exists() else None
        return dest
    return copy


def tree_state(root: Path) -> dict:
    """{relative path: (bytes, mode, mtime_ns)} of every file under root (following out's symlink)."""
    state = {}
    if not root.exists():
        return state
    base = root.resolve()
    for path in sorted(base.rglob("*")):
        if path.is_file():
            st = path.stat()
            state[str(path.relative_to(base))] = (path.read_bytes(), st.st_mode & 0o7777, st.st_mtime_ns)
    return state


requires_shared = pytest.mark.skipif(not CHECK_TREE.exists(),
                                     reason="../shared (the oracles) is absent: this clone stands alone")
