"""hagen gather: fetch from the nodes what the build manages, and record what they hold."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import OUT, SITE, _run, _say, app

NODES = typer.Option(None, "--nodes", "-w", help="Only these nodes, as a node set: ns[0,13].", metavar="NODESET")
EXCLUDE = typer.Option(None, "--exclude", "-x", help="Leave these nodes out, as a node set.", metavar="NODESET")


def _nodeset(text: str | None, option: str) -> set | None:
    """A -w/-x node set of plain host names (HA140 otherwise)."""
    if text is None:
        return None
    from ClusterShell.NodeSet import NodeSet, NodeSetException

    from hagen.emit.manifest import plain_host
    from hagen.errors import UsageError
    from hagen.reports import Where, error

    try:
        nodes = NodeSet(text)
        if len(nodes) > 1_000_000:
            raise NodeSetException("more than a million nodes")
        hosts = set(nodes)
    except Exception as exc:      # NodeSetException, a group source that fails (@foo:bar), ...: a usage error
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
           nodes: Optional[str] = NODES, exclude: Optional[str] = EXCLUDE):
    """Fetch from the nodes every file the build in OUT manages, and record what they hold.

    Each managed path comes back into DIR/<host>/<path>, modes kept, through the site's
    fan-out tool (deploy.gather_command: rpdcp, or clush --rcopy); nothing else is
    fetched. The expected commands (what /etc/HA/start and stop call that hagen does not
    write) are checked to exist and be executable. What each node holds (sha256, mode,
    cluster.conf's config_version) is recorded beside OUT: build takes config_version
    from it, push sends only what differs. Hosts the build no longer makes leave the
    record, and their folder in DIR goes.

    Exit status: 0 every node answered, 2 input refused, 3 some nodes unreachable.
    """
    def body():
        from hagen.deploy.fanout import settings
        from hagen.deploy.gather import gather as fetch
        from hagen.load.site import load_site
        from hagen.model.names import fold, natural_key
        from hagen.reports import Where, one_line, warning

        cfg = settings(load_site(site))
        result = fetch(out, cfg, into, _nodeset(nodes, "-w"), _nodeset(exclude, "-x"),
                       echo=lambda text: _say(text, err=True), site_dir=Path(site).resolve().parent)

        def folded(hosts):
            return fold(sorted(hosts, key=natural_key))

        for path, hosts in sorted(result.missing.items()):
            _say(f"missing on the nodes: {path} on {folded(hosts)}")
        for path, hosts in sorted(result.odd.items()):
            _say(str(warning("HA946", Where(host=folded(hosts)), f"{path} is not a plain file there: not fetched",
                             "look at it on the node; push replaces it with hagen's file")), err=True)
        for path, found in sorted(result.unusable.items()):
            for host, why in found:
                _say(str(warning("HA968", Where(host=host), f"{path} cannot be used: {why}",
                                 "push will not send a shared file or a newer cluster.conf there until it can")),
                     err=True)
        for path, hosts in sorted(result.missing_commands.items()):
            _say(str(warning("HA945", Where(host=folded(hosts)),
                             f"{path} is called by /etc/HA/start or stop but is missing or not executable",
                             "install it on the node before the next failover")), err=True)
        if result.reached:
            _say(f"gathered: {result.files} file(s) from {folded(result.reached)} into {into}")
        if result.pruned:
            _say(f"no longer built, forgotten (record and gathered folder): {folded(result.pruned)}")
        by_msg: dict = {}
        for host, msg in result.unreachable.items():
            by_msg.setdefault(msg, []).append(host)
        for msg, hosts in sorted(by_msg.items()):
            _say(f"unreachable: {folded(hosts)}: {one_line(msg)}", err=True)
        if result.unreachable:
            raise typer.Exit(3)
    _run(body)
