"""What an HA cell of target el9-pacemaker is made of, as the build really writes it.

The model says which nodes, disk arrays and aliases a cell has; the files the build
renders say how corosync and Pacemaker will run it: corosync.conf (read by
hagen.render.pacemaker.corosync_tree, the reader the build validates it with) gives the
knet links and the networks they ride; the CIB (lxml) gives the stonith devices, the
fencing topology and its delays, the resources, their placement, the link monitors
(ethmonitor and ping clones, and the location rules that read their node attributes)
and the defaults; /etc/sysconfig/sbd (shell assignments, read with shlex) gives SBD.
Reading the rendered files, not the planners' contexts, lets the audit follow whatever
the CIB grows: a second fencing level, priority-fencing-delay, an ethmonitor clone.
A fence device's password is never read: only its address, login and agent.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from hagen.audit.facts import AliasFacts, Device, Link, _array_of, _links, _network_of
from hagen.audit.el9_values import delays as _delays, level_targets as _targets, sbd_settings, seconds
from hagen.model.names import natural_key

STACK = "el9-pacemaker"
# agents that talk to the node's own management controller: it loses power with the node
ONBOARD_AGENTS = frozenset({"fence_ipmilan", "fence_ipmilanplus", "fence_ipmitool", "fence_idrac", "fence_ilo",
                            "fence_ilo2", "fence_ilo3", "fence_ilo4", "fence_ilo5", "fence_ilo_ssh", "fence_imm",
                            "fence_redfish", "fence_bullpap"})
DISK_AGENTS = frozenset({"fence_sbd", "fence_scsi", "fence_mpath"})
MONITOR_AGENTS = frozenset({"ethmonitor", "ping", "pingd"})
STONITH_TIMEOUT = 60.0                 # Pacemaker's default stonith-timeout, seconds


@dataclass(frozen=True)
class KnetLink:
    number: int
    network: str | None                # the network its addresses lie on (None: unknown)
    addresses: tuple[tuple[str, str], ...]   # (node, address)


@dataclass(frozen=True)
class StonithDevice:
    id: str
    agent: str
    address: str | None                # ip / ipaddr (None: a disk or local agent)
    login: str | None
    targets: tuple[str, ...]           # the nodes it can fence
    network: str | None                # the network its address lies on
    delay_base: tuple[tuple[str, float], ...]   # pcmk_delay_base per target, seconds (a map or one value)
    delay_max: float                   # pcmk_delay_max, seconds (a random delay up to it)
    powered_by: str | None             # the node whose power it loses (a BMC), else None
    disks: tuple[str, ...] = ()        # fence_sbd devices
    lanplus: bool = False              # IPMI v2.0 (fence_ipmilan -P)
    enabled: bool = True               # False: target-role=Stopped, Pacemaker does not use it
    reboot_timeout: float = 0.0        # pcmk_reboot_timeout, seconds (0: the cluster's stonith-timeout)
    reboot_attempts: int = 2           # pcmk_reboot_retries: attempts within that time (Pacemaker's default 2)

    def delay(self, target: str) -> float:
        return dict(self.delay_base).get(target, 0.0)


@dataclass(frozen=True)
class Level:
    index: int
    devices: tuple[str, ...]
    written: bool                      # False: no fencing-topology, every device able to fence the node


@dataclass(frozen=True)
class Resource:
    id: str
    agent: str                         # ocf:heartbeat:IPaddr2, systemd:httpd, stonith:fence_sbd
    params: tuple[tuple[str, str], ...]
    meta: tuple[tuple[str, str], ...]
    ops: tuple[tuple[str, str, str, str], ...]   # (name, interval, timeout, on-fail), "" when unset

    @property
    def type(self) -> str:
        return self.agent.rsplit(":", 1)[-1]

    def param(self, name: str, default=None):
        return dict(self.params).get(name, default)

    def op(self, name: str):
        return next((o for o in self.ops if o[0] == name), None)


@dataclass(frozen=True)
class Service:
    """A top-level resource Pacemaker places: a group or a lone primitive (not a clone, not stonith)."""

    name: str
    kind: str                          # group, primitive
    members: tuple[Resource, ...]
    preferred: tuple[str, ...]         # nodes by location score, highest first
    meta: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LinkMonitor:
    id: str                            # the clone's id
    agent: str                         # ethmonitor, ping
    interface: str | None              # ethmonitor's interface
    hosts: tuple[str, ...]             # ping's host_list
    host_networks: tuple[str, ...]     # the networks those hosts lie on (ping sees those links)
    attribute: str                     # the node attribute it sets
    guards: tuple[str, ...]            # resources whose location rules read that attribute
    reacts_s: float = 0.0              # from a dead link to its attribute changing, at worst


@dataclass(frozen=True)
class Constraint:
    kind: str                          # rsc_location, rsc_colocation, rsc_order
    id: str
    rsc: str | None
    other: str | None                  # with-rsc, then (order), or the node of a location
    score: str | None
    rule_attributes: tuple[str, ...] = ()   # node attributes a location rule reads


@dataclass(frozen=True)
class Address:
    resource: str
    service: str
    address: str
    network: str | None
    nic: str | None


@dataclass(frozen=True)
class El9Node:
    name: str
    links: tuple[Link, ...]
    levels: tuple[Level, ...]


@dataclass(frozen=True)
class El9Cell:
    name: str
    type: str
    cluster_name: str
    knet: tuple[KnetLink, ...]
    two_node: bool
    crypto: str
    nodes: tuple[El9Node, ...]
    stonith_enabled: bool
    priority_fencing_delay: float
    stonith_timeout: float                       # stonith-timeout (Pacemaker's default 60 s)
    devices: tuple[StonithDevice, ...]
    services: tuple[Service, ...]
    monitors: tuple[LinkMonitor, ...]
    addresses: tuple[Address, ...]
    constraints: tuple[Constraint, ...]
    defaults: tuple[tuple[str, str], ...]        # rsc_defaults
    sbd: tuple[tuple[str, str], ...]             # /etc/sysconfig/sbd settings
    disk_arrays: tuple[str, ...]
    storage: tuple[Device, ...]
    aliases: tuple[AliasFacts, ...]
    lustre_targets: tuple = ()
    admin: str | None = None           # the admin network: the way to a controller on no network of the fencer

    def node(self, name: str) -> El9Node:
        return next(n for n in self.nodes if n.name == name)

    def peer(self, name: str) -> El9Node:
        return next(n for n in self.nodes if n.name != name)

    def device(self, rid: str) -> StonithDevice | None:
        return next((d for d in self.devices if d.id == rid), None)

    def default(self, name: str, fallback=None):
        return dict(self.defaults).get(name, fallback)

    @property
    def heartbeat(self) -> str | None:
        return self.knet[0].network if self.knet else None

    def owned(self, node: str) -> list[Service]:
        """The services node runs in the standard state (its highest location score)."""
        return [s for s in self.services if (s.preferred[:1] or (self.nodes[0].name,))[0] == node]


def el9_cell_facts(compiled) -> list[El9Cell]:
    """Every HA cell the build writes a CIB and a corosync.conf for, mngt first then by name."""
    from hagen.plan.el9 import CIB_PATH, COROSYNC_PATH, SBD_PATH
    from hagen.render.pacemaker import corosync_tree

    model, site = compiled.model, compiled.site
    by_path = {}
    for f in compiled.files:
        if f.path in (CIB_PATH, COROSYNC_PATH, SBD_PATH):
            by_path.setdefault((f.path, f.host), f.data)
    out = []
    for cell in sorted(model.cells, key=lambda c: (c.type != "mngt", natural_key(c.name))):
        cib = next((by_path[(CIB_PATH, n)] for n in cell.nodes if (CIB_PATH, n) in by_path), None)
        conf = next((by_path[(COROSYNC_PATH, n)] for n in cell.nodes if (COROSYNC_PATH, n) in by_path), None)
        if cib is None or conf is None:
            continue
        sbd = next((by_path[(SBD_PATH, n)] for n in cell.nodes if (SBD_PATH, n) in by_path), b"")
        root = etree.fromstring(cib, etree.XMLParser(resolve_entities=False, no_network=True))
        out.append(cell_from_files(model, site, cell, root, corosync_tree(conf.decode()), sbd_settings(sbd)))
    return out


def cell_from_files(model, site, cell, root, tree: dict, sbd) -> El9Cell:
    """One cell's facts from its parsed CIB (root), corosync.conf (tree) and SBD settings."""
    config = root.find("configuration")
    props = {nv.get("name"): nv.get("value") for ps in config.iter("cluster_property_set") for nv in ps.iter("nvpair")}
    totem = (tree.get("totem") or [{}])[0]
    quorum = (tree.get("quorum") or [{}])[0]
    names = tuple(sorted(cell.nodes, key=natural_key))
    devices = tuple(_devices(model, config, names, dict(sbd).get("SBD_DEVICE", "")))
    services = tuple(_services(config, names))
    admin = model.role_network("admin")
    nodes = tuple(El9Node(n, _links(model, site, model.node(n)), _levels(config, devices, n)) for n in names)
    targets = tuple(t for t in model.lustre_targets if t.primary in cell.nodes)
    defaults = tuple((nv.get("name"), nv.get("value")) for d in config.iter("rsc_defaults") for nv in d.iter("nvpair"))
    return El9Cell(
        name=cell.name, type=cell.type, cluster_name=totem.get("cluster_name", props.get("cluster-name", "")),
        knet=_knet(model, tree), two_node=quorum.get("two_node") == "1",
        crypto=totem.get("crypto_cipher", "none"), nodes=nodes,
        stonith_enabled=props.get("stonith-enabled", "true").lower() in ("true", "1", "yes", "on"),
        priority_fencing_delay=seconds(props.get("priority-fencing-delay")),
        stonith_timeout=seconds(props.get("stonith-timeout")) or STONITH_TIMEOUT, devices=devices,
        services=services, monitors=tuple(_monitors(model, config)), addresses=tuple(_addresses(model, services)),
        constraints=tuple(_constraints(config)), defaults=defaults, sbd=sbd, disk_arrays=cell.disk_arrays,
        storage=tuple(_storage(cell, services, devices, targets)),
        aliases=tuple(AliasFacts(a.name, a.network, str(a.address)) for a in cell.aliases),
        lustre_targets=targets, admin=admin.name if admin else None)


