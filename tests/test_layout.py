"""The shape of the code: stages import only the stages before them, modules stay small.

The pipeline is load -> model -> check -> plan -> render -> emit. A stage that imports
a later one (or a command: pipeline, cli, diff...) turns the pipeline into a web; these
tests read every import of hagen/, function-level ones included.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hagen"
STAGES = ("load", "model", "check", "plan", "render", "emit")
# what any stage may use: reports and their codes, errors, where data lives, natural order,
# the masking of secrets (load remembers each secret as it reads it), and the one way two
# flattened files are compared (render's formats and diff both show changes so)
FOUNDATION = {"reports", "errors", "codes", "resources", "order", "masking", "flatdiff", "writes", "readback", "nodesets"}
MAX_LINES = 400
TOO_LONG_PENDING: set = set()        # modules allowed over the limit while they are split (none)


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _top(path: Path) -> str:
    """hagen/check/mngt.py -> check; hagen/emit.py -> emit; hagen/__init__.py -> ''."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else ""


def _hagen_imports(path: Path) -> list[tuple[int, str]]:
    """(line, first component after hagen.) of every import of a hagen module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] if node.module != "hagen" else [f"hagen.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "hagen" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def test_the_scan_sees_the_stages():
    tops = {_top(p) for p in _modules()}
    assert set(STAGES) <= tops
    assert ("load", "reports") in {(_top(p), t) for p in _modules() for _, t in _hagen_imports(p)}


def test_no_stage_imports_a_later_stage_or_a_command():
    wrong = []
    for path in _modules():
        top = _top(path)
        if top not in STAGES:
            continue
        allowed = set(STAGES[:STAGES.index(top) + 1]) | FOUNDATION
        for line, target in _hagen_imports(path):
            if target not in allowed:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({top}) imports hagen.{target}")
    assert not wrong, "\n".join(wrong)


def test_foundation_modules_import_no_stage():
    wrong = [f"{p.name}:{line} imports hagen.{t}" for p in _modules() if _top(p) in FOUNDATION
             for line, t in _hagen_imports(p) if t not in FOUNDATION]
    assert not wrong, wrong


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= TOO_LONG_PENDING, f"split these modules (at most {MAX_LINES} lines): {long}"


def test_every_package_is_installed():
    """A package missing from pyproject.toml's list works in a checkout and fails installed."""
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(PACKAGE.parent).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml's packages: {sorted(found - listed)}"
