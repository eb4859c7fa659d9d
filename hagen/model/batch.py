"""The batch manager coupling (guide chapter 10), derived from the site spec and the model.

What check/batch.py and plan/batch.py share: which managers the site couples, which
nodes are compute and login nodes (their ClusterDB ftypes), which SLURM syntax a
version takes, where the LSF hosts file goes, and the service groups of /etc/HA/start
that a batch choice switches on (2.3.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from hagen.model import Model, Node

# guide 10.2.3: the links of the LSF/SLURM coupling, relative to the OCFS2 mount point
LSF_SLURM_LINKS = (("/usr/share/lsf", "lsf"), ("/hptc_cluster", "hptc_cluster"))


def given(site, *path) -> bool:
    """Whether the site spec file itself holds this key (not a schema default)."""
    return tuple(path) in site.positions


def coupling(site) -> tuple[str, ...]:
    """The managers the site couples: (), ('pbs',), ('slurm',), ('lsf',), ('lsf', 'slurm'), ('lsf', 'rms'), ('rms',)."""
    manager = site.get("batch", "manager") or "none"
    if manager == "none":
        return ()
    if manager == "lsf":
        with_ = site.get("batch", "lsf", "coupling") or "none"
        return ("lsf",) if with_ == "none" else ("lsf", with_)
    return (manager,)


def coupling_text(site) -> str:
    return "/".join(m.upper() for m in coupling(site)) or "none"


def groups_switched_on(site) -> dict[str, str]:
    """{service group of /etc/HA/start: why} for the groups the batch choice needs (2.3.2, 10.2.3)."""
    out = {}
    chosen = coupling(site)
    manager = site.get("batch", "manager")
    if "lsf" in chosen:
        out["lsf"] = "batch.manager is lsf"
    if "rms" in chosen:
        out["rms"] = "batch.manager is rms" if manager == "rms" else "batch.lsf.coupling is rms"
    return out


@dataclass(frozen=True, slots=True)
class BatchNodes:
    compute: tuple[Node, ...]          # natural order
    login: tuple[Node, ...]            # natural order, compute nodes left out


def batch_nodes(model: Model, site, exclude=()) -> BatchNodes:
    """Compute and login nodes by ftype; the nodes of exclude (the management pair) are neither."""
    compute_types = set(site.get("batch", "compute_ftypes"))
    login_types = set(site.get("batch", "login_ftypes"))
    skip = set(exclude)
    compute = tuple(n for n in model.nodes if n.name not in skip and compute_types & set(n.ftypes))
    names = {n.name for n in compute}
    login = tuple(n for n in model.nodes if n.name not in skip and n.name not in names and login_types & set(n.ftypes))
    return BatchNodes(compute, login)


def slurm_syntax(version: str) -> str | None:
    """'1.x' (the guide's, SLURM 1.0-1.2), 'current' (18.08 and later), or None (neither)."""
    try:
        major, minor = (int(p) for p in str(version).split(".")[:2])
    except ValueError:
        return None
    if major == 1 and minor <= 2:
        return "1.x"
    if (major, minor) >= (18, 8):
        return "current"
    return None


def slurm_accounting_log(site) -> str:
    state = site.get("batch", "slurm", "state_save_location").rstrip("/")
    return site.get("batch", "slurm", "accounting_log") or f"{state}/slurm_accounting.log"


def under(path: str, directory: str) -> bool:
    directory = directory.rstrip("/")
    return path == directory or path.startswith(directory + "/")


def halinks_target(path: str) -> str:
    """guide 2.3.7: /var/lib/pgsql lives at /varha/lib/pgsql."""
    top = path.split("/")[1]
    return f"/{top}ha{path[len(top) + 1:]}"


def lsf_links(site) -> list[tuple[str, str]]:
    """(link, target) of the LSF/SLURM coupling (10.2.3), on the OCFS2 file system."""
    ocfs2 = site.get("batch", "ocfs2")
    if coupling(site) != ("lsf", "slurm") or not ocfs2:
        return []
    mount = ocfs2["mount_point"].rstrip("/")
    return [(link, f"{mount}/{name}") for link, name in LSF_SLURM_LINKS]


@dataclass(frozen=True, slots=True)
class Placement:
    path: str                          # where the file is written on the host
    primary_only: bool                 # shared storage: written once, on the primary
    via: str | None                    # the link it is written through, if any


def lsf_hosts_placement(site) -> Placement:
    """$LSF_ENVDIR/hosts (CLARIFICATIONS 22): at the target of a link the build makes, on the
    primary only; likewise under a directory halinks puts on shared storage; else as named, on
    both management nodes."""
    path = site.get("batch", "lsf", "envdir").rstrip("/") + "/hosts"
    for link, target in lsf_links(site):
        if under(path, link):
            return Placement(target + path[len(link):], True, f"{link} -> {target}")
    for entry in site.get("management", "links") or []:
        if entry.count("/") >= 2 and under(path, entry):
            target = halinks_target(entry)
            return Placement(target + path[len(entry):], True, f"{entry} -> {target} (halinks)")
    return Placement(path, False, None)


