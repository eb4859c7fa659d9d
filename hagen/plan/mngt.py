"""The management pair's artifacts (guide 2.3, 2.4, 3.1.2-3.1.4, 4.1)."""

from __future__ import annotations

from ipaddress import IPv4Network

from hagen.model.cman import cluster_name
from hagen.model.quorum import quorum_context
from hagen.model.mngt import (addressed_devices, bonding_options, bonds, interface_on, management_pair,
                              route_destinations)
from hagen.model.services import start_lines, stop_lines
from hagen.plan import Artifact

HA = "/etc/HA"
NETWORK_SCRIPTS = "/etc/sysconfig/network-scripts"


def plan(model, site, secret) -> list[Artifact]:
    pair = management_pair(model)
    if pair is None or site.get("management") is None:
        return []
    both = pair.host_names
    cell_row = f"clusterdb da_iocell[name={pair.cell.name}]"
    m = "site management"
    out = [
        Artifact(f"{HA}/start", both, "mngt/ha_services.j2",
                 {"action": "start", "lines": _lines(start_lines(site))}, sources=(f"{m}.services", f"{m}.optional_groups")),
        Artifact(f"{HA}/stop", both, "mngt/ha_services.j2",
                 {"action": "stop", "lines": _lines(stop_lines(site))},
                 sources=(f"{m}.services", f"{m}.optional_groups", f"{m}.stop")),
        Artifact(f"{HA}/status", both, "mngt/ha_status.j2", {}, sources=(f"{m}.status",)),
        Artifact(f"{HA}/ip", both, "mngt/ha_ip.j2", {"aliases": _aliases(model, site, pair)},
                 sources=(cell_row, "clusterdb metaservice_port", "site network.bonding")),
        Artifact(f"{HA}/mnttab", both, "mngt/ha_mnttab.j2", {"mounts": site.get("management", "mnttab")},
                 sources=(f"{m}.mnttab",)),
    ]
    for name in ("cron", "links", "pid2clean", "synchro"):
        out.append(Artifact(f"{HA}/{name}", both, "mngt/ha_list.j2",
                            {"file": name, "entries": site.get("management", name)}, sources=(f"{m}.{name}",)))
    out.append(_cluster_conf(model, site, pair, secret))
    out += _interfaces(model, site, pair)
    out += _ntp(model, site, pair)
    out.append(_syslog_ng(model, site, pair))
    return out


def _lines(service_lines) -> list[dict]:
    return [{"command": ln.command, "live": ln.live, "comment": ln.comment, "blank_before": ln.blank_before}
            for ln in service_lines]


def _aliases(model, site, pair) -> list[dict]:
    out = []
    for alias in pair.cell.aliases:
        net = model.network(alias.network)
        out.append({"interface": interface_on(site, pair.primary, alias.network),
                    "address": f"{alias.address}/{net.prefix}", "name": alias.name})
    return out


def _cluster_conf(model, site, pair, secret) -> Artifact:
    fencing = site.get("management", "fencing")
    heartbeat = model.role_network(site.get("management", "heartbeat"))
    nodes, devices = [], []
    for nodeid, node in enumerate(pair.nodes, 1):
        ctl = node.controller
        device = {"name": f"fence_{node.name}", "ipaddr": str(ctl.address), "login": fencing["login"],
                  "passwd": secret}
        if ctl.type == "pap":
            device["agent"] = "fence_bullpap"
            device["lanplus"] = False
            domain = fencing["pap_domains"][node.name]
        else:
            device["agent"] = "fence_ipmilan"
            device["lanplus"] = bool(fencing["lanplus"])
            domain = None
        devices.append(device)
        nodes.append({"name": heartbeat.host_name(node.name), "nodeid": nodeid,
                      "fence_device": device["name"], "pap_domain": domain})
    service = site.get("management", "service_name")
    context = {
        "name": cluster_name(pair.cell, site),
        "quorum": quorum_context(model, site, pair.cell),
        "post_join_delay": site.get("management", "post_join_delay"),
        "nodes": nodes,
        "fence_devices": devices,
        "domain": f"{service}_domain",
        "service": service,
        "autostart": bool(site.get("management", "autostart")),
        "script": f"{HA}/bin/haservices",
    }
    return Artifact("/etc/cluster/cluster.conf", pair.host_names, "cluster/mngt.conf.xml.j2", context,
                    mode=0o600,
                    sources=(f"clusterdb da_iocell[name={pair.cell.name}]",
                             *(f"clusterdb node[name={n.name}]" for n in pair.nodes),
                             *(f"clusterdb hwmanager[name={n.controller.name}]" for n in pair.nodes),
                             f"clusterdb network[name={heartbeat.name}]",
                             "site management.fencing", "site management.service_name", "site management.heartbeat",
                             *(("site quorum",) if pair.cell.quorum_device else ())))