def _knet(model, tree) -> tuple[KnetLink, ...]:
    nodes = [n for nl in tree.get("nodelist", []) for n in nl.get("node", [])]
    numbers = sorted({int(k[4:-5]) for n in nodes for k in n if k.startswith("ring") and k.endswith("_addr")
                      and k[4:-5].isdigit()})
    out = []
    for number in numbers:
        addrs = tuple((n.get("name", n.get("nodeid", "?")), n[f"ring{number}_addr"]) for n in nodes
                      if f"ring{number}_addr" in n)
        nets = {_network_of(model, a) for _, a in addrs}
        out.append(KnetLink(number, nets.pop() if len(nets) == 1 else None, addrs))
    return tuple(out)


def _attrs(el, kind: str) -> tuple[tuple[str, str], ...]:
    return tuple((nv.get("name"), nv.get("value", "")) for sets in el.findall(kind) for nv in sets.iter("nvpair"))


def _resource(el) -> Resource:
    agent = ":".join(p for p in (el.get("class"), el.get("provider"), el.get("type")) if p)
    ops = tuple((op.get("name", ""), op.get("interval", ""), op.get("timeout", ""), op.get("on-fail", ""))
                for op in el.findall("operations/op"))
    return Resource(el.get("id"), agent, _attrs(el, "instance_attributes"), _attrs(el, "meta_attributes"), ops)


