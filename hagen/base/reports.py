"""Report items: what every check, loader and validator returns.

A report is data (pcs style), never a string or an exception: a stable code, a
severity, where the problem comes from (a site-spec file:line:column and key path, a
ClusterDB table and natural key, or a host), a message and a hint saying what to fix.
The codes and their one-line documentation live in hagen.base.codes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


def one_line(text: str) -> str:
    """text with its line breaks and other control characters escaped (\\n): a value from the
    inputs never splits a report over lines, nor fakes one."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Where:
    """The origin of a report. Exactly one family of fields is filled in."""

    file: str | None = None          # site spec (or snapshot) file as given
    line: int | None = None          # 1-based
    column: int | None = None        # 1-based
    key: str | None = None           # key path in the site spec: management.services[3]
    table: str | None = None         # ClusterDB table
    row: str | None = None           # natural key of the row: name=ns0
    host: str | None = None          # a host of the output tree

    def __str__(self) -> str:
        parts = []
        if self.file:
            loc = one_line(self.file)
            if self.line:
                loc += f":{self.line}"
                if self.column:
                    loc += f":{self.column}"
            parts.append(loc)
        if self.key:
            parts.append(one_line(self.key))
        if self.table:
            parts.append(f"clusterdb {one_line(self.table)}" + (f"[{one_line(self.row)}]" if self.row else ""))
        if self.host:
            parts.append(f"host {one_line(self.host)}")
        return " ".join(parts) if parts else "-"

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


@dataclass(frozen=True, slots=True)
class Report:
    code: str
    severity: Severity
    where: Where
    message: str
    hint: str = ""
    accepted: str = ""               # the reason of the site's audit.accepted entry that accepts it

    def __str__(self) -> str:
        text = f"{self.where}: {'accepted ' if self.accepted else ''}{self.severity.value} {self.code}: " \
               f"{one_line(self.message)}"
        if self.hint:
            text += f"\n    hint: {one_line(self.hint)}"
        if self.accepted:
            text += f"\n    accepted: {one_line(self.accepted)}"
        return text

    def to_json(self) -> dict:
        """The report as --format json writes it: its location's fields (file, line,
        column, key; table, row; host) beside code, severity, message and hint."""
        return {"code": self.code, "severity": self.severity.value, "message": self.message, "hint": self.hint,
                **self.where.to_json(), "location": str(self.where),
                **({"accepted": self.accepted} if self.accepted else {})}


def error(code: str, where: Where, message: str, hint: str = "") -> Report:
    return Report(code, Severity.ERROR, where, message, hint)


def warning(code: str, where: Where, message: str, hint: str = "") -> Report:
    return Report(code, Severity.WARNING, where, message, hint)


REPORT_FORMAT = "hagen-report/1"


def reports_document(command: str, reports, exit_status: int, message: str = "", hint: str = "",
                     **details) -> dict:
    """The JSON document a command writes with --format json (check, build; diff and audit
    can add their own details): every report, the exit status, and what the command did.

    `format` names the version of this layout: a consumer checks it before reading on."""
    reports = list(reports)
    doc = {
        "format": REPORT_FORMAT,
        "command": command,
        "exit_status": exit_status,
        "errors": sum(r.severity is Severity.ERROR for r in reports),
        "warnings": sum(r.severity is Severity.WARNING and not r.accepted for r in reports),
        "accepted": sum(bool(r.accepted) for r in reports),
        "reports": [r.to_json() for r in reports],
    }
    if message:
        doc["message"] = message
    if hint:
        doc["hint"] = hint
    doc.update(details)
    return doc


def dump_document(doc: dict) -> str:
    """Deterministic JSON text: same document, same bytes."""
    import json

    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
