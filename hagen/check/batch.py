"""Batch managers and their HA (guide chapter 10): one coupling per site, PBS Professional's
license servers, SLURM's syntax and shared state, LSF's and RMS's service lines, OCFS2."""

from __future__ import annotations

from ipaddress import IPv4Address

from hagen.model.batch import (LSF_SLURM_LINKS, batch_nodes, coupling, coupling_text, given,
                               lsf_hosts_placement, slurm_accounting_log, slurm_syntax, under)
from hagen.model.mngt import management_pair
from hagen.base.reports import Where, error, warning

MANAGERS = ("pbs", "slurm", "lsf", "rms")


def check(model, site) -> list:
    reports = []
    chosen = coupling(site)
    for name in MANAGERS:
        if given(site, "batch", name) and name not in chosen:
            reports.append(error("HA800", site.where("batch", name),
                                 f"batch.{name} is given, but the site's batch coupling is {coupling_text(site)}",
                                 "one batch manager coupling per site (guide chapter 10): PBS, SLURM, LSF, LSF/SLURM, "
                                 "LSF/RMS or RMS; set batch.manager (and batch.lsf.coupling) or remove "
                                 f"batch.{name}"))
    ocfs2 = site.get("batch", "ocfs2")
    if not chosen and not ocfs2:
        return reports
    pair = management_pair(model) if site.get("management") is not None else None
    if pair is None and model.cells_of_type("mngt") and site.get("management") is not None:
        return reports    # a mngt cell that is no pair is HA302's: "this site has no pair" would contradict it
    if pair is None:
        what = f"{coupling_text(site)} high availability" if chosen else "the OCFS2 file system of the management pair"
        key = ("batch", "manager") if chosen else ("batch", "ocfs2")
        reports.append(warning("HA801", site.where(*key),
                               f"{what} needs the HA management pair, and this site has none: nothing is written "
                               "for it",
                               "guide 10.1: possible only on a cluster with High Availability for the Management "
                               "Node (a mngt cell of two nodes in the ClusterDB and a management section in the "
                               "site spec)"))
        return reports
    nodes = batch_nodes(model, site, exclude=pair.host_names)
    if "pbs" in chosen or "slurm" in chosen:
        reports += _ftypes(model, site)
    if "pbs" in chosen:
        reports += _license_servers(model, site, pair, nodes)
        reports += _pbs_nfs_server(model, site, pair, nodes)
    if "slurm" in chosen:
        reports += _slurm(model, site, pair, nodes)
    if "lsf" in chosen:
        reports += _group(site, "lsf")
        reports += _lsf(site)
        reports += _lsf_hosts(model, pair)
    purposes = [p for m, p in (("slurm", "slurm.conf (ControlAddr, BackupAddr)"), ("lsf", "LSF's hosts file"))
                if m in chosen]
    if purposes:
        reports += _admin_ports(model, pair, purposes)
    if "rms" in chosen:
        reports += _group(site, "rms")
        reports += _rms(model, site, pair)
    if ocfs2:
        reports += _ocfs2(model, site, pair)
    return reports


def _ftypes(model, site) -> list:
    out = []
    known = {t for n in model.nodes for t in n.ftypes}
    for key in ("compute_ftypes", "login_ftypes"):
        for i, label in enumerate(site.get("batch", key)):
            if label not in known:
                out.append(warning("HA803", site.where("batch", key, i),
                                   f"no node of the ClusterDB has ftype {label!r}",
                                   "the ClusterDB's ftypes: " + (", ".join(sorted(known)) or "none")
                                   + f"; fix batch.{key}"))
    return out


