"""hagen init: draft a site spec from the ClusterDB."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import DB, SNAPSHOT, _run, _say, app


@app.command()
def init(db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
         output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the draft here instead of stdout "
                                               "(never over an existing file without --force).", metavar="FILE"),
         force: bool = typer.Option(False, "--force", help="Replace FILE if it exists.")):
    """Draft a commented site spec from the ClusterDB (--db DSN or --snapshot FILE).

    The draft lists the cells, networks, aliases and batch nodes found, takes the
    guide's defaults for the rest, and marks each choice the site must make with
    "# SITE:". It names the fence password by a password_file beside itself: create
    that file (mode 0600), then run hagen check.

    Example: hagen init --snapshot clusterdb.yaml -o site.yaml
    """
    from hagen.compile.init import draft_site, write_draft

    def body():
        text = draft_site(db, str(snapshot) if snapshot else None, output)
        if output is None:
            typer.echo(text, nl=False)
            return
        write_draft(text, output, force)
        _say(f"{output}: drafted; review each '# SITE:' line, create its password_file, then run "
             f"hagen check --site {output}", err=True)
    _run(body)
