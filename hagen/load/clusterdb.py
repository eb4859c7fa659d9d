"""The ClusterDB over a real PostgreSQL connection (psycopg 3).

Reads happen in one read-only REPEATABLE READ transaction (every table seen at one
instant), one SELECT per table (never per node), with a statement timeout. inet, cidr
and macaddr columns are read as text so that a database and its snapshot give the
same values: an inet without a netmask of its own reads back bare (`10.1.0.1`, not
`10.1.0.1/32`), one with a netmask keeps it (`10.1.0.65/16`).

rows_fingerprint() asks the server for a digest of those same rows in one statement, so
that "has anything changed?" costs one query and no row on the wire (hagen.compile.uptodate).
"""

from __future__ import annotations

from contextlib import contextmanager

from hagen.base.errors import InputRefused, SourceError
from hagen.load.dsn import describe as describe_dsn
from hagen.load.rows import TABLE_BY_NAME, TABLES, Rows
from hagen.base.resources import schemas_dir

STATEMENT_TIMEOUT_MS = 60_000
CONNECT_TIMEOUT_S = 10
TIMEOUT_ENV = "HAGEN_STATEMENT_TIMEOUT_MS"   # overrides STATEMENT_TIMEOUT_MS (tests, very slow servers)


def statement_timeout_ms() -> int:
    """The statement timeout of a read: $HAGEN_STATEMENT_TIMEOUT_MS if set, else STATEMENT_TIMEOUT_MS."""
    import os

    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return STATEMENT_TIMEOUT_MS
    # PostgreSQL's statement_timeout is a 32-bit integer of milliseconds: beyond, the server refuses it
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= 2 ** 31 - 1:
        raise InputRefused(f"{TIMEOUT_ENV}={text[:40]!r} is not a number of milliseconds from 1 to {2 ** 31 - 1}",
                           hint=f"unset {TIMEOUT_ENV}, or set it to e.g. 60000")
    return int(text)


def connect(dsn: str, read_only: bool = True):
    import psycopg

    from hagen.base.masking import remember_dsn

    # libpq may echo the DSN in its errors, even one it cannot parse: its passwords (found
    # without libpq) are masked in every message from now on
    remember_dsn(dsn)

    try:
        conn = psycopg.connect(dsn or "", connect_timeout=CONNECT_TIMEOUT_S, autocommit=False)
    except psycopg.OperationalError as exc:
        reason = _reason(exc)
        raise SourceError(f"cannot connect to {describe_dsn(dsn)}: {reason}", hint=connect_hint(reason))
    except psycopg.ProgrammingError as exc:
        raise InputRefused(f"the connection string is not valid: {_first(exc)}",
                           hint="give a libpq URI (postgresql://user@host:5432/db) or key=value conninfo")
    conn.read_only = read_only
    if read_only:
        # one snapshot for every table: rows committed between two SELECTs stay unseen
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


# what to do for each cause libpq gives (its English messages), the first that matches
_HINTS = (
    (("password authentication failed", "no password supplied", "password is required", "authentication failed"),
     "give the password outside the DSN: PGPASSWORD=... in the environment, or a line "
     "host:port:database:user:password in ~/.pgpass (chmod 600 ~/.pgpass: libpq ignores it otherwise)"),
    (("no pg_hba.conf entry",),
     "the server refuses this host, user or database: add a line for them to its pg_hba.conf and reload it"),
    (("does not exist",),
     "check the user and database names of --db (or PGUSER, PGDATABASE): `psql -l` lists the databases"),
    (("connection refused", "no such file or directory", "could not translate host name", "timeout expired",
      "no route to host"),
     "check the host and port of --db (or PGHOST, PGPORT) and that the server runs and listens there"),
)


def connect_hint(reason: str) -> str:
    """What to do about a failed connection, for its cause."""
    low = reason.lower()
    for needles, hint in _HINTS:
        if any(n in low for n in needles):
            return hint
    return "check --db (or PGHOST, PGPORT, PGUSER, PGDATABASE), that the server runs, and the credentials"


