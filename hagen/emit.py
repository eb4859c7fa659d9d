"""emit: the output tree, written atomically, each distinct file stored once.

Layout for `--out out` (the default):

    out -> .out.d/gen-7            a relative symlink: the only thing a build swaps
    .out.d/lock                    held (flock) while a build reads and replaces out
    .out.d/objects/ab/<sha>-0644   every distinct content+mode, once
    .out.d/gen-7/<host>/<path>     hard links to the objects
    .out.d/gen-7/.hagen/manifest.json

A build writes a complete new generation beside the current one and then renames a
new symlink over `out` (one rename: readers see the old tree or the new one, never a
mix); a failed or killed build leaves `out` as it was. Files whose bytes did not
change are links to the same object, so they keep their inode and mtime; a build
whose manifest equals the current one writes nothing at all.

Mind the hard links: a file shared by many hosts is one inode, so editing one copy
in place edits them all. hagen checks each object against its sha256 before reusing it.

A symbolic link (an OutFile with a link_target: /usr/sbin/lustre_failover_xena1 ->
/usr/sbin/lustre_failover) is written as a real symlink in each generation, as it must
be on the node (its target is not rewritten into out/, so it may dangle here), and
appears in the manifest as {"type": "symlink", "target": ...} instead of a mode and a
sha256.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import posixpath
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hagen.errors import OutputError
from hagen.model.names import fold, natural_key

MANIFEST = ".hagen/manifest.json"
MANIFEST_FORMAT = "hagen-manifest/1"


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


@dataclass(frozen=True)
class EmitResult:
    files: int
    hosts: int
    changed: int           # host files whose bytes or mode differ from the previous tree
    removed: int           # host files of the previous tree that are gone
    objects_written: int
    generation: str | None
    noop: bool


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
            entries.append({"path": path, "hosts": fold(names), "type": "symlink", "target": target,
                            "template": template})
            continue
        entries.append({"path": path, "hosts": fold(names), "mode": f"{mode:04o}", "sha256": sha,
                        "size": size, "template": template})
    entries.sort(key=lambda e: (e["path"], natural_key(e["hosts"])))
    return {"format": MANIFEST_FORMAT, "hosts": fold(sorted(hosts, key=natural_key)), "files": entries}


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=1, sort_keys=False) + "\n").encode()


def expand(manifest: dict) -> dict:
    """{(host, path): entry} from a manifest."""
    from ClusterShell.NodeSet import NodeSet

    out = {}
    for entry in manifest.get("files", []):
        for host in NodeSet(entry["hosts"]):
            out[(host, entry["path"])] = entry
    return out


class OutputTree:
    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.store = self.out.parent / f".{self.out.name}.d"

    # ---------------------------------------------------------------- reading
    def current(self) -> Path | None:
        """The directory out points at now (None: no tree yet)."""
        if self.out.is_symlink():
            target = self.out.resolve()
            return target if target.is_dir() else None
        if self.out.is_dir():
            return self.out
        return None

    def read(self, host: str, path: str) -> bytes | None:
        cur = self.current()
        if cur is None:
            return None
        try:
            return (cur / host / path.lstrip("/")).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise OutputError(f"cannot read {self.out}/{host}{path}: {exc.strerror}")

    def manifest(self) -> dict | None:
        cur = self.current()
        if cur is None:
            return None
        try:
            return json.loads((cur / MANIFEST).read_text())
        except (OSError, ValueError):
            return None

    # ---------------------------------------------------------------- inputs of the current tree
    def _inputs_record(self) -> dict | None:
        cur = self.current()
        try:
            record = json.loads((self.store / "inputs.json").read_text())
        except (OSError, ValueError):
            return None
        if cur is None or not self.out.is_symlink() or record.get("generation") != cur.name:
            return None
        return record

    def built_from(self) -> str | None:
        """The input fingerprint the current generation was built from (see hagen.pipeline)."""
        record = self._inputs_record()
        return record.get("fingerprint") if record else None

    def remember_inputs(self, fingerprint: str | None) -> None:
        cur = self.current()
        path = self.store / "inputs.json"
        if fingerprint is None or cur is None:
            path.unlink(missing_ok=True)
            return
        objects = {}
        for entry in (self.manifest() or {}).get("files", []):
            if entry.get("type") != "symlink":
                key = f"{entry['sha256']}-{entry['mode']}"
                st = os.stat(self.store / "objects" / entry["sha256"][:2] / key)
                objects[key] = [st.st_ino, st.st_size, st.st_mtime_ns]
        tmp = path.with_name(f"inputs.json.tmp{os.getpid()}")
        tmp.write_text(json.dumps({"generation": cur.name, "fingerprint": fingerprint, "objects": objects}) + "\n")
        os.replace(tmp, path)

    def intact(self) -> bool:
        """Every file of the manifest is still the object it was linked to (or the link it was),
        and no object changed since it was recorded (an edit in place changes its mtime)."""
        from ClusterShell.NodeSet import NodeSet

        cur, manifest, record = self.current(), self.manifest(), self._inputs_record()
        if cur is None or manifest is None or record is None:
            return False
        recorded = record.get("objects", {})
        base = str(cur)
        for entry in manifest["files"]:
            hosts = NodeSet(entry["hosts"])
            if entry.get("type") == "symlink":
                for host in hosts:
                    try:
                        if os.readlink(f"{base}/{host}{entry['path']}") != entry["target"]:
                            return False
                    except OSError:
                        return False
                continue
            key = f"{entry['sha256']}-{entry['mode']}"
            try:
                obj = os.stat(self.store / "objects" / entry["sha256"][:2] / key)
            except OSError:
                return False
            if [obj.st_ino, obj.st_size, obj.st_mtime_ns] != recorded.get(key):
                return False
            for host in hosts:
                try:
                    st = os.stat(f"{base}/{host}{entry['path']}")
                except OSError:
                    return False
                if st.st_ino != obj.st_ino:
                    return False
        return True

    # ---------------------------------------------------------------- locking
    @contextmanager
    def lock(self):
        try:
            self.store.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.store / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot use the output folder {self.out.parent}: {exc.strerror}",
                              hint="choose an --out in a folder you can write")
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    holder = _read_pid(fd)
                    raise OutputError(f"another hagen build is writing {self.out}"
                                      + (f" (pid {holder})" if holder else ""),
                                      hint="wait for it to finish, or build into another --out")
                raise
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            yield
        finally:
            os.close(fd)

    # ---------------------------------------------------------------- writing
    def commit(self, files: list[OutFile], keep_others: bool = False) -> EmitResult:
        """Make files the new content of out, atomically. Call with the lock held.

        keep_others: files is a build limited to some hosts (--host); every other host
        keeps what the current tree gives it."""
        if keep_others:
            files = files + self._carried({f.host for f in files})
        outside = confined(files)
        if outside:
            raise OutputError("planned files cannot be written where they are planned, inside their host's "
                              "folder: nothing was written",
                              reports=outside)
        cur = self.current()
        if self.out.exists() and not self.out.is_symlink():
            if not self.out.is_dir() or (any(self.out.iterdir()) and not (self.out / MANIFEST).exists()):
                raise OutputError(f"{self.out} exists and is not a hagen output tree",
                                  hint="move it away, or choose another --out")
        manifest = manifest_of(files)
        data = manifest_bytes(manifest)
        previous = self.manifest() or {}
        prev_files = expand(previous) if previous else {}
        changed = sum(1 for f in files if _differs(prev_files.get((f.host, f.path)), f))
        now = {(f.host, f.path) for f in files}
        removed = sum(1 for k in prev_files if k not in now)
        hosts = len({f.host for f in files})
        if cur is not None and self.out.is_symlink() and previous and manifest_bytes(previous) == data \
                and self._intact(cur, files):
            return EmitResult(len(files), hosts, 0, 0, 0, cur.name, True)

        gens = [int(p.name[4:]) for p in self.store.glob("gen-*") if p.name[4:].isdigit()]
        gen = f"gen-{max(gens, default=0) + 1}"
        new = self.store / gen
        written = 0
        try:
            shutil.rmtree(new, ignore_errors=True)
            new.mkdir(parents=True)
            objects: dict = {}       # (sha256, mode) -> object path: each distinct content checked once
            by_host: dict = {}
            for f in files:
                by_host.setdefault(f.host, []).append(f)
                if f.is_link:
                    continue
                key = (f.sha256, f.mode)
                if key not in objects:
                    obj, fresh = self._object(f)
                    written += fresh
                    objects[key] = str(obj)
            _populate(str(new), by_host, objects)
            (new / ".hagen").mkdir()
            (new / MANIFEST).write_bytes(data)
            self._swap(gen)
        except OSError as exc:
            shutil.rmtree(new, ignore_errors=True)
            raise OutputError(f"cannot write the output tree {self.out}: {exc.strerror or exc}",
                              hint="check free space and permissions; the previous tree is untouched")
        self._collect(gen)
        return EmitResult(len(files), hosts, changed, removed, written, gen, False)

    def _carried(self, rebuilt: set) -> list[OutFile]:
        """The current tree's files of the hosts not rebuilt, from its manifest and objects."""
        from ClusterShell.NodeSet import NodeSet

        out, contents = [], {}
        for entry in (self.manifest() or {}).get("files", []):
            hosts = [h for h in NodeSet(entry["hosts"]) if h not in rebuilt]
            if not hosts:
                continue
            if entry.get("type") == "symlink":
                out += [OutFile(h, entry["path"], entry["target"].encode(), 0o777, entry.get("template", "symlink"),
                                entry["target"]) for h in hosts]
                continue
            key = f"{entry['sha256']}-{entry['mode']}"
            if key not in contents:
                try:
                    contents[key] = (self.store / "objects" / entry["sha256"][:2] / key).read_bytes()
                except OSError as exc:
                    raise OutputError(f"the current tree lacks the object of {entry['path']}: {exc.strerror}",
                                      hint="build every host once without --host")
            out += [OutFile(h, entry["path"], contents[key], int(entry["mode"], 8), entry["template"],
                            digest=entry["sha256"]) for h in hosts]
        return out

    def _object(self, f: OutFile) -> tuple[Path, int]:
        sha = f.sha256
        obj = self.store / "objects" / sha[:2] / f"{sha}-{f.mode:04o}"
        if obj.exists():
            try:
                if hashlib.sha256(obj.read_bytes()).hexdigest() == sha:
                    return obj, 0
            except OSError:
                pass
            obj.unlink()      # edited in place: a new object, new inode; the old tree keeps its copy
        obj.parent.mkdir(parents=True, exist_ok=True)
        tmp = obj.with_name(obj.name + f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, f.data)
            os.fchmod(fd, f.mode)
        finally:
            os.close(fd)
        os.replace(tmp, obj)
        return obj, 1

    def _intact(self, tree: Path, files: list[OutFile]) -> bool:
        """The tree holds exactly files: links to their objects, and each object still holds
        its content (an edit in place keeps the inode, so the bytes are checked, once each)."""
        checked: dict = {}
        for f in files:
            if f.is_link:
                try:
                    if os.readlink(tree / f.host / f.path.lstrip("/")) != f.link_target:
                        return False
                except OSError:
                    return False
                continue
            try:
                st = os.stat(tree / f.host / f.path.lstrip("/"))
            except OSError:
                return False
            key = (f.sha256, f.mode)
            ino = checked.get(key)
            if ino is None:
                obj = self.store / "objects" / f.sha256[:2] / f"{f.sha256}-{f.mode:04o}"
                try:
                    ost = os.stat(obj)
                    if ost.st_size != len(f.data) or hashlib.sha256(obj.read_bytes()).hexdigest() != f.sha256:
                        return False
                except OSError:
                    return False
                ino = checked[key] = ost.st_ino
            if st.st_ino != ino:
                return False
        return True

    def _swap(self, gen: str) -> None:
        if self.out.exists() and not self.out.is_symlink():
            # a plain tree from elsewhere (an older hagen, a copy): keep it as a generation
            legacy = self.store / "gen-0"
            shutil.rmtree(legacy, ignore_errors=True)
            os.rename(self.out, legacy)
        link = self.out.parent / f".{self.out.name}.link-{os.getpid()}"
        if link.is_symlink():
            link.unlink()
        os.symlink(f"{self.store.name}/{gen}", link)
        os.replace(link, self.out)

    def _collect(self, keep: str) -> None:
        """Drop older generations, then objects no tree links to any more."""
        for old in self.store.glob("gen-*"):
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)
        for stray in self.out.parent.glob(f".{self.out.name}.link-*"):   # a killed build's; we hold the lock
            if stray.is_symlink():
                stray.unlink(missing_ok=True)
        objects = self.store / "objects"
        if objects.is_dir():
            for sub in objects.iterdir():
                for obj in sub.iterdir():
                    try:
                        if obj.stat().st_nlink <= 1:
                            obj.unlink()
                    except OSError:
                        pass


