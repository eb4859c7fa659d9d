"""The audit as a picture: Graphviz `dot -Tsvg` (Debian package graphviz).

One cluster box per cell holding its nodes, their controllers, services, quorum disk and
the shared devices it serves (Lustre targets, NFS exports, the management pair's
mnttab); networks as ellipses linked to the nodes that have a port there (heartbeat links
thick), dashed fencing links from each node to its peer's controller, the devices and the
quorum disk tied to their disk array. What a single point of failure names (a network, a
disk array, a quorum disk, a link) is drawn in red, an accepted one in orange. The title,
the summary and a legend are part of the image.

No edge carries a label: what a link is (its interface, the network a fencing request
leaves by) is written in the label of the node it belongs to, so that dot's layout keeps
every text apart (an edge label may be drawn over a cell's title).
"""

from __future__ import annotations

import subprocess

from hagen.base.errors import HagenError

RED = "red"
# findings whose first subject is a network (el9-pacemaker: the single corosync link)
NETWORK_CODES = frozenset({"HA1000", "HA1021"})
ORANGE = "darkorange"
FONT = "Helvetica"
LEGEND = (
    ("red", RED, "a single point of failure (what it names)"),
    ("orange", ORANGE, "a single point of failure the site accepts (audit.accepted)"),
    ("thick line", "black", "the link a node's heartbeat runs on"),
    ("dashed line", "blue", "fencing: from the node that fences to the controller it powers off"),
    ("dotted line", "black", "where a service runs in the standard state"),
    ("gray line", "gray", "storage: a node, a device or a quorum disk and its disk array"),
)


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def to_dot(doc: dict) -> str:
    from hagen.audit.report import summary_line

    spof = _spof_subjects(doc, accepted=False)
    accepted = _spof_subjects(doc, accepted=True)

    def colour(kind, subject, default="black"):
        return RED if subject in spof[kind] else ORANGE if subject in accepted[kind] else default

    title = f"{summary_line(doc)}"
    if doc["not_audited"]:
        title += f"\nnot audited: {', '.join(doc['not_audited'])}"
    lines = [f"graph {_q('hagen audit ' + doc['cluster'])} {{", "  rankdir=LR;",
             f"  graph [fontname={_q(FONT)}, labelloc=t, labeljust=l, fontsize=16, label={_q(title)}];",
             f"  node [fontname={_q(FONT)}];", f"  edge [fontname={_q(FONT)}, fontsize=9];"]
    lines += _legend()
    networks = sorted({ln["network"] for c in doc["cells"] for n in c["nodes"] for ln in n["links"]}
                      | {n["fencing"]["controller_network"] for c in doc["cells"] for n in c["nodes"]
                         if n["fencing"] and n["fencing"]["controller_network"]})
    for net in networks:
        color = colour("nets", net)
        lines.append(f"  {_q('net:' + net)} [label={_q('network ' + net)}, shape=ellipse, color={color}, "
                     f"fontcolor={color}];")
    for c in doc["cells"]:
        lines += _cell(c, colour)
    return "\n".join(lines) + "\n}\n"


def _legend() -> list[str]:
    rows = "".join(f'<tr><td align="left"><font color="{color}">{_html(what)}</font></td>'
                   f'<td align="left">{_html(meaning)}</td></tr>' for what, color, meaning in LEGEND)
    return ["  subgraph cluster_legend {", '    label="legend"; color=gray;',
            f'    legend [shape=plaintext, fontsize=10, label=<<table border="0" cellspacing="2">{rows}</table>>];',
            "  }"]


def _cell(c: dict, colour) -> list[str]:
    red = any(f["spof"] and not f["accepted"] for f in c["findings"])
    cid = c["name"]
    lines = [f"  subgraph {_q('cluster_' + cid)} {{",
             f"    label={_q(cid + ' (' + c['type'] + ')')}; color={RED if red else 'black'};"]
    for n in c["nodes"]:
        ports = [f"{ln['interface']}: {ln['network']}" + (" (heartbeat)" if ln["network"] == c["heartbeat"] else "")
                 for ln in n["links"]]
        lines.append(f"    {_q('node:' + n['name'])} [label={_q(chr(10).join([n['name'], *ports]))}, shape=box];")
        f = n["fencing"]
        if f:
            text = [f["controller"] or f["device"], f["address"], f"fenced by {f['fenced_by']} via {f['via']}"]
            lines.append(f"    {_q('bmc:' + n['name'])} [label={_q(chr(10).join(text))}, shape=box, style=rounded, "
                         "fontsize=10];")
    for s in c["services"]:
        lines.append(f"    {_q('svc:' + cid + ':' + s['name'])} [label={_q('service ' + s['name'])}, shape=note, "
                     "fontsize=10];")
    q = c["quorum"]["device"]
    if q:
        color = colour("qdisks", (cid, q))
        lines.append(f"    {_q('qdisk:' + cid)} [label={_q('quorum disk' + chr(10) + q)}, shape=cylinder, "
                     f"color={color}, fontcolor={color}, fontsize=10];")
    devices = [d for d in c["storage"]["devices"] if d["use"] != "quorum disk"]
    for d in devices:
        lines.append(f"    {_q('dev:' + cid + ':' + d['path'])} [label={_q(_device_label(c, d))}, shape=folder, "
                     "fontsize=10];")
    lines.append("  }")
    for s in c["services"]:
        if s["members"]:
            lines.append(f"  {_q('svc:' + cid + ':' + s['name'])} -- {_q('node:' + s['members'][0])} [style=dotted];")
    for n in c["nodes"]:
        lines += _node_edges(c, n, colour)
    lines += _later_levels(c)
    for array in c["storage"]["disk_arrays"]:
        color = colour("arrays", array)
        lines.append(f"  {_q('array:' + array)} [label={_q('disk array' + chr(10) + array)}, shape=cylinder, "
                     f"color={color}, fontcolor={color}];")
    for d in c["storage"]["devices"]:
        if d["disk_array"]:
            end = 'qdisk:' + cid if d["use"] == "quorum disk" else 'dev:' + cid + ':' + d["path"]
            lines.append(f"  {_q(end)} -- {_q('array:' + d['disk_array'])} [color={colour('arrays', d['disk_array'], 'gray')}];")
    return lines


