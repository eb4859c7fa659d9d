"""Property-based tests: whatever the site spec and the ClusterDB rows, a build ends well.

Hypothesis mutates the examples (every examples/*/site*.yaml and its snapshot): values
replaced by odd strings (line breaks, quotes, <, &, .., /, blanks, unicode), numbers,
nulls, lists or mappings; keys and rows deleted or duplicated; nodes added with random
names and addresses. Each mutated input is built into one output tree that the previous
examples left, in this process (hagen's command line through typer, as `hagen build`).
Every build must end in one of two ways:

- exit 0, and `out` is a complete tree (its files exactly its manifest's, bytes and
  modes) that ../shared/oracles/check-tree accepts (0 failed). The oracle sees each
  distinct file once: files of the unmodified examples are left to test_consumers.py;
- exit 2 or 3 with diagnostics, and `out` exactly as it was (files, bytes, modes, mtimes,
  the link and its generations).

The ClusterDB is mutated through PostgreSQL too: one database for the module, one value
changed (and put back) per example, and a sweep of every string column through the grammar.

Never a traceback, never "internal error". The example counts are kept small so that the
module runs in well under a minute and a half; HYPOTHESIS_PROFILE=thorough runs more.
"""

from __future__ import annotations

import copy
import json
from contextlib import contextmanager
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hagen.base.errors import InputRefused

from cli_runner import cli
from conftest import CHECK_TREE, EXAMPLES, tree_state
from faults_helpers import assert_complete, out_listing
from hagen.load.grammar import COLUMNS
from hagen.load.rows import TABLE_BY_NAME
from pg import requires_pg, temp_database

