"""hagen diff: what a build would change in a tree laid out like out/.

The build is compiled against the tree it is compared with (config_version
included), never written. Each change is reported once for all the hosts that
share it, the hosts folded as a node set. Structured files are compared
structurally with deepdiff: cluster.conf by element and attribute path, NAME=VALUE
files by key, the /etc/HA line lists by added and removed line; other files as
unified diffs. Secrets are masked unless asked for.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from hagen.emit import OutFile
from hagen.model.names import fold, natural_key

MASK = "********"


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

    def count(self, kind: str) -> int:
        return sum(len(c.hosts) for c in self.changes if c.kind == kind)

    @property
    def summary(self) -> str:
        touched = {h for c in self.changes for h in c.hosts}
        return (f"{len(touched)} of {self.hosts} hosts differ from {self.against}: "
                f"{self.count('added')} files added, {self.count('changed')} changed, "
                f"{self.count('removed')} removed")

    def to_json(self) -> dict:
        return {"against": self.against, "hosts": self.hosts,
                "added": self.count("added"), "changed": self.count("changed"), "removed": self.count("removed"),
                "changes": [c.to_json() for c in self.changes]}


LINK = -1   # the "mode" of a symbolic link; its "bytes" are its target


def _read(root: Path, host: str, path: str) -> tuple[bytes, int] | None:
    full = root / host / path.lstrip("/")
    try:
        if os.path.islink(full):
            return os.readlink(full).encode(), LINK
        with open(full, "rb") as f:
            return f.read(), os.fstat(f.fileno()).st_mode & 0o7777
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def _walk(root: Path) -> set[tuple[str, str]]:
    found = set()
    if not root.is_dir():
        return found
    for host_dir in sorted(root.iterdir()):
        if host_dir.name.startswith(".") or not host_dir.is_dir():
            continue
        for dirpath, _dirs, names in os.walk(host_dir):
            for name in names:
                rel = os.path.relpath(os.path.join(dirpath, name), host_dir)
                found.add((host_dir.name, "/" + rel.replace(os.sep, "/")))
    return found


def diff_tree(files: list[OutFile], against: Path, secrets: list[str], show_secrets: bool = False) -> DiffResult:
    root = against.resolve() if against.exists() else against
    groups: dict = {}
    built = set()
    for f in files:
        built.add((f.host, f.path))
        old = _read(root, f.host, f.path)
        new, mode = (f.link_target.encode(), LINK) if f.is_link else (f.data, f.mode)
        if old is None:
            key = ("added", f.path, None, new, None, mode)
        elif old[0] != new or old[1] != mode:
            key = ("changed", f.path, old[0], new, old[1], mode)
        else:
            continue
        groups.setdefault(key, []).append(f.host)
    hosts = {f.host for f in files}
    for host, path in sorted(_walk(root) - built):
        if host in hosts or not files:
            old = _read(root, host, path)
            groups.setdefault(("removed", path, old[0] if old else b"", None, old[1] if old else 0, None), []).append(host)
    changes = []
    for (kind, path, old, new, old_mode, new_mode), names in groups.items():
        names.sort(key=natural_key)
        details = describe(kind, path, old, new, old_mode, new_mode, names, secrets, show_secrets)
        changes.append(Change(kind, path, names, details))
    order = {"changed": 0, "added": 1, "removed": 2}
    changes.sort(key=lambda c: (c.path, order[c.kind], natural_key(c.hosts[0])))
    return DiffResult(str(against), len(hosts), changes)


_PASSWD_ATTR = re.compile(r'(\bpasswd=")[^"]*(")')


def _mask(text: str, secrets: list[str], show: bool) -> str:
    """The build's secrets, and any passwd attribute (an old tree may hold an older password)."""
    if show:
        return text
    for s in secrets:
        if s:
            text = text.replace(s, MASK)
    return _PASSWD_ATTR.sub(rf"\g<1>{MASK}\g<2>", text)


