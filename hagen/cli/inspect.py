"""hagen explain, render and codes: where a file comes from."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from hagen.cli.build import FORMAT, Format, _json_body
from hagen.cli.common import DB, OUT, SITE, SNAPSHOT, _run, _say, app


def _compiled(site, out, db, snapshot):
    """The build of site as it would be written into out, config_version included; no
    build applies to out while it is compiled against it."""
    from hagen.emit import OutputTree
    from hagen.emit.nodes import read_nodes
    from hagen.compile.pipeline import compile_site

    with OutputTree(out).reading() as tree:
        return compile_site(site, tree, db, str(snapshot) if snapshot else None, nodes=read_nodes(tree))


@app.command()
def explain(host: str = typer.Argument(..., help="A host of the build: ns0."),
            path: str = typer.Argument(..., help="A path as on the host: /etc/ntp.conf."),
            site: Path = SITE, out: Path = OUT, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
            show_secrets: bool = typer.Option(False, "--show-secrets", help="Show fence passwords."),
            format: Format = FORMAT):
    """Say where one file comes from: template, site keys, ClusterDB rows, context."""
    from hagen.review.explain import explain as explain_file
    from hagen.review.explain import explanation

    if format is Format.json:
        def work():
            compiled = _compiled(site, out, db, snapshot)
            return compiled.warnings, {"explain": explanation(compiled, host, path, show_secrets)}
        return _json_body("explain", work)

    def body():
        sys.stdout.write(explain_file(_compiled(site, out, db, snapshot), host, path, show_secrets))
    _run(body)


@app.command()
def render(host: str = typer.Argument(..., help="A host of the build: ns0."),
           path: str = typer.Argument(..., help="A path as on the host: /etc/ntp.conf."),
           site: Path = SITE, out: Path = OUT, db: Optional[str] = DB, snapshot: Optional[Path] = SNAPSHOT,
           show_secrets: bool = typer.Option(False, "--show-secrets", help="Print fence passwords.")):
    """Print one file as a build would write it; write nothing."""
    from hagen.review.explain import render_one

    def body():
        sys.stdout.buffer.write(render_one(_compiled(site, out, db, snapshot), host, path, show_secrets))
    _run(body)


@app.command()
def codes(format: Format = FORMAT):
    """List every diagnostic code hagen can report, with its severity and meaning."""
    from hagen.base.codes import AUDIT_CODES, CODES, is_spof, severity

    if format is Format.json:
        return _json_body("codes", lambda: ([], {"codes": [
            {"code": code, "severity": severity(code), "meaning": doc, "audit": code in AUDIT_CODES,
             "spof": is_spof(code)} for code, doc in CODES.items()]}))

    def body():
        import sys

        for code, doc in CODES.items():
            _say(f"{code}  {severity(code):7}  {doc}")
        sys.stdout.flush()        # a closed pipe is seen here, not silently at exit
    _run(body)