def _license_servers(model, site, pair, nodes) -> list:
    key = ("batch", "pbs", "license_servers")
    servers = site.get(*key) or []
    out = []
    hint = (f"guide 10.1: three FLEXlm license servers, one on each management node and one on a service node, "
            f"login or otherwise: e.g. [{pair.primary.name}, {pair.secondary.name}, "
            f"{nodes.login[0].name if nodes.login else 'a login node'}]")
    if len(servers) != 3:
        out.append(error("HA802", site.where(*key), f"{len(servers)} FLEXlm license server(s) named, not 3", hint))
    compute = {n.name for n in nodes.compute}
    seen = set()
    for i, name in enumerate(servers):
        if name in seen:
            out.append(error("HA802", site.where(*key, i), f"license server {name} is named twice", hint))
        seen.add(name)
        if model.node(name) is None:
            out.append(error("HA802", site.where(*key, i), f"license server {name} is not a node of the ClusterDB", hint))
        elif name in compute:
            out.append(error("HA802", site.where(*key, i), f"license server {name} is a compute node, not a service node",
                             hint))
    for node in pair.nodes:
        if servers and node.name not in servers:
            out.append(error("HA802", site.where(*key),
                             f"management node {node.name} is not among the license servers", hint))
    if len(servers) == 3 and not (set(servers) - set(pair.host_names)):
        out.append(error("HA802", site.where(*key), "no license server on a service node", hint))
    return out


def _pbs_nfs_server(model, site, pair, nodes) -> list:
    """10.1 prerequisites: an NFS server, on the secondary management node or a service node
    (login or otherwise): never the primary, whose failure PBS's HA must survive."""
    key = ("batch", "pbs", "nfs_server")
    name = site.get(*key)
    hint = (f"guide 10.1: name the NFS server PBS Professional's HA uses: {pair.secondary.name} or a service node "
            f"(e.g. {nodes.login[0].name if nodes.login else 'a login node'})")
    if not name:
        return [error("HA815", site.where("batch", "pbs"), "PBS Professional's HA needs an NFS server, and "
                      "batch.pbs.nfs_server names none", hint)]
    if model.node(name) is None:
        return [error("HA815", site.where(*key), f"NFS server {name} is not a node of the ClusterDB", hint)]
    if name == pair.primary.name:
        return [error("HA815", site.where(*key), f"NFS server {name} is the primary management node: PBS would lose "
                      "it with the node it must survive", hint)]
    if name in {n.name for n in nodes.compute}:
        return [error("HA815", site.where(*key), f"NFS server {name} is a compute node, not a service node", hint)]
    return []


def _slurm(model, site, pair, nodes) -> list:
    out = []
    s = ("batch", "slurm")
    version = site.get(*s, "version")
    if slurm_syntax(version) is None:
        out.append(error("HA804", site.where(*s, "version"),
                         f"SLURM {version}: hagen writes the guide's syntax (1.0 to 1.2) or today's (18.08 and later)",
                         "give the version the cluster runs; SLURM 1.3 to 17.11 is not a target"))
    ocfs2 = site.get("batch", "ocfs2")
    lsf_slurm = coupling(site) == ("lsf", "slurm")
    if not ocfs2:
        out.append(error("HA806", site.where("batch", "manager"),
                         ("the LSF/SLURM coupling installs LSF on the OCFS2 file system SLURM uses, and there is none"
                          if lsf_slurm else "SLURM's backup controller needs its state on a shared OCFS2 file system, "
                                            "and there is none"),
                         "guide 10.2.1-10.2.3: configure batch.ocfs2 (mount point /ocfs2shared for example)"))
    else:
        mount = ocfs2["mount_point"]
        for key, path in (("state_save_location", site.get(*s, "state_save_location")),
                          ("accounting_log", slurm_accounting_log(site))):
            if not under(path, mount) or path.rstrip("/") == mount.rstrip("/"):
                out.append(error("HA805", site.where(*s, key),
                                 f"{path} is not on the shared OCFS2 file system {mount}",
                                 "guide 10.2.2: the controller and the backup controller share the state directory "
                                 f"and the accounting log: put them below {mount} (e.g. {mount}/slurmdata)"))
    include = site.get(*s, "include")
    if include and slurm_syntax(version) == "1.x":
        out.append(error("HA816", site.where(*s, "include"),
                         f"SLURM {version} reads no Include line: {include} would never be read",
                         "with the guide's SLURM, keep the site's lines in slurm.conf itself: list "
                         f"{site.get(*s, 'conf')} in shared_files (a managed block) and remove batch.slurm.include"))
    elif include and include == site.get(*s, "conf"):
        out.append(error("HA816", site.where(*s, "include"), f"slurm.conf would include itself ({include})",
                         "name the site's own file, e.g. /etc/slurm/slurm.site.conf"))
    out += _partitions(site, nodes)
    return out


