"""What every command shares: the app, the common options, and `_run`, the one place
where hagen's exceptions become messages and exit codes (0 success, 2 input refused,
3 database or I/O trouble)."""

from __future__ import annotations

import os
import sys
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
VERBOSE = typer.Option(False, "--verbose", "-v", help="Also print how long each stage took (before or after "
                       "the command name).")
_GLOBAL = {"verbose": False}     # hagen --verbose COMMAND: the same as COMMAND --verbose


def progress_for(verbose: bool = False, quiet: bool = False, show: bool = True, total: int | None = None):
    """The progress of a command with stages: a bar on a terminal, each stage's time with
    --verbose, given before or after the command name."""
    from hagen.base.progress import Progress

    extra = {} if total is None else {"total": total}
    return Progress(show=show and not quiet, verbose=(verbose or _GLOBAL["verbose"]) and not quiet, **extra)


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
                                        help="No colour on a terminal (NO_COLOR does the same)."),
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Print how long each stage of the command "
                                       "took (as COMMAND --verbose).")):
    _GLOBAL["verbose"] = verbose


def _say(text: str = "", err: bool = False, show_secrets: bool = False):
    """Print a line. Every secret hagen has read, and any DSN password, is masked in it
    (errors and logs always; standard output unless the command was given --show-secrets);
    on a terminal, report severities are coloured."""
    from hagen.base.masking import mask

    text = mask(text, show=show_secrets and not err)
    if err:
        import sys

        from hagen.cli.colour import paint

        text = paint(text, sys.stderr)
    try:
        typer.echo(text, err=err)
    except BrokenPipeError:       # the reader went away (`hagen diff | head -1`): noted, never success
        if not err:
            PIPE_CLOSED[0] = True
            _quiet_stdout()


PIPE_CLOSED = [False]             # standard output was closed under the running command


def _print_reports(reports, quiet=False):
    from hagen.base.reports import Severity

    for r in reports:
        if r.accepted or (quiet and r.severity is not Severity.ERROR):
            continue                # accepted by the site (audit.accepted): said once, in the audit
        _say(str(r), err=True)


def _generation(out) -> tuple | None:
    """What OUT is now, to tell after a failure whether the tree changed: where its link
    points and which manifest it holds (an incremental build renames a new one into place)."""
    try:
        link = os.readlink(out) if os.path.islink(out) else None
    except OSError:
        link = None
    try:
        st = os.stat(os.path.join(out, ".hagen", "manifest.json"), follow_symlinks=False)
        return link, st.st_ino, st.st_mtime_ns
    except OSError:
        return link, None, None


