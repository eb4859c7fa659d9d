"""The NFS I/O cells' artifacts (guide chapters 8-9).

Per NFS cell: cluster.conf and /etc/exports on both nodes (9.4, 9.4.2). On the
management node(s): /etc/storageadmin/haionfs.conf (9.4 step 1). On each client: the
fstab entries that mount the exports through the cell's admin alias (9.4.3). The
aliases' host names reach /etc/hosts through the model (hagen.model.hosts).
"""

from __future__ import annotations

from hagen.load.secrets import fence_secret
from hagen.model.cman import cluster_name
from hagen.model.quorum import quorum_context
from hagen.model.iocell import cell_fencing, fencing_section, management_nodes
from hagen.model.names import fold, natural_key
from hagen.model.nfs import EXPORTS, HAIONFS, SCRIPT, SERVICE, client_mounts, exports_of, nfs_cells
from hagen.plan import Artifact


def plan(model, site) -> list[Artifact]:
    cells = nfs_cells(model)
    if not cells:
        return []
    out = []
    section = fencing_section(site, "nfs")
    secret = fence_secret(site, section)[0] if section else None
    heartbeat = site.get("nfs", "heartbeat")
    for cell in cells:
        out.append(_cluster_conf(model, site, cell, secret, heartbeat))
        rows = [{"mount_point": e.mount_point, "clients": e.clients, "options": e.options_text}
                for e in exports_of(model, site, cell)]
        if rows:
            out.append(Artifact(EXPORTS, cell.nodes, "nfs/exports.j2", {"cell": cell.name, "exports": rows},
                                sources=("site nfs.exports", f"clusterdb da_iocell[name={cell.name}]")))
    mgmt = tuple(n.name for n in management_nodes(model))
    listed = [{"name": c.name, "nodes": fold(c.nodes),
               "exports": [{"device": e.device, "mount_point": e.mount_point, "fstype": e.fstype}
                           for e in exports_of(model, site, c)]} for c in cells]
    if mgmt and any(c["exports"] for c in listed):
        out.append(Artifact(HAIONFS, mgmt, "nfs/haionfs.conf.j2", {"cells": listed},
                            sources=("site nfs.exports", "clusterdb da_iocell")))
    path = site.get("nfs", "client_fstab")
    aliases = {c.name: model.admin_alias(c).name for c in cells}
    clients_of: dict = {}      # the fstab lines -> the clients that get them: one artifact per distinct file
    for node, mounts in client_mounts(model, site).items():
        entries = tuple((aliases[e.cell], e.mount_point, options) for e, options in mounts)
        if entries:
            clients_of.setdefault(entries, []).append(node)
    for entries, nodes in clients_of.items():
        mounts = [{"alias": alias, "mount_point": mount_point, "options": options}
                  for alias, mount_point, options in entries]
        out.append(Artifact(path, tuple(sorted(nodes, key=natural_key)), "nfs/fstab.j2",
                            {"path": path, "mounts": mounts}, sources=("site nfs.clients", "clusterdb metaservice_port")))
    return out


def _cluster_conf(model, site, cell, secret, heartbeat) -> Artifact:
    nodes, devices = cell_fencing(model, cell, site, "nfs", secret, heartbeat)
    primary = cell.primary_name
    ordered = sorted(nodes, key=lambda n: cell.nodes[n["nodeid"] - 1] != primary)
    addresses = []
    for alias in cell.aliases:
        net = model.network(alias.network)
        addresses.append({"address": f"{alias.address}/{net.prefix}", "alias": alias.name, "network": net.name})
    filesystems = [{"name": e.resource_name, "device": e.device, "mountpoint": e.mount_point, "fstype": e.fstype}
                   for e in exports_of(model, site, cell)]
    context = {
        "name": cluster_name(cell, site),
        "cell": cell.name,
        "quorum": quorum_context(model, site, cell),
        "post_join_delay": site.get("nfs", "post_join_delay"),
        "nodes": nodes,
        "fence_devices": devices,
        "domain": f"{SERVICE}_domain",
        "members": [{"name": n["name"], "priority": i} for i, n in enumerate(ordered, 1)],
        "service": SERVICE,
        "filesystems": filesystems,
        "addresses": addresses,
        "script": SCRIPT,
    }
    return Artifact("/etc/cluster/cluster.conf", cell.nodes, "cluster/nfs.conf.xml.j2", context,
                    mode=0o600,
                    sources=(f"clusterdb da_iocell[name={cell.name}]", "clusterdb metaservice_port",
                             "clusterdb node", "clusterdb hwmanager_port", "site nfs",
                             *(("site quorum",) if cell.quorum_device else ())))
