"""The runbook a site follows (a real site's first week): a table of contents, chapters for
OCFS2 and SLURM (10.2), the Lustre file systems from the models hagen writes and the MGS it
adds (6.3.9, 7.1.2), the NFS clients' mounts (9.4.3), a rollback for every step that
changes a node, destructive steps marked in md and html, the README's deploy workflow,
failover expectations written for each test, and no Markdown left raw in the HTML."""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from conftest import EXAMPLES
from hagen.audit import compile_for_audit
from hagen.audit.runbook import render_runbook, runbook
from test_runbook import EXAMPLE_SITES

README = EXAMPLES.parent / "README.md"
# commands that look and change nothing on a node: a step made only of these needs no rollback
READ_ONLY = re.compile(r"^(rpm -q|/etc/HA/bin/haadminnodes|/etc/HA/bin/harpms fullstatus|dbmConfig show|read -rs|"
                       r"unset FENCE_PASSWORD|fence_ipmilan .* -o status|lustre_migrate (nodestat|hastat)|"
                       r"pdsh -w \S+ \"(ssh \S+ echo OK|stormap -l \| sort|df \S+)\"|clustat|df\b|grep\b|scontrol ping|"
                       r"squeue|lustre_util (info|status)|/etc/init.d/\S+ status|mounted.ocfs2|ls\b|ssh \S+ \"df )")


@pytest.fixture(scope="module")
def books():
    return {name: runbook(compile_for_audit(site)) for name, site in EXAMPLE_SITES}


@pytest.fixture(scope="module")
def rendered():
    out = {}
    for name, site in EXAMPLE_SITES:
        c = compile_for_audit(site)
        out[name] = (render_runbook(c, "md"), render_runbook(c, "html"))
    return out


def _steps(book):
    return [(s["title"], st) for s in book["sections"] for st in s["steps"]]


@pytest.mark.parametrize("name", [n for n, _ in EXAMPLE_SITES])
def test_every_step_that_changes_a_node_has_a_rollback(name, books):
    missing = [f"{sec}: {st['title']}" for sec, st in _steps(books[name])
               if any(not READ_ONLY.match(c) for c in st["commands"] if not c.startswith("#"))
               and not st["rollback"]]
    assert not missing, missing


@pytest.mark.parametrize("name", [n for n, _ in EXAMPLE_SITES])
def test_destructive_steps_are_marked_in_md_and_html(name, books, rendered):
    md, html = rendered[name]
    erasing = [st for _, st in _steps(books[name])
               if any(re.match(r"(mkfs|mkqdisk -c|lustre_util install)", c) for c in st["commands"])]
    assert all(st["destructive"] for st in erasing)
    assert not [st for _, st in _steps(books[name]) if st["destructive"] and st not in erasing]
    assert md.count("> **DESTRUCTIVE**") == len(erasing)
    doc = lxml_html.fromstring(html.encode())
    assert len(doc.xpath('//p[@class="destructive"]')) == len(erasing)
    if books[name]["sections"]:
        assert erasing                                         # every example (not el9's) formats something


@pytest.mark.parametrize("name", [n for n, _ in EXAMPLE_SITES])
def test_a_table_of_contents_whose_links_reach_their_chapters(name, rendered):
    md, html = rendered[name]
    headings = re.findall(r"^## (\d+\. .+)$", md, re.M)
    links = re.findall(r"^\d+\. \[(.+)\]\(#(.+)\)$", md, re.M)
    assert [h.split(". ", 1)[1] for h in headings] == [t for t, _ in links]
    for heading, (_, target) in zip(headings, links):          # GitHub's anchors: lower case, no punctuation
        assert re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") == target
    doc = lxml_html.fromstring(html.encode())
    ids = {e.get("id") for e in doc.xpath("//h2[@id]")}
    assert {a.get("href")[1:] for a in doc.xpath("//nav//a")} == ids
    assert ids or name.endswith("-el9")                         # el9: not covered, no chapter