def _device_label(c: dict, d: dict) -> str:
    if c["type"] == "lustre":
        return f"{d['use']}\n{d['path']}"                         # "OST data_ost0"
    return f"{'export' if c['type'] == 'nfs' else 'mnttab'} {d['use']}\n{d['path']}"


def _node_edges(c: dict, n: dict, colour) -> list[str]:
    lines = []
    for ln in n["links"]:
        color = colour("nets", ln["network"])
        if color == "black":
            color = colour("links", (n["name"], ln["network"]))
        thick = ", penwidth=3" if ln["network"] == c["heartbeat"] or ln["network"] in _knet(c) else ""
        lines.append(f"  {_q('node:' + n['name'])} -- {_q('net:' + ln['network'])} [color={color}{thick}];")
    f = n["fencing"]
    if f:
        color = colour("nets", f["via"], "blue")
        lines.append(f"  {_q('node:' + (f['fenced_by'] or n['name']))} -- {_q('bmc:' + n['name'])} "
                     f"[style=dashed, color={color}];")
        if f["controller_network"]:
            lines.append(f"  {_q('bmc:' + n['name'])} -- {_q('net:' + f['controller_network'])} [color=gray];")
    for array in c["storage"]["disk_arrays"]:
        lines.append(f"  {_q('node:' + n['name'])} -- {_q('array:' + array)} [color={colour('arrays', array, 'gray')}];")
    return lines


def _spof_subjects(doc, accepted: bool) -> dict[str, set]:
    """What the single points of failure name (accepted ones, or the others): networks, disk
    arrays, (cell, quorum disk), (node, network) links."""
    found = {"nets": set(), "arrays": set(), "qdisks": set(), "links": set()}
    for c in doc["cells"]:
        for f in c["findings"]:
            if not f["spof"] or bool(f["accepted"]) != accepted:
                continue
            if f["code"] in NETWORK_CODES:
                found["nets"].add(f["subjects"][0])
            elif f["code"] in ("HA1001", "HA1022"):
                found["links"].add((f["subjects"][2], f["subjects"][0]))
            elif f["code"] == "HA1002":
                found["qdisks"].add((c["name"], f["subjects"][0]))
            elif f["code"] == "HA1004":
                found["arrays"].add(f["subjects"][0])
    return found


def run_dot(dot_text: str, fmt: str) -> bytes:
    """dot -T<fmt> of the text (svg for the picture, json for its layout)."""
    try:
        proc = subprocess.run(["dot", f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=120)
    except FileNotFoundError:
        raise HagenError("Graphviz's dot is not installed: install the Debian package graphviz, or use "
                         "--format text or json")
    except subprocess.TimeoutExpired:
        raise HagenError("dot took more than 120 s to draw the audit")
    if proc.returncode != 0:
        raise HagenError(f"dot failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def to_svg(doc: dict) -> str:
    return run_dot(to_dot(doc), "svg").decode()


def _later_levels(cell) -> list[str]:
    """An el9 cell's fencing levels after the first: a dashed link from the fencer to each device
    (an SBD disk drawn as a cylinder), the levels it serves written in the device's own box."""
    devices = {d["id"]: d for d in cell.get("stonith", {}).get("devices", [])}
    served: dict = {}
    edges = []
    for n in cell["nodes"]:
        fencer = n["fencing"]["fenced_by"] if n.get("fencing") else None
        for level in n.get("levels", [])[1:]:
            for dev_id in level["devices"]:
                if dev_id not in devices or fencer is None:
                    continue
                served.setdefault(dev_id, []).append(f"level {level['index']} for {n['name']}")
                edges.append((fencer, dev_id))
    lines = []
    for dev_id, levels in served.items():
        dev = devices[dev_id]
        label = "\n".join([dev_id, *([", ".join(dev["disks"])] if dev["disks"] else []), *levels])
        lines.append(f"  {_q('fencedev:' + cell['name'] + ':' + dev_id)} [label={_q(label)}, "
                     f"shape={'cylinder' if dev['disks'] else 'box'}, fontsize=10];")
    for fencer, dev_id in dict.fromkeys(edges):
        lines.append(f"  {_q('node:' + fencer)} -- {_q('fencedev:' + cell['name'] + ':' + dev_id)} "
                     "[style=dashed, color=blue];")
    return lines


def _knet(cell) -> set:
    """The networks an el9-pacemaker cell's corosync links ride (drawn thick as a heartbeat)."""
    return {ln["network"] for ln in cell.get("corosync", {}).get("links", [])}
