"""The management pair (guide chapters 2-4) and its /etc/HA data files (2.3)."""

from __future__ import annotations

import re

from hagen.check.cells import likely_missing
from hagen.load.secrets import fence_secret
from hagen.model.mngt import management_cell
from hagen.model.services import services, stop_lines
from hagen.base.reports import Where, error, warning

# \Z, not $: $ also matches before a trailing newline
FULL_PATH = re.compile(r"^/[^\s#]*\Z")        # a full path, no blank, no option (2.3.1)
CRON_FILE = re.compile(r"^[A-Za-z0-9._-]+\Z")
SERVICE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")


def check(model, site) -> list:
    cells = model.cells_of_type("mngt")
    reports = _cell_count(model, site, cells)
    if not cells or site.get("management") is None:
        return reports
    cell = management_cell(model)
    where_cell = Where(table="da_iocell_component", row=f"iocell={cell.name}")
    admin, hb_net, network_reports = _networks(model, site)
    reports += network_reports
    if len(cell.nodes) != 2:
        reports.append(error("HA302", where_cell,
                             f"mngt cell {cell.name} holds {len(cell.nodes)} node(s)"
                             + (f" ({', '.join(cell.nodes)})" if cell.nodes else "") + ", not 2"
                             + likely_missing(model, cell),
                             "the pair is exactly two nodes: add or remove da_iocell_component rows"))
    for name in cell.nodes:
        reports += _node(model, site, name, admin, hb_net)
    service_name = site.get("management", "service_name")
    if not SERVICE_NAME.match(service_name or ""):
        reports.append(error("HA321", site.where("management", "service_name"),
                             f"service name {service_name!r} is not letters, digits, '.', '_' or '-'",
                             "the guide's name is HA_NSM"))
    _, secret_reports = fence_secret(site)
    reports += secret_reports
    reports += check_aliases(model, cell)
    reports += check_data_files(site)
    reports += check_moved_directories(model, site)
    return reports


def _cell_count(model, site, cells) -> list:
    """One mngt cell exactly when actif_ha says so, and a management section exactly with it."""
    reports = []
    cluster_where = Where(table="cluster", row=f"name={model.cluster.name}")
    if model.cluster.actif_ha and not cells:
        reports.append(error("HA300", cluster_where, "actif_ha is true but the ClusterDB has no mngt cell",
                             "add the da_iocell of type mngt with the two management nodes, or set actif_ha false"))
    if cells and not model.cluster.actif_ha:
        reports.append(error("HA300", cluster_where, f"the ClusterDB has mngt cell {cells[0].name} but actif_ha is false",
                             "set cluster.actif_ha true (guide 3.1.1: CLUSTER.actif-ha), or remove the mngt cell"))
    if len(cells) > 1:
        reports.append(error("HA301", Where(table="da_iocell", row=f"name={cells[1].name}"),
                             f"{len(cells)} mngt cells: " + ", ".join(c.name for c in cells),
                             "a cluster has one management pair: keep one da_iocell of type mngt"))
    has_section = site.get("management") is not None
    if not cells and has_section:
        reports.append(warning("HA350", site.where("management"),
                               "the site spec configures the management pair, but the ClusterDB has no mngt cell",
                               "nothing is written for the management pair; add the mngt cell to the ClusterDB"))
    if cells and not has_section:
        reports.append(error("HA320", Where(table="da_iocell", row=f"name={management_cell(model).name}"),
                             "the ClusterDB has a mngt cell but the site spec has no management section",
                             "add management: with at least fencing: (see examples/bas5-guide/site.yaml)"))
    return reports


def _networks(model, site) -> tuple:
    """(the admin network, the heartbeat network, reports): each network the pair needs and the
    ClusterDB lacks is reported once, for the pair, never once per node (one cause, one report)."""
    reports = []
    # the pair's NTP peers and syslog-ng talk over the admin network (guide 3.1.3)
    admin = model.role_network("admin")
    heartbeat = site.get("management", "heartbeat")
    if admin is None and heartbeat != "admin":
        reports.append(error("HA307", Where(table="network"),
                             "the ClusterDB has no admin network (function mn), which the management pair's "
                             "NTP and syslog-ng use",
                             "add the admin network row, and the management nodes' ports on it"))
    hb_net = model.role_network(heartbeat)
    if hb_net is None:
        reports.append(error("HA307", site.where("management", "heartbeat"),
                             f"the ClusterDB has no {heartbeat} network for the heartbeat",
                             "set management.heartbeat to a network the nodes are on"))
    return admin, hb_net, reports


