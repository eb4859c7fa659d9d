"""The command line's shared behaviour: where --site comes from, and --format json."""

from __future__ import annotations

import json

import pytest

from cli_runner import cli
from conftest import EXAMPLES, tree_state

XENA = EXAMPLES / "xena" / "site.yaml"


# ------------------------------------------------------------- --site: $HAGEN_SITE, then ./site.yaml

def test_site_comes_from_hagen_site(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli("check", env={"HAGEN_SITE": str(XENA)})
    assert r.code == 0, r.stderr
    assert "no errors" in r.stdout and str(XENA) in r.stdout


def test_site_defaults_to_site_yaml_here(example_copy, monkeypatch):
    monkeypatch.chdir(example_copy("xena"))
    monkeypatch.delenv("HAGEN_SITE", raising=False)
    r = cli("check")
    assert r.code == 0, r.stderr
    assert r.stdout.startswith("site.yaml: no errors")


def test_the_command_line_wins_over_hagen_site(tmp_path):
    r = cli("check", "--site", XENA, env={"HAGEN_SITE": str(tmp_path / "nowhere.yaml")})
    assert r.code == 0, r.stderr


def test_no_site_spec_anywhere_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HAGEN_SITE", raising=False)
    r = cli("check")
    assert r.code == 2
    assert "site.yaml: error HA102" in r.stderr and "HAGEN_SITE" in r.stderr


# ------------------------------------------------------------- --format json

def _document(text: str) -> dict:
    doc = json.loads(text)             # the document alone: anything else on stdout fails here
    assert doc["format"] == "hagen-report/1"
    return doc


def test_check_json_success_lists_the_warnings():
    r = cli("check", "--site", XENA, "--format", "json")
    assert r.code == 0 and r.stderr == ""
    doc = _document(r.stdout)
    assert doc["command"] == "check" and doc["exit_status"] == 0 and doc["errors"] == 0
    assert doc["nodes"] == 16 and doc["cells"] == 3
    underscore = [x for x in doc["reports"] if x["code"] == "HA240"]
    assert underscore and underscore[0] == {
        "code": "HA240", "severity": "warning", "table": "metaservice_port", "row": "name=xenanfs_BK",
        "location": "clusterdb metaservice_port[name=xenanfs_BK]", "message": underscore[0]["message"],
        "hint": underscore[0]["hint"]}


def test_check_json_refusal_carries_each_report_with_its_location(example_copy):
    folder = example_copy("bas5-guide")
    site = folder / "site.yaml"
    site.write_text(site.read_text().replace("  stratum: 10\n", "  stratum: ten\n"))
    r = cli("check", "--site", site, "--format", "json")
    assert r.code == 2 and r.stderr == ""
    doc = _document(r.stdout)
    assert doc["exit_status"] == 2 and doc["errors"] >= 1
    bad = [x for x in doc["reports"] if x["code"] == "HA101"]
    assert bad and bad[0]["severity"] == "error" and bad[0]["key"] == "ntp.stratum"
    assert bad[0]["file"] == str(site) and bad[0]["line"] > 1 and bad[0]["column"] >= 1 and bad[0]["hint"]


def test_check_json_usage_error_is_a_document_too():
    r = cli("check", "--site", XENA, "--db", "postgresql://x@h/db", "--snapshot", "x.yaml", "--format", "json")
    assert r.code == 2
    assert [x["code"] for x in _document(r.stdout)["reports"]] == ["HA106"]


def test_check_json_on_io_trouble_exits_3_with_a_document(example_copy):
    folder = example_copy("xena")
    (folder / "clusterdb.yaml").write_text("format: hagen-clusterdb-snapshot/1\ntables: {cluster: [\n")
    r = cli("check", "--site", folder / "site.yaml", "--format", "json")
    doc = _document(r.stdout)
    assert r.code == doc["exit_status"] and r.code in (2, 3)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("json-build") / "out"
    first = cli("build", "--site", XENA, "--out", out, "--format", "json")
    return out, first


def test_build_json_says_what_it_wrote(built):
    out, r = built
    assert r.code == 0 and r.stderr == ""
    doc = _document(r.stdout)
    assert doc["command"] == "build" and doc["up_to_date"] is False and doc["files"] > 0
    assert doc["hosts"] == 16 and doc["out"] == str(out)


def test_build_json_refused_writes_nothing(built, example_copy):
    out, _ = built
    before = tree_state(out)
    folder = example_copy("xena")
    site = folder / "site.yaml"
    site.write_text(site.read_text().replace("db_daemon_port: 8080", "db_daemon_port: eighty"))
    r = cli("build", "--site", site, "--out", out, "--format", "json")
    assert r.code == 2
    doc = _document(r.stdout)
    assert {x["code"] for x in doc["reports"] if x["severity"] == "error"} == {"HA101"}
    assert doc["errors"] == 1 and doc["exit_status"] == 2
    assert tree_state(out) == before


def test_build_json_second_run_is_up_to_date(built):
    out, _ = built
    r = cli("build", "--site", XENA, "--out", out, "--format", "json")
    assert r.code == 0 and _document(r.stdout)["up_to_date"] is True


def test_codes_lists_each_severity():
    r = cli("codes")
    assert r.code == 0
    assert "HA103  warning  " in r.stdout and "HA100  error    " in r.stdout


@pytest.mark.parametrize("code, status, said", [(None, 0, ""), (0, 0, ""), (3, 3, ""), ("no such site", 1, "no such site\n")])
def test_the_process_ends_at_once_with_the_status_python_would_give(code, status, said):
    """main() ends with os._exit (freeing a build's objects one by one costs a quarter of a
    no-op): the status, and sys.exit's message, are what Python's own exit would give."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", f"import sys; print('out', end=''); from hagen.cli import _leave; "
                           f"_leave({code!r})"], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (status, "out", said)


def test_a_profiled_command_ends_the_ordinary_way_so_that_the_profile_is_written(tmp_path):
    import subprocess
    import sys

    prof = tmp_path / "hagen.prof"
    proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", prof, "-m", "hagen", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("hagen ") and prof.stat().st_size > 0
