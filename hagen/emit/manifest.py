"""The manifest: what a build wrote, as the one list readers (diff, push, explain) trust.

Written by a build at `out/.hagen/manifest.json`, read back by every later command.
Between runs the store is not trusted (docs/security.md), so a manifest read back is
validated: its format, every node set parses into plain host names, every path is
absolute and normalised (no '..', no control character), every sha256 is 64 hex digits,
every mode four octal digits with no special bit. Anything else is treated as no manifest at all, and the
next build then repairs the tree from what it finds on disk.

Each entry is a ManifestEntry: read from JSON by ManifestEntry.from_json only (valid_manifest
calls it), written by ManifestEntry.to_json only (manifest_bytes, the journal). same_file()
is the one answer to "are these the same file?" for entries, the files a build makes, what
a node holds (hagen.emit.nodes) and a reviewed plan's entries (hagen.deploy.pushplan).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass

from hagen.base.hostnames import PLAIN_HOST, is_plain_host  # noqa: F401  (PLAIN_HOST: the journal's)
from hagen.base.nodesets import MAX_HOSTS      # a manifest naming more hosts is refused, not expanded
from hagen.model.names import fold, natural_key

MANIFEST = ".hagen/manifest.json"
MANIFEST_FORMAT = "hagen-manifest/1"
RESERVED = ("format", "hosts", "files")

# The grammar of what hagen writes, and so of every manifest, plan, record or tree read back
# (emit, deploy, diff, push plans all check against these, never a copy of them).
SHA256 = re.compile(r"[0-9a-f]{64}\Z")
MODE = re.compile(r"0[0-7]{3}\Z")                                  # hagen writes no setuid, setgid or sticky bit


@dataclass(frozen=True, slots=True)
class OutFile:
    host: str
    path: str              # absolute path on the host
    data: bytes
    mode: int
    template: str
    link_target: str | None = None   # a symbolic link to this path; data is then the target's bytes
    digest: str | None = None        # sha256 of data, when the caller knows it (one hash per distinct content)

    @property
    def is_link(self) -> bool:
        return self.link_target is not None

    @property
    def sha256(self) -> str:
        return self.digest or hashlib.sha256(self.data).hexdigest()

    @property
    def key(self) -> str:
        """The name of this content's object in the store."""
        return f"{self.sha256}-{self.mode:04o}"

    @property
    def identity(self) -> tuple:
        """What same_file() compares: the link's target, or the content and the mode."""
        return ("link", self.link_target) if self.link_target is not None else ("file", self.sha256, f"{self.mode:04o}")


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One entry of the manifest: the file at path on every host of the node set hosts, made
    from template: its content (sha256, size) and mode, or a symbolic link to target."""
    path: str
    hosts: str                       # a folded node set: ns[0-1]
    template: str = ""
    sha256: str | None = None        # None for a link
    mode: str | None = None          # four octal digits, "0644"; None for a link
    size: int = 0
    target: str | None = None        # a symbolic link to this target

    @property
    def is_link(self) -> bool:
        return self.target is not None

    @property
    def object_key(self) -> str:
        """The object a (non-link) entry names in the store."""
        return f"{self.sha256}-{self.mode}"

    @property
    def identity(self) -> tuple:
        return ("link", self.target) if self.target is not None else ("file", self.sha256, self.mode)

    def to_json(self) -> dict:
        """The entry as the manifest writes it (the only writer; keys in this order)."""
        if self.target is not None:
            return {"path": self.path, "hosts": self.hosts, "type": "symlink", "target": self.target,
                    "template": self.template}
        return {"path": self.path, "hosts": self.hosts, "mode": self.mode, "sha256": self.sha256,
                "size": self.size, "template": self.template}

    @classmethod
    def from_json(cls, doc) -> ManifestEntry | None:
        """The entry doc (JSON read back) says, or None when it is not one hagen writes (the only reader)."""
        if not _valid_entry(doc):
            return None
        if doc.get("type") == "symlink":
            return cls(doc["path"], doc["hosts"], doc.get("template", ""), target=doc["target"])
        return cls(doc["path"], doc["hosts"], doc.get("template", ""), doc["sha256"], doc["mode"], doc.get("size", 0))


def same_file(a, b) -> bool:
    """Whether a and b are the same file: the same link target, or the same bytes (sha256) at
    the same mode. Each is a ManifestEntry, an OutFile, what a node holds (hagen.emit.nodes.FileState)
    or a push plan's entry (hagen.deploy.pushplan.PlanEntry); None (nothing there) is the same as nothing."""
    return a is not None and b is not None and a.identity == b.identity


def as_json(value):
    """json.dumps' default for the typed records a manifest (or a journal holding one) carries."""
    if isinstance(value, ManifestEntry):
        return value.to_json()
    raise TypeError(f"{type(value).__name__} is not JSON")


