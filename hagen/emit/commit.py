"""A build's write: objects first, then the journal, then its apply (see hagen.emit).

Everything here works on a Locked store (the store's folder, its descriptor and out, while
the lock is held) and returns what it wrote (Written), so that hagen.emit.tree's
OutputTree, which holds the lock and caches what it read, is the only one to keep state.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hagen.emit.journal import JOURNAL, JOURNAL_FORMAT, Applier, plan
from hagen.emit.manifest import EmitResult, OutFile, as_json, expand, hosts_of, manifest_bytes, same_file
from hagen.emit.store import Objects, lock_file, lstat_mode_at, open_dir, read_json, remove_entry, unlink_at, write_atomic
from hagen.emit.verify import INPUTS_FORMAT, valid_record
from hagen.base.errors import OutputError

TREE = "tree"
NEW_TREE = "tree.new"
INPUTS = "inputs.json"
LEGACY = re.compile(r"gen-\d+\Z")      # the generations of hagen before the journal


@dataclass(frozen=True)
class Locked:
    """The output store of `out` while its lock is held (store_fd: its folder's descriptor)."""
    out: Path
    store: Path
    store_fd: int


@dataclass(frozen=True)
class Written:
    """What a commit left in the tree: the manifest's bytes, the manifest (valid: made or
    validated by hagen) and the inputs record written beside (None: none, removed)."""
    data: bytes
    manifest: dict
    record: dict | None


def commit(tree: Locked, files: list, manifest: dict, previous_data: bytes | None, previous: dict | None,
           intact: bool = False) -> tuple[EmitResult, Written | None]:
    """Make files (whose manifest is given) the tree of out. previous_data, previous: the
    current manifest's bytes and its validation (None: absent, not valid). Returns the result
    and what was written (None: nothing, the tree already is this build)."""
    store_fd = tree.store_fd
    data = manifest_bytes(manifest)
    prev_files = expand(previous) if previous else {}
    changed = sum(1 for f in files if not same_file(prev_files.get((f.host, f.path)), f))
    removed = len(set(prev_files) - {(f.host, f.path) for f in files})
    hosts = len({f.host for f in files})
    state = _out_state(tree)
    if state == "legacy" and _adopt(tree, store_fd):
        state = "ours"
    current = previous_data if state == "ours" else None     # adopted, a legacy tree holds the same manifest
    record = read_json(INPUTS, store_fd)
    listed = previous is not None and current is not None and valid_record(record) \
        and record["manifest"] == hashlib.sha256(current).hexdigest()
    objects = Objects(store_fd, record["objects"] if listed else None)
    by_host: dict = {}
    inodes: dict = {}             # object key -> inode: each distinct content checked once
    written = 0
    tree_fd = None
    try:
        for f in files:
            by_host.setdefault(f.host, []).append(f)
            if not f.is_link and f.key not in inodes:
                st, fresh = objects.ensure(f)
                inodes[f.key] = st.st_ino
                written += fresh
        tree_fd = _open_tree(store_fd) if state != "legacy" else None
        if tree_fd is None:
            written_now = _fresh(tree, objects, plan(None, by_host, inodes, {}, True), manifest, state == "legacy")
        else:
            ops = plan(tree_fd, by_host, inodes, prev_files, listed, intact)
            link_out = state == "absent"
            if not ops and not link_out and current == data:
                return EmitResult(len(files), hosts, 0, 0, 0, True), None
            journal = {"format": JOURNAL_FORMAT, "link_out": link_out, "ops": ops, "manifest": manifest}
            write_atomic(JOURNAL, json.dumps(journal, separators=(",", ":"), default=as_json).encode(), store_fd, sync=True)
            written_now = finish(tree, journal)
    finally:
        if tree_fd is not None:
            os.close(tree_fd)
        objects.close()
    _tidy(tree)
    return EmitResult(len(files), hosts, changed, removed, written, False), written_now


def carried(tree: Locked, manifest: dict | None, rebuilt: set) -> list[OutFile]:
    """The current tree's files (manifest: its manifest) of the hosts not rebuilt, from its objects."""
    out, contents = [], {}
    store = Objects(tree.store_fd)
    try:
        for entry in (manifest or {}).get("files", []):
            hosts = [h for h in hosts_of(entry.hosts) if h not in rebuilt]
            if not hosts:
                continue
            if entry.is_link:
                out += [OutFile(h, entry.path, entry.target.encode(), 0o777, entry.template or "symlink",
                                entry.target) for h in hosts]
                continue
            key = entry.object_key
            if key not in contents:
                contents[key] = store.read(key)
                if contents[key] is None:
                    raise OutputError(f"the current tree lacks the object of {entry.path}",
                                      hint="build every host once without --host")
            out += [OutFile(h, entry.path, contents[key], int(entry.mode, 8), entry.template,
                            digest=entry.sha256) for h in hosts]
    finally:
        store.close()
    return out


def finish(tree: Locked, journal: dict) -> Written:
    """Apply a journal (again: every operation is idempotent), write its manifest and the
    inputs record, then drop it. When the apply fails, undo it and drop the journal when
    that succeeded; raise the failure."""
    store_fd = tree.store_fd
    lock = lock_file(tree.store, "apply.lock", store_fd)
    objects = Objects(store_fd)
    tree_fd = None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)          # readers (reading()) wait for the whole apply
        tree_fd = open_dir(TREE, store_fd, create=True, replace=True)
        applier, done = Applier(tree_fd, objects), []
        try:
            applier.forward(journal["ops"], done)
            data = manifest_bytes(journal["manifest"])
            _write_manifest(tree_fd, data)
        except OSError:
            if not applier.backward(done):
                # a second fault (an object of the previous tree is gone): the tree is neither
                # build's, so nothing vouches for it any more and the next build walks and repairs it
                unlink_at(INPUTS, store_fd)
            unlink_at(JOURNAL, store_fd)    # never a journal that fails again at every command
            raise
        with _after_the_change(tree):
            if journal["link_out"]:
                link_out(tree)
            record = _record(store_fd, data, journal["manifest"])
            unlink_at(JOURNAL, store_fd)
            os.fsync(store_fd)
    finally:
        if tree_fd is not None:
            os.close(tree_fd)
        objects.close()
        os.close(lock)
    return Written(data, journal["manifest"], record)


