"""hagen audit: goldens of every example, each SPOF and warning code with a site that has
it and one that does not, the SVG picture, exit codes and no secret in any output.

Goldens live in golden/audit/<example>.txt and .json (outside the build trees that
tests/test_golden.py compares). Regenerate after an intended change:

    python3 -m pytest tests/test_audit.py --update-goldens
"""

from __future__ import annotations

import re

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from lxml import etree

from cli_runner import cli as run
from conftest import EXAMPLES, GOLDEN
from pg import requires_pg, temp_database
from hagen.audit import compile_for_audit, document
from hagen.audit.facts import CLUSTER_CONF
from hagen.audit.report import to_json, to_text


def example_sites():
    out = []
    for site in sorted(EXAMPLES.glob("*/site*.yaml")):
        variant = site.stem[len("site"):].lstrip("-")
        out.append((site.parent.name + (f"-{variant}" if variant else ""), site))
    return out


EXAMPLE_SITES = example_sites()


@pytest.fixture(scope="module")
def compiled():
    """Every example compiled once for the module."""
    return {name: compile_for_audit(site) for name, site in EXAMPLE_SITES}


@pytest.fixture(scope="module")
def docs(compiled):
    return {name: document(c) for name, c in compiled.items()}


def variant(tmp: Path, example: str, rows=None, site_edits=()) -> Path:
    """A copy of an example whose snapshot rows (edited by rows(tables)) are written as JSON
    and whose site spec has site_edits (old, new) applied. Returns the site spec's path."""
    dest = tmp / example
    shutil.copytree(EXAMPLES / example, dest)
    (dest / "fence-password").chmod(0o600)
    snap = yaml.safe_load((dest / "clusterdb.yaml").read_text())
    if rows:
        rows(snap["tables"])
    (dest / "clusterdb.json").write_text(json.dumps(snap))
    site = dest / "site.yaml"
    text = site.read_text().replace("snapshot: clusterdb.yaml", "snapshot: clusterdb.json")
    for old, new in site_edits:
        assert old in text, old
        text = text.replace(old, new)
    site.write_text(text)
    return site


def codes(doc, cell=None) -> set:
    return {f["code"] for c in doc["cells"] if cell in (None, c["name"]) for f in c["findings"]}


def cell(doc, name) -> dict:
    return next(c for c in doc["cells"] if c["name"] == name)


# ---------------------------------------------------------------- goldens

