"""The audit document as text for people and as JSON for machines (stable keys)."""

from __future__ import annotations

import json

from hagen.base.reports import one_line

CLASSES = {
    "node_crash": "node crash",
    "network_down": "network down",
    "bmc_unreachable": "BMC unreachable",
    "bond_slave_lost": "bond slave lost",
    "link_lost": "link lost",
    "disk_array_lost": "disk array lost",
    "lun_lost": "shared LUN lost",
    "quorum_device_lost": "quorum device lost",
    # el9-pacemaker cells (hagen.audit.el9_failures)
    "node_power_lost": "node power lost",
    "knet_link_lost": "corosync link lost",
    "fence_device_lost": "fence device lost",
    "service_nic_lost": "service NIC lost",
    "monitor_failure": "monitor failure",
    "failed_stop": "failed stop",
    "daemon_killed": "daemon killed",
    "node_rejoins": "node rejoins",
    "ping_target_lost": "ping target lost",
    # network_down (above) is played on el9 cells too
}


def to_json(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_text(doc: dict) -> str:
    out = [summary_line(doc)]
    if doc["not_audited"]:
        out.append(f"not audited: {', '.join(doc['not_audited'])} ({doc['not_audited_why']})")
    for r in doc["accepted_reports"]:
        out.append(f"accepted {r['severity']} {r['code']} ({r['location']}): {r['message']}")
        out.append(f"    accepted: {r['accepted']}")
    for cell in doc["cells"]:
        out += [""] + _cell(cell)
    return "\n".join(one_line(line) for line in out) + "\n"


def summary_line(doc: dict) -> str:
    s = doc["summary"]
    return (f"hagen audit of cluster {doc['cluster']}: {s['cells']} HA cell(s), {s['spofs']} single point(s) of "
            f"failure, {s['warnings']} warning(s)" + (f", {s['accepted']} accepted" if s["accepted"] else ""))


def finding_lines(f: dict) -> list[str]:
    """A finding as an ordinary report prints: its severity (the registry's) and code first."""
    what = f"single point of failure; guide {f['guide']}" if f["spof"] else f"guide {f['guide']}"
    lines = [f"{'accepted ' if f['accepted'] else ''}{f['severity']} {f['code']} ({what}): {f['message']}",
             f"    stops: {f['stops']}", f"    hint: {f['hint']}"]
    if f["accepted"]:
        lines.append(f"    accepted: {f['accepted']}")
    return lines


def _cell(cell: dict) -> list[str]:
    if cell.get("stack"):
        from hagen.audit.el9_report import cell_text

        return cell_text(cell, _outcomes)
    q = cell["quorum"]
    if q["device"]:
        quorum = f"quorum disk {q['device']}" + (f" (label {q['label']})" if q["label"] else "") + \
            (f", heuristics: {'; '.join(q['heuristics'])}" if q["heuristics"] else ", no heuristic")
    else:
        quorum = "two_node, no quorum disk" if q["two_node"] else f"expected_votes {q['expected_votes']}"
    lines = [f"== cell {cell['name']} ({cell['type']}, cman cluster {cell['cluster_name']})",
             f"heartbeat network: {cell['heartbeat']}", f"quorum: {quorum}"]
    for n in cell["nodes"]:
        links = ", ".join(f"{ln['network']} by {ln['interface']}" + (f" ({'+'.join(ln['slaves'])})" if ln["slaves"] else "")
                          for ln in n["links"])
        lines.append(f"node {n['name']} (heartbeat name {n['heartbeat_host']}): {links}")
        f = n["fencing"]
        if f:
            lines.append(f"  fenced by {f['fenced_by']} through {f['device']} ({f['agent']}, controller "
                         f"{f['controller']} at {f['address']} on {f['controller_network']}, login {f['login']}), "
                         f"requests leave by {f['via']}")
    for s in cell["services"]:
        extra = [f"alias {a}" for a in s["addresses"]] + [f"{x['device']} on {x['mount_point']}" for x in s["filesystems"]]
        lines.append(f"service {s['name']}: {' > '.join(s['members'])}, autostart {'yes' if s['autostart'] else 'no'}, "
                     f"recovery {s['recovery']}, script {', '.join(s['scripts'])}" + (f"; {', '.join(extra)}" if extra else ""))
    for a in cell["aliases"]:
        lines.append(f"alias {a['name']}: {a['address']} on {a['network']}")
    st = cell["storage"]
    lines.append(f"disk arrays: {', '.join(st['disk_arrays']) or 'none'}")
    for d in st["devices"]:
        lines.append(f"  {d['path']}: {d['use']} on {d['disk_array'] or 'an unknown array'}")
    return lines + _outcomes(cell)


def _outcomes(cell: dict) -> list[str]:
    """A cell's failures and findings, whatever its stack."""
    lines = ["", "single failures:"]
    for f in cell["failures"]:
        lines.append(f"- {CLASSES[f['failure']]}: {f['subject']}")
        lines.append(f"    {f['effect']}")
        if f["fenced"]:
            lines.append("    fenced: " + ", ".join(f"{x['node']} by {x['by']} (via {x['via']})" for x in f["fenced"]))
        if f["moves"]:
            lines.append("    moves: " + ", ".join(f"{m['service']} {m['from']} -> {m['to']}" for m in f["moves"]))
        lines.append("    lost: " + ("; ".join(f["lost"]) if f["lost"] else "nothing"))
        lines.append(f"    guide {f['guide']}: " + ("agrees" if f["agrees"] else f"differs: {f['differs']}"))
    lines += ["", "single points of failure and warnings:" if cell["findings"] else "no single point of failure found"]
    for f in cell["findings"]:
        lines += finding_lines(f)
    return lines
