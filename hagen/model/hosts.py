"""/etc/hosts from the ClusterDB (in place of `dbmConfig configure --service syshosts`,
guide 3.1.1 and 9.4 step 3): every node's address on every network under its
<node>-<suffix> name, every controller, the aliases of every cell, and the site's extras."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from operator import itemgetter
from typing import NamedTuple

from hagen.model import Model
from hagen.model.names import natural_key, natural_key_joined
from hagen.base.reports import Where


class HostEntry(NamedTuple):
    """A line of /etc/hosts. A tuple (one per node and network: made by the ten thousand),
    its origin made a Where only when a report needs it."""

    address: str
    names: tuple[str, ...]
    table: str | None                  # the ClusterDB row it comes from: table and natural key,
    row: str | None
    site_where: Where | None = None    # or the site spec key

    @property
    def where(self) -> Where:
        return self.site_where or Where(table=self.table, row=self.row)


@dataclass(frozen=True, slots=True)
class HostSection:
    title: str
    entries: tuple[HostEntry, ...]


_LAST: list = []      # [(model, site, sections)]: the check and the plan of one build ask alike


def host_sections(model: Model, site) -> tuple[HostSection, ...]:
    """The sections of /etc/hosts, in file order: one per network (its node ports and controllers,
    natural order), one per cell (its aliases), then the site's extras. Computed once for a
    model and a site spec (both immutable): the hosts check and the hosts file share them."""
    if _LAST and _LAST[0][0] is model and _LAST[0][1] is site:
        return _LAST[0][2]
    sections = tuple(_sections(model, site))
    _LAST[:] = [(model, site, sections)]
    return sections


def _sections(model: Model, site) -> list[HostSection]:
    nets = {net.name: net for net in model.networks}
    per_net: dict[str, list] = {net.name: [] for net in model.networks}     # [(natural key, entry)]
    for node in model.nodes:
        for port in node.ports:
            net = nets.get(port.network)
            if port.address is None or net is None:
                continue
            # <node>-<suffix>'s natural key from the node's (cached): the same, for less
            key = natural_key_joined(node.name, "-" + net.suffix) if net.suffix else natural_key(node.name)
            per_net[net.name].append((key, HostEntry(str(port.address), (net.host_name(node.name),), "node_port",
                                                     f"node={node.name}, network={net.name}")))
    loose = []
    seen = set()
    for node in model.nodes:
        ctl = node.controller
        if ctl is None or ctl.address is None or ctl.name in seen:
            continue
        seen.add(ctl.name)
        entry = (natural_key(ctl.name), HostEntry(str(ctl.address), (ctl.name,), "hwmanager", f"name={ctl.name}"))
        net = next((n for n in model.networks if n.subnet is not None and ctl.address in n.subnet), None)
        (per_net[net.name] if net else loose).append(entry)
    sections = []
    for net in model.networks:
        entries = _in_order(per_net[net.name])
        if entries:
            sections.append(HostSection(f"network {net.name} ({net.subnet})", entries))
    if loose:
        sections.append(HostSection("controllers", _in_order(loose)))
    for cell in model.cells:
        entries = tuple(HostEntry(str(a.address), (a.name,), "metaservice_port", f"name={a.name}")
                        for a in cell.aliases if a.address is not None)
        if entries:
            what = "the virtual management node" if cell.type == "mngt" else "they follow its active node"
            sections.append(HostSection(f"aliases of {cell.type} cell {cell.name}: {what}", entries))
    extra = []
    for i, item in enumerate(site.get("hosts", "extra") or []):
        extra.append(HostEntry(str(item["address"]), tuple(item["names"]), None, None, site.where("hosts", "extra", i)))
    if extra:
        sections.append(HostSection("site entries (hosts.extra)", tuple(extra)))
    return sections


def _in_order(keyed: list) -> tuple[HostEntry, ...]:
    """The entries in natural order of their name (stable: equal names keep their order)."""
    return tuple(entry for _, entry in sorted(keyed, key=itemgetter(0)))


def is_ipv4(text) -> bool:
    try:
        IPv4Address(str(text))
    except ValueError:
        return False
    return True
