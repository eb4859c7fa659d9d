"""hagen db: create, fill and export a ClusterDB; a snapshot as SQL."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hagen.cli.common import _run, _say, db_app, write_output


@db_app.command("init")
def db_init(db: str = typer.Option(..., "--db", help="libpq URI or conninfo of an empty database.", metavar="DSN")):
    """Create the ClusterDB schema (schemas/clusterdb.sql), with no rows, in an empty database."""
    from hagen.load.clusterdb import init_schema
    from hagen.load.dsn import describe as describe_dsn

    def body():
        init_schema(db)
        _say(f"created the ClusterDB schema in {describe_dsn(db)}")
    _run(body)


@db_app.command("load")
def db_load(snapshot: Path = typer.Argument(..., help="Snapshot file (YAML or JSON).", metavar="FILE"),
            db: str = typer.Option(..., "--db", help="libpq URI or conninfo.", metavar="DSN")):
    """Load a snapshot's rows into a database, creating the schema if the database is empty."""
    from hagen.load.clusterdb import load_rows
    from hagen.load.dsn import describe as describe_dsn
    from hagen.load.snapshot import read_snapshot

    def body():
        rows = read_snapshot(snapshot)
        count = load_rows(db, rows)
        _say(f"loaded {count} rows into {describe_dsn(db)}")
    _run(body)


@db_app.command("export")
def db_export(db: str = typer.Option(..., "--db", help="libpq URI or conninfo.", metavar="DSN"),
              output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout.",
                                                    metavar="FILE"),
              as_json: bool = typer.Option(False, "--json", help="JSON instead of YAML (also chosen by a .json name).")):
    """Write the ClusterDB's rows as a deterministic snapshot: same rows, same bytes."""
    from hagen.load.clusterdb import read_rows
    from hagen.load.dsn import describe as describe_dsn
    from hagen.load.snapshot import dump_snapshot, rows_from_raw

    def body():
        rows = rows_from_raw(read_rows(db), describe_dsn(db))
        text = dump_snapshot(rows, as_json=as_json or (output is not None and output.suffix == ".json"))
        write_output(text, output, secret=True)
    _run(body)


@db_app.command("sql")
def db_sql(snapshot: Path = typer.Argument(..., help="Snapshot file (YAML or JSON).", metavar="FILE"),
           output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout.",
                                                 metavar="FILE")):
    """Print a snapshot's rows as SQL INSERTs, for psql after schemas/clusterdb.sql. Needs no database.

    Example: hagen db sql clusterdb.yaml > clusterdb.sql
    """
    from hagen.load.snapshot import dump_sql, read_snapshot

    def body():
        write_output(dump_sql(read_snapshot(snapshot)), output, secret=True)
    _run(body)

