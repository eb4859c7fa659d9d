"""What each node holds, as far as hagen knows: `.<out>.d/nodes.json`, beside the tree.

gather writes it from what it fetched (each managed file's sha256 and mode, or missing;
cluster.conf's config_version; the expected commands missing on the node); each push
updates it with what each node received successfully, so that the next push sends only
what differs, and a rerun after a partial failure sends only what is missing. build
takes it as an input (config_version, the node's own content of a shared file: the
command reads it with read_nodes and passes it in), diff reads it for the missing
expected commands. One reader (read_nodes), one writer (write_nodes), typed records:

    {"format": "hagen-nodes/1",
     "nodes": {"ns0": {"gathered": true,
                       "files": {"/etc/hosts": {"sha256": "...", "mode": "0644"},
                                 "/etc/cluster/cluster.conf": {"sha256": "...", "mode": "0600",
                                                               "config_version": 7},
                                 "/usr/sbin/x": {"type": "symlink", "target": "/usr/sbin/y"},
                                 "/etc/ntp.conf": {"missing": true}},
                       "missing_commands": ["/etc/HA/bin/dbmConfig"],
                       "into": "/srv/gathered",
                       "written": {"/etc/fstab": {"sha256": "...", "mode": "0644", "shared": true}}}}}

The store is not trusted between runs: the record is opened without following a
symbolic link, must be a small regular file, and is validated entry by entry; a record
that fails is treated as absent (hagen then knows nothing of the nodes and sends
everything). It is written to a new file (0600, O_EXCL, never through a link) renamed
over the old one, relative to the store's own directory descriptor.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field, replace
from typing import Mapping

from hagen.base.errors import OutputError
from hagen.base.readback import MAX_CONFIG_VERSION
from hagen.base.writes import write_file
from hagen.emit.manifest import SHA256, plain_host, plain_path

NODE_MODE = re.compile(r"[0-7]{4}\Z")     # a node's file may be setuid, setgid or sticky: recorded as it is
RECORD = "nodes.json"
FORMAT = "hagen-nodes/1"
MAX_BYTES = 64 << 20


class NotARecord(ValueError):
    """A node record (or one of its entries) that is not one hagen writes: what is wrong, where."""


@dataclass(frozen=True, slots=True)
class FileState:
    """What a node holds at a path (or what push wrote there): a file (sha256, mode and, for a
    versioned file, its config_version), a symbolic link (target), nothing (missing) or
    something hagen cannot use (unusable: why, in a few words). shared: push wrote hagen's
    blocks into the node's own file (only in a node's `written`)."""
    sha256: str | None = None
    mode: str | None = None                # four octal digits, as on the node: "0644", "4755"
    config_version: int | None = None
    target: str | None = None
    missing: bool = False
    unusable: str | None = None
    shared: bool = False

    @property
    def is_file(self) -> bool:
        return self.sha256 is not None

    @property
    def is_link(self) -> bool:
        return self.target is not None

    @property
    def identity(self) -> tuple | None:
        """What hagen.emit.manifest.same_file compares (None: nothing the node holds is a file or a link)."""
        return ("link", self.target) if self.is_link else ("file", self.sha256, self.mode) if self.is_file else None

    def unshared(self) -> FileState:
        return replace(self, shared=False)

    def to_json(self) -> dict:
        if self.missing:
            return {"missing": True}
        if self.unusable is not None:
            return {"unusable": self.unusable}
        doc = {"type": "symlink", "target": self.target} if self.is_link else {"sha256": self.sha256, "mode": self.mode}
        if self.config_version is not None:
            doc["config_version"] = self.config_version
        if self.shared:
            doc["shared"] = True
        return doc

    @classmethod
    def from_json(cls, doc, written: bool = False) -> FileState:
        """The state doc says; NotARecord when it is not one hagen writes. written: an entry of
        a node's `written` (a file or a link push delivered, maybe shared)."""
        if not isinstance(doc, dict):
            raise NotARecord("an entry is not an object")
        shared = False
        if written:
            if doc.get("shared", True) is not True:
                raise NotARecord("'shared' is not true")
            shared = "shared" in doc
            doc = {k: v for k, v in doc.items() if k != "shared"}
            if "missing" in doc or "unusable" in doc:
                raise NotARecord("hagen never wrote a missing or unusable file")
        if doc.get("missing") is True and set(doc) == {"missing"}:
            return cls(missing=True)
        if "unusable" in doc:
            why = doc["unusable"]
            if set(doc) == {"unusable"} and isinstance(why, str) and why.isprintable() and 0 < len(why) <= 300:
                return cls(unusable=why)
            raise NotARecord("an unusable entry has no short printable reason")
        if doc.get("type") == "symlink":
            target = doc.get("target")
            if set(doc) == {"type", "target"} and isinstance(target, str) and target.isprintable() \
                    and 0 < len(target) < 4096:
                return cls(target=target, shared=shared)
            raise NotARecord("a link entry has no printable target")
        version = doc.get("config_version")
        if set(doc) <= {"sha256", "mode", "config_version"} and isinstance(doc.get("sha256"), str) \
                and bool(SHA256.match(doc["sha256"])) and isinstance(doc.get("mode"), str) \
                and bool(NODE_MODE.match(doc["mode"])) \
                and (version is None or (type(version) is int and 0 <= version <= MAX_CONFIG_VERSION)):
            return cls(doc["sha256"], doc["mode"], version, shared=shared)
        raise NotARecord("a file entry has no valid sha256, mode or config_version")


