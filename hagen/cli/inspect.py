"""hagen explain, render and codes: where a file comes from."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import DB, OUT, SITE, SNAPSHOT, _run, _say, app


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
        with OutputTree(out).reading() as tree:      # no build applies meanwhile
            compiled = compile_site(site, tree, db, str(snapshot) if snapshot else None)
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
        with OutputTree(out).reading() as tree:      # no build applies meanwhile
            compiled = compile_site(site, tree, db, str(snapshot) if snapshot else None)
        sys.stdout.buffer.write(render_one(compiled, host, path, show_secrets))
    _run(body)


@app.command()
def codes():
    """List every diagnostic code hagen can report, with its meaning."""
    from hagen.codes import CODES, severity

    for code, doc in CODES.items():
        _say(f"{code}  {severity(code):7}  {doc}")
