"""hagen runbook: goldens of every example, the guide's steps with the site's values, HTML,
and never a secret.

Goldens live in golden/runbook/<example>.md. Regenerate after an intended change:

    python3 -m pytest tests/test_runbook.py --update-goldens
"""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from cli_runner import cli
from conftest import EXAMPLES, GOLDEN
from hagen.audit import compile_for_audit
from hagen.audit.runbook import render_runbook, runbook


def example_sites():
    out = []
    for site in sorted(EXAMPLES.glob("*/site*.yaml")):
        variant = site.stem[len("site"):].lstrip("-")
        out.append((site.parent.name + (f"-{variant}" if variant else ""), site))
    return out


EXAMPLE_SITES = example_sites()


@pytest.fixture(scope="module")
def compiled():
    return {name: compile_for_audit(site) for name, site in EXAMPLE_SITES}


@pytest.fixture(scope="module")
def books(compiled):
    return {name: render_runbook(c, "md") for name, c in compiled.items()}


@pytest.mark.parametrize("name", [n for n, _ in EXAMPLE_SITES])
def test_runbook_matches_golden(name, books, request):
    path = GOLDEN / "runbook" / f"{name}.md"
    if request.config.getoption("--update-goldens"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(books[name])
        return
    assert path.exists(), f"no golden {path}: run pytest tests/test_runbook.py --update-goldens"
    assert path.read_text() == books[name], f"{path} is stale (regenerate the goldens and review the diff)"


def steps(compiled, name) -> list[dict]:
    return [dict(step, section=s["title"]) for s in runbook(compiled[name])["sections"] for step in s["steps"]]


def commands(compiled, name) -> list[str]:
    return [c for step in steps(compiled, name) for c in step["commands"]]


def test_sections_in_the_guides_order(compiled):
    titles = [s["title"] for s in runbook(compiled["bas5-guide"])["sections"]]
    assert titles == ["Prerequisites", "Storage preparation", "Network clean-up", "Bring-up",
                      "Failover tests of cell ns_mngt"]
    assert all(step["guide"] and step["expect"] and step["hosts"] for step in steps(compiled, "bas5-guide"))


def test_management_pair_values(compiled):
    cmds = commands(compiled, "bas5-guide")
    assert "fence_ipmilan -a 10.2.0.1 -l root -P -p \"$FENCE_PASSWORD\" -o status   # ns0" in cmds
    assert "fence_ipmilan -a 10.2.0.14 -l root -P -p \"$FENCE_PASSWORD\" -o status   # ns13" in cmds
    assert "mkfs.ext3 /dev/sdh   # /varha" in cmds
    assert "rm -f /etc/sysconfig/network-scripts/ifcfg-eth0:1" in cmds
    assert any("route-eth0" in c and "route-bond0" in c for c in cmds)
    assert cmds.count("clusvcadm -e HA_NSM") == 1             # 3.1.5: on the primary only
    start = [s for s in steps(compiled, "bas5-guide") if "cs -c start" in s["commands"]]
    assert [s["hosts"] for s in start] == ["ns0", "ns13"]
    assert "clusvcadm -r HA_NSM -m ns13" in cmds
    assert "fence_node ns13" in cmds


def test_io_cells_values(compiled):
    cmds = commands(compiled, "xena")
    assert "mkqdisk -c /dev/ldn.da1.0 -l xena_mds" in cmds
    assert "mkqdisk -c /dev/ldn.da0.0 -l xena_nfs" in cmds
    assert "mkfs.xfs /dev/ldn.da0.1   # /mount_point1" in cmds
    assert "lustre_migrate relocate -n xena1" in cmds and "lustre_migrate export -n xena10" in cmds
    assert 'ssh xena11 "clusvcadm -e nfs_service"' in cmds
    assert sum("clusvcadm -e nfs_service" in c for c in cmds) == 1   # 9.4.1: on ONE node only
    assert 'ssh xena20 "df /mount_point1"' in cmds                   # 9.5: df on one client
    pulls = [s for s in steps(compiled, "xena") if s["title"].startswith("pull the heartbeat cable")]
    assert len(pulls) == 3 and all(s["guide"] == "5.7.3" for s in pulls)
    assert not any("ifcfg-eth0:1" in c for c in cmds)                # no management pair: no clean-up


def test_html_has_the_same_steps(compiled):
    page = render_runbook(compiled["xena"], "html")
    root = lxml_html.fromstring(page)
    assert [h.text_content() for h in root.iter("h3")] == \
        [f"{i}.{j} {step['title']}" for i, s in enumerate(runbook(compiled["xena"])["sections"], 1)
         for j, step in enumerate(s["steps"], 1)]
    assert '"$FENCE_PASSWORD"' in root.text_content()
    assert "&quot;" in page or "&#34;" in page                     # escaped, not raw markup


def test_never_a_secret(compiled, books):
    for name, site in EXAMPLE_SITES:
        secret = (site.parent / "fence-password").read_text().strip()
        assert secret not in books[name]
        assert secret not in render_runbook(compiled[name], "html")


def test_command_line(tmp_path):
    out = tmp_path / "book.html"
    res = cli("runbook", "--site", EXAMPLES / "xena" / "site.yaml", "--format", "html", "-o", out)
    assert res.code == 0 and res.stdout == ""
    assert out.read_text().startswith("<!DOCTYPE html>")
    res = cli("runbook", "--site", EXAMPLES / "bas5-guide" / "site.yaml")
    assert res.code == 0 and res.stdout.startswith("# Runbook of cluster ns")
    res = cli("runbook", "--site", tmp_path / "missing.yaml")
    assert res.code == 2


def test_pap_fenced_nodes_have_no_bmc_check(tmp_path):
    """3.1.1: the BMC check is not applicable to nodes managed by a PAP (CLARIFICATIONS 20)."""
    from test_audit import variant

    def pap(tables):
        for row in tables["hwmanager"]:
            if row["name"] in ("ns0-bmc", "ns13-bmc"):
                row["type"] = "pap"
    site = variant(tmp_path, "bas5-guide", rows=pap,
                   site_edits=[("    lanplus: true\n", "    lanplus: true\n    pap_domains: {ns0: d0, ns13: d13}\n")])
    compiled = compile_for_audit(site)
    assert not any("fence_ipmilan" in c for step in runbook(compiled)["sections"][0]["steps"] for c in step["commands"])
    assert "fence_node ns13" in render_runbook(compiled, "md")


def test_bmc_check_follows_lanplus(tmp_path):
    from test_audit import variant

    site = variant(tmp_path, "bas5-guide", site_edits=[("    lanplus: true\n", "    lanplus: false\n")])
    book = render_runbook(compile_for_audit(site), "md")
    assert 'fence_ipmilan -a 10.2.0.1 -l root -p "$FENCE_PASSWORD" -o status   # ns0' in book
