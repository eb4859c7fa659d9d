"""PostgreSQL for the tests: the shared server, and throw-away databases on it.

The server is named by HAGEN_TEST_PG (a libpq URI or conninfo of a database the tests
may connect to with the right to CREATE DATABASE), by default
postgresql://postgres@localhost:5432/postgres. Tests that need it are marked
`requires_pg` and skip, saying why, when it cannot be reached.

    from pg import requires_pg, temp_database

    @requires_pg
    def test_x():
        with temp_database() as dsn:     # an empty schema of its own, dropped afterwards
            ...

CREATE DATABASE copies a template database and costs most of a second: the suite makes
one database (hagen_test_<random>, dropped when the suite ends) and gives each test a
schema of its own in it, named first in the DSN's search_path. hagen reads and writes
the current schema (to_regclass, current_schema()), so a schema is as private as a
database to it.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import subprocess
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest

DEFAULT_PG = "postgresql://postgres@localhost:5432/postgres"
CONNECT_TIMEOUT_S = 5


def server_dsn() -> str:
    return os.environ.get("HAGEN_TEST_PG") or DEFAULT_PG


@cache
def _probe() -> str | None:
    """None when the server answers, else why not (one line)."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(server_dsn(), connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means: no server for these tests
        text = " ".join(str(exc).split()) or exc.__class__.__name__
        return text
    return None


def pg_available() -> bool:
    return _probe() is None


def skip_reason() -> str:
    return (f"PostgreSQL is unreachable at {server_dsn()} (set HAGEN_TEST_PG to a server "
            f"where CREATE DATABASE is allowed): {_probe()}")


requires_pg = pytest.mark.skipif(not pg_available(), reason=skip_reason())
requires_psql = pytest.mark.skipif(shutil.which("psql") is None, reason="psql (postgresql-client) is not installed")


def dsn_for(dbname: str) -> str:
    """The server's DSN with another database name (a key=value conninfo)."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(server_dsn(), dbname=dbname)


def _admin():
    import psycopg

    return psycopg.connect(server_dsn(), connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)


def create_database() -> tuple[str, str]:
    """CREATE DATABASE hagen_test_<random>; returns (name, dsn)."""
    if not pg_available():
        pytest.skip(skip_reason())
    name = f"hagen_test_{secrets.token_hex(6)}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, dsn_for(name)


def drop_database(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@cache
def _suite_database() -> str:
    """The one database of this test run (its name), dropped when the run ends."""
    name, _ = create_database()
    atexit.register(drop_database, name)
    return name


@contextmanager
def temp_database():
    """A new, empty schema of the suite's database for the duration of the block; yields a DSN
    whose search_path names it first. Dropped (CASCADE) after."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    if not pg_available():
        pytest.skip(skip_reason())
    database = _suite_database()
    schema = f"t_{secrets.token_hex(6)}"
    admin = dsn_for(database)
    with psycopg.connect(admin, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield make_conninfo(admin, options=f"-c search_path={schema}")
    finally:
        with psycopg.connect(admin, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_db():
    """A fresh empty schema (a DSN that uses it) for one test."""
    with temp_database() as dsn:
        yield dsn


def psql(dsn: str, *args, file: Path | str | None = None) -> subprocess.CompletedProcess:
    """Run psql against dsn, stopping at the first error; raises on failure with psql's own words."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, *map(str, args)]
    if file is not None:
        cmd += ["-f", str(file)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def execute(dsn: str, *statements: str) -> None:
    """Run statements in one transaction on dsn."""
    import psycopg

    with psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        for sql in statements:
            conn.execute(sql)
