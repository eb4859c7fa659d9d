"""hagen.load.order: the canonical order of ClusterDB rows, column by column, against the
plain row-by-row definition (sort by natural key, then by every value; ids renumbered)."""

from __future__ import annotations

import pytest

from clusterdb_helpers import REPO, scrambled
from hagen.load.order import KEYS, sort_and_renumber
from hagen.load.rows import TABLES, canonical, normalise
from hagen.load.snapshot import read_snapshot
from hagen.model.names import natural_key

XENA = REPO / "examples" / "xena" / "clusterdb.yaml"


def by_the_definition(rows: dict) -> dict:
    """The canonical rows computed one row at a time: the oracle."""
    names = {t.name: {r["id"]: r.get("label" if t.name == "ftype" else "name") or "" for r in rows[t.name]}
             for t in TABLES if t.serial_id}

    def key(table, row):
        parts = []
        for column, natural, ref in KEYS[table.name]:
            value = names[ref].get(row[column], "") if ref else (row[column] or "")
            parts.append(natural_key(value) if natural else value)
        stable = tuple((k, "" if v is None else str(v)) for k, v in sorted(row.items()) if k != "id")
        return tuple(parts), stable

    listed = {t.name: sorted(rows[t.name], key=lambda r, t=t: key(t, r)) for t in TABLES}
    new_ids = {t.name: {} for t in TABLES if t.serial_id}
    for t in TABLES:
        if t.serial_id:
            for i, row in enumerate(listed[t.name], 1):
                new_ids[t.name].setdefault(row["id"], i)
    out = {}
    for t in TABLES:
        out[t.name] = []
        for row in listed[t.name]:
            row = dict(row)
            if t.serial_id:
                row["id"] = new_ids[t.name][row["id"]]
            for c in t.columns:
                if c.ref and row[c.name] is not None:
                    row[c.name] = new_ids[c.ref][row[c.name]]
            out[t.name].append(row)
    return out


def test_every_table_has_a_key():
    assert set(KEYS) == {t.name for t in TABLES}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_rows_as_the_definition_whatever_the_order(seed):
    raw = scrambled(read_snapshot(XENA), seed)
    rows = normalise(raw, "x")
    assert canonical(rows) == by_the_definition(rows)
    assert canonical(rows) == read_snapshot(XENA)


@pytest.mark.parametrize("seed", [4, 5])
def test_rows_sharing_a_natural_key_are_ordered_by_their_values(seed):
    raw = scrambled(read_snapshot(XENA), seed)
    mounts = raw["lustre_mount"]
    mounts += [dict(mounts[0], mount_options="ro"), dict(mounts[0], mount_options="a"), dict(mounts[0])]
    raw["node_ftype"].append(dict(raw["node_ftype"][3]))
    raw["hwmanager_port"].append(dict(raw["hwmanager_port"][0], id=999_999, hwaddr="08:00:2b:01:02:03"))
    rows = normalise(raw, "x")
    result = canonical(rows)
    assert result == by_the_definition(rows)
    first = result["lustre_mount"][0]
    same = [r["mount_options"] for r in result["lustre_mount"]
            if (r["fs_name"], r["mnt_node_name"]) == (first["fs_name"], first["mnt_node_name"])]
    assert same == sorted(same, key=lambda v: "" if v is None else v)


def test_references_follow_the_new_ids():
    rows = normalise(scrambled(read_snapshot(XENA), 9), "x")
    result = canonical(rows)
    old_names = {r["id"]: r["name"] for r in rows["node"]}
    new_names = {r["id"]: r["name"] for r in result["node"]}
    assert [r["id"] for r in result["node"]] == list(range(1, len(result["node"]) + 1))
    assert sorted(old_names[r["node_id"]] for r in rows["node_port"]) == \
        sorted(new_names[r["node_id"]] for r in result["node_port"])


def test_copy_leaves_the_given_rows_alone():
    rows = normalise(scrambled(read_snapshot(XENA), 11), "x")
    before = {t: [dict(r) for r in v] for t, v in rows.items()}
    sort_and_renumber(rows, TABLES)
    assert rows == before
    reused = sort_and_renumber(rows, TABLES, copy=False)
    assert reused == canonical(before)
