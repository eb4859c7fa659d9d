"""Artifact formats: what hagen knows about a kind of file, in one place.

A Format owns an artifact kind's versioning (how a build stamps a new revision and
recognises an unchanged one), its validator (hagen's own check of what it rendered,
run before anything is written) and its diff strategy (how `hagen diff` compares two
revisions). The shared stages ask the format instead of testing paths themselves, so
that a new kind (the CIB, corosync.conf, chrony.conf) plugs in here.

Wired: the validators (hagen.render.validate.VALIDATORS, one per kind), `checks`
(explain) and `structural_diff` (diff.describe). `version_of`/`normalised`
(pipeline._versioned) and `reload` (push --reload) are the interfaces those stages
call once they ask the formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from hagen.base.readback import cluster_conf_version
from hagen.render import pacemaker as pcmk


@dataclass(frozen=True)
class Format:
    name: str
    matches: Callable[[str, bytes], bool]                     # (path on host, data) -> is this kind
    validate: Callable[[bytes], list[str]]                    # problems, empty when valid
    diff: Callable[..., list[str]] | None = None              # (old, new, show) -> lines; None: a unified diff
    version_reader: Callable[[bytes], int | None] | None = None   # the revision, by a real parser (hagen.base.readback)
    checks: str = ""                                           # what the validator checks, for explain
    reload: str | None = None                                  # what makes a node take a new revision

    @property
    def versioned(self) -> bool:
        return self.version_reader is not None

    def version_of(self, data: bytes) -> int | None:
        """The revision data carries; None for a kind without one. Raises
        hagen.base.readback.UnreadableVersion when the file does not say it readably."""
        if self.version_reader is None:
            return None
        return self.version_reader(data)

    def normalised(self, data: bytes) -> bytes:
        """The content with its revision blanked: two revisions with equal normal forms are the same."""
        if self.version_reader is None:
            return data
        from hagen.base.readback import blank_version

        return blank_version(data)


def _cluster_conf_validate(data: bytes) -> list[str]:
    from hagen.render.validate import validate_cluster_conf

    return validate_cluster_conf(data)


def _cluster_conf_diff(old: str, new: str, show: bool = False) -> list[str]:
    from hagen.review.diff import _structured, _xml_flat

    return _structured(_xml_flat(old), _xml_flat(new), (), show)


CLUSTER_CONF = Format(
    "cluster.conf",
    lambda path, data: path.endswith("/cluster/cluster.conf") and not path.startswith("/etc/ocfs2"),
    _cluster_conf_validate, _cluster_conf_diff,
    lambda data: cluster_conf_version(data),
    "schemas/cluster-conf.rng and hagen's reference rules",
    "ccs_tool update /etc/cluster/cluster.conf")           # RHEL5: propagates the new config_version

# The CIB: Pacemaker bumps its own epoch when the apply script replaces the configuration,
# so the file carries no revision of hagen's.
CIB = Format("cib", lambda path, data: path.endswith(".xml") and pcmk.is_cib(data),
             pcmk.validate_cib, pcmk.diff_cib,
             checks="validate-with <= pacemaker-3.9, feature set, unique ids, references, stonith, no password",
             reload="/etc/hagen/cib-apply")

# totem.config_version is only compared by corosync when nodes rejoin; corosync-cfgtool -R
# reloads the file as a whole, so like the CIB it carries no revision of hagen's.
COROSYNC = Format("corosync.conf", lambda path, data: path == "/etc/corosync/corosync.conf",
                  pcmk.validate_corosync, pcmk.diff_corosync,
                  checks="sections, knet, cluster name, one name, id and address per node, quorum",
                  reload="corosync-cfgtool -R")

CHRONY = Format("chrony.conf", lambda path, data: path in ("/etc/chrony.conf", "/etc/chrony/chrony.conf"),
                pcmk.validate_chrony, pcmk.diff_lines, checks="known directives",
                reload="systemctl restart chronyd")

FORMATS: dict[str, Format] = {f.name: f for f in (CLUSTER_CONF, CIB, COROSYNC, CHRONY)}


def format_for(path: str, data: bytes = b"") -> Format | None:
    """The format of the file at path on a host (its content decides for a CIB)."""
    for fmt in FORMATS.values():
        if fmt.matches(path, data):
            return fmt
    return None


def structural_diff(path: str, old: str, new: str, show: bool = False, secrets=()) -> list[str] | None:
    """What `hagen diff` shows for a changed file of a known format; None: no structural
    strategy (a unified diff then). Secrets (cluster.conf's passwd, a CIB password, and
    every form of the given secrets) are masked unless show. Raises ValueError when a
    side does not parse."""
    from hagen.base.masking import mask

    fmt = format_for(path, new.encode())
    if fmt is None or fmt.diff is None:
        return None
    return [mask(line, secrets, show) for line in fmt.diff(old, new, show)]