def _interfaces(model, site, pair) -> list[Artifact]:
    out = []
    module_options, per_bond = bonding_options(site)
    for node in pair.nodes:
        host = (node.name,)
        for port, net, bond, device in addressed_devices(model, site, node):
            keys = [("DEVICE", device), ("ONBOOT", "yes")]
            if bond:
                keys.append(("TYPE", "Bonding"))
                if bond.name in per_bond:     # quoted: the options are blank-separated (HA107 keeps quotes out)
                    keys.append(("BONDING_OPTS", f'"{per_bond[bond.name]}"'))
            else:
                keys.append(("TYPE", "InfiniBand" if net.techno == "infiniband" else "Ethernet"))
            keys += [("BOOTPROTO", "none"), ("NETMASK", net.netmask), ("IPADDR", str(port.address)),
                     ("USERCTL", "no"), ("PEERDNS", "no"), ("IPV6INIT", "no"), ("NOZEROCONF", "yes")]
            row = f"clusterdb node_port[node={node.name}, interface={port.interface}]"
            out.append(Artifact(f"{NETWORK_SCRIPTS}/ifcfg-{device}", host, "network/ifcfg.j2",
                                {"keys": keys}, sources=(row, f"clusterdb network[name={net.name}]", "site network.bonding")))
            if bond:
                for slave in bond.slaves:
                    slave_keys = [("DEVICE", slave), ("ONBOOT", "yes"), ("TYPE", "Ethernet"), ("SLAVE", "yes"),
                                  ("MASTER", bond.name), ("ISALIAS", "no"), ("BOOTPROTO", "none"),
                                  ("NOZEROCONF", "yes")]
                    out.append(Artifact(f"{NETWORK_SCRIPTS}/ifcfg-{slave}", host, "network/ifcfg.j2",
                                        {"keys": slave_keys}, sources=("site network.bonding",)))
            if net.gateway is not None:
                dests = route_destinations(site, net)
                if dests:
                    entries = [{"address": str(IPv4Network(d).network_address), "netmask": str(IPv4Network(d).netmask),
                                "gateway": str(net.gateway)} for d in dests]
                    out.append(Artifact(f"{NETWORK_SCRIPTS}/route-{device}", host, "network/route.j2",
                                        {"routes": entries},
                                        sources=(f"clusterdb network[name={net.name}]", f"site network.routes.{net.name}")))
    all_bonds = bonds(site)
    if all_bonds:
        style = site.get("network", "bonding", "modprobe")
        path = "/etc/modprobe.conf" if style == "modprobe.conf" else "/etc/modprobe.d/bonding.conf"
        out.append(Artifact(path, pair.host_names, "network/bonding.conf.j2",
                            {"bonds": [b.name for b in all_bonds], "options": module_options},
                            sources=("site network.bonding",)))
    return out


def _ntp(model, site, pair) -> list[Artifact]:
    admin = model.role_network("admin")
    serve = [{"address": str(IPv4Network(n).network_address), "mask": str(IPv4Network(n).netmask)}
             for n in site.get("ntp", "serve")]
    out = []
    for node in pair.nodes:
        peer = pair.peer(node).port_on(admin.name)
        context = {"peer": str(peer.address), "serve": serve, "servers": site.get("ntp", "servers"),
                   "local_clock": site.get("ntp", "local_clock"), "stratum": site.get("ntp", "stratum")}
        out.append(Artifact("/etc/ntp.conf", (node.name,), "mngt/ntp.conf.j2", context,
                            sources=(f"clusterdb node_port[node={pair.peer(node).name}, network={admin.name}]", "site ntp")))
    return out


def _syslog_ng(model, site, pair) -> Artifact:
    to_active = site.get("syslog_ng", "passive_logs_to_active")
    destination = "127.0.0.1"
    if to_active:
        alias = model.admin_alias(pair.cell)
        destination = str(alias.address) if alias else destination
    context = {"version": site.get("syslog_ng", "version"), "port": site.get("syslog_ng", "port"),
               "destination": destination}
    return Artifact("/etc/syslog-ng/syslog-ng.conf", pair.host_names, "mngt/syslog-ng.conf.j2", context,
                    sources=("site syslog_ng", f"clusterdb metaservice_port (cell {pair.cell.name})"))