def _reason(exc) -> str:
    """libpq's reason for a failed connection, on one line ('Connection refused', 'role "x" does not exist')."""
    lines = [" ".join(line.split()) for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if "failed: " in line:
            reason = line.rsplit("failed: ", 1)[1]
            return reason.removeprefix("FATAL: ").strip() or line
    return lines[0] if lines else exc.__class__.__name__


def _expr(c) -> str:
    """The expression that reads column c as hagen wants its value."""
    if c.kind == "inet":
        # abbrev(): 10.1.0.1 for a host address, 10.1.0.65/16 when a netmask was stored
        return f"abbrev({c.name})"
    if c.kind in ("cidr", "macaddr"):
        return f"{c.name}::text"
    return c.name


def _column(c) -> str:
    expr = _expr(c)
    return expr if expr == c.name else f"{expr} AS {c.name}"


def _select(table) -> str:
    return f"SELECT {', '.join(_column(c) for c in table.columns)} FROM {table.name}"


def read_rows(dsn: str) -> dict:
    """Every table hagen reads, raw (not yet normalised), in one read-only transaction."""
    raw: dict = {}
    with _reading(dsn) as (conn, at):
        for table in TABLES:
            at[0] = table.name
            cur = conn.execute(_select(table))
            names = [d.name for d in cur.description]
            raw[table.name] = [dict(zip(names, rec)) for rec in cur.fetchall()]
    return raw


def _digest_sql() -> str:
    """One statement giving, per table, an order-independent digest of what read_rows reads:
    md5 of the sorted md5s of each row's text (the same column expressions as the read,
    so that a digest changes exactly when the rows hagen would read change; duplicate rows
    count, since they are aggregated, not deduplicated). The md5s are sorted as 16 bytes,
    not as text: a third faster, the same order-independence."""
    parts = []
    for table in TABLES:
        row = ", ".join(_expr(c) for c in table.columns)
        parts.append(f"(SELECT md5(coalesce(string_agg(h, '' ORDER BY h), '')) || ':' || count(*) "
                     f"FROM (SELECT decode(md5(ROW({row})::text), 'hex') AS h FROM {table.name}) AS r) "
                     f"AS {table.name}")
    return "SELECT " + ", ".join(parts)


def rows_fingerprint(dsn: str) -> str | None:
    """A digest of every row hagen reads, computed by the server in one query (no row crosses
    the wire): equal digests mean equal rows, whatever their order on disk. None when a
    table or column is missing: read_rows then says which."""
    import hashlib

    try:
        with _reading(dsn, schema_errors=False) as (conn, at):
            digests = conn.execute(_digest_sql()).fetchone()
    except _SchemaDiffers:
        return None
    h = hashlib.sha256()
    for table, digest in zip(TABLES, digests):
        h.update(f"{table.name}\0{digest}\n".encode())
    return h.hexdigest()


class _SchemaDiffers(Exception):
    """A table or column hagen reads is missing (raised instead of SourceError on request)."""


@contextmanager
def _reading(dsn: str, schema_errors: bool = True):
    """A read-only REPEATABLE READ transaction with the statement timeout; psycopg's errors
    become SourceError saying which table was being read (at[0], set by the caller).
    schema_errors=False: a missing table or column raises _SchemaDiffers instead."""
    import psycopg

    timeout = statement_timeout_ms()
    conn = connect(dsn, read_only=True)
    at = [None]
    try:
        with conn.transaction():
            conn.execute(f"SET LOCAL statement_timeout = {timeout}")
            yield conn, at
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as exc:
        if not schema_errors:
            raise _SchemaDiffers(_first(exc))
        if isinstance(exc, psycopg.errors.UndefinedTable):
            missing = f"table {at[0]} is missing" if at[0] else "a table is missing"
            raise SourceError(f"{describe_dsn(dsn)} is not a ClusterDB hagen can read: {missing} ({_first(exc)})",
                              hint="the database must follow schemas/clusterdb.sql (`hagen db init` creates it)")
        table = f"table {at[0]}: " if at[0] else ""
        raise SourceError(f"{describe_dsn(dsn)} has another ClusterDB schema version: {table}{_first(exc)}",
                          hint="hagen reads the columns of schemas/clusterdb.sql")
    except (psycopg.errors.UndefinedFunction, psycopg.errors.CannotCoerce, psycopg.errors.DatatypeMismatch) as exc:
        # abbrev(text) does not exist: a column has another type than schemas/clusterdb.sql gives it
        tables = [TABLE_BY_NAME[at[0]]] if at[0] else TABLES      # the fingerprint reads them all at once
        wrong = [w for table in tables for w in _wrong_types(conn, table)]
        raise SourceError(f"{describe_dsn(dsn)} has another ClusterDB schema: "
                          + ("; ".join(wrong) if wrong else f"table {at[0] or '?'}: {_first(exc)}"),
                          hint="hagen reads the column types of schemas/clusterdb.sql: ALTER the column back to "
                               "its type, or export the rows and load them into a database `hagen db init` made")
    except psycopg.errors.QueryCanceled as exc:
        raise SourceError(f"reading {describe_dsn(dsn)} took too long: {_first(exc)}",
                          hint="the server is overloaded or a table is locked; try again")
    except psycopg.Error as exc:
        raise SourceError(f"reading {describe_dsn(dsn)} failed: {_first(exc)}",
                          hint="check the server and the connection, then run the command again")
    finally:
        try:
            conn.close()
        except Exception:
            pass


# the PostgreSQL types (information_schema.columns.data_type) that give each kind of column
_TYPES = {"int": ("integer", "bigint", "smallint"), "text": ("text", "character varying", "character"),
          "bool": ("boolean",), "inet": ("inet",), "cidr": ("cidr",), "macaddr": ("macaddr", "macaddr8")}


def _wrong_types(conn, table) -> list[str]:
    """'column node_port.ipaddr is text, not inet' for every column of table whose type differs."""
    try:
        conn.rollback()
        found = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_name = %s AND table_schema = current_schema()", (table.name,)).fetchall())
        conn.rollback()
    except Exception:
        return []
    return [f"column {table.name}.{c.name} is {found[c.name]}, not {_TYPES[c.kind][0]}"
            for c in table.columns if c.name in found and found[c.name] not in _TYPES[c.kind]]


def _first(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def has_schema(conn) -> bool:
    return conn.execute("SELECT to_regclass('cluster') IS NOT NULL").fetchone()[0]


def init_schema(dsn: str) -> None:
    """Create the ClusterDB tables (no rows). Refuses a database that already has them."""
    import psycopg

    conn = connect(dsn, read_only=False)
    try:
        with conn.transaction():
            if has_schema(conn):
                raise SourceError(f"{describe_dsn(dsn)} already has a ClusterDB schema",
                                  hint="use an empty database, or `hagen db load` to fill this one")
            conn.execute((schemas_dir() / "clusterdb.sql").read_text(encoding="utf-8"))
    except psycopg.Error as exc:
        raise SourceError(f"creating the schema in {describe_dsn(dsn)} failed: {_first(exc)}")
    finally:
        conn.close()


def load_rows(dsn: str, rows: Rows) -> int:
    """Insert canonical rows into the database, creating the schema if it is absent.

    The tables must be empty: a load never merges into an existing ClusterDB."""
    import psycopg

    conn = connect(dsn, read_only=False)
    count = 0
    try:
        with conn.transaction():
            if not has_schema(conn):
                conn.execute((schemas_dir() / "clusterdb.sql").read_text(encoding="utf-8"))
            for table in TABLES:
                if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table.name})").fetchone()[0]:
                    raise SourceError(f"table {table.name} of {describe_dsn(dsn)} is not empty",
                                      hint="load a snapshot into an empty database (createdb, then hagen db load)")
            for table in TABLES:
                data = rows.get(table.name, [])
                if not data:
                    continue
                cols = table.column_names
                with conn.cursor().copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row([row.get(c) for c in cols])
                count += len(data)
                if table.serial_id:
                    conn.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                 f"GREATEST((SELECT max(id) FROM {table.name}), 1))")
    except SourceError:
        raise
    except psycopg.Error as exc:
        raise SourceError(f"loading rows into {describe_dsn(dsn)} failed: {_first(exc)}",
                          hint="the snapshot's rows must respect schemas/clusterdb.sql")
    finally:
        conn.close()
    return count
