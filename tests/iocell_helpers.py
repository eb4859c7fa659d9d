"""Helpers for the I/O cell tests: a private copy of examples/xena (or bas5-guide), edited
row by row or key by key, checked in process (no build, no subprocess)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from conftest import EXAMPLES
from hagen.errors import InputRefused
from hagen.pipeline import load_and_check

# libyaml, where PyYAML has it: these helpers read and write a snapshot many times a test
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load_yaml(text: str):
    return yaml.load(text, Loader=LOADER)


def dump_yaml(doc) -> str:
    return yaml.dump(doc, Dumper=DUMPER, sort_keys=False)


class Example:
    def __init__(self, root: Path, name: str = "xena"):
        self.dir = root / name
        shutil.copytree(EXAMPLES / name, self.dir)
        (self.dir / "fence-password").chmod(0o600)
        self.site = self.dir / "site.yaml"

    # ------------------------------------------------------------------ rows
    def tables(self) -> dict:
        return load_yaml((self.dir / "clusterdb.yaml").read_text())["tables"]

    def edit_rows(self, fn) -> "Example":
        path = self.dir / "clusterdb.yaml"
        doc = load_yaml(path.read_text())
        fn(doc["tables"])
        path.write_text(dump_yaml(doc))
        return self

    def id_of(self, table: str, name: str, col: str = "name") -> int:
        return next(r["id"] for r in self.tables()[table] if r[col] == name)

    def row(self, tables: dict, table: str, **match) -> dict:
        return next(r for r in tables[table] if all(r.get(k) == v for k, v in match.items()))

    # ------------------------------------------------------------------ site
    def edit_site(self, fn) -> "Example":
        doc = load_yaml(self.site.read_text())
        fn(doc)
        self.site.write_text(dump_yaml(doc))
        return self

    def line_of(self, text: str) -> int:
        """1-based line of the first line of site.yaml containing text."""
        for n, line in enumerate(self.site.read_text().splitlines(), 1):
            if text in line:
                return n
        raise AssertionError(f"{text!r} not in site.yaml")

    # ------------------------------------------------------------------ checking
    def reports(self) -> list:
        """Every report (errors and warnings) a check of the example gives."""
        try:
            _, _, warnings, _ = load_and_check(self.site)
        except InputRefused as exc:
            return exc.reports
        return warnings

    def assert_reports(self, code: str, where: str, severity: str = "error"):
        """The reports of `code`; one of them is at `where` (str(Where) contains it) with `severity`."""
        found = [r for r in self.reports() if r.code == code]
        assert found, f"no {code} among: " + "; ".join(f"{r.code} {r.where}" for r in self.reports())
        at = [r for r in found if where in str(r.where)]
        assert at, f"{code} not at {where!r}: " + "; ".join(str(r.where) for r in found)
        assert at[0].severity.value == severity, str(at[0])
        return at
