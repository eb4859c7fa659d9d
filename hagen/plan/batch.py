"""Batch managers and their HA (guide chapter 10): pbs.conf per role, slurm.conf in the
guide's or today's syntax, OCFS2's cluster.conf and mount, LSF's hosts file and the
LSF/SLURM links, the RMS rcontrol script. /etc/HA/start and stop get the LSF and RMS
service lines through hagen.model.services."""

from __future__ import annotations

from hagen.model.batch import (batch_nodes, coupling, lsf_hosts_placement, lsf_links,
                               slurm_accounting_log, slurm_syntax)
from hagen.model.mngt import management_pair
from hagen.model.names import fold
from hagen.plan import Artifact

# guide 10.1.2: PBS_START_SERVER, PBS_START_MOM, PBS_START_SCHED per role
PBS_ROLES = {
    "primary": ("primary management node", 1, 0, 1),
    "secondary": ("secondary management node", 0, 0, 1),
    "compute": ("COMPUTE(X) node", 0, 1, 0),
    "login": ("LOGIN node", 0, 0, 0),
}


def plan(model, site, secret) -> list[Artifact]:
    chosen = coupling(site)
    ocfs2 = site.get("batch", "ocfs2")
    if not chosen and not ocfs2:
        return []
    pair = management_pair(model)
    if pair is None or site.get("management") is None:
        return []
    nodes = batch_nodes(model, site, exclude=pair.host_names)
    out = []
    if "pbs" in chosen:
        out += _pbs(site, pair, nodes)
    if "slurm" in chosen:
        out.append(_slurm(model, site, pair, nodes))
    if "lsf" in chosen:
        out += _lsf(model, site, pair)
    if "rms" in chosen:
        out.append(_rms(model, site, pair))
    if ocfs2:
        out += _ocfs2(model, site, pair)
    return out


def _pbs(site, pair, nodes) -> list[Artifact]:
    pbs = site.get("batch", "pbs")
    hosts = {"primary": (pair.primary.name,), "secondary": (pair.secondary.name,),
             "compute": tuple(n.name for n in nodes.compute), "login": tuple(n.name for n in nodes.login)}
    out = []
    for role, (label, server, mom, sched) in PBS_ROLES.items():
        if not hosts[role]:
            continue
        keys = [("PBS_EXEC", pbs["exec"]), ("PBS_HOME", pbs["home"]), ("PBS_START_SERVER", server),
                ("PBS_START_MOM", mom), ("PBS_START_SCHED", sched), ("PBS_SERVER", pair.primary.name),
                ("PBS_PRIMARY", pair.primary.name), ("PBS_SECONDARY", pair.secondary.name), ("PBS_SCP", pbs["scp"])]
        sources = ["site batch.pbs", f"clusterdb da_iocell[name={pair.cell.name}]"]
        if role in ("compute", "login"):
            sources.append(f"clusterdb node_ftype (site batch.{role}_ftypes)")
        out.append(Artifact("/etc/pbs.conf", hosts[role], "batch/pbs.conf.j2", {"role": label, "keys": keys},
                            sources=tuple(sources)))
    return out


def _slurm(model, site, pair, nodes) -> Artifact:
    s = site.get("batch", "slurm")
    admin = model.role_network("admin")
    compute = [n.name for n in nodes.compute]
    partitions = []
    for part in s["partitions"]:
        members = compute if part.get("nodes") is None else _expand(part["nodes"])
        partitions.append({"name": part["name"], "nodes": fold(members), "default": bool(part.get("default"))})
    context = {
        "syntax": slurm_syntax(s["version"]),
        "version": s["version"],
        "cluster_name": (s.get("cluster_name") or model.cluster.name).lower(),
        "controllers": [{"name": n.name, "address": str(n.port_on(admin.name).address)} for n in pair.nodes],
        "user": s["user"],
        "state": s["state_save_location"],
        "accounting": slurm_accounting_log(site),
        "nodes": [fold(compute)] if compute else [],
        "partitions": partitions,
        "include": s.get("include"),
    }
    hosts = pair.host_names + tuple(n.name for n in nodes.compute) + tuple(n.name for n in nodes.login)
    return Artifact(s["conf"], hosts, "batch/slurm.conf.j2", context,
                    sources=("site batch.slurm", *(("site batch.slurm.include",) if s.get("include") else ()), f"clusterdb da_iocell[name={pair.cell.name}]",
                             f"clusterdb node_port (network {admin.name})", "clusterdb node_ftype"))


def _expand(expr: str) -> list[str]:
    from hagen.base.nodesets import expand

    return expand(expr)           # bounded (checked first by hagen.check.batch)


def _lsf(model, site, pair) -> list[Artifact]:
    admin = model.role_network("admin")
    alias = model.admin_alias(pair.cell)
    place = lsf_hosts_placement(site)
    context = {"alias": {"name": alias.name, "address": str(alias.address)},
               "nodes": [{"name": n.name, "address": str(n.port_on(admin.name).address)} for n in pair.nodes]}
    hosts = (pair.primary.name,) if place.primary_only else pair.host_names
    sources = ["site batch.lsf.envdir", "clusterdb metaservice_port", f"clusterdb da_iocell[name={pair.cell.name}]"]
    if place.via:
        sources.append(f"link {place.via}")
    out = [Artifact(place.path, hosts, "batch/lsf_hosts.j2", context, sources=tuple(sources))]
    for link, target in lsf_links(site):
        out.append(Artifact(link, pair.host_names, "symlink", {}, link_target=target,
                            sources=("site batch.lsf.coupling", "site batch.ocfs2.mount_point")))
    return out


def _rms(model, site, pair) -> Artifact:
    r = site.get("batch", "rms")
    address = r.get("rmshost_if") or str(model.admin_alias(pair.cell).address)
    return Artifact(r["script"], pair.host_names, "batch/rms_ha.sh.j2",
                    {"rmshost_if": address, "reconnect_timeout": r["reconnect_timeout"]}, mode=0o755,
                    sources=("site batch.rms", "clusterdb metaservice_port"))


def _ocfs2(model, site, pair) -> list[Artifact]:
    o = site.get("batch", "ocfs2")
    net = model.role_network(o["network"])
    nodes = [{"name": n.name, "address": str(n.port_on(net.name).address), "number": i}
             for i, n in enumerate(pair.nodes)]
    out = [Artifact("/etc/ocfs2/cluster.conf", pair.host_names, "batch/ocfs2_cluster.conf.j2",
                    {"name": o["cluster_name"], "port": o["port"], "nodes": nodes},
                    sources=("site batch.ocfs2", f"clusterdb da_iocell[name={pair.cell.name}]",
                             f"clusterdb node_port (network {net.name})"))]
    if o.get("device"):
        out.append(Artifact(o["fstab"], pair.host_names, "batch/ocfs2.fstab.j2",
                            {"device": o["device"], "mount_point": o["mount_point"]}, sources=("site batch.ocfs2",)))
    return out