MISSING = FileState(missing=True)


@dataclass(frozen=True, slots=True)
class Node:
    """What hagen knows of one node: what it holds at each path hagen manages (files), whether
    that was gathered (and into which folder), the expected commands it lacks (None: never
    gathered), and what push wrote there (written: None until push wrote something)."""
    gathered: bool = False
    files: Mapping[str, FileState] = field(default_factory=dict)
    into: str | None = None
    missing_commands: tuple[str, ...] | None = None
    written: Mapping[str, FileState] | None = None

    def holds(self, path: str, entry) -> bool:
        """Whether the node holds entry's file (a ManifestEntry, a plan entry) at path."""
        from hagen.emit.manifest import same_file

        return same_file(self.files.get(path), entry)

    def took(self, items) -> Node:
        """The node once it confirmed items: (path, state it holds, what hagen wrote there); None drops."""
        files, written = dict(self.files), dict(self.written or {})
        for path, state, wrote in items:
            for where, value in ((files, state), (written, wrote)):
                if value is None:
                    where.pop(path, None)
                else:
                    where[path] = value
        return replace(self, files=files, written=written)

    def to_json(self) -> dict:
        doc = {"gathered": self.gathered, "files": {p: s.to_json() for p, s in self.files.items()}}
        if self.into is not None:
            doc["into"] = self.into
        if self.missing_commands is not None:
            doc["missing_commands"] = list(self.missing_commands)
        if self.written is not None:
            doc["written"] = {p: s.to_json() for p, s in self.written.items()}
        return doc

    @classmethod
    def from_json(cls, doc) -> Node:
        if not isinstance(doc, dict) or not isinstance(doc.get("files", {}), dict) \
                or not isinstance(doc.get("gathered", False), bool) or not set(doc) <= _NODE_KEYS:
            raise NotARecord("a node is not an object of files, gathered, into, missing_commands, written")
        into = doc.get("into")
        if into is not None and not (isinstance(into, str) and into.startswith("/") and into.isprintable()
                                     and os.path.normpath(into) == into):
            raise NotARecord("'into' is not a normalised absolute path")
        missing = doc.get("missing_commands")
        if missing is not None and not (isinstance(missing, list) and all(plain_path(p) for p in missing)):
            raise NotARecord("'missing_commands' is not a list of absolute paths")
        written = doc.get("written")
        if written is not None and not isinstance(written, dict):
            raise NotARecord("'written' is not an object")
        return cls(doc.get("gathered", False), _states(doc.get("files", {}), False), into,
                   tuple(missing) if missing is not None else None,
                   _states(written, True) if written is not None else None)


_NODE_KEYS = {"gathered", "files", "into", "missing_commands", "written"}


def _states(doc: dict, written: bool) -> dict[str, FileState]:
    for path in doc:
        if not plain_path(path):
            raise NotARecord(f"{path!r} is not a normalised absolute path")
    return {path: FileState.from_json(state, written) for path, state in doc.items()}


