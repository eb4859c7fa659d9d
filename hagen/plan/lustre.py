"""The Lustre I/O cells' artifacts (guide chapters 5-7).

Per Lustre cell: cluster.conf on both nodes (two lustre_<node> services, 5.4, 6.2.1) and
the symbolic links /usr/sbin/lustre_failover_<node> -> /usr/sbin/lustre_failover (5.5).
On the management node(s): a model file per file system (6.3.9), lustre.cfg (also on
the I/O nodes) and the ldap user's sudo rules (6.3.3). The management pair's own files
take the Lustre additions of 7.1 through hagen.model.lustre.management_policy.
"""

from __future__ import annotations

from hagen.load.secrets import fence_secret
from hagen.model.cman import cluster_name
from hagen.model.quorum import quorum_context
from hagen.model.iocell import cell_fencing, fencing_section, management_nodes
from hagen.model.lustre import (CONFIG, FAILOVER_SCRIPT, MODELS, SUDO_RULES, config_context, failover,
                                script_path, service_name)
from hagen.model.names import fold, natural_key
from hagen.plan import Artifact

# lustre_fs columns written in a model file, in the order of shared/reference/lustre
_SETTINGS = ("stripe_size", "stripe_count", "stripe_pattern", "nettype", "fstype", "failover", "ha_timeout",
             "mdt_mkfs_options", "mdt_inode_size", "mdt_mount_options", "ost_mkfs_options", "ost_inode_size",
             "ost_mount_options", "mount_options", "quota", "quota_options", "description")


def plan(model, site) -> list[Artifact]:
    if not model.has_lustre:
        return []
    out = []
    section = fencing_section(site, "lustre")
    secret = fence_secret(site, section)[0] if section else None
    for cell in model.cells_of_type("lustre"):
        out.append(_cluster_conf(model, site, cell, secret))
        for node in cell.nodes:
            out.append(Artifact(script_path(node), cell.nodes, "symlink", {}, link_target=FAILOVER_SCRIPT,
                                sources=(f"clusterdb da_iocell[name={cell.name}]",)))
    mgmt = tuple(n.name for n in management_nodes(model))
    if mgmt:
        for fs in model.filesystems:
            out.append(_model_file(fs, mgmt))
        out.append(Artifact(site.get("lustre", "sudoers"), mgmt, "lustre/sudoers.j2",
                            {"path": site.get("lustre", "sudoers"), "user": "ldap", "rules": list(SUDO_RULES)},
                            mode=0o440, sources=("site lustre.sudoers",)))
    io_nodes = {n for c in model.cells_of_type("lustre") for n in c.nodes}
    hosts = tuple(sorted(set(mgmt) | io_nodes, key=natural_key))
    if hosts:
        out.append(Artifact(CONFIG, hosts, "lustre/lustre.cfg.j2", config_context(model, site),
                            sources=("clusterdb node_ftype", "clusterdb metaservice_port", "site lustre")))
    return out


def _cluster_conf(model, site, cell, secret) -> Artifact:
    nodes, devices = cell_fencing(model, cell, site, "lustre", secret, "admin")
    services = []
    for own in nodes:
        node = cell.nodes[own["nodeid"] - 1]
        peers = [n for n in nodes if n is not own]
        services.append({
            "name": service_name(node), "domain": f"{service_name(node)}_domain",
            "script_name": f"lustre_failover_{node}", "script": script_path(node),
            "members": [{"name": own["name"], "priority": 1}]
                       + [{"name": p["name"], "priority": i} for i, p in enumerate(peers, 2)],
        })
    context = {
        "name": cluster_name(cell, site),
        "cell": cell.name,
        "quorum": quorum_context(model, site, cell),
        "post_join_delay": site.get("lustre", "post_join_delay"),
        "nodes": nodes,
        "fence_devices": devices,
        "services": services,
    }
    return Artifact("/etc/cluster/cluster.conf", cell.nodes, "cluster/lustre.conf.xml.j2", context,
                    mode=0o600,
                    sources=(f"clusterdb da_iocell[name={cell.name}]", "clusterdb node", "clusterdb hwmanager_port",
                             "site lustre.fencing", "site lustre.post_join_delay",
                             *(("site quorum",) if cell.quorum_device else ())))


def _model_file(fs, mgmt) -> Artifact:
    settings = []
    for key in _SETTINGS:
        value = "yes" if key == "failover" and failover(fs) else "no" if key == "failover" else getattr(fs, key)
        if value is not None:
            settings.append({"key": key, "value": value})
    context = {"fs": fs.name, "settings": settings, "mount_path": fs.mount_path,
               "mdts": [t.name for t in fs.mdts], "osts": [t.name for t in fs.osts],
               "clients": fold([c.node for c in fs.clients])}
    return Artifact(f"{MODELS}/{fs.name}.lmf", mgmt, "lustre/model.lmf.j2", context,
                    sources=(f"clusterdb lustre_fs[fs_name={fs.name}]", "clusterdb lustre_mdt", "clusterdb lustre_ost",
                             "clusterdb lustre_mount"))
