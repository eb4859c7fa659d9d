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
        from contextlib import ExitStack

        from hagen.review.diff import DiffResult, diff_tree
        from hagen.emit import OutputTree
        from hagen.base.errors import UsageError
        from hagen.review.explain import secrets_of
        from hagen.deploy.gathered import ForeignTree
        from hagen.base.nodesets import unknown_hosts_refused
        from hagen.compile.pipeline import compile_site
        from hagen.base.reports import Where, error

        if output_format not in ("text", "json"):
            raise UsageError(reports=[error("HA134", Where(key="--format"), f"--format {output_format!r} is not "
                                            "a format diff writes", "give --format text or --format json")])
        only = _host_filter(host)
        with ExitStack() as held:       # no build applies to a tree hagen wrote while diff reads it
            for folder in {against.resolve(): against, out.resolve(): out}.values():
                held.enter_context(OutputTree(folder).reading())
            tree = ForeignTree(against)
            tree.check_root()
            # one OutputTree for against throughout: its manifest is validated once (0.1 s at 10,000 nodes)
            against_tree = OutputTree(against)
            spec, hosts, intact, source, warnings = _fast_path(site, against_tree, db, snapshot)  # opens no file of it
            if hosts is not None:      # built from these very inputs, and intact: nothing to compile
                unknown_hosts_refused(only, hosts)
                result = DiffResult(str(against), len(hosts if only is None else hosts & only), [])
            else:
                known = _intact_entries(against_tree, intact)
                # a FIFO or an unreadable file is refused before anything reads it (an intact output
                # tree holds only what its manifest says: no walk needed)
                present = set(known) if known is not None else tree.scan()
                # against a gathered tree, the build is the one push sends: compiled against --out
                # (its config_version, and the nodes' record in its store), when there is one
                base = out if out.resolve() != against.resolve() and OutputTree(out).current() is not None \
                    else against
                progress = progress_for(verbose, total=3)
                try:
                    compiled = compile_site(spec or site, against_tree if base is against else OutputTree(base),
                                            db, str(snapshot) if snapshot else None, progress=progress)
                finally:
                    progress.close()
                warnings = compiled.warnings
                unknown_hosts_refused(only, {f.host for f in compiled.files})
                files = [f for f in compiled.files if only is None or f.host in only]
                # an intact output tree's manifest lists what hagen wrote there: known already
                managed = set(known) if known is not None else (tree.managed() or set())
                if out.is_dir() and out.resolve() != against.resolve():
                    managed |= ForeignTree(out).managed() or set()
                # a gathered tree's mark knows what each copy gather wrote holds, while it is unchanged
                result = diff_tree(files, tree, secrets_of(compiled), show_secrets, managed, present,
                                   known if known is not None else tree.known())
                from hagen.deploy.state import read_record
                from hagen.review.diff import versions_going_down

                record = read_record(OutputTree(out))
                _print_reports(versions_going_down(result.sends, tree, record))
                result.removes = _vouched(result.removes, compiled.files, record, OutputTree(out))
        _print_reports(warnings)       # what check and build say of these inputs, on stderr
        _warn_missing_commands(out)
        if save_plan is not None:
            from hagen.deploy.pushplan import save_plan as write_plan

            write_plan(save_plan, result.sends, result.removes)
        if output_format == "json":
            doc = dict(result.to_json(), source=source.to_json(), reports=[w.to_json() for w in warnings])
            _say(json.dumps(doc, indent=1), show_secrets=show_secrets)
        else:
            from hagen.model.names import fold

            from hagen.cli.colour import paint_diff, terminal_safe

            _say(f"{result.summary} (from {source.summary})")
            for change in result.changes:
                _say(paint_diff(f"{change.kind} {change.path} on {fold(change.hosts)}", sys.stdout))
                for line in change.details:
                    _say(paint_diff(terminal_safe(f"    {line}", sys.stdout), sys.stdout), show_secrets=show_secrets)
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


def _vouched(removes, files, record, tree) -> list:
    """The removals a saved plan may hold: those push would make (hagen.deploy.removals), so
    that a reviewed plan is never one push refuses for a file hagen never wrote."""
    from hagen.deploy.removals import resolve

    taken = resolve(removes, {(f.host, f.path): None for f in files}, record, tree)
    allowed = set(taken.delete) | {(h, p) for h, p, _, _ in taken.unblock} | set(taken.forget)
    return [r for r in removes if r in allowed]