@pytest.mark.parametrize("name", [n for n, _ in EXAMPLE_SITES])
def test_no_markdown_left_raw_in_the_html(name, rendered):
    doc = lxml_html.fromstring(rendered[name][1].encode())
    for pre in doc.xpath("//pre | //style"):                 # commands are shown as written
        pre.drop_tree()
    text = doc.text_content()
    assert "`" not in text and "**" not in text and "](#" not in text
    assert not re.search(r"^#{1,3} ", text, re.M)


def test_the_deploy_step_is_the_readmes_workflow(books):
    block = README.read_text().split("### Deploying", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    workflow = [re.sub(r"\s+#.*", "", line).strip() for line in block.splitlines()]
    workflow = [w for w in workflow if w]
    deploy = next(st for _, st in _steps(books["xena"]) if st["title"] == "the configuration files on every node")
    normalise = lambda c: re.sub(r" +", " ", c.replace("site.yaml", "SITE"))
    assert [normalise(re.sub(r"\s+#.*", "", c)) for c in deploy["commands"]] == [normalise(w) for w in workflow]
    assert any("--save-plan rollback.json" in c for c in deploy["rollback"])


def test_ocfs2_and_slurm_chapters(books):
    book = books["bas5-guide-slurm"]
    titles = [s["title"] for s in book["sections"]]
    assert "OCFS2 shared file system" in titles and "SLURM high availability" in titles
    assert titles.index("OCFS2 shared file system") < titles.index("SLURM high availability")
    cmds = [c for sec, st in _steps(book) for c in st["commands"]]
    assert "mkfs.ocfs2 -N 2 -L ocfs2 /dev/sdj1" in cmds and "/etc/init.d/o2cb online ocfs2" in cmds
    assert "chown -R slurm:root /ocfs2shared/slurmdata" in cmds and "scontrol ping" in cmds
    assert "OCFS2 shared file system" not in [s["title"] for s in books["bas5-guide"]["sections"]]


def test_lustre_file_systems_from_the_models_hagen_writes(books):
    compiled = compile_for_audit(EXAMPLES / "xena" / "site.yaml")
    models = sorted(f.path for f in compiled.files if f.path.startswith("/etc/lustre/models/"))
    cmds = [c for _, st in _steps(books["xena"]) for c in st["commands"]]
    installs = sorted(re.sub(r"^lustre_util install -f ", "", c) for c in cmds if c.startswith("lustre_util install"))
    assert installs == models == ["/etc/lustre/models/data.lmf", "/etc/lustre/models/scratch.lmf"]
    assert "lustre_util start -f data" in cmds and "lustre_util mount -f scratch -n 'xena[20-27,30]'" in cmds


def test_the_mgs_hagen_adds_to_start_and_stop(monkeypatch):
    import hagen.model.lustre as lustre

    compiled = compile_for_audit(EXAMPLES / "xena" / "site.yaml")
    assert not any(st["title"] == "the MGS on the management pair" for _, st in _steps(runbook(compiled)))
    monkeypatch.setattr(lustre, "mgs_on_pair", lambda model, site: True)
    step = next(st for _, st in _steps(runbook(compiled)) if st["title"] == "the MGS on the management pair")
    assert "grep -n mgs /etc/HA/start /etc/HA/stop" in step["commands"] and "7.1.2" in step["guide"]


def test_nfs_client_mounts(books):
    step = next(st for sec, st in _steps(books["xena"]) if sec == "NFS clients")
    assert step["hosts"] == "xena[20-27,30]" and "mount -a -t nfs" in step["commands"] and step["guide"] == "9.4.3"


def test_each_failover_test_has_its_own_expectation(books):
    for name, book in books.items():
        tests = [st for sec, st in _steps(book) if sec.startswith("Failover tests")]
        expects = [st["expect"] for st in tests]
        assert len(set(expects)) == len(expects), name
        for st in tests:
            if st["title"].startswith("fence "):
                assert "power-cycles" in st["expect"] and "misses" not in st["expect"]
            if st["title"].startswith("pull the heartbeat cable"):
                assert "heartbeat" in st["expect"] and "fences it" in st["expect"]
