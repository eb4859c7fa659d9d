"""hagen.load.grammar: every string of the ClusterDB against its column's grammar, at load,
from a snapshot and from PostgreSQL alike (docs/clusterdb-grammar.md)."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import EXAMPLES, REPO
from hagen.base.errors import InputRefused, SourceError
from hagen.load.grammar import COLUMNS, EMPTY_MEANS_NONE, check_rows
from hagen.load.rows import CHOICES, TABLES
from hagen.load.snapshot import read_snapshot, rows_from_raw
from hagen.compile.pipeline import load_and_check
from pg import execute, requires_pg, temp_database

XENA = EXAMPLES / "xena" / "clusterdb.yaml"
RAW = yaml.safe_load(XENA.read_text(encoding="utf-8"))["tables"]

# what each value stands for: a line of its own, a blank, shell, markup, look-alikes, bidi, zero-width
HOSTILE = ["bk\n6.6.6.6 ns", "a b", "$(reboot)", "a;b", "<x/>", "a&b", "'", "\u0430dmin", "x\u202e", "x\u200b",
           "x\x00", "x\t"]


def test_every_text_and_address_column_has_a_grammar():
    wanted = {(t.name, c.name) for t in TABLES for c in t.columns if c.kind in ("text", "inet", "cidr")}
    assert set(COLUMNS) == wanted


@pytest.mark.parametrize("example", ["bas5-guide", "xena"])
def test_the_examples_pass(example):
    assert check_rows(read_snapshot(EXAMPLES / example / "clusterdb.yaml"), "x") == []


def _refused(table, column, value) -> list:
    raw = copy.deepcopy(RAW)
    raw[table][0][column] = value
    with pytest.raises(InputRefused) as info:
        rows_from_raw(raw, "clusterdb.yaml")
    return info.value.reports


@pytest.mark.parametrize("table,column", sorted(COLUMNS), ids=[f"{t}.{c}" for t, c in sorted(COLUMNS)])
def test_every_column_refuses_hostile_text(table, column):
    """Each column, each hostile value: refused at load with the column's code at table[row]."""
    grammar, code = COLUMNS[(table, column)]
    blanks = grammar.name in ("text", "mkfs-options", "model")                     # words with single blanks between
    codes = {code, "HA201"} if (table, column) in CHOICES else {code}     # CHECK constraints: rows.normalise
    for value in HOSTILE + ["x" * 2000]:
        if blanks and value == "a b":
            continue
        reports = _refused(table, column, value)
        mine = [r for r in reports if r.code in codes and r.where.table == table]
        assert mine, f"{table}.{column} = {value!r}: {[str(r) for r in reports]}"
        assert mine[0].where.row, str(mine[0])
        assert "\n" not in str(mine[0]).split("\n    hint:")[0], "a value broke the report's line"


def test_empty_means_none_only_where_the_model_reads_it_so():
    for table, column in sorted(COLUMNS):
        raw = copy.deepcopy(RAW)
        raw[table][0][column] = ""
        try:
            rows_from_raw(raw, "x")
            refused = False
        except InputRefused:
            refused = True
        assert refused == ((table, column) not in EMPTY_MEANS_NONE), (table, column)


def test_a_distinct_value_is_reported_on_every_row_that_holds_it():
    raw = copy.deepcopy(RAW)
    for row in raw["node"]:
        row["model"] = "R422;x"
    with pytest.raises(InputRefused) as info:
        rows_from_raw(raw, "x")
    assert len([r for r in info.value.reports if r.code == "HA215"]) == len(raw["node"])


def test_integers_beyond_bigint_are_refused():
    reports = _refused("lustre_fs", "stripe_size", 10 ** 30)
    assert [r.code for r in reports] == ["HA117"]
    assert str(reports[0].where).endswith("clusterdb lustre_fs[fs_name=data]")


# --- through PostgreSQL: the same grammar, the same reports ------------------------------

@pytest.fixture(scope="module")
def xena_db():
    from cli_runner import cli

    with temp_database() as dsn:
        res = cli("db", "load", "--db", dsn, XENA)
        assert res.code == 0, res.output
        yield dsn


@requires_pg
@pytest.mark.parametrize("suffix,why", [("bk\n6.6.6.6 ns", "'\\n'"), ("bk ns", "' '")])
def test_a_suffix_that_would_add_hosts_lines_is_refused_from_postgresql(xena_db, suffix, why):
    """High: network.suffix = 'bk\\n6.6.6.6 ns' put a line of its own into every /etc/hosts."""
    execute(xena_db, f"UPDATE network SET suffix = E'{suffix.replace(chr(10), chr(92) + 'n')}' WHERE name = 'backbone'")
    try:
        with pytest.raises(InputRefused) as info:
            load_and_check(EXAMPLES / "xena" / "site.yaml", db=xena_db)
    finally:
        execute(xena_db, "UPDATE network SET suffix = 'bk' WHERE name = 'backbone'")
    [report] = info.value.reports
    assert report.code == "HA213" and str(report.where).endswith("clusterdb network[name=backbone]")
    assert why in report.message


@requires_pg
def test_a_column_of_another_type_names_the_column():
    """Low: a column of the wrong type gave 'function abbrev(text) does not exist'."""
    with temp_database() as dsn:
        execute(dsn, (REPO / "schemas" / "clusterdb.sql").read_text(encoding="utf-8"),
                "ALTER TABLE node_port ALTER COLUMN ipaddr TYPE text")
        with pytest.raises(SourceError) as info:
            load_and_check(EXAMPLES / "xena" / "site.yaml", db=dsn)
    assert "column node_port.ipaddr is text, not inet" in info.value.message
    assert "abbrev" not in info.value.message
    assert info.value.exit_code == 3
