"""docs/clusterdb.md's worked example and recipes, run as written: the small cluster's rows
in SQL and as a snapshot hold the same rows, load into PostgreSQL and export back, and
the site `hagen init` drafts from them builds (and passes the oracle); each recipe's SQL
applies and builds."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cli_runner import cli
from conftest import CHECK_TREE, EXAMPLES
from pg import requires_pg, temp_database

DOC = Path(__file__).resolve().parent.parent / "docs" / "clusterdb.md"


def section(heading: str) -> str:
    text = DOC.read_text()
    start = text.index(heading)
    following = re.search(r"^#{2,3} ", text[start + len(heading):], re.M)
    return text[start:start + len(heading) + following.start()] if following else text[start:]


def blocks(heading: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", section(heading), re.M | re.S)


WORKED = "## A worked example: a small cluster from nothing"


def worked_site(tmp: Path, snapshot_text: str) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "clusterdb.yaml").write_text(snapshot_text)
    res = cli("init", "--snapshot", tmp / "clusterdb.yaml", "-o", tmp / "site.yaml")
    assert res.code == 0, res.output
    (tmp / "fence-password").write_text("a dummy secret\n")
    (tmp / "fence-password").chmod(0o600)
    return tmp / "site.yaml"


def test_the_worked_example_is_complete_in_both_forms_and_builds(tmp_path):
    snapshot, = blocks(WORKED, "yaml")
    sql, = blocks(WORKED, "sql")
    (tmp_path / "clusterdb.yaml").write_text(snapshot)
    res = cli("db", "sql", tmp_path / "clusterdb.yaml")
    assert res.code == 0 and res.stdout == sql, "the SQL block is not `hagen db sql` of the snapshot block"
    site = worked_site(tmp_path / "site", snapshot)
    res = cli("check", "--site", site)
    assert res.code == 0 and set(re.findall(r"(?:error|warning) (HA\d+)", res.stderr)) == {"HA712"}, res.output
    res = cli("build", "--site", site, "--out", tmp_path / "out")
    assert res.code == 0, res.output
    out = tmp_path / "out"
    assert (out / "tiny0" / "etc/cluster/cluster.conf").exists() and (out / "tiny11" / "etc/cluster/cluster.conf").exists()
    assert "tiny30" in (out / "tiny20" / "etc/hosts").read_text()
    if CHECK_TREE.exists():
        proc = subprocess.run([str(CHECK_TREE), str(out)], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def _psql(dsn: str, sql: str):
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed (postgresql-client)")
    proc = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-d", dsn], input=sql, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@requires_pg
def test_the_worked_example_loads_exports_and_takes_the_recipes(tmp_path):
    snapshot, = blocks(WORKED, "yaml")
    sql, = blocks(WORKED, "sql")
    with temp_database() as dsn:
        assert cli("db", "init", "--db", dsn).code == 0
        _psql(dsn, sql)
        assert cli("db", "export", "--db", dsn, "-o", tmp_path / "export.yaml").code == 0
        exported = {t: rows for t, rows in yaml.safe_load((tmp_path / "export.yaml").read_text())["tables"].items()
                    if rows}                                # the export lists the empty Lustre tables too
        assert exported == yaml.safe_load(snapshot)["tables"]
        for heading in ("### Add a compute node", "### Add an HA cell"):
            recipe, = blocks(heading, "sql")
            _psql(dsn, recipe)
        assert cli("db", "export", "--db", dsn, "-o", tmp_path / "after.yaml").code == 0
    site = worked_site(tmp_path / "site", (tmp_path / "after.yaml").read_text())
    res = cli("build", "--site", site, "--out", tmp_path / "out")
    assert res.code == 0, res.output
    out = tmp_path / "out"
    assert re.search(r"^10\.1\.0\.22\s+tiny22\b", (out / "tiny0" / "etc/hosts").read_text(), re.M)
    conf = (out / "tiny12" / "etc/cluster/cluster.conf").read_text()
    assert "tiny13" in conf and "/dev/sdr" in conf


def test_the_recipes_snapshot_rows_are_the_same_rows_as_their_sql():
    """Each recipe's YAML rows are well-formed snapshot rows of known tables and columns."""
    from hagen.load.rows import TABLES

    for heading in ("### Add a compute node", "### Add an HA cell", "### Add a Lustre target"):
        rows, = blocks(heading, "yaml")
        tables = yaml.safe_load(rows)
        assert tables and set(tables) <= {t.name for t in TABLES}
        sql, = blocks(heading, "sql")
        for table in tables:
            assert f"INSERT INTO {table} " in sql


@requires_pg
def test_the_lustre_target_recipe_on_xena(tmp_path):
    recipe, = blocks("### Add a Lustre target", "sql")
    example = tmp_path / "xena"
    shutil.copytree(EXAMPLES / "xena", example)
    (example / "fence-password").chmod(0o600)
    with temp_database() as dsn:
        assert cli("db", "load", "--db", dsn, example / "clusterdb.yaml").code == 0
        _psql(dsn, recipe)
        res = cli("build", "--site", example / "site.yaml", "--db", dsn, "--out", tmp_path / "out")
    assert res.code == 0, res.output
    assert "ost: name=^data_ost2$" in (tmp_path / "out" / "xena0" / "etc/lustre/models/data.lmf").read_text()
