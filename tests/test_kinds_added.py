"""Adding a kind (issue "One artifact kind, one place"): a kind registered from outside hagen
(tests/fixtures/kinds/keepalived_kind.py: its own template, planner, validator, structural
diff and action) is planned, rendered, validated, written with a manifest entry, shown by
`hagen diff` structurally, sent by `push --dry-run` with its action at the frequency it
declares, and explained by `hagen explain`, with no file of hagen/ naming it. It is
registered through the public API (hagen.kinds.register) and through an entry point."""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import replace

import pytest

from cli_runner import cli, run_hagen
from conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "kinds"
KEEPALIVED = "/etc/keepalived/keepalived.conf"

sys.path.insert(0, str(FIXTURE))
import keepalived_kind  # noqa: E402  (a test fixture, found on the path just set)

from hagen.kinds import CLUSTER, KindError, register, registry, unregister  # noqa: E402


@pytest.fixture
def keepalived():
    """The kind registered for one test, then removed: the registry is the process's."""
    register(keepalived_kind.KEEPALIVED)
    yield keepalived_kind.KEEPALIVED
    unregister("keepalived.conf")


@pytest.fixture
def xena(example_copy):
    return example_copy("xena") / "site.yaml"


def test_an_added_kind_goes_through_every_command(keepalived, xena, tmp_path):
    out = tmp_path / "out"
    r = cli("build", "--site", xena, "--out", out)
    assert r.code == 0, r.output
    # planned and rendered per cell, from the kind's own template
    text = (out / "xena1" / KEEPALIVED.lstrip("/")).read_text()
    assert "vrrp_instance xena_mds {" in text and "        xena2\n" in text
    assert (out / "xena1" / KEEPALIVED.lstrip("/")).read_bytes() == (out / "xena2" / KEEPALIVED.lstrip("/")).read_bytes()
    # written with a manifest entry naming its template
    manifest = json.loads((out / ".hagen" / "manifest.json").read_text())
    entries = [e for e in manifest["files"] if e["path"] == KEEPALIVED]
    assert {e["template"] for e in entries} == {"keepalived/keepalived.conf.j2"} and len(entries) == 3
    # explained, with its validator and what it checks
    r = cli("explain", "xena10", KEEPALIVED, "--site", xena)
    assert r.code == 0, r.output
    assert "templates/keepalived/keepalived.conf.j2" in r.stdout
    assert "validated  keepalived.conf (sections closed, known keywords, virtual_router_id 1-255)" in r.stdout
    # diff: a tree whose copy differs is compared by the kind's flattener, not as text
    other = tmp_path / "other"
    shutil.copytree(out.resolve(), other, symlinks=True)
    for host in ("xena1", "xena2"):
        target = other / host / KEEPALIVED.lstrip("/")
        target.write_text(target.read_text().replace("priority 100", "priority 150"))
    r = cli("diff", "--site", xena, "--against", other)
    assert r.code == 1, r.output
    assert "~ vrrp_instance:xena_mds/priority: 150 -> 100" in r.stdout, r.stdout
    # push --dry-run --reload: sent, and reloaded once per cell, on one node of each
    r = cli("push", "--site", xena, "--out", out, "--dry-run", "--reload")
    sent = [ln for ln in r.stdout.splitlines() if KEEPALIVED in ln and ln.startswith("pdcp")]
    assert sent, r.output
    reloads = [ln for ln in r.stdout.splitlines() if "systemctl reload keepalived" in ln]
    assert reloads == ["# --reload would run: pdsh -t 10 -u 600 -S -w 'xena[1,10-11]' 'systemctl reload keepalived'"]


def test_the_action_runs_as_often_as_the_kind_declares(xena, tmp_path):
    register(replace(keepalived_kind.KEEPALIVED, runs=CLUSTER))
    try:
        out = tmp_path / "out"
        assert cli("build", "--site", xena, "--out", out).code == 0
        r = cli("push", "--site", xena, "--out", out, "--dry-run", "--reload")
    finally:
        unregister("keepalived.conf")
    reloads = [ln for ln in r.stdout.splitlines() if "systemctl reload keepalived" in ln]
    assert reloads == ["# --reload would run: pdsh -t 10 -u 600 -S -w xena1 'systemctl reload keepalived'"]


def test_a_kind_that_fails_its_validator_is_refused_before_anything_is_written(xena, tmp_path):
    register(replace(keepalived_kind.KEEPALIVED, validate=lambda data: ["priority is not what keepalived reads"]))
    try:
        r = cli("build", "--site", xena, "--out", tmp_path / "out")
    finally:
        unregister("keepalived.conf")
    assert r.code == 2 and "HA900" in r.stderr and "priority is not what keepalived reads" in r.stderr, r.output
    assert not (tmp_path / "out").exists()


def test_a_kind_cannot_take_a_template_of_hagens(keepalived):
    with pytest.raises(KindError):          # another kind's
        register(replace(keepalived, name="other", templates=("mngt/ntp.conf.j2",)))
    with pytest.raises(KindError):          # a plain file's: hagen's templates/ would be rendered in its place
        register(replace(keepalived, name="hidden", templates=("hosts/hosts.j2",)))
    assert [k.name for k in registry() if k.name in ("other", "hidden")] == []


def test_installing_a_kind_makes_the_tree_out_of_date(keepalived, xena, tmp_path):
    """A kind added (or changed) changes what a build writes: a build before it is not up to date."""
    out = tmp_path / "out"
    unregister("keepalived.conf")
    try:
        assert cli("build", "--site", xena, "--out", out).code == 0
    finally:
        register(keepalived)
    r = cli("build", "--site", xena, "--out", out)
    assert r.code == 0 and "up to date" not in r.output, r.output
    assert (out / "xena1" / KEEPALIVED.lstrip("/")).exists()


def _installed(tmp_path, *points: str) -> dict:
    """The environment of a hagen with a package installed that declares points (NAME = MODULE:OBJECT)."""
    site_packages = tmp_path / "site-packages"
    info = site_packages / "hagen_keepalived-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hagen-keepalived\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[hagen.kinds]\n" + "".join(f"{p}\n" for p in points))
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(FIXTURE), str(site_packages)])}


def test_a_kind_registered_by_an_entry_point(xena, tmp_path):
    """An installed package names its kinds under the entry point group hagen.kinds: hagen, run
    as an administrator runs it, finds it with nothing else said."""
    env = _installed(tmp_path, "keepalived = keepalived_kind:KEEPALIVED")
    r = run_hagen("explain", "xena11", KEEPALIVED, "--site", xena, env=env)
    assert r.code == 0, r.output
    assert "xena_nfs" in r.stdout and "validated  keepalived.conf" in r.stdout
    assert "keepalived.conf" not in {k.name for k in registry()}     # this process never registered it


def test_an_installed_kind_that_cannot_be_loaded_or_added_is_reported(xena, tmp_path):
    env = _installed(tmp_path, "broken = no_such_module:KIND", "twice = hagen.kinds.cman:CLUSTER_CONF")
    r = run_hagen("build", "--site", xena, "--out", tmp_path / "out", env=env)
    assert r.code == 2, r.output
    assert "error HA950: cannot load it: ModuleNotFoundError" in r.stderr and "no_such_module" in r.stderr
    assert "error HA951: a kind named cluster.conf is registered already" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()


def test_no_file_of_hagen_names_the_added_kind():
    assert not [p for p in (REPO / "hagen").rglob("*.py") if "keepalived" in p.read_text(encoding="utf-8")]
