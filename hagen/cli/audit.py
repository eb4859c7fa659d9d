"""hagen audit and hagen runbook: what each single failure does, and the guide's
procedures with this site's values. Both write to stdout without -o (CLARIFICATIONS 31).

audit exits 0 when no single point of failure is found (warnings alone: 0), 1 when some
are, 2 on bad input, 3 on database or I/O trouble.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import DB, SITE, SNAPSHOT, _print_reports, _run, app, write_output

OUTPUT = typer.Option(None, "--output", "-o", help="Write there instead of stdout.", metavar="FILE")


class AuditFormat(str, Enum):
    text = "text"
    json = "json"
    svg = "svg"


class RunbookFormat(str, Enum):
    md = "md"
    html = "html"



def _json_refusal(exc) -> str:
    """The JSON document of a refused input (CLARIFICATIONS 34): the reports, flat."""
    import json

    from hagen.audit import FORMAT

    reports = [{"code": r.code, "severity": r.severity.value, "message": r.message, "hint": r.hint,
                **r.where.to_json()} for r in exc.reports]
    return json.dumps({"format": FORMAT, "error": exc.message, "reports": reports}, indent=2, sort_keys=True) + "\n"


@app.command()
def audit(site: Path = SITE, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
          format: AuditFormat = typer.Option(AuditFormat.text, "--format", "-f", help="text, json or svg."),
          output: Optional[Path] = OUTPUT):
    """Say what each single failure does to each HA cell, and which single points of failure remain.

    Exit status: 0 no single point of failure (warnings alone: 0; those the site spec's
    audit.accepted accepts do not count), 1 some, 2 input refused, 3 database or I/O
    trouble. See docs/audit.md.
    """
    from hagen.base.errors import InputRefused

    def body():
        from hagen.audit import compile_for_audit, document, has_spof, uncovered_warning, unused_warnings
        from hagen.audit.report import to_json, to_text

        try:
            compiled = compile_for_audit(site, db, str(snapshot) if snapshot else None)
        except InputRefused as exc:
            if format is AuditFormat.json:
                sys.stdout.write(_json_refusal(exc))
            raise
        doc = document(compiled)
        _print_reports(compiled.warnings + uncovered_warning(compiled.site, doc["not_audited"])
                       + unused_warnings(compiled, doc))
        if format is AuditFormat.json:
            text = to_json(doc)
        elif format is AuditFormat.svg:
            from hagen.audit.svg import to_svg

            text = to_svg(doc)
        else:
            text = to_text(doc)
        write_output(text, output)
        if has_spof(doc):
            raise typer.Exit(1)
    _run(body)


@app.command()
def runbook(site: Path = SITE, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
            format: RunbookFormat = typer.Option(RunbookFormat.md, "--format", "-f", help="md or html."),
            output: Optional[Path] = OUTPUT):
    """Write the guide's procedures in order, with this site's values.

    Prerequisites, storage preparation, network clean-up, bring-up, and a failover test
    plan per cell; each step with its hosts, commands, expected result and guide
    section. No secret is ever written: the BMC password is read at run time.
    """
    def body():
        from hagen.audit import compile_for_audit, not_covered, uncovered_warning
        from hagen.audit.runbook import render_runbook

        compiled = compile_for_audit(site, db, str(snapshot) if snapshot else None)
        _print_reports(compiled.warnings + uncovered_warning(compiled.site, not_covered(compiled)[0]))
        write_output(render_runbook(compiled, format.value), output)
    _run(body)
