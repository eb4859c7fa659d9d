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
    sources: tuple[str, ...] = ()       # provenance: "site management.services", "clusterdb node[name=ns0]"
    link_target: str | None = None      # a symbolic link to this target instead of a rendered file (template: "symlink")
    block: str | None = None            # a managed block of this name in a file shared with the system (shared_files)
    # its kind (validator, revision, action...) is its template's: hagen.kinds


