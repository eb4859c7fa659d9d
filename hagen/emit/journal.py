"""The journal: the list of changes that takes the tree from one build to the next.

A build compares what it wants with what the tree holds, file by file, and plans only
the differences as operations (JSON lists, so that the journal stays small):

    ["put", host, path, object, old]    hard-link the object at path (via a temporary name + rename)
    ["sym", host, path, target, old]    a symbolic link at path (the same way)
    ["rm",  host, path, old]            remove path, then its folders left empty

`old` is what the previous tree held there (None, ["obj", key] or ["sym", target]), so that
an apply that fails half-way is undone. Each operation is atomic (one rename) and
idempotent: applying a journal again, after a kill at any point, ends in the same tree.

Every folder is opened relative to its parent's descriptor with O_NOFOLLOW; a link or a
file planted where a folder of the tree must be is removed (as an entry) and replaced by
a folder, so that no operation ever writes outside the tree.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat

from hagen.emit.manifest import PLAIN_HOST, ManifestEntry, plain_path, valid_manifest
from hagen.emit.store import DIR_FLAGS, OBJECT_NAME, Objects, open_dir, unlink_at

JOURNAL = "journal.json"
JOURNAL_FORMAT = "hagen-journal/1"


class HostDirs:
    """The folders of one host in a tree, each opened once, never through a link."""

    def __init__(self, tree_fd: int, host: str, create: bool):
        self.tree_fd, self.host, self.create = tree_fd, host, create
        self.fds: dict = {}
        try:
            self.fds[""] = open_dir(host, tree_fd, create=create, replace=create)
        except OSError:
            if create:
                raise

    def parent(self, path: str) -> tuple[int | None, str]:
        """(descriptor of path's folder or None when it is missing and not created, file name)."""
        head, _, name = path.rpartition("/")
        fd = self.fds.get(head)
        if fd is not None or "" not in self.fds:
            return fd, name
        cur, acc = self.fds[""], ""
        for part in head.split("/")[1:]:
            acc += "/" + part
            nxt = self.fds.get(acc)
            if nxt is None:
                try:
                    nxt = self.fds[acc] = open_dir(part, cur, create=self.create, replace=self.create)
                except OSError:
                    if self.create:
                        raise
                    return None, name
            cur = nxt
        return cur, name

    def prune(self, heads: set) -> None:
        """Remove the folders of heads left empty, deepest first, up to the host's folder itself."""
        for head in sorted(heads, key=lambda h: h.count("/"), reverse=True):
            parts = head.split("/")[1:]
            while parts:
                parent = self.fds.get("/".join([""] + parts[:-1]) if len(parts) > 1 else "")
                if parent is None:
                    break
                try:
                    os.rmdir(parts[-1], dir_fd=parent)
                except OSError:
                    break
                parts.pop()
        if "" in self.fds:
            try:
                os.rmdir(self.host, dir_fd=self.tree_fd)
            except OSError:
                pass

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}


def lstat_at(fd: int | None, name: str) -> os.stat_result | None:
    if fd is None:
        return None
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError:
        return None


def plan(tree_fd: int | None, by_host: dict, inodes: dict, previous: dict, listed: bool,
         intact: bool = False) -> list:
    """The operations that make the tree at tree_fd hold by_host ({host: [OutFile]}).
    inodes: {object key: inode}; previous: the previous manifest expanded; listed: whether
    that manifest is the one this store wrote (then it lists every file of the tree;
    otherwise the tree is walked to find the files to remove). intact: the tree was just
    found to hold exactly that manifest (hagen.emit.verify.intact, under this build's lock),
    so that the manifest alone says what is there and nothing is looked at again (an lstat
    of every file was a third of a one-node rebuild at 10,000 nodes)."""
    recorded = intact and listed and tree_fd is not None
    wanted_hosts = set(by_host)
    before: dict = {}                   # host -> paths the tree holds (or held, by its manifest)
    for host, path in (previous if listed else (set() if tree_fd is None else _walk(tree_fd))):
        before.setdefault(host, []).append(path)
    ops: list = []
    for host in sorted(set(before) - wanted_hosts):
        ops += [["rm", host, p, _old(previous.get((host, p)))] for p in sorted(before[host])]
    for host in sorted(wanted_hosts):
        files = by_host[host]
        dirs = HostDirs(tree_fd, host, create=False) if tree_fd is not None and not recorded else None

        def there(path):
            if recorded:
                return _in_manifest(previous.get((host, path)), inodes)
            return _on_disk(dirs, path)

        try:
            wanted = {f.path for f in files}
            for path in sorted(p for p in before.get(host, ()) if p not in wanted):
                found = there(path)
                if found is not None:
                    ops.append(["rm", host, path, _old(previous.get((host, path)), found)])
            for f in files:
                found = there(f.path)
                if f.is_link:
                    if found is None or found[0] != f.link_target:
                        ops.append(["sym", host, f.path, f.link_target, _old(previous.get((host, f.path)), found)])
                elif found is None or found[1] != inodes[f.key]:
                    ops.append(["put", host, f.path, f.key, _old(previous.get((host, f.path)), found)])
        finally:
            if dirs:
                dirs.close()
    return ops