def _devices(model, config, names, sbd_disks: str) -> list[StonithDevice]:
    out = []
    for el in config.find("resources").iter("primitive"):
        if el.get("class") != "stonith":
            continue
        r = _resource(el)
        hosts = r.param("pcmk_host_list") or ""
        mapped = [pair.split(":", 1)[0] for pair in (r.param("pcmk_host_map") or "").replace(";", " ").split()]
        listed = [h for h in hosts.replace(",", " ").split() if h] + mapped
        targets = tuple(n for n in names if n in listed) if listed else names
        address = r.param("ip") or r.param("ipaddr") or r.param("hostname")
        owner = next((n for n in names if model.node(n) and model.node(n).controller
                      and str(model.node(n).controller.address) == address), None)
        if owner is None and len(targets) == 1:
            owner = targets[0]
        onboard = r.type in ONBOARD_AGENTS
        out.append(StonithDevice(r.id, r.type, address, r.param("username") or r.param("login"), targets,
                                 _network_of(model, address) if address else None,
                                 _delays(r.param("pcmk_delay_base"), targets), seconds(r.param("pcmk_delay_max")),
                                 owner if onboard else None,
                                 _disks(r, sbd_disks),
                                 (r.param("lanplus") or "").lower() in ("1", "on", "yes", "true"),
                                 dict(r.meta).get("target-role", "Started") != "Stopped",
                                 seconds(r.param("pcmk_reboot_timeout")),
                                 _count(r.param("pcmk_reboot_retries"), 2, least=1)))
    return out


def _disks(r: Resource, sbd_disks: str) -> tuple[str, ...]:
    """A disk agent's devices: its `devices` parameter, else (fence_sbd) the SBD_DEVICE list of sbd."""
    given = [d.strip() for d in (r.param("devices") or "").split(",") if d.strip()]
    if not given and r.type == "fence_sbd":
        given = [d.strip() for d in sbd_disks.split(";") if d.strip()]
    return tuple(given)


def _levels(config, devices, node) -> tuple[Level, ...]:
    written = [lv for lv in config.iter("fencing-level") if _targets(lv, node)]
    if written:
        return tuple(Level(int(lv.get("index", "0")), tuple(d for d in lv.get("devices", "").split(",") if d), True)
                     for lv in sorted(written, key=lambda lv: int(lv.get("index", "0"))))
    able = tuple(d.id for d in devices if node in d.targets)
    return (Level(1, able, False),) if able else ()


