"""Lustre I/O cells, file systems and targets (guide chapters 5-7). Codes HA6xx."""

from __future__ import annotations

import posixpath
import re

from hagen.check.cells import io_pair
from hagen.load.secrets import fence_secret
from hagen.model.iocell import fencing_section, management_nodes
from hagen.model.lustre import added_links, mgs_hosts
from hagen.model.mngt import management_cell, management_pair
from hagen.model.unpaired import targets_without_partner
from hagen.base.reports import Where, error, warning

TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")   # a name lustre_util's selectors read as a regex
DEVICE = re.compile(r"^/dev/[A-Za-z0-9_.:/+-]+\Z")
FS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,8}\Z")               # mkfs.lustre --fsname: at most 8 characters
ONE_LINE = re.compile(r"^[^\n\r\x00]*\Z")
SUDOERS_D_NAME = re.compile(r"^[^.]*[^~]\Z")                  # sudo's #includedir skips names with '.' or ending '~'


def check(model, site) -> list:
    reports = []
    if not model.has_lustre:
        if ("lustre",) in site.positions:
            reports.append(warning("HA618", site.where("lustre"),
                                   "the site spec configures Lustre, but the ClusterDB has no lustre cell or file system",
                                   "nothing is written for Lustre; add the lustre cells and lustre_* rows, "
                                   "or remove the lustre section"))
        return reports
    # a cell short of a node (HA600 names the likely missing row): its targets' and io_node rows'
    # pairing would each say it again, as errors that contradict none but repeat one cause
    short = any(len(c.nodes) < 2 for c in model.cells_of_type("lustre"))
    reports += _cells(model, site)
    reports += _targets(model, short)
    reports += _filesystems(model)
    reports += [] if short else _unpartnered(model)
    reports += _io_nodes(model, short)
    reports += _management(model, site)
    return reports


def _cells(model, site) -> list:
    reports = []
    nfs_nodes = {n for c in model.cells_of_type("nfs") for n in c.nodes}
    admin = model.role_network("admin")
    cells = model.cells_of_type("lustre")
    kinds_on: dict = {}                # node -> the kinds of the targets it is the primary of
    for t in model.lustre_targets:
        kinds_on.setdefault(t.primary, set()).add(t.kind)
    for cell in cells:
        reports += io_pair(model, cell, "Lustre", "HA600", "HA601", "5.3")
        for name in cell.nodes:
            node = model.node(name)
            where = Where(table="node", row=f"name={name}")
            if admin is None or node.port_on(admin.name) is None:
                reports.append(error("HA614", where,
                                     f"Lustre node {name} has no address on the admin network, its heartbeat",
                                     "6.2.1: a Lustre cell's heartbeat is the management network; add the "
                                     "node_port row"))
            if name in nfs_nodes:
                reports.append(error("HA608", Where(table="da_iocell_component", row=f"node={name}"),
                                     f"{name} is in Lustre cell {cell.name} and in NFS cell "
                                     f"{model.cell_of(name, 'nfs').name}",
                                     "9.1: NFS I/O nodes run an image that strictly excludes Lustre: "
                                     "put the node in one cell only"))
        kinds = set().union(*(kinds_on.get(n, ()) for n in cell.nodes))
        if kinds == {"mdt", "ost"}:
            reports.append(warning("HA602", Where(table="da_iocell", row=f"name={cell.name}"),
                                   f"Lustre cell {cell.name} holds both MDTs and OSTs",
                                   "5.3: an I/O cell contains either OSTs or MDTs; keep metadata and object "
                                   "storage in separate cells"))
    if cells:
        section = fencing_section(site, "lustre")
        if section is None:
            reports.append(error("HA616", site.where("lustre"),
                                 "the Lustre cells fence each other's nodes, but no fencing credentials are given",
                                 "add lustre.fencing (login, password_file or password_env), "
                                 "or management.fencing"))
        elif section == "lustre" or management_cell(model) is None:
            reports += fence_secret(site, section)[1]
    return reports


