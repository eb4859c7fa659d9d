"""The el9-pacemaker target: today's stack from the same inputs (docs/migration-el9.md).

Per HA cell (the management pair, each Lustre cell, each NFS cell), on both nodes:
corosync.conf (knet), the CIB (hagen.plan.el9.cib) with its apply script, the fence
password file the CIB's password_script reads and, for a cell with a quorum LUN, the
SBD configuration. On the management pair: chrony.conf in place of ntp.conf and
NetworkManager keyfiles in place of ifcfg (hagen.plan.el9.host). What is not tied to
cman (hosts, batch, Lustre's model files, client fstabs, syslog-ng) comes from
the same planners as the rhel5-cman target; cluster.conf, the /etc/HA runtime and its
data files, the lustre_failover links and the NFS cells' /etc/exports are not written.
"""

from __future__ import annotations

from hagen.model.names import natural_key

CIB_PATH = "/etc/hagen/cib.xml"
APPLY_PATH = "/etc/hagen/cib-apply"
COROSYNC_PATH = "/etc/corosync/corosync.conf"
SBD_PATH = "/etc/sysconfig/sbd"


def plan_all(model, site, secret) -> list:
    from hagen.model.lustre import management_policy
    from hagen.model.mngt import management_pair
    from hagen.plan import batch, hosts, lustre, mngt, nfs
    from hagen.plan.el9 import cells, host

    artifacts = []
    pair = management_pair(model)
    if pair is not None and site.get("management") is not None:
        policy = management_policy(model, site)
        artifacts += cells.plan_cell(model, policy, pair.cell, secret)
        artifacts += host.plan(model, site, pair)
        artifacts.append(mngt._syslog_ng(model, site, pair))
    artifacts += batch.plan(model, site, secret)
    artifacts += hosts.plan(model, site, secret)
    # what only cman reads (their cluster.conf, the lustre_failover links, the exports Pacemaker
    # serves as resources) is left out by its kind's targets (hagen.kinds.planning)
    artifacts += lustre.plan(model, site) + nfs.plan(model, site)
    for kind in ("lustre", "nfs"):
        for cell in model.cells_of_type(kind):
            artifacts += cells.plan_cell(model, site, cell, None)
    from hagen.plan import node_bonds

    artifacts += node_bonds.plan(model, site)     # the bonds of Lustre and NFS nodes: keyfiles
    artifacts.sort(key=lambda a: (natural_key(a.hosts[0]) if a.hosts else (), a.path))
    return artifacts
