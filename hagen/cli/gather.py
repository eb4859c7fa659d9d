"""hagen gather: fetch from the nodes what the build manages, and record what they hold."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hagen.cli.build import FORMAT, Format
from hagen.cli.common import OUT, SITE, _run, _say, app

NODES = typer.Option(None, "--nodes", "-w", help="Only these nodes, as a node set: ns[0,13].", metavar="NODESET")
EXCLUDE = typer.Option(None, "--exclude", "-x", help="Leave these nodes out, as a node set.", metavar="NODESET")


def _nodeset(text: str | None, option: str) -> set | None:
    """A -w/-x node set of plain host names (HA140 otherwise)."""
    if text is None:
        return None
    from hagen.base.errors import UsageError
    from hagen.base.nodesets import NodeSetRefused, expand
    from hagen.base.reports import Where, error
    from hagen.emit.manifest import plain_host

    try:
        hosts = set(expand(text))     # bounded by the one MAX_HOSTS before ClusterShell expands it
    except NodeSetRefused as exc:     # not a node set, too large, a node group (@foo:bar): a usage error
        hosts, why = None, f"{text!r} is not a node set of hosts: {str(exc).splitlines()[0] if str(exc) else exc!r}"
    else:
        bad = sorted(h for h in hosts if not plain_host(h))
        why = f"{bad[0]!r} is not a plain host name" if bad else None
    if why:
        raise UsageError(reports=[error("HA140", Where(key=option), why,
                                        "write nodes as a ClusterShell node set, e.g. ns[0,13] or xena[1-2,10]")])
    return hosts


@app.command()
def gather(site: Path = SITE, out: Path = OUT,
           into: Path = typer.Option(Path("gathered"), "--into", help="Where the fetched files go: "
                                     "DIR/<host>/<path on host>, ready for `hagen diff --against DIR`.",
                                     metavar="DIR"),
           nodes: Optional[str] = NODES, exclude: Optional[str] = EXCLUDE, format: Format = FORMAT):
    """Fetch from the nodes every file the build in OUT manages, and record what they hold.

    Each managed path comes back into DIR/<host>/<path>, modes kept, through the site's
    fan-out tool (deploy.gather_command: rpdcp, or clush --rcopy); nothing else is
    fetched. The expected commands (what /etc/HA/start and stop call that hagen does not
    write) are checked to exist and be executable. What each node holds (sha256, mode,
    cluster.conf's config_version) is recorded beside OUT: build takes config_version
    from it, push sends only what differs. Hosts the build no longer makes leave the
    record, and their folder in DIR goes. A node that does not answer (down, hung past
    deploy.command_timeout, or its reverse copy brings nothing back) is unreachable:
    nothing of it is recorded.

    Exit status: 0 every node answered, 2 input refused, 3 some nodes unreachable.
    """
    def fetched():
        from hagen.deploy.fanout import settings
        from hagen.deploy.gather import gather as fetch
        from hagen.load.site import load_site

        cfg = settings(load_site(site))
        return fetch(out, cfg, into, _nodeset(nodes, "-w"), _nodeset(exclude, "-x"),
                     echo=lambda text: _say(text, err=True), site_dir=Path(site).resolve().parent)

    if format is Format.json:
        return _gather_json(fetched, into)

    def body():
        from hagen.base.reports import one_line

        result = fetched()
        for path, hosts in sorted(result.missing.items()):
            _say(f"missing on the nodes: {path} on {_folded(hosts)}")
        for report in _warnings(result):
            _say(str(report), err=True)
        if result.reached:
            _say(f"gathered: {result.files} file(s) from {_folded(result.reached)} into {into}")
        if result.pruned:
            _say(f"no longer built, forgotten (record and gathered folder): {_folded(result.pruned)}")
        by_msg: dict = {}
        for host, msg in result.unreachable.items():
            by_msg.setdefault(msg, []).append(host)
        for msg, hosts in sorted(by_msg.items()):
            _say(f"unreachable: {_folded(hosts)}: {one_line(msg)}", err=True)
        if result.unreachable:
            raise typer.Exit(3)
    _run(body)


def _folded(hosts) -> str:
    from hagen.model.names import fold, natural_key

    return fold(sorted(hosts, key=natural_key))


def _warnings(result) -> list:
    """HA946, HA992, HA968 and HA945, as gather reports them."""
    from hagen.base.reports import Where, warning

    out = [warning("HA946", Where(host=_folded(hosts)), f"{path} is not a plain file there: not fetched",
                   "look at it on the node; push replaces it with hagen's file")
           for path, hosts in sorted(result.odd.items())]
    out += [warning("HA992", Where(host=_folded(hosts)), f"{path}: what the node sent back was refused, "
                    f"nothing of it used: {why}", "look at the node: it does not answer as tar does; "
                    "push replaces the file with hagen's")
            for (path, why), hosts in sorted(result.refused.items())]
    out += [warning("HA968", Where(host=host), f"{path} cannot be used: {why}",
                    "push will not send a shared file or a newer cluster.conf there until it can")
            for path, found in sorted(result.unusable.items()) for host, why in found]
    out += [warning("HA945", Where(host=_folded(hosts)),
                    f"{path} is called by /etc/HA/start or stop but is missing or not executable",
                    "install it on the node before the next failover")
            for path, hosts in sorted(result.missing_commands.items())]
    return out


def _gather_json(fetched, into):
    """gather --format json: one hagen-report/1 document on stdout; exit 3 when nodes were
    unreachable, as the text form."""
    from hagen.base.errors import HagenError
    from hagen.base.reports import dump_document, reports_document

    def body():
        try:
            result = fetched()
        except HagenError as exc:
            typer.echo(dump_document(reports_document("gather", exc.reports, exc.exit_code, exc.message, exc.hint)),
                       nl=False)
            raise typer.Exit(exc.exit_code)
        status = 3 if result.unreachable else 0
        typer.echo(dump_document(reports_document(
            "gather", _warnings(result), status, into=str(into), files=result.files,
            reached=_folded(result.reached), pruned=_folded(result.pruned),
            missing={path: _folded(hosts) for path, hosts in sorted(result.missing.items())},
            unreachable={host: msg for host, msg in sorted(result.unreachable.items())})), nl=False)
        if status:
            raise typer.Exit(status)
    _run(body)