def _targets(model, short: bool = False) -> list:
    reports = []
    fs_names = {fs.name for fs in model.filesystems}
    mgmt = {n.name for n in management_nodes(model)}
    for t in model.lustre_targets:
        node_col = "mds" if t.kind == "mdt" else "oss"
        where = Where(table=t.table, row=f"{t.kind}_name={t.name}")
        if t.fs not in fs_names:
            reports.append(error("HA609", where, f"{t.kind.upper()} {t.name} belongs to file system {t.fs!r}, "
                                 "which lustre_fs does not have", "add the lustre_fs row, or fix fs_name"))
        unknown = False
        for col, name in ((f"{node_col}_node_name", t.primary), (f"{node_col}_ha_node", t.secondary),
                          (f"{node_col}_active_node", t.active)):
            if name is not None and model.node(name) is None:
                unknown = True
                reports.append(error("HA609", where, f"{col} {name!r} is not a node of the ClusterDB",
                                     "name the node as the node table does"))
        if not TARGET_NAME.match(t.name or ""):
            reports.append(error("HA610", where, f"target name {t.name!r} is not letters, digits, '_' and '-'",
                                 "lustre_util selects targets by regular expressions on their names: "
                                 "rename the target"))
        if not DEVICE.match(t.device or ""):
            reports.append(error("HA610", where, f"device {t.device!r} is not a /dev/ path without blanks",
                                 "give the LUN as both nodes of the cell see it, e.g. /dev/ldn.da1.1"))
        if unknown:
            continue
        cell = model.cell_of(t.primary, "lustre")
        if t.secondary is not None and not short:
            if t.secondary == t.primary:
                reports.append(error("HA604", where, f"{t.name}'s secondary node is its primary {t.primary}",
                                     "the secondary is the other node of the primary's Lustre cell"))
            elif cell is None or t.secondary not in cell.nodes:
                where_is = f"in Lustre cell {cell.name}" if cell else "in no Lustre cell"
                reports.append(error("HA604", where,
                                     f"{t.name} fails over from {t.primary} ({where_is}) to {t.secondary}, "
                                     "which is not its cell peer",
                                     "a target's primary and secondary are the two nodes of one I/O cell "
                                     "(they share its disk arrays)"))
        if t.active is not None and t.active not in t.nodes:
            reports.append(error("HA604", where, f"{t.name} is active on {t.active}, neither its primary "
                                 f"{t.primary} nor its secondary {t.secondary}",
                                 f"set {node_col}_active_node to the primary or the secondary"))
        if t.kind == "mdt":
            for name in t.nodes:
                if name in mgmt:
                    reports.append(warning("HA607", where, f"MDT {t.name} is served by management node {name}",
                                           "5.4: a simultaneous migration of the management node and of the "
                                           "metadata server is a double failure; serve MDTs from I/O nodes"))
    for c in model.lustre_clients:
        where = Where(table="lustre_mount", row=f"fs_name={c.fs}, mnt_node_name={c.node}")
        if c.fs not in fs_names:
            reports.append(error("HA609", where, f"client {c.node} mounts file system {c.fs!r}, which lustre_fs "
                                 "does not have", "add the lustre_fs row, or fix fs_name"))
        if model.node(c.node) is None:
            reports.append(error("HA609", where, f"client {c.node!r} is not a node of the ClusterDB",
                                 "name the node as the node table does"))
    return reports


