"""hagen.load.rows: the column-by-column answers of normalise and check_integrity agree with
the row-by-row look that reports problems (test_snapshot.py covers the reports themselves)."""

from __future__ import annotations

import pytest

from clusterdb_helpers import REPO, scrambled
from hagen.load import rows as R
from hagen.load.snapshot import read_snapshot

XENA = REPO / "examples" / "xena" / "clusterdb.yaml"


def row_by_row(raw: dict) -> dict:
    """normalise with the column-by-column path switched off."""
    real = R._clean_by_column
    R._clean_by_column = lambda *args: None
    try:
        return R.normalise(raw, "x")
    finally:
        R._clean_by_column = real


def raw_rows(seed=None) -> dict:
    rows = read_snapshot(XENA)
    return scrambled(rows, seed) if seed is not None else {t: [dict(r) for r in v] for t, v in rows.items()}


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_by_column_equals_row_by_row(seed):
    raw = raw_rows(seed)
    fast, slow = R.normalise(raw, "x"), row_by_row(raw)
    assert fast == slow
    assert [list(r) for t in fast for r in fast[t]] == [list(r) for t in slow for r in slow[t]]   # column order too
    node = R.TABLE_BY_NAME["node"]
    specs = [(c.name, c.kind, c.nullable, None, R._PLAIN.get(c.kind), None) for c in node.columns]
    assert R._clean_by_column(node, specs, frozenset(node.column_names), raw["node"]) is not None


@pytest.mark.parametrize("change", [
    lambda raw: raw["node"][0].update(status=None),                       # a default fills it
    lambda raw: raw["node_port"][0].update(hwaddr="08-00-2B-01-02-03"),    # rewritten as PostgreSQL prints it
    lambda raw: raw["node"][0].update(hwmanager_id="2"),                  # a number as text
    lambda raw: raw["cluster"][0].update(actif_ha="t"),
    lambda raw: raw["lustre_fs"][0].update(stripe_size=True),             # refused
    lambda raw: raw["network"][0].update(function="xx"),                  # refused
    lambda raw: raw["node"][0].pop("model"),                              # a missing column
])
def test_values_that_need_a_closer_look_give_the_same_answer(change):
    raw = raw_rows()
    change(raw)
    outcomes = []
    for normalise in (lambda r: R.normalise(r, "x"), row_by_row):
        try:
            outcomes.append(("rows", normalise(raw)))
        except R.RowProblems as exc:
            outcomes.append(("refused", [(p.code, p.message) for p in exc.reports], exc.rows))
    assert outcomes[0] == outcomes[1]


def test_integrity_by_sets_agrees():
    rows = read_snapshot(XENA)
    assert R._integral(rows)
    R.check_integrity(rows, "x")
    broken = {t: [dict(r) for r in v] for t, v in rows.items()}
    broken["node_port"][0]["node_id"] = 999
    assert not R._integral(broken)
    with pytest.raises(R.RowProblems):
        R.check_integrity(broken, "x")
    for table, column in (("node", "name"), ("node", "id")):
        twice = {t: [dict(r) for r in v] for t, v in rows.items()}
        twice[table][1][column] = twice[table][0][column]
        assert not R._integral(twice)
        with pytest.raises(R.RowProblems):
            R.check_integrity(twice, "x")
