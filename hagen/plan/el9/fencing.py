"""Fencing of one HA cell on Pacemaker: the levels, their devices and their delays.

Level 1 is each node's BMC (fence_ipmilan, the password read through password_script).
A BMC loses its power with its node, so a node that lost power cannot be confirmed
through it and every start on the peer would wait forever: level 2 is a device that
does not share the node's power, SBD on a small shared LUN (the cell's quorum LUN, or
`pacemaker.second_level.<cell>.sbd_device`) or a switched PDU
(`pacemaker.second_level.<cell>.pdu`).

Fencing races in a split: by default the node that runs the services survives
(`priority-fencing-delay` with a priority on each service group or target: the delay
follows the services, a fixed delay on one node's device would make that node win even
when the other holds them); `pacemaker.fence_delay: primary` puts a fixed delay on the
primary node instead. `pacemaker.node_fence_delays` adds a node's own delay, written on
every level that can fence it (pcmk_delay_base takes a node map on a shared device).

With a second level, the BMC's attempt is bounded (docs/migration-el9.md, "Fencing"): a
BMC dark with its node fails every attempt, and Pacemaker would otherwise spend the whole
stonith-timeout (60 s, 72 s with its 20 % margin) retrying it before the second level is
tried. Each level-1 device gets pcmk_reboot_timeout/pcmk_off_timeout (the site's
`first_level_timeout` plus the fixed delay that may precede the attempt: Pacemaker 2.1
starts the device's timer before the delay) and pcmk_reboot_retries/pcmk_off_retries
(`first_level_attempts`). A cell with one level keeps Pacemaker's defaults: there is nothing
to fall back on.
"""

from __future__ import annotations

import math

from hagen.check.el9 import seconds
from hagen.model.iocell import fencing_section

PRIMARY_FENCE_DELAY = "10s"
SECTION = {"mngt": "management", "lustre": "lustre", "nfs": "nfs"}
FENCE_OPS = [{"name": "monitor", "interval": "60s", "timeout": "20s"}]


def _stonith(rid: str, agent: str, params: list[tuple[str, str | None]]) -> dict:
    return {"id": rid, "class": "stonith", "provider": None, "type": agent, "meta": [],
            "params": [{"name": k, "value": str(v)} for k, v in params if v is not None], "ops": FENCE_OPS}


def node_delays(site, cell) -> dict[str, str]:
    """The fixed delay of each node of the cell that has one."""
    delays = {}
    if site.get("pacemaker", "fence_delay") == "primary":
        delays[cell.primary_name] = PRIMARY_FENCE_DELAY
    for node, delay in (site.get("pacemaker", "node_fence_delays") or {}).items():
        if node in cell.nodes:
            delays[node] = delay
    return delays


def _node_map(delays: dict, nodes) -> str | None:
    return ";".join(f"{n}:{delays[n]}" for n in nodes if n in delays) or None


def first_level_bound(site, node: str, delays: dict[str, str]) -> list[tuple[str, str]]:
    """The bound on one node's level-1 device when a second level exists: its timeout covers
    the delay the fencer may apply before the attempt (the priority delay, the node's own),
    which Pacemaker 2.1 counts against the device's timer."""
    delay = seconds(delays.get(node, "0"))
    if site.get("pacemaker", "fence_delay") == "priority":
        delay += seconds(site.get("pacemaker", "priority_fencing_delay"))
    timeout = f"{math.ceil(seconds(site.get('pacemaker', 'first_level_timeout')) + delay)}s"
    attempts = str(site.get("pacemaker", "first_level_attempts"))
    return [("pcmk_reboot_timeout", timeout), ("pcmk_reboot_retries", attempts),
            ("pcmk_off_timeout", timeout), ("pcmk_off_retries", attempts)]


def second_level(model, site, cell, delays) -> dict | None:
    """The cell's level-2 device: the site's choice, else SBD on its quorum LUN, else none."""
    choice = (site.get("pacemaker", "second_level") or {}).get(cell.name) or {}
    delay = _node_map(delays, cell.nodes)
    if choice.get("pdu"):
        pdu = choice["pdu"]
        script = f"/bin/cat {pdu['password_path']}" if pdu.get("password_path") else None
        ports = ";".join(f"{n}:{pdu['ports'][n]}" for n in cell.nodes if n in pdu["ports"])
        return _stonith(f"fence_pdu_{cell.name}", pdu["agent"],
                        [("ip", pdu["ip"]), ("username", site.get("pacemaker", "second_level", cell.name, "pdu", "username")), ("password_script", script),
                         ("pcmk_host_map", ports), ("pcmk_delay_base", delay)])
    device = choice.get("sbd_device") or cell.quorum_device
    if device:
        return _stonith(f"fence_sbd_{cell.name}", "fence_sbd",
                        [("devices", device), ("pcmk_host_list", ",".join(cell.nodes)), ("pcmk_delay_base", delay)])
    return None


def sbd_device(site, cell) -> str | None:
    choice = (site.get("pacemaker", "second_level") or {}).get(cell.name) or {}
    if choice.get("pdu"):
        return None
    return choice.get("sbd_device") or cell.quorum_device


def fencing(model, site, cell, password_path: str) -> tuple[list, list, dict | None]:
    """(devices, levels, second level device or None) of the cell."""
    section = fencing_section(site, SECTION[cell.type]) or SECTION[cell.type]
    delays = node_delays(site, cell)
    devices = []
    for name in cell.nodes:
        ctl = model.node(name).controller
        devices.append(_stonith(f"fence_{name}", "fence_ipmilan", [
            ("ip", str(ctl.address)), ("username", site.get(section, "fencing", "login")),
            ("password_script", f"/bin/cat {password_path}"), ("lanplus", "1" if site.get(section, "fencing", "lanplus") else None),
            ("pcmk_host_list", name), ("pcmk_delay_base", delays.get(name))]))
        devices[-1]["node"] = name
    second = second_level(model, site, cell, delays)
    levels = []
    if second is not None:
        for dev in devices:
            dev["params"] += [{"name": k, "value": v} for k, v in first_level_bound(site, dev["node"], delays)]
            levels.append({"id": f"fl_{dev['node']}_1", "target": dev["node"], "index": 1, "devices": dev["id"]})
            levels.append({"id": f"fl_{dev['node']}_2", "target": dev["node"], "index": 2, "devices": second["id"]})
    return devices, levels, second
