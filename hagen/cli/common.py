"""What every command shares: the app, the common options, and `_run`, the one place
where hagen's exceptions become messages and exit codes (0 success, 2 input refused,
3 database or I/O trouble)."""

from __future__ import annotations

from pathlib import Path

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

# CLARIFICATIONS 35: $HAGEN_SITE, then ./site.yaml, so that a site folder needs no --site
SITE = typer.Option(Path("site.yaml"), "--site", "-s", envvar="HAGEN_SITE", show_envvar=True,
                    help="The site spec (YAML). See docs/site-spec.md.", metavar="SITE.yaml")
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


def _no_color(value: bool):
    if value:
        from hagen.cli.colour import switch_off

        switch_off()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print hagen's version and exit."),
          no_color: bool = typer.Option(False, "--no-color", callback=_no_color, is_eager=True,
                                        help="No colour on a terminal (NO_COLOR does the same).")):
    pass


def _say(text: str = "", err: bool = False):
    if err:   # reports and errors: their severities coloured on a terminal
        import sys

        from hagen.cli.colour import paint

        text = paint(text, sys.stderr)
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