def _fresh(tree: Locked, objects: Objects, ops: list, manifest: dict, legacy: bool) -> Written:
    """The first build of a store (or the first since hagen kept generations): the whole tree
    made beside, then renamed in place and linked from out. A kill leaves out as it was."""
    store_fd = tree.store_fd
    remove_entry(NEW_TREE, store_fd)
    new_fd = open_dir(NEW_TREE, store_fd, create=True)
    try:
        data = manifest_bytes(manifest)
        Applier(new_fd, objects).fresh(ops)
        _write_manifest(new_fd, data)
    except OSError:
        os.close(new_fd)
        remove_entry(NEW_TREE, store_fd)
        raise
    os.close(new_fd)
    if legacy:
        remove_entry(TREE, store_fd)
    os.rename(NEW_TREE, TREE, src_dir_fd=store_fd, dst_dir_fd=store_fd)
    link_out(tree)
    with _after_the_change(tree):
        record = _record(store_fd, data, manifest)
        if legacy:
            for name in os.listdir(store_fd):
                if LEGACY.match(name) and stat.S_ISDIR(lstat_mode_at(name, store_fd) or 0):
                    remove_entry(name, store_fd)
    return Written(data, manifest, record)


@contextmanager
def _after_the_change(tree: Locked):
    """A failure once the new tree is in place says so: the tree did change."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"{tree.out} holds the new tree, but recording it failed: {exc.strerror or exc}",
                          hint="check free space and permissions, then run `hagen build` again: it will "
                               "find nothing to write and record the tree") from exc


def _adopt(tree: Locked, store_fd: int) -> bool:
    """The generation of an older hagen (out -> .out.d/gen-N) becomes the tree in place: renamed,
    then out pointed at it, so that the first build after the upgrade is incremental too. Killed
    in between, out dangles until the next command points it at the tree (OutputTree._repoint)."""
    gen = os.readlink(tree.out).partition("/")[2]
    if not stat.S_ISDIR(lstat_mode_at(gen, store_fd) or 0):
        return False
    remove_entry(TREE, store_fd)            # a killed conversion's half-made tree
    os.rename(gen, TREE, src_dir_fd=store_fd, dst_dir_fd=store_fd)
    link_out(tree)
    for name in os.listdir(store_fd):        # older generations a killed build of that hagen left
        if LEGACY.match(name) and stat.S_ISDIR(lstat_mode_at(name, store_fd) or 0):
            remove_entry(name, store_fd)
    return True


def _open_tree(store_fd: int) -> int | None:
    """The tree's descriptor; None when there is none (a link in its place is removed)."""
    mode = lstat_mode_at(TREE, store_fd)
    if mode is None:
        return None
    if not stat.S_ISDIR(mode):
        remove_entry(TREE, store_fd)
        return None
    return open_dir(TREE, store_fd)


