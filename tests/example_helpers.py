"""The one editor of an example's inputs for the tests: a private copy of examples/<name>,
its site spec edited as text (where a report's line:column must stay predictable) or as a
document, its ClusterDB snapshot edited row by row (as plain YAML, so that rows can be
wrong in any way), and checked in process (load_and_check: no build, no subprocess)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from conftest import EXAMPLES
from hagen.base.errors import InputRefused
from hagen.compile.pipeline import load_and_check

# libyaml, where PyYAML has it: a test reads and writes a snapshot several times
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load_yaml(text: str):
    return yaml.load(text, Loader=LOADER)


def dump_yaml(doc) -> str:
    return yaml.dump(doc, Dumper=DUMPER, sort_keys=False, default_flow_style=None, width=4096, allow_unicode=True)


def find(tables: dict, table: str, **match) -> dict:
    """The one row of table whose columns have these values."""
    found = [r for r in tables[table] if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"{table} {match}: {len(found)} rows"
    return found[0]


class Example:
    """Example(root, name) copies examples/<name> to root/<name>; Example.at(folder) edits a copy made already."""

    def __init__(self, root: Path, name: str = "xena", copy: bool = True):
        self.folder = Path(root) / name if copy else Path(root)
        if copy:
            shutil.copytree(EXAMPLES / name, self.folder)
        if (self.folder / "fence-password").exists():
            (self.folder / "fence-password").chmod(0o600)
        self.site = self.folder / "site.yaml"
        self.snapshot = self.folder / "clusterdb.yaml"
        self.args: list = []          # extra command-line arguments of a build
        self.env: dict | None = None  # environment of a build (None: inherit)
        self._doc = None

    @classmethod
    def at(cls, folder: Path) -> "Example":
        return cls(folder, copy=False)

    # ------------------------------------------------------------------ site spec, as text
    def site_text(self) -> str:
        return self.site.read_text(encoding="utf-8")

    def replace(self, old: str, new: str) -> None:
        text = self.site_text()
        assert text.count(old) == 1, f"{old!r} is not once in {self.site.name}: the example changed"
        self.site.write_text(text.replace(old, new), encoding="utf-8")

    def after(self, line: str, added: str) -> None:
        """Insert lines after the (unique) line that holds `line`."""
        self.replace(line, line + added)

    def drop_section(self, key: str) -> None:
        """Remove a top-level section of the site spec, if it has one."""
        text = self.site_text()
        m = re.search(rf"(?m)^{re.escape(key)}:.*\n(?:(?:[ #].*)?\n)*", text)
        if m:
            self.site.write_text(text[:m.start()] + text[m.end():], encoding="utf-8")

    def cut(self, start: str, end: str) -> None:
        """Remove the text from `start` (included) to `end` (kept)."""
        text = self.site_text()
        i, j = text.index(start), text.index(end)
        self.site.write_text(text[:i] + text[j:], encoding="utf-8")

    def line_of(self, text: str) -> int:
        """1-based line of the first line of the site spec containing text."""
        for n, line in enumerate(self.site_text().splitlines(), 1):
            if text in line:
                return n
        raise AssertionError(f"{text!r} not in {self.site.name}")

    # ------------------------------------------------------------------ site spec, as a document
    def edit_site(self, fn) -> "Example":
        doc = load_yaml(self.site_text())
        fn(doc)
        self.site.write_text(dump_yaml(doc), encoding="utf-8")
        return self

    # ------------------------------------------------------------------ ClusterDB rows
    @property
    def tables(self) -> dict:
        """The snapshot's tables, parsed once: edit them, then flush()."""
        if self._doc is None:
            self._doc = load_yaml(self.snapshot.read_text(encoding="utf-8"))
        return self._doc["tables"]

    def row(self, table: str, **match) -> dict:
        return find(self.tables, table, **match)

    def drop(self, table: str, **match) -> None:
        self.tables[table].remove(self.row(table, **match))

    def flush(self) -> None:
        if self._doc is not None:
            self.snapshot.write_text(dump_yaml(self._doc), encoding="utf-8")

    def edit_rows(self, fn) -> "Example":
        fn(self.tables)
        self.flush()
        return self

    def id_of(self, table: str, name: str, col: str = "name") -> int:
        return next(r["id"] for r in self.tables[table] if r[col] == name)

    # ------------------------------------------------------------------ checking
    def reports(self) -> list:
        """Every report (errors and warnings) a check of the example gives."""
        self.flush()
        try:
            _, _, warnings, _ = load_and_check(self.site)
        except InputRefused as exc:
            return exc.reports
        return warnings

    def assert_reports(self, code: str, where: str, severity: str = "error"):
        """The reports of `code`; one of them is at `where` (str(Where) contains it) with `severity`."""
        reports = self.reports()
        found = [r for r in reports if r.code == code]
        assert found, f"no {code} among: " + "; ".join(f"{r.code} {r.where}" for r in reports)
        at = [r for r in found if where in str(r.where)]
        assert at, f"{code} not at {where!r}: " + "; ".join(str(r.where) for r in found)
        assert at[0].severity.value == severity, str(at[0])
        return at
