"""JSON output (hagen-report/1) for explain, push --dry-run, gather and codes (a real site's
first week): one document alone on stdout, with what the text form says."""

from __future__ import annotations

import json

import pytest

from cli_runner import cli
from conftest import EXAMPLES
from deploy_helpers import Nodes, prepare
from hagen.base.codes import CODES, severity

SITE = EXAMPLES / "bas5-guide" / "site.yaml"


def test_codes_as_json_is_the_registry():
    res = cli("codes", "--format", "json")
    doc = json.loads(res.stdout)
    assert res.code == 0 and doc["format"] == "hagen-report/1" and doc["command"] == "codes"
    assert {c["code"]: c["severity"] for c in doc["codes"]} == {c: severity(c) for c in CODES}
    ha1000 = next(c for c in doc["codes"] if c["code"] == "HA1000")
    assert ha1000["spof"] and ha1000["audit"] and ha1000["meaning"] == CODES["HA1000"]


def test_explain_as_json_names_template_keys_rows_and_masks_the_secret(tmp_path):
    res = cli("explain", "ns0", "/etc/cluster/cluster.conf", "--site", SITE, "--out", tmp_path / "out",
              "--format", "json")
    assert res.code == 0, res.output
    e = json.loads(res.stdout)["explain"]
    assert e["template"] == "templates/cluster/mngt.conf.xml.j2" and e["mode"] == "0600" and e["hosts"] == "ns[0,13]"
    assert "management.fencing" in e["site_keys"] and "da_iocell[name=ns_mngt]" in e["clusterdb_rows"]
    secret = (EXAMPLES / "bas5-guide" / "fence-password").read_text().strip()
    assert secret not in res.stdout and e["context"]["fence_devices"][0]["passwd"] == "********"
    res = cli("explain", "ns0", "/etc/no-such-file", "--site", SITE, "--out", tmp_path / "out", "--format", "json")
    assert res.code == 2 and json.loads(res.stdout)["reports"][0]["code"] == "HA108"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("json-pdcp"), EXAMPLES / "bas5-guide")


def test_push_dry_run_as_json(base, tmp_path, monkeypatch):
    nodes = Nodes(base, tmp_path / "w", monkeypatch)
    res = cli("push", "--site", nodes.site, "--out", nodes.out, "--dry-run", "--reload", "--format", "json")
    assert res.code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["dry_run"] is True and doc["steps"] and doc["actions"]
    copy = next(s for s in doc["steps"] if s["what"] == "copy" and "/etc/cluster/cluster.conf" in s["shown"])
    assert copy["hosts"] == "ns[0,13]" and copy["argv"][0].endswith("pdcp")
    assert any("ccs_tool" in " ".join(a["argv"]) or "cman_tool" in a["shown"] for a in doc["actions"])
    assert nodes.calls() == []                                  # nothing ran
    assert doc["source"]["kind"] == "snapshot" and doc["summary"] in res.stderr


@pytest.mark.parametrize("option", [("--json",), ("--format", "json")])
def test_a_real_push_as_json_names_its_clusterdb_source(base, tmp_path, monkeypatch, option):
    """Not only --dry-run: the document says what was sent, each outcome's node set, and the
    ClusterDB source as the human summary line on stderr names it (snapshot path, export time)."""
    nodes = Nodes(base, tmp_path / "w", monkeypatch)
    res = cli("push", "--site", nodes.site, "--out", nodes.out, *option, "--yes")
    doc = json.loads(res.stdout)                                # the document alone on stdout
    assert doc["command"] == "push" and doc["dry_run"] is False and doc["exit_status"] == res.code
    assert doc["source"]["kind"] == "snapshot" and doc["source"]["path"] == "clusterdb.yaml"
    assert doc["source"]["exported"] and doc["source"]["exported"] in doc["summary"]
    assert doc["summary"] in res.stderr and "is up to date with snapshot clusterdb.yaml, exported" in doc["summary"]
    assert doc["done"] == "ns[0-13]" and nodes.calls()          # it ran
    assert any(s["what"] == "copy" for s in doc["steps"])
    # bas5-guide's shared files are not sent to a node hagen has not gathered: exit 3, as the text form
    assert res.code == 3 and set(doc["refused"]) == {"ns0", "ns13"}
    assert {r["code"] for r in doc["reports"]} == {"HA966"}
    again = cli("push", "--site", nodes.site, "--out", nodes.out, *option, "--yes")
    doc = json.loads(again.stdout)
    assert doc["skipped"] == "ns[1-12]" and doc["steps"] == [] and doc["source"]["kind"] == "snapshot"


def test_a_push_json_source_is_a_dsn_without_its_password(tmp_path):
    from hagen.deploy.session import source_document
    from hagen.load.dsn import describe
    from hagen.load.source import Source

    dsn = "postgresql://clusterdb:s3cret@db.example:5433/clusterdb"
    doc = source_document(Source("db", dsn, describe(dsn)), tmp_path / "out")
    assert doc["source"]["kind"] == "db" and "db.example" in doc["source"]["dsn"] and "5433" in doc["summary"]
    assert "s3cret" not in json.dumps(doc)


def test_a_refused_push_as_json_is_a_document_too(base, tmp_path, monkeypatch):
    nodes = Nodes(base, tmp_path / "w", monkeypatch)
    res = cli("push", "--site", nodes.site, "--out", nodes.out, "--json")     # no terminal, no --yes
    doc = json.loads(res.stdout)
    assert res.code == 2 and doc["exit_status"] == 2 and doc["reports"][0]["code"] == "HA142"
    assert nodes.calls() == []


def test_gather_as_json(base, tmp_path, monkeypatch):
    nodes = Nodes(base, tmp_path / "w", monkeypatch)
    nodes.behave(down=["ns5"])
    res = cli("gather", "--site", nodes.site, "--out", nodes.out, "--into", tmp_path / "gathered", "--format", "json")
    assert res.code == 3
    doc = json.loads(res.stdout)
    assert doc["command"] == "gather" and doc["exit_status"] == 3
    assert "ns5" in doc["unreachable"] and doc["reached"] == "ns[0-4,6-13]" and doc["files"] == 0
    assert all(r["code"] in ("HA945", "HA946") for r in doc["reports"])
