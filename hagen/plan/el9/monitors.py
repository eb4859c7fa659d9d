"""What watches a cell's links for Pacemaker, as rgmanager's `monitor_link` and cman's
quorum-disk heuristic did.

IPaddr2 does not watch its link: when a service NIC dies corosync goes on over its other
knet link, the node stays quorate and the clients' address stays on a dead NIC. So every
interface that carries a service address gets an `ocf:heartbeat:ethmonitor` clone (a
bond counts as one interface: it is down when all its ports are), and each service group
a location rule that bans it from a node whose link is down. `pacemaker.ping` adds an
`ocf:pacemaker:ping` clone toward the clients' networks, and `pacemaker.lnet_health` an
`ocf:lustre:healthLNET` clone in the Lustre cells.

The rules test `lt 1`: an attribute not yet set (the monitor has not run, or an offline
crm_simulate) bans nothing, a link seen down (0) bans.
"""

from __future__ import annotations

from hagen.plan.el9.ops import resource, xml_id


def _clone(primitive: dict) -> dict:
    return {"id": f"{primitive['id']}-clone", "resource": primitive}


def link_monitors(interfaces: list[str]) -> list[tuple[dict, str]]:
    """(clone, node attribute) of an ethmonitor per service interface, in order, once each."""
    out, seen = [], set()
    for nic in interfaces:
        if not nic or nic in seen:
            continue
        seen.add(nic)
        attribute = f"ethmonitor-{nic}"
        # the carrier only, as monitor_link read it: the agent's packet and arping probes would
        # call a quiet standby's link down, and IPoIB (an NFS alias on ib0) answers no arping
        mon = resource(xml_id("ethmonitor", nic), "ocf", "ethmonitor",
                       [("interface", nic), ("name", attribute), ("link_status_only", "true")], "heartbeat")
        out.append((_clone(mon), attribute))
    return out


def ping_monitor(site) -> tuple[dict, str] | None:
    conf = site.get("pacemaker", "ping")
    if not conf:
        return None
    mon = resource("ping", "ocf", "ping", [("host_list", " ".join(conf["host_list"])), ("name", "pingd"),
                                          ("multiplier", 1000), ("dampen", "5s")], "pacemaker")
    return _clone(mon), "pingd"


def lnet_monitor(site) -> tuple[dict, str] | None:
    conf = site.get("pacemaker", "lnet_health")
    if not conf:
        return None
    mon = resource("lnet_health", "ocf", "healthLNET",
                   [("name", "lnet_health"), ("lctl", "true"), ("host_list", " ".join(conf["nids"])),
                    ("multiplier", 1000), ("dampen", "5s")], "lustre")
    return _clone(mon), "lnet_health"


def ban_rules(rsc: str, attributes: list[str]) -> list[dict]:
    """A location rule per attribute: -INFINITY for the resource where the attribute is below 1."""
    return [{"id": xml_id("link", rsc, attribute), "rsc": rsc, "attribute": attribute} for attribute in attributes]
