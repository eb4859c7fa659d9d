"""The runbook's chapters for what the build writes beyond Cluster Suite: the OCFS2 file
system and SLURM's own failover (10.2.1, 10.2.2), the Lustre file systems from the
models hagen writes (6.3.9, lustre_util) with the MGS it adds to the management pair's
start and stop lists (7.1.2), and the NFS clients' mounts (9.4.3).

Each step is a plain dict (hagen.audit.runbook.step): title, hosts, commands, expect,
guide, and a rollback for every step that changes a node; steps that erase data (mkfs,
mkqdisk, lustre_util install) are marked destructive by hagen.audit.runbook.step itself.
"""

from __future__ import annotations

from hagen.audit.shell import arg, q
from hagen.model.names import fold


def ocfs2(model, site, pair, step) -> list:
    """10.2.1: the shared OCFS2 file system of the management pair (SLURM's state, LSF)."""
    o = site.get("batch", "ocfs2")
    if pair is None or not o or not o.get("mount_point") or not o.get("device"):
        return []
    both, first = fold(list(pair.host_names)), pair.primary.name
    mp, dev, name = o["mount_point"], o["device"], o.get("cluster_name") or "ocfs2"
    qmp, qdev, qname = q(mp), q(dev), q(name)
    return [
        # the fstab line mounts at boot only when o2cb starts this cluster at boot and the ocfs2
        # service mounts the _netdev ocfs2 lines: `o2cb configure` writes /etc/sysconfig/o2cb
        step("o2cb on both management nodes", both,
             [f"/etc/init.d/o2cb configure   # load the driver on boot: y; cluster to start on boot: {name}",
              "/etc/init.d/o2cb load", f"/etc/init.d/o2cb online {qname}", "chkconfig o2cb on",
              "chkconfig ocfs2 on", "/etc/init.d/o2cb status"],
             f"cluster {name} online on both nodes, as /etc/ocfs2/cluster.conf (written by hagen) names them; "
             f"/etc/sysconfig/o2cb says O2CB_ENABLED=true and O2CB_BOOTCLUSTER={name}",
             "10.2.1", rollback=["chkconfig ocfs2 off", f"/etc/init.d/o2cb offline {qname}", "/etc/init.d/o2cb unload",
                                 "/etc/init.d/o2cb configure   # load the driver on boot: n"]),
        step(f"format {mp}", first, [f"mkfs.ocfs2 -N 2 -L {qname} {qdev}"],
             f"{dev} formatted once, from one node (the guide's \"on each Management Node\" means the mount "
             "points: OCFS2 is one file system both nodes share); `mounted.ocfs2 -d` lists it on both nodes",
             "10.2.1 step 3", rollback=["nothing to undo on the nodes: the former content of the partition is lost "
                                        "(restore it from a backup)"]),
        step(f"mount {mp} on both nodes", both, [f"mkdir -p {qmp}", f"mount {qmp}", f"mounted.ocfs2 -f {qdev}"],
             f"{mp} mounted on both nodes (the fstab line hagen wrote mounts it with _netdev at boot); "
             "mounted.ocfs2 -f names both nodes", "10.2.1 step 2", rollback=[f"umount {qmp}"]),
    ]


def slurm(model, site, pair, step) -> list:
    """10.2.2: SLURM's own active/backup controllers (not a Cluster Suite service)."""
    from hagen.model.batch import coupling, slurm_accounting_log

    s = site.get("batch", "slurm")
    if pair is None or "slurm" not in coupling(site) or not s:
        return []
    state, user = s["state_save_location"], s.get("user") or "slurm"
    qstate = q(state)
    p, b = pair.primary.name, pair.secondary.name
    return [
        step("SLURM's state on the shared file system", p,
             [f"mkdir -p {qstate}", f"chown -R {q(user + ':root')} {qstate}", f"ls -ld {qstate}"],
             f"{state} owned by {user}; the accounting log {slurm_accounting_log(site)} is written there too",
             "10.2.2", rollback=[f"rmdir {qstate}   # only if it was created here, and is still empty"]),
        step("controllers: primary, then backup", fold([p, b]),
             [f'ssh {p} "/etc/init.d/slurm start"', f'ssh {b} "/etc/init.d/slurm start"', "scontrol ping"],
             f"scontrol ping: the primary controller {p} and the backup {b} both UP "
             f"(slurm.conf, written by hagen, names {p} ControlMachine and {b} BackupController)",
             "10.2.2", rollback=[f'ssh {b} "/etc/init.d/slurm stop"', f'ssh {p} "/etc/init.d/slurm stop"']),
        step("the backup controller takes over", b,
             [f'ssh {p} "/etc/init.d/slurm stop"', "scontrol ping   # again after SlurmctldTimeout (slurm.conf; 120 s by default)", "squeue"],
             f"after SlurmctldTimeout {b} answers as controller, squeue lists the same jobs (their state was "
             f"read from {state}); start slurmctld on {p} again to give the control back",
             "10.2.2", rollback=[f'ssh {p} "/etc/init.d/slurm start"', "scontrol ping"]),
    ]


