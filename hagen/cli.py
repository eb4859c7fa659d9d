"""The hagen command line: a thin typer front end over hagen's library.

Every command maps hagen's exceptions to messages and exit codes in one place
(`_run`): 0 success, 2 input refused, 3 database or I/O trouble.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from hagen import __version__

app = typer.Typer(
    name="hagen",
    help=(
        "Compile the high-availability configuration of a Bull-style HPC cluster.\n\n"
        "hagen reads the ClusterDB (PostgreSQL, or a snapshot of its rows) and a site spec "
        "(YAML), checks them, and renders every file the BAS5 HA guide describes, for every "
        "host, into OUT/<host>/<path on host>.\n\n"
        "Typical night before a maintenance window:\n\n"
        "  hagen check --site site.yaml      # report every problem, write nothing\n\n"
        "  hagen build --site site.yaml      # write out/ atomically\n\n"
        "Exit status: 0 success, 2 input refused (site spec, ClusterDB rows, command line), "
        "3 database or I/O trouble."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Create, fill and export a ClusterDB in PostgreSQL; turn a snapshot into SQL.", no_args_is_help=True)
app.add_typer(db_app, name="db")

SITE = typer.Option(..., "--site", "-s", help="The site spec (YAML). See docs/site-spec.md.",
                    metavar="SITE.yaml")
OUT = typer.Option(Path("out"), "--out", "-o", help="The output tree: OUT/<host>/<path on host>.",
                   metavar="DIR")
DB = typer.Option(None, "--db", help="Read the ClusterDB from PostgreSQL: a libpq URI or conninfo "
                  "(PG* environment variables apply). Wins over the site spec's source.", metavar="DSN")
SNAPSHOT = typer.Option(None, "--snapshot", help="Read the ClusterDB rows from a snapshot file (YAML or JSON) "
                        "instead. Not with --db.", metavar="FILE")
QUIET = typer.Option(False, "--quiet", "-q", help="Print errors only.")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Also print how long each stage took.")


def _version(value: bool):
    if value:
        typer.echo(f"hagen {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print hagen's version and exit.")):
    pass


def _say(text: str = "", err: bool = False):
    typer.echo(text, err=err)


def _print_reports(reports, quiet=False):
    from hagen.reports import Severity

    for r in reports:
        if quiet and r.severity is not Severity.ERROR:
            continue
        _say(str(r), err=True)


def _run(fn):
    """Run a command body; turn hagen's exceptions into messages and exit codes."""
    from hagen.errors import HagenError, describe

    try:
        return fn()
    except HagenError as exc:
        for line in describe(exc):
            _say(line, err=True)
        raise typer.Exit(exc.exit_code)
    except KeyboardInterrupt:
        _say("hagen: interrupted; the output tree is unchanged", err=True)
        raise typer.Exit(130)
    except BrokenPipeError:
        raise typer.Exit(0)
    except typer.Exit:
        raise
    except Exception as exc:  # a hagen bug: say so in one line, keep the traceback for HAGEN_DEBUG
        import os
        import traceback

        if os.environ.get("HAGEN_DEBUG"):
            traceback.print_exc()
        _say(f"hagen: internal error ({exc.__class__.__name__}: {exc}); the output tree is unchanged. "
             "This is a bug in hagen: run again with HAGEN_DEBUG=1 and report the traceback.", err=True)
        raise typer.Exit(3)


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


HOSTS = typer.Option(None, "--host", "-w", help="Only these hosts, as a node set: ns[0,13], xena[1-2,10].",
                     metavar="NODESET")


def _host_filter(nodeset):
    if not nodeset:
        return None
    from ClusterShell.NodeSet import NodeSet, NodeSetException

    from hagen.errors import UsageError
    from hagen.reports import Where, error

    try:
        return set(NodeSet(nodeset))
    except NodeSetException as exc:
        raise UsageError(reports=[error("HA109", Where(key="--host"), f"{nodeset!r} is not a node set: {exc}",
                                        "write hosts as a ClusterShell node set, e.g. ns[0,13] or xena[1-2,10]")])


