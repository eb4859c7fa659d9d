"""What an HA cell is made of, as the build really writes it.

The model says which nodes, disk arrays and aliases a cell has; the cluster.conf the
build renders says how Cluster Suite will run it: the heartbeat host names (hence the
heartbeat network), the fence devices, the quorum (two_node, a quorum disk and its
heuristics) and the services with their domains and resources. Reading the rendered
file, not the templates' contexts, keeps the audit true whatever the templates grow
(quorum heuristics, for one). A fence device's password is never read out of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from lxml import etree

from hagen.model.cman import cluster_name
from hagen.model.mngt import bond_for
from hagen.model.names import natural_key

CLUSTER_CONF = "/etc/cluster/cluster.conf"
# the guide's persistent device names (9.2): /dev/ldn.da<array>.<lun>
_LDN = re.compile(r"^/dev/ldn\.da(\d+)\.\d+\Z")


@dataclass(frozen=True)
class Link:
    """How a node reaches a network: a bond and its slaves, or one port (slaves empty)."""

    network: str
    interface: str | None              # bond0, eth1; None: the node has no port there
    slaves: tuple[str, ...] = ()

    @property
    def redundant(self) -> bool:
        return len(self.slaves) >= 2


@dataclass(frozen=True)
class Fencing:
    """How a node is powered off: its fence device and the way fence traffic reaches it."""

    device: str                        # fence device name in cluster.conf
    agent: str                         # fence_ipmilan, fence_bullpap
    address: str                       # the controller's address (ipaddr)
    login: str
    controller: str | None             # hwmanager name
    controller_network: str | None     # the network the controller sits on
    via: str | None                    # the admin network: the way to a controller on no network of the peer
    lanplus: bool = False              # IPMI v2.0 (fence_ipmilan -P)


@dataclass(frozen=True)
class NodeFacts:
    name: str
    heartbeat_host: str                # the clusternode name
    fencing: Fencing | None
    links: tuple[Link, ...]            # every network the node has a port on (BMC networks left out)

    def link(self, network: str | None) -> Link | None:
        return next((ln for ln in self.links if ln.network == network), None)


@dataclass(frozen=True)
class Quorum:
    two_node: bool
    expected_votes: int | None
    device: str | None                 # quorumd device
    label: str | None                  # quorumd label
    heuristics: tuple[str, ...] = ()   # their programs


@dataclass(frozen=True)
class Service:
    name: str
    members: tuple[str, ...]           # the nodes of its failover domain, by priority
    autostart: bool
    recovery: str
    scripts: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()    # ip resources: ADDRESS/PREFIX
    watched: tuple[str, ...] = ()      # those whose link rgmanager watches (monitor_link)
    filesystems: tuple[tuple[str, str], ...] = ()   # (device, mount point)


@dataclass(frozen=True)
class Device:
    path: str
    use: str                           # what is on it: "/varha", "OST data_ost0", "quorum disk"
    array: str | None                  # the disk array it lies on (None: unknown)


@dataclass(frozen=True)
class AliasFacts:
    name: str
    network: str
    address: str


@dataclass(frozen=True)
class CellFacts:
    name: str
    type: str                          # mngt, lustre, nfs
    cluster_name: str
    heartbeat: str | None              # network name
    nodes: tuple[NodeFacts, ...]       # natural order
    quorum: Quorum
    services: tuple[Service, ...]
    disk_arrays: tuple[str, ...]
    devices: tuple[Device, ...]
    aliases: tuple[AliasFacts, ...]
    lustre_targets: tuple = field(default=())   # LustreTarget rows served by the cell

    def node(self, name: str) -> NodeFacts:
        return next(n for n in self.nodes if n.name == name)

    def peer(self, name: str) -> NodeFacts | None:
        return next((n for n in self.nodes if n.name != name), None)


def cell_facts(compiled) -> list[CellFacts]:
    """Every HA cell of a compiled site, in the model's order (mngt, then by name)."""
    model, site = compiled.model, compiled.site
    confs = {f.host: f.data for f in compiled.files if f.path == CLUSTER_CONF}
    out = []
    for cell in sorted(model.cells, key=lambda c: (c.type != "mngt", natural_key(c.name))):
        data = next((confs[n] for n in cell.nodes if n in confs), None)
        if data is None:
            continue                   # a cell the build writes nothing for (no site section): nothing to audit
        out.append(_facts(model, site, cell, etree.fromstring(data, etree.XMLParser(resolve_entities=False))))
    return out


