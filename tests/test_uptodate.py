"""hagen.compile.uptodate: the one "up to date?" decision of build and diff, from a snapshot and from
PostgreSQL (rows summed up by the server in one query). Never a false "up to date"."""

from __future__ import annotations

import shutil

import pytest

from cli_runner import cli
from clusterdb_helpers import REPO
from hagen.emit import OutputTree
from hagen.load import clusterdb
from hagen.load.rows import TABLES
from hagen.load.site import load_site
from hagen.load.source import choose_source
from hagen.compile.pipeline import build
from hagen.compile.uptodate import verdict
from pg import execute, requires_pg, temp_database

XENA = REPO / "examples" / "xena"

# one value of one row in each table, through SQL (the administrator's edit)
EDITS = {
    "cluster": "UPDATE cluster SET dns_domain = 'cluster2'",
    "network": "UPDATE network SET gateway = '10.1.255.254' WHERE name = 'admin'",
    "hwmanager": "UPDATE hwmanager SET model = 'BMC2' WHERE name = 'xena0-bmc'",
    "hwmanager_port": "UPDATE hwmanager_port SET hwaddr = '08:00:2b:01:02:03' WHERE ipaddr = '10.2.0.1'",
    "node": "UPDATE node SET model = 'R441' WHERE name = 'xena0'",
    "node_ftype": "UPDATE node_ftype SET ftype_id = (SELECT id FROM ftype WHERE label = 'compute') "
                  "WHERE node_id = (SELECT id FROM node WHERE name = 'xena30')",
    "ftype": "UPDATE ftype SET label = 'computes' WHERE label = 'compute'",     # after node_ftype's, which names it
    "node_port": "UPDATE node_port SET hwaddr = '08:00:2b:01:02:04' "
                 "WHERE ipaddr = '10.1.0.1' AND node_id = (SELECT id FROM node WHERE name = 'xena0')",
    "disk_array": "UPDATE disk_array SET model = 'FDA2501' WHERE name = 'xena-da2'",
    "da_iocell": "UPDATE da_iocell SET quorum_device = '/dev/ldn.da1.9' WHERE name = 'xena_mds'",
    "da_iocell_component": "UPDATE da_iocell_component SET iocell_id = (SELECT id FROM da_iocell WHERE name = 'xena_mds') "
                           "WHERE disk_array_id = (SELECT id FROM disk_array WHERE name = 'xena-da3')",
    "metaservice_port": "UPDATE metaservice_port SET name = 'xenanfs-bk' WHERE name = 'xenanfs_BK'",
    "lustre_io_node": "UPDATE lustre_io_node SET net_status = 'KO' WHERE node_id = (SELECT id FROM node WHERE name = 'xena1')",
    "lustre_fs": "UPDATE lustre_fs SET description = 'changed' WHERE fs_name = 'data'",
    "lustre_mdt": "UPDATE lustre_mdt SET mdt_size = 286261249 WHERE mdt_name = 'data_mdt'",
    "lustre_ost": "UPDATE lustre_ost SET ost_size = 1717567489 WHERE ost_name = 'data_ost0'",
    "lustre_mount": "UPDATE lustre_mount SET mount_options = 'ro' WHERE fs_name = 'data' AND mnt_node_name = 'xena20'",
}


def test_every_table_has_an_edit():
    assert set(EDITS) == {t.name for t in TABLES}


@pytest.fixture()
def xena_db(tmp_path):
    """xena's rows in a fresh database, and a copy of its site spec (with its secret) in tmp_path."""
    with temp_database() as dsn:
        assert cli("db", "load", "--db", dsn, XENA / "clusterdb.yaml").code == 0
        for name in ("site.yaml", "fence-password"):
            shutil.copy2(XENA / name, tmp_path / name)
        yield dsn, tmp_path / "site.yaml"


def is_noop(site, out, dsn) -> bool:
    """Whether build found the tree up to date (compiled nothing); an emit that writes nothing
    because the compiled files are the same is not a no-op of this kind."""
    compiled, result = build(site, out, db=dsn)
    return compiled is None and result.noop


@requires_pg
def test_one_value_changed_in_any_table_is_noticed(xena_db, tmp_path):
    dsn, site = xena_db
    out = tmp_path / "out"
    assert not is_noop(site, out, dsn)
    assert is_noop(site, out, dsn), "a second build from the same rows must be a no-op"
    for table, sql in EDITS.items():
        before = clusterdb.rows_fingerprint(dsn)
        execute(dsn, sql)
        assert clusterdb.rows_fingerprint(dsn) != before, f"an edit of {table} left the digest alone"
        assert not is_noop(site, out, dsn), f"the build missed an edit of {table}"
    assert is_noop(site, out, dsn), "rebuilt from the edited rows, the tree is up to date again"


@requires_pg
def test_rewriting_rows_without_changing_them_stays_up_to_date(xena_db, tmp_path):
    """Same values in another physical order (an UPDATE moves rows; ids unchanged): still up to date."""
    dsn, site = xena_db
    out = tmp_path / "out"
    build(site, out, db=dsn)
    before = clusterdb.rows_fingerprint(dsn)
    execute(dsn, *(f"UPDATE {t.name} SET {t.columns[-1].name} = {t.columns[-1].name}" for t in TABLES))
    assert clusterdb.rows_fingerprint(dsn) == before
    assert is_noop(site, out, dsn)


@requires_pg
def test_diff_and_build_share_the_decision(xena_db, tmp_path, monkeypatch):
    dsn, site = xena_db
    out = tmp_path / "out"
    build(site, out, db=dsn)
    spec = load_site(site)
    assert verdict(OutputTree(out), spec, choose_source(dsn, None, spec)).up_to_date
    import hagen.compile.pipeline

    def no_compile(*args, **kwargs):
        raise AssertionError("an up-to-date tree was compiled again")
    monkeypatch.setattr(hagen.compile.pipeline, "compile_site", no_compile)
    res = cli("diff", "--site", site, "--against", out, "--db", dsn)
    assert res.code == 0, res.output
    execute(dsn, EDITS["node"])
    assert not verdict(OutputTree(out), spec, choose_source(dsn, None, spec)).up_to_date
    monkeypatch.undo()
    res = cli("diff", "--site", site, "--against", out, "--db", dsn)
    assert res.code == 0, res.output      # node.model changes no file: compiled, and no difference


def test_snapshot_change_is_noticed(tmp_path):
    for name in ("site.yaml", "fence-password", "clusterdb.yaml"):
        shutil.copy2(XENA / name, tmp_path / name)
    site = tmp_path / "site.yaml"
    out = tmp_path / "out"
    spec = load_site(site)
    source = choose_source(None, None, spec)
    assert not verdict(OutputTree(out), spec, source).up_to_date
    build(site, out)
    assert verdict(OutputTree(out), spec, source).up_to_date
    snap = tmp_path / "clusterdb.yaml"
    text = snap.read_text()
    assert "name: xena0, model: R440" in text
    snap.write_text(text.replace("name: xena0, model: R440", "name: xena0, model: R441"))
    assert not verdict(OutputTree(out), spec, source).up_to_date


def test_a_lazy_verdict_of_a_tree_with_no_record_reads_no_input(tmp_path, monkeypatch):
    import hagen.compile.uptodate

    monkeypatch.setattr(hagen.compile.uptodate, "input_fingerprint", lambda *a: pytest.fail("inputs were summed up"))
    spec = load_site(XENA / "site.yaml")
    found = verdict(OutputTree(tmp_path / "none"), spec, choose_source(None, None, spec), lazy=True)
    assert not found.up_to_date and found.fingerprint is None