@app.command()
def diff(site: Path = SITE, against: Path = typer.Option(Path("out"), "--against", help="The tree to compare "
         "with, laid out like out/ (e.g. files gathered from the nodes with rpdcp).", metavar="DIR"),
         db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT, host: Optional[str] = HOSTS,
         output_format: str = typer.Option("text", "--format", help="text, or json for machines.", metavar="FORMAT"),
         show_secrets: bool = typer.Option(False, "--show-secrets", help="Print fence passwords instead of ********.")):
    """Show what a build would change in a tree; write nothing.

    A summary line comes first, then each change once for all the hosts that share it
    (folded: ns[0,13]): cluster.conf by element and attribute, NAME=VALUE files by
    key, /etc/HA lists by line, other files as unified diffs.

    Exit status as diff(1): 0 no difference, 1 differences, 2 trouble.
    """
    import json

    from hagen.diff import diff_tree
    from hagen.emit import OutputTree
    from hagen.errors import HagenError, describe
    from hagen.explain import secrets_of
    from hagen.pipeline import compile_site

    if output_format not in ("text", "json"):
        _say(f"hagen: --format must be text or json, not {output_format!r}", err=True)
        raise typer.Exit(2)
    try:
        only = _host_filter(host)
        hosts = _unchanged_since_built(site, against, db, snapshot)
        if hosts is not None:      # built from these very inputs, and intact: nothing to compile
            from hagen.diff import DiffResult

            compiled, result = None, DiffResult(str(against), len(hosts if only is None else hosts & only), [])
        else:
            compiled = compile_site(site, OutputTree(against), db, str(snapshot) if snapshot else None)
            files = [f for f in compiled.files if only is None or f.host in only]
            result = diff_tree(files, against, secrets_of(compiled), show_secrets)
    except HagenError as exc:
        for line in describe(exc):
            _say(line, err=True)
        raise typer.Exit(2)
    if compiled is not None:
        _print_reports(compiled.warnings, quiet=True)
    if output_format == "json":
        _say(json.dumps(result.to_json(), indent=1))
    else:
        _say(result.summary)
        for change in result.changes:
            from hagen.model.names import fold

            _say(f"{change.kind} {change.path} on {fold(change.hosts)}")
            for line in change.details:
                _say(f"    {line}")
    raise typer.Exit(1 if result.changes else 0)


def _unchanged_since_built(site, against, db, snapshot):
    """diff's fast path: the hosts of the tree when it was built from byte-identical inputs
    and no file of it changed since; None otherwise."""
    from ClusterShell.NodeSet import NodeSet

    from hagen.emit import OutputTree
    from hagen.load.site import load_site
    from hagen.load.source import choose_source
    from hagen.pipeline import input_fingerprint

    tree = OutputTree(against)
    recorded = tree.built_from()
    if recorded is None:
        return None
    spec = load_site(site)
    if input_fingerprint(spec, choose_source(db, str(snapshot) if snapshot else None, spec)) != recorded \
            or not tree.intact():
        return None
    return set(NodeSet(tree.manifest()["hosts"]))


@app.command()
def push(site: Path = SITE, out: Path = OUT,
         dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Print the commands, run nothing."),
         prune: bool = typer.Option(False, "--prune", help="Also remove from the nodes the files that vanished "
                                    "from the build since the last push.")):
    """Copy the output tree to the nodes with the site's fan-out tool (pdcp or clush).

    One call per distinct file and destination, to the folded node set of the hosts
    that get it, modes kept. Files that vanished since the last push are listed, and
    removed only with --prune. Set the tool under deploy: in the site spec.
    """
    from hagen.load.site import load_site
    from hagen.push import plan_push, run_push, settings

    def body():
        cfg = settings(load_site(site))
        commands, vanished = plan_push(out, cfg, prune)
        for nodes, path in vanished:
            _say(f"{'removing' if prune else 'vanished (use --prune to remove)'}: {path} on {nodes}", err=True)
        if dry_run:
            for cmd in commands:
                _say(str(cmd))
            return
        count = run_push(out, cfg, commands, lambda text: _say(text, err=True), [] if prune else vanished)
        _say(f"pushed: {count} command(s) ran")
    _run(body)


