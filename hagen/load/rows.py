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

from hagen.reports import Where, error

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


def _natural_sort_key(text):
    from hagen.order import natural_key
    return natural_key(text)


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


def _natural_key(table: Table, row: dict, names: dict) -> tuple:
    """The key that sorts rows of table: names of the row and of the rows it refers to."""

    def ref(col):
        c = table.column(col)
        return names.get(c.ref, {}).get(row.get(col), "")

    n = table.name
    nk = _natural_sort_key
    if n == "cluster":
        return (row["name"] or "",)
    if n in ("network", "hwmanager", "disk_array", "da_iocell"):
        return (nk(row["name"] or ""),)
    if n == "node":
        return (nk(row["name"] or ""),)
    if n == "ftype":
        return (row["label"] or "",)
    if n == "hwmanager_port":
        return (nk(ref("hwmanager_id")), ref("network_id"), row["ipaddr"] or "")
    if n == "node_ftype":
        return (nk(ref("node_id")), ref("ftype_id"))
    if n == "node_port":
        return (nk(ref("node_id")), ref("network_id"), nk(row["interface_name"] or ""), row["ipaddr"] or "")
    if n == "da_iocell_component":
        return (nk(ref("iocell_id")), nk(ref("node_id")), nk(ref("disk_array_id")))
    if n == "metaservice_port":
        return (nk(ref("iocell_id")), ref("network_id"), nk(row["name"] or ""), row["ipaddr"] or "")
    if n == "lustre_io_node":
        return (nk(ref("node_id")),)
    if n == "lustre_fs":
        return (row["fs_name"] or "",)
    if n == "lustre_mdt":
        return (nk(row["mdt_name"] or ""),)
    if n == "lustre_ost":
        return (nk(row["ost_name"] or ""),)
    if n == "lustre_mount":
        return (row["fs_name"] or "", nk(row["mnt_node_name"] or ""))
    raise KeyError(n)


def canonical(rows: Rows) -> Rows:
    """Sort every table by natural key and renumber ids in that order (references follow).

    The rows must have passed check_integrity()."""
    names: dict = {}  # table -> {old id: display name}
    for table in TABLES:
        if table.serial_id:
            label = "label" if table.name == "ftype" else "name"
            names[table.name] = {r["id"]: (r.get(label) or "") for r in rows.get(table.name, [])}
    out: Rows = {}
    renumber: dict = {}
    for table in TABLES:
        listed = sorted(rows.get(table.name, []), key=lambda r: (_natural_key(table, r, names), _stable(r)))
        mapping = {}
        if table.serial_id:
            for new_id, row in enumerate(listed, 1):
                mapping.setdefault(row["id"], new_id)
        renumber[table.name] = mapping
        out[table.name] = listed
    result: Rows = {}
    for table in TABLES:
        fixed = []
        for row in out[table.name]:
            row = dict(row)
            if table.serial_id:
                row["id"] = renumber[table.name].get(row["id"], row["id"])
            for col in table.columns:
                if col.ref and row.get(col.name) is not None:
                    row[col.name] = renumber[col.ref][row[col.name]]
            fixed.append(row)
        result[table.name] = fixed
    return result


def _stable(row: dict) -> tuple:
    return tuple((k, "" if v is None else str(v)) for k, v in sorted(row.items()) if k != "id")


UNIQUE_NAMES = {"cluster": "name", "network": "name", "ftype": "label", "hwmanager": "name", "node": "name",
                "disk_array": "name", "da_iocell": "name", "lustre_fs": "fs_name", "lustre_mdt": "mdt_name",
                "lustre_ost": "ost_name"}


def check_integrity(rows: Rows, source: str) -> None:
    """Unique ids and names, and every reference resolves; raise RowProblems with every problem."""
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
