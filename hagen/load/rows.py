"""ClusterDB rows: one shape whatever the source.

`Rows` maps a table name to a list of plain dicts. Both sources (PostgreSQL and a
snapshot) go through `canonical()`: values normalised to text/int/bool/None, every
list sorted by the table's natural key (names, never ids), and ids renumbered in
that order with references remapped. So two databases holding the same rows,
inserted in any order, give the same Rows, the same snapshot and the same build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

from hagen.base.reports import Where, error

# column kinds: int, text, bool, inet, cidr, macaddr (the last three are carried as text)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    nullable: bool = True
    ref: str | None = None     # table whose id this column holds


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    serial_id: bool            # has an `id serial` column that others refer to

    @property
    def column_names(self) -> tuple[str, ...]:
        return _column_names(self)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@lru_cache(maxsize=None)
def _column_names(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


def _t(name, serial, *cols):
    return Table(name, tuple(Column(*c) for c in cols), serial)


# Order matters: a table comes after every table it refers to (load order).
TABLES: tuple[Table, ...] = (
    _t("cluster", True, ("id", "int", False), ("name", "text", False), ("basename", "text", False),
       ("dns_domain", "text"), ("dbversion", "text", False), ("actif_ha", "bool", False),
       ("node_backbone_ipaddr", "inet")),
    _t("network", True, ("id", "int", False), ("cluster_id", "int", False, "cluster"), ("name", "text", False),
       ("function", "text", False), ("techno", "text", False), ("subnet", "cidr", False),
       ("gateway", "inet"), ("suffix", "text")),
    _t("ftype", True, ("id", "int", False), ("label", "text", False)),
    _t("hwmanager", True, ("id", "int", False), ("name", "text", False), ("type", "text", False), ("model", "text")),
    _t("hwmanager_port", True, ("id", "int", False), ("hwmanager_id", "int", False, "hwmanager"),
       ("network_id", "int", False, "network"), ("ipaddr", "inet", False), ("hwaddr", "macaddr")),
    _t("node", True, ("id", "int", False), ("name", "text", False), ("model", "text"),
       ("status", "text", False), ("hwmanager_id", "int", True, "hwmanager")),
    _t("node_ftype", False, ("node_id", "int", False, "node"), ("ftype_id", "int", False, "ftype")),
    _t("node_port", True, ("id", "int", False), ("node_id", "int", False, "node"),
       ("network_id", "int", False, "network"), ("interface_name", "text", False),
       ("ipaddr", "inet", False), ("hwaddr", "macaddr")),
    _t("disk_array", True, ("id", "int", False), ("name", "text", False), ("model", "text")),
    _t("da_iocell", True, ("id", "int", False), ("name", "text", False), ("type", "text", False),
       ("quorum_device", "text")),
    _t("da_iocell_component", False, ("iocell_id", "int", False, "da_iocell"), ("node_id", "int", True, "node"),
       ("disk_array_id", "int", True, "disk_array")),
    _t("metaservice_port", True, ("id", "int", False), ("name", "text", False), ("type", "text", False),
       ("network_id", "int", False, "network"), ("ipaddr", "inet", False),
       ("iocell_id", "int", False, "da_iocell")),
    _t("lustre_io_node", False, ("node_id", "int", False, "node"), ("ha_node_id", "int", True, "node"),
       ("cluster_id", "int", True, "cluster"), ("net_status", "text"), ("storage_status", "text"),
       ("lustre_status", "text")),
    _t("lustre_fs", False, ("fs_name", "text", False), ("mount_path", "text"), ("mount_options", "text"),
       ("stripe_size", "int"), ("stripe_count", "int"), ("stripe_pattern", "int"), ("nettype", "text"),
       ("fstype", "text"), ("failover", "text"), ("ha_timeout", "int"), ("mdt_mkfs_options", "text"),
       ("mdt_inode_size", "int"), ("mdt_mount_options", "text"), ("ost_mkfs_options", "text"),
       ("ost_inode_size", "int"), ("ost_mount_options", "text"), ("quota", "text"),
       ("quota_options", "text"), ("description", "text")),
    _t("lustre_mdt", False, ("mdt_name", "text", False), ("fs_name", "text", False), ("mds_node_name", "text", False),
       ("mds_ha_node", "text"), ("mds_active_node", "text"), ("mdt_dev", "text", False), ("mdt_size", "int"),
       ("config_status", "text"), ("status", "text")),
    _t("lustre_ost", False, ("ost_name", "text", False), ("fs_name", "text", False), ("oss_node_name", "text", False),
       ("oss_ha_node", "text"), ("oss_active_node", "text"), ("ost_dev", "text", False), ("ost_size", "int"),
       ("config_status", "text"), ("status", "text")),
    _t("lustre_mount", False, ("fs_name", "text", False), ("mnt_node_name", "text", False),
       ("mount_options", "text")),
)

TABLE_BY_NAME = {t.name: t for t in TABLES}

# The CHECK constraints of schemas/clusterdb.sql: a database enforces them, a snapshot must too.
CHOICES = {
    ("network", "function"): ("mn", "bb", "ic", "bmc"),
    ("network", "techno"): ("ethernet", "infiniband"),
    ("hwmanager", "type"): ("bmc", "pap"),
    ("da_iocell", "type"): ("mngt", "lustre", "nfs"),
    ("metaservice_port", "type"): ("alias",),
    ("lustre_fs", "failover"): ("yes", "no"),
    ("lustre_fs", "quota"): ("yes", "no"),
}

Rows = dict  # table name -> list[dict]


class RowProblems(Exception):
    def __init__(self, reports, rows=None):
        super().__init__(f"{len(reports)} problem(s) in the ClusterDB rows")
        self.reports = reports
        self.rows = rows       # normalise(): the rows as far as they could be cleaned (bad values None)


def _row_label(table: Table, row: dict) -> str:
    for col in ("name", "label", "fs_name", "mdt_name", "ost_name"):
        if col in table.column_names and row.get(col) is not None:
            return f"{col}={row[col]}"
    if "id" in row:
        return f"id={row['id']}"
    return ", ".join(f"{k}={row.get(k)}" for k in table.column_names[:2])


# columns whose NULL means the schema's DEFAULT
DEFAULTS = {("node", "status"): "managed", ("cluster", "actif_ha"): False,
            ("metaservice_port", "type"): "alias", ("network", "techno"): "ethernet"}
# the Python type a column's value has when it needs no conversion (the common case, checked first)
_PLAIN = {"int": int, "text": str, "bool": bool, "inet": str, "cidr": str}


def normalise(raw: dict, source: str) -> Rows:
    """Type-check raw rows ({table: [dict]}) against TABLES; raise RowProblems with every problem."""
    reports = []
    rows: Rows = {}
    for table in TABLES:
        out = []
        specs = [(c.name, c.kind, c.nullable, DEFAULTS.get((table.name, c.name)), _PLAIN.get(c.kind),
                  CHOICES.get((table.name, c.name))) for c in table.columns]
        known = frozenset(table.column_names)
        clean_rows = _clean_by_column(table, specs, known, raw.get(table.name) or [])
        if clean_rows is not None:
            rows[table.name] = clean_rows
            continue
        for i, row in enumerate(raw.get(table.name) or []):
            if not isinstance(row, dict):
                reports.append(error("HA201", Where(table=table.name, row=f"#{i + 1}", file=source),
                                     "a row is not a mapping of column to value",
                                     "write each row as {column: value, ...}"))
                continue

            def where(row=row):
                return Where(table=table.name, row=_row_label(table, row), file=source)

            if not known.issuperset(row):
                unknown = sorted((str(k) for k in row if k not in known), key=str)
                reports.append(error("HA201", where(), f"unknown column(s) {', '.join(unknown)}",
                                     f"columns of {table.name}: {', '.join(table.column_names)}"))
            clean = {}
            for name, kind, nullable, default, plain, choices in specs:
                value = row.get(name)
                if value is None:
                    value = default
                    if value is None:
                        if not nullable:
                            reports.append(error("HA201", where(), f"column {name} is missing or null",
                                                 f"{table.name}.{name} is NOT NULL in schemas/clusterdb.sql"))
                        clean[name] = None
                        continue
                if type(value) is not plain:
                    ok, value = _coerce(kind, value)
                    if not ok:
                        reports.append(error("HA201", where(), f"column {name} should be {kind}, not {value!r}",
                                             f"see {table.name}.{name} in schemas/clusterdb.sql"))
                        value = None
                if choices and value is not None and value not in choices:
                    reports.append(error("HA201", where(), f"column {name} is {value!r}, not one of "
                                         + ", ".join(choices), "schemas/clusterdb.sql allows only these values"))
                    value = None
                clean[name] = value
            out.append(clean)
        rows[table.name] = out
    unknown_tables = sorted(set(raw) - set(TABLE_BY_NAME))
    for name in unknown_tables:
        reports.append(error("HA201", Where(table=name, file=source), f"unknown table {name}",
                             "tables hagen reads: " + ", ".join(TABLE_BY_NAME)))
    if reports:
        raise RowProblems(reports, rows)
    return rows


def _clean_by_column(table: Table, specs: list, known: frozenset, data) -> list | None:
    """The rows of table cleaned column by column with set operations, when every value is
    already of its column's type (the usual case: a database, a snapshot hagen wrote);
    None when some row needs the closer look, row by row, that reports what is wrong."""
    if type(data) is not list or not data:
        return [] if data == [] else None
    if set(map(type, data)) != {dict}:
        return None
    names = table.column_names
    shapes = set(map(tuple, data))
    if any(len(shape) != len(names) or not known.issuperset(shape) for shape in shapes):
        return None           # a column missing or unknown
    rewritten = shapes != {names}      # columns in another order: rows rebuilt in the table's order
    columns = []
    for name, kind, nullable, default, plain, choices in specs:
        values = list(map(itemgetter(name), data))
        kinds = set(map(type, values))
        has_null = type(None) in kinds
        kinds.discard(type(None))
        if plain is None:     # macaddr: rewritten as PostgreSQL prints it, value by value (few, mostly null)
            if kinds - {str}:
                return None
            if kinds:
                cleaned = [None if v is None else _macaddr(v) for v in values]
                if sum(v is None for v in cleaned) != sum(v is None for v in values):
                    return None
                rewritten = rewritten or cleaned != values
                values = cleaned
        elif kinds - {plain}:
            return None
        if has_null:
            if default is not None:
                values = [default if v is None else v for v in values]
                rewritten = True
            elif not nullable:
                return None
        if choices and not (set(values) - {None}) <= set(choices):
            return None
        columns.append(values)
    if not rewritten:
        return list(map(dict, data))   # every value as it came: copies, made in C
    return [dict(zip(names, row)) for row in zip(*columns)]


_MAC_FORMS = (
    re.compile(r"([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})"),
    re.compile(r"([0-9a-f]{6})[:-]?([0-9a-f]{6})"),
    re.compile(r"([0-9a-f]{4})([.-])([0-9a-f]{4})\2([0-9a-f]{4})"),
)


def _macaddr(text: str) -> str | None:
    """A MAC address in any form PostgreSQL's macaddr accepts, as PostgreSQL prints it (08:00:2b:01:02:03)."""
    text = text.strip().lower()
    for form in _MAC_FORMS:
        m = form.fullmatch(text)
        if m:
            digits = "".join(g for g in m.groups() if g not in (":", "-", "."))
            return ":".join(digits[i:i + 2] for i in range(0, 12, 2))
    return None