def _node(model, site, name: str, admin, hb_net) -> list:
    """A management node: managed, fenced by a controller with an address (and a PAP domain), on
    the heartbeat and admin networks."""
    reports = []
    node = model.node(name)
    where = Where(table="node", row=f"name={name}")
    if node.status != "managed":
        reports.append(error("HA304", where, f"management node {name} has status {node.status!r}",
                             f"dbmNode set --name {name} --status managed (guide 3.1.1)"))
    if node.controller is None:
        reports.append(error("HA303", where, f"management node {name} has no fencing controller",
                             "set node.hwmanager_id to its BMC or PAP: the peer must be able to power it off"))
    elif node.controller.address is None:
        reports.append(error("HA303", Where(table="hwmanager", row=f"name={node.controller.name}"),
                             f"controller {node.controller.name} of {name} has no address",
                             "add its hwmanager_port row"))
    elif node.controller.type == "pap" and name not in (site.get("management", "fencing", "pap_domains") or {}):
        reports.append(error("HA308", site.where("management", "fencing", "pap_domains"),
                             f"{name} is fenced by PAP {node.controller.name} but has no PAP domain",
                             f"add management.fencing.pap_domains.{name}"))
    if hb_net is not None and node.port_on(hb_net.name) is None:
        reports.append(error("HA307", where, f"{name} has no address on {hb_net.name}, the heartbeat network",
                             f"add a node_port row for {name} on {hb_net.name}"))
    if admin is not None and (hb_net is None or hb_net.name != admin.name) and node.port_on(admin.name) is None:
        reports.append(error("HA307", where, f"{name} has no address on {admin.name}, the admin network",
                             f"guide 3.1.3: the pair's NTP peers over it; add a node_port row for {name} "
                             f"on {admin.name}"))
    return reports


def check_aliases(model, cell) -> list:
    """2.2.3: the virtual management node is the pair's admin alias; 3.1.1: with a backbone the
    pair is on, the pair has a backbone alias too (cluster.node_backbone_ipaddr)."""
    reports = []
    where = Where(table="da_iocell", row=f"name={cell.name}")
    for role, code, why in (("admin", "HA330", "the virtual management node every other node reaches (2.2.3)"),
                            ("backbone", "HA331", "the backbone address that follows the active node (3.1.1)")):
        net = model.role_network(role)
        if net is None or any(a.network == net.name for a in cell.aliases):
            continue
        if role == "backbone" and not any(model.node(n) and model.node(n).port_on(net.name) for n in cell.nodes):
            continue                    # the pair is not on the backbone: no address to move
        reports.append(error(code, where, f"mngt cell {cell.name} has no alias on the {role} network {net.name}: {why}",
                             f"add a metaservice_port row of type alias on {net.name} for cell {cell.name}"))
    return reports


def check_data_files(site) -> list:
    reports = []
    m = ("management",)
    runtime = site.get("target") != "el9-pacemaker"   # el9 writes no /etc/HA runtime: its lists are HA171's
    if runtime and site.get(*m, "status"):
        reports.append(error("HA309", site.where(*m, "status"), "the status file must stay empty",
                             "guide 2.3.3: there is no status monitoring yet; remove management.status entries"))
    seen: dict = {}
    for svc in services(site):
        if not FULL_PATH.match(svc.start):
            reports.append(error("HA310", site.where(*svc.key),
                                 f"start entry {svc.start!r} is not a full command path without options",
                                 "guide 2.3.1: one full path per line, no option, no blank (haservices adds start/stop)"))
        if svc.group is None and svc.comment is not None and ("\n" in svc.comment or "\r" in svc.comment):
            reports.append(error("HA107", site.where(*svc.key, "comment"),
                                 f"comment {svc.comment!r} holds a line break: its next line would be run as a command",
                                 "write the comment on one line"))
        if svc.stop is not None and svc.stop != svc.start and not FULL_PATH.match(svc.stop):
            reports.append(error("HA310", site.where(*svc.key, "stop"),
                                 f"stop command {svc.stop!r} is not a full command path without options",
                                 "guide 2.3.1: one full path per line, no option, no blank"))
        if svc.start in seen and svc.live:
            reports.append(error("HA311", site.where(*svc.key), f"{svc.start} is started twice",
                                 "list each command once, at the place it must start"))
        if svc.live:
            seen[svc.start] = svc.key
    if runtime and site.get(*m, "stop") is not None:
        started = {s.start for s in services(site)} | {s.stop for s in services(site) if s.stop}
        for line in stop_lines(site):
            if not FULL_PATH.match(line.command):
                reports.append(error("HA310", site.where(*line.key),
                                     f"stop entry {line.command!r} is not a full command path without options",
                                     "guide 2.3.1: one full path per line, no option, no blank"))
            elif line.command not in started:
                reports.append(warning("HA319", site.where(*line.key),
                                       f"stop entry {line.command} stops something the start list does not run",
                                       "check the stop override against management.services"))
    mounts = {}
    for i, entry in enumerate(site.get(*m, "mnttab")):
        dev, mnt = entry["device"], entry["mount_point"]
        if not dev.startswith("/dev/") or len(dev) <= 5 or re.search(r"\s", dev):
            reports.append(error("HA312", site.where(*m, "mnttab", i, "device"),
                                 f"device {dev!r} does not start with /dev/ or holds a blank",
                                 "guide 2.3.8: a device name beginning with /dev/ and no space or tab, e.g. /dev/sdf"))
        if not FULL_PATH.match(mnt) or mnt == "/":
            reports.append(error("HA313", site.where(*m, "mnttab", i, "mount_point"),
                                 f"mount point {mnt!r} is not an absolute path without blanks",
                                 "guide 2.3.8: a directory path such as /etcha"))
        elif mnt.rstrip("/") in mounts:
            reports.append(error("HA313", site.where(*m, "mnttab", i, "mount_point"),
                                 f"mount point {mnt} is listed twice", "one LUN per mount point"))
        mounts[mnt.rstrip("/")] = i
    for i, path in enumerate(site.get(*m, "links")):
        where = site.where(*m, "links", i)
        if not FULL_PATH.match(path) or path.count("/") < 2 or path.endswith("/"):
            reports.append(error("HA314", where, f"links entry {path!r} is not an absolute directory path",
                                 "guide 2.3.7: the complete path of a directory below a top folder, e.g. /var/lib/pgsql"))
            continue
        if path in mounts:
            reports.append(error("HA315", where, f"{path} is a mount point in mnttab, so halinks cannot link it",
                                 "guide 3.1.1: directories managed by halinks must not be mount points"))
            continue
        top = "/" + path.split("/")[1] + "ha"
        if mounts and top not in mounts:
            reports.append(warning("HA316", where,
                                   f"{path} would link to {top}{path[len(top) - 2:]}, but {top} is not mounted by mnttab",
                                   f"add the LUN of {top} to management.mnttab, or drop the entry"))
    for name in ("pid2clean", "synchro") if runtime else ():
        for i, path in enumerate(site.get(*m, name)):
            if not FULL_PATH.match(path) or path.endswith("/"):
                reports.append(error("HA317", site.where(*m, name, i), f"{name} entry {path!r} is not an absolute file path",
                                     "one full file path per line, no blank"))
    for i, name in enumerate(site.get(*m, "cron") if runtime else []):
        if not CRON_FILE.match(name):
            reports.append(error("HA318", site.where(*m, "cron", i), f"cron entry {name!r} is not a file name of /etc/cron.d",
                                 "guide 2.3.5: the bare name of a file in /etc/cron.d, e.g. clusterdb-backup"))
    return reports


