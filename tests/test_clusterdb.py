"""hagen.load.clusterdb (and hagen.load.source): the ClusterDB in a real PostgreSQL.

Each test that needs the server gets its own database (tests/pg.py: HAGEN_TEST_PG,
default postgresql://postgres@localhost:5432/postgres) and skips when it is unreachable.
Faults that need a server of their own (CLARIFICATIONS 27) are not here."""

from __future__ import annotations

import re

import pytest
import yaml

from cli_runner import cli, run_hagen
from clusterdb_helpers import REPO, SITE, SNAPSHOT, SQL, assert_same_tree, scrambled
from conftest import tree_contents
from hagen.base.errors import InputRefused, SourceError
from hagen.load import clusterdb
from hagen.load.rows import TABLES
from hagen.load.snapshot import FORMAT, dump_snapshot, read_snapshot
from pg import execute, pg_db, psql, requires_pg, requires_psql, temp_database  # noqa: F401  (pg_db: a fixture)

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"
EXPECTED = SNAPSHOT.read_text(encoding="utf-8")


def table_counts(dsn: str) -> dict:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return {t.name: conn.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in TABLES}


def loaded(dsn: str) -> str:
    res = cli("db", "load", "--db", dsn, SNAPSHOT)
    assert res.code == 0, res.output
    return dsn


@pytest.fixture(scope="module")
def example_db():
    """One database holding the example's rows (loaded with hagen db load), shared by read-only tests."""
    with temp_database() as dsn:
        yield loaded(dsn)


@pytest.fixture(scope="module")
def snapshot_build(tmp_path_factory):
    """The example built from its snapshot, once for the module."""
    out = tmp_path_factory.mktemp("from-snapshot") / "out"
    res = cli("build", "--site", SITE, "--snapshot", SNAPSHOT, "--out", out)
    assert res.code == 0, res.output
    return out


def one_hagen_line(res) -> str:
    """The command's single 'hagen:' line (any further line is an indented hint)."""
    assert "Traceback" not in res.output, res.output
    lines = [line for line in res.stderr.splitlines() if line.startswith("hagen:")]
    assert len(lines) == 1, res.stderr
    assert all(line.startswith(("hagen:", "    hint:")) for line in res.stderr.splitlines()), res.stderr
    return lines[0]


# --- db init -------------------------------------------------------------------------

@requires_pg
def test_init_creates_the_schema_with_no_rows(pg_db):
    res = cli("db", "init", "--db", pg_db)
    assert res.code == 0, res.output
    assert table_counts(pg_db) == {t.name: 0 for t in TABLES}
    again = cli("db", "init", "--db", pg_db)
    assert again.code == 3, again.output
    assert "already has a ClusterDB schema" in one_hagen_line(again)
    # an empty schema is not a ClusterDB yet: its rows are refused (no cluster row)
    empty = cli("db", "export", "--db", pg_db)
    assert empty.code == 2 and "HA203" in empty.stderr, empty.output


# --- db load / db export ----------------------------------------------------------------

@requires_pg
def test_load_then_export_gives_the_snapshot_back(example_db, tmp_path):
    res = cli("db", "export", "--db", example_db)
    assert res.code == 0, res.output
    assert res.stdout == EXPECTED
    # into a file too
    res = cli("db", "export", "--db", example_db, "-o", tmp_path / "x.yaml")
    assert res.code == 0 and res.stdout == "", res.output
    assert (tmp_path / "x.yaml").read_text(encoding="utf-8") == EXPECTED


@requires_pg
def test_load_after_init_and_refuse_a_non_empty_database(pg_db):
    assert cli("db", "init", "--db", pg_db).code == 0
    assert cli("db", "load", "--db", pg_db, SNAPSHOT).code == 0
    counts = table_counts(pg_db)
    again = cli("db", "load", "--db", pg_db, SNAPSHOT)
    assert again.code == 3, again.output
    assert "not empty" in one_hagen_line(again)
    assert table_counts(pg_db) == counts, "a refused load changed the database"


@requires_pg
def test_load_refuses_partly_filled_database_and_leaves_it_alone(pg_db):
    assert cli("db", "init", "--db", pg_db).code == 0
    execute(pg_db, "INSERT INTO ftype (label) VALUES ('login')")
    res = cli("db", "load", "--db", pg_db, SNAPSHOT)
    assert res.code == 3 and "ftype" in one_hagen_line(res), res.output
    assert sum(table_counts(pg_db).values()) == 1


