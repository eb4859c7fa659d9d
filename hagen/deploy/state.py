"""The node record (hagen.emit.nodes) as deploy fills it: the state of a file a node received
or gather fetched, its config_version read by the file's format, and the manifest push and
gather trust, re-checked.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from hagen.base.errors import OutputError
from hagen.emit.manifest import ManifestEntry
from hagen.emit.nodes import FileState


def config_version(path: str, data: bytes) -> int | None:
    """The revision a versioned file (cluster.conf) carries, read by its kind's parser
    (hagen.kinds, hagen.base.readback), None for any other file. Raises UnreadableVersion when
    a cluster.conf does not say it readably."""
    from hagen.kinds import registry

    kind = registry().versioned_of(path, data)
    return kind.version_of(data) if kind is not None else None


def file_state(entry: ManifestEntry, data: bytes | None = None, path: str = "") -> FileState:
    """The record's form of a manifest entry (what a node holds once it received it): data, the
    bytes sent, give a versioned file's config_version."""
    if entry.is_link:
        return FileState(target=entry.target)
    return FileState(entry.sha256, entry.mode, config_version(path, data) if data is not None else None)


# ------------------------------------------------------------------ the manifest, re-checked
def checked_manifest(tree) -> dict[tuple[str, str], ManifestEntry]:
    """out's manifest, {(host, path): entry}, as the store read and checked it (plain host
    names, normalised absolute paths, sha256 and mode formats, link targets, bounded node
    sets). A manifest that fails is refused whole (HA940): it is not the one hagen wrote."""
    from hagen.emit import MANIFEST, expand
    from hagen.base.reports import Where, error

    manifest = tree.manifest()          # validated by the store: an altered one reads as None
    if manifest is None:
        if os.path.lexists(tree.out / MANIFEST):
            raise OutputError(f"{tree.out}'s manifest was altered: nothing was sent",
                              reports=[error("HA940", Where(file=str(tree.out / MANIFEST)),
                                             "the manifest is not one hagen wrote (an entry's host, path, "
                                             "sha256 or mode is not what hagen writes)",
                                             "run `hagen build` again: it repairs the tree")])
        raise OutputError(f"{tree.out} has no hagen manifest ({tree.out}/{MANIFEST})",
                          hint="run `hagen build` first, or give the --out it wrote")
    return expand(manifest)          # every entry already checked by the store (hagen.emit.manifest)


def printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)[:300]


def taken(fetched: Path, path: str, st: os.stat_result) -> tuple[FileState, str | None]:
    """The record's state of a fetched regular file (its node mode kept as the record's, any
    bit), and why hagen cannot use it (None when it can). Read in chunks, never whole; a
    cluster.conf's config_version read by its parser (hagen.base.readback)."""
    from hagen.deploy.gathered import MAX_FILE
    from hagen.base.readback import UnreadableVersion
    from hagen.kinds import registry

    mode = f"{stat.S_IMODE(st.st_mode):04o}"
    fd = os.open(fetched, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        os.fchmod(fd, 0o600)                 # a secret is never readable in the gathered tree
        size = os.fstat(fd).st_size
        if size > MAX_FILE:
            return (FileState(unusable=f"larger than {MAX_FILE >> 20} MiB"),
                    f"larger than {MAX_FILE >> 20} MiB (docs/limits.md): hagen does not read it. Shrink the "
                    "node's file, or stop managing it (shared_files, or the key that names it)")
        # a versioned kind (cluster.conf) is known by its path
        digest, chunks, versioned = hashlib.sha256(), [], registry().versioned_of(path) is not None
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
            if versioned:
                chunks.append(chunk)
    finally:
        os.close(fd)
    try:
        version = config_version(path, b"".join(chunks)) if versioned else None
    except UnreadableVersion as exc:
        return (FileState(unusable=printable(f"its config_version cannot be read: {exc}")),
                f"its config_version cannot be read: {exc}. Fix or remove the node's file, then gather again")
    return FileState(digest.hexdigest(), mode, version), None
