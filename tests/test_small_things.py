"""The small things a new user notices in the first week (a real site's first week)."""

from __future__ import annotations

import re

import pytest

from cli_runner import cli

STAGE = re.compile(r"^hagen: .+: \d+\.\d\d s$", re.M)


@pytest.mark.parametrize("command", ["check", "build", "diff"])
@pytest.mark.parametrize("before", [True, False], ids=["before", "after"])
def test_verbose_before_or_after_the_command_name(command, before, example_copy, tmp_path):
    site = example_copy("bas5-guide") / "site.yaml"
    args = ["--site", str(site)] + {"check": [], "build": ["--out", str(tmp_path / "out")],
                                    "diff": ["--against", str(tmp_path / "none")]}[command]
    if command == "diff":
        (tmp_path / "none").mkdir()
    argv = ["--verbose", command, *args] if before else [command, *args, "--verbose"]
    res = cli(*argv)
    assert res.code in (0, 1), res.output
    assert STAGE.search(res.stderr), res.stderr


def _commands():
    from hagen.cli import app
    from hagen.cli.common import db_app

    return [(c.name or c.callback.__name__.replace("_", "-"),) for c in app.registered_commands] + \
        [("db", c.name or c.callback.__name__) for c in db_app.registered_commands]


@pytest.mark.parametrize("command", [()] + _commands(), ids=lambda c: " ".join(c) or "hagen")
def test_help_is_not_ragged(command):
    """Each paragraph of a help text is wrapped at the terminal's width, not at the source's 80
    columns: at 200 columns, a short line is never followed by the rest of its paragraph."""
    res = cli(*command, "--help", env={"COLUMNS": "200", "TERM": "dumb"})
    assert res.code == 0, res.output
    text = res.stdout.split("╭")[0].split("+-")[0]
    lines = [line.rstrip() for line in text.splitlines()]
    for a, b in zip(lines, lines[1:]):
        if a.strip() and b.strip() and not b.startswith("   ") and not a.startswith("   "):
            assert len(a) > 150 or a.rstrip().endswith(":"), f"ragged help of {command}: {a!r} / {b!r}"


@pytest.mark.parametrize("reason,says", [
    ('password authentication failed for user "clusterdb"', "~/.pgpass"),
    ("fe_sendauth: no password supplied", "PGPASSWORD"),
    ('no pg_hba.conf entry for host "10.1.0.1", user "x", database "y"', "pg_hba.conf"),
    ('database "clusterdb" does not exist', "psql -l"),
    ("Connection refused", "PGHOST, PGPORT"),
])
def test_a_database_error_says_what_to_do_for_its_cause(reason, says):
    from hagen.load.clusterdb import connect_hint

    assert says in connect_hint(reason)



def test_a_password_in_the_site_specs_dsn_is_a_warning_even_when_the_connection_fails(example_copy):
    folder = example_copy("bas5-guide")
    site = folder / "site.yaml"
    site.write_text(site.read_text().replace("  snapshot: clusterdb.yaml",
                                             "  dsn: postgresql://clusterdb:s3cret-pw@127.0.0.1:1/clusterdb"))
    res = cli("check", "--site", site)
    assert res.code == 3, res.output
    assert "warning HA152: clusterdb.dsn holds a password" in res.stderr and "~/.pgpass" in res.stderr
    assert "s3cret-pw" not in res.output


def test_a_missing_site_spec_suggests_hagen_init(tmp_path):
    res = cli("check", "--site", tmp_path / "site.yaml")
    assert res.code == 2 and "hagen init --db DSN -o site.yaml" in res.stderr


def test_a_fresh_clones_first_command_prints_no_warning(tmp_path):
    """README's first command, from a checkout where git left the dummy secrets readable by all."""
    import shutil
    import subprocess

    from conftest import EXAMPLES

    readme = (EXAMPLES.parent / "README.md").read_text()
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    chmod = next(line.split("#")[0].strip() for line in block.splitlines() if line.startswith("chmod"))
    build = next(line for line in block.splitlines() if "hagen build" in line)
    assert build.index("hagen build") and readme.index(chmod) < readme.index(build)
    clone = tmp_path / "clone"
    shutil.copytree(EXAMPLES, clone / "examples")
    for secret in (clone / "examples").glob("*/fence-password"):
        secret.chmod(0o644)                        # as git checks it out
    subprocess.run(chmod, shell=True, cwd=clone, check=True)
    site = build.split("--site ", 1)[1].split()[0]
    res = cli("build", "--site", clone / site, "--out", clone / "out")
    assert res.code == 0 and "warning" not in res.stderr, res.stderr


def test_readme_says_ci_run_is_for_a_throw_away_machine():
    from conftest import EXAMPLES

    readme = (EXAMPLES.parent / "README.md").read_text()
    assert "**`.ci/run` is for a\nthrow-away test machine or container only**" in readme


def _without_component(ex, node):
    nid = ex.id_of("node", node)
    ex.edit_rows(lambda t: t.__setitem__("da_iocell_component",
                                         [r for r in t["da_iocell_component"] if r["node_id"] != nid]))


def test_one_missing_mngt_row_is_one_error_naming_its_likely_cause(tmp_path):
    """ns13's da_iocell_component row missing: HA302 names it; no HA801 ("no pair") beside it."""
    from example_helpers import Example

    ex = Example(tmp_path, "bas5-guide")
    _without_component(ex, "ns13")
    reports = ex.reports()
    assert [r.code for r in reports] == ["HA302"], [str(r) for r in reports]
    assert "ns13 (ftype mngt) is in no mngt cell: is its da_iocell_component row missing?" in reports[0].message


def test_one_missing_lustre_row_is_one_error_naming_its_likely_cause(tmp_path):
    from example_helpers import Example

    ex = Example(tmp_path, "xena")
    _without_component(ex, "xena2")
    reports = [r for r in ex.reports() if r.code != "HA240"]
    assert [r.code for r in reports] == ["HA600"], [str(r) for r in reports]
    assert "xena2 (ftype mds) is in no lustre cell" in reports[0].message