def _intact_entries(tree, intact: bool | None) -> dict | None:
    """{(host, path): entry} of an output tree hagen wrote and nobody changed since (its
    store's record of every object and link holds); None for anything else, a gathered
    tree included, whose files diff then reads one by one. intact: what the fast path
    found of it already (None: not looked at). tree: an OutputTree."""
    from hagen.emit import expand

    manifest = tree.manifest()
    if manifest is None or intact is False or (intact is None and not tree.intact()):
        return None
    return expand(manifest)


def _warn_missing_commands(out: Path) -> None:
    """HA945 warnings: commands /etc/HA/start and stop call that gather found missing on nodes.
    They change no exit status: hagen does not write those commands."""
    from hagen.deploy.expected import missing_expected
    from hagen.base.reports import Where, warning

    _print_reports([warning("HA945", Where(host=nodes), f"{path} is called by /etc/HA/start or stop but is missing "
                            "or not executable there (as last gathered)",
                            "install the package that provides it, or remove it from management.services")
                    for nodes, path in missing_expected(out)])


def _fast_path(site, against_tree, db, snapshot):
    """(the site spec, loaded, for the compile; the hosts of the tree when it is up to date
    with the inputs (hagen.compile.uptodate) and its record says the warnings they give, else None;
    whether the tree is intact, when that was looked at, else None; the ClusterDB source; the
    warnings recorded). A store that does not validate (a hand-edited manifest, hosts:
    "ns[0-") gives no hosts: the fast path is an optimisation, never a reason to fail."""
    from ClusterShell.NodeSet import NodeSet

    from hagen.base.errors import HagenError
    from hagen.load.site import load_site
    from hagen.load.source import choose_source
    from hagen.compile.uptodate import verdict

    spec = load_site(site)
    source = choose_source(db, str(snapshot) if snapshot else None, spec)
    try:
        found = verdict(against_tree, spec, source, lazy=True)
        warnings = against_tree.remembered_warnings() if found.up_to_date else None
        if warnings is None:
            return spec, None, found.intact, source, []
        return spec, set(NodeSet(found.manifest["hosts"])), found.intact, source, warnings
    except HagenError:
        raise
    except Exception:
        return spec, None, None, source, []


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
         format: Format = typer.Option(Format.text, "--format", help="With --dry-run: json writes what would be "
                                       "sent and run as one JSON document (hagen-report/1) on stdout.")):
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

    if format is Format.json and not dry_run:
        from hagen.base.errors import UsageError
        from hagen.base.reports import Where, error

        def refuse():
            raise UsageError(reports=[error("HA134", Where(key="--format"), "push writes JSON with --dry-run only",
                                            "add --dry-run to see what would be sent as JSON; a real push reports "
                                            "in text")])
        return _run(refuse)

    def body():
        from hagen.deploy import plan as plans
        from hagen.deploy import push as pushing
        from hagen.deploy.fanout import settings
        from hagen.deploy.state import checked_manifest, read_record
        from hagen.emit import OutputTree
        from hagen.base.errors import InputRefused
        from hagen.load.site import load_site
        from hagen.load.source import choose_source
        from hagen.base.reports import Where, error

        spec = load_site(site)
        cfg = settings(spec)
        only, skip = _nodeset(nodes, "-w"), _nodeset(exclude, "-x")
        tree = OutputTree(out)
        with tree.lock("push"):        # no build changes the tree between what push reads and what it sends
            entries = checked_manifest(tree)
            plans.selection_refused(only, skip, {h for h, _ in entries})
            record = read_record(tree)
            if plan is not None:
                chosen = plans.from_file(plans.read_plan(plan), entries, str(plan), only, skip)
            else:
                source = choose_source(db, str(snapshot) if snapshot else None, spec)
                if _stale(spec, tree, source, db, snapshot, verbose):
                    raise InputRefused("the output tree is not what the inputs build now: nothing was sent", reports=[
                        error("HA941", Where(file=str(out)), f"{out} is not what a build makes now (the site spec, "
                              "the ClusterDB, a secret, hagen, or the versions the nodes hold changed since)",
                              "run `hagen build` (and `hagen diff`) first")])
                _say(f"{out} is up to date with {source.summary}", err=True)   # what push compared it with
                chosen, vanished = plans.from_tree(entries, record, only, skip, prune)
                _say_vanished([] if prune else vanished)
            result = pushing.Pushed(skipped=set(chosen.up_to_date))
            _send(tree, spec, cfg, chosen, entries, record, result, str(plan) if plan else "",
                  confirm=plan is None and not yes, dry_run=dry_run, reload=reload, as_json=format is Format.json)
        if dry_run:
            return
        for line in result.table():
            _say(line)
        if not result.ok:
            raise typer.Exit(3)
    _run(body)


