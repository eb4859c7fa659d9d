"""ClusterDB snapshots: the same rows as the database, as YAML (for people) or JSON.

    format: hagen-clusterdb-snapshot/1
    tables:
      cluster:
      - {id: 1, name: ns, ...}

A snapshot is read within the limits of hagen.load.limits, a key given twice in a row is
refused, and rows_from_raw() (the one path of snapshots and databases alike) holds every
string to its column's grammar (hagen.load.grammar).
"""

from __future__ import annotations

import json
from pathlib import Path

from hagen.base.errors import InputRefused
from hagen.load.grammar import check_rows
from hagen.load.rows import TABLES, RowProblems, Rows, canonical, check_integrity, normalise
from hagen.base.reports import Where, error

FORMAT = "hagen-clusterdb-snapshot/1"

# PyYAML reads `yes`/`no` as booleans (YAML 1.1); these text columns mean the words.
_YES_NO = {("lustre_fs", "failover"), ("lustre_fs", "quota")}
_YES_NO_TABLES = {table for table, _ in _YES_NO}


def read_snapshot(path: str | Path, display: str | None = None) -> Rows:
    from hagen.load.limits import SNAPSHOT, LimitExceeded, read_regular_file

    display = display or str(path)
    path = Path(path)
    try:
        text = read_regular_file(path, display, SNAPSHOT).decode("utf-8")
    except LimitExceeded as exc:
        raise InputRefused(reports=[exc.report])
    except FileNotFoundError:
        raise InputRefused(reports=[error("HA102", Where(file=display), "the ClusterDB snapshot does not exist",
                                          "check clusterdb.snapshot in the site spec, or --snapshot")])
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InputRefused(reports=[error("HA200", Where(file=display), f"cannot read the snapshot: {why}",
                                          "a snapshot is UTF-8 YAML or JSON, as `hagen db export` writes it")])
    return parse_snapshot(text, display, json_first=path.suffix == ".json")


class _DuplicateKey(ValueError):
    def __init__(self, key, mark=None, merge: bool = False):
        super().__init__(f"duplicate key {key!r}")
        self.key, self.mark, self.merge = key, mark, merge


def _json_object(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return obj


def _yaml_loader():
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):
        """PyYAML keeps the last of two equal keys: a snapshot row with two `name:` is refused instead."""

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                seen = set()
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":     # `<<: *row` could give a column twice
                        raise _DuplicateKey("<<", key_node.start_mark, merge=True)
                    if isinstance(key_node, yaml.ScalarNode):
                        if key_node.value in seen:
                            raise _DuplicateKey(key_node.value, key_node.start_mark)
                        seen.add(key_node.value)
            return super().construct_mapping(node, deep=deep)

    return Loader


