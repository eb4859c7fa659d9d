"""The audit's picture (hagen audit --format svg) of every example: rendered to PNG by
rsvg-convert (Debian package librsvg2-bin), with its legend, title and summary, one font,
no two texts over each other (read from Graphviz's own layout, `dot -Tjson`), quorum
disks tied to their array, Lustre targets and NFS exports inside their cell."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess

import pytest
from lxml import etree

from conftest import EXAMPLES
from hagen.audit import compile_for_audit, document
from hagen.audit.report import summary_line
from hagen.audit.svg import LEGEND, run_dot, to_dot, to_svg

SITES = sorted(EXAMPLES.glob("*/site*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (graphviz)")


@pytest.fixture(scope="module")
def docs():
    return {site: document(compile_for_audit(site)) for site in SITES}


def _texts(layout) -> list[tuple]:
    """(owner, text, x0, y0, x1, y1, font) of every text Graphviz placed: graph and cluster
    titles, node and edge labels (xdot ops T, after F for the font)."""
    out = []

    def walk(obj, owner):
        for key in ("_draw_", "_ldraw_", "_hldraw_", "_tldraw_", "_hdraw_", "_tdraw_"):
            size, face = 14.0, None
            for op in obj.get(key, []):
                if op["op"] == "F":
                    size, face = op["size"], op["face"]
                elif op["op"] == "T":
                    (x, y), w = op["pt"], op["width"]
                    x0 = {"c": x - w / 2, "l": x, "r": x - w}[op["align"]]
                    out.append((owner, op["text"], x0, y - 0.25 * size, x0 + w, y + 0.75 * size, face))
    walk(layout, "graph")
    for obj in layout.get("objects", []):
        walk(obj, obj.get("name"))
    for edge in layout.get("edges", []):
        walk(edge, f"edge {edge['_gvid']}")
    return out


@needs_dot
@pytest.mark.parametrize("site", SITES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_picture_has_a_legend_a_title_one_font_and_no_text_over_another(site, docs, tmp_path):
    if shutil.which("rsvg-convert") is None:
        pytest.skip("rsvg-convert is not installed (Debian package librsvg2-bin)")
    doc = docs[site]
    svg = to_svg(doc)
    (tmp_path / "audit.svg").write_text(svg)
    subprocess.run(["rsvg-convert", "-o", str(tmp_path / "audit.png"), str(tmp_path / "audit.svg")], check=True,
                   timeout=120)
    png = (tmp_path / "audit.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    words = " ".join(t.text or "" for t in etree.fromstring(svg.encode()).iter(f"{SVG}text"))
    for what, _, meaning in LEGEND:
        assert what in words and meaning in words
    for word in ("red", "thick line", "dashed line", "dotted line"):
        assert word in words
    assert summary_line(doc) in words                         # title and summary
    layout = json.loads(run_dot(to_dot(doc), "json"))
    texts = _texts(layout)
    assert {t[6] for t in texts} == {"Helvetica"}
    over = [(a[:2], b[:2]) for a, b in itertools.combinations(texts, 2)
            if a[2] < b[4] and b[2] < a[4] and a[3] < b[5] and b[3] < a[5]]
    assert not over, over


def _cluster_members(layout) -> dict[str, set[str]]:
    names = {o["_gvid"]: o["name"] for o in layout["objects"]}
    return {o["name"]: {names[i] for i in o.get("nodes", [])} for o in layout["objects"] if "nodes" in o}


@needs_dot
def test_targets_exports_and_quorum_disks_are_drawn_with_their_cell_and_array(docs):
    doc = docs[EXAMPLES / "xena" / "site.yaml"]
    layout = json.loads(run_dot(to_dot(doc), "json"))
    members = _cluster_members(layout)
    names = {o["_gvid"]: o["name"] for o in layout["objects"]}
    edges = {(names[e["tail"]], names[e["head"]]) for e in layout["edges"]}
    assert "dev:xena_oss:/dev/ldn.da2.3" in members["cluster_xena_oss"]          # OST data_ost0
    assert "dev:xena_mds:/dev/ldn.da1.1" in members["cluster_xena_mds"]          # MDT scratch_mdt
    assert "dev:xena_nfs:/dev/ldn.da0.1" in members["cluster_xena_nfs"]          # export /mount_point1
    labels = {o["name"]: o.get("label", "") for o in layout["objects"]}
    assert labels["dev:xena_nfs:/dev/ldn.da0.1"].startswith("export /mount_point1")
    assert labels["dev:xena_oss:/dev/ldn.da2.3"].startswith("OST data_ost0")
    for c in doc["cells"]:
        assert (f"qdisk:{c['name']}", f"array:{c['storage']['devices'][0]['disk_array']}") in edges
    assert ("dev:xena_oss:/dev/ldn.da2.3", "array:xena-da2") in edges


@needs_dot
def test_an_accepted_spof_is_orange_not_red(docs):
    import copy

    doc = copy.deepcopy(docs[EXAMPLES / "bas5-guide" / "site.yaml"])
    for f in doc["cells"][0]["findings"]:
        if f["code"] == "HA1004":
            f["accepted"] = "one array, known"
    dot = to_dot(doc)
    assert '"array:ns-fda0" [label="disk array\\nns-fda0", shape=cylinder, color=darkorange' in dot
    assert '"net:admin" [label="network admin", shape=ellipse, color=red' in dot
