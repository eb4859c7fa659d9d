"""NFSv3 I/O cells, their exports and clients (guide chapters 8-9). Codes HA7xx."""

from __future__ import annotations

import re

from hagen.check.cells import io_pair
from hagen.load.secrets import fence_secret
from hagen.model.iocell import fencing_section, management_nodes
from hagen.model.mngt import management_cell
from hagen.model.nfs import expand_nodes, exports, nfs_cells
from hagen.base.reports import Where, error, warning

DEVICE = re.compile(r"^/dev/[A-Za-z0-9_.:/+-]+\Z")
PATH = re.compile(r"^/[A-Za-z0-9_.+/-]*\Z")
# exports(5): a client is a host, a wildcard, a network or a netgroup; options are words
EXPORT_CLIENT = re.compile(r"^[A-Za-z0-9_.*?@/:\[\]-]+\Z")
EXPORT_OPTION = re.compile(r"^[A-Za-z0-9_]+(=[A-Za-z0-9_:/.@-]+)?\Z")
LUSTRE_FTYPES = {"mds", "oss"}


def check(model, site) -> list:
    reports = []
    cells = nfs_cells(model)
    if not cells:
        for e in exports(model, site):
            reports.append(error("HA707", site.where("nfs", "exports", e.index),
                                 f"export {e.mount_point} has no NFS cell to go to: the ClusterDB has none",
                                 "add the da_iocell of type nfs with its two nodes (storiocellctl, 9.1)"))
        if ("nfs",) in site.positions and not site.get("nfs", "exports"):
            reports.append(warning("HA712", site.where("nfs"),
                                   "the site spec configures NFS, but the ClusterDB has no NFS cell",
                                   "nothing is written for NFS; add the nfs cell, or remove the nfs section"))
        return reports
    reports += _cells(model, site, cells)
    reports += _exports(model, site, cells)
    reports += _clients(model, site)
    if not management_nodes(model):
        reports.append(warning("HA713", Where(table="node_ftype"),
                               "the ClusterDB has NFS cells but no management node: haionfs.conf is not written",
                               "give the management node the ftype mngt (9.4 step 1 edits haionfs.conf there)"))
    section = fencing_section(site, "nfs")
    if section is None:
        reports.append(error("HA714", site.where("nfs"),
                             "the NFS cells fence each other's nodes, but no fencing credentials are given",
                             "add nfs.fencing (login, password_file or password_env), or management.fencing"))
    elif section == "nfs" or management_cell(model) is None:
        reports += fence_secret(site, section)[1]
    return reports


def _lustre_roles(model) -> dict:
    """{node: what makes it a Lustre node}, cell membership aside (HA608 reports that)."""
    roles: dict = {}
    for t in model.lustre_targets:
        for name in t.nodes:
            roles.setdefault(name, f"{t.kind.upper()} {t.name}")
    for row in model.io_nodes:
        roles.setdefault(row.node, "a lustre_io_node row")
    for c in model.lustre_clients:
        roles.setdefault(c.node, f"client of Lustre file system {c.fs}")
    for node in model.nodes:
        kinds = sorted(set(node.ftypes) & LUSTRE_FTYPES)
        if kinds:
            roles.setdefault(node.name, f"ftype {kinds[0]}")
    return roles


def _cells(model, site, cells) -> list:
    reports = []
    heartbeat = site.get("nfs", "heartbeat")
    hb_net = model.role_network(heartbeat)
    roles = _lustre_roles(model)
    if hb_net is None and any(cell.nodes for cell in cells):      # one cause, one report (not one per node)
        reports.append(error("HA709", site.where("nfs", "heartbeat"),
                             f"the ClusterDB has no {heartbeat} network for the NFS heartbeat",
                             "set nfs.heartbeat to a network the NFS nodes are on (9.4 step 6)"))
    for cell in cells:
        where_cell = Where(table="da_iocell", row=f"name={cell.name}")
        reports += io_pair(model, cell, "NFS", "HA700", "HA701", "8.1")
        if not cell.quorum_device:
            reports.append(error("HA702", where_cell, f"NFS cell {cell.name} has no quorum device",
                                 "8.3.3: the quorum disk keeps the two nodes from a fencing race when the heartbeat "
                                 "network fails; set da_iocell.quorum_device to its LUN (9.2)"))
        for name in cell.nodes:
            node = model.node(name)
            where = Where(table="node", row=f"name={name}")
            if hb_net is not None and node.port_on(hb_net.name) is None:
                reports.append(error("HA709", where, f"NFS node {name} has no address on {hb_net.name}, "
                                     "the heartbeat network", f"add a node_port row for {name} on {hb_net.name}, "
                                     "or choose another nfs.heartbeat"))
            if name in roles and model.cell_of(name, "lustre") is None:
                reports.append(error("HA703", where, f"NFS node {name} has a Lustre role: {roles[name]}",
                                     "9.1: NFS I/O nodes run a KSIS image that strictly excludes Lustre"))
        seen: dict = {}
        for alias in cell.aliases:
            where = Where(table="metaservice_port", row=f"name={alias.name}")
            if alias.network in seen:
                reports.append(error("HA708", where, f"NFS cell {cell.name} has two aliases on network {alias.network}: "
                                     f"{seen[alias.network]} and {alias.name}",
                                     "one alias per interface: admin, backbone, InfiniBand (9.4 step 2)"))
            seen.setdefault(alias.network, alias.name)
            for name in cell.nodes:
                node = model.node(name)
                if node is not None and node.port_on(alias.network) is None:
                    reports.append(error("HA708", where, f"alias {alias.name} goes on network {alias.network}, "
                                         f"where NFS node {name} has no interface",
                                         f"add {name}'s node_port on {alias.network}: Cluster Suite adds the alias "
                                         "to the interface holding an address of that network"))
        admin = model.role_network("admin")
        if admin is None or admin.name not in seen:
            reports.append(error("HA708", where_cell, f"NFS cell {cell.name} has no alias on the admin network",
                                 "9.4.3: the clients mount through the admin alias (xenanfs): add its "
                                 "metaservice_port row"))
    return reports


