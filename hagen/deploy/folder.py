"""The folder gather writes (`--into DIR`): its own, private, and what each file there is.

gather deletes and replaces `DIR/<host>`; so it writes only into a folder it made. The
folder is marked with `DIR/.hagen/gathered.json`, which lists the host folders gather
made and the mode each file has *on its node*:

    {"format": "hagen-gathered/1", "hosts": {"ns0": {"/etc/hosts": "0644", ...}},
     "sums": {"ns0": {"/etc/hosts": [sha256, device, inode, size, mtime_ns, ctime_ns], ...}}}

- A new or empty DIR is made gather's (0700) and marked; an existing DIR without the mark,
  the output tree or its store (or a folder inside them, or holding them), and the folder
  of the site spec are refused (HA967) before anything is fetched.
- `DIR/<host>` is replaced only when the mark lists it (or it is a link, removed as a link).
- The gathered tree is 0700 and its files 0600 whatever the node's modes: a node's
  cluster.conf at 0644 holds a fence password. The node's modes are recorded in the mark,
  and `diff --against DIR` reads them from there (hagen.deploy.gathered).
- Each fetched file is read in 1 MiB chunks (its sha256) and bounded (hagen.deploy.gathered.MAX_FILE):
  one over the limit is recorded as unusable with a reason that says what to do
  (hagen.deploy.state.taken).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hagen.base.errors import InputRefused
from hagen.base.reports import Where, error

MARK = ".hagen/gathered.json"
FORMAT = "hagen-gathered/1"


def _refused(into, why: str, hint: str) -> InputRefused:
    return InputRefused(f"gather refuses --into {into}: nothing was fetched",
                        reports=[error("HA967", Where(key="--into"), f"{into} {why}", hint)])


def _inside(a: Path, b: Path) -> bool:
    """Whether a is b or lies below it (both resolved)."""
    return a == b or b in a.parents


class Own:
    """The mark of a gathered folder: the hosts gather made there and their node modes, and
    each fetched file's sha256 with the identity of the copy gather wrote (device, inode,
    size, mtime, ctime): while a copy is still that very inode, unchanged, diff --against
    knows its content without reading it (hagen.deploy.gathered.ForeignTree.known)."""

    def __init__(self, into: Path, hosts: dict, sums: dict | None = None):
        self.into = into
        self.hosts = hosts
        self.sums = sums if sums is not None else {}

    def made(self, host: str) -> bool:
        return host in self.hosts

    def add(self, host: str, held: dict, written: dict | None = None) -> None:
        """held: {path: FileState}; written: {path: os.stat_result} of the copies gather wrote for host."""
        self.hosts[host] = {p: s.mode for p, s in sorted(held.items()) if s.mode is not None}
        self.sums[host] = {p: [held[p].sha256, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
                           for p, st in sorted((written or {}).items()) if p in held and held[p].is_file}

    def forget(self, host: str) -> None:
        self.hosts.pop(host, None)
        self.sums.pop(host, None)

    def save(self) -> None:
        from hagen.base.writes import write_file

        (self.into / ".hagen").mkdir(0o700, exist_ok=True)
        doc = {"format": FORMAT, "hosts": {h: self.hosts[h] for h in sorted(self.hosts)},
               "sums": {h: self.sums[h] for h in sorted(self.sums) if h in self.hosts}}
        write_file(self.into / MARK, (json.dumps(doc, sort_keys=True) + "\n").encode(), 0o600)


def _mark_doc(into: Path):
    from hagen.emit.store import read_regular

    try:
        fd = os.open(into / ".hagen", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        data = read_regular("gathered.json", fd, limit=64 << 20)
    finally:
        os.close(fd)
    try:
        return json.loads(data) if data is not None else None
    except (ValueError, RecursionError):
        return None


def read_mark(into: Path, with_sums: bool = False):
    """{host: {path: mode}} of a gathered folder's mark, validated; None when absent or not
    valid. with_sums: ({host: {path: mode}}, {host: {path: [sha256, dev, ino, size, mtime_ns,
    ctime_ns]}}), the second without any entry that is not of that form."""
    from hagen.emit.manifest import SHA256, plain_host, plain_path

    doc = _mark_doc(into)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("hosts"), dict):
        return None
    for host, modes in doc["hosts"].items():
        if not plain_host(host) or not isinstance(modes, dict):
            return None
        if not all(plain_path(p) and isinstance(m, str) and len(m) == 4 and set(m) <= set("01234567")
                   for p, m in modes.items()):
            return None
    if not with_sums:
        return doc["hosts"]
    sums = {}
    for host, files in (doc.get("sums") if isinstance(doc.get("sums"), dict) else {}).items():
        if host in doc["hosts"] and isinstance(files, dict):
            sums[host] = {p: v for p, v in files.items() if plain_path(p) and isinstance(v, list) and len(v) == 6
                          and isinstance(v[0], str) and SHA256.match(v[0]) and all(type(x) is int for x in v[1:])}
    return doc["hosts"], sums


def prepare(into: Path, tree, site_dir, hosts) -> Own:
    """into made or checked as gather's own (see the module's docstring); every host folder
    gather will replace checked to be its own."""
    real = Path(os.path.realpath(into))
    for name, other in (("the output tree", tree.out), ("the output store", tree.store)):
        mine = Path(os.path.realpath(other))
        if _inside(real, mine) or _inside(mine, real):
            raise _refused(into, f"is {name} or holds it or lies inside it ({other})",
                           "give --into a folder of its own, e.g. gathered/")
    if site_dir is not None and _inside(Path(os.path.realpath(site_dir)), real):
        raise _refused(into, f"is the site spec's folder or holds it ({site_dir})",
                       "give --into a folder of its own, e.g. gathered/")
    if os.path.islink(into):
        raise _refused(into, "is a symbolic link", "give --into a folder, not a link")
    try:
        if not os.path.lexists(into):
            into.mkdir(0o700, parents=True)
        elif not into.is_dir():
            raise _refused(into, "is not a folder", "give --into a folder gather made, or a new one")
        found = read_mark(into, with_sums=True)
        mark, sums = found if found is not None else (None, {})
        if mark is None:
            if any(os.scandir(into)):
                raise _refused(into, "is a folder gather did not make (it has no .hagen/gathered.json)",
                               "give --into a new or empty folder, or the one gather filled before")
            mark = {}
        os.chmod(into, 0o700)
    except OSError as exc:
        from hagen.base.errors import OutputError

        raise OutputError(f"cannot write {into}: {exc.strerror}", hint="give --into a folder you can write")
    foreign = sorted(h for h in hosts if h not in mark and os.path.lexists(into / h)
                     and not os.path.islink(into / h))
    if foreign:
        raise _refused(into, f"holds {', '.join(foreign[:5])} that gather did not make",
                       "move them away: gather replaces only the host folders it made")
    own = Own(into, dict(mark), sums)
    own.save()
    return own