def _filesystems(model) -> list:
    reports = []
    paths: dict = {}
    for fs in model.filesystems:
        where = Where(table="lustre_fs", row=f"fs_name={fs.name}")
        if fs.mount_path is not None and fs.mount_path in paths:
            reports.append(error("HA611", where, f"mount_path {fs.mount_path} is also file system "
                                 f"{paths[fs.mount_path]}'s", "each file system mounts on its own path"))
        paths.setdefault(fs.mount_path, fs.name)
        if not FS_NAME.match(fs.name):
            reports.append(error("HA611", where, f"fs_name {fs.name!r} is not 1 to 8 letters, digits, '_' or '-'",
                                 "Lustre file system names have at most 8 characters (mkfs.lustre --fsname)"))
        for col in ("mount_path", "mount_options", "nettype", "fstype", "mdt_mkfs_options", "mdt_mount_options",
                    "ost_mkfs_options", "ost_mount_options", "quota_options", "description"):
            value = getattr(fs, col)
            if value is not None and (not ONE_LINE.match(value) or not value.strip()):
                reports.append(error("HA611", where, f"{col} {value!r} is empty or spans several lines",
                                     "a model file takes one 'key: value' line per setting: write it on one line, "
                                     "or NULL to leave it out"))
        if fs.mount_path is not None and (not fs.mount_path.startswith("/") or re.search(r"\s", fs.mount_path)):
            reports.append(error("HA611", where, f"mount_path {fs.mount_path!r} is not an absolute path without blanks",
                                 "the clients' mount point, e.g. /scratch"))
        for col in ("failover", "quota"):
            if getattr(fs, col) not in (None, "yes", "no"):
                reports.append(error("HA611", where, f"{col} is {getattr(fs, col)!r}, not yes or no",
                                     f"lustre_fs.{col} is 'yes', 'no' or NULL"))
        if len(fs.mdts) != 1 or not fs.osts:
            reports.append(error("HA612", where, f"file system {fs.name} has {len(fs.mdts)} MDT(s) and "
                                 f"{len(fs.osts)} OST(s)",
                                 "a file system is one MDT and one or more OSTs (6.3.9)"))
        for mdt in fs.mdts:
            for ost in fs.osts:
                if ost.primary == mdt.primary:
                    reports.append(error("HA603", Where(table="lustre_ost", row=f"ost_name={ost.name}"),
                                         f"{mdt.primary} serves both MDT {mdt.name} and OST {ost.name} of "
                                         f"file system {fs.name}",
                                         "5.3, figure 5-6: a failure of that node would be a double failure "
                                         "(MDS + OSS); serve the file system's MDT and OSTs from different nodes"))
        lacking = [t.name for t in fs.targets if not t.secondary]
        if fs.failover == "yes" and lacking:
            reports.append(error("HA606", where, f"failover is yes but {', '.join(lacking)} "
                                 f"{'has' if len(lacking) == 1 else 'have'} no secondary node",
                                 "6.3.9: the secondary node of every target comes from the ClusterDB; set "
                                 "mds_ha_node/oss_ha_node, or failover to no"))
        if fs.failover == "no" and fs.targets and not lacking:
            reports.append(warning("HA619", where, f"failover is no although every target of {fs.name} has a "
                                   "secondary node",
                                   "Cluster Suite moves the targets but Lustre will not look for them there: "
                                   "set failover to yes (6.3.9)"))
    return reports


def _unpartnered(model) -> list:
    """A file system whose failover is left to hagen (lustre_fs.failover NULL) is written
    `failover: no` as soon as one target has no partner: a warning naming them, since a
    file system without failover can be a choice (scratch), which failover 'no' then says."""
    reports = []
    by_fs: dict = {}
    for found in targets_without_partner(model):
        by_fs.setdefault(found.fs, []).append(found)
    for fs in model.filesystems:
        if fs.failover is not None or fs.name not in by_fs:
            continue
        named = "; ".join(f"{u.kind.upper()} {u.target}: {u.reason}" for u in by_fs[fs.name])
        reports.append(warning("HA620", Where(table="lustre_fs", row=f"fs_name={fs.name}"),
                               f"file system {fs.name} is written 'failover: no' because not every target has a "
                               f"failover partner ({named})",
                               "6.3.1, 6.3.9: give each target a secondary, the other node of its primary's Lustre "
                               "cell (mds_ha_node/oss_ha_node); or set lustre_fs.failover to 'no' to say that "
                               "this file system runs without failover"))
    return reports


