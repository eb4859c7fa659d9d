"""Every example builds to exactly its golden tree, bytes and modes.

golden/<example>/ for examples/<example>/site.yaml, golden/<example>-<variant>/ for
site-<variant>.yaml (CLARIFICATIONS 1). Modes are compared through the golden
manifest, since git keeps only the executable bit (CLARIFICATIONS 7).

Regenerate after an intended change, then review the diff like any code:

    python3 -m pytest tests/test_golden.py --update-goldens
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLES, GOLDEN
from hagen.compile.pipeline import build


def example_sites():
    out = []
    for site in sorted(EXAMPLES.glob("*/site*.yaml")):
        variant = site.stem[len("site"):].lstrip("-")
        name = site.parent.name + (f"-{variant}" if variant else "")
        out.append(pytest.param(site, name, id=name))
    return out


def files_under(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file() or p.is_symlink()}


def content(path: Path) -> bytes:
    """A file's bytes; a symbolic link's target (out/ keeps links as on the node: they may dangle)."""
    return ("-> " + os.readlink(path)).encode() if path.is_symlink() else path.read_bytes()


@pytest.mark.parametrize("site,name", example_sites())
def test_example_matches_golden(site, name, tmp_path, request):
    out = tmp_path / "out"
    build(site, out)
    built = out.resolve()
    golden = GOLDEN / name
    if request.config.getoption("--update-goldens"):
        shutil.rmtree(golden, ignore_errors=True)
        for rel, path in files_under(built).items():
            dest = golden / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():
                os.symlink(os.readlink(path), dest)
                continue
            shutil.copyfile(path, dest)
            dest.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)
        return
    assert golden.is_dir(), f"no golden tree for {name}: run pytest tests/test_golden.py --update-goldens"
    got, want = files_under(built), files_under(golden)
    missing = sorted(set(got) - set(want))
    orphan = sorted(set(want) - set(got))
    assert not missing, f"built but not in golden/{name} (regenerate the goldens): {missing}"
    assert not orphan, f"in golden/{name} but no longer built (regenerate the goldens): {orphan}"
    stale = [rel for rel in got if content(got[rel]) != content(want[rel])]
    assert not stale, f"golden/{name} is stale for: {stale}"
    from hagen.emit import expand, valid_manifest
    manifest = valid_manifest(json.loads((built / ".hagen/manifest.json").read_text()))
    for (host, path), entry in expand(manifest).items():
        if entry.is_link:
            assert os.readlink(built / host / path.lstrip("/")) == entry.target, f"{host}:{path}"
            continue
        mode = (built / host / path.lstrip("/")).stat().st_mode & 0o7777
        assert f"{mode:04o}" == entry.mode, f"{host}:{path} has mode {mode:04o}, golden says {entry.mode}"