def _params() -> dict:
    """The running command's parameters (typer vendors click in recent versions)."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context
    ctx = get_current_context(silent=True)
    return dict(ctx.params) if ctx is not None else {}


def _tree_state(out, before) -> str:
    """The truth about OUT after a failure: unchanged, or replaced before the failure came."""
    if out is None:
        return "nothing was written"
    after = _generation(out)
    if after != before:
        return f"{out} was replaced by a new tree before the failure: the build was written"
    return f"{out} is unchanged"


def _run(fn, exit_codes: dict | None = None):
    """Run a command body; turn every exception into a message and an exit code, never a
    traceback: 2 input refused, 3 database or file-system trouble, 130 interrupted.
    exit_codes maps those (and "bug") to a command's own (diff: everything to 2)."""
    from hagen.base.errors import EXIT_INPUT, EXIT_TROUBLE, HagenError, describe

    codes = {EXIT_INPUT: EXIT_INPUT, EXIT_TROUBLE: EXIT_TROUBLE, "bug": EXIT_TROUBLE, 130: 130}
    codes.update(exit_codes or {})
    from hagen.base.masking import forget_all, remember_dsn

    forget_all()          # the secrets of this command only (tests run many in one process)
    params = _params()
    if isinstance(params.get("db"), str):      # every command's --db, whichever option declared it
        remember_dsn(params["db"])
    out = Path(params["out"]) if params.get("out") else None
    before = _generation(out) if out is not None else None
    PIPE_CLOSED[0] = False
    try:
        result = fn()
        try:
            sys.stdout.flush()        # what is still buffered: a closed pipe shows here, not at exit
        except BrokenPipeError:
            PIPE_CLOSED[0] = True
            _quiet_stdout()
    except HagenError as exc:
        for line in describe(exc):
            _say(line, err=True)
        raise typer.Exit(codes.get(exc.exit_code, exc.exit_code))
    except KeyboardInterrupt:
        _say(f"hagen: interrupted; {_tree_state(out, before)}", err=True)
        raise typer.Exit(codes[130])
    except BrokenPipeError:           # a closed pipe is not success: what was meant never arrived
        _quiet_stdout()
        raise typer.Exit(codes[EXIT_TROUBLE])
    except typer.Exit as exc:
        if PIPE_CLOSED[0] and not exc.exit_code:
            raise typer.Exit(codes[EXIT_TROUBLE])
        raise
    except typer.Abort:
        raise
    except OSError as exc:      # the file system: a file hagen reads or writes
        where = f" {exc.filename}" if exc.filename else ""
        _say(f"hagen: cannot use{where}: {exc.strerror or exc}; {_tree_state(out, before)}", err=True)
        raise typer.Exit(codes[EXIT_TROUBLE])
    except Exception as exc:  # a hagen bug: say so in one line, keep the traceback for HAGEN_DEBUG
        import traceback

        if os.environ.get("HAGEN_DEBUG"):
            _say(traceback.format_exc().rstrip("\n"), err=True)     # masked like every other line
        _say(f"hagen: internal error ({exc.__class__.__name__}: {exc}); {_tree_state(out, before)}. "
             "This is a bug in hagen: run again with HAGEN_DEBUG=1 and report the traceback.", err=True)
        raise typer.Exit(codes["bug"])
    if PIPE_CLOSED[0] and not result:     # the output was cut short: the status says so (diff: 2, others 3)
        _say("hagen: standard output was closed before everything was written", err=True)
        raise typer.Exit(codes[EXIT_TROUBLE])
    return result


def _quiet_stdout():
    """After a broken pipe, point stdout at /dev/null so that Python's exit flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


HOSTS = typer.Option(None, "--host", "-w", help="Only these hosts, as a node set: ns[0,13], xena[1-2,10].",
                     metavar="NODESET")


def _host_filter(nodeset):
    """--host as a set of names; refused (exit 2) when it is not a node set, or names more
    hosts than hagen accepts (counted before expanding: ns[1-100000000] never hangs)."""
    if not nodeset:
        return None
    from hagen.base.errors import UsageError
    from hagen.base.nodesets import MAX_HOSTS, NodeSetRefused, NodeSetTooLarge, expand
    from hagen.base.reports import Where, error

    try:
        return set(expand(nodeset))
    except NodeSetTooLarge as exc:
        raise UsageError(reports=[error("HA130", Where(key="--host"), f"{nodeset!r} is too large a node set: {exc}",
                                        f"name at most {MAX_HOSTS} hosts: the hosts of the cluster you mean")])
    except NodeSetRefused as exc:
        raise UsageError(reports=[error("HA109", Where(key="--host"), f"{nodeset!r} is not a node set: {exc}",
                                        "write hosts as a ClusterShell node set, e.g. ns[0,13] or xena[1-2,10]")])


def write_output(text: str, output, secret: bool = False) -> None:
    """text on stdout, or into the file output (a Path) when given, as the store writes its files
    (hagen.base.writes: whole or exit 3, a link at output replaced and never written through), 0600
    when it could hold a secret (a ClusterDB export), else 0644 whatever the umask."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from hagen.base.writes import write_file

    try:
        write_file(output, text.encode("utf-8"), 0o600 if secret else 0o644)
    except OSError as exc:
        from hagen.base.errors import OutputError

        raise OutputError(f"cannot write {output}: {exc.strerror or exc}")