def describe(kind, path, old, new, old_mode, new_mode, hosts, secrets, show) -> list[str]:
    if kind == "added":
        if new_mode == LINK:
            return [f"new symbolic link -> {new.decode()}"]
        return [f"new file, mode {new_mode:04o}, {len(new)} bytes"]
    if kind == "removed":
        return ["no longer built"]
    if LINK in (old_mode, new_mode):
        def what(data, mode):
            return f"symbolic link -> {data.decode('utf-8', 'replace')}" if mode == LINK else f"file, mode {mode:04o}"
        return [f"{what(old, old_mode)} -> {what(new, new_mode)}"]
    details = []
    if old_mode != new_mode:
        details.append(f"mode {old_mode:04o} -> {new_mode:04o}")
    if old == new:
        return details
    old_t, new_t = old.decode("utf-8", "replace"), new.decode("utf-8", "replace")
    base = path.rsplit("/", 1)[-1]
    structured = None
    try:
        if path.endswith("/cluster/cluster.conf") and not path.startswith("/etc/ocfs2"):
            structured = _structured(_xml_flat(old_t), _xml_flat(new_t), show)
        elif base.startswith(("ifcfg-", "route-")) or base in ("pbs.conf", "lustre.cfg"):
            structured = _structured(_name_values(old_t), _name_values(new_t), show)
        elif path.startswith("/etc/HA/") and "/bin/" not in path:
            structured = _line_list(old_t, new_t)
    except ValueError:
        structured = None
    if structured is not None:
        return details + [_mask(line, secrets, show) for line in structured]
    fold_hosts = fold(hosts)
    return details + [ln.rstrip("\n") for ln in difflib.unified_diff(
        _mask(old_t, secrets, show).splitlines(True), _mask(new_t, secrets, show).splitlines(True),
        fromfile=f"a/{fold_hosts}{path}", tofile=f"b/{fold_hosts}{path}", n=2)]


def _xml_flat(text: str) -> dict:
    """cluster.conf as {element path/@attribute: value}, elements numbered among their
    like-named siblings, so that a renamed service reads as one changed attribute."""
    from lxml import etree

    try:
        root = etree.fromstring(text.encode())
    except etree.XMLSyntaxError as exc:
        raise ValueError(str(exc))
    flat = {}

    def walk(el, here):
        for key, value in sorted(el.attrib.items()):
            flat[f"{here}/@{key}"] = value
        if el.text and el.text.strip():
            flat[f"{here}/text()"] = el.text.strip()
        counts: dict = {}
        for child in el:
            if not isinstance(child.tag, str):
                continue
            counts[child.tag] = counts.get(child.tag, 0) + 1
            walk(child, f"{here}/{child.tag}[{counts[child.tag]}]")

    walk(root, f"/{root.tag}")
    return flat


def _name_values(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if "=" not in s:
            raise ValueError(line)
        k, v = s.split("=", 1)
        out[k] = v
    return out


def _structured(old: dict, new: dict, show: bool = False) -> list[str]:
    from deepdiff import DeepDiff

    def shown(key, value):
        return MASK if not show and _key(key).endswith("passwd") else value

    dd = DeepDiff(old, new, verbose_level=2)
    lines = []
    for key, change in sorted(dd.get("values_changed", {}).items()):
        lines.append(f"~ {_key(key)}: {shown(key, change['old_value'])} -> {shown(key, change['new_value'])}")
    for key, value in sorted(dd.get("dictionary_item_added", {}).items()):
        lines.append(f"+ {_key(key)}: {shown(key, value)}")
    for key, value in sorted(dd.get("dictionary_item_removed", {}).items()):
        lines.append(f"- {_key(key)}: {shown(key, value)}")
    return lines


def _key(deepdiff_path: str) -> str:
    # root['cluster/@name'] -> cluster/@name
    if deepdiff_path.startswith("root['") and deepdiff_path.endswith("']"):
        return deepdiff_path[6:-2]
    return deepdiff_path


def _line_list(old: str, new: str) -> list[str]:
    def lines(t):
        return [ln for ln in t.splitlines() if ln.strip() and not ln.startswith("#")]

    a, b = lines(old), lines(new)
    added = [ln for ln in b if ln not in a]
    removed = [ln for ln in a if ln not in b]
    out = [f"+ {ln}" for ln in added] + [f"- {ln}" for ln in removed]
    if not out and a != b:
        out.append("order changed: " + ", ".join(b))
    if not out:
        out.append("comments changed")
    return out
