"""The canonical order of ClusterDB rows (hagen.load.rows.canonical): every table sorted by
its natural key (names, never ids: its own and those of the rows it refers to), ids
renumbered in that order, references following.

Built column by column rather than row by row: a key is the zip of its parts' columns,
each column made by map() over the rows (C loops), so that sorting 100,000 rows costs
about what the sort itself does. Rows that share a natural key (rare) are ordered by
all their values, as before.
"""

from __future__ import annotations

from itertools import repeat
from operator import itemgetter

from hagen.base.order import natural_key

# table -> the parts of its natural key, in order: (column, natural order?, referenced table or None)
KEYS: dict[str, tuple[tuple[str, bool, str | None], ...]] = {
    "cluster": (("name", False, None),),
    "network": (("name", True, None),),
    "ftype": (("label", False, None),),
    "hwmanager": (("name", True, None),),
    "hwmanager_port": (("hwmanager_id", True, "hwmanager"), ("network_id", False, "network"),
                       ("ipaddr", False, None)),
    "node": (("name", True, None),),
    "node_ftype": (("node_id", True, "node"), ("ftype_id", False, "ftype")),
    "node_port": (("node_id", True, "node"), ("network_id", False, "network"), ("interface_name", True, None),
                  ("ipaddr", False, None)),
    "disk_array": (("name", True, None),),
    "da_iocell": (("name", True, None),),
    "da_iocell_component": (("iocell_id", True, "da_iocell"), ("node_id", True, "node"),
                            ("disk_array_id", True, "disk_array")),
    "metaservice_port": (("iocell_id", True, "da_iocell"), ("network_id", False, "network"), ("name", True, None),
                         ("ipaddr", False, None)),
    "lustre_io_node": (("node_id", True, "node"),),
    "lustre_fs": (("fs_name", False, None),),
    "lustre_mdt": (("mdt_name", True, None),),
    "lustre_ost": (("ost_name", True, None),),
    "lustre_mount": (("fs_name", False, None), ("mnt_node_name", True, None)),
}


def sort_and_renumber(rows: dict, tables, copy: bool = True) -> dict:
    """rows (checked: unique ids and names, references resolve) in canonical order, ids
    renumbered. copy=False reuses (and changes) the given row dicts."""
    names: dict = {}      # table -> {old id: its name ('' when none)}
    for table in tables:
        if table.serial_id:
            data = rows.get(table.name, [])
            label = "label" if table.name == "ftype" else "name"
            names[table.name] = dict(zip(map(itemgetter("id"), data), _text(_column(data, label))))
    ordered: dict = {}
    for table in tables:
        data = rows.get(table.name, [])
        keys = list(zip(*(_part(data, column, natural, names.get(ref, {}) if ref else None)
                          for column, natural, ref in KEYS[table.name]))) if data else []
        if len(set(keys)) == len(keys):
            order = sorted(range(len(data)), key=keys.__getitem__)
        else:             # rows sharing a natural key: their values decide, as they did row by row
            order = sorted(range(len(data)), key=lambda i: (keys[i], _stable(data[i])))
        ordered[table.name] = list(map(data.__getitem__, order))
    renumber = {t.name: _first_wins(_column(ordered[t.name], "id")) for t in tables if t.serial_id}
    result: dict = {}
    for table in tables:
        listed = list(map(dict, ordered[table.name])) if copy else ordered[table.name]
        if table.serial_id:
            for row, new_id in zip(listed, range(1, len(listed) + 1)):
                row["id"] = new_id
        for col in table.columns:
            if col.ref:
                mapping = renumber[col.ref]
                name = col.name
                for row in listed:
                    value = row.get(name)
                    if value is not None:
                        row[name] = mapping[value]
        result[table.name] = listed
    return result


def _column(data: list, name: str) -> list:
    try:
        return list(map(itemgetter(name), data))
    except KeyError:          # rows built by hand may leave a null column out
        return [row.get(name) for row in data]


def _first_wins(ids: list) -> dict:
    """{old id: its new id, the row's position from 1}."""
    return dict(zip(reversed(ids), range(len(ids), 0, -1)))


def _text(values: list) -> list:
    """None as '' (a sort key compares text with text)."""
    return ["" if v is None else v for v in values] if None in values else values


def _part(data: list, column: str, natural: bool, names: dict | None) -> list:
    values = _column(data, column)
    if names is not None:
        values = list(map(names.get, values, repeat("")))
    else:
        values = _text(values)
    return list(map(natural_key, values)) if natural else values


def _stable(row: dict) -> tuple:
    return tuple((k, "" if v is None else str(v)) for k, v in sorted(row.items()) if k != "id")