def _differs(entry: dict | None, f: OutFile) -> bool:
    """Whether f differs from its entry in the previous manifest (None: it is new)."""
    if entry is None:
        return True
    if f.is_link or entry.get("type") == "symlink":
        return entry.get("target") != f.link_target
    return entry["sha256"] != f.sha256 or entry["mode"] != f"{f.mode:04o}"


_PLAIN_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}\Z")


def confined(files: list[OutFile]) -> list:
    """Defence in depth (the checks refuse such inputs first): an HA902 report for each file whose
    host is not a plain name or whose path is not absolute and normalised, or lies below a
    symbolic link (or a file) of the build, so that nothing is ever written outside OUT/<host>/."""
    from hagen.reports import Where, error

    all_paths = {f.path for f in files}
    all_hosts = {f.host for f in files}
    if all(isinstance(h, str) and _PLAIN_HOST.match(h) for h in all_hosts) and all(_plain_path(p) for p in all_paths) \
            and not any(_ancestors(p) & all_paths for p in all_paths):
        return []                # the usual case, decided per distinct host and path
    links = {(f.host, f.path) for f in files if f.is_link}
    planned = {(f.host, f.path) for f in files}
    hosts_ok: dict = {}
    paths_ok: dict = {}        # path -> (why not, or None; its ancestors that some file also has as its path)
    found: dict = {}            # (why, template) -> hosts
    for f in files:
        host, path = f.host, f.path
        good = hosts_ok.get(host)
        if good is None:
            good = hosts_ok[host] = isinstance(host, str) and bool(_PLAIN_HOST.match(host))
        if not good:
            found.setdefault((f"host {host!r} is not a plain host name", f.template), []).append(host)
            continue
        known = paths_ok.get(path)
        if known is None:
            if not _plain_path(path):
                known = (f"path {path!r} is not a normalised absolute path", ())
            else:
                parents, parent = [], posixpath.dirname(path)
                while parent != "/":
                    if parent in all_paths:
                        parents.append(parent)
                    parent = posixpath.dirname(parent)
                known = (None, tuple(parents))
            paths_ok[path] = known
        why, parents = known
        for parent in parents:
            if (host, parent) in planned:
                why = f"{path} lies below the {'symbolic link' if (host, parent) in links else 'file'} {parent}"
                break
        if why:
            found.setdefault((why, f.template), []).append(host)
    reports = []
    for (why, template), hosts in found.items():
        plain = all(isinstance(h, str) and _PLAIN_HOST.match(h) for h in hosts)
        reports.append(error("HA902", Where(host=fold(hosts) if plain else ", ".join(map(repr, hosts))),
                             f"{why} ({template})",
                             "a path of the site spec (hosts.path, batch.slurm.conf, ...) names a directory "
                             "another file goes in: choose another path" if " lies below the file " in why else
                             "this is a hagen bug if every check passed: please report it with the inputs"))
    return reports


