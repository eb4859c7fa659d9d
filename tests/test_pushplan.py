"""hagen.deploy.pushplan: the reviewed plan's format, written 0600 atomically, validated when read."""

from __future__ import annotations

import json
import os
import stat

import pytest

from hagen.emit import OutFile
from hagen.base.errors import InputRefused, OutputError
from hagen.deploy.pushplan import FORMAT, load_plan, save_plan

SHA = "a" * 64


def files():
    return [OutFile("ns10", "/etc/ntp.conf", b"x", 0o644, "t"), OutFile("ns2", "/etc/ntp.conf", b"x", 0o644, "t"),
            OutFile("ns0", "/etc/cluster/cluster.conf", b"secret", 0o600, "t"),
            OutFile("xena1", "/usr/sbin/lustre_failover_xena1", b"", 0o777, "t", "/usr/sbin/lustre_failover")]


def test_the_exact_format_sorted_by_path_then_natural_host_order(tmp_path):
    plan = tmp_path / "plan.json"
    saved = save_plan(plan, files(), [("ns10", "/etc/HA/old"), ("ns9", "/etc/HA/old")])
    assert saved == load_plan(plan)                   # the round trip: written, read back, the same records
    doc = saved.to_json()
    assert json.loads(plan.read_text()) == doc
    assert doc["format"] == FORMAT and list(doc) == ["format", "send", "remove"]
    assert [(e["path"], e["host"]) for e in doc["send"]] == [
        ("/etc/cluster/cluster.conf", "ns0"), ("/etc/ntp.conf", "ns2"), ("/etc/ntp.conf", "ns10"),
        ("/usr/sbin/lustre_failover_xena1", "xena1")]
    assert doc["send"][0] == {"host": "ns0", "path": "/etc/cluster/cluster.conf",
                              "sha256": files()[2].sha256, "mode": "0600"}
    assert doc["send"][3] == {"host": "xena1", "path": "/usr/sbin/lustre_failover_xena1", "type": "symlink",
                              "target": "/usr/sbin/lustre_failover"}
    assert [e["host"] for e in doc["remove"]] == ["ns9", "ns10"]
    assert stat.S_IMODE(plan.stat().st_mode) == 0o600
    assert b"secret" not in plan.read_bytes()
    again = tmp_path / "again.json"
    save_plan(again, list(reversed(files())), [("ns9", "/etc/HA/old"), ("ns10", "/etc/HA/old")])
    assert again.read_bytes() == plan.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["again.json", "plan.json"]        # no temporary file left


def test_an_existing_plan_is_replaced_atomically_and_made_0600(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("old")
    plan.chmod(0o644)
    save_plan(plan, files(), [])
    assert stat.S_IMODE(plan.stat().st_mode) == 0o600 and load_plan(plan).send


def test_an_unwritable_place_is_an_output_error(tmp_path):
    with pytest.raises(OutputError) as info:
        save_plan(tmp_path / "missing" / "plan.json", files(), [])
    assert info.value.reports[0].code == "HA133"


def good():
    return {"format": FORMAT, "send": [{"host": "ns0", "path": "/etc/ntp.conf", "sha256": SHA, "mode": "0644"}],
            "remove": [{"host": "ns0", "path": "/etc/HA/old"}]}


def mutated(change):
    doc = good()
    change(doc)
    return doc


BAD = {
    "format": (lambda d: d.update(format="hagen-push-plan/2"), "format"),
    "extra key": (lambda d: d.update(when="now"), "when"),
    "host option": (lambda d: d["send"][0].update(host="-oProxyCommand=x"), "send[0].host"),
    "host blank": (lambda d: d["send"][0].update(host="ns 0"), "send[0].host"),
    "dotdot path": (lambda d: d["send"][0].update(path="/etc/../etc/shadow"), "send[0].path"),
    "relative path": (lambda d: d["remove"][0].update(path="etc/HA/old"), "remove[0].path"),
    "double slash": (lambda d: d["send"][0].update(path="//etc/ntp.conf"), "send[0].path"),
    "newline path": (lambda d: d["send"][0].update(path="/etc/ntp.conf\n/x"), "send[0].path"),
    "short sha": (lambda d: d["send"][0].update(sha256="abc"), "send[0].sha256"),
    "upper sha": (lambda d: d["send"][0].update(sha256="A" * 64), "send[0].sha256"),
    "mode": (lambda d: d["send"][0].update(mode="644"), "send[0].mode"),
    "mode int": (lambda d: d["send"][0].update(mode=420), "send[0].mode"),
    "missing key": (lambda d: d["send"][0].pop("sha256"), "send[0]"),
    "not a list": (lambda d: d.update(remove={}), "remove"),
    "twice": (lambda d: d["remove"].append({"host": "ns0", "path": "/etc/ntp.conf"}), "remove[1]"),
    "bad type": (lambda d: d["send"].append({"host": "ns0", "path": "/x", "type": "fifo", "target": "/y"}),
                 "send[1].type"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_plan_is_refused_with_where(tmp_path, name):
    change, key = BAD[name]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(mutated(change)))
    with pytest.raises(InputRefused) as info:
        load_plan(plan)
    reports = info.value.reports
    assert reports and all(r.code == "HA133" for r in reports)
    assert any(r.where.key == key for r in reports), [str(r) for r in reports]


@pytest.mark.parametrize("make", ["missing", "symlink", "fifo", "folder", "not json", "deep"])
def test_an_unreadable_plan_is_refused_at_once(tmp_path, make):
    plan = tmp_path / "plan.json"
    if make == "symlink":
        (tmp_path / "real.json").write_text(json.dumps(good()))
        plan.symlink_to(tmp_path / "real.json")
    elif make == "fifo":
        os.mkfifo(plan)
    elif make == "folder":
        plan.mkdir()
    elif make == "not json":
        plan.write_text("{")
    elif make == "deep":
        plan.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputRefused) as info:
        load_plan(plan)
    assert info.value.reports[0].code == "HA133" and info.value.reports[0].where.file == str(plan)
