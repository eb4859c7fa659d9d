"""What each node holds, as far as hagen knows: `.<out>.d/nodes.json`.

gather writes it from what it fetched (each managed file's sha256 and mode, or missing;
cluster.conf's config_version; the expected commands missing on the node); each push
updates it with what each node received successfully, so that the next push sends only
what differs, and a rerun after a partial failure sends only what is missing. build
reads it for config_version, diff for the missing expected commands.

    {"format": "hagen-nodes/1",
     "nodes": {"ns0": {"gathered": true,
                       "files": {"/etc/hosts": {"sha256": "...", "mode": "0644"},
                                 "/etc/cluster/cluster.conf": {"sha256": "...", "mode": "0600",
                                                               "config_version": 7},
                                 "/usr/sbin/x": {"type": "symlink", "target": "/usr/sbin/y"},
                                 "/etc/ntp.conf": {"missing": true}},
                       "missing_commands": ["/etc/HA/bin/dbmConfig"]}}}

The store is not trusted between runs: the record is opened without following a
symbolic link, must be a small regular file, and is validated entry by entry; a record
that fails is treated as absent (hagen then knows nothing of the nodes and sends
everything). It is written to a new file (0600, O_EXCL, never through a link) renamed
over the old one, relative to the store's own directory descriptor.

A push writes the record once, at its end. Meanwhile, what each call confirmed is
appended to `nodes.journal` beside it (one JSON line per node: the entries its node
confirmed, nothing else), so that a push killed midway leaves a record that knows what
the nodes confirmed, and never more: read_record replays the journal's whole lines over
the record (a line that does not parse or check ends the replay: what follows is
forgotten, which only makes hagen send again), and write_record, which folds it in,
removes it. Rewriting the whole record after every call would cost calls x nodes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat

from hagen.emit.manifest import SHA256, plain_host, plain_path
from hagen.base.readback import MAX_CONFIG_VERSION
from hagen.base.errors import OutputError
from hagen.base.writes import write_all, write_file

NODE_MODE = re.compile(r"[0-7]{4}\Z")     # a node's file may be setuid, setgid or sticky: recorded as it is
RECORD = "nodes.json"
JOURNAL = "nodes.journal"
FORMAT = "hagen-nodes/1"
MAX_BYTES = 64 << 20


def config_version(path: str, data: bytes) -> int | None:
    """The revision a versioned file (cluster.conf) carries, read by its format's parser
    (hagen.base.readback), None for any other file. Raises UnreadableVersion when a cluster.conf
    does not say it readably."""
    from hagen.kinds.formats import format_for

    fmt = format_for(path, data)
    return fmt.version_of(data) if fmt is not None and fmt.versioned else None


def _valid_file(entry) -> bool:
    if not isinstance(entry, dict):
        return False
    if entry.get("missing") is True:
        return set(entry) == {"missing"}
    if "unusable" in entry:          # gather fetched something hagen cannot use: why, in a few words
        why = entry["unusable"]
        return set(entry) == {"unusable"} and isinstance(why, str) and why.isprintable() and 0 < len(why) <= 300
    if entry.get("type") == "symlink":
        target = entry.get("target")
        return set(entry) == {"type", "target"} and isinstance(target, str) and target.isprintable() \
            and 0 < len(target) < 4096
    version = entry.get("config_version")
    return set(entry) <= {"sha256", "mode", "config_version"} and isinstance(entry.get("sha256"), str) \
        and bool(SHA256.match(entry["sha256"])) and isinstance(entry.get("mode"), str) \
        and bool(NODE_MODE.match(entry["mode"])) \
        and (version is None or (type(version) is int and 0 <= version <= MAX_CONFIG_VERSION))


def _valid(record) -> bool:
    if not isinstance(record, dict) or record.get("format") != FORMAT or not isinstance(record.get("nodes"), dict):
        return False
    seen: set = set()
    for host, node in record["nodes"].items():
        if not plain_host(host) or not isinstance(node, dict) or not isinstance(node.get("files", {}), dict):
            return False
        if not isinstance(node.get("gathered", False), bool):
            return False
        into = node.get("into")
        if into is not None and not (isinstance(into, str) and into.startswith("/") and into.isprintable()
                                     and os.path.normpath(into) == into):
            return False
        missing = node.get("missing_commands", [])
        if not isinstance(missing, list) or not all(plain_path(p) for p in missing):
            return False
        for path, entry in node.get("files", {}).items():
            if not _seen(seen, "f", path, entry) and not (plain_path(path) and _valid_file(entry)):
                return False
        written = node.get("written", {})
        if not isinstance(written, dict):
            return False
        for path, entry in written.items():
            if _seen(seen, "w", path, entry):
                continue
            if not plain_path(path) or not isinstance(entry, dict) or entry.get("shared", True) is not True:
                return False
            state = {k: v for k, v in entry.items() if k != "shared"}
            if "missing" in state or "unusable" in state or not _valid_file(state):
                return False
    return True


def _seen(seen: set, kind: str, path, entry) -> bool:
    """Whether this very (path, entry) was found valid already (10,000 nodes hold one /etc/hosts:
    checked once); else remembered as valid if it is, when it is made of plain values."""
    try:
        key = (kind, type(path), path, tuple((k, type(v), v) for k, v in entry.items()))   # True is not 1
        if key in seen:
            return True
    except (AttributeError, TypeError):          # not a dict, or a value that is not a plain one: check it
        return False
    valid = plain_path(path) and (_valid_file(entry) if kind == "f" else isinstance(entry, dict)
                                  and entry.get("shared", True) is True
                                  and not {"missing", "unusable"} & set(entry)
                                  and _valid_file({k: v for k, v in entry.items() if k != "shared"}))
    if valid:
        seen.add(key)
    return valid


def _open_store(store) -> int:
    return os.open(store, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)


def read_record(tree) -> dict:
    """{host: node} from the store of tree (an OutputTree), its journal replayed; {} when
    absent or not valid."""
    try:
        dfd = _open_store(tree.store)
    except OSError:
        return {}
    try:
        data = _read_bounded(RECORD, dfd)
    finally:
        os.close(dfd)
    try:
        record = json.loads(data) if data is not None else None
    except (ValueError, RecursionError):
        record = None
    return _replayed(tree, record["nodes"] if record is not None and _valid(record) else {})


def _read_bounded(name: str, dfd: int) -> bytes | None:
    """A regular file of the store, at most MAX_BYTES, opened without following a link (None otherwise)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def write_record(tree, nodes: dict, changed=None) -> None:
    """Replace the record atomically; never through a link planted in the store. changed:
    the hosts whose entries changed since read_record checked them (None: all)."""
    record = {"format": FORMAT, "nodes": {h: nodes[h] for h in sorted(nodes)}}
    checked = record if changed is None else {"format": FORMAT, "nodes": {h: nodes[h] for h in changed if h in nodes}}
    if not _valid(checked):
        raise OutputError("refusing to record an invalid node state (a hagen bug)")
    # one line per node (sorted keys: deterministic): at 10,000 nodes an indented dump costs twice the time
    data = ("{" + f'"format": {json.dumps(FORMAT)}, "nodes": {{\n'
            + ",\n".join(f"{json.dumps(h)}: {json.dumps(record['nodes'][h], sort_keys=True)}" for h in record["nodes"])
            + "\n}}\n").encode()
    try:
        os.makedirs(tree.store, exist_ok=True)
        dfd = _open_store(tree.store)
    except OSError as exc:
        raise OutputError(f"cannot open the output store {tree.store}: {exc.strerror}",
                          hint="it must be a folder (not a link) you can write")
    try:
        write_file(RECORD, data, 0o600, dir_fd=dfd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(JOURNAL, dir_fd=dfd)          # folded in: never replayed over a newer record
    except OSError as exc:
        raise OutputError(f"cannot write {tree.store}/{RECORD}: {exc.strerror}",
                          hint="check free space and permissions")
    finally:
        os.close(dfd)


def apply(nodes: dict, records: dict) -> None:
    """records: host -> [(path, state the node holds, what hagen wrote there)], None drops."""
    for host, items in records.items():
        node = nodes.setdefault(host, {"gathered": False, "files": {}})
        files, written = node.setdefault("files", {}), node.setdefault("written", {})
        for path, state, wrote in items:
            for where, value in ((files, state), (written, wrote)):
                if value is None:
                    where.pop(path, None)
                else:
                    where[path] = value


def journal(tree, records: dict) -> None:
    """Append what nodes confirmed (apply's records) to the journal: one write, no rewrite."""
    if not records:
        return
    # the hosts of one call mostly confirm the very same entries (the same objects): one line each
    groups: dict = {}
    for host, items in records.items():
        key = tuple((path, id(state), id(wrote)) for path, state, wrote in items)
        groups.setdefault(key, (items, []))[1].append(host)
    text = "".join(json.dumps({"hosts": sorted(hosts), "files": [list(item) for item in items]}, sort_keys=True)
                   + "\n" for items, hosts in groups.values())
    try:
        dfd = _open_store(tree.store)
    except OSError as exc:
        raise OutputError(f"cannot open the output store {tree.store}: {exc.strerror}",
                          hint="it must be a folder (not a link) you can write")
    try:
        fd = os.open(JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                     dir_fd=dfd)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(0, "not a regular file")
            write_all(fd, text.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write {tree.store}/{JOURNAL}: {exc.strerror}",
                          hint="check free space and permissions")
    finally:
        os.close(dfd)


def journal_exists(tree) -> bool:
    return os.path.lexists(os.path.join(tree.store, JOURNAL))


def _replayed(tree, nodes: dict) -> dict:
    """nodes with the journal's whole, valid lines applied in order (see the module's docstring)."""
    try:
        dfd = _open_store(tree.store)
    except OSError:
        return nodes
    try:
        data = _read_bounded(JOURNAL, dfd)
    finally:
        os.close(dfd)
    if not data:
        return nodes
    import copy

    replayed = dict(nodes)          # each node a journal line touches is copied before it changes
    for line in data.split(b"\n")[:-1]:          # a last line without its newline was cut short
        try:
            item = json.loads(line)
            items = [(p, s, w) for p, s, w in item["files"]]
            probe = {host: copy.deepcopy(replayed.get(host, {"gathered": False, "files": {}}))
                     for host in item["hosts"]}
            apply(probe, {host: items for host in probe})
        except (ValueError, RecursionError, KeyError, TypeError, AttributeError):
            break
        if not _valid({"format": FORMAT, "nodes": probe}):
            break
        replayed.update(probe)
    return replayed


def file_state(entry: dict, data: bytes | None = None, path: str = "") -> dict:
    """The record's form of a manifest entry (what a node holds once it received it)."""
    if entry.get("type") == "symlink":
        return {"type": "symlink", "target": entry["target"]}
    state = {"sha256": entry["sha256"], "mode": entry["mode"]}
    version = config_version(path, data) if data is not None else entry.get("config_version")
    if version is not None:
        state["config_version"] = version
    return state


def holds(node: dict | None, path: str, entry: dict) -> bool:
    """Whether the node (a record's entry) holds the manifest entry's file at path."""
    if not node:
        return False
    have = node.get("files", {}).get(path)
    if not have or have.get("missing"):
        return False
    if entry.get("type") == "symlink":
        return have.get("type") == "symlink" and have.get("target") == entry["target"]
    return have.get("sha256") == entry["sha256"] and have.get("mode") == entry["mode"]


# ------------------------------------------------------------------ the manifest, re-checked
def checked_manifest(tree) -> dict:
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


class StaleGathered(OutputError):
    """The content a node's file had when gathered is no longer to be found."""


def node_content(tree, host: str, path: str) -> bytes | None:
    """What path holds on host as far as the record knows: None when nothing was gathered
    there or the node has no such file; else the bytes whose sha256 the record holds, from
    the gathered tree gather wrote or from the output tree (after a push, the node holds
    what out holds). Files are read without following links. Raises StaleGathered when
    neither holds those bytes any more."""
    import hashlib

    node = read_record_cached(tree).get(host)
    have = (node or {}).get("files", {}).get(path)
    if not have or have.get("missing") or "sha256" not in have:
        return None
    candidates = []
    if node.get("into"):
        candidates.append(os.path.join(node["into"], host, path.lstrip("/")))
    current = tree.current()
    if current is not None:
        candidates.append(os.path.join(str(current), host, path.lstrip("/")))
    for candidate in candidates:
        data = _read_plain(candidate)
        if data is not None and hashlib.sha256(data).hexdigest() == have["sha256"]:
            return data
    raise StaleGathered(f"{path} of {host} as gathered is no longer in {node.get('into') or 'the gathered tree'}",
                        hint="run `hagen gather` again: hagen merges its blocks into the node's own file")


def _read_plain(path: str, limit: int = 16 << 20) -> bytes | None:
    from hagen.emit.store import read_regular

    return read_regular(path, limit=limit)


_CACHE: dict = {}


def read_record_cached(tree) -> dict:
    """read_record, read once per version of the file (a build consults it once per cell)."""
    try:
        st = os.lstat(os.path.join(tree.store, RECORD))
        key = (str(tree.store), st.st_ino, st.st_size, st.st_mtime_ns)
    except OSError:
        return {}
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = read_record(tree)
    return _CACHE[key]
