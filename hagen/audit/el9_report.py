"""An el9-pacemaker cell in the audit document (JSON, stable keys) and as text.

The cell carries `stack: el9-pacemaker`; the keys it shares with a cman cell (name,
type, cluster_name, heartbeat, nodes with links and fencing, quorum, services,
storage, aliases, failures, findings) mean the same, so the SVG draws both alike.
"""

from __future__ import annotations

from hagen.audit.el9_facts import STACK, El9Cell
from hagen.audit.el9_failures import route


def _device(cell: El9Cell, dev) -> dict:
    return {"id": dev.id, "agent": dev.agent, "address": dev.address, "network": dev.network, "login": dev.login,
            "targets": list(dev.targets), "delay_base": {t: dev.delay(t) for t in dev.targets}, "delay_max": dev.delay_max,
            "loses_power_with": dev.powered_by, "disks": list(dev.disks),
            "enabled": dev.enabled, "reboot_timeout": dev.reboot_timeout or cell.stonith_timeout,
            "reboot_attempts": dev.reboot_attempts}


def _fencing(cell: El9Cell, node) -> dict | None:
    """The first level's first device, in the keys of a cman cell's fencing."""
    if not node.levels or not node.levels[0].devices or cell.device(node.levels[0].devices[0]) is None:
        return None
    dev = cell.device(node.levels[0].devices[0])
    peer = cell.peer(node.name).name
    return {"device": dev.id, "agent": dev.agent, "address": dev.address or "", "login": dev.login or "",
            "lanplus": None, "controller": dev.id, "controller_network": dev.network, "fenced_by": peer,
            "via": route(cell, peer, dev)}


def cell_summary(cell: El9Cell) -> dict:
    return {
        "stack": STACK,
        "name": cell.name, "type": cell.type, "cluster_name": cell.cluster_name, "heartbeat": cell.heartbeat,
        "corosync": {"links": [{"link": ln.number, "network": ln.network,
                                "addresses": {n: a for n, a in ln.addresses}} for ln in cell.knet],
                     "two_node": cell.two_node, "crypto_cipher": cell.crypto},
        "nodes": [{"name": n.name,
                   "links": [{"network": ln.network, "interface": ln.interface, "slaves": list(ln.slaves)}
                             for ln in n.links],
                   "fencing": _fencing(cell, n),
                   "levels": [{"index": lv.index, "devices": list(lv.devices), "written": lv.written}
                              for lv in n.levels]} for n in cell.nodes],
        "stonith": {"enabled": cell.stonith_enabled, "priority_fencing_delay": cell.priority_fencing_delay,
                    "timeout": cell.stonith_timeout,
                    "devices": [_device(cell, d) for d in cell.devices]},
        "sbd": dict(cell.sbd),
        "quorum": {"two_node": cell.two_node, "expected_votes": None, "device": None, "label": None,
                   "heuristics": []},
        "services": [{"name": s.name, "kind": s.kind, "members": list(s.preferred),
                      "resources": [r.id for r in s.members], "meta": dict(s.meta)} for s in cell.services],
        "addresses": [{"resource": a.resource, "service": a.service, "address": a.address, "network": a.network,
                       "nic": a.nic} for a in cell.addresses],
        "link_monitors": [{"id": m.id, "agent": m.agent, "interface": m.interface, "hosts": list(m.hosts),
                           "attribute": m.attribute, "guards": list(m.guards), "reacts_within": m.reacts_s}
                          for m in cell.monitors],
        "constraints": [{"kind": c.kind, "id": c.id, "rsc": c.rsc, "other": c.other, "score": c.score,
                         "rule_attributes": list(c.rule_attributes)} for c in cell.constraints],
        "rsc_defaults": dict(cell.defaults),
        "storage": {"disk_arrays": list(cell.disk_arrays),
                    "devices": [{"path": d.path, "use": d.use, "disk_array": d.array} for d in cell.storage]},
        "aliases": [{"name": a.name, "network": a.network, "address": a.address} for a in cell.aliases],
    }


