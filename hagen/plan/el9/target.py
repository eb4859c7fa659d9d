"""The el9-pacemaker target's planners run in order (hagen.plan.el9 says what it writes)."""

from __future__ import annotations

from hagen.model.names import natural_key


def plan_all(model, site, secret) -> list:
    from hagen.model.lustre import management_policy
    from hagen.model.mngt import management_pair
    from hagen.plan import batch, hosts, lustre, mngt, nfs, node_bonds
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
    artifacts += node_bonds.plan(model, site)     # the bonds of Lustre and NFS nodes: keyfiles
    artifacts.sort(key=lambda a: (natural_key(a.hosts[0]) if a.hosts else (), a.path))
    return artifacts