def _partitions(site, nodes) -> list:
    from ClusterShell.NodeSet import NodeSet, NodeSetException

    out = []
    key = ("batch", "slurm", "partitions")
    compute = {n.name for n in nodes.compute}
    names, defaults = set(), []
    for i, part in enumerate(site.get(*key)):
        where = site.where(*key, i)
        if part["name"] in names:
            out.append(error("HA807", site.where(*key, i, "name"), f"partition {part['name']} is given twice",
                             "one entry per partition"))
        names.add(part["name"])
        if part.get("default"):
            defaults.append(part["name"])
        expr = part.get("nodes")
        if expr is None:
            members = compute
        else:
            try:
                from hagen.base.nodesets import expand

                members = set(expand(expr))      # bounded before ClusterShell expands it
            except (NodeSetException, ValueError) as exc:
                out.append(error("HA807", site.where(*key, i, "nodes"), f"{expr!r} is not a node set: {exc}",
                                 "a ClusterShell node set such as ns[1-8]"))
                continue
            strangers = sorted(members - compute)
            if strangers:
                from hagen.model.names import fold
                out.append(error("HA807", site.where(*key, i, "nodes"),
                                 f"partition {part['name']}: {fold(strangers)} are not compute nodes",
                                 "a partition holds compute nodes (batch.compute_ftypes): "
                                 + (fold(sorted(compute)) if compute else "there are none")))
        if not members:
            out.append(error("HA807", where, f"partition {part['name']} has no node",
                             "give its nodes, or give compute nodes their ftype in the ClusterDB"))
    if len(defaults) > 1:
        out.append(error("HA807", site.where(*key), "partitions " + ", ".join(defaults) + " are all the default",
                         "at most one partition has default: true"))
    return out


def _group(site, group) -> list:
    out = []
    explicit = site.get("management", "optional_groups", group)
    if given(site, "management", "optional_groups", group) and explicit is False:
        out.append(error("HA808", site.where("management", "optional_groups", group),
                         f"management.optional_groups.{group} is false, but the batch coupling "
                         f"{coupling_text(site)} needs the {group} service lines",
                         "guide 2.3.2, 10.2.3: remove the key (the batch choice switches the group on) or set it true"))
    listed = any(isinstance(e, dict) and e.get("group") == group
                 for e in site.get("management", "services") or [])
    if not listed:
        out.append(error("HA808", site.where("management", "services"),
                         f"management.services has no '{{group: {group}}}' entry, so /etc/HA/start cannot start "
                         f"{coupling_text(site)}",
                         f"add '- group: {group}' where the guide's 2.3.2 start file has it (after hasystemimager)"))
    return out


def _lsf(site) -> list:
    out = []
    links = site.get("management", "links") or []
    if coupling(site) == ("lsf", "slurm"):
        made = [link for link, _ in LSF_SLURM_LINKS]
        for i, entry in enumerate(links):
            if any(under(entry, link) or under(link, entry) for link in made):
                out.append(error("HA809", site.where("management", "links", i),
                                 f"{entry} is a halinks entry, but the LSF/SLURM coupling links "
                                 + " and ".join(made) + " to the OCFS2 file system",
                                 "guide 10.2.3: with LSF/SLURM the Cluster Suite does not manage LSF's shared "
                                 "resource: remove this entry from management.links"))
    elif not lsf_hosts_placement(site).primary_only:
        out.append(warning("HA830", site.where("batch", "lsf", "envdir"),
                           f"LSF_ENVDIR {site.get('batch', 'lsf', 'envdir')} is not under a directory of "
                           "management.links, so LSF is not on the pair's shared storage",
                           "guide 10.2.3: without SLURM the Cluster Suite mounts /usr/share/lsf: keep /usr/share/lsf "
                           "in management.links (the hosts file is then written once, on the shared storage)"))
    return out