def _facts_text(cell: dict) -> list[str]:
    c = cell["corosync"]
    links = ", ".join(f"link {ln['link']} on {ln['network']}" for ln in c["links"])
    st = cell["stonith"]
    lines = [f"== cell {cell['name']} ({cell['type']}, Pacemaker cluster {cell['cluster_name']})",
             f"corosync: {links or 'no link'}; two_node {'yes' if c['two_node'] else 'no'}; "
             f"crypto {c['crypto_cipher']}",
             f"stonith-enabled {'true' if st['enabled'] else 'false'}; priority-fencing-delay "
             f"{st['priority_fencing_delay']:g}s"]
    for n in cell["nodes"]:
        nics = ", ".join(f"{ln['network']} by {ln['interface']}" + (f" ({'+'.join(ln['slaves'])})" if ln["slaves"]
                                                                   else "") for ln in n["links"])
        lines.append(f"node {n['name']}: {nics}")
        for lv in n["levels"]:
            lines.append(f"  fencing level {lv['index']}: {', '.join(lv['devices'])}"
                         + ("" if lv["written"] else " (no fencing-topology: every device able to fence it)"))
    for d in st["devices"]:
        where = f" at {d['address']} on {d['network']}" if d["address"] else ""
        disks = f" on {', '.join(d['disks'])}" if d["disks"] else ""
        delays = ", ".join(f"{t} {s:g}s" for t, s in d["delay_base"].items())
        lines.append(f"stonith {d['id']}: {d['agent']}{where}{disks}, fences {', '.join(d['targets'])}, delay "
                     f"{delays}" + (f" + random {d['delay_max']:g}s" if d["delay_max"] else "")
                     + (f", loses power with {d['loses_power_with']}" if d["loses_power_with"] else "")
                     + ("" if d["enabled"] else ", DISABLED (target-role=Stopped)"))
    if cell["sbd"]:
        lines.append(f"sbd: device {cell['sbd'].get('SBD_DEVICE', '?')}, watchdog "
                     f"{cell['sbd'].get('SBD_WATCHDOG_DEV', '?')}")
    for s in cell["services"]:
        lines.append(f"{s['kind']} {s['name']}: prefers {' > '.join(s['members']) or 'no node'}, "
                     f"{len(s['resources'])} resource(s)")
    for a in cell["addresses"]:
        lines.append(f"address {a['address']} ({a['resource']}) on {a['network']}" + (f" by {a['nic']}" if a["nic"]
                                                                                       else ""))
    for m in cell["link_monitors"]:
        what = m["interface"] or " ".join(m["hosts"])
        lines.append(f"link monitor {m['id']}: {m['agent']} {what}, attribute {m['attribute']}, read by "
                     f"{', '.join(m['guards']) or 'no location rule'}")
    if not cell["link_monitors"]:
        lines.append("link monitors: none")
    for c in cell["constraints"]:
        reads = f", rule on {', '.join(c['rule_attributes'])}" if c["rule_attributes"] else ""
        lines.append(f"constraint {c['id']}: {c['kind']} {c['rsc']} {c['other'] or ''} score {c['score']}{reads}")
    lines.append("rsc_defaults: " + (", ".join(f"{k}={v}" for k, v in cell["rsc_defaults"].items()) or "none"))
    st = cell["storage"]
    lines.append(f"disk arrays: {', '.join(st['disk_arrays']) or 'none'}")
    lines += [f"  {d['path']}: {d['use']} on {d['disk_array'] or 'an unknown array'}" for d in st["devices"]]
    return lines


def cell_text(cell: dict, failures_and_findings) -> list[str]:
    """The el9 cell's facts, then its failures and findings as report.py writes a cman cell's."""
    return _facts_text(cell) + failures_and_findings(cell)