def nodes_from_json(doc) -> dict[str, Node]:
    """{host: Node} of a record document; NotARecord, saying what is wrong, when it is not one hagen writes."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("nodes"), dict):
        raise NotARecord(f"not a {FORMAT} document")
    nodes = {}
    for host, node in doc["nodes"].items():
        if not plain_host(host):
            raise NotARecord(f"{host!r} is not a plain host name")
        try:
            nodes[host] = Node.from_json(node)
        except NotARecord as exc:
            raise NotARecord(f"{host}: {exc}") from None
    return nodes


def nodes_bytes(nodes: Mapping[str, Node]) -> bytes:
    doc = {"format": FORMAT, "nodes": {h: nodes[h].to_json() for h in sorted(nodes)}}
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()


def _open_store(store) -> int:
    return os.open(store, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)


def read_nodes(tree, reports: list | None = None) -> dict[str, Node]:
    """{host: Node} from the store of tree (an OutputTree); {} when absent or not valid (the one
    reader). reports: given, a record there that is not valid adds an HA971 warning saying why."""
    try:
        return _read_nodes(tree)
    except NotARecord as exc:
        if reports is not None:
            from hagen.base.reports import Where, warning

            reports.append(warning("HA971", Where(file=str(tree.store / RECORD)),
                                   f"the nodes' record is not one hagen wrote ({str(exc)[:200]}): hagen knows nothing of the "
                                   "nodes, so push sends every file", "run `hagen gather`: it records the nodes again"))
        return {}


def _read_nodes(tree) -> dict[str, Node]:
    """read_nodes; NotARecord, saying why, when a record is there and is not valid."""
    try:
        dfd = _open_store(tree.store)
    except OSError:
        return {}
    try:
        fd = os.open(RECORD, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotARecord("it is a symbolic link, never followed") from None
        return {}
    finally:
        os.close(dfd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARecord("it is not a regular file")
        if st.st_size > MAX_BYTES:
            raise NotARecord(f"it is larger than {MAX_BYTES >> 20} MiB")
        with os.fdopen(fd, "rb", closefd=False) as f:
            doc = json.loads(f.read(MAX_BYTES + 1))
        return nodes_from_json(doc)
    except NotARecord:
        raise
    except OSError:
        return {}
    except (ValueError, RecursionError) as exc:
        raise NotARecord(f"not JSON: {str(exc)[:80]}") from None
    finally:
        os.close(fd)


def write_nodes(tree, nodes: Mapping[str, Node]) -> None:
    """Replace the record atomically; never through a link planted in the store (the one writer)."""
    data = nodes_bytes(nodes)
    try:
        nodes_from_json(json.loads(data))
    except NotARecord as exc:
        raise OutputError(f"refusing to record an invalid node state (a hagen bug): {exc}")
    try:
        os.makedirs(tree.store, exist_ok=True)
        dfd = _open_store(tree.store)
    except OSError as exc:
        raise OutputError(f"cannot open the output store {tree.store}: {exc.strerror}",
                          hint="it must be a folder (not a link) you can write")
    try:
        write_file(RECORD, data, 0o600, dir_fd=dfd)
    except OSError as exc:
        raise OutputError(f"cannot write {tree.store}/{RECORD}: {exc.strerror}",
                          hint="check free space and permissions")
    finally:
        os.close(dfd)


class StaleGathered(OutputError):
    """The content a node's file had when gathered is no longer to be found."""


def node_content(nodes: Mapping[str, Node], tree, host: str, path: str) -> bytes | None:
    """What path holds on host as far as the record (nodes) knows: None when nothing was
    gathered there or the node has no such file; else the bytes whose sha256 the record holds,
    from the gathered tree gather wrote or from the output tree (after a push, the node holds
    what out holds). Files are read without following links. Raises StaleGathered when
    neither holds those bytes any more."""
    from hagen.emit.store import read_regular

    node = nodes.get(host)
    have = node.files.get(path) if node is not None else None
    if have is None or not have.is_file:
        return None
    candidates = []
    if node.into:
        candidates.append(os.path.join(node.into, host, path.lstrip("/")))
    current = tree.current()
    if current is not None:
        candidates.append(os.path.join(str(current), host, path.lstrip("/")))
    for candidate in candidates:
        data = read_regular(candidate, limit=16 << 20)
        if data is not None and hashlib.sha256(data).hexdigest() == have.sha256:
            return data
    raise StaleGathered(f"{path} of {host} as gathered is no longer in {node.into or 'the gathered tree'}",
                        hint="run `hagen gather` again: hagen merges its blocks into the node's own file")