def parse_snapshot(text: str, display: str, json_first: bool = False) -> Rows:
    from hagen.load.limits import SNAPSHOT, long_numbers, measure, scan_text

    doc = None
    try:
        if json_first or text.lstrip().startswith("{"):
            # JSON has no aliases, and its parser stops deep nesting with a RecursionError
            try:
                doc = json.loads(text, object_pairs_hook=_json_object)
            except (_DuplicateKey, RecursionError):
                raise
            except ValueError:
                doc = None
        if doc is None:
            # PyYAML with libyaml, not ruamel.yaml (the site spec's reader, kept there for its line
            # and column positions): on the XL snapshot (6.6 MB) libyaml loads in 23 s, ruamel.yaml's
            # safe loader in 66 s (docs/dependencies.md). Snapshots need no positions, only speed.
            import yaml

            # what libyaml must not see: nesting that overflows its C stack, NUL bytes
            problems = scan_text(text, display, SNAPSHOT, format_chars=False, digits=False)
            if problems:
                raise InputRefused(reports=problems)
            try:
                doc = yaml.load(text, Loader=_yaml_loader())
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = Where(file=display, line=mark.line + 1 if mark else None,
                              column=mark.column + 1 if mark else None)
                raise InputRefused(reports=[error("HA200", where,
                                                  f"the snapshot is not valid YAML: {getattr(exc, 'problem', exc)}",
                                                  "fix the YAML syntax, or export the snapshot again with "
                                                  "`hagen db export`")])
            # aliases are shared, not copied, in doc: measure it before anything walks it expanded
            exceeded = measure(doc, SNAPSHOT) if "&" in text else None
            if exceeded is not None:
                code, at, message, hint = exceeded
                table = str(at[1]) if len(at) > 1 and at[0] == "tables" else None
                row = f"#{at[2] + 1}" if len(at) > 2 and isinstance(at[2], int) else None
                raise InputRefused(reports=[error(code, Where(file=display, table=table, row=row,
                                                              key=None if table else ".".join(map(str, at)) or None),
                                                  message, hint)])
    except _DuplicateKey as exc:
        mark = exc.mark
        where = Where(file=display, line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
                      key=str(exc.key))
        if exc.merge:
            raise InputRefused(reports=[error("HA217", where, "a YAML merge key (<<) copies another mapping's keys "
                                              "into a row: a column may be given twice, the last one winning",
                                              "write each row's columns out: hagen does not merge rows")])
        raise InputRefused(reports=[error("HA217", where, f"the key {exc.key!r} appears twice in one mapping",
                                          "keep one: hagen does not guess which of two values a row means")])
    except RecursionError:
        raise InputRefused(reports=[error("HA116", Where(file=display), "the snapshot nests too deeply to be read",
                                          "export the snapshot again with `hagen db export` (docs/limits.md)")])
    except ValueError as exc:          # an integer of more than 4300 digits
        raise InputRefused(reports=long_numbers(text, display) or [
            error("HA200", Where(file=display), f"the snapshot cannot be read: {exc}",
                  "export the snapshot again with `hagen db export`")])
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("tables"), dict):
        raise InputRefused(reports=[error("HA200", Where(file=display), "not a hagen ClusterDB snapshot",
                                          f"a snapshot is a mapping with format: {FORMAT} and tables: {{table: [rows]}}")])
    raw = {}
    for name, table_rows in doc["tables"].items():
        if table_rows is None:
            table_rows = []
        if not isinstance(table_rows, list):
            raise InputRefused(reports=[error("HA200", Where(file=display, table=str(name)),
                                              "a table is not a list of rows", "write each table as a list of mappings")])
        name = str(name)
        raw[name] = [_yes_no(name, r) for r in table_rows] if name in _YES_NO_TABLES else table_rows
    return rows_from_raw(raw, display)


def rows_from_raw(raw: dict, display: str) -> Rows:
    """Raw rows (a snapshot's or a database's) checked and made canonical; InputRefused with every problem."""
    reports = []
    try:
        rows = normalise(raw, display)
    except RowProblems as exc:
        reports += exc.reports
        rows = exc.rows
    try:
        check_integrity(rows, display)
    except RowProblems as exc:
        reports += exc.reports
    reports += check_rows(rows, display)       # every string against its column's grammar
    if reports:
        raise InputRefused(reports=reports)
    return canonical(rows)


def _yes_no(table: str, row):
    if not isinstance(row, dict):
        return row
    out = dict(row)
    for t, col in _YES_NO:
        if t == table and isinstance(out.get(col), bool):
            out[col] = "yes" if out[col] else "no"
    return out


def dump_snapshot(rows: Rows, as_json: bool = False) -> str:
    """The canonical text of rows: same rows, same bytes."""
    doc = {"format": FORMAT,
           "tables": {t.name: [{c: row.get(c) for c in t.column_names} for row in rows.get(t.name, [])]
                      for t in TABLES}}
    if as_json:
        return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(doc, Dumper=dumper, sort_keys=False, default_flow_style=None, allow_unicode=True, width=4096)
    return "# hagen ClusterDB snapshot: load with `hagen db load`, or name it in the site spec\n" + body


def dump_sql(rows: Rows) -> str:
    """The rows as INSERT statements (after schemas/clusterdb.sql), for psql."""
    lines = ["-- hagen ClusterDB rows: psql -f schemas/clusterdb.sql, then this file", "BEGIN;"]
    for table in TABLES:
        data = rows.get(table.name, [])
        if not data:
            continue
        cols = table.column_names
        lines.append(f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES")
        values = [f"  ({', '.join(_sql_literal(row.get(c)) for c in cols)})" for row in data]
        lines.append(",\n".join(values) + ";")
        if table.serial_id:
            lines.append(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                         f"(SELECT max(id) FROM {table.name}));")
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def _sql_literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
