"""hagen.load.snapshot: ClusterDB snapshots (YAML and JSON), canonical bytes, format errors, `hagen db sql`.

None of these need PostgreSQL (test_clusterdb.py covers the database side)."""

from __future__ import annotations

import json

import pytest
import yaml

from cli_runner import cli
from clusterdb_helpers import SITE, SNAPSHOT, SQL, assert_same_tree, scrambled
from hagen.base.errors import InputRefused
from hagen.load.snapshot import FORMAT, dump_snapshot, dump_sql, parse_snapshot, read_snapshot

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"


def write_snapshot(path, raw_tables: dict):
    path.write_text(yaml.safe_dump({"format": FORMAT, "tables": raw_tables}, sort_keys=False), encoding="utf-8")
    return path


def raw_example() -> dict:
    return yaml.safe_load(SNAPSHOT.read_text(encoding="utf-8"))["tables"]


def codes_of(exc: InputRefused) -> list[str]:
    return [r.code for r in exc.reports]


@pytest.fixture(scope="module")
def snapshot_build(tmp_path_factory):
    """The example built from its snapshot, once for the module."""
    out = tmp_path_factory.mktemp("from-snapshot") / "out"
    res = cli("build", "--site", SITE, "--snapshot", SNAPSHOT, "--out", out)
    assert res.code == 0, res.output
    return out


# --- canonical bytes -----------------------------------------------------------------

def test_example_snapshot_is_canonical():
    """Reading the example's snapshot and writing it again gives its exact bytes."""
    assert dump_snapshot(read_snapshot(SNAPSHOT)) == SNAPSHOT.read_text(encoding="utf-8")


@pytest.mark.parametrize("order,seed", [("reversed", 1), ("shuffled", 7), ("shuffled", 2024)])
def test_row_order_and_ids_do_not_matter(order, seed):
    """The same rows in another order, with other ids, give the same snapshot, byte for byte."""
    rows = read_snapshot(SNAPSHOT)
    other = scrambled(rows, seed, order)
    assert [r["name"] for r in other["node"]] != [r["name"] for r in rows["node"]]
    again = parse_snapshot(yaml.safe_dump({"format": FORMAT, "tables": other}), "scrambled.yaml")
    assert again == rows
    assert dump_snapshot(again) == SNAPSHOT.read_text(encoding="utf-8")


def test_scrambled_snapshot_builds_the_same_tree(snapshot_build, tmp_path):
    snap = write_snapshot(tmp_path / "scrambled.yaml", scrambled(read_snapshot(SNAPSHOT), 99))
    res = cli("build", "--site", SITE, "--snapshot", snap, "--out", tmp_path / "out")
    assert res.code == 0, res.output
    assert_same_tree(tmp_path / "out", snapshot_build)


# --- JSON ----------------------------------------------------------------------------

def test_json_round_trip(tmp_path):
    rows = read_snapshot(SNAPSHOT)
    text = dump_snapshot(rows, as_json=True)
    assert json.loads(text)["format"] == FORMAT
    assert text.endswith("\n") and dump_snapshot(rows, as_json=True) == text
    as_json = tmp_path / "clusterdb.json"
    as_json.write_text(text, encoding="utf-8")
    assert read_snapshot(as_json) == rows
    # a JSON snapshot under another name is still recognised
    other_name = tmp_path / "clusterdb.snapshot"
    other_name.write_text(text, encoding="utf-8")
    assert read_snapshot(other_name) == rows
    assert dump_snapshot(read_snapshot(as_json)) == SNAPSHOT.read_text(encoding="utf-8")


def test_json_snapshot_builds_the_same_tree(snapshot_build, tmp_path):
    snap = tmp_path / "clusterdb.json"
    snap.write_text(dump_snapshot(read_snapshot(SNAPSHOT), as_json=True), encoding="utf-8")
    res = cli("build", "--site", SITE, "--snapshot", snap, "--out", tmp_path / "out")
    assert res.code == 0, res.output
    assert_same_tree(tmp_path / "out", snapshot_build)


# --- hagen db sql --------------------------------------------------------------------

def test_db_sql_equals_the_examples_sql():
    """`hagen db sql` of the example's snapshot is its clusterdb.sql, byte for byte."""
    res = cli("db", "sql", SNAPSHOT)
    assert res.code == 0, res.output
    assert res.stdout == SQL.read_text(encoding="utf-8")
    assert res.stderr == ""
    assert dump_sql(read_snapshot(SNAPSHOT)) == res.stdout


