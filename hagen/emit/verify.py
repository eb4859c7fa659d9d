"""What readers check before trusting the tree: intact() for a no-op, verified_source() for push."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hagen.emit.journal import HostDirs
from hagen.emit.manifest import SHA256, hosts_of, plain_host, plain_path
from hagen.emit.store import DIR_FLAGS, read_regular
from hagen.base.errors import OutputError

INPUTS_FORMAT = "hagen-inputs/1"


def intact(tree) -> bool:
    """Every file of the manifest is still the object it was linked to (or the link it was),
    and no object changed since it was recorded (an edit in place changes its mtime)."""
    cur, manifest, record = tree.current(), tree.manifest(), tree._inputs_record()
    if cur is None or manifest is None or record is None:
        return False
    recorded = record["objects"]
    base, objects = str(cur), str(tree.store / "objects")
    lstat, readlink = os.lstat, os.readlink
    try:
        for entry in manifest["files"]:
            path = entry.path
            hosts = hosts_of(entry.hosts)
            if entry.is_link:
                target = entry.target
                if any(readlink(f"{base}/{host}{path}") != target for host in hosts):
                    return False
                continue
            key = entry.object_key
            obj = lstat(f"{objects}/{key[:2]}/{key}")
            if [obj.st_ino, obj.st_size, obj.st_mtime_ns, obj.st_ctime_ns] != recorded.get(key):
                return False
            ino = obj.st_ino
            if any(lstat(f"{base}/{host}{path}").st_ino != ino for host in hosts):
                return False
    except OSError:
        return False
    return True

def verified_source(tree, host: str, path: str, sha256: str) -> Path:
    """A path to host's file at path whose bytes were just checked: reached without following
    any link, a regular file, its sha256 the one given. Else OutputError."""
    if not (plain_host(host) and plain_path(path) and isinstance(sha256, str) and SHA256.match(sha256)):
        raise OutputError(f"refusing to send {host!r}:{path!r}: not a plain host name, path and sha256",
                          hint="the manifest was edited by hand: run `hagen build` again")
    cur = tree.current()
    where = f"{tree.out}/{host}{path}"
    if cur is None:
        raise OutputError(f"{tree.out} holds no hagen tree", hint="run `hagen build` first")
    try:
        tree_fd = os.open(cur, DIR_FLAGS)
    except OSError as exc:
        raise OutputError(f"cannot read {tree.out}: {exc.strerror}")
    dirs = HostDirs(tree_fd, host, create=False)
    try:
        fd, name = dirs.parent(path)
        data = None if fd is None else read_regular(name, fd)
    finally:
        dirs.close()
        os.close(tree_fd)
    if data is None:
        raise OutputError(f"{where} is missing or not a regular file",
                          hint="run `hagen build` again: it repairs the tree")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OutputError(f"{where} does not hold what the manifest says (sha256 differs)",
                          hint="run `hagen build` again: it repairs the tree")
    return cur / host / path.lstrip("/")


_LOCATION_TEXT = ("file", "key", "table", "row", "host")


def recorded_warnings(items) -> list | None:
    """The warnings inputs.json holds, rebuilt as reports, or None when anything in them is not
    what hagen writes: a registered warning code, text fields, line and column integers."""
    from hagen.base.codes import CODES, WARNINGS
    from hagen.base.reports import Report, Severity, Where

    if not isinstance(items, list):
        return None
    found = []
    for item in items:
        if not isinstance(item, dict) or item.get("code") not in CODES or item["code"] not in WARNINGS \
                or item.get("severity") != "warning":
            return None
        text = [item.get(k) for k in ("message", "hint")] + [item.get(k) for k in _LOCATION_TEXT]
        numbers = [item.get(k) for k in ("line", "column")]
        if not all(v is None or isinstance(v, str) for v in text) or not isinstance(item.get("message"), str) \
                or not all(v is None or type(v) is int for v in numbers):
            return None
        where = Where(**{k: item.get(k) for k in _LOCATION_TEXT + ("line", "column")})
        found.append(Report(item["code"], Severity.WARNING, where, item["message"], item.get("hint") or ""))
    return found


def valid_record(record) -> bool:
    if not isinstance(record, dict) or record.get("format") != INPUTS_FORMAT:
        return False
    fp, digest, objects = record.get("fingerprint"), record.get("manifest"), record.get("objects")
    return (fp is None or (isinstance(fp, str) and bool(SHA256.match(fp)))) \
        and isinstance(digest, str) and bool(SHA256.match(digest)) and isinstance(objects, dict) \
        and all(isinstance(v, list) and len(v) == 4 and all(type(n) is int for n in v) for v in objects.values())
