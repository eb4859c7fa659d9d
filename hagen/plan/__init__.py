"""plan: which artifact goes to which hosts, rendered from which template and context.

An Artifact is everything render and emit need, and everything explain shows: the
hosts that get it (natural order), the path on those hosts, the template, the
context (plain data; a Secret renders as its value), the file mode and the
provenance (site keys and ClusterDB rows it came from). One module per domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hagen.model.names import natural_key


@dataclass(frozen=True)
class Artifact:
    path: str                           # absolute path on the host: /etc/ntp.conf
    hosts: tuple[str, ...]
    template: str                       # relative to templates/: mngt/ntp.conf.j2
    context: dict = field(hash=False)
    mode: int = 0o644
    sources: tuple[str, ...] = ()       # provenance: "site management.services", "clusterdb node[name=ns0]"
    link_target: str | None = None      # a symbolic link to this target instead of a rendered file (template: "symlink")
    block: str | None = None            # a managed block of this name in a file shared with the system (shared_files)
    # its kind (validator, revision, action...) is its template's: hagen.kinds


def plan_all(model, site, secret) -> list[Artifact]:
    """What hagen's domain planners plan for the site's target. Which of it the target writes,
    and which files become managed blocks, the kinds say (hagen.kinds.planning)."""
    if site.get("target") == "el9-pacemaker":        # today's stack chooses its own planners
        from hagen.plan.el9 import plan_all as plan_el9

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