def test_db_sql_of_json_and_to_a_file(tmp_path):
    snap = tmp_path / "x.json"
    snap.write_text(dump_snapshot(read_snapshot(SNAPSHOT), as_json=True), encoding="utf-8")
    res = cli("db", "sql", snap, "-o", tmp_path / "x.sql")
    assert res.code == 0, res.output
    assert res.stdout == ""
    assert (tmp_path / "x.sql").read_text(encoding="utf-8") == SQL.read_text(encoding="utf-8")


def test_db_sql_quotes_text():
    """No column's grammar lets a quote in (hagen.load.grammar), but dump_sql quotes whatever it is given."""
    rows = read_snapshot(SNAPSHOT)
    rows["cluster"][0]["dns_domain"] = "o'brien"
    assert "'o''brien'" in dump_sql(rows)


# --- format errors: exit 2, HA200, no traceback ------------------------------------

BAD_SNAPSHOTS = {
    "not-yaml": "format: hagen-clusterdb-snapshot/1\ntables: {cluster: [\n",
    "tab-indented": "format: hagen-clusterdb-snapshot/1\ntables:\n\tcluster: []\n",
    "empty": "",
    "a-list": "- cluster\n- node\n",
    "a-scalar": "just some text\n",
    "other-format": "format: something-else/2\ntables: {}\n",
    "no-format": "tables: {cluster: []}\n",
    "no-tables": f"format: {FORMAT}\n",
    "tables-a-list": f"format: {FORMAT}\ntables: [cluster, node]\n",
    "table-not-a-list": f"format: {FORMAT}\ntables:\n  cluster: {{id: 1, name: ns}}\n",
    "table-a-string": f"format: {FORMAT}\ntables:\n  node: ns0\n",
    "bad-json": '{"format": "hagen-clusterdb-snapshot/1", "tables": {',
}