def _io_nodes(model, short: bool = False) -> list:
    reports = []
    for cell in model.cells_of_type("lustre"):
        if len(cell.nodes) != 2:
            continue
        for name in cell.nodes:
            peer = next(n for n in cell.nodes if n != name)
            row = model.io_node(name)
            where = Where(table="lustre_io_node", row=f"node={name}")
            if row is None:
                reports.append(warning("HA640", where, f"Lustre node {name} has no lustre_io_node row",
                                       f"lustre_io_node_dba set --nid <id of {name}> --fid <id of {peer}> (6.1.1): "
                                       "the failover tools read the pairs from there"))
            elif row.ha_node != peer:
                reports.append(error("HA605", where, f"lustre_io_node pairs {name} with {row.ha_node}, "
                                     f"but its Lustre cell {cell.name} pairs it with {peer}",
                                     f"set ha_node_id to {peer}'s id (lustre_io_node_dba set --fid, 6.1.1)"))
    in_cells = {n for c in model.cells_of_type("lustre") for n in c.nodes}
    for row in model.io_nodes if not short else ():
        if row.node not in in_cells and row.ha_node is not None:
            reports.append(error("HA605", Where(table="lustre_io_node", row=f"node={row.node}"),
                                 f"lustre_io_node pairs {row.node} with {row.ha_node}, but {row.node} is in no "
                                 "Lustre cell", "add the lustre da_iocell of the pair, or clear ha_node_id"))
    return reports


def _management(model, site) -> list:
    reports = []
    mgmt = management_nodes(model)
    if not mgmt:
        reports.append(error("HA613", Where(table="node_ftype"),
                             "the ClusterDB has Lustre but no management node",
                             "6.1: Lustre HA needs a dedicated management node: give it the ftype mngt "
                             "(or describe the management pair's mngt cell)"))
    path = site.get("lustre", "sudoers")
    where = site.where("lustre", "sudoers")
    if not path.startswith("/") or path.endswith("/") or re.search(r"\s", path):
        reports.append(error("HA615", where, f"sudoers path {path!r} is not an absolute file path without blanks",
                             "the default is /etc/sudoers.d/lustre"))
    elif posixpath.basename(posixpath.dirname(path)) == "sudoers.d" and not SUDOERS_D_NAME.match(posixpath.basename(path)):
        reports.append(error("HA615", where, f"sudo skips {posixpath.basename(path)!r} in sudoers.d: the name holds "
                             "a '.' or ends with '~'", "name the fragment without a dot, e.g. /etc/sudoers.d/lustre"))
    # 7.1.2: the MGS by two distinct addresses or names, never an alias
    aliases = {a.name: a for c in model.cells for a in c.aliases}
    alias_addresses = {str(a.address): a for a in aliases.values() if a.address is not None}
    own = {}
    admin = model.role_network("admin")
    for node in mgmt:
        own[node.name] = node.name
        if admin is not None:
            own[admin.host_name(node.name)] = node.name
        for port in node.ports:
            if port.address is not None:
                own[str(port.address)] = node.name
    hosts = mgs_hosts(model, site)
    key = ("lustre", "mgs_hosts")
    seen = {}
    for i, host in enumerate(hosts):
        where = site.where(*key, i) if site.get(*key) else Where(table="node_ftype")
        if host in aliases or host in alias_addresses:
            alias = aliases.get(host) or alias_addresses[host]
            reports.append(error("HA617", where, f"MGS host {host} is alias {alias.name} of cell {alias.cell}",
                                 "7.1.2: the MGS service does not support IP address aliases: name the management "
                                 "nodes by their own host names or addresses"))
            continue
        if host not in own:
            reports.append(error("HA617", where, f"MGS host {host} is not a management node's own name or address",
                                 "name the management node(s): " + ", ".join(n.name for n in mgmt)))
            continue
        if own[host] in seen:
            reports.append(error("HA617", where, f"MGS hosts {seen[own[host]]} and {host} are one node, "
                                 f"{own[host]}", "7.1.2: always use two different addresses or host names"))
        seen.setdefault(own[host], host)
    if management_pair(model) is not None and len(hosts) == 1 and site.get(*key):
        reports.append(error("HA617", site.where(*key), "the management pair's MGS is named by one host",
                             "7.1.2: name both management nodes, primary first"))
    # 7.1.3: the pair's links added for Lustre must be on shared storage
    mounts = {e["mount_point"].rstrip("/") for e in site.get("management", "mnttab") or []}
    for path in added_links(model, site):
        top = "/" + path.split("/")[1] + "ha"
        if mounts and top not in mounts:
            reports.append(warning("HA316", site.where("management", "links"),
                                   f"Lustre needs {path} on shared storage (7.1.1), but {top} is not mounted by mnttab",
                                   f"add the LUN of {top} to management.mnttab"))
    return reports