SITES = sorted(EXAMPLES.glob("*/site*.yaml"))
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
COMMON = dict(deadline=None, derandomize=not THOROUGH, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
SITE_EXAMPLES = 300 if THOROUGH else 45
DB_EXAMPLES = 300 if THOROUGH else 45
PG_EXAMPLES = 200 if THOROUGH else 15


# --------------------------------------------------------------------------- the workbench

class Bench:
    """Private copies of the examples, one output tree, and the files the oracle has seen."""

    def __init__(self, root: Path):
        self.root = root
        self.bases = {}
        for site in SITES:
            folder = root / "examples" / site.parent.name
            if not folder.exists():
                shutil.copytree(EXAMPLES / site.parent.name, folder)
                (folder / "fence-password").chmod(0o600)
            self.bases[f"{site.parent.name}/{site.name}"] = (folder, yaml.safe_load(site.read_text()))
        self.tables = {name: yaml.safe_load((EXAMPLES / name / "clusterdb.yaml").read_text())["tables"]
                       for name in {s.parent.name for s in SITES}}
        self.checked: set = set()          # (path on host, sha256) the oracle passed, or left to test_consumers
        self.runs = 0
        for key in self.bases:             # the unmodified examples: test_consumers.py hands them to check-tree
            out = root / "seed" / key.replace("/", "-") / "out"
            res = cli("build", "--site", self.bases[key][0] / key.split("/")[1], "--out", out)
            assert res.code == 0, res.output
            self._remember(out)

    def _remember(self, out: Path) -> list:
        """The (path, sha256, file) of out's files the oracle has not seen; marks them seen."""
        from ClusterShell.NodeSet import NodeSet

        manifest = json.loads((out / ".hagen" / "manifest.json").read_text())
        fresh = []
        for entry in manifest["files"]:
            if entry.get("type") == "symlink" or (entry["path"], entry["sha256"]) in self.checked:
                continue
            self.checked.add((entry["path"], entry["sha256"]))
            host = next(iter(NodeSet(entry["hosts"])))
            fresh.append((entry["path"], host, out / host / entry["path"].lstrip("/")))
        return fresh

    def build(self, site: Path, out: Path, snapshot: Path | None = None, db: str | None = None):
        """Build, and check the one property every input must have."""
        if not out.is_symlink():            # every tree starts from a good build: there is an `out` to keep
            seed = cli("build", "--site", self.bases["bas5-guide/site.yaml"][0] / "site.yaml", "--out", out)
            assert seed.code == 0, seed.output
        before = (tree_state(out), out_listing(out))
        args = ["build", "--site", site, "--out", out] + (["--snapshot", snapshot] if snapshot else []) \
            + (["--db", db] if db else [])
        res = cli(*args)
        self.runs += 1
        assert "Traceback" not in res.output and "internal error" not in res.output, res.output
        assert res.code in (0, 2, 3), f"exit {res.code}:\n{res.output}"
        if res.code != 0:
            assert "error HA" in res.stderr or res.stderr.startswith("hagen:"), f"no diagnostics:\n{res.output}"
            assert (tree_state(out), out_listing(out)) == before, f"a refused build changed out:\n{res.output}"
            return res
        assert_complete(out)
        fresh = self._remember(out)
        if fresh and CHECK_TREE.exists():
            self._oracle(fresh, res)
        return res

    def _oracle(self, fresh, res) -> None:
        tree = self.root / f"oracle-{self.runs}"
        for path, host, src in fresh:
            dest = tree / host / path.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        proc = subprocess.run([sys.executable, str(CHECK_TREE), "--quiet", str(tree)], capture_output=True,
                              text=True, timeout=300)
        shutil.rmtree(tree, ignore_errors=True)
        fails = [ln for ln in proc.stdout.splitlines() if ln.startswith("fail")]
        # exit 1 with nothing checked: the new files lie where no consumer is known (a moved /etc/hosts)
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        nothing = proc.returncode == 1 and summary.startswith("check-tree: 0 files checked")
        assert not fails and (proc.returncode == 0 or nothing) and " 0 failed" in summary, \
            "check-tree refused a built file:\n" + "\n".join(fails or [proc.stdout + proc.stderr]) \
            + f"\n(the build said:\n{res.output})"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return Bench(tmp_path_factory.mktemp("properties"))


def test_the_oracle_is_there_and_can_refuse(tmp_path):
    """The property tests below hand every new file to check-tree; without ../shared they
    still check exit codes and the output tree, and this test says what was left out. With
    it, the oracle must refuse a broken file the way those tests read it (a `fail` line and
    a non-zero count of failures), or their silence would prove nothing."""
    if not CHECK_TREE.exists():
        pytest.skip("../shared (the oracles) is absent: the property tests ran without check-tree")
    broken = tmp_path / "ns0" / "etc" / "cluster" / "cluster.conf"
    broken.parent.mkdir(parents=True)
    broken.write_text('<?xml version="1.0"?>\n<cluster name="x" config_version="1"><clusternodes>\n')
    proc = subprocess.run([sys.executable, str(CHECK_TREE), "--quiet", str(tmp_path)], capture_output=True,
                          text=True, timeout=300)
    summary = proc.stdout.strip().splitlines()[-1]
    assert proc.returncode == 1 and " 0 failed" not in summary, proc.stdout + proc.stderr
    assert any(ln.startswith("fail") for ln in proc.stdout.splitlines()), proc.stdout


# --------------------------------------------------------------------------- values

CRAFTED = [
    "", " ", "\n", "\t", "a\nb", "x\r\ny", "ns0\n", " ns0", "..", "../x", "/..", "/etc/../x", "/etc/./x", "//x", "/",
    "/etc/hosts/", "a/b", "/dev/sda", "/dev/sd a", "<x/>", "&amp;", "&", "<", ">", '"', "'", "`id`", "$(id)", "a;b",
    "a|b", "#x", "x#", "\\", "\x00", "\x1b[31m", "é", "ﬁ", "日本", "\u200b", "\u2028", "ns0", "ns13", "ns1", "xena1",
    "eth0", "bond0", "admin", "backbone", "bmc", "10.1.0.1", "10.1.0.1/16", "10.1.0.0/16", "999.1.1.1", "0.0.0.0/0",
    "10.1.0.65", "255.255.255.255", "yes", "no", "true", "null", "~", "-1", "0", "1e9", "x" * 70, "A_B", "a.b",
    "ns[0-13]", "ns[", "compute", "login", "mngt", "lustre", "nfs", "pbs", "slurm", "lsf", "rms", "none",
]
odd_chars = st.sampled_from(list("aZz09-_./ \t\n\"'<>&;|$`\\#:=,*[]{}()%@!~é€\u00a0\x00\x7f"))
odd_text = st.one_of(st.sampled_from(CRAFTED), st.text(odd_chars, max_size=12),
                     st.text(st.characters(codec="utf-8"), max_size=8))
scalars = st.one_of(odd_text, odd_text, st.integers(-3, 70000), st.booleans(), st.none(), st.just(1.5))
values = st.one_of(scalars, scalars, scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.sampled_from(["name", "path", "x", "nodes", "command", "group"]), scalars,
                                   max_size=2))