def _on_disk(dirs: HostDirs | None, path: str) -> tuple | None:
    """What the tree holds at path, looked at: None (nothing), else (a link's target or None,
    a regular file's inode or None)."""
    fd, name = dirs.parent(path) if dirs else (None, "")
    st = lstat_at(fd, name)
    if st is None:
        return None
    return _readlink(fd, name, st), (st.st_ino if stat.S_ISREG(st.st_mode) else None)


def _in_manifest(entry: ManifestEntry | None, inodes: dict) -> tuple | None:
    """_on_disk() of an intact tree, from its manifest entry: a file there is a hard link to
    its object, so its inode is the object's (None for an object the build does not use)."""
    if entry is None:
        return None
    if entry.is_link:
        return entry.target, None
    return None, inodes.get(entry.object_key)


def _readlink(fd, name, st) -> str | None:
    if st is None or not stat.S_ISLNK(st.st_mode):
        return None
    try:
        return os.readlink(name, dir_fd=fd)
    except OSError:
        return None


def _old(entry: ManifestEntry | None, found: tuple | None = (None, None)):
    """What to restore if the apply is undone: nothing when nothing was found there, the link
    found, else the previous manifest's object. found: _on_disk()'s (a host's whole folder
    that goes is not looked at: its manifest says)."""
    if found is None:
        return None
    if found[0] is not None:
        return ["sym", found[0]]
    if entry is None:
        return None
    return ["sym", entry.target] if entry.is_link else ["obj", entry.object_key]


def _walk(tree_fd: int) -> set:
    """Every (host, path) of a tree that is not a folder, found without following links."""
    found = set()
    for host in os.listdir(tree_fd):
        if not PLAIN_HOST.match(host):
            continue
        try:
            host_fd = os.open(host, DIR_FLAGS, dir_fd=tree_fd)
        except OSError:
            found.add((host, None))
            continue
        try:
            for top, dirs, names, _ in os.fwalk(".", dir_fd=host_fd):
                base = top[1:]
                found.update((host, f"{base}/{n}") for n in names)
                found.update((host, f"{base}/{d}") for d in dirs if stat.S_ISLNK(
                    os.stat(f"{top}/{d}", dir_fd=host_fd, follow_symlinks=False).st_mode))
        finally:
            os.close(host_fd)
    return {(h, p) for h, p in found if p is not None}