def _services(config, names) -> list[Service]:
    prefs: dict[str, list] = {}
    for loc in config.iter("rsc_location"):
        if loc.get("node") and loc.get("score"):
            score = loc.get("score").replace("INFINITY", "1000000").replace("+", "")
            try:
                prefs.setdefault(loc.get("rsc"), []).append((-int(score), natural_key(loc.get("node")), loc.get("node")))
            except ValueError:
                continue
    out = []
    for el in config.find("resources"):
        if el.tag == "group":
            members = tuple(_resource(p) for p in el.findall("primitive"))
        elif el.tag == "primitive" and el.get("class") != "stonith":
            members = (_resource(el),)
        else:
            continue                   # clones (link monitors) and stonith devices are not services
        ranked = [n for _, _, n in sorted(prefs.get(el.get("id"), [])) if n in names]
        out.append(Service(el.get("id"), el.tag, members, tuple(ranked), _attrs(el, "meta_attributes")))
    return out


def _constraints(config) -> list[Constraint]:
    out = []
    for el in config.iter("rsc_location", "rsc_colocation", "rsc_order"):
        rsc = el.get("rsc") or el.get("first")
        other = el.get("node") or el.get("with-rsc") or el.get("then")
        attrs = tuple(sorted({e.get("attribute") for e in el.iter("expression") if e.get("attribute")}))
        score = el.get("score") or next((r.get("score") for r in el.iter("rule")), None) or el.get("kind")
        out.append(Constraint(el.tag, el.get("id"), rsc, other, score, attrs))
    return out


def _monitors(model, config) -> list[LinkMonitor]:
    guards: dict[str, set] = {}
    for loc in config.iter("rsc_location"):
        for expr in loc.iter("expression"):
            guards.setdefault(expr.get("attribute"), set()).add(loc.get("rsc"))
    out = []
    for clone in config.iter("clone"):
        for el in clone.iter("primitive"):
            r = _resource(el)
            if r.type not in MONITOR_AGENTS:
                continue
            iface = r.param("interface")
            attribute = r.param("name") or (f"ethmonitor-{iface}" if r.type == "ethmonitor" else "pingd")
            hosts = tuple((r.param("host_list") or "").split())
            nets = tuple(sorted({n for n in (_network_of(model, h) for h in hosts) if n}))
            out.append(LinkMonitor(clone.get("id"), r.type, iface, hosts, nets, attribute,
                                   tuple(sorted(guards.get(attribute, ()))), _reaction(r)))
    return out


def within(monitors) -> str:
    """' within about N s': the slowest of the link monitors to act on a dead link."""
    slowest = max((m.reacts_s for m in monitors), default=0)
    return f" within about {slowest:g} s" if slowest else ""


def _count(text: str | None, default: int, least: int = 0) -> int:
    """A count the CIB gives as text; default when unset, unreadable or under least."""
    return int(text) if text and text.strip().isdigit() and int(text) >= least else default


def _reaction(r) -> float:
    """How long a link monitor takes, at worst, to change its attribute once its link dies
    (seen on the live cells: about a minute for ethmonitor): its monitor interval, then
    ethmonitor checks the dead link repeat_count times repeat_interval seconds apart (the
    agent's defaults 5 and 10), then attrd waits `dampen` (5 s by default)."""
    op = r.op("monitor")
    total = (seconds(op[1]) if op and op[1] else None) or 10.0
    if r.type == "ethmonitor":
        total += _count(r.param("repeat_count"), 5) * _count(r.param("repeat_interval"), 10)
    return total + (seconds(r.param("dampen") or "5s") or 0.0)


def _addresses(model, services) -> list[Address]:
    return [Address(r.id, s.name, r.param("ip"), _network_of(model, r.param("ip")), r.param("nic"))
            for s in services for r in s.members if r.type == "IPaddr2" and r.param("ip")]


def _storage(cell, services, devices, targets) -> list[Device]:
    out = []
    for d in devices:
        for disk in d.disks:
            out.append(Device(disk, f"SBD ({d.id})", _array_of(cell, disk)))
    for s in services:
        for r in s.members:
            if r.type == "Filesystem" and r.param("device"):
                out.append(Device(r.param("device"), r.param("directory", ""), _array_of(cell, r.param("device"))))
            elif r.type == "Lustre" and r.param("target"):
                t = next((t for t in targets if t.device == r.param("target")), None)
                use = f"{t.kind.upper()} {t.name}" if t else r.id
                out.append(Device(r.param("target"), use, _array_of(cell, r.param("target"))))
    return out