def _paths(doc, here=()):
    """Every place in a YAML document: (path, kind) with kind leaf, dict or list."""
    if isinstance(doc, dict):
        yield here, "dict"
        for k, v in doc.items():
            yield from _paths(v, here + (k,))
    elif isinstance(doc, list):
        yield here, "list"
        for i, v in enumerate(doc):
            yield from _paths(v, here + (i,))
    else:
        yield here, "leaf"


def _get(doc, path):
    for part in path:
        doc = doc[part]
    return doc


def _plausible(draw, value):
    """A value of the same shape that a careful administrator might write: another path, name or number."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return draw(st.integers(0, 100000))
    text = str(value)
    if text.startswith("/"):
        return draw(st.from_regex(r"\A(/[a-z0-9_][a-z0-9._+-]{0,8}){1,4}\Z"))
    return draw(st.from_regex(r"\A[A-Za-z][A-Za-z0-9_.-]{0,10}\Z"))


def _tweak(draw, value):
    """An odd variant of an existing value: an odd prefix or suffix, or a character replaced."""
    text = str(value)
    how = draw(st.sampled_from(["suffix", "prefix", "inside"]))
    odd = draw(odd_text)
    if how == "suffix":
        return text + odd
    if how == "prefix":
        return odd + text
    i = draw(st.integers(0, len(text)))
    return text[:i] + odd + text[i + 1:]


# --------------------------------------------------------------------------- site specs

SITE_KEYS = ["password", "colour", "path", "extra", "nodes", "name", "enabled", "hosts", "batch", "lustre", "nfs",
             "sudoers", "client_fstab", "envdir", "conf", "script", "fstab", "mount_point", "links", "routes"]


@st.composite
def site_mutation(draw, doc):
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p in _paths(doc)]
        path, kind = draw(st.sampled_from(places))
        op = draw(st.sampled_from(["replace", "tweak", "tweak", "plausible", "plausible", "delete", "duplicate",
                                   "add"]))
        if not path:
            op = "add"
        parent = _get(doc, path[:-1]) if path else None
        if op == "replace":
            parent[path[-1]] = draw(values)
        elif op == "tweak" and kind == "leaf":
            parent[path[-1]] = _tweak(draw, _get(doc, path))
        elif op == "plausible" and kind == "leaf":
            parent[path[-1]] = _plausible(draw, _get(doc, path))
        elif op == "delete":
            del parent[path[-1]]
        elif op == "duplicate" and kind == "list" and _get(doc, path):
            items = _get(doc, path)
            items.append(copy.deepcopy(draw(st.sampled_from(items))))
        elif op == "add" and kind == "dict":
            _get(doc, path)[draw(st.sampled_from(SITE_KEYS))] = draw(values)
        else:
            target = _get(doc, path)
            if isinstance(target, list):
                target.append(draw(values))
            elif path:
                parent[path[-1]] = draw(values)
    return doc


@settings(max_examples=SITE_EXAMPLES, **COMMON)
@given(data=st.data())
def test_any_site_spec_builds_or_is_refused(bench, data):
    key = data.draw(st.sampled_from(sorted(bench.bases)), label="example")
    folder, doc = bench.bases[key]
    mutated = data.draw(site_mutation(doc), label="site spec")
    site = folder / "mutated-site.yaml"
    try:
        text = yaml.safe_dump(mutated, sort_keys=False, allow_unicode=True, width=4096)
    except yaml.YAMLError:
        return
    site.write_text(text, encoding="utf-8")
    bench.build(site, bench.root / "site-tree" / "out")


@settings(max_examples=10 if not THOROUGH else 100, **COMMON)
@given(text=st.text(st.sampled_from(list("ab:- \n\t{}[]&*!|>'\"%@`#,?~/")), max_size=60))
def test_any_text_as_site_spec_builds_or_is_refused(bench, text):
    """Not even YAML: refused with HA100/HA101 (or, for an empty spec, HA105), never a crash."""
    folder, _ = bench.bases["bas5-guide/site.yaml"]
    site = folder / "text-site.yaml"
    site.write_text(text, encoding="utf-8")
    bench.build(site, bench.root / "text-tree" / "out")


# --------------------------------------------------------------------------- ClusterDB rows

def _value_for(draw, table, column, rows):
    col = TABLE_BY_NAME[table].column(column)
    options = [values, odd_text]
    if col.ref:
        ids = [r.get("id") for r in rows.get(col.ref, [])]
        options.append(st.sampled_from(ids + [0, -1, 10 ** 6, None]) if ids else st.none())
    if col.kind in ("inet", "cidr"):
        options.append(st.from_regex(r"\A(10|176|255|0)\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(/[0-9]{1,2})?\Z"))
    if col.kind == "macaddr":
        options.append(st.from_regex(r"\A[0-9a-fA-F:.-]{0,18}\Z"))
    return draw(st.one_of(*options))


@st.composite
def db_mutation(draw, tables):
    tables = copy.deepcopy(tables)
    for _ in range(draw(st.integers(1, 3))):
        filled = sorted(t for t in tables if tables[t])
        op = draw(st.sampled_from(["set", "set", "set", "tweak", "plausible", "plausible", "delete", "duplicate",
                                   "add-node", "add-node"]))
        table = draw(st.sampled_from(filled))
        rows = tables[table]
        i = draw(st.integers(0, len(rows) - 1))
        if op == "set":
            column = draw(st.sampled_from(list(TABLE_BY_NAME[table].column_names) + ["colour"]))
            if column == "colour":
                rows[i][column] = draw(values)
            else:
                rows[i][column] = _value_for(draw, table, column, tables)
        elif op == "tweak":
            texts = [c.name for c in TABLE_BY_NAME[table].columns if c.kind != "int" and rows[i].get(c.name)]
            if texts:
                column = draw(st.sampled_from(texts))
                rows[i][column] = _tweak(draw, rows[i][column])
        elif op == "plausible":
            texts = [c.name for c in TABLE_BY_NAME[table].columns
                     if c.kind in ("text", "int") and not c.ref and c.name != "id" and rows[i].get(c.name) is not None]
            if texts:
                column = draw(st.sampled_from(texts))
                rows[i][column] = _plausible(draw, rows[i][column])
        elif op == "delete":
            del rows[i]
        elif op == "duplicate":
            row = copy.deepcopy(rows[i])
            if "id" in row and draw(st.booleans()):
                row["id"] = max(r["id"] for r in rows if isinstance(r.get("id"), int)) + 1
            rows.append(row)
        elif op == "add-node":
            _add_node(draw, tables)
    return tables


def _add_node(draw, tables):
    """A compute node like the others, with a random (often odd) name and an admin address."""
    nodes = tables.get("node") or []
    ports = tables.get("node_port") or []
    admin = next((n for n in tables.get("network", []) if n.get("function") == "mn"), None)
    if not nodes or admin is None:
        return
    new_id = max((r["id"] for r in nodes if isinstance(r.get("id"), int)), default=0) + 1
    name = draw(st.one_of(st.from_regex(r"\A[a-z][a-z0-9-]{0,12}[0-9]\Z"), odd_text))
    tables["node"].append({"id": new_id, "name": name, "model": "R422", "status": "managed", "hwmanager_id": None})
    compute = next((f["id"] for f in tables.get("ftype", []) if f.get("label") == "compute"), None)
    if compute is not None:
        tables.setdefault("node_ftype", []).append({"node_id": new_id, "ftype_id": compute})
    octets = draw(st.tuples(st.integers(0, 255), st.integers(1, 254)))
    prefix = ".".join(str(admin.get("subnet", "10.1.0.0/16")).split("/")[0].split(".")[:2])
    port_id = max((r["id"] for r in ports if isinstance(r.get("id"), int)), default=0) + 1
    tables.setdefault("node_port", []).append({"id": port_id, "node_id": new_id, "network_id": admin["id"],
                                               "interface_name": draw(st.sampled_from(["eth0", "ib0", "eth 0"])),
                                               "ipaddr": f"{prefix}.{octets[0]}.{octets[1]}", "hwaddr": None})


@settings(max_examples=DB_EXAMPLES, **COMMON)
@given(data=st.data())
def test_any_clusterdb_rows_build_or_are_refused(bench, data):
    key = data.draw(st.sampled_from(sorted(bench.bases)), label="example")
    folder, _ = bench.bases[key]
    tables = data.draw(db_mutation(bench.tables[folder.name]), label="rows")
    snapshot = folder / "mutated-clusterdb.json"
    snapshot.write_text(json.dumps({"format": "hagen-clusterdb-snapshot/1", "tables": tables}, ensure_ascii=False),
                        encoding="utf-8")
    bench.build(folder / key.split("/")[1], bench.root / "db-tree" / "out", snapshot=snapshot)


# --------------------------------------------------------------------------- the same, through PostgreSQL

PG_EXAMPLE = "xena"          # every table holds rows: every string column can be reached


@pytest.fixture(scope="module")
def pg_example(bench):
    """One database holding the example's rows, for the whole module: each example changes one
    value, builds, and puts the value back (one UPDATE each way)."""
    with temp_database() as dsn:
        res = cli("db", "load", "--db", dsn, EXAMPLES / PG_EXAMPLE / "clusterdb.yaml")
        assert res.code == 0, res.output
        yield dsn


@contextmanager
def one_value(dsn, table, column, value):
    """table.column of the table's first row (in natural order) set to value for the block; None
    if PostgreSQL refuses the value itself (a NUL byte, text in an inet column): nothing to build."""
    import psycopg

    key = next(c.name for c in TABLE_BY_NAME[table].columns if c.name in ("id", "fs_name", "mdt_name", "ost_name",
                                                                       "node_id"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            conn.execute("SET session_replication_role = replica")  # no foreign keys: fs_name may change too
        except psycopg.Error:
            pass                    # not a superuser (HAGEN_TEST_PG): a referenced name stays as it is
        old_key, old = conn.execute(f"SELECT {key}, {column}::text FROM {table} ORDER BY {key} LIMIT 1").fetchone()
        try:
            conn.execute(f"UPDATE {table} SET {column} = %s WHERE {key} = %s", (value, old_key))
        except (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError):
            yield None
            return
        try:
            yield (table, column)
        finally:
            now = value if column == key else old_key
            conn.execute(f"UPDATE {table} SET {column} = %s WHERE {key} = %s", (old, now))


STRING_COLUMNS = sorted(COLUMNS)


@requires_pg
@settings(max_examples=PG_EXAMPLES, **COMMON)
@given(data=st.data())
def test_any_string_column_through_postgresql_builds_or_is_refused(bench, pg_example, data):
    table, column = data.draw(st.sampled_from(STRING_COLUMNS), label="column")
    value = data.draw(odd_text, label="value")
    with one_value(pg_example, table, column, value) as changed:
        if changed is not None:
            bench.build(EXAMPLES / PG_EXAMPLE / "site.yaml", bench.root / "pg-tree" / "out", db=pg_example)


@requires_pg
def test_every_string_column_through_postgresql_is_held_to_its_grammar(pg_example):
    """A line break in any text column of the database is refused at load with the column's code,
    as from a snapshot (tests/test_grammar.py): one read per column, no build."""
    from hagen.load.rows import CHOICES
    from hagen.load.source import Source, read_source

    missed = []
    for table, column in STRING_COLUMNS:
        if TABLE_BY_NAME[table].column(column).kind != "text":
            continue                # inet and cidr: PostgreSQL itself refuses anything but an address
        _, code = COLUMNS[(table, column)]
        with one_value(pg_example, table, column, "x\n6.6.6.6 evil") as changed:
            if changed is None:     # a CHECK constraint, or a name other rows refer to (without superuser)
                assert (table, column) in CHOICES or column == "fs_name", \
                    f"PostgreSQL refused a line break in {table}.{column}"
                continue
            try:
                read_source(Source("db", pg_example, "the test database"))
                missed.append(f"{table}.{column}: accepted")
            except InputRefused as exc:
                codes = {r.code for r in exc.reports if r.where.table == table}
                if code not in codes:
                    missed.append(f"{table}.{column}: {[str(r) for r in exc.reports]}")
    assert not missed, "\n".join(missed)


def test_the_site_mutations_reach_both_outcomes(bench):
    """The strategies are worth their time only if they reach inputs that pass as well as
    refusals. A probe of its own (not the tally of the tests above, which depends on what ran
    before): derandomized mutations, checked (`hagen check`: the property itself is the tests'
    above) until both outcomes were seen, the rest skipped."""
    seen: dict = {}

    @settings(max_examples=40, **COMMON)
    @given(data=st.data())
    def probe(data):
        key = data.draw(st.sampled_from(sorted(bench.bases)), label="example")
        folder, doc = bench.bases[key]
        mutated = data.draw(site_mutation(doc), label="site spec")      # drawn always: hypothesis replays draws
        if seen.get(0) and seen.get(2):
            return
        try:
            text = yaml.safe_dump(mutated, sort_keys=False, allow_unicode=True, width=4096)
        except yaml.YAMLError:
            return
        site = folder / "probe-site.yaml"
        site.write_text(text, encoding="utf-8")
        code = cli("check", "--site", site).code
        seen[code] = seen.get(code, 0) + 1

    probe()
    assert seen.get(0) and seen.get(2), f"exit statuses of the probe's checks: {seen}"


# --------------------------------------------------------------------------- plans, records, gathered trees
# The deploy side's documents are read back untrusted: whatever they hold, reading them never
# raises, and push never removes what the build's own record does not vouch for.

_HOSTS = st.sampled_from(["ns0", "ns13", "ns5", "ghost1", "-oProxyCommand=x", "ns[0-", ""])
_PATHS = st.sampled_from(["/etc/hosts", "/etc/passwd", "/etc/fstab", "/etc/../etc/shadow", "etc/x", "/etc/HA/old"])
_STATES = st.one_of(
    st.fixed_dictionaries({"sha256": st.sampled_from(["a" * 64, "b" * 64, "zz"]),
                           "mode": st.sampled_from(["0644", "4755", "644", "0999"])}),
    st.just({"missing": True}), st.just({"unusable": "a symbolic link"}),
    st.fixed_dictionaries({"type": st.just("symlink"), "target": st.sampled_from(["/x", "", "a\nb"])}),
    st.integers(), st.text(max_size=5))
_WRITTEN = st.one_of(_STATES, st.builds(lambda s: {**s, "shared": True} if isinstance(s, dict) else s, _STATES))


@settings(max_examples=120 if THOROUGH else 40, **COMMON)
@given(nodes=st.dictionaries(_HOSTS, st.fixed_dictionaries(
           {"gathered": st.booleans(), "files": st.dictionaries(_PATHS, _STATES, max_size=4)},
           optional={"written": st.dictionaries(_PATHS, _WRITTEN, max_size=4)}), max_size=3),
       removes=st.lists(st.tuples(_HOSTS, _PATHS), max_size=4))
def test_any_record_and_plan_removal_is_read_safely_and_removes_only_what_push_wrote(tmp_path_factory, nodes,
                                                                                      removes):
    from hagen.deploy import removals
    from hagen.emit import ManifestEntry, OutputTree
    from hagen.emit.nodes import read_nodes

    tree = OutputTree(tmp_path_factory.mktemp("record") / "out")
    tree.store.mkdir()
    (tree.store / "nodes.json").write_text(json.dumps({"format": "hagen-nodes/1", "nodes": nodes}))
    record = read_nodes(tree)                           # never raises: valid, or {}
    entries = {("ns0", "/etc/hosts"): ManifestEntry("/etc/hosts", "ns0", "t", "a" * 64, "0644"),
               ("ns13", "/etc/hosts"): ManifestEntry("/etc/hosts", "ns13", "t", "a" * 64, "0644")}
    got = removals.resolve(removes, entries, record, tree)
    for host, path in got.delete + [(h, p) for h, p, _, _ in got.unblock]:
        assert host in ("ns0", "ns13") and (host, path) not in entries
        wrote = record[host].written[path]
        if (host, path) in got.delete:
            assert not wrote.shared and record[host].files[path] == wrote
    assert len(got.delete) + len(got.unblock) + len(got.forget) + len(got.problems) == len(removes)


@settings(max_examples=120 if THOROUGH else 40, **COMMON)
@given(doc=st.fixed_dictionaries({"format": st.sampled_from(["hagen-push-plan/1", "x"]),
                                  "send": st.lists(st.fixed_dictionaries({"host": _HOSTS, "path": _PATHS}),
                                                   max_size=3),
                                  "remove": st.lists(st.one_of(st.fixed_dictionaries({"host": _HOSTS, "path": _PATHS}),
                                                               st.integers(), st.text(max_size=3)), max_size=3)}),
       mark=st.one_of(st.dictionaries(_HOSTS, st.dictionaries(_PATHS, st.sampled_from(["0644", "x", 7])), max_size=3),
                      st.text(max_size=5), st.integers()))
def test_any_plan_and_gathered_mark_is_validated_never_trusted(tmp_path_factory, doc, mark):
    from hagen.deploy.folder import read_mark
    from hagen.emit.manifest import plain_host, plain_path
    from hagen.deploy.pushplan import validate

    problems = validate(doc, "plan")                    # never raises
    if not problems:
        assert all(plain_host(e["host"]) and plain_path(e["path"]) for e in doc["send"] + doc["remove"])
    into = tmp_path_factory.mktemp("gathered")
    (into / ".hagen").mkdir()
    (into / ".hagen/gathered.json").write_text(json.dumps({"format": "hagen-gathered/1", "hosts": mark}))
    modes = read_mark(into)
    if modes is not None:
        assert all(plain_host(h) and all(plain_path(p) and len(m) == 4 for p, m in v.items())
                   for h, v in modes.items())
