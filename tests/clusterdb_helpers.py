"""Helpers shared by test_clusterdb.py and test_snapshot.py: scrambled rows, output trees."""

from __future__ import annotations

import random
from pathlib import Path

from conftest import tree_contents
from hagen.load.rows import TABLES

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "bas5-guide"
SITE = EXAMPLE / "site.yaml"
SNAPSHOT = EXAMPLE / "clusterdb.yaml"
SQL = EXAMPLE / "clusterdb.sql"


def scrambled(rows: dict, seed: int, order: str = "shuffled") -> dict:
    """The same rows with other ids (references follow) and in another order.

    order: "reversed" or "shuffled" (with random.Random(seed)). Columns are shuffled
    inside each row too. The result is raw rows (as a snapshot or a database holds them)."""
    rng = random.Random(seed)
    new_ids: dict = {}
    for table in TABLES:
        if table.serial_id:
            old = [r["id"] for r in rows[table.name]]
            fresh = rng.sample(range(100, 100_000), len(old))
            new_ids[table.name] = dict(zip(old, fresh))
    out: dict = {}
    for table in TABLES:
        data = []
        for row in rows[table.name]:
            row = dict(row)
            if table.serial_id:
                row["id"] = new_ids[table.name][row["id"]]
            for col in table.columns:
                if col.ref and row.get(col.name) is not None:
                    row[col.name] = new_ids[col.ref][row[col.name]]
            keys = list(row)
            rng.shuffle(keys)
            data.append({k: row[k] for k in keys})
        if order == "reversed":
            data.reverse()
        else:
            rng.shuffle(data)
        out[table.name] = data
    return out


def assert_same_tree(a: Path, b: Path) -> None:
    ta, tb = tree_contents(a), tree_contents(b)
    assert sorted(ta) == sorted(tb), f"the trees list other paths: only in {a}: {sorted(set(ta) - set(tb))}, " \
                                     f"only in {b}: {sorted(set(tb) - set(ta))}"
    differ = [p for p in ta if ta[p] != tb[p]]
    assert not differ, f"these differ in bytes or mode between {a} and {b}: {differ}"
    assert any(kind == "file" for kind, _, _ in ta.values()), f"{a} holds no file"