def _coerce(kind: str, value):
    if kind == "macaddr" and isinstance(value, str):
        mac = _macaddr(value)
        return (True, mac) if mac is not None else (False, value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return True, int(value)
            return False, value
        return True, value
    if kind == "bool":
        if isinstance(value, bool):
            return True, value
        if value in ("t", "true", "f", "false"):
            return True, value in ("t", "true")
        return False, value
    if isinstance(value, bool):
        return False, value
    if isinstance(value, (int, float)) and kind == "text":
        return True, str(value)
    if not isinstance(value, str):
        return False, value
    return True, value


def canonical(rows: Rows) -> Rows:
    """Sort every table by natural key and renumber ids in that order (references follow).

    The rows must have passed check_integrity(). (hagen.load.order says how.)"""
    from hagen.load.order import sort_and_renumber

    return sort_and_renumber(rows, TABLES)


UNIQUE_NAMES = {"cluster": "name", "network": "name", "ftype": "label", "hwmanager": "name", "node": "name",
                "disk_array": "name", "da_iocell": "name", "lustre_fs": "fs_name", "lustre_mdt": "mdt_name",
                "lustre_ost": "ost_name"}


def check_integrity(rows: Rows, source: str) -> None:
    """Unique ids and names, and every reference resolves; raise RowProblems with every problem."""
    if _integral(rows):
        return
    reports = []
    ids: dict = {}
    for table in TABLES:
        if not table.serial_id:
            continue
        seen: dict = {}
        for row in rows.get(table.name, []):
            if row.get("id") is None:
                continue       # normalise() reported it
            if row["id"] in seen:
                reports.append(error("HA202", Where(table=table.name, row=_row_label(table, row), file=source),
                                     f"id {row['id']} is used by two rows", "give every row its own id"))
            seen[row["id"]] = row
        ids[table.name] = seen
    for name, col in UNIQUE_NAMES.items():
        seen_names: dict = {}
        for row in rows.get(name, []):
            value = row.get(col)
            if value is None:
                continue       # normalise() reported it
            if value in seen_names:
                reports.append(error("HA202", Where(table=name, row=f"{col}={value}", file=source),
                                     f"two rows are named {value!r}", f"{name}.{col} must be unique"))
            seen_names[value] = row
    if len(rows.get("cluster", [])) != 1:
        reports.append(error("HA203", Where(table="cluster", file=source),
                             f"the cluster table holds {len(rows.get('cluster', []))} rows, not 1",
                             "a ClusterDB describes exactly one cluster"))
    for table in TABLES:
        for row in rows.get(table.name, []):
            for col in table.columns:
                value = row.get(col.name)
                if col.ref and value is not None and value not in ids.get(col.ref, {}):
                    reports.append(error(
                        "HA204", Where(table=table.name, row=_row_label(table, row), file=source),
                        f"{col.name}={value} refers to no {col.ref} row",
                        f"add the {col.ref} row with id {value}, or fix {table.name}.{col.name}"))
    if reports:
        raise RowProblems(reports)


def _integral(rows: Rows) -> bool:
    """check_integrity's answer with set operations, for rows with every column: True when
    there is nothing to report (the usual case); False sends the rows to the row-by-row look."""
    ids: dict = {}
    try:
        for table in TABLES:
            data = rows.get(table.name, [])
            if table.serial_id:
                values = list(map(itemgetter("id"), data))
                ids[table.name] = set(values)
                if None in ids[table.name] or len(ids[table.name]) != len(values):
                    return False
            name = UNIQUE_NAMES.get(table.name)
            if name is not None:
                values = list(map(itemgetter(name), data))
                if None in values or len(set(values)) != len(values):
                    return False
        if len(rows.get("cluster", [])) != 1:
            return False
        for table in TABLES:
            data = rows.get(table.name, [])
            for col in table.columns:
                if col.ref:
                    used = set(map(itemgetter(col.name), data))
                    used.discard(None)
                    if not used <= ids[col.ref]:
                        return False
    except (KeyError, TypeError):     # a row without some column, an unhashable value
        return False
    return True