@requires_pg
def test_load_of_refused_rows_exits_2_and_writes_nothing(pg_db, tmp_path):
    raw = yaml.safe_load(EXPECTED)["tables"]
    raw["node_port"][0]["node_id"] = 999
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"format": FORMAT, "tables": raw}), encoding="utf-8")
    res = cli("db", "load", "--db", pg_db, bad)
    assert res.code == 2 and "HA204" in res.stderr, res.output
    import psycopg
    with psycopg.connect(pg_db) as conn:
        assert conn.execute("SELECT to_regclass('cluster')").fetchone()[0] is None


@requires_pg
@requires_psql
def test_psql_sql_files_hold_the_same_rows_as_the_snapshot(pg_db):
    """psql -f schemas/clusterdb.sql, psql -f clusterdb.sql: the export is the snapshot."""
    psql(pg_db, file=REPO / "schemas" / "clusterdb.sql")
    psql(pg_db, file=SQL)
    res = cli("db", "export", "--db", pg_db)
    assert res.code == 0, res.output
    assert res.stdout == EXPECTED
    # the sequences follow the ids: a row added by hand gets a fresh id
    execute(pg_db, "INSERT INTO ftype (label) VALUES ('nfs')")
    import psycopg
    with psycopg.connect(pg_db) as conn:
        assert conn.execute("SELECT id FROM ftype WHERE label = 'nfs'").fetchone()[0] == 4


@requires_pg
def test_json_export_round_trips(example_db, tmp_path):
    res = cli("db", "export", "--db", example_db, "--json")
    assert res.code == 0, res.output
    rows = read_snapshot(SNAPSHOT)
    assert res.stdout == dump_snapshot(rows, as_json=True)
    out = tmp_path / "x.json"
    res = cli("db", "export", "--db", example_db, "-o", out)
    assert res.code == 0, res.output
    assert out.read_text(encoding="utf-8") == dump_snapshot(rows, as_json=True)
    assert dump_snapshot(read_snapshot(out)) == EXPECTED
    # and a JSON snapshot loads like a YAML one
    with temp_database() as other:
        assert cli("db", "load", "--db", other, out).code == 0
        assert cli("db", "export", "--db", other).stdout == EXPECTED


# --- builds ----------------------------------------------------------------------------

@requires_pg
def test_build_from_postgresql_equals_build_from_snapshot(example_db, snapshot_build, tmp_path):
    res = cli("build", "--site", SITE, "--db", example_db, "--out", tmp_path / "A")
    assert res.code == 0, res.output
    assert_same_tree(tmp_path / "A", snapshot_build)
    # no source detail (DSN, database name) in any artifact (CLARIFICATIONS 6)
    dbname = re.search(r"dbname=(\S+)", example_db).group(1)
    for kind, _, data in tree_contents(tmp_path / "A").values():
        if kind == "file":
            assert dbname.encode() not in data


