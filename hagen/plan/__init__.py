"""plan: which artifact goes to which hosts, rendered from which template and context.

An Artifact is everything render and emit need, and everything explain shows: the
hosts that get it (natural order), the path on those hosts, the template, the
context (plain data; a Secret renders as its value), the file mode and the
provenance (site keys and ClusterDB rows it came from). One module per domain; every
planner of a target run in order: hagen.plan.targets. This module imports no planner,
so that each of them can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

@dataclass(frozen=True)
class Artifact:
    path: str                           # absolute path on the host: /etc/ntp.conf
    hosts: tuple[str, ...]
    template: str                       # relative to templates/: mngt/ntp.conf.j2
    context: dict = field(hash=False)
    mode: int = 0o644
    validator: str | None = None        # hagen.render.validate: "cluster.conf"
    versioned: bool = False             # carries config_version (cluster.conf)
    sources: tuple[str, ...] = ()       # provenance: "site management.services", "clusterdb node[name=ns0]"
    link_target: str | None = None      # a symbolic link to this target instead of a rendered file (template: "symlink")
    block: str | None = None            # a managed block of this name in a file shared with the system (shared_files)


# the block each artifact writes into a file the site shares with the system
BLOCK_NAMES = {
    "nfs/fstab.j2": "nfs-clients",
    "batch/ocfs2.fstab.j2": "ocfs2",
    "network/bonding.conf.j2": "bonding",
    "lustre/sudoers.j2": "lustre-ldap",
    "nfs/exports.j2": "nfs-exports",
    "hosts/hosts_tpl.j2": "cell-aliases",
}


def block_name(art: Artifact) -> str:
    return BLOCK_NAMES.get(art.template) or art.template.rsplit("/", 1)[-1].removesuffix(".j2").replace(".", "-")


def as_blocks(artifacts: list[Artifact], site) -> list[Artifact]:
    """Artifacts whose path the site shares with the system (shared_files) become managed
    blocks; a cluster.conf (versioned) or a link cannot be one (refused by the pipeline)."""
    from dataclasses import replace

    shared = set(site.get("shared_files", default=[]) or [])
    return [replace(a, block=block_name(a)) if a.path in shared and a.link_target is None and not a.versioned
            else a for a in artifacts]