def _plain_path(path) -> bool:
    return isinstance(path, str) and path.startswith("/") and not path.startswith("//") and path != "/" \
        and posixpath.normpath(path) == path and path.isprintable()


def _ancestors(path) -> set:
    out, parent = set(), posixpath.dirname(path) if isinstance(path, str) else "/"
    while parent not in ("/", ""):
        out.add(parent)
        parent = posixpath.dirname(parent)
    return out


def _populate(base: str, by_host: dict, objects: dict) -> None:
    """Each host's folder: its directories and its hard links (or symlinks). The work is
    system calls, which release the GIL: a few threads, one host at a time each."""
    from concurrent.futures import ThreadPoolExecutor

    def one(host: str) -> None:
        made = {base}
        for f in by_host[host]:
            dest = f"{base}/{host}{f.path}"
            _makedirs(dest.rpartition("/")[0], made)
            if f.is_link:
                os.symlink(f.link_target, dest)
            else:
                os.link(objects[(f.sha256, f.mode)], dest)

    hosts = list(by_host)
    if len(hosts) < 64:
        for host in hosts:
            one(host)
        return
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in pool.map(one, hosts, chunksize=64):
            pass


def _makedirs(path: str, made: set) -> None:
    """os.makedirs for a tree built from scratch: each directory once, parents first."""
    if path in made:
        return
    _makedirs(path.rpartition("/")[0], made)
    os.mkdir(path)
    made.add(path)


def _read_pid(fd) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 32).decode().strip()
    except OSError:
        return ""
