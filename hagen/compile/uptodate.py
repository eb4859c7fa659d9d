"""Is the output tree up to date? The one decision `build` and `diff` share.

A tree is up to date when it was built from the very inputs of now and no file of it
changed since. The inputs are summed up by a fingerprint: hagen's own code, templates
and schemas, the site spec, the secrets (by digest, never their value) and the ClusterDB
rows: a snapshot by its bytes, a database by a digest of its rows that the server
computes in one query (hagen.load.clusterdb.rows_fingerprint), so that deciding costs
no row read, no check and no render.

Never a false "up to date": any change of a row hagen reads changes the digest. The
fingerprint is taken before the rows are read; a change landing between the two makes
the recorded fingerprint older than the tree, and the next build rebuilds.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Verdict:
    fingerprint: str | None    # of the inputs now; None when they cannot be summed up (an unreadable file)
    manifest: dict | None      # the tree's manifest when it is up to date, else None
    intact: bool | None = None  # whether the tree is as its store recorded it; None: not looked at

    @property
    def up_to_date(self) -> bool:
        return self.manifest is not None


def verdict(tree, site, source, lazy: bool = False) -> Verdict:
    """Whether tree (an OutputTree) holds the build of site and source, as they are now.

    lazy: skip summing up the inputs when the tree records none (diff, which records
    nothing, then saves a query); build wants the fingerprint anyway to record it."""
    recorded = tree.built_from()
    if lazy and recorded is None:
        return Verdict(None, None)
    intact = None
    if source.kind == "db" and recorded is not None:
        # the server digests the rows (most of a no-op's time at 10,000 nodes, spent in
        # another process) while this one stats the tree; diff wants to know both anyway
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(input_fingerprint, site, source)
            intact = tree.intact()
            fingerprint = digest.result()
    else:
        fingerprint = input_fingerprint(site, source)
    if fingerprint is None or recorded != fingerprint:
        return Verdict(fingerprint, None, intact)
    if intact is None:
        intact = tree.intact()
    return Verdict(fingerprint, tree.manifest() if intact else None, intact)


def input_fingerprint(site, source) -> str | None:
    """A digest of everything a build depends on. None when some input cannot be read:
    the build then reads everything and reports what is wrong."""
    rows = _rows_digest(source)
    if rows is None:
        return None
    h = hashlib.sha256(_code_digest().encode())
    h.update(b"site\0" + site.path.read_bytes())
    h.update(b"rows\0" + rows.encode())
    # a FIFO or a device is never read here (it could block, or never end): the loaders refuse it
    from hagen.load.limits import SECRET, LimitExceeded, read_regular_file

    for kind, name in _secret_sources(site.data):
        if kind == "password_file":
            try:
                value = read_regular_file(site.resolve(name), name, SECRET)
                # whether others may read it (HA103): a chmod changes the warnings a build gives
                value += b"\0open" if os.stat(site.resolve(name)).st_mode & 0o077 else b""
            except (OSError, LimitExceeded):
                return None
        else:
            value = os.environ.get(name, "").encode()
        h.update(kind.encode() + b"\0" + hashlib.sha256(value).digest())
    return h.hexdigest()


def _rows_digest(source) -> str | None:
    if source.kind == "db":
        from hagen.load.clusterdb import rows_fingerprint

        digest = rows_fingerprint(source.value)
        return None if digest is None else "db:" + digest
    from hagen.load.limits import SNAPSHOT, LimitExceeded, read_regular_file

    try:
        return "snapshot:" + hashlib.sha256(read_regular_file(source.value, source.display, SNAPSHOT)).hexdigest()
    except (OSError, LimitExceeded):
        return None


def _code_digest() -> str:
    """hagen's version, code, templates and schemas, and the kinds registered outside it
    (hagen.kinds): another hagen may build other bytes."""
    import hagen
    from hagen.base.resources import schemas_dir, templates_dir
    from hagen.kinds import foreign_digest

    h = hashlib.sha256(hagen.__version__.encode())
    h.update(foreign_digest())
    package = Path(hagen.__file__).resolve().parent
    for root in (package, templates_dir(), schemas_dir()):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _secret_sources(node) -> list:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("password_file", "password_env") and isinstance(value, str):
                found.append((key, value))
            else:
                found += _secret_sources(value)
    elif isinstance(node, list):
        for item in node:
            found += _secret_sources(item)
    return found


def hosts_and_files(manifest: dict) -> tuple[int, int]:
    """How many hosts a manifest serves and how many files they hold in all (node sets
    counted, not expanded)."""
    from ClusterShell.NodeSet import NodeSet

    return len(NodeSet(manifest["hosts"])), sum(len(NodeSet(entry.hosts)) for entry in manifest["files"])


def noop_result(tree, site, source, reading: bool = False):
    """build's no-op: its EmitResult when tree is up to date with the inputs (and holds the
    warnings they gave), else the Verdict, for the build to go on with. reading: decided under
    the readers' lock, for a store this process cannot lock for writing (a read-only one):
    None when the tree is not up to date."""
    from contextlib import nullcontext

    from hagen.emit import EmitResult

    with tree.reading() if reading else nullcontext():
        found = verdict(tree, site, source)
        remembered = tree.remembered_warnings() if found.up_to_date else None
    if remembered is not None:
        host_count, file_count = hosts_and_files(found.manifest)
        return EmitResult(file_count, host_count, 0, 0, 0, True, source, tuple(remembered))
    return None if reading else found
