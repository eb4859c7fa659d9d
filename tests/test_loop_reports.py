"""What the loop says it read, and that it says it alike (a real site's first week): check,
build (cold and no-op) and diff give one set of reports for the same inputs, located at
places that exist, and name their ClusterDB source on their summary line and in JSON."""

from __future__ import annotations

import json

from cli_runner import cli


def _without_shared_files(folder):
    site = folder / "site.yaml"
    text = site.read_text()
    start = text.index("shared_files:\n")
    end = text.index("\n\n", start) + 1 if "\n\n" in text[start:] else len(text)
    site.write_text(text[:start] + text[end:])
    return site


def _reports(stderr: str) -> list[str]:
    return sorted(line for line in stderr.splitlines() if ": warning HA" in line or ": error HA" in line)


def test_check_build_noop_build_and_diff_give_one_set_of_reports(example_copy, tmp_path):
    site = _without_shared_files(example_copy("bas5-guide"))
    out = tmp_path / "out"
    check = cli("check", "--site", site)
    cold = cli("build", "--site", site, "--out", out)
    noop = cli("build", "--site", site, "--out", out)
    diff = cli("diff", "--site", site, "--against", out)
    assert check.code == cold.code == noop.code == diff.code == 0, check.output + cold.output + diff.output
    said = _reports(check.stderr)
    assert any("HA962" in line for line in said), check.stderr      # judged on the plan: check says it too
    assert _reports(cold.stderr) == said
    assert "up to date" in noop.stdout and _reports(noop.stderr) == said
    assert _reports(diff.stderr) == said


def test_a_report_about_an_absent_key_is_located_at_the_file_and_names_the_key(example_copy):
    site = _without_shared_files(example_copy("bas5-guide"))
    res = cli("check", "--site", site, "--format", "json")
    found = [r for r in json.loads(res.stdout)["reports"] if r["code"] == "HA962"]
    assert found and all("key" not in r and "line" not in r for r in found)
    assert all(r["file"] == str(site) for r in found)
    assert "add the key shared_files: [" in found[0]["hint"]


def test_each_command_names_its_clusterdb_source_and_the_snapshot_time(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    site, out = folder / "site.yaml", tmp_path / "out"
    import os

    os.utime(folder / "clusterdb.yaml", (1_700_000_000, 1_700_000_000))   # 2023-11-14 22:13 UTC
    said = "from snapshot clusterdb.yaml, exported 2023-11-14 22:13 UTC"
    assert said in cli("check", "--site", site).stdout
    assert said in cli("build", "--site", site, "--out", out).stdout
    assert said in cli("build", "--site", site, "--out", out).stdout          # the no-op too
    assert said in cli("diff", "--site", site, "--against", out).stdout.splitlines()[0]
    for command in (("check",), ("build", "--out", str(out))):
        doc = json.loads(cli(*command, "--site", site, "--format", "json").stdout)
        assert doc["source"] == {"kind": "snapshot", "path": "clusterdb.yaml", "exported": "2023-11-14 22:13 UTC"}
    doc = json.loads(cli("diff", "--site", site, "--against", out, "--format", "json").stdout)
    assert doc["source"]["exported"] == "2023-11-14 22:13 UTC"


def test_a_database_source_is_named_by_its_dsn_without_the_password():
    from hagen.load.source import choose_source

    source = choose_source("postgresql://clusterdb:s3cret@ns0:5433/clusterdb", None)
    assert source.summary == "database user=clusterdb dbname=clusterdb host=ns0 port=5433"
    assert "s3cret" not in json.dumps(source.to_json())
