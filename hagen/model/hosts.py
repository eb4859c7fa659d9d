"""/etc/hosts from the ClusterDB (in place of `dbmConfig configure --service syshosts`,
guide 3.1.1 and 9.4 step 3): every node's address on every network under its
<node>-<suffix> name, every controller, the aliases of every cell, and the site's extras."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from hagen.model import Model
from hagen.model.names import natural_key
from hagen.reports import Where


@dataclass(frozen=True, slots=True)
class HostEntry:
    address: str
    names: tuple[str, ...]
    where: Where                       # the row or site key it comes from


@dataclass(frozen=True, slots=True)
class HostSection:
    title: str
    entries: tuple[HostEntry, ...]


def host_sections(model: Model, site) -> list[HostSection]:
    """The sections of /etc/hosts, in file order: one per network (its node ports and controllers,
    natural order), one per cell (its aliases), then the site's extras."""
    per_net: dict[str, list[HostEntry]] = {net.name: [] for net in model.networks}
    for node in model.nodes:
        for port in node.ports:
            net = model.network(port.network)
            if port.address is None or net is None:
                continue
            per_net[net.name].append(HostEntry(str(port.address), (net.host_name(node.name),),
                                               Where(table="node_port", row=f"node={node.name}, network={net.name}")))
    loose = []
    seen = set()
    for node in model.nodes:
        ctl = node.controller
        if ctl is None or ctl.address is None or ctl.name in seen:
            continue
        seen.add(ctl.name)
        entry = HostEntry(str(ctl.address), (ctl.name,), Where(table="hwmanager", row=f"name={ctl.name}"))
        net = next((n for n in model.networks if n.subnet is not None and ctl.address in n.subnet), None)
        (per_net[net.name] if net else loose).append(entry)
    sections = []
    for net in model.networks:
        entries = sorted(per_net[net.name], key=lambda e: natural_key(e.names[0]))
        if entries:
            sections.append(HostSection(f"network {net.name} ({net.subnet})", tuple(entries)))
    if loose:
        sections.append(HostSection("controllers", tuple(sorted(loose, key=lambda e: natural_key(e.names[0])))))
    for cell in model.cells:
        entries = tuple(HostEntry(str(a.address), (a.name,), Where(table="metaservice_port", row=f"name={a.name}"))
                        for a in cell.aliases if a.address is not None)
        if entries:
            what = "the virtual management node" if cell.type == "mngt" else "they follow its active node"
            sections.append(HostSection(f"aliases of {cell.type} cell {cell.name}: {what}", entries))
    extra = []
    for i, item in enumerate(site.get("hosts", "extra", default=[]) or []):
        extra.append(HostEntry(str(item["address"]), tuple(item["names"]), site.where("hosts", "extra", i)))
    if extra:
        sections.append(HostSection("site entries (hosts.extra)", tuple(extra)))
    return sections


def is_ipv4(text) -> bool:
    try:
        IPv4Address(str(text))
    except ValueError:
        return False
    return True
