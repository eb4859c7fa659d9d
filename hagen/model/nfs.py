"""NFSv3 high availability (guide chapters 8-9): the site's exports and clients, bound
to the ClusterDB's nfs cells.

One rgmanager service per cell, `nfs_service` (9.4.1), runs /usr/sbin/hanfs (8.1)
with the cell's aliases (admin, backbone, InfiniBand: 9.4 step 2) and its exports'
file systems; the clients mount through the cell's admin alias (9.4.3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hagen.model import Cell, Model

SERVICE = "nfs_service"
SCRIPT = "/usr/sbin/hanfs"
HAIONFS = "/etc/storageadmin/haionfs.conf"
EXPORTS = "/etc/exports"


@dataclass(frozen=True, slots=True)
class Export:
    index: int                         # position in nfs.exports
    cell: str | None                   # the NFS cell it belongs to (None: none resolves; reported)
    device: str
    mount_point: str
    fstype: str
    fsid: int
    clients: str
    options: tuple[str, ...]

    @property
    def resource_name(self) -> str:
        """The fs resource's name in cluster.conf: nfs plus the mount point's words."""
        words = [w for w in re.split(r"[^A-Za-z0-9]+", self.mount_point) if w]
        return "nfs_" + "_".join(words) if words else "nfs_root"

    @property
    def options_text(self) -> str:
        return ",".join(list(self.options) + [f"fsid={self.fsid}"])


def nfs_cells(model: Model) -> tuple[Cell, ...]:
    return model.cells_of_type("nfs")


def exports(model: Model, site) -> list[Export]:
    """The site's exports, each bound to its cell: the one it names, or the only NFS cell."""
    cells = nfs_cells(model)
    out = []
    for i, e in enumerate(site.get("nfs", "exports") or []):
        cell = e.get("cell")
        if cell is None:
            cell = cells[0].name if len(cells) == 1 else None
        elif cell not in {c.name for c in cells}:
            cell = None
        out.append(Export(i, cell, e["device"], e["mount_point"], e["fstype"], e["fsid"],
                          site.get("nfs", "exports", i, "clients"), tuple(e.get("options") or ())))
    return out


def exports_of(model: Model, site, cell: Cell) -> list[Export]:
    return [e for e in exports(model, site) if e.cell == cell.name]


def alias_hosts(model: Model) -> list[tuple[str, str]]:
    """(address, host name) of every NFS cell alias, for /etc/hosts (9.4 steps 2-3)."""
    return [(str(a.address), a.name) for c in nfs_cells(model) for a in c.aliases if a.address is not None]


def expand_nodes(patterns) -> list[str]:
    """Node names from names and node sets (xena[20-23]); raises ValueError on a bad set."""
    from hagen.base.nodesets import expand

    names = []
    for pattern in patterns:
        try:
            names.extend(expand(pattern))        # bounded before ClusterShell expands it (xena[1-99999999])
        except ValueError as exc:
            raise ValueError(f"{pattern!r}: {exc}") from exc
    return names


def client_mounts(model: Model, site) -> dict[str, list[tuple[Export, str]]]:
    """{client node: [(export, fstab options)]}, exports in site order, nodes that resolve only."""
    by_mount = {e.mount_point: e for e in exports(model, site) if e.cell is not None}
    out: dict[str, list] = {}
    for index, group in enumerate(site.get("nfs", "clients") or []):
        try:
            nodes = expand_nodes(group["nodes"])
        except ValueError:
            continue
        wanted = group.get("mounts") or list(by_mount)
        for node in nodes:
            if model.node(node) is None:
                continue
            mounts = out.setdefault(node, [])
            for mp in wanted:
                if mp in by_mount and all(e.mount_point != mp for e, _ in mounts):
                    mounts.append((by_mount[mp], site.get("nfs", "clients", index, "options")))
    return out
