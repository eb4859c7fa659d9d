"""hagen build and hagen check."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import (DB, OUT, QUIET, SITE, SNAPSHOT, VERBOSE, _host_filter, _print_reports, _run, _say, app,
                              progress_for)


class Format(str, Enum):
    text = "text"
    json = "json"


FORMAT = typer.Option(Format.text, "--format", help="text: reports on stderr; json: one JSON document on stdout "
                      "(format hagen-report/1: every report with its code, severity, message, hint and location), "
                      "whatever the exit status.", case_sensitive=False)


def _json_body(command: str, work):
    """Run work() -> (reports, details) and write the JSON document alone on stdout, on
    success and on failure alike; the exit status is the one the text form has."""
    from hagen.base.errors import HagenError
    from hagen.base.reports import dump_document, reports_document

    def say(doc):
        typer.echo(dump_document(doc), nl=False)

    def body():
        try:
            reports, details = work()
        except HagenError as exc:
            say(reports_document(command, exc.reports, exc.exit_code, exc.message, exc.hint))
            raise typer.Exit(exc.exit_code)
        except Exception as exc:   # a hagen bug: the document says so, _run prints the usual line on stderr
            say(reports_document(command, [], 3, f"internal error ({exc.__class__.__name__})"))
            raise
        say(reports_document(command, reports, 0, **details))
    _run(body)


@app.command()
def build(site: Path = SITE, out: Path = OUT, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
          host: Optional[str] = typer.Option(None, "--host", "-w", help="Rebuild only these hosts (a node set: "
                                             "ns[0,13]); every other host keeps its files.", metavar="NODESET"),
          quiet: bool = QUIET, verbose: bool = VERBOSE, format: Format = FORMAT):
    """Check the inputs and write every artifact into OUT, atomically.

    Nothing in OUT changes unless every check passes and every file renders and
    validates. Unchanged files keep their inode and mtime; an unchanged build writes
    nothing. cluster.conf's config_version rises only when its content changed.

    Example: hagen build --site examples/bas5-guide/site.yaml
    """
    from hagen.compile.pipeline import build as run_build
    from hagen.emit.nodes import read_nodes

    as_json = format is Format.json

    def work():
        progress = progress_for(verbose, quiet, show=not as_json)
        try:
            compiled, result = run_build(site, out, db, str(snapshot) if snapshot else None, _host_filter(host),
                                         progress, nodes_of=read_nodes)
        finally:
            progress.close()          # a failed build leaves no bar behind
        return list(result.warnings), result

    if as_json:
        def json_work():
            warnings, result = work()
            return warnings, {"out": str(out), "source": result.source.to_json(), "up_to_date": result.noop,
                              "files": result.files,
                              "hosts": result.hosts, "changed": result.changed, "removed": result.removed,
                              "objects_written": result.objects_written}
        return _json_body("build", json_work)

    def body():
        warnings, result = work()
        _print_reports(warnings, quiet)
        if quiet:
            return
        read = f"from {result.source.summary}"
        if result.noop:
            _say(f"{out}: up to date, nothing written ({result.files} files for {result.hosts} hosts, {read})")
        else:
            _say(f"{out}: {result.files} files for {result.hosts} hosts; {result.changed} changed, "
                 f"{result.removed} removed, {result.objects_written} new objects ({read})")
    _run(body)


@app.command()
def check(site: Path = SITE, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT, quiet: bool = QUIET,
          verbose: bool = VERBOSE, format: Format = FORMAT):
    """Run every check on the site spec and the ClusterDB and report every problem; write nothing."""
    from hagen.compile.pipeline import load_and_check

    def work():
        progress = progress_for(verbose, quiet, show=format is Format.text, total=2)
        try:
            return load_and_check(site, db, str(snapshot) if snapshot else None, progress)
        finally:
            progress.close()

    if format is Format.json:
        def json_work():
            _, model, warnings, source = work()
            return warnings, {"site": str(site), "nodes": len(model.nodes), "cells": len(model.cells),
                              "source": source.to_json()}
        return _json_body("check", json_work)

    def body():
        _, model, warnings, source = work()
        _print_reports(warnings, quiet)
        if not quiet:
            accepted = sum(bool(w.accepted) for w in warnings)
            _say(f"{site}: no errors, {len(warnings) - accepted} warning(s)"
                 f"{f' ({accepted} accepted: audit.accepted)' if accepted else ''} ({len(model.nodes)} nodes, "
                 f"{len(model.cells)} HA cells, from {source.summary})")
    _run(body)
