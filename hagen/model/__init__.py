"""model: a frozen, typed view of the cluster, built from ClusterDB rows only.

Ids never leave hagen.model.build: everything here is named. Lists are in natural
order (xena2 before xena10). The site spec is policy and stays outside the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    def cells_of_type(self, kind: str) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.type == kind)


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