def _facts(model, site, cell, root) -> CellFacts:
    devices = {d.get("name"): d for d in root.iter("fencedevice")}
    host_of = {}
    for net in model.networks:
        for name in cell.nodes:
            host_of[net.host_name(name)] = (name, net.name)
    heartbeat = None
    nodes = []
    for cn in root.iter("clusternode"):
        name, hb = host_of.get(cn.get("name"), (cn.get("name"), None))
        heartbeat = heartbeat or hb
        dev = cn.find("fence/method/device")
        fencing = _fencing(model, model.node(name), devices.get(dev.get("name")) if dev is not None else None)
        nodes.append(NodeFacts(name, cn.get("name"), fencing, _links(model, site, model.node(name))))
    nodes.sort(key=lambda n: natural_key(n.name))
    cman = root.find("cman")
    qd = root.find("quorumd")
    quorum = Quorum(
        two_node=cman is not None and cman.get("two_node") == "1",
        expected_votes=int(cman.get("expected_votes")) if cman is not None and cman.get("expected_votes") else None,
        # a quorumd may name its disk by label alone: the device is then the ClusterDB's
        device=(qd.get("device") or cell.quorum_device or f"LABEL={qd.get('label')}") if qd is not None else None,
        label=qd.get("label") if qd is not None else None,
        heuristics=tuple(h.get("program", "") for h in qd.iter("heuristic")) if qd is not None else ())
    back = {host: name for host, (name, _) in host_of.items()}
    domains = {d.get("name"): tuple(back.get(m.get("name"), m.get("name"))
                                    for m in sorted(d.iter("failoverdomainnode"), key=lambda m: int(m.get("priority", "0"))))
               for d in root.iter("failoverdomain")}
    services = tuple(Service(
        s.get("name"), domains.get(s.get("domain"), ()), s.get("autostart", "1") != "0", s.get("recovery", "restart"),
        tuple(x.get("file") for x in s.iter("script")), tuple(x.get("address") for x in s.iter("ip")),
        tuple(x.get("address") for x in s.iter("ip") if x.get("monitor_link") in ("1", "yes")),
        tuple((x.get("device"), x.get("mountpoint")) for x in s.iter("fs"))) for s in root.iter("service"))
    targets = tuple(t for t in model.lustre_targets if t.primary in cell.nodes)
    return CellFacts(
        name=cell.name, type=cell.type, cluster_name=cluster_name(cell, site), heartbeat=heartbeat,
        nodes=tuple(nodes), quorum=quorum, services=services, disk_arrays=cell.disk_arrays,
        devices=tuple(_devices(site, cell, quorum, services, targets)),
        aliases=tuple(AliasFacts(a.name, a.network, str(a.address)) for a in cell.aliases),
        lustre_targets=targets)


def _network_of(model, address) -> str | None:
    try:
        addr = IPv4Address(address)
    except ValueError:
        return None
    for net in model.networks:
        if net.subnet is not None and addr in net.subnet:
            return net.name
    return None


def _fencing(model, node, dev) -> Fencing | None:
    """A fence device, and the way to it: the port of the peer on the controller's network,
    else the admin network (as on the guide's Lustre cells, 5.7.3)."""
    if dev is None:
        return None
    net = _network_of(model, dev.get("ipaddr", ""))
    admin = model.role_network("admin")
    ctl = node.controller if node is not None else None
    return Fencing(dev.get("name"), dev.get("agent", ""), dev.get("ipaddr", ""), dev.get("login", ""),
                   ctl.name if ctl else None, net, admin.name if admin else None,
                   dev.get("lanplus") in ("1", "on", "yes", "true"))


def fence_route(cell: CellFacts, fencer: NodeFacts, victim: NodeFacts) -> str | None:
    """The network fencer's request to victim's controller leaves by: fencer's port on the
    controller's network, else its admin network."""
    f = victim.fencing
    if f is None:
        return None
    if f.controller_network and fencer.link(f.controller_network):
        return f.controller_network
    return f.via


def _links(model, site, node) -> tuple[Link, ...]:
    """The node's links: through the site's bonds (the management pair's, or those written
    for the node by network.bonding.bonds[].nodes), else the plain port."""
    from hagen.model.mngt import management_pair
    from hagen.model.node_bonds import node_bond_for

    pair = management_pair(model)
    bonded = pair is not None and node.name in pair.host_names
    out = []
    for port in node.ports:
        net = model.network(port.network)
        if net is None or net.function == "bmc" or any(ln.network == port.network for ln in out):
            continue
        bond = bond_for(site, port.network) if bonded else node_bond_for(site, node.name, port.network)
        if bond is not None:
            out.append(Link(port.network, bond.name, bond.slaves))
        else:
            out.append(Link(port.network, port.interface, ()))
    for port in node.ports:
        net = model.network(port.network)
        if net is not None and net.function == "bmc":
            out.append(Link(port.network, port.interface, ()))
    return tuple(out)


def _array_of(cell, path: str) -> str | None:
    if len(cell.disk_arrays) == 1:
        return cell.disk_arrays[0]
    m = _LDN.match(path)
    if m:
        for name in cell.disk_arrays:
            if re.search(rf"da{m.group(1)}\Z", name):
                return name
    return None


def _devices(site, cell, quorum, services, targets) -> list[Device]:
    out = []
    if quorum.device:
        out.append(Device(quorum.device, "quorum disk", _array_of(cell, quorum.device)))
    if cell.type == "mngt":
        for m in site.get("management", "mnttab") or []:
            out.append(Device(m["device"], m["mount_point"], _array_of(cell, m["device"])))
    for svc in services:
        for dev, mp in svc.filesystems:
            out.append(Device(dev, mp, _array_of(cell, dev)))
    for t in targets:
        out.append(Device(t.device, f"{t.kind.upper()} {t.name}", _array_of(cell, t.device)))
    return out