@app.command()
def explain(host: str = typer.Argument(..., help="A host of the build: ns0."),
            path: str = typer.Argument(..., help="A path as on the host: /etc/ntp.conf."),
            site: Path = SITE, out: Path = OUT, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
            show_secrets: bool = typer.Option(False, "--show-secrets", help="Show fence passwords.")):
    """Say where one file comes from: template, site keys, ClusterDB rows, context."""
    from hagen.emit import OutputTree
    from hagen.explain import explain as explain_file
    from hagen.pipeline import compile_site

    def body():
        compiled = compile_site(site, OutputTree(out), db, str(snapshot) if snapshot else None)
        sys.stdout.write(explain_file(compiled, host, path, show_secrets))
    _run(body)


@app.command()
def render(host: str = typer.Argument(..., help="A host of the build: ns0."),
           path: str = typer.Argument(..., help="A path as on the host: /etc/ntp.conf."),
           site: Path = SITE, out: Path = OUT, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
           show_secrets: bool = typer.Option(False, "--show-secrets", help="Print fence passwords.")):
    """Print one file as a build would write it; write nothing."""
    from hagen.emit import OutputTree
    from hagen.explain import render_one
    from hagen.pipeline import compile_site

    def body():
        compiled = compile_site(site, OutputTree(out), db, str(snapshot) if snapshot else None)
        sys.stdout.buffer.write(render_one(compiled, host, path, show_secrets))
    _run(body)


@app.command()
def codes():
    """List every diagnostic code hagen can report, with its meaning."""
    from hagen.codes import CODES

    for code, doc in CODES.items():
        _say(f"{code}  {doc}")


@db_app.command("init")
def db_init(db: str = typer.Option(..., "--db", help="libpq URI or conninfo of an empty database.", metavar="DSN")):
    """Create the ClusterDB schema (schemas/clusterdb.sql), with no rows, in an empty database."""
    from hagen.load.clusterdb import _describe, init_schema

    def body():
        init_schema(db)
        _say(f"created the ClusterDB schema in {_describe(db)}")
    _run(body)


@db_app.command("load")
def db_load(snapshot: Path = typer.Argument(..., help="Snapshot file (YAML or JSON).", metavar="FILE"),
            db: str = typer.Option(..., "--db", help="libpq URI or conninfo.", metavar="DSN")):
    """Load a snapshot's rows into a database, creating the schema if the database is empty."""
    from hagen.load.clusterdb import _describe, load_rows
    from hagen.load.snapshot import read_snapshot

    def body():
        rows = read_snapshot(snapshot)
        count = load_rows(db, rows)
        _say(f"loaded {count} rows into {_describe(db)}")
    _run(body)


@db_app.command("export")
def db_export(db: str = typer.Option(..., "--db", help="libpq URI or conninfo.", metavar="DSN"),
              output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout.",
                                                    metavar="FILE"),
              as_json: bool = typer.Option(False, "--json", help="JSON instead of YAML (also chosen by a .json name).")):
    """Write the ClusterDB's rows as a deterministic snapshot: same rows, same bytes."""
    from hagen.load.clusterdb import _describe, read_rows
    from hagen.load.snapshot import dump_snapshot, rows_from_raw

    def body():
        rows = rows_from_raw(read_rows(db), _describe(db))
        text = dump_snapshot(rows, as_json=as_json or (output is not None and output.suffix == ".json"))
        _write_text(text, output)
    _run(body)


@db_app.command("sql")
def db_sql(snapshot: Path = typer.Argument(..., help="Snapshot file (YAML or JSON).", metavar="FILE"),
           output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout.",
                                                 metavar="FILE")):
    """Print a snapshot's rows as SQL INSERTs, for psql after schemas/clusterdb.sql. Needs no database.

    Example: hagen db sql clusterdb.yaml > clusterdb.sql
    """
    from hagen.load.snapshot import dump_sql, read_snapshot

    def body():
        _write_text(dump_sql(read_snapshot(snapshot)), output)
    _run(body)


def _write_text(text: str, output: Optional[Path]):
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        from hagen.errors import OutputError
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}")


def main():
    app()