def _lsf_hosts(model, pair) -> list:
    out = []
    if model.admin_alias(pair.cell) is None:
        out.append(error("HA810", Where(table="metaservice_port", row=f"iocell={pair.cell.name}"),
                         f"mngt cell {pair.cell.name} has no alias on the admin network: LSF's hosts file names "
                         "the virtual management node by it",
                         "guide 10.2.3: add the admin alias of the management pair (ns 10.1.0.65 in the guide)"))
    return out


def _admin_ports(model, pair, purposes) -> list:
    out = []
    admin = model.role_network("admin")
    for node in pair.nodes:
        port = node.port_on(admin.name) if admin else None
        if port is None or port.address is None:
            out.append(error("HA811", Where(table="node", row=f"name={node.name}"),
                             f"management node {node.name} has no address on the admin network, which "
                             + " and ".join(purposes) + " name it by",
                             f"add a node_port row for {node.name} on the admin network"))
    return out


def _rms(model, site, pair) -> list:
    key = ("batch", "rms", "rmshost_if")
    value = site.get(*key)
    if value is None:
        if model.admin_alias(pair.cell) is None:
            return [error("HA810", Where(table="metaservice_port", row=f"iocell={pair.cell.name}"),
                          f"mngt cell {pair.cell.name} has no alias on the admin network for RMS's rmshost-if",
                          "add the admin alias of the management pair (10.1.0.65 in the guide's example), "
                          "or give batch.rms.rmshost_if")]
        return []
    try:
        IPv4Address(value)
    except ValueError:
        return [error("HA810", site.where(*key), f"rmshost-if {value!r} is not an IPv4 address",
                      "guide 10.3.1: the virtual IP address of the management node, e.g. 10.1.0.65")]
    return []


def _ocfs2(model, site, pair) -> list:
    out = []
    o = ("batch", "ocfs2")
    role = site.get(*o, "network")
    net = model.role_network(role)
    if net is None:
        out.append(error("HA400", site.where(*o, "network"), f"the ClusterDB has no {role} network for OCFS2",
                         "set batch.ocfs2.network to a network both management nodes are on"))
    else:
        for node in pair.nodes:
            port = node.port_on(net.name)
            if port is None or port.address is None:
                out.append(error("HA811", Where(table="node", row=f"name={node.name}"),
                                 f"{node.name} has no address on {net.name}, the OCFS2 network",
                                 f"add a node_port row for {node.name} on {net.name}, or change batch.ocfs2.network"))
    mount = site.get(*o, "mount_point").rstrip("/") or "/"
    if mount == "/":
        out.append(error("HA812", site.where(*o, "mount_point"), "the OCFS2 mount point is /",
                         "a directory of its own, e.g. /ocfs2shared"))
        return out
    for entry in site.get("management", "mnttab") or []:
        mp = entry["mount_point"]
        if under(mount, mp) or under(mp, mount):
            out.append(error("HA812", site.where(*o, "mount_point"),
                             f"OCFS2 mount point {mount} overlaps {mp}, a shared LUN hamount mounts on the active node",
                             "guide 10.2.1: the OCFS2 file system is mounted on both nodes at once: give it its own "
                             "mount point"))
    for entry in site.get("management", "links") or []:
        if under(mount, entry) or under(entry, mount):
            out.append(error("HA812", site.where(*o, "mount_point"),
                             f"OCFS2 mount point {mount} overlaps {entry}, which halinks turns into a link",
                             "give the OCFS2 file system a mount point outside management.links"))
    return out