def _dry_run_json(steps, actions) -> None:
    """push --dry-run --format json: each copy, mkdir, link... and each --reload action with its
    node set and argument list, as one hagen-report/1 document on stdout."""
    from hagen.model.names import fold, natural_key
    from hagen.base.reports import dump_document, reports_document

    def shown(step) -> dict:
        return {"what": step.what, "hosts": fold(sorted(step.hosts, key=natural_key)), "argv": list(step.argv),
                "source": step.source, "shown": step.shown()}
    typer.echo(dump_document(reports_document("push", [], 0, dry_run=True, steps=[shown(s) for s in steps],
                                              actions=[shown(a) for a in actions])), nl=False)


def _say_vanished(vanished) -> None:
    from hagen.model.names import fold, natural_key

    gone: dict = {}
    for host, path in vanished:
        gone.setdefault(path, []).append(host)
    for path, hosts in sorted(gone.items()):
        _say(f"vanished (use --prune to remove): {path} on {fold(sorted(hosts, key=natural_key))}", err=True)


def _send(tree, spec, cfg, chosen, entries, record, result, where, confirm, dry_run, reload,
          as_json=False) -> None:
    """Check the plan whole (removals vouched for, shared files' bases, config_version), then
    send it; nothing is sent when a check refuses (but a shared file refused for one node)."""
    import sys

    from hagen.deploy import push as pushing
    from hagen.deploy import removals
    from hagen.base.errors import InputRefused

    shared = set(spec.get("shared_files", default=[]) or [])
    taken = removals.resolve(chosen.remove, entries, record, tree, where, chosen.remove_keys)
    if taken.problems:
        raise InputRefused("a removal is not one hagen may make: nothing was sent", reports=taken.problems)
    sources = pushing.Sources(tree, chosen)
    try:
        refused = removals.refused_shared(chosen.send, shared, tree, record, sources.data)
        if refused:
            _print_reports([removals.shared_problem(h, p, why) for (h, p), why in sorted(refused.items())])
            chosen.send = [s for s in chosen.send if (s[0], s[1]) not in refused]
            for (host, path), why in refused.items():
                result.refused.setdefault(host, f"{path} not sent (HA966): {why}")
        pushing.check_versions(chosen, sources, record)
        steps = pushing.steps_of(chosen, cfg, sources, taken, shared)
        actions = pushing.action_steps(chosen, cfg, sources, entries)
        if dry_run and as_json:
            return _dry_run_json(steps, actions)
        if dry_run:
            for step in steps:
                if step.argv:
                    _say(step.shown())
            for step in actions:
                _say(f"# --reload would run: {step.shown()}")
            return
        if not steps:
            _say("nothing to send: every node holds the build" if not refused else "nothing else to send")
            return
        _summary(steps, actions if reload else [])
        if confirm:
            _confirm(sys.stdin)
        pushing.run_steps(tree, steps, (lambda landed: pushing.action_steps(
            chosen, cfg, sources, entries, landed)) if reload else None, result, lambda t: _say(t, err=True))
    finally:
        sources.close()


def _stale(spec, tree, source, db, snapshot, verbose=False) -> bool:
    """Whether the output tree differs from what the inputs build now (fast when the tree was
    built from byte-identical inputs and is intact)."""
    from hagen.emit import manifest_of
    from hagen.compile.pipeline import compile_site
    from hagen.compile.uptodate import verdict

    if verdict(tree, spec, source, lazy=True).up_to_date:
        return False
    progress = progress_for(verbose, total=3)
    try:
        compiled = compile_site(spec, tree, db, str(snapshot) if snapshot else None, progress=progress)
    finally:
        progress.close()
    return manifest_of(compiled.files) != tree.manifest()


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
