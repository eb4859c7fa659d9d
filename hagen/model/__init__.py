"""model: a frozen, typed view of the cluster, built from ClusterDB rows only.

Ids never leave hagen.model.build: everything here is named. Lists are in natural
order (xena2 before xena10). The site spec is policy and stays outside the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network
from types import MappingProxyType

NETWORK_ROLES = {"admin": "mn", "backbone": "bb", "interconnect": "ic", "bmc": "bmc"}


@dataclass(frozen=True, slots=True)
class Network:
    name: str
    function: str                      # mn, bb, ic, bmc
    techno: str                        # ethernet, infiniband
    subnet: IPv4Network | None         # None when the row's subnet is not valid (reported)
    gateway: IPv4Address | None
    suffix: str                        # host name of a port: <node>-<suffix>, or <node> when empty

    @property
    def prefix(self) -> int | None:
        return self.subnet.prefixlen if self.subnet else None

    @property
    def netmask(self) -> str:
        return str(self.subnet.netmask) if self.subnet else ""

    def host_name(self, node: str) -> str:
        return f"{node}-{self.suffix}" if self.suffix else node


@dataclass(frozen=True, slots=True)
class Port:
    node: str
    network: str
    interface: str                     # physical interface: eth0, ib0
    address: IPv4Address | None
    hwaddr: str | None


@dataclass(frozen=True, slots=True)
class Controller:
    """What powers a node off for fencing: a BMC (fence_ipmilan) or a PAP (fence_bullpap)."""

    name: str
    type: str                          # bmc, pap
    model: str | None
    address: IPv4Address | None        # None: the controller has no port (reported)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    model: str | None
    status: str
    ftypes: tuple[str, ...]
    ports: tuple[Port, ...]
    controller: Controller | None

    def port_on(self, network: str) -> Port | None:
        for port in self.ports:
            if port.network == network:
                return port
        return None


@dataclass(frozen=True, slots=True)
class Alias:
    """A virtual address that follows the active node of its cell (metaservice_port)."""

    name: str
    network: str
    address: IPv4Address | None
    cell: str


@dataclass(frozen=True, slots=True)
class Cell:
    """An HA cell: two nodes sharing storage (da_iocell)."""

    name: str
    type: str                          # mngt, lustre, nfs
    quorum_device: str | None
    nodes: tuple[str, ...]             # natural order
    disk_arrays: tuple[str, ...]
    aliases: tuple[Alias, ...]

    @property
    def primary_name(self) -> str | None:
        """Guide 2.2.1: the node that appears first alphabetically (plain string order,
        as Bull's tools sort: xena10 before xena9; CLARIFICATIONS 8)."""
        return min(self.nodes) if self.nodes else None


@dataclass(frozen=True, slots=True)
class LustreTarget:
    """An MDT or an OST (lustre_mdt, lustre_ost): its node pair and device (guide 6.3.1)."""

    name: str
    kind: str                          # mdt, ost
    fs: str                            # lustre_fs.fs_name (may name no file system: reported)
    primary: str                       # mds_node_name / oss_node_name
    secondary: str | None              # mds_ha_node / oss_ha_node
    active: str | None                 # mds_active_node / oss_active_node (dynamic)
    device: str
    size: int | None                   # kB
    config_status: str | None
    status: str | None

    @property
    def table(self) -> str:
        return f"lustre_{self.kind}"

    @property
    def nodes(self) -> tuple[str, ...]:
        return (self.primary,) + ((self.secondary,) if self.secondary else ())


@dataclass(frozen=True, slots=True)
class LustreClient:
    """A node that mounts a file system (lustre_mount)."""

    fs: str
    node: str
    mount_options: str | None


@dataclass(frozen=True, slots=True)
class LustreFS:
    """A Lustre file system (lustre_fs) with its targets and clients, natural order."""

    name: str
    mount_path: str | None
    mount_options: str | None
    stripe_size: int | None
    stripe_count: int | None
    stripe_pattern: int | None
    nettype: str | None
    fstype: str | None
    failover: str | None               # 'yes', 'no', or None (derived from the targets)
    ha_timeout: int | None
    mdt_mkfs_options: str | None
    mdt_inode_size: int | None
    mdt_mount_options: str | None
    ost_mkfs_options: str | None
    ost_inode_size: int | None
    ost_mount_options: str | None
    quota: str | None
    quota_options: str | None
    description: str | None
    mdts: tuple[LustreTarget, ...] = ()
    osts: tuple[LustreTarget, ...] = ()
    clients: tuple[LustreClient, ...] = ()

    @property
    def targets(self) -> tuple[LustreTarget, ...]:
        return self.mdts + self.osts


@dataclass(frozen=True, slots=True)
class LustreIONode:
    """A row of lustre_io_node: a Lustre server and its HA peer (guide 6.1.1, 6.3.1)."""

    node: str
    ha_node: str | None
    net_status: str | None
    storage_status: str | None
    lustre_status: str | None


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    name: str
    basename: str
    dns_domain: str | None
    actif_ha: bool
    backbone_vip: IPv4Address | None   # cluster.node_backbone_ipaddr


@dataclass(frozen=True)
class Model:
    cluster: ClusterInfo
    networks: tuple[Network, ...]
    nodes: tuple[Node, ...]
    cells: tuple[Cell, ...]
    filesystems: tuple[LustreFS, ...] = ()          # lustre_fs, by name
    lustre_targets: tuple[LustreTarget, ...] = ()   # every MDT then every OST, even of an unknown fs
    lustre_clients: tuple[LustreClient, ...] = ()   # every lustre_mount row
    io_nodes: tuple[LustreIONode, ...] = ()         # lustre_io_node, natural order
    _networks: MappingProxyType = field(repr=False, compare=False, default_factory=lambda: MappingProxyType({}))
    _nodes: MappingProxyType = field(repr=False, compare=False, default_factory=lambda: MappingProxyType({}))

    def network(self, name: str) -> Network | None:
        return self._networks.get(name)

    def node(self, name: str) -> Node | None:
        return self._nodes.get(name)

    def network_by_function(self, function: str) -> Network | None:
        for net in self.networks:
            if net.function == function:
                return net
        return None

    def role_network(self, role: str) -> Network | None:
        """admin, backbone, interconnect or bmc: the network of that function."""
        return self.network_by_function(NETWORK_ROLES[role])

    def admin_alias(self, cell: Cell | None) -> Alias | None:
        """The cell's alias on the admin network: the virtual name of its active node (the
        one place this is decided: NFS clients, the batch managers, the I/O nodes, the quorum
        heuristic and syslog-ng all reach a cell by it)."""
        admin = self.role_network("admin")
        if admin is None or cell is None:
            return None
        return next((a for a in cell.aliases if a.network == admin.name), None)

    def cells_of_type(self, kind: str) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.type == kind)

    def io_node(self, name: str) -> LustreIONode | None:
        rows = self._io_node_index.get(name)
        return rows[0] if rows else None

    def cell_of(self, node: str, kind: str | None = None) -> Cell | None:
        """The (first) cell holding node, of type kind if given."""
        for cell in self._cell_index.get(node, ()):
            if kind is None or cell.type == kind:
                return cell
        return None

    # Indexes made on first use (the model is immutable): checks and plans ask about every
    # node of every cell, and a scan of every cell for each made that quadratic.
    @cached_property
    def _cell_index(self) -> dict:
        index: dict = {}
        for cell in self.cells:
            for node in dict.fromkeys(cell.nodes):
                index.setdefault(node, []).append(cell)
        return index

    @cached_property
    def _io_node_index(self) -> dict:
        index: dict = {}
        for row in self.io_nodes:
            index.setdefault(row.node, []).append(row)
        return index

    @property
    def has_lustre(self) -> bool:
        return bool(self.cells_of_type("lustre") or self.filesystems or self.lustre_targets)


@dataclass(frozen=True, slots=True)
class ManagementPair:
    """The two management nodes of the mngt cell, primary first (guide 2.2.1)."""

    cell: Cell
    primary: Node
    secondary: Node

    @property
    def nodes(self) -> tuple[Node, Node]:
        return (self.primary, self.secondary)

    @property
    def host_names(self) -> tuple[str, str]:
        return (self.primary.name, self.secondary.name)

    def peer(self, node: Node) -> Node:
        return self.secondary if node.name == self.primary.name else self.primary
