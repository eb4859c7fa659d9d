"""hagen build and hagen check."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import DB, OUT, QUIET, SITE, SNAPSHOT, VERBOSE, _host_filter, _print_reports, _run, _say, app


@app.command()
def build(site: Path = SITE, out: Path = OUT, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
          host: Optional[str] = typer.Option(None, "--host", "-w", help="Rebuild only these hosts (a node set: "
                                             "ns[0,13]); every other host keeps its files.", metavar="NODESET"),
          quiet: bool = QUIET, verbose: bool = VERBOSE):
    """Check the inputs and write every artifact into OUT, atomically.

    Nothing in OUT changes unless every check passes and every file renders and
    validates. Unchanged files keep their inode and mtime; an unchanged build writes
    nothing. cluster.conf's config_version rises only when its content changed.

    Example: hagen build --site examples/bas5-guide/site.yaml
    """
    from hagen.pipeline import build as run_build

    def body():
        from hagen.progress import Progress

        compiled, result = run_build(site, out, db, str(snapshot) if snapshot else None, _host_filter(host),
                                     Progress(show=not quiet, verbose=verbose and not quiet))
        if compiled is not None:
            _print_reports(compiled.warnings, quiet)
        if quiet:
            return
        if result.noop:
            _say(f"{out}: up to date, nothing written ({result.files} files for {result.hosts} hosts)")
        else:
            _say(f"{out}: {result.files} files for {result.hosts} hosts; {result.changed} changed, "
                 f"{result.removed} removed, {result.objects_written} new objects")
    _run(body)


@app.command()
def check(site: Path = SITE, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT, quiet: bool = QUIET):
    """Run every check on the site spec and the ClusterDB and report every problem; write nothing."""
    from hagen.pipeline import load_and_check

    def body():
        _, model, warnings, source = load_and_check(site, db, str(snapshot) if snapshot else None)
        _print_reports(warnings, quiet)
        if not quiet:
            _say(f"{site}: no errors, {len(warnings)} warning(s) ({len(model.nodes)} nodes, "
                 f"{len(model.cells)} HA cells, from {source.display})")
    _run(body)