@pytest.mark.parametrize("name", [n for n, _ in EXAMPLE_SITES])
def test_audit_matches_golden(name, docs, request):
    doc = docs[name]
    outputs = {GOLDEN / "audit" / f"{name}.txt": to_text(doc), GOLDEN / "audit" / f"{name}.json": to_json(doc)}
    for path, text in outputs.items():
        if request.config.getoption("--update-goldens"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            continue
        assert path.exists(), f"no golden {path}: run pytest tests/test_audit.py --update-goldens"
        assert path.read_text() == text, f"{path} is stale (regenerate the goldens and review the diff)"


def test_json_has_a_format_and_stable_keys(docs):
    doc = json.loads(to_json(docs["xena"]))
    assert doc["format"] == "hagen-audit/1"
    assert set(doc) == {"format", "cluster", "cells", "not_audited", "not_audited_why", "summary", "accepted_reports",
                        "unused_acceptances"}
    assert doc["not_audited"] == []
    failure = doc["cells"][0]["failures"][0]
    assert set(failure) == {"failure", "subject", "effect", "moves", "fenced", "lost", "guide", "agrees", "differs"}
    finding = doc["cells"][0]["findings"][0]
    assert set(finding) == {"code", "severity", "spof", "cell", "guide", "message", "stops", "hint", "subjects",
                            "accepted", "table", "row"}


# ---------------------------------------------------------------- what the examples show

def test_xena_finds_the_guides_shared_heartbeat_and_fencing_network(docs):
    """5.7.3: on a Lustre cell heartbeat and fencing share the admin network: losing it means no failover."""
    doc = docs["xena"]
    for name in ("xena_mds", "xena_oss"):
        c = cell(doc, name)
        spof = [f for f in c["findings"] if f["code"] == "HA1000"]
        assert spof and spof[0]["severity"] == "error" and spof[0]["spof"] and spof[0]["guide"] == "5.7.3"
        down = next(f for f in c["failures"] if f["failure"] == "network_down" and f["subject"] == "admin")
        assert "no failover" in down["effect"] and down["guide"].startswith("5.7.3")
        assert all(n["fencing"]["via"] == "admin" for n in c["nodes"])


def test_bas5_guide_says_what_losing_each_management_node_does(docs):
    c = cell(docs["bas5-guide"], "ns_mngt")
    crashes = {f["subject"]: f for f in c["failures"] if f["failure"] == "node_crash"}
    assert set(crashes) == {"ns0", "ns13"}
    assert crashes["ns0"]["moves"] == [{"service": "HA_NSM", "from": "ns0", "to": "ns13"}]
    assert crashes["ns0"]["fenced"] == [{"node": "ns0", "by": "ns13", "via": "admin"}]
    assert crashes["ns13"]["moves"] == [] and crashes["ns13"]["fenced"][0]["by"] == "ns0"
    assert all(f["guide"].startswith("2.1.1") and f["agrees"] for f in crashes.values())


def test_every_failure_class_is_played(docs):
    played = {f["failure"] for d in docs.values() for c in d["cells"] for f in c["failures"]}
    assert played >= {"node_crash", "network_down", "bmc_unreachable", "bond_slave_lost", "link_lost",
                      "disk_array_lost", "lun_lost", "quorum_device_lost"}


def test_the_written_link_monitor_differs_from_the_guide(docs):
    """8.3.3 says only the heartbeat is watched; the NFS cluster.conf watches the aliases' links."""
    c = cell(docs["xena"], "xena_nfs")
    lost = next(f for f in c["failures"] if f["failure"] == "link_lost" and f["subject"].startswith("xena11 eth1"))
    assert not lost["agrees"] and "monitor_link" in lost["differs"]
    assert lost["moves"] == [{"service": "nfs_service", "from": "xena11", "to": "xena13"}]


# ---------------------------------------------------------------- every code: has it, has it not

def _bmc_ports(tables, node_ids):
    """Give nodes a port on the BMC network: fencing no longer goes through admin."""
    bmc = next(n for n in tables["network"] if n["function"] == "bmc")
    bmc["suffix"] = "fence"                # the ports' host names: xena1-fence (xena1-bmc is the BMC's)
    bmc = bmc["id"]
    next_id = max(p["id"] for p in tables["node_port"]) + 1
    for i, node_id in enumerate(node_ids):
        tables["node_port"].append({"id": next_id + i, "node_id": node_id, "network_id": bmc,
                                    "interface_name": "eth5", "ipaddr": f"10.2.200.{i + 1}", "hwaddr": None})


def test_HA1000_heartbeat_and_fencing_on_one_network(docs, tmp_path):
    assert "HA1000" in codes(docs["xena"], "xena_mds")
    site = variant(tmp_path, "xena", rows=lambda t: _bmc_ports(t, [2, 3]))
    doc = document(compile_for_audit(site))
    assert "HA1000" not in codes(doc, "xena_mds")
    assert "HA1000" in codes(doc, "xena_oss")
    assert all(n["fencing"]["via"] == "bmc" for n in cell(doc, "xena_mds")["nodes"])


def test_HA1000_not_with_the_nfs_heartbeat_on_the_backbone(tmp_path):
    site = variant(tmp_path, "xena", site_edits=[("heartbeat: admin", "heartbeat: backbone")])
    doc = document(compile_for_audit(site))
    assert cell(doc, "xena_nfs")["heartbeat"] == "backbone"
    assert "HA1000" not in codes(doc, "xena_nfs")


def test_HA1001_alias_on_a_single_unwatched_link(docs, tmp_path):
    assert "HA1001" not in codes(docs["bas5-guide"])
    assert "HA1001" not in codes(docs["xena"])              # NFS aliases are watched (monitor_link)
    site = variant(tmp_path, "bas5-guide", site_edits=[("slaves: [eth1, eth3], primary: eth1", "slaves: [eth1]")])
    doc = document(compile_for_audit(site))
    found = [f for f in cell(doc, "ns_mngt")["findings"] if f["code"] == "HA1001"]
    assert found and all("ns-bk" in f["message"] and f["severity"] == "error" for f in found)
    from hagen.audit.svg import to_dot

    assert '"node:ns0" -- "net:backbone" [color=red]' in to_dot(doc)


def test_HA1002_quorum_disk_without_heuristic(docs, compiled):
    # the build writes a ping heuristic on every quorum disk: the audit reads it from cluster.conf
    assert cell(docs["xena"], "xena_oss")["quorum"]["heuristics"] == ["ping -c1 -w1 10.1.0.1"]
    assert "HA1002" not in codes(docs["xena"])
    assert "HA1002" not in codes(docs["bas5-guide"])         # two_node: no quorum disk
    heuristic = re.compile(rb'>\n\s*<heuristic [^>]*/>\n\s*</quorumd>')
    files = [replace(f, data=heuristic.sub(b"/>", f.data)) if f.path == CLUSTER_CONF else f
             for f in compiled["xena"].files]
    doc = document(replace(compiled["xena"], files=files))
    assert cell(doc, "xena_oss")["quorum"]["heuristics"] == []
    assert "HA1002" in codes(doc, "xena_oss")
    down = next(f for f in cell(doc, "xena_oss")["failures"] if f["failure"] == "network_down")
    assert "no failover" in down["effect"]                   # HA1000 still: fencing shares the heartbeat


def test_HA1003_mds_on_a_management_node(docs, tmp_path):
    assert "HA1003" not in codes(docs["xena"])

    def xena1_is_a_management_node(t):
        mngt = next(f["id"] for f in t["ftype"] if f["label"] == "mngt")
        t["node_ftype"].append({"node_id": 2, "ftype_id": mngt})
    site = variant(tmp_path, "xena", rows=xena1_is_a_management_node)
    compiled = compile_for_audit(site)
    assert any(w.code == "HA607" for w in compiled.warnings)
    found = [f for f in cell(document(compiled), "xena_mds")["findings"] if f["code"] == "HA1003"]
    assert {f["severity"] for f in found} == {"error"} and all("xena1" in f["message"] for f in found)


def test_HA1004_one_disk_array(docs):
    assert "HA1004" in codes(docs["xena"], "xena_mds")
    assert "HA1004" not in codes(docs["xena"], "xena_oss")    # two disk arrays


def test_HA1010_heartbeat_on_a_single_port(docs):
    found = [f for f in cell(docs["xena"], "xena_oss")["findings"] if f["code"] == "HA1010"]
    assert len(found) == 2 and {f["severity"] for f in found} == {"warning"}
    assert "HA1010" not in codes(docs["bas5-guide"])          # bond0: two slaves


def test_HA1011_two_node_without_quorum_disk(docs):
    assert "HA1011" in codes(docs["bas5-guide"], "ns_mngt")
    assert "HA1011" not in codes(docs["xena"])


def test_every_audit_code_is_registered_and_tested():
    from hagen.base.codes import CODES

    ours = {c for c in CODES if c.startswith("HA10") and len(c) == 6}
    text = Path(__file__).read_text() + Path(__file__).with_name("test_audit_el9.py").read_text()
    assert ours and all(f"def test_{c}_" in text for c in ours)


# ---------------------------------------------------------------- command line

def test_exit_1_with_a_spof_and_0_with_warnings_alone(tmp_path):
    res = run("audit", "--site", EXAMPLES / "xena" / "site.yaml")
    assert res.code == 1 and "error HA1000 (single point of failure" in res.stdout

    def sound(t):
        _bmc_ports(t, [1, 14])
        t["disk_array"].append({"id": 2, "name": "ns-fda1", "model": "FDA1500"})
        t["da_iocell_component"].append({"iocell_id": 1, "node_id": None, "disk_array_id": 2})
    site = variant(tmp_path, "bas5-guide", rows=sound)
    res = run("audit", "--site", site, "--format", "json")
    assert res.code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["summary"]["spofs"] == 0 and codes(doc) == {"HA1011"}


def test_bad_input_exits_2_with_json_alone_on_stdout(tmp_path):
    site = variant(tmp_path, "xena", site_edits=[("post_join_delay: 30\n  mgs_net", "post_join_delay: -x\n  mgs_net")])
    res = run("audit", "--site", site, "--format", "json")
    assert res.code == 2
    doc = json.loads(res.stdout)
    assert doc["format"] == "hagen-audit/1" and doc["reports"][0]["code"] == "HA101"
    assert doc["reports"][0]["key"].startswith("lustre.post_join_delay")


def test_snapshot_option_and_usage_errors(tmp_path):
    xena = EXAMPLES / "xena"
    res = run("audit", "--site", xena / "site.yaml", "--snapshot", xena / "clusterdb.yaml", "--format", "json")
    assert res.code == 1 and json.loads(res.stdout)["cluster"] == "xena"
    res = run("audit", "--site", xena / "site.yaml", "--snapshot", xena / "clusterdb.yaml", "--db", "postgresql://x/y")
    assert res.code == 2 and "HA106" in res.output
    res = run("audit", "--site", xena / "site.yaml", "--format", "pdf")
    assert res.code == 2


def test_output_file(tmp_path):
    out = tmp_path / "audit.txt"
    res = run("audit", "--site", EXAMPLES / "bas5-guide" / "site.yaml", "-o", out)
    assert res.code == 1 and res.stdout == ""
    assert out.read_text().startswith("hagen audit of cluster ns")


@pytest.mark.parametrize("name", ["bas5-guide", "xena"])
def test_svg_names_every_node(name, docs):
    from hagen.audit.svg import to_svg

    svg = to_svg(docs[name])
    root = etree.fromstring(svg.encode())
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    for c in docs[name]["cells"]:
        for n in c["nodes"]:
            assert n["name"] in texts
    red = [e for e in root.iter() if e.get("stroke") == "red"]
    assert red                                                # the SPOFs are drawn in red


def test_no_secret_in_any_output(docs):
    from hagen.audit.svg import to_dot

    for name, site in EXAMPLE_SITES:
        secret = (site.parent / "fence-password").read_text().strip()
        for text in (to_text(docs[name]), to_json(docs[name]), to_dot(docs[name])):
            assert secret not in text


def test_same_audit_whatever_the_row_order(docs, tmp_path):
    import random

    def shuffle(tables):
        rng = random.Random(14)
        for rows in tables.values():
            rng.shuffle(rows)
    site = variant(tmp_path, "xena", rows=shuffle)
    assert to_json(document(compile_for_audit(site))) == to_json(docs["xena"])


def test_quorum_disk_named_by_label_only(compiled):
    """A quorumd with a label and no device is still a quorum disk (the ClusterDB's device)."""
    files = [replace(f, data=f.data.replace(b'<quorumd device="/dev/ldn.da2.0"', b'<quorumd label="xena_oss"'))
             if f.path == CLUSTER_CONF else f for f in compiled["xena"].files]
    q = cell(document(replace(compiled["xena"], files=files)), "xena_oss")["quorum"]
    assert q["device"] == "/dev/ldn.da2.0" and q["label"] == "xena_oss"


@requires_pg
def test_audit_from_postgresql_equals_audit_from_snapshot(docs):
    xena = EXAMPLES / "xena"
    with temp_database() as dsn:
        assert run("db", "load", "--db", dsn, xena / "clusterdb.yaml").code == 0
        res = run("audit", "--site", xena / "site.yaml", "--db", dsn, "--format", "json")
    assert res.code == 1
    assert res.stdout == to_json(docs["xena"])


def test_trouble_writing_or_drawing_exits_3(tmp_path, monkeypatch):
    xena = EXAMPLES / "xena" / "site.yaml"
    res = run("audit", "--site", xena, "-o", tmp_path / "no" / "such" / "folder" / "audit.txt")
    assert res.code == 3 and "cannot write" in res.output
    monkeypatch.setenv("PATH", str(tmp_path))               # no dot on it
    res = run("audit", "--site", xena, "--format", "svg")
    assert res.code == 3 and "graphviz" in res.output


def test_el9_cells_are_audited_and_a_cell_without_its_files_is_said_to_be_not_covered():
    """target el9-pacemaker: the audit and the runbook read the CIB and corosync.conf; a cell the
    build writes neither for (its site section is missing) is named, with HA176 at the target key."""
    site = EXAMPLES / "xena" / "site-el9.yaml"
    res = run("audit", "--site", site, "--format", "json")
    doc = json.loads(res.stdout)
    assert doc["not_audited"] == [] and [c["name"] for c in doc["cells"]] == ["xena_mds", "xena_nfs", "xena_oss"]
    assert "HA176" not in res.stderr and res.code == 1
    # a cell whose files the build did not write (the site spec always asks for them today)
    from hagen.audit import not_covered, uncovered_warning
    from hagen.audit.runbook import render_runbook
    from hagen.plan.el9 import CIB_PATH

    compiled = compile_for_audit(site)
    files = [f for f in compiled.files if not (f.path == CIB_PATH and f.host in ("xena11", "xena13"))]
    thinner = replace(compiled, files=files)
    names, why = not_covered(thinner)
    assert names == ["xena_nfs"] and "no CIB" in why
    assert [c["name"] for c in document(thinner)["cells"]] == ["xena_mds", "xena_oss"]
    (report,) = uncovered_warning(thinner.site, names)
    assert report.code == "HA176" and report.where.key == "target" and "xena_nfs not analysed" in report.message
    assert "Not covered: xena_nfs" in render_runbook(thinner, "md")
    res = run("audit", "--site", EXAMPLES / "xena" / "site.yaml", "--format", "json")
    assert "HA176" not in res.stderr and json.loads(res.stdout)["not_audited_why"] == ""


# ---------------------------------------------------------------- the audit as a gate: accepted findings

ACCEPT_XENA = """
audit:
  accepted:
    - code: HA1000
      reason: "the guide's own design: fencing goes over admin (5.7.3)"
    - code: HA1004
      cell: xena_mds
      reason: one FDA for the metadata, a second is budgeted
      until: 2999-12-31
    - code: HA1004
      cell: xena_nfs
      reason: the NFS array is mirrored by the storage team
    - code: HA240
      reason: the guide's alias names
"""


def accepted_site(tmp_path, example="xena", extra=ACCEPT_XENA):
    site = variant(tmp_path, example)
    site.write_text(site.read_text() + extra)
    return site


def test_accepted_findings_are_shown_as_accepted_and_do_not_count(tmp_path):
    """CLARIFICATIONS 41: every SPOF of xena accepted: exit 0; text and JSON say accepted, with the reason."""
    site = accepted_site(tmp_path)
    res = run("audit", "--site", site, "--format", "json")
    assert res.code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["summary"]["spofs"] == 0 and doc["summary"]["accepted"] >= 5
    found = {(f["cell"], f["code"]): f["accepted"] for c in doc["cells"] for f in c["findings"]}
    assert found[("xena_mds", "HA1004")] == "one FDA for the metadata, a second is budgeted (until 2999-12-31)"
    assert found[("xena_oss", "HA1010")] is None                 # a warning nobody accepted stays one
    assert [r["code"] for r in doc["accepted_reports"]] == ["HA240", "HA240"]
    text = run("audit", "--site", site)
    assert text.code == 0
    assert re.search(r"^accepted error HA1000 \(single point of failure; guide 5\.7\.3\)", text.stdout, re.M)
    assert "    accepted: the guide's own design" in text.stdout
    assert "HA240" not in text.stderr and "HA1012" not in text.stderr


def test_a_scoped_acceptance_accepts_only_its_cell_or_node(tmp_path):
    site = accepted_site(tmp_path, extra="""
audit:
  accepted:
    - {code: HA1000, cell: xena_mds, reason: known}
    - {code: HA1010, node: xena10, reason: one port on xena10 until the new card}
""")
    doc = document(compile_for_audit(site))
    accepted = {(f["cell"], f["code"], tuple(f["subjects"])): bool(f["accepted"]) for c in doc["cells"]
                for f in c["findings"]}
    assert accepted[("xena_mds", "HA1000", ("admin",))] and not accepted[("xena_oss", "HA1000", ("admin",))]
    ha1010 = {s[1]: a for (c, code, s), a in accepted.items() if code == "HA1010" and c == "xena_oss"}
    assert ha1010 == {"xena10": True, "xena12": False}


def test_an_accepted_check_warning_is_not_printed_by_check_or_build(tmp_path):
    site = accepted_site(tmp_path, extra="\naudit:\n  accepted:\n    - {code: HA240, reason: the guide's names}\n")
    res = run("check", "--site", site)
    assert res.code == 0 and "HA240" not in res.stderr and "(2 accepted: audit.accepted)" in res.stdout
    res = run("check", "--site", site, "--format", "json")
    doc = json.loads(res.stdout)
    assert doc["accepted"] == 2 and {r["accepted"] for r in doc["reports"] if r["code"] == "HA240"} == \
        {"the guide's names"}
    res = run("build", "--site", site, "--out", tmp_path / "out")
    assert res.code == 0 and "HA240" not in res.stderr


def test_an_accepted_warning_is_matched_by_its_cell():
    """HA602 (a Lustre cell with MDTs and OSTs) is located at the cell's da_iocell row: an entry
    for that cell accepts it, one for another cell does not (and says it matches nothing)."""
    from hagen.check.accepted import sort_reports
    from hagen.load.site import parse_site
    from hagen.base.reports import Where, warning

    model = compile_for_audit(EXAMPLES / "xena" / "site.yaml").model
    site = parse_site("audit:\n  accepted:\n    - {code: HA602, cell: xena_oss, reason: small site}\n"
                      "    - {code: HA602, cell: xena_nfs, reason: wrong cell}\n", "site.yaml")
    found = sort_reports(site, model, [warning("HA602", Where(table="da_iocell", row="name=xena_oss"), "both")])
    assert found[0].accepted == "small site" and "accepted warning HA602" in str(found[0])
    assert [r.code for r in found[1:]] == ["HA1012"] and "cell xena_nfs" in found[1].message


def test_HA1012_an_acceptance_that_matches_nothing(tmp_path):
    site = accepted_site(tmp_path, example="bas5-guide", extra="""
audit:
  accepted:
    - {code: HA1002, reason: no quorum disk here}
    - {code: HA103, reason: not readable by others}
""")
    res = run("audit", "--site", site)
    assert re.search(r"site\.yaml:\d+:\d+ audit\.accepted\[0\]: warning HA1012: .*HA1002", res.stderr)
    (site.parent / "fence-password").chmod(0o600)
    res = run("check", "--site", site)
    assert re.search(r"audit\.accepted\[1\]: warning HA1012: .*HA103", res.stderr)
    assert "HA1002" not in res.stderr                     # an audit code: only the audit can tell


def test_HA1013_an_expired_acceptance_accepts_nothing(tmp_path):
    site = accepted_site(tmp_path, extra="""
audit:
  accepted:
    - {code: HA1000, reason: old decision, until: 2001-01-31}
""")
    res = run("audit", "--site", site)
    assert res.code == 1
    assert re.search(r"audit\.accepted\[0\]: warning HA1013: the acceptance of HA1000 expired on 2001-01-31",
                     res.stderr)
    assert not re.search(r"^accepted", res.stdout, re.M)
    assert "HA1013" in run("check", "--site", site).stderr          # every command says it


@pytest.mark.parametrize("entry, why", [
    ("{code: HA999, reason: x}", "not a registered code"),
    ("{code: HA101, reason: x}", "is an error"),
    ("{code: HA1000, cell: nowhere, reason: x}", "cell nowhere"),
    ("{code: HA1000, node: nobody, reason: x}", "node nobody"),
    ("{code: HA1000, cell: xena_mds, node: xena1, reason: x}", "both a cell and a node"),
    ("{code: HA1000, reason: x, until: '2027-02-31'}", "not a date"),
])
def test_HA1014_an_acceptance_that_cannot_be_honoured(tmp_path, entry, why):
    site = accepted_site(tmp_path, extra=f"\naudit:\n  accepted:\n    - {entry}\n")
    res = run("check", "--site", site)
    assert res.code == 2 and "error HA1014" in res.stderr and why in res.stderr, res.stderr


def test_an_acceptance_needs_a_reason(tmp_path):
    site = accepted_site(tmp_path, extra="\naudit:\n  accepted:\n    - {code: HA1000}\n")
    res = run("check", "--site", site)
    assert res.code == 2 and "HA101" in res.stderr and "reason" in res.stderr
