"""hagen diff and hagen push: what a build would change, and sending it to the nodes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from hagen.cli.build import Format
from hagen.cli.common import (DB, HOSTS, OUT, SITE, SNAPSHOT, VERBOSE, _host_filter, _print_reports, _run, _say, app,
                              progress_for)
from hagen.cli.gather import EXCLUDE, NODES


# diff follows diff(1): 0 no difference, 1 differences, 2 trouble of any kind
DIFF_EXITS = {2: 2, 3: 2, "bug": 2, 130: 130}


@app.command()
def diff(site: Path = SITE, against: Path = typer.Option(Path("out"), "--against", help="The tree to compare "
         "with, laid out like out/: an output tree, or the files gather fetched from the nodes.", metavar="DIR"),
         out: Path = typer.Option(Path("out"), "--out", "-o", help="The output tree push sends from: with a "
                                  "gathered --against, the build compared, and the files hagen wrote before.",
                                  metavar="DIR"),
         db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT, host: Optional[str] = HOSTS,
         output_format: str = typer.Option("text", "--format", help="text, or json for machines.", metavar="FORMAT"),
         save_plan: Optional[Path] = typer.Option(None, "--save-plan", help="Also write what a push of this "
                                                  "review sends and removes, for hagen push --plan.", metavar="FILE"),
         show_secrets: bool = typer.Option(False, "--show-secrets", help="Print fence passwords instead of ********."),
         verbose: bool = VERBOSE):
    """Show what a build would change in a tree; write nothing (but --save-plan's FILE).

    A summary line comes first, then each change once for all the hosts that share it
    (folded: ns[0,13]): cluster.conf by element and attribute, NAME=VALUE files by
    key, /etc/HA lists by entry (added, removed, moved), new files whole, other files
    as unified diffs. Only what hagen manages is compared: a file in DIR that no build
    wrote is not "removed". Against a gathered DIR, the build compared is the one push
    sends from OUT (its config_version included).

    Exit status as diff(1): 0 no difference, 1 differences, 2 trouble.
    """
    def body():
        import json

        from hagen.base.errors import UsageError
        from hagen.base.reports import Where, error
        from hagen.review.compare import DiffRequest, review

        if output_format not in ("text", "json"):
            raise UsageError(reports=[error("HA134", Where(key="--format"), f"--format {output_format!r} is not "
                                            "a format diff writes", "give --format text or --format json")])
        request = DiffRequest(site, against, out, db, snapshot, _host_filter(host), show_secrets)
        done = review(request, lambda: progress_for(verbose, total=3))
        result = done.result
        _print_reports(done.version_reports)
        _print_reports(done.warnings)       # what check and build say of these inputs, on stderr
        _warn_missing_commands(out)
        if save_plan is not None:
            from hagen.deploy.pushplan import save_plan as write_plan

            write_plan(save_plan, result.sends, result.removes)
        if output_format == "json":
            doc = dict(result.to_json(), source=done.source.to_json(), reports=[w.to_json() for w in done.warnings])
            _say(json.dumps(doc, indent=1), show_secrets=show_secrets)
        else:
            _print_changes(result, done.source, show_secrets)
        return 1 if result.changes else 0

    def as_json():
        """--format json: the document alone on stdout whatever the exit status (trouble too)."""
        from hagen.base.errors import HagenError
        from hagen.base.reports import dump_document, reports_document

        try:
            return body()
        except HagenError as exc:
            _say(dump_document(reports_document("diff", exc.reports, 2, exc.message, exc.hint)).rstrip("\n"))
            raise
    raise typer.Exit(_run(as_json if output_format == "json" else body, DIFF_EXITS))


def _print_changes(result, source, show_secrets: bool) -> None:
    """The summary line (naming the ClusterDB source), then each change once for all its hosts."""
    from hagen.cli.colour import paint_diff, terminal_safe
    from hagen.model.names import fold

    _say(f"{result.summary} (from {source.summary})")
    for change in result.changes:
        _say(paint_diff(f"{change.kind} {change.path} on {fold(change.hosts)}", sys.stdout))
        for line in change.details:
            _say(paint_diff(terminal_safe(f"    {line}", sys.stdout), sys.stdout), show_secrets=show_secrets)


def _warn_missing_commands(out: Path) -> None:
    """HA945 warnings: commands /etc/HA/start and stop call that gather found missing on nodes.
    They change no exit status: hagen does not write those commands."""
    from hagen.deploy.expected import missing_expected
    from hagen.base.reports import Where, warning

    _print_reports([warning("HA945", Where(host=nodes), f"{path} is called by /etc/HA/start or stop but is missing "
                            "or not executable there (as last gathered)",
                            "install the package that provides it, or remove it from management.services")
                    for nodes, path in missing_expected(out)])


@app.command()
def push(site: Path = SITE, out: Path = OUT, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
         plan: Optional[Path] = typer.Option(None, "--plan", help="Send exactly this reviewed plan (written by "
                                             "`hagen diff --save-plan`); refused if the output tree changed since.",
                                             metavar="FILE"),
         yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before sending."),
         dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Print the commands and the actions, run nothing."),
         prune: bool = typer.Option(False, "--prune", help="Also remove from the nodes the files hagen put there "
                                    "that the build no longer has."),
         reload: bool = typer.Option(False, "--reload", help="After the files landed, run the action each kind of "
                                     "file declares (ccs_tool update, exportfs -ra, ...), once per node set, one "
                                     "node of each HA cell at a time."),
         nodes: Optional[str] = NODES, exclude: Optional[str] = EXCLUDE, verbose: bool = VERBOSE,
         format: Format = typer.Option(Format.text, "--format", help="json: one JSON document (hagen-report/1) on "
                                       "stdout: the ClusterDB source, what is sent and run (with --dry-run: would "
                                       "be), and the node sets of each outcome."),
         as_json: bool = typer.Option(False, "--json", help="The same as --format json.")):
    """Send to the nodes what differs from what they hold, with the site's fan-out tool.

    What the nodes hold is gather's record, or what each node last received: only the
    difference goes, so a rerun after a partial failure sends only what is missing. One
    call per distinct file and node set, modes kept. A node is done only when it confirmed
    it (each command's status line, each file's sha256 as the node reports it), whatever
    the tool's exit status. A node that fails or hangs (deploy.command_timeout) does not
    stop the others: a table of node sets (done, failed with the tool's message,
    unreachable, hung, skipped) ends the run. Without --plan the output tree must be up
    to date with the inputs, and push asks before sending (--yes skips; without a
    terminal push refuses).

    Exit status: 0 every node served, 2 refused (nothing sent), 3 some nodes failed.
    """
    from hagen.cli.gather import _nodeset
    from hagen.deploy.session import PushRequest

    def request() -> PushRequest:      # inside the run: a bad -w/-x is reported as every refusal is
        return PushRequest(site, out, db, snapshot, plan, prune, reload, _nodeset(nodes, "-w"), _nodeset(exclude, "-x"),
                           dry_run)

    def make_progress():
        return progress_for(verbose, total=3)
    if as_json or format is Format.json:
        return _push_json(request, make_progress, confirm=plan is None and not yes, dry_run=dry_run)
    _run(lambda: _push_text(request(), make_progress, confirm=plan is None and not yes, dry_run=dry_run))


def _push_text(request, make_progress, confirm: bool, dry_run: bool) -> None:
    """push in text: the source compared with and what push leaves behind on stderr, then the
    commands (--dry-run), or the summary, the question and the table of outcomes."""
    from hagen.deploy.session import session, up_to_date_line

    with session(request, make_progress) as s:
        if s.source is not None:
            _say(up_to_date_line(request.out, s.source), err=True)     # what push compared the tree with
        _say_vanished(s.vanished)
        _print_reports(s.warnings + s.refuse_shared())
        planned = s.plan()
        if dry_run:
            for step in planned.steps:
                if step.argv:
                    _say(step.shown())
            for step in planned.actions:
                _say(f"# --reload would run: {step.shown()}")
            return
        if not planned.steps:
            _say("nothing to send: every node holds the build" if not s.result.refused else "nothing else to send")
        else:
            _summary(planned.steps, planned.actions if request.reload else [])
            if confirm:
                _confirm(sys.stdin)
            s.send(planned, lambda text: _say(text, err=True))
    for line in s.result.table():
        _say(line)
    if not s.result.ok:
        raise typer.Exit(3)


def _push_json(request, make_progress, confirm: bool, dry_run: bool) -> None:
    """push --format json: one hagen-report/1 document alone on stdout, on success and on failure
    alike: the ClusterDB source and its summary line, each step and --reload action with its node
    set and argument list, and (not --dry-run) the node sets of each outcome; exit status as text."""
    from hagen.base.errors import HagenError
    from hagen.base.reports import dump_document, reports_document
    from hagen.deploy.session import pushed_document, session, source_document, step_document, up_to_date_line

    def say(doc):
        typer.echo(dump_document(doc), nl=False)

    def body():
        try:
            wanted = request()
            with session(wanted, make_progress) as s:
                if s.source is not None:
                    _say(up_to_date_line(wanted.out, s.source), err=True)
                _say_vanished(s.vanished)
                reports = s.warnings + s.refuse_shared()
                planned = s.plan()
                details = dict(source_document(s.source, wanted.out), dry_run=dry_run,
                               steps=[step_document(step) for step in planned.steps],
                               actions=[step_document(action) for action in planned.actions])
                if not dry_run and planned.steps:
                    if confirm:
                        _summary(planned.steps, planned.actions if wanted.reload else [])
                        _confirm(sys.stdin)
                    s.send(planned, lambda text: _say(text, err=True))
        except HagenError as exc:
            say(reports_document("push", exc.reports, exc.exit_code, exc.message, exc.hint))
            raise typer.Exit(exc.exit_code)
        except Exception as exc:   # a hagen bug: the document says so, _run prints the usual line on stderr
            say(reports_document("push", [], 3, f"internal error ({exc.__class__.__name__})"))
            raise
        if not dry_run:
            details.update(pushed_document(s.result))
        status = 0 if dry_run or s.result.ok else 3
        say(reports_document("push", reports, status, **details))
        if status:
            raise typer.Exit(status)
    _run(body)


def _say_vanished(vanished) -> None:
    from hagen.model.names import fold, natural_key

    gone: dict = {}
    for host, path in vanished:
        gone.setdefault(path, []).append(host)
    for path, hosts in sorted(gone.items()):
        _say(f"vanished (use --prune to remove): {path} on {fold(sorted(hosts, key=natural_key))}", err=True)


def _summary(steps, actions) -> None:
    from hagen.model.names import fold, natural_key

    for step in steps:
        nodes = fold(sorted(step.hosts, key=natural_key))
        if step.what == "copy":
            _say(f"send {step.argv[-1] if '--copy' not in step.argv else step.argv[step.argv.index('--dest') + 1]}"
                 f" to {nodes}", err=True)
        elif step.what in ("link", "remove"):
            _say(f"{step.what} {step.records[0][0]} on {nodes}", err=True)
        elif step.what == "unblock":
            _say(f"take hagen's blocks out of {step.records[0][0]} on {nodes} (the node's own lines kept)", err=True)
    for step in actions:
        _say(f"then run on {fold(sorted(step.hosts, key=natural_key))}: {step.argv[-1]}", err=True)


def _confirm(stdin) -> None:
    from hagen.base.errors import InputRefused
    from hagen.base.reports import Where, error

    if not stdin.isatty():
        raise InputRefused("push asks before sending, and there is no terminal to ask: nothing was sent", reports=[
            error("HA142", Where(key="--yes"), "no terminal to confirm the push on",
                  "review with --dry-run, then push again with --yes, or push a reviewed --plan")])
    if not typer.confirm("send these files?", default=False, err=True):
        raise InputRefused("not confirmed: nothing was sent")