# 3.1.1: the database must not be a mount point, whether halinks moves it or not
DATABASE = "/var/lib/pgsql"


def check_moved_directories(model, site) -> list:
    """3.1.1: the directories halinks moves (the site's and Lustre's, 7.1.1) and /var/lib/pgsql are
    not mount points of the management nodes, nor hold one: mnttab (below a links entry: an
    equal one is HA315), the OCFS2 file system (equal: HA812), NFS and Lustre client mounts."""
    from hagen.model.lustre import management_policy
    from hagen.model.mngt import management_pair
    from hagen.model.nfs import client_mounts

    pair = management_pair(model)
    if pair is None:
        return []
    moved = list(management_policy(model, site).get("management", "links") or [])
    directories = [d.rstrip("/") for d in moved if FULL_PATH.match(d)] + [DATABASE]
    mounts = []         # (mount point, where, what, code reported elsewhere when equal to a links entry)
    for i, entry in enumerate(site.get("management", "mnttab") or []):
        mounts.append((entry["mount_point"], site.where("management", "mnttab", i, "mount_point"), "mnttab", True))
    ocfs2 = site.get("batch", "ocfs2")
    if ocfs2:
        mounts.append((ocfs2["mount_point"], site.where("batch", "ocfs2", "mount_point"), "OCFS2", True))
    for node, entries in client_mounts(model, site).items():
        if node in pair.host_names:
            for export, _ in entries:
                mounts.append((export.mount_point, site.where("nfs", "clients"), f"NFS client ({node})", False))
    for fs in model.filesystems:
        if fs.mount_path and any(c.node in pair.host_names for c in fs.clients):
            mounts.append((fs.mount_path, Where(table="lustre_fs", row=f"fs_name={fs.name}"), "Lustre client", False))
    reports = []
    for mount, where, what, elsewhere in mounts:
        mount = mount.rstrip("/") or "/"
        for d in directories:
            equal = mount == d
            if (equal and elsewhere and d != DATABASE) or not (equal or mount.startswith(d + "/")):
                continue
            subject = "the database directory" if d == DATABASE and d not in moved else f"{d}, which halinks moves,"
            reports.append(error("HA332", where,
                                 f"{subject} {'is' if equal else 'holds'} the {what} mount point {mount}",
                                 "guide 3.1.1: directories halinks manages are not mount points, and /var/lib/pgsql "
                                 "stays local; mount the LUN elsewhere (e.g. /varha) and let halinks link to it"))
    return reports
