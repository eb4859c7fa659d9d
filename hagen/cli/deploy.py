"""hagen diff and hagen push: what a build would change, and sending it to the nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import DB, HOSTS, OUT, SITE, SNAPSHOT, _host_filter, _print_reports, _run, _say, app


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
    """diff's fast path: the hosts of the tree when it is up to date (hagen.uptodate); None otherwise."""
    from ClusterShell.NodeSet import NodeSet

    from hagen.emit import OutputTree
    from hagen.load.site import load_site
    from hagen.load.source import choose_source
    from hagen.uptodate import verdict

    spec = load_site(site)
    found = verdict(OutputTree(against), spec, choose_source(db, str(snapshot) if snapshot else None, spec), lazy=True)
    return set(NodeSet(found.manifest["hosts"])) if found.up_to_date else None


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