@pytest.mark.parametrize("name", sorted(BAD_SNAPSHOTS))
def test_format_errors_are_refused_in_process(tmp_path, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(BAD_SNAPSHOTS[name], encoding="utf-8")
    with pytest.raises(InputRefused) as info:
        read_snapshot(path)
    assert codes_of(info.value) == ["HA200"]
    assert info.value.exit_code == 2
    assert str(path) in str(info.value.reports[0])


@pytest.mark.parametrize("name", ["not-yaml", "a-list", "other-format", "table-not-a-list"])
def test_format_errors_exit_2_with_ha200(tmp_path, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(BAD_SNAPSHOTS[name], encoding="utf-8")
    res = cli("db", "sql", path)
    assert res.code == 2, res.output
    assert "HA200" in res.stderr and str(path) in res.stderr, res.output
    assert res.stdout == ""


@pytest.mark.parametrize("name", ["not-yaml", "table-not-a-list"])
def test_format_errors_stop_a_build(tmp_path, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(BAD_SNAPSHOTS[name], encoding="utf-8")
    res = cli("build", "--site", SITE, "--snapshot", path, "--out", tmp_path / "out")
    assert res.code == 2, res.output
    assert "HA200" in res.stderr and str(path) in res.stderr, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_load_reads_the_snapshot_before_connecting(tmp_path):
    """A bad snapshot is refused (2) before hagen db load tries the (here unreachable) server (3)."""
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_SNAPSHOTS["table-not-a-list"], encoding="utf-8")
    res = cli("db", "load", "--db", UNREACHABLE, path)
    assert res.code == 2, res.output
    assert "HA200" in res.stderr and "Traceback" not in res.output


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"format: \xff\xfe\x00\x01\n")
    res = cli("db", "sql", path)
    assert res.code == 2, res.output
    assert "HA200" in res.stderr and "Traceback" not in res.output


def test_missing_snapshot_is_ha102(tmp_path):
    res = cli("db", "sql", tmp_path / "nowhere.yaml")
    assert res.code == 2, res.output
    assert "HA102" in res.stderr and "Traceback" not in res.output


# --- row errors: exit 2, every problem reported ------------------------------------

def _refused(raw: dict) -> list[str]:
    with pytest.raises(InputRefused) as info:
        parse_snapshot(yaml.safe_dump({"format": FORMAT, "tables": raw}), "x.yaml")
    return codes_of(info.value)


def test_row_problems_are_all_reported():
    raw = raw_example()
    raw["node"][0]["colour"] = "blue"                 # unknown column
    raw["node"][1]["hwmanager_id"] = "two"            # wrong type
    raw["node"][2]["name"] = raw["node"][3]["name"]   # duplicate name
    raw["node_port"][0]["node_id"] = 999              # dangling reference
    del raw["network"][0]["subnet"]                   # NOT NULL column missing
    codes = _refused(raw)
    assert codes.count("HA201") == 3, codes
    assert "HA202" in codes and "HA204" in codes


def test_unknown_table_and_row_not_a_mapping():
    raw = raw_example()
    raw["nodes"] = []
    raw["ftype"].append("login")
    assert _refused(raw) == ["HA201", "HA201"]


def test_exactly_one_cluster():
    raw = raw_example()
    raw["cluster"].append(dict(raw["cluster"][0], id=2, name="other"))
    assert "HA203" in _refused(raw)
    assert "HA203" in _refused({**raw_example(), "cluster": []})


def test_row_errors_exit_2_from_the_command_line(tmp_path):
    raw = raw_example()
    raw["node_port"][0]["node_id"] = 999
    path = write_snapshot(tmp_path / "dangling.yaml", raw)
    res = cli("db", "sql", path)
    assert res.code == 2, res.output
    assert "HA204" in res.stderr and "node_port" in res.stderr and "Traceback" not in res.output


# --- values ----------------------------------------------------------------------------

LUSTRE_FS = """\
  lustre_fs:
  - {fs_name: scratch, failover: yes, quota: no, stripe_size: 1048576, stripe_count: 1}
"""


def test_yes_no_columns_stay_words():
    """failover and quota are text 'yes'/'no'; YAML 1.1 reads unquoted yes/no as booleans."""
    text = SNAPSHOT.read_text(encoding="utf-8").replace("  lustre_fs: []\n", LUSTRE_FS)
    rows = parse_snapshot(text, "x.yaml")
    fs = rows["lustre_fs"][0]
    assert (fs["failover"], fs["quota"], fs["stripe_size"]) == ("yes", "no", 1048576)
    dumped = dump_snapshot(rows)
    assert "failover: 'yes'" in dumped and "quota: 'no'" in dumped
    assert parse_snapshot(dumped, "again.yaml") == rows
    assert dump_snapshot(parse_snapshot(dump_snapshot(rows, as_json=True), "x.json")) == dumped


def test_other_columns_refuse_booleans():
    raw = raw_example()
    raw["node"][0]["model"] = True
    assert _refused(raw) == ["HA201"]


@pytest.mark.parametrize("mac", ["08:00:2B:01:02:03", "08-00-2b-01-02-03", "08002b:010203", "0800.2b01.0203",
                                 "08002B010203"])
def test_macaddr_takes_postgresqls_form(mac):
    """hwaddr reads as PostgreSQL prints a macaddr, so a snapshot and its database agree."""
    raw = raw_example()
    raw["node_port"][0]["hwaddr"] = mac
    rows = parse_snapshot(yaml.safe_dump({"format": FORMAT, "tables": raw}), "x.yaml")
    assert rows["node_port"][0]["hwaddr"] == "08:00:2b:01:02:03"


def test_bad_macaddr_is_refused():
    raw = raw_example()
    raw["node_port"][0]["hwaddr"] = "08:00:2b:01:02"
    assert _refused(raw) == ["HA201"]


def test_numbers_in_text_columns():
    """An unquoted dbversion (21.3) is the text '21.3'."""
    text = SNAPSHOT.read_text(encoding="utf-8").replace("dbversion: '21.3'", "dbversion: 21.3")
    assert parse_snapshot(text, "x.yaml")["cluster"][0]["dbversion"] == "21.3"


def test_check_constraints_of_the_schema_hold_for_snapshots_too():
    from hagen.load.snapshot import rows_from_raw

    doc = yaml.safe_load(SNAPSHOT.read_text())
    doc["tables"]["hwmanager"][0]["type"] = "ilo"
    doc["tables"]["network"][0]["function"] = "admin"
    with pytest.raises(InputRefused) as info:
        rows_from_raw(doc["tables"], "clusterdb.yaml")
    text = "\n".join(str(r) for r in info.value.reports)
    assert "hwmanager[name=ns0-bmc]: error HA201: column type is 'ilo'" in text
    assert "network[name=admin]: error HA201: column function is 'admin'" in text