def lustre(model, site, cells, step) -> list:
    """6.3.9: format, start and mount each file system from the model file hagen writes
    (/etc/lustre/models/<fs>.lmf); 7.1.2: the MGS in the management pair's start list."""
    from hagen.model.iocell import management_host
    from hagen.model.lustre import failover, mgs_hosts, mgs_on_pair

    if not model.filesystems or not any(c.type == "lustre" for c in cells):
        return []
    steps = []
    if mgs_on_pair(model, site):
        service = site.get("lustre", "mgs_service")
        steps.append(step("the MGS on the management pair", "the active management node",
                          ["grep -n mgs /etc/HA/start /etc/HA/stop", f"{q(service)} status",
                           "grep LUSTRE_MGS /etc/lustre/lustre.cfg"],
                          f"{service} is in /etc/HA/start before LDAP and lustredbd, and in /etc/HA/stop after "
                          f"them (hagen adds it, 7.1.1); it runs on the active node only; lustre.cfg names "
                          f"{' and '.join(mgs_hosts(model, site))}, two hosts and no alias (7.1.2)", "7.1.2"))
    where = management_host(model) or "the management node"
    for fs in model.filesystems:
        model_file, name = q(f"/etc/lustre/models/{fs.name}.lmf"), q(fs.name)
        # what the model file says (hagen.model.lustre.failover): lustre_util sets up a secondary
        # only with failover: yes, whatever the ClusterDB names
        paired = failover(fs)
        targets = ", ".join(f"{t.kind.upper()} {t.name} on {t.primary}" + (f" (failover {t.secondary})"
                                                                           if t.secondary and paired else "")
                            for t in fs.mdts + fs.osts)
        clients = fold([c.node for c in fs.clients])
        nodes = q(clients)
        steps.append(step(f"format file system {fs.name}", where,
                          [f"lustre_util install -f {model_file}", f"lustre_util info -f {name}"],
                          f"every target formatted and registered: {targets}; info shows failover "
                          f"{'yes' if paired else 'no'}, as {model_file} says",
                          "6.3.9", rollback=[f"lustre_util remove -f {name}   # the file system's data is lost"]))
        steps.append(step(f"start {fs.name}", where, [f"lustre_util start -f {name}",
                                                      f"lustre_util status -f {name}"],
                          f"MDT and OSTs of {fs.name} online on their primary nodes; lustre_migrate hastat "
                          "unchanged", "6.3.9, 6.5.1", rollback=[f"lustre_util stop -f {name}"]))
        if clients:
            steps.append(step(f"mount {fs.name} on its clients", where,
                              [f"lustre_util mount -f {name} -n {nodes}",
                               f"pdsh -w {nodes} {arg('df ' + q(fs.mount_path))}"],
                              f"{fs.mount_path} mounted on {clients}", "6.3.9",
                              rollback=[f"lustre_util umount -f {name} -n {nodes}"]))
    return steps


def nfs_clients(model, site, step) -> list:
    """9.4.3: the clients mount each export through the cell's admin alias, no special option."""
    from hagen.model.nfs import client_mounts

    by_mounts: dict = {}
    for node, mounts in client_mounts(model, site).items():
        key = tuple(sorted((export.mount_point, line) for export, line in mounts))
        by_mounts.setdefault(key, []).append(node)
    steps = []
    path = site.get("nfs", "client_fstab")
    for key, nodes in sorted(by_mounts.items(), key=lambda kv: kv[1][0]):
        points, shown = " ".join(q(mp) for mp, _ in key), " ".join(mp for mp, _ in key)
        steps.append(step(f"NFS mounts of {fold(nodes)}", fold(nodes),
                          [f"mkdir -p {points}", "mount -a -t nfs", f"df {points}"],
                          f"{path} (written by hagen) mounts {shown} from the cell's alias; df shows each "
                          "served through the alias, not a node's own name", "9.4.3",
                          rollback=[f"umount {points}"]))
    return steps
