"""What each node holds, typed, and the JSON forms of it: a node's record (Node, each path's
FileState), the record document (nodes_from_json, nodes_bytes) and a line of its journal
(journal_text, journal_line). hagen.emit.nodes, the record's one reader and one writer,
reads and writes them; every check of an entry is here, in from_json."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import Mapping

from hagen.base.readback import MAX_CONFIG_VERSION
from hagen.emit.manifest import SHA256, plain_host, plain_path

NODE_MODE = re.compile(r"[0-7]{4}\Z")     # a node's file may be setuid, setgid or sticky: recorded as it is
FORMAT = "hagen-nodes/1"


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

    def to_json(self, state=FileState.to_json) -> dict:
        """The node's document; state(FileState): each entry's (nodes_bytes keeps the FileState)."""
        doc = {"gathered": self.gathered, "files": {p: state(s) for p, s in self.files.items()}}
        if self.into is not None:
            doc["into"] = self.into
        if self.missing_commands is not None:
            doc["missing_commands"] = list(self.missing_commands)
        if self.written is not None:
            doc["written"] = {p: state(s) for p, s in self.written.items()}
        return doc

    @classmethod
    def from_json(cls, doc, memo: dict | None = None) -> Node:
        """The node doc says; NotARecord otherwise. memo: the entries already checked in this read."""
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
        return cls(doc.get("gathered", False), _states(doc.get("files", {}), False, memo), into,
                   tuple(missing) if missing is not None else None,
                   _states(written, True, memo) if written is not None else None)


_NODE_KEYS = {"gathered", "files", "into", "missing_commands", "written"}


def _states(doc: dict, written: bool, memo: dict | None = None) -> dict[str, FileState]:
    return {path: entry_state(path, state, written, memo if memo is not None else {}) for path, state in doc.items()}


def entry_state(path, doc, written: bool, memo: dict) -> FileState:
    """The state doc says at path, checked once per read for each distinct (path, entry): 10,000
    nodes hold one /etc/hosts. NotARecord when it is not one hagen writes."""
    try:
        key = (written, type(path), path, tuple((k, type(v), v) for k, v in doc.items()))   # True is not 1
        hash(key)
    except (AttributeError, TypeError):          # not a dict, or a value that is not a plain one: check it
        key = None
    if key is not None and key in memo:
        return memo[key]
    if not plain_path(path):
        raise NotARecord(f"{path!r} is not a normalised absolute path")
    state = FileState.from_json(doc, written)
    if key is not None:
        memo[key] = state
    return state


def nodes_from_json(doc) -> dict[str, Node]:
    """{host: Node} of a record document; NotARecord, saying what is wrong, when it is not one hagen writes."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("nodes"), dict):
        raise NotARecord(f"not a {FORMAT} document")
    nodes, memo = {}, {}
    for host, node in doc["nodes"].items():
        if not plain_host(host):
            raise NotARecord(f"{host!r} is not a plain host name")
        try:
            nodes[host] = Node.from_json(node, memo)
        except NotARecord as exc:
            raise NotARecord(f"{host}: {exc}") from None
    return nodes


def nodes_bytes(nodes: Mapping[str, Node]) -> bytes:
    """The record's bytes: json.dumps(doc, indent=1, sort_keys=True), the format hagen has always
    written, made without json's indenting encoder (pure Python: 0.75 s at 10,000 nodes) by
    writing each distinct entry once, however many nodes hold it."""
    doc = {"format": FORMAT, "nodes": {h: nodes[h].to_json(state=lambda s: s) for h in nodes}}
    return (_indented(doc, 0, {}) + "\n").encode()


def _indented(value, depth: int, made: dict) -> str:
    """json.dumps(value, indent=1, sort_keys=True) at depth. made: the text of each FileState at
    its depth (keyed by identity: nodes_bytes's nodes keep them alive) and of each key."""
    if isinstance(value, FileState):
        text = made.get((id(value), depth))
        if text is None:
            text = made[(id(value), depth)] = _indented(value.to_json(), depth, made)
        return text
    if isinstance(value, (dict, list)) and value:
        inner = "\n" + " " * (depth + 1)
        items = (f"{made.get(k) or made.setdefault(k, json.dumps(k))}: {_indented(value[k], depth + 1, made)}"
                 for k in sorted(value)) if isinstance(value, dict) else (_indented(v, depth + 1, made) for v in value)
        brackets = "{}" if isinstance(value, dict) else "[]"
        return brackets[0] + inner + ("," + inner).join(items) + "\n" + " " * depth + brackets[1]
    return json.dumps(value)


def journal_text(records: Mapping[str, list]) -> str:
    """The journal lines of records (host -> [(path, state the node holds, what hagen wrote
    there)], None drops): each entry in its record form (FileState.to_json), one line per set
    of hosts that confirmed the very same entries (a call's hosts mostly do: the same objects)."""
    groups: dict = {}
    for host, items in records.items():
        key = tuple((path, id(state), id(wrote)) for path, state, wrote in items)
        groups.setdefault(key, (items, []))[1].append(host)
    return "".join(json.dumps({"hosts": sorted(hosts), "files": [[path, _doc(state), _doc(wrote)]
                                                                 for path, state, wrote in items]}, sort_keys=True)
                   + "\n" for items, hosts in groups.values())


def _doc(state: FileState | None) -> dict | None:
    return state.to_json() if state is not None else None


def journal_line(doc, memo: dict) -> tuple[list[str], list]:
    """(hosts, [(path, state, wrote)]) of a journal line; NotARecord when it is not one hagen writes."""
    if set(doc) != {"hosts", "files"} or not isinstance(doc["hosts"], list) or not isinstance(doc["files"], list) \
            or not all(plain_host(h) for h in doc["hosts"]):
        raise NotARecord("not a journal line")
    items = []
    for entry in doc["files"]:
        if not (isinstance(entry, list) and len(entry) == 3):
            raise NotARecord("not a journal entry")
        path, state, wrote = entry
        items.append((path, *(entry_state(path, d, written, memo) if d is not None else None
                              for d, written in ((state, False), (wrote, True)))))
    return doc["hosts"], items
