"""hagen diff and hagen push: what a build would change, and sending it to the nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import DB, HOSTS, OUT, SITE, SNAPSHOT, _host_filter, _print_reports, _run, _say, app


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
         show_secrets: bool = typer.Option(False, "--show-secrets", help="Print fence passwords instead of ********.")):
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

        from hagen.diff import DiffResult, diff_tree
        from hagen.emit import OutputTree
        from hagen.errors import UsageError
        from hagen.explain import secrets_of
        from hagen.gathered import ForeignTree
        from hagen.nodesets import unknown_hosts_refused
        from hagen.pipeline import compile_site
        from hagen.reports import Where, error

        if output_format not in ("text", "json"):
            raise UsageError(reports=[error("HA134", Where(key="--format"), f"--format {output_format!r} is not "
                                            "a format diff writes", "give --format text or --format json")])
        only = _host_filter(host)
        tree = ForeignTree(against)
        tree.check_root()
        present = tree.scan()          # a FIFO or an unreadable file is refused before anything reads it
        hosts = _fast_path(site, against, db, snapshot)
        if hosts is not None:      # built from these very inputs, and intact: nothing to compile
            unknown_hosts_refused(only, hosts)
            result = DiffResult(str(against), len(hosts if only is None else hosts & only), [])
        else:
            # against a gathered tree, the build is the one push sends: compiled against --out
            # (its config_version, and the nodes' record in its store), when there is one
            base = out if out.resolve() != against.resolve() and OutputTree(out).current() is not None else against
            compiled = compile_site(site, OutputTree(base), db, str(snapshot) if snapshot else None)
            _print_reports(compiled.warnings, quiet=True)
            unknown_hosts_refused(only, {f.host for f in compiled.files})
            files = [f for f in compiled.files if only is None or f.host in only]
            managed = tree.managed() or set()
            if out.is_dir() and out.resolve() != against.resolve():
                managed |= ForeignTree(out).managed() or set()
            result = diff_tree(files, tree, secrets_of(compiled), show_secrets, managed, present)
        if save_plan is not None:
            from hagen.pushplan import save_plan as write_plan

            write_plan(save_plan, result.sends, result.removes)
        if output_format == "json":
            _say(json.dumps(result.to_json(), indent=1), show_secrets=show_secrets)
        else:
            from hagen.model.names import fold

            _say(result.summary)
            for change in result.changes:
                _say(f"{change.kind} {change.path} on {fold(change.hosts)}")
                for line in change.details:
                    _say(f"    {line}", show_secrets=show_secrets)
        return 1 if result.changes else 0
    raise typer.Exit(_run(body, DIFF_EXITS))


def _fast_path(site, against, db, snapshot):
    """_unchanged_since_built, or None when the tree's store does not validate (a hand-edited
    manifest, hosts: "ns[0-"): the fast path is an optimisation, never a reason to fail."""
    from hagen.errors import HagenError

    try:
        return _unchanged_since_built(site, against, db, snapshot)
    except HagenError:
        raise
    except Exception:
        return None


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