def _write_manifest(tree_fd: int, data: bytes) -> None:
    fd = open_dir(".hagen", tree_fd, create=True, replace=True)
    try:
        write_atomic("manifest.json", data, fd, 0o600)
    finally:
        os.close(fd)


def _record(store_fd: int, data: bytes, manifest: dict) -> dict:
    """inputs.json for the manifest just written (its fingerprint recorded later: remember_inputs)."""
    record = stat_record(store_fd, data, manifest)
    write_atomic(INPUTS, json.dumps(record).encode() + b"\n", store_fd)
    return record


def stat_record(store_fd: int, data: bytes, manifest: dict) -> dict:
    """The inputs record of a tree whose manifest is data (validated: manifest): its digest,
    and each object's inode, size, mtime and ctime (what hagen.emit.verify.intact compares)."""
    objects, store = {}, Objects(store_fd)
    try:
        for entry in manifest["files"]:
            if not entry.is_link:
                key = entry.object_key
                st = store.stat(key)
                if st is not None:
                    objects[key] = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    finally:
        store.close()
    return {"format": INPUTS_FORMAT, "fingerprint": None, "manifest": hashlib.sha256(data).hexdigest(),
            "objects": objects}


def _out_state(tree: Locked) -> str:
    """absent, ours (a link to the store's tree) or legacy (a link to a generation of an older
    hagen). Anything else is not hagen's: refused, never moved or deleted."""
    out, store = tree.out, tree.store
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return "absent"
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(out)
        if target == f"{store.name}/{TREE}":
            return "ours"
        head, _, gen = target.partition("/")
        if head == store.name and LEGACY.match(gen):
            return "legacy"
    what = "a folder" if stat.S_ISDIR(st.st_mode) else "a link elsewhere" if stat.S_ISLNK(st.st_mode) else "a file"
    raise OutputError(f"{out} exists and is not a hagen output tree ({what} hagen did not make): "
                      "nothing was moved or deleted",
                      hint=f"move it away, or choose another --out: hagen makes {out.name} itself, "
                           f"as a link into {store.name}/")


def link_out(tree: Locked) -> None:
    if _out_state(tree) == "ours":
        return
    link = tree.out.parent / f".{tree.out.name}.link-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    os.symlink(f"{tree.store.name}/{TREE}", link)
    os.replace(link, tree.out)


def _tidy(tree: Locked) -> None:
    """What killed builds left (we hold the lock): half-made trees, temporary links, unused objects."""
    store_fd = tree.store_fd
    remove_entry(NEW_TREE, store_fd)
    for name in (JOURNAL, INPUTS):
        if stat.S_ISREG(lstat_mode_at(f".{name}.tmp", store_fd) or 0):
            unlink_at(f".{name}.tmp", store_fd)
    for stray in tree.out.parent.glob(f".{tree.out.name}.link-*"):
        if stray.is_symlink():
            stray.unlink(missing_ok=True)
    Objects(store_fd).collect()