def _exports(model, site, cells) -> list:
    reports = []
    mounts: dict = {}
    fsids: dict = {}
    names: dict = {}
    many = len(cells) > 1
    for e in exports(model, site):
        key = ("nfs", "exports", e.index)
        given = site.get(*key, "cell")
        if e.cell is None:
            if given is None and many:
                reports.append(error("HA707", site.where(*key), f"export {e.mount_point} names no cell, and the "
                                     f"ClusterDB has {len(cells)} NFS cells",
                                     "add cell: one of " + ", ".join(c.name for c in cells)))
            else:
                reports.append(error("HA707", site.where(*key, "cell"), f"cell {given!r} is not an NFS cell of the "
                                     "ClusterDB", "NFS cells: " + ", ".join(c.name for c in cells)))
        if not DEVICE.match(e.device):
            reports.append(error("HA704", site.where(*key, "device"),
                                 f"device {e.device!r} is not a /dev/ path without blanks",
                                 "the LUN's alias as both nodes see it, e.g. /dev/ldn.da0.1 (9.2, 9.4 step 1)"))
        mp = e.mount_point
        if not PATH.match(mp) or mp == "/" or mp.endswith("/") or "//" in mp:
            reports.append(error("HA705", site.where(*key, "mount_point"),
                                 f"mount point {mp!r} is not an absolute path without blanks",
                                 "a directory such as /mount_point1, created on both nodes and the clients"))
        elif mp in mounts:
            reports.append(error("HA705", site.where(*key, "mount_point"),
                                 f"mount point {mp} is also export {mounts[mp] + 1}'s", "one export per mount point"))
        elif e.resource_name in names:
            reports.append(error("HA705", site.where(*key, "mount_point"),
                                 f"mount points {names[e.resource_name]} and {mp} give one cluster.conf resource "
                                 f"name, {e.resource_name}", "choose mount points that differ in their words"))
        mounts.setdefault(mp, e.index)
        names.setdefault(e.resource_name, mp)
        if e.fsid in fsids:
            reports.append(error("HA706", site.where(*key, "fsid"),
                                 f"fsid {e.fsid} is also the fsid of {fsids[e.fsid]}",
                                 "9.4.2: the fsid number varies according to the file system: give each its own"))
        fsids.setdefault(e.fsid, mp)
        if not EXPORT_CLIENT.match(e.clients):
            reports.append(error("HA711", site.where(*key, "clients"),
                                 f"export client {e.clients!r} holds a blank, parenthesis or comma",
                                 "one exports(5) client: *, a host, a network (10.1.0.0/16) or @netgroup"))
        for j, opt in enumerate(e.options):
            if not EXPORT_OPTION.match(opt):
                reports.append(error("HA711", site.where(*key, "options", j),
                                     f"export option {opt!r} is not a word or word=value without blanks",
                                     "the guide's example has blanks inside the option list: write rw, "
                                     "no_root_squash, sync as separate entries"))
            elif opt.split("=")[0] == "fsid":
                reports.append(error("HA711", site.where(*key, "options", j),
                                     "fsid goes in the export's fsid key, not in its options",
                                     "hagen adds fsid=N to the option list"))
    for cell in cells:
        if not any(e.cell == cell.name for e in exports(model, site)):
            reports.append(warning("HA712", Where(table="da_iocell", row=f"name={cell.name}"),
                                   f"NFS cell {cell.name} has no export in the site spec",
                                   "its nfs_service only moves the aliases: add nfs.exports"))
    return reports


def _clients(model, site) -> list:
    reports = []
    served = {e.mount_point for e in exports(model, site)}
    for i, group in enumerate(site.get("nfs", "clients") or []):
        key = ("nfs", "clients", i)
        for j, pattern in enumerate(group["nodes"]):
            try:
                names = expand_nodes([pattern])
            except ValueError as exc:
                reports.append(error("HA710", site.where(*key, "nodes", j), f"{exc}",
                                     "a node name or a node set such as xena[20-23]"))
                continue
            unknown = [n for n in names if model.node(n) is None]
            if unknown:
                reports.append(error("HA710", site.where(*key, "nodes", j),
                                     f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''} "
                                     f"{'is not a node' if len(unknown) == 1 else 'are not nodes'} of the ClusterDB",
                                     "name the client nodes as the node table does"))
        for j, mp in enumerate(group.get("mounts") or []):
            if mp not in served:
                reports.append(error("HA710", site.where(*key, "mounts", j), f"no export serves {mp}",
                                     "exported mount points: " + (", ".join(sorted(served)) or "none")))
        if not re.match(r"^[A-Za-z0-9_=,.:-]+\Z", site.get(*key, "options")):
            reports.append(error("HA711", site.where(*key, "options"),
                                 f"fstab options {group.get('options')!r} hold a blank or an odd character",
                                 "one comma-separated word list, e.g. defaults"))
    path = site.get("nfs", "client_fstab")
    if not PATH.match(path or "") or path.endswith("/"):
        reports.append(error("HA715", site.where("nfs", "client_fstab"),
                             f"client fstab {path!r} is not an absolute file path without blanks",
                             "the default is /etc/fstab.d/nfs-ha.fstab"))
    return reports