def manifest_of(files: list[OutFile]) -> dict:
    """Deterministic: entries grouped by identical (path, mode, sha256, template), hosts folded."""
    groups: dict = {}
    hosts = set()
    for f in files:
        hosts.add(f.host)
        groups.setdefault((f.path, f.mode, f.sha256, f.template, len(f.data), f.link_target), []).append(f.host)
    entries = []
    for (path, mode, sha, template, size, target), names in groups.items():
        if target is not None:
            entries.append(ManifestEntry(path, fold(names), template, target=target))
        else:
            entries.append(ManifestEntry(path, fold(names), template, sha, f"{mode:04o}", size))
    entries.sort(key=lambda e: (e.path, natural_key(e.hosts)))
    return {"format": MANIFEST_FORMAT, "hosts": fold(sorted(hosts, key=natural_key)), "files": entries}


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=1, sort_keys=False, default=as_json) + "\n").encode()


def expand(manifest: dict) -> dict[tuple[str, str], ManifestEntry]:
    """{(host, path): entry} from a manifest."""
    out = {}
    for entry in manifest.get("files", []):
        path = entry.path
        for host in hosts_of(entry.hosts):
            out[(host, path)] = entry
    return out


def hosts_of(nodeset: str) -> tuple:
    """The hosts of a (validated) manifest entry's node set, expanded once per distinct set:
    a manifest names the same few sets (xlc[1-10000]) for many files."""
    hosts = _EXPANDED.get(nodeset)
    if hosts is None:
        from ClusterShell.NodeSet import NodeSet

        if len(_EXPANDED) > 4096:
            _EXPANDED.clear()
        hosts = _EXPANDED[nodeset] = tuple(NodeSet(nodeset))
    return hosts


_EXPANDED: dict = {}


plain_host = is_plain_host      # a host name as hagen writes it (hagen.base.hostnames, the one rule)


def plain_path(path) -> bool:
    """Absolute, normalised (so no '..' and no '//'), printable ASCII, not '/' itself."""
    return isinstance(path, str) and path.startswith("/") and not path.startswith("//") and path != "/" \
        and posixpath.normpath(path) == path and path.isprintable() and path.isascii()


def valid_manifest(doc) -> dict | None:
    """doc, its entries read as ManifestEntry, when it is a well-formed manifest, else None (see
    the module's docstring). Top-level keys other than format, hosts and files are a build's
    extras: kept as they are."""
    from ClusterShell.NodeSet import NodeSet

    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT:
        return None
    files, hosts = doc.get("files"), doc.get("hosts")
    if not isinstance(files, list) or not isinstance(hosts, str) or not _bounded(hosts):
        return None
    try:
        known = NodeSet(hosts)
        if len(known) > MAX_HOSTS or not all(plain_host(h) for h in known):
            return None
        by_path: dict = {}            # path -> its entries' node sets: no host may get a path twice
        entries = []
        for item in files:
            entry = item if isinstance(item, ManifestEntry) and _valid_entry(item.to_json()) \
                else ManifestEntry.from_json(item)
            if entry is None or not _bounded(entry.hosts):
                return None
            names = NodeSet(entry.hosts)
            if not names or len(names) > len(known) or not names.issubset(known):
                return None
            by_path.setdefault(entry.path, []).append(names)
            entries.append(entry)
        for sets in by_path.values():
            if len(sets) > 1 and len(NodeSet.fromlist(sets)) != sum(len(n) for n in sets):
                return None
    except Exception:                 # NodeSetParseError and kin: a node set that does not parse
        return None
    return {**doc, "files": entries}


def _valid_entry(entry) -> bool:
    if not isinstance(entry, dict) or not plain_path(entry.get("path")) or not isinstance(entry.get("hosts"), str) \
            or not isinstance(entry.get("template", ""), str):
        return False
    if entry.get("type") == "symlink":
        target = entry.get("target")
        return isinstance(target, str) and target != "" and target.isprintable()
    size = entry.get("size", 0)
    return "type" not in entry and isinstance(entry.get("sha256"), str) and bool(SHA256.match(entry["sha256"])) \
        and isinstance(entry.get("mode"), str) and bool(MODE.match(entry["mode"])) \
        and isinstance(size, int) and not isinstance(size, bool) and size >= 0


_GROUP = re.compile(r"\[([^\]]*)\]")
_SPAN = re.compile(r"(\d+)-(\d+)")


def _bounded(nodes: str) -> bool:
    """Whether a node set names at most MAX_HOSTS hosts, told from its text before it is parsed
    (ClusterShell would expand ns[0-100000000] at length first)."""
    if len(nodes) > 1 << 20 or re.search(r"\d{13}", nodes):
        return False
    total = 0
    for pattern in re.split(r",(?![^\[]*\])", nodes):
        size = 1
        for group in _GROUP.findall(pattern):
            size *= sum(int(b) - int(a) + 1 if int(b) >= int(a) else 1 for a, b in _SPAN.findall(group)) \
                + group.count(",") + 1
        total += size
        if total > MAX_HOSTS:
            return False
    return True


@dataclass(frozen=True)
class EmitResult:
    files: int
    hosts: int
    changed: int           # host files whose bytes or mode differ from the previous tree
    removed: int           # host files of the previous tree that are gone
    objects_written: int
    noop: bool
    source: object = None  # the ClusterDB source read (hagen.load.source.Source), for the summary line
    warnings: tuple = ()   # the inputs' warnings: a no-op build says them again, as the build that wrote the tree
