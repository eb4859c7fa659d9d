"""hagen diff: what a build would change in a tree laid out like out/.

The build is compiled against the tree it is compared with (config_version
included), never written. Only what hagen manages is compared: the files the build
writes, and those a manifest says hagen wrote before (a file hagen never built is not
"removed"). Each change is reported once for all the hosts that share it, the hosts
folded as a node set. A file whose kind has a structural diff (hagen.kinds) is compared
by it, as flat trees: cluster.conf by element and attribute path, NAME=VALUE files by
key, the /etc/HA lists by line, saying which entry moved (their order is the order
things start); a new file is shown whole; other files as unified diffs. The tree is read as untrusted
(hagen.deploy.gathered), and every secret is masked in every form on both sides unless asked
(hagen.base.masking): the old side may hold a password hagen no longer knows, in a file that
does not even parse.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from hagen.emit import OutFile, same_file
from hagen.emit.nodes import Node
from hagen.deploy.gathered import LINK, ForeignTree
from hagen.base.masking import mask
from hagen.kinds import registry
from hagen.model.names import fold, natural_key

MAX_SHOWN_LINES = 400        # of a new file's content
FORMAT = "hagen-diff/1"      # of the --format json document


@dataclass
class Change:
    kind: str                     # added, changed, removed
    path: str
    hosts: list[str]
    details: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"kind": self.kind, "path": self.path, "hosts": fold(self.hosts), "details": self.details}


@dataclass
class DiffResult:
    against: str
    hosts: int
    changes: list[Change]
    sends: list[OutFile] = field(default_factory=list)          # what a push of this review sends
    removes: list[tuple[str, str]] = field(default_factory=list)  # (host, path) it removes

    def count(self, kind: str) -> int:
        return sum(len(c.hosts) for c in self.changes if c.kind == kind)

    @property
    def summary(self) -> str:
        touched = {h for c in self.changes for h in c.hosts}
        added = self.count("added")
        return (f"{len(touched)} of {self.hosts} hosts differ from {self.against}: "
                f"{added} {'file' if added == 1 else 'files'} added, {self.count('changed')} changed, "
                f"{self.count('removed')} removed")

    def to_json(self) -> dict:
        return {"format": FORMAT, "against": self.against, "hosts": self.hosts,
                "added": self.count("added"), "changed": self.count("changed"), "removed": self.count("removed"),
                "changes": [c.to_json() for c in self.changes]}


def diff_tree(files: list[OutFile], against, secrets: list[str], show_secrets: bool = False,
              managed: set | None = None, present: set | None = None, known: dict | None = None) -> DiffResult:
    """The changes from the tree against to files. managed: (host, path) pairs hagen wrote
    before (a manifest's), the only ones that can be "removed"; present: the tree's scan.
    known: {(host, path): entry} of what the tree holds as far as hagen knows without reading
    it (an intact output tree's manifest entries; the copies a gathered tree's mark vouches
    for, as FileState): a file whose entry names the same content and mode is the same without
    being read (at 10,000 nodes, a diff after one change reads the few files that changed,
    not all 32,000)."""
    tree = against if isinstance(against, ForeignTree) else ForeignTree(Path(against))
    tree.check_root()
    if present is None:
        present = tree.scan()
    known = known or {}
    contents: dict = {}
    groups: dict = {}
    built = set()
    sends, removes = [], []
    compared: dict = {}           # (id(old bytes), id(new bytes)) -> whether they differ
    for f in files:
        where = (f.host, f.path)
        built.add(where)
        entry = known.get(where)
        if same_file(entry, f):
            continue
        shared = entry is not None and not entry.is_link
        if shared:
            # an intact tree: one read per distinct content (a changed /etc/hosts is one object)
            by_content = (entry.sha256, entry.mode)
            if by_content not in contents:
                contents[by_content] = tree.read(f.host, f.path)
            old = contents[by_content]
        else:
            old = tree.read(f.host, f.path)
        new, mode = (f.link_target.encode(), LINK) if f.is_link else (f.data, f.mode)
        if old is None:
            key = ("added", f.path, None, new, None, mode)
        else:
            # compared once per pair of contents: 10,434 hosts share one old and one new
            # /etc/hosts, and comparing them byte by byte each time was most of this loop.
            # Only contents kept alive to the end (in `contents`, and files' data) are keyed by id
            pair = (id(old[0]), id(new)) if shared and f.link_target is None else None
            differs = compared.get(pair) if pair else None
            if differs is None:
                differs = old[0] != new
                if pair:
                    compared[pair] = differs
            if not differs and old[1] == mode:
                continue
            key = ("changed", f.path, old[0], new, old[1], mode)
        sends.append(f)
        groups.setdefault(key, []).append(f.host)
    hosts = {f.host for f in files}
    for host, path in sorted((present & (managed or set())) - built):
        if host in hosts:
            old = tree.read(host, path)
            removes.append((host, path))
            groups.setdefault(("removed", path, old[0] if old else b"", None, old[1] if old else 0, None),
                              []).append(host)
    changes = []
    for (kind, path, old, new, old_mode, new_mode), names in groups.items():
        names.sort(key=natural_key)
        details = describe(kind, path, old, new, old_mode, new_mode, names, secrets, show_secrets)
        changes.append(Change(kind, path, names, details))
    order = {"changed": 0, "added": 1, "removed": 2}
    changes.sort(key=lambda c: (c.path, order[c.kind], natural_key(c.hosts[0])))
    return DiffResult(tree.given, len(hosts), changes, sends, removes)




def describe(kind, path, old, new, old_mode, new_mode, hosts, secrets, show) -> list[str]:
    if kind == "added":
        if new_mode == LINK:
            return [f"new symbolic link -> {new.decode('utf-8', 'replace')}"]
        lines = mask(new.decode("utf-8", "replace"), secrets, show).splitlines()
        shown = [f"+ {ln}" for ln in lines[:MAX_SHOWN_LINES]]
        if len(lines) > MAX_SHOWN_LINES:
            shown.append(f"... ({len(lines) - MAX_SHOWN_LINES} more lines)")
        return [f"new file, mode {new_mode:04o}, {len(new)} bytes"] + shown
    if kind == "removed":
        return ["no longer built"]
    if LINK in (old_mode, new_mode):
        def what(data, mode):
            if mode == LINK:
                return f"symbolic link -> {mask(data.decode('utf-8', 'replace'), secrets, show, foreign=True)}"
            return f"file, mode {mode:04o}"
        return [f"{what(old, old_mode)} -> {what(new, new_mode)}"]
    details = []
    if old_mode != new_mode:
        details.append(f"mode {old_mode:04o} -> {new_mode:04o}")
    if old == new:
        return details
    old_t, new_t = old.decode("utf-8", "replace"), new.decode("utf-8", "replace")
    file_kind = registry().of_file(path, new)     # cluster.conf, CIB, NAME=VALUE files, /etc/HA lists...
    structured = None
    if file_kind is not None and file_kind.diff is not None:
        try:
            structured = file_kind.diff(old_t, new_t, secrets, show)
        except ValueError:
            structured = None       # a file that does not parse (a gathered one): a unified diff, masked
    if structured is not None:
        return details + structured
    fold_hosts = fold(hosts)
    unified = [ln.rstrip("\n") for ln in difflib.unified_diff(
        mask(old_t, secrets, show, foreign=True).splitlines(True),
        mask(new_t, secrets, show, foreign=True).splitlines(True),
        fromfile=f"a/{fold_hosts}{path}", tofile=f"b/{fold_hosts}{path}", n=2)]
    return details + (unified or ["the files differ in masked secrets only"])


def versions_going_down(sends: list[OutFile], tree: ForeignTree, record: Mapping[str, Node]) -> list:
    """HA970 warnings: a versioned file (cluster.conf) the build would send whose revision is
    not above what the compared tree holds or what the nodes' record says they hold, whatever
    the tree's origin (gathered, copied by hand, an output tree). Both read by the format's
    parser (hagen.base.readback); an unreadable old side is warned about too."""
    from hagen.base.reports import Where, warning

    kinds = registry()
    found: dict = {}
    for f in sends:
        fmt = kinds.versioned_of(f.path, f.data) if not f.is_link else None
        if fmt is None:
            continue
        new = fmt.version_of(f.data)
        old = tree.read(f.host, f.path)
        have = record[f.host].files.get(f.path) if f.host in record else None
        held = [have.config_version if have is not None else None]
        try:
            held.append(fmt.version_of(old[0]) if old and old[1] != LINK else None)
        except ValueError:
            found.setdefault((f.path, "an unreadable config_version", new), []).append(f.host)
            continue
        top = max((v for v in held if v is not None), default=None)
        if new is not None and top is not None and new <= top:
            found.setdefault((f.path, top, new), []).append(f.host)
    return [warning("HA970", Where(host=fold(sorted(hosts, key=natural_key))),
                    f"{path}: config_version {top} -> {new}: not above what the nodes hold; cman would refuse it "
                    "and push refuses it (HA943)",
                    "run `hagen gather`, then `hagen build`: the build takes the version from the nodes")
            for (path, top, new), hosts in sorted(found.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))]