class Applier:
    """Applies operations to the tree at tree_fd, host by host."""

    def __init__(self, tree_fd: int, objects: Objects):
        self.tree_fd, self.objects = tree_fd, objects
        self.inodes: dict = {}

    def forward(self, ops: list, done: list | None = None) -> None:
        """Apply ops in order; done collects those applied (for undo) when given."""
        for host, group in _by_host(ops):
            dirs = HostDirs(self.tree_fd, host, create=True)
            removed = set()
            try:
                for op in group:
                    if done is not None:
                        done.append(op)
                    if op[0] == "rm":
                        self._remove(dirs, op[2])
                        removed.add(op[2].rpartition("/")[0])
                    elif op[0] == "put":
                        self._put(dirs, op[2], op[3])
                    else:
                        self._link(dirs, op[2], op[3])
                if removed:
                    dirs.prune({h for h in removed if h})
            finally:
                dirs.close()

    def fresh(self, ops: list) -> None:
        """Apply ops to a tree made from nothing: tree.new, a folder this build has just made
        in the store, which is 0700 (no one else reaches into it), so that a name of several
        components relative to its descriptor meets only folders this loop made. Each folder
        is made once and each file linked at its name at once: no temporary name and no
        descriptor per folder. One thread, in host order: measured against four threads
        each on their own hosts, as fast on a busy disk and three times faster on an idle one."""
        made = {""}
        tree_fd, sub = self.tree_fd, self.objects.sub
        mkdir, link, symlink = os.mkdir, os.link, os.symlink
        for op in ops:
            if op[0] == "rm":            # nothing to remove from a new tree
                continue
            name = op[1] + op[2]         # a plain host and a normalised absolute path: host/etc/hosts
            head = name.rpartition("/")[0]
            if head not in made:
                missing = []
                while head not in made:
                    missing.append(head)
                    head = head.rpartition("/")[0]
                for folder in reversed(missing):
                    mkdir(folder, 0o755, dir_fd=tree_fd)
                    made.add(folder)
            if op[0] == "put":
                link(op[3], name, src_dir_fd=sub(op[3]), dst_dir_fd=tree_fd, follow_symlinks=False)
            else:
                symlink(op[3], name, dir_fd=tree_fd)

    def backward(self, done: list) -> bool:
        """Undo applied ops, last first, as far as the previous objects allow. True when all were."""
        whole = True
        for host, group in _by_host(list(reversed(done))):
            dirs = HostDirs(self.tree_fd, host, create=True)
            made = set()
            try:
                for op in group:
                    old = op[-1]
                    try:
                        if old is None:
                            if op[0] != "rm":
                                self._remove(dirs, op[2])
                                made.add(op[2].rpartition("/")[0])
                        elif old[0] == "obj":
                            if self.objects.stat(old[1]) is None:
                                whole = False
                            else:
                                self._put(dirs, op[2], old[1])
                        else:
                            self._link(dirs, op[2], old[1])
                    except OSError:
                        whole = False
                if made:
                    dirs.prune({h for h in made if h})
            finally:
                dirs.close()
        return whole

    def _inode(self, key: str) -> int:
        ino = self.inodes.get(key)
        if ino is None:
            st = self.objects.stat(key)
            if st is None:
                raise FileNotFoundError(errno.ENOENT, "an object of the build is missing", key)
            ino = self.inodes[key] = st.st_ino
        return ino

    def _put(self, dirs: HostDirs, path: str, key: str) -> None:
        fd, name = dirs.parent(path)
        st = lstat_at(fd, name)
        if st is not None and stat.S_ISREG(st.st_mode) and st.st_ino == self._inode(key):
            return                       # already there (a journal applied again)
        tmp = f".{name}.hagen-tmp"
        try:
            os.link(key, tmp, src_dir_fd=self.objects.sub(key), dst_dir_fd=fd, follow_symlinks=False)
        except FileExistsError:          # a killed apply's: this one makes it again
            unlink_at(tmp, fd)
            os.link(key, tmp, src_dir_fd=self.objects.sub(key), dst_dir_fd=fd, follow_symlinks=False)
        _rename(tmp, name, fd)

    def _link(self, dirs: HostDirs, path: str, target: str) -> None:
        fd, name = dirs.parent(path)
        st = lstat_at(fd, name)
        if _readlink(fd, name, st) == target:
            return
        tmp = f".{name}.hagen-tmp"
        try:
            os.symlink(target, tmp, dir_fd=fd)
        except FileExistsError:
            unlink_at(tmp, fd)
            os.symlink(target, tmp, dir_fd=fd)
        _rename(tmp, name, fd)

    def _remove(self, dirs: HostDirs, path: str) -> None:
        fd, name = dirs.parent(path)
        unlink_at(f".{name}.hagen-tmp", fd)
        try:
            os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            pass
        except (IsADirectoryError, PermissionError):
            shutil.rmtree(name, dir_fd=fd)


def _rename(tmp: str, name: str, fd: int) -> None:
    try:
        os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
    except OSError as exc:
        if exc.errno not in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
            raise
        shutil.rmtree(name, dir_fd=fd)       # a folder where a file goes: the tree is ours
        os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)


def _by_host(ops: list):
    group: list = []
    for op in ops:
        if group and group[-1][1] != op[1]:
            yield group[0][1], group
            group = []
        group.append(op)
    if group:
        yield group[0][1], group


def valid_journal(doc) -> dict | None:
    """doc when it is a journal this hagen writes (every operation well formed), else None."""
    manifest = valid_manifest(doc.get("manifest")) if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("format") != JOURNAL_FORMAT or not isinstance(doc.get("ops"), list) \
            or not isinstance(doc.get("link_out"), bool) or manifest is None:
        return None
    for op in doc["ops"]:
        if not (isinstance(op, list) and len(op) in (4, 5) and isinstance(op[1], str) and PLAIN_HOST.match(op[1])
                and plain_path(op[2]) and _valid_old(op[-1])):
            return None
        if not ((op[0] == "rm" and len(op) == 4) or (op[0] == "put" and len(op) == 5 and _object_name(op[3]))
                or (op[0] == "sym" and len(op) == 5 and _target(op[3]))):
            return None
    return {**doc, "manifest": manifest}


def _valid_old(old) -> bool:
    return old is None or (isinstance(old, list) and len(old) == 2 and (
        (old[0] == "obj" and _object_name(old[1])) or (old[0] == "sym" and _target(old[1]))))


def _object_name(key) -> bool:
    return isinstance(key, str) and bool(OBJECT_NAME.match(key))


def _target(target) -> bool:
    return isinstance(target, str) and target != "" and target.isprintable()
