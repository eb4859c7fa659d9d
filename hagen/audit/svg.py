"""The audit as a picture: Graphviz `dot -Tsvg` (Debian package graphviz).

One cluster box per cell holding its nodes; networks as ellipses, linked to the nodes
that have a port there (heartbeat links bold), dashed fencing links from each node to
its peer's controller, storage links to the disk arrays. What a single point of failure
names (a network, a disk array, a quorum disk) is drawn in red.
"""

from __future__ import annotations

import subprocess

from hagen.errors import HagenError

RED = "red"


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(doc: dict) -> str:
    spof_nets, spof_arrays, spof_qdisks, spof_links = _spof_subjects(doc)
    lines = [f"graph {_q('hagen audit ' + doc['cluster'])} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=9];']
    networks = sorted({ln["network"] for c in doc["cells"] for n in c["nodes"] for ln in n["links"]}
                      | {n["fencing"]["controller_network"] for c in doc["cells"] for n in c["nodes"]
                         if n["fencing"] and n["fencing"]["controller_network"]})
    for net in networks:
        color = RED if net in spof_nets else "black"
        lines.append(f"  {_q('net:' + net)} [label={_q('network ' + net)}, shape=ellipse, color={color}, fontcolor={color}];")
    for c in doc["cells"]:
        red = any(f["spof"] and not f["accepted"] for f in c["findings"])
        lines.append(f"  subgraph {_q('cluster_' + c['name'])} {{")
        lines.append(f"    label={_q(c['name'] + ' (' + c['type'] + ')')}; color={RED if red else 'black'};")
        for n in c["nodes"]:
            lines.append(f"    {_q('node:' + n['name'])} [label={_q(n['name'])}, shape=box];")
            if n["fencing"]:
                f = n["fencing"]
                lines.append(f"    {_q('bmc:' + n['name'])} [label={_q((f['controller'] or f['device']) + chr(10) + f['address'])}, "
                             "shape=box, style=rounded, fontsize=10];")
        for s in c["services"]:
            lines.append(f"    {_q('svc:' + c['name'] + ':' + s['name'])} [label={_q(s['name'])}, shape=note, fontsize=10];")
        q = c["quorum"]["device"]
        if q:
            color = RED if (c["name"], q) in spof_qdisks else "black"
            lines.append(f"    {_q('qdisk:' + c['name'])} [label={_q('quorum disk ' + q)}, shape=cylinder, color={color}, "
                         f"fontcolor={color}, fontsize=10];")
        lines.append("  }")
        for s in c["services"]:
            if s["members"]:
                lines.append(f"  {_q('svc:' + c['name'] + ':' + s['name'])} -- {_q('node:' + s['members'][0])} [style=dotted];")
        for n in c["nodes"]:
            for ln in n["links"]:
                bold = ln["network"] == c["heartbeat"]
                color = RED if ln["network"] in spof_nets or (n["name"], ln["network"]) in spof_links else "black"
                lines.append(f"  {_q('node:' + n['name'])} -- {_q('net:' + ln['network'])} [label={_q(ln['interface'] or '')}, "
                             f"color={color}{', style=bold' if bold else ''}];")
            f = n["fencing"]
            if f:
                color = RED if f["via"] in spof_nets else "blue"
                lines.append(f"  {_q('node:' + (f['fenced_by'] or n['name']))} -- {_q('bmc:' + n['name'])} "
                             f"[label={_q('fences via ' + str(f['via']))}, style=dashed, color={color}];")
                if f["controller_network"]:
                    lines.append(f"  {_q('bmc:' + n['name'])} -- {_q('net:' + f['controller_network'])} [color=gray];")
            if q:
                lines.append(f"  {_q('node:' + n['name'])} -- {_q('qdisk:' + c['name'])} [color=gray];")
            for array in c["storage"]["disk_arrays"]:
                color = RED if array in spof_arrays else "gray"
                lines.append(f"  {_q('node:' + n['name'])} -- {_q('array:' + array)} [color={color}];")
        for array in c["storage"]["disk_arrays"]:
            color = RED if array in spof_arrays else "black"
            lines.append(f"  {_q('array:' + array)} [label={_q('disk array ' + array)}, shape=cylinder, color={color}, "
                         f"fontcolor={color}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _spof_subjects(doc) -> tuple[set, set, set, set]:
    """What the SPOFs name: networks, disk arrays, (cell, quorum disk), (node, network) links."""
    nets, arrays, qdisks, links = set(), set(), set(), set()
    for c in doc["cells"]:
        for f in c["findings"]:
            if not f["spof"] or f["accepted"]:
                continue
            if f["code"] == "HA1000":
                nets.add(f["subjects"][0])
            elif f["code"] == "HA1001":
                links.add((f["subjects"][2], f["subjects"][0]))
            elif f["code"] == "HA1002":
                qdisks.add((c["name"], f["subjects"][0]))
            elif f["code"] == "HA1004":
                arrays.add(f["subjects"][0])
    return nets, arrays, qdisks, links


def to_svg(doc: dict) -> str:
    try:
        proc = subprocess.run(["dot", "-Tsvg"], input=to_dot(doc).encode(), capture_output=True, timeout=120)
    except FileNotFoundError:
        raise HagenError("Graphviz's dot is not installed: install the Debian package graphviz, or use "
                         "--format text or json")
    except subprocess.TimeoutExpired:
        raise HagenError("dot took more than 120 s to draw the audit")
    if proc.returncode != 0:
        raise HagenError(f"dot failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()
