"""Every planner of the site's target run in order: what hagen's domain planners plan for
one build. Which of it the target writes, and which files become managed blocks, the
kinds say (hagen.kinds.planning)."""

from __future__ import annotations

from hagen.model.names import natural_key
from hagen.plan import Artifact


def plan_all(model, site, secret) -> list[Artifact]:
    if site.get("target") == "el9-pacemaker":        # today's stack chooses its own planners
        from hagen.plan.el9.target import plan_all as plan_el9

        return plan_el9(model, site, secret)
    from hagen.model.lustre import management_policy
    from hagen.plan import batch, hosts, lustre, mngt, nfs, node_bonds, runtime

    artifacts = []
    artifacts += mngt.plan(model, management_policy(model, site), secret)   # 7.1: Lustre's links and services
    artifacts += runtime.plan(model, site, secret)
    artifacts += batch.plan(model, site, secret)
    artifacts += hosts.plan(model, site, secret)
    artifacts += lustre.plan(model, site)
    artifacts += nfs.plan(model, site)
    artifacts += node_bonds.plan(model, site)
    artifacts.sort(key=lambda a: (natural_key(a.hosts[0]) if a.hosts else (), a.path))
    return artifacts
