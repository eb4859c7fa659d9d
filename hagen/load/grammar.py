"""The grammar of every text column of the ClusterDB, checked once, at load.

The ClusterDB is written by many tools and people: hagen does not trust its strings.
Every text column (addresses included) has one grammar here: the characters it may
hold and its length. A value outside it is refused when the rows are loaded, from a
snapshot and from PostgreSQL alike (both go through hagen.load.snapshot.rows_from_raw),
before any of it reaches a model, a check or a template. The grammars are the safety
floor: no control character, no blank where the column has none, no shell, XML or
sudoers metacharacter, printable ASCII only (no look-alike letters, no bidi or
zero-width characters). Finer rules (a node name starts with a letter, a device lies
under /dev/, an fs_name has at most 8 characters) stay with the checks that explain
them (hagen.check.names, hagen.check.lustre), which then see only safe text.

docs/clusterdb-grammar.md is generated from COLUMNS (python3 -m hagen.cli.docgen).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hagen.base.hostnames import DOTTED_PATTERN, LABEL, PLAIN_PATTERN
from hagen.load.limits import MAX_INT
from hagen.base.reports import Where, error


@dataclass(frozen=True)
class Grammar:
    name: str
    pattern: str          # the whole value must match (re.fullmatch)
    max_length: int
    allows: str           # for people: what the pattern allows
    lands_in: str         # why: the files the value ends up in

    def __post_init__(self):
        object.__setattr__(self, "regex", re.compile(self.pattern))


_DOTDOT = r"(?!(?:.*/)?\.\.?(?:/|\Z))"     # no '.' or '..' path component
_PATH_CHARS = r"[A-Za-z0-9_.:+/@-]"

HOST = Grammar("host", PLAIN_PATTERN, 63,
               "letters, digits, '-', '_', '.'; starts with a letter or digit",
               "/etc/hosts, cluster.conf, node sets, folder names of the output tree")
SUFFIX = Grammar("suffix", rf"(?:{LABEL})?", 32,
                 "letters, digits, inner '-'; empty means none",
                 "every port's host name <node>-<suffix> in /etc/hosts")
DOMAIN = Grammar("domain", DOTTED_PATTERN,
                 253, "dot-separated labels of letters, digits, inner '-', each at most 63 characters", "/etc/hosts (fully qualified names)")
LABEL = Grammar("label", r"[A-Za-z0-9][A-Za-z0-9_.-]*", 64,
                "letters, digits, '-', '_', '.'; starts with a letter or digit",
                "comments and names in cluster.conf, slurm.conf, hosts, reports")
INTERFACE = Grammar("interface", r"[A-Za-z0-9][A-Za-z0-9_.-]*", 32,
                    "letters, digits, '-', '_', '.' (a check then holds it to 15 characters)",
                    "ifcfg-<name> file names, /etc/HA/ip, modprobe.conf")
WORD = Grammar("word", r"[A-Za-z0-9][A-Za-z0-9_.+-]*", 64, "letters, digits, '-', '_', '.', '+'",
               "model files, comments, ftype selections of the site spec")
MODEL = Grammar("model", r"[A-Za-z0-9_.+-]+(?: [A-Za-z0-9_.+-]+)*", 64,
                "words of letters, digits and - _ . +, single blanks between them (NovaScale R440)",
                "reports, runbooks and comments")
DEVICE = Grammar("device", _DOTDOT + _PATH_CHARS + "+", 255,
                 "letters, digits and _ . : + / @ -; no '.' or '..' component (a check then wants /dev/)",
                 "/etc/HA/mnttab, cluster.conf (quorumd), Lustre model files")
PATH = Grammar("path", _DOTDOT + _PATH_CHARS + "+", 1024,
               "letters, digits and _ . : + / @ -; no '.' or '..' component", "fstab, Lustre model files")
OPTIONS = Grammar("options", r"[A-Za-z0-9_=,.:/+@-]+", 1024, "letters, digits and _ = , . : / + @ -; no blank",
                  "fstab and mount option fields")
MKFS_OPTIONS = Grammar("mkfs-options", r"[A-Za-z0-9_=,.:/+@-]+(?: [A-Za-z0-9_=,.:/+@-]+)*", 1024,
                       "words of letters, digits and _ = , . : / + @ -, single blanks between them",
                       "Lustre model files (one 'key: value' line)")
TEXT = Grammar("text", r"[A-Za-z0-9_.,:()/+@=!?%*-](?:[ A-Za-z0-9_.,:()/+@=!?%*-]*[A-Za-z0-9_.,:()/+@=!?%*-])?",
               256, "printable ASCII words, single or more blanks inside; none of \" ' ` $ \\ < > & ; | # { } [ ]",
               "Lustre model files (description), comments")
ADDRESS = Grammar("address", r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:/[0-9]{1,2})?", 18,
                  "dotted IPv4, optional /prefix (checked as an address afterwards)",
                  "/etc/hosts, ifcfg files, cluster.conf, /etc/HA/ip")

GRAMMARS = (HOST, SUFFIX, DOMAIN, LABEL, INTERFACE, WORD, MODEL, DEVICE, PATH, OPTIONS, MKFS_OPTIONS, TEXT, ADDRESS)

# (table, column) -> (grammar, code). Every text, inet and cidr column of hagen.load.rows.TABLES is here
# (macaddr is normalised by rows.normalise; the CHECK-constrained columns are checked there too, and here).
COLUMNS: dict[tuple[str, str], tuple[Grammar, str]] = {
    ("cluster", "name"): (LABEL, "HA212"),
    ("cluster", "basename"): (HOST, "HA214"),
    ("cluster", "dns_domain"): (DOMAIN, "HA214"),
    ("cluster", "dbversion"): (WORD, "HA215"),
    ("cluster", "node_backbone_ipaddr"): (ADDRESS, "HA205"),
    ("network", "name"): (LABEL, "HA212"),
    ("network", "function"): (WORD, "HA215"),
    ("network", "techno"): (WORD, "HA215"),
    ("network", "subnet"): (ADDRESS, "HA205"),
    ("network", "gateway"): (ADDRESS, "HA205"),
    ("network", "suffix"): (SUFFIX, "HA213"),
    ("ftype", "label"): (WORD, "HA215"),
    ("hwmanager", "name"): (LABEL, "HA212"),
    ("hwmanager", "type"): (WORD, "HA215"),
    ("hwmanager", "model"): (MODEL, "HA215"),
    ("hwmanager_port", "ipaddr"): (ADDRESS, "HA205"),
    ("node", "name"): (HOST, "HA209"),
    ("node", "model"): (MODEL, "HA215"),
    ("node", "status"): (WORD, "HA215"),
    ("node_port", "interface_name"): (INTERFACE, "HA211"),
    ("node_port", "ipaddr"): (ADDRESS, "HA205"),
    ("disk_array", "name"): (LABEL, "HA212"),
    ("disk_array", "model"): (MODEL, "HA215"),
    ("da_iocell", "name"): (LABEL, "HA212"),
    ("da_iocell", "type"): (WORD, "HA215"),
    ("da_iocell", "quorum_device"): (DEVICE, "HA216"),
    ("metaservice_port", "name"): (HOST, "HA210"),
    ("metaservice_port", "type"): (WORD, "HA215"),
    ("metaservice_port", "ipaddr"): (ADDRESS, "HA205"),
    ("lustre_io_node", "net_status"): (WORD, "HA215"),
    ("lustre_io_node", "storage_status"): (WORD, "HA215"),
    ("lustre_io_node", "lustre_status"): (WORD, "HA215"),
    ("lustre_fs", "fs_name"): (LABEL, "HA611"),
    ("lustre_fs", "mount_path"): (PATH, "HA611"),
    ("lustre_fs", "mount_options"): (OPTIONS, "HA611"),
    ("lustre_fs", "nettype"): (WORD, "HA611"),
    ("lustre_fs", "fstype"): (WORD, "HA611"),
    ("lustre_fs", "failover"): (WORD, "HA611"),
    ("lustre_fs", "mdt_mkfs_options"): (MKFS_OPTIONS, "HA611"),
    ("lustre_fs", "mdt_mount_options"): (OPTIONS, "HA611"),
    ("lustre_fs", "ost_mkfs_options"): (MKFS_OPTIONS, "HA611"),
    ("lustre_fs", "ost_mount_options"): (OPTIONS, "HA611"),
    ("lustre_fs", "quota"): (WORD, "HA611"),
    ("lustre_fs", "quota_options"): (MKFS_OPTIONS, "HA611"),
    ("lustre_fs", "description"): (TEXT, "HA611"),
    ("lustre_mdt", "mdt_name"): (LABEL, "HA610"),
    ("lustre_mdt", "fs_name"): (LABEL, "HA611"),
    ("lustre_mdt", "mds_node_name"): (HOST, "HA209"),
    ("lustre_mdt", "mds_ha_node"): (HOST, "HA209"),
    ("lustre_mdt", "mds_active_node"): (HOST, "HA209"),
    ("lustre_mdt", "mdt_dev"): (DEVICE, "HA610"),
    ("lustre_mdt", "config_status"): (WORD, "HA215"),
    ("lustre_mdt", "status"): (WORD, "HA215"),
    ("lustre_ost", "ost_name"): (LABEL, "HA610"),
    ("lustre_ost", "fs_name"): (LABEL, "HA611"),
    ("lustre_ost", "oss_node_name"): (HOST, "HA209"),
    ("lustre_ost", "oss_ha_node"): (HOST, "HA209"),
    ("lustre_ost", "oss_active_node"): (HOST, "HA209"),
    ("lustre_ost", "ost_dev"): (DEVICE, "HA610"),
    ("lustre_ost", "config_status"): (WORD, "HA215"),
    ("lustre_ost", "status"): (WORD, "HA215"),
    ("lustre_mount", "fs_name"): (LABEL, "HA611"),
    ("lustre_mount", "mnt_node_name"): (HOST, "HA209"),
    ("lustre_mount", "mount_options"): (OPTIONS, "HA611"),
}

# columns where '' means "none", as NULL does (the model reads them with `or None`, `or ""`)
EMPTY_MEANS_NONE = {("network", "suffix"), ("network", "gateway"), ("cluster", "node_backbone_ipaddr"),
                    ("lustre_mdt", "mds_ha_node"), ("lustre_mdt", "mds_active_node"),
                    ("lustre_ost", "oss_ha_node"), ("lustre_ost", "oss_active_node")}


def shown(value: str) -> str:
    """A value as a location shows it: quoted when it holds anything but printable ASCII without blanks."""
    return value if value.isascii() and value.isprintable() and " " not in value else repr(value)


def _label(table: str, row: dict, names: dict) -> str:
    """The natural key of a row, as the checks print it (so that one row has one location)."""
    def name_of(ref_table, ident):
        found = names.get(ref_table, {}).get(ident)
        return shown(found) if isinstance(found, str) else f"id={ident}"

    if table == "node_port":
        return f"node={name_of('node', row.get('node_id'))}, interface={shown(str(row.get('interface_name')))}"
    if table == "hwmanager_port":
        return f"hwmanager={name_of('hwmanager', row.get('hwmanager_id'))}"
    if table == "lustre_io_node":
        return f"node={name_of('node', row.get('node_id'))}"
    if table == "lustre_mount":
        return f"fs_name={shown(str(row.get('fs_name')))}, mnt_node_name={shown(str(row.get('mnt_node_name')))}"
    for col in ("name", "label", "fs_name", "mdt_name", "ost_name"):
        if col in row and row[col] is not None and not (table in ("lustre_mdt", "lustre_ost") and col == "fs_name"):
            return f"{col}={shown(str(row[col]))}"
    return f"id={row.get('id')}"


_META = set(" \"'`$\\<>&;|#{}[]()")


def _why(value: str, grammar: Grammar) -> str:
    if len(value) > grammar.max_length:
        return f"is {len(value)} characters long, more than {grammar.max_length}"
    if value == "":
        return "is empty"
    for c in value:
        if not (c.isascii() and c.isprintable()):
            return f"holds {c!r}, which is not printable ASCII"
    for c in value:
        if c in _META:
            return f"holds {c!r}"
    return "is not of that form"


def check_rows(rows: dict, source: str) -> list:
    """A report for every value of rows outside its column's grammar, and for every integer out of
    PostgreSQL's bigint range. Each distinct value of a column is matched once; the rows that hold
    a bad one are looked up only then. NULL is left to rows.normalise (NOT NULL) and the checks."""
    reports = []
    names = None
    for (table, column), (grammar, code) in COLUMNS.items():
        data = rows.get(table) or []
        distinct = {row.get(column) for row in data}
        distinct.discard(None)
        if (table, column) in EMPTY_MEANS_NONE:
            distinct.discard("")
        bad = {}
        for value in distinct:
            text = value if isinstance(value, str) else str(value)
            if not (len(text) <= grammar.max_length and text.isascii() and grammar.regex.fullmatch(text)):
                bad[value] = _why(text, grammar)
        if not bad:
            continue
        if names is None:
            names = {t: {r.get("id"): r.get("name") for r in rows.get(t, [])} for t in ("node", "hwmanager")}
        for row in data:
            value = row.get(column)
            if value in bad:
                text = value if isinstance(value, str) else str(value)
                reports.append(error(
                    code, Where(table=table, row=_label(table, row, names), file=source),
                    f"{table}.{column} {shown(text)} {bad[value]}",
                    f"{table}.{column} takes {grammar.allows}, at most {grammar.max_length} characters "
                    f"(it goes into {grammar.lands_in}; docs/clusterdb-grammar.md)"))
    reports += _integers(rows, source)
    return reports


def _integers(rows: dict, source: str) -> list:
    from hagen.load.rows import TABLES

    reports = []
    for table in TABLES:
        ints = [c.name for c in table.columns if c.kind == "int" and not c.ref and c.name != "id"]
        for row in rows.get(table.name, []) if ints else ():
            for col in ints:
                value = row.get(col)
                if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
                    reports.append(error("HA117", Where(table=table.name, row=_label(table.name, row, {}), file=source),
                                         f"{table.name}.{col} {str(value)[:24]}... is out of PostgreSQL's bigint range",
                                         "store a number that fits the column"))
    return reports


def grammar_md() -> str:
    """docs/clusterdb-grammar.md: every column's grammar and code."""
    lines = ["# The grammar of the ClusterDB's text columns", "",
             "<!-- generated by `python3 -m hagen.cli.docgen` from hagen/load/grammar.py -->", "",
             "hagen does not trust the strings of the ClusterDB: many tools and people write it. Every text "
             "column (and every address column, read as text) is checked against its grammar when the rows are "
             "loaded, from a snapshot or from PostgreSQL alike, before anything is built. A value outside its "
             "grammar is refused with the code below and its location `clusterdb table[row]` (exit 2). "
             "Only printable ASCII passes: no control character, no look-alike letter, no bidi or zero-width "
             "character. Finer rules (a node name starts with a letter, a device lies under `/dev/`) are the "
             "checks' own, with the codes of docs/codes.md.", "",
             "## Grammars", "", "| grammar | pattern | at most | allows | lands in |", "|---|---|---|---|---|"]
    for g in GRAMMARS:
        pattern, allows = (t.replace("|", "\\|") for t in (g.pattern, g.allows))
        lines.append(f"| {g.name} | `{pattern}` | {g.max_length} | {allows} | {g.lands_in} |")
    lines += ["", "## Columns", "", "| table.column | grammar | code | '' means none |", "|---|---|---|---|"]
    for (table, column), (g, code) in COLUMNS.items():
        lines.append(f"| `{table}.{column}` | {g.name} | {code} | "
                     f"{'yes' if (table, column) in EMPTY_MEANS_NONE else ''} |")
    return "\n".join(lines) + "\n"