def insert_rows(dsn: str, raw: dict) -> None:
    """INSERT raw rows as they come (their order, their ids, their column order), table by table."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute((REPO / "schemas" / "clusterdb.sql").read_text(encoding="utf-8"))
        with conn.cursor() as cur:
            for table in TABLES:
                for row in raw[table.name]:
                    cols = list(row)
                    cur.execute(f"INSERT INTO {table.name} ({', '.join(cols)}) "
                                f"VALUES ({', '.join(['%s'] * len(cols))})", [row[c] for c in cols])


@requires_pg
def test_other_order_and_ids_give_the_same_export_and_build(snapshot_build, tmp_path):
    """The same rows INSERTed in another order (reversed; shuffled), with other ids: same export, same build."""
    import psycopg

    builds = []
    for order, seed in (("reversed", 3), ("shuffled", 11)):
        raw = scrambled(read_snapshot(SNAPSHOT), seed, order)
        with temp_database() as dsn:
            insert_rows(dsn, raw)
            with psycopg.connect(dsn) as conn:   # the database really holds other ids in another order
                names = [r[0] for r in conn.execute("SELECT name FROM node")]
                ids = [r[0] for r in conn.execute("SELECT id FROM node")]
            assert names == [r["name"] for r in raw["node"]] and ids != list(range(1, len(ids) + 1))
            res = cli("db", "export", "--db", dsn)
            assert res.code == 0, res.output
            assert res.stdout == EXPECTED, order
            builds.append(tmp_path / order)
            res = cli("build", "--site", SITE, "--db", dsn, "--out", builds[-1])
            assert res.code == 0, res.output
    for out in builds:
        assert_same_tree(out, snapshot_build)


# --- how the database is read ------------------------------------------------------------

class SpyConnection:
    """Wraps the connection read_rows() gets: records every statement, probes the transaction."""

    def __init__(self, conn):
        self._conn = conn
        self.statements: list[str] = []
        self.read_only_setting = None
        self.isolation = None
        self.write_error = None

    def execute(self, query, *args, **kwargs):
        self.statements.append(str(query))
        if str(query).startswith("SELECT") and self.read_only_setting is None:
            import psycopg

            self.read_only_setting = self._conn.execute("SHOW transaction_read_only").fetchone()[0]
            self.isolation = self._conn.execute("SHOW transaction_isolation").fetchone()[0]
            try:
                with self._conn.transaction():      # a savepoint: its failure leaves the read going
                    self._conn.execute("INSERT INTO ftype (label) VALUES ('spy')")
            except psycopg.Error as exc:
                self.write_error = exc
        return self._conn.execute(query, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.fixture
def spy(monkeypatch):
    spies = []
    real_connect = clusterdb.connect

    def connect(dsn, read_only=True):
        spies.append(SpyConnection(real_connect(dsn, read_only=read_only)))
        return spies[-1]
    monkeypatch.setattr(clusterdb, "connect", connect)
    return spies


@requires_pg
def test_one_query_per_table_in_one_read_only_transaction(example_db, spy):
    import psycopg

    raw = clusterdb.read_rows(example_db)
    assert len(spy) == 1, "read_rows opened more than one connection"
    conn = spy[0]
    selects = [s for s in conn.statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len(TABLES), selects
    assert sorted(re.search(r"\bFROM (\w+)", s).group(1) for s in selects) == sorted(t.name for t in TABLES)
    assert all(not s.upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in conn.statements)
    assert conn._conn.read_only is True
    assert conn.read_only_setting == "on"
    assert conn.isolation == "repeatable read"
    assert isinstance(conn.write_error, psycopg.errors.ReadOnlySqlTransaction)
    assert conn._conn.closed
    assert {t: len(v) for t, v in raw.items()} == {t.name: len(read_snapshot(SNAPSHOT)[t.name]) for t in TABLES}
    assert table_counts(example_db)["ftype"] == 3


@requires_pg
def test_rows_fingerprint_is_one_query_in_one_read_only_transaction(example_db, spy):
    import psycopg

    digest = clusterdb.rows_fingerprint(example_db)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert len(spy) == 1
    conn = spy[0]
    assert len([s for s in conn.statements if s.lstrip().upper().startswith("SELECT")]) == 1, conn.statements
    assert conn.read_only_setting == "on" and conn.isolation == "repeatable read"
    assert isinstance(conn.write_error, psycopg.errors.ReadOnlySqlTransaction)
    assert conn._conn.closed
    assert clusterdb.rows_fingerprint(example_db) == digest


@requires_pg
def test_build_from_a_database_missing_a_table_or_column_says_which(pg_db, tmp_path):
    """The fingerprint query cannot say which table lacks a column: the read that follows does."""
    assert cli("db", "load", "--db", pg_db, SNAPSHOT).code == 0
    execute(pg_db, "ALTER TABLE node DROP COLUMN model")
    assert clusterdb.rows_fingerprint(pg_db) is None
    res = cli("build", "--site", SITE, "--db", pg_db, "--out", tmp_path / "out")
    assert res.code == 3, res.output
    line = one_hagen_line(res)
    assert "schema version" in line and "table node" in line and "model" in line, line
    execute(pg_db, "ALTER TABLE node ADD COLUMN model text", "DROP TABLE lustre_mount CASCADE")
    res = cli("build", "--site", SITE, "--db", pg_db, "--out", tmp_path / "out")
    assert res.code == 3 and "lustre_mount" in one_hagen_line(res), res.output
    assert not (tmp_path / "out").exists()


@requires_pg
def test_addresses_read_back_as_stored(pg_db):
    """inet without a netmask reads bare (not /32), with one keeps it; cidr and macaddr as PostgreSQL prints them."""
    assert cli("db", "init", "--db", pg_db).code == 0
    execute(pg_db,
            "INSERT INTO cluster (id, name, basename, dbversion, node_backbone_ipaddr) VALUES (1, 'c', 'c', '1', '10.0.0.9')",
            "INSERT INTO network (id, cluster_id, name, function, subnet, gateway) "
            "VALUES (1, 1, 'admin', 'mn', '10.1.0.0/16', '10.1.255.254/32')",
            "INSERT INTO node (id, name) VALUES (1, 'n1')",
            "INSERT INTO da_iocell (id, name, type) VALUES (1, 'cell', 'nfs')",
            "INSERT INTO node_port (node_id, network_id, interface_name, ipaddr, hwaddr) "
            "VALUES (1, 1, 'eth0', '10.1.0.1', '08-00-2B-01-02-03')",
            "INSERT INTO metaservice_port (name, network_id, ipaddr, iocell_id) VALUES ('a', 1, '10.1.0.65/16', 1)")
    raw = clusterdb.read_rows(pg_db)
    assert raw["cluster"][0]["node_backbone_ipaddr"] == "10.0.0.9"
    assert raw["network"][0]["subnet"] == "10.1.0.0/16"
    assert raw["network"][0]["gateway"] == "10.1.255.254"
    assert raw["node_port"][0]["ipaddr"] == "10.1.0.1"
    assert raw["node_port"][0]["hwaddr"] == "08:00:2b:01:02:03"
    assert raw["metaservice_port"][0]["ipaddr"] == "10.1.0.65/16"
    assert raw["node"][0]["status"] == "managed"


# --- errors ------------------------------------------------------------------------------

def test_db_and_snapshot_together_is_a_usage_error(tmp_path):
    res = cli("build", "--site", SITE, "--db", UNREACHABLE, "--snapshot", SNAPSHOT, "--out", tmp_path / "o")
    assert res.code == 2, res.output
    assert "HA106" in res.stderr and "Traceback" not in res.output
    res = cli("check", "--site", SITE, "--db", UNREACHABLE, "--snapshot", SNAPSHOT)
    assert res.code == 2 and "HA106" in res.stderr, res.output


def test_choose_source_precedence():
    from hagen.base.errors import UsageError
    from hagen.load.source import choose_source

    with pytest.raises(UsageError) as info:
        choose_source("dbname=x", "s.yaml")
    assert [r.code for r in info.value.reports] == ["HA106"]
    assert choose_source("dbname=x", None).kind == "db"
    assert choose_source(None, "s.yaml").kind == "snapshot"
    with pytest.raises(InputRefused) as info:
        choose_source(None, None)
    assert [r.code for r in info.value.reports] == ["HA105"]


@pytest.mark.parametrize("args,run", [(("db", "export", "--db", UNREACHABLE), run_hagen),
                                      (("build", "--site", SITE, "--db", UNREACHABLE, "--out", "OUT"), run_hagen),
                                      (("db", "init", "--db", UNREACHABLE), cli),
                                      (("db", "load", "--db", UNREACHABLE, SNAPSHOT), cli)])
def test_unreachable_server_exits_3_in_one_line(args, run, tmp_path):
    args = tuple(tmp_path / "out" if a == "OUT" else a for a in args)
    res = run(*args)
    assert res.code == 3, res.output
    line = one_hagen_line(res)
    assert "127.0.0.1:1" in line and "Connection refused" in line, line
    assert res.stdout == ""
    assert not (tmp_path / "out").exists()


def test_password_never_shown():
    res = cli("db", "export", "--db", "postgresql://postgres:s3cret-pw@127.0.0.1:1/x")
    assert res.code == 3
    assert "s3cret-pw" not in res.output
    with pytest.raises(SourceError) as info:
        clusterdb.read_rows("host=127.0.0.1 port=1 dbname=x user=postgres password=s3cret-pw")
    assert "s3cret-pw" not in info.value.message


def test_invalid_connection_string_is_refused():
    res = cli("db", "export", "--db", "not a dsn")
    assert res.code == 2, res.output
    assert "connection string is not valid" in one_hagen_line(res)


@requires_pg
def test_missing_database_exits_3(pg_db):
    import psycopg.conninfo

    dsn = psycopg.conninfo.make_conninfo(pg_db, dbname="hagen_test_no_such_db")
    res = cli("db", "export", "--db", dsn)
    assert res.code == 3, res.output
    assert "does not exist" in one_hagen_line(res)


@requires_pg
def test_missing_table_exits_3(pg_db):
    assert cli("db", "init", "--db", pg_db).code == 0
    execute(pg_db, "DROP TABLE lustre_mount CASCADE")
    for res in (cli("db", "export", "--db", pg_db), cli("check", "--site", SITE, "--db", pg_db)):
        assert res.code == 3, res.output
        line = one_hagen_line(res)
        assert "not a ClusterDB" in line and "lustre_mount" in line, line


@requires_pg
def test_missing_column_exits_3(pg_db):
    assert cli("db", "load", "--db", pg_db, SNAPSHOT).code == 0
    execute(pg_db, "ALTER TABLE node DROP COLUMN model")
    res = cli("db", "export", "--db", pg_db)
    assert res.code == 3, res.output
    line = one_hagen_line(res)
    assert "schema version" in line and "node" in line and "model" in line, line


@requires_pg
def test_rows_the_schema_allows_but_hagen_refuses_exit_2(pg_db, tmp_path):
    """Two clusters: PostgreSQL takes them, hagen refuses the rows (2) and writes nothing."""
    assert cli("db", "load", "--db", pg_db, SNAPSHOT).code == 0
    execute(pg_db, "INSERT INTO cluster (name, basename, dbversion) VALUES ('other', 'o', '1')")
    res = cli("build", "--site", SITE, "--db", pg_db, "--out", tmp_path / "out")
    assert res.code == 2, res.output
    assert "HA203" in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()
