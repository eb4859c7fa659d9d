"""The store's files, opened without following links, and the object store.

Nothing under `.<out>.d/` is trusted between runs (docs/security.md): another user or a
careless hand may have put a symbolic link, a hard link, a FIFO or a folder where hagen
keeps a file. So every file and folder of the store is opened relative to a folder
descriptor with O_NOFOLLOW, checked with fstat, and replaced only by rename (which
replaces a planted link itself, never what it points to). Nothing is ever truncated or
written in place except the lock, and the lock is refused unless it is a regular file
with one link.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path

from hagen.emit.manifest import OutFile
from hagen.base.errors import OutputError
from hagen.base.writes import write_all

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK     # O_NONBLOCK: a FIFO never hangs
OBJECT_NAME = re.compile(r"[0-9a-f]{64}-[0-7]{4}\Z")
MAX_RECORD = 1 << 30           # a manifest or journal larger than this is not one hagen wrote


def open_dir(name, dir_fd=None, create: bool = False, replace: bool = False) -> int:
    """A folder's descriptor, never through a link. create: make it when missing; replace: when a
    link or a file stands in its place, remove that entry (only the entry) and make the folder."""
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        if not create:
            raise
    except OSError as exc:
        if not replace or exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        os.unlink(name, dir_fd=dir_fd)
    try:
        os.mkdir(name, 0o755, dir_fd=dir_fd)
    except FileExistsError:
        pass
    return os.open(name, DIR_FLAGS, dir_fd=dir_fd)


def read_regular(name, dir_fd=None, limit: int = MAX_RECORD) -> bytes | None:
    """The bytes of a regular file opened without following a link; None when it is missing,
    a link, or anything but a regular file of at most limit bytes."""
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        return _read_all(fd, st.st_size)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_json(name, dir_fd=None):
    data = read_regular(name, dir_fd)
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def write_atomic(name: str, data: bytes, dir_fd: int, mode: int = 0o600, sync: bool = False) -> None:
    """Write a file by a new temporary file (O_EXCL|O_NOFOLLOW) renamed over name: a planted link
    at name or at the temporary name is replaced, never written through."""
    tmp = f".{name}.tmp"
    unlink_at(tmp, dir_fd)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    try:
        write_all(fd, data)
        os.fchmod(fd, mode)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    if sync:
        os.fsync(dir_fd)


def _read_all(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Objects:
    """`.<out>.d/objects/ab/<sha256>-<mode>`: each distinct content and mode once, read-only
    for everyone but its owner's mode bits. Host files are hard links to these."""

    def __init__(self, store_fd: int, recorded: dict | None = None):
        self.store_fd = store_fd
        self.recorded = recorded or {}      # key -> [ino, size, mtime_ns] when the last build ended
        self._root: int | None = None
        self._subs: dict = {}

    def close(self) -> None:
        for fd in self._subs.values():
            os.close(fd)
        if self._root is not None:
            os.close(self._root)
        self._subs, self._root = {}, None

    def sub(self, key: str, create: bool = True) -> int | None:
        """The descriptor of the folder holding key (made, or repaired, when create)."""
        prefix = key[:2]
        fd = self._subs.get(prefix)
        if fd is not None:
            return fd
        try:
            if self._root is None:
                self._root = open_dir("objects", self.store_fd, create=create, replace=create)
            fd = self._subs[prefix] = open_dir(prefix, self._root, create=create, replace=create)
        except OSError:
            if create:
                raise
            return None
        return fd

    def stat(self, key: str) -> os.stat_result | None:
        """The object's lstat when it is a regular file, else None."""
        fd = self.sub(key, create=False)
        if fd is None:
            return None
        try:
            st = os.stat(key, dir_fd=fd, follow_symlinks=False)
        except OSError:
            return None
        return st if stat.S_ISREG(st.st_mode) else None

    def read(self, key: str) -> bytes | None:
        """The object's bytes if they still hash to its name, else None."""
        fd = self.sub(key, create=False)
        data = None if fd is None else read_regular(key, fd)
        if data is None or hashlib.sha256(data).hexdigest() != key[:64]:
            return None
        return data

    def ensure(self, f: OutFile) -> tuple[os.stat_result, bool]:
        """The object of f's content and mode, written when missing or not what its name says
        (an edit in place, a planted link): (its stat, whether it was written)."""
        key = f.key
        fd = self.sub(key)
        st = self._good(key, fd, f)
        if st is not None:
            return st, False
        tmp = f".{key}.tmp{os.getpid()}"
        unlink_at(tmp, fd)
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=fd)
        try:
            write_all(out, f.data)
            os.fchmod(out, f.mode)
        finally:
            os.close(out)
        # rename replaces the entry: an object edited in place keeps its old inode for the tree
        # that still links it, and the new tree gets a new one
        os.replace(tmp, key, src_dir_fd=fd, dst_dir_fd=fd)
        return os.stat(key, dir_fd=fd, follow_symlinks=False), True

    def _good(self, key: str, fd: int, f: OutFile) -> os.stat_result | None:
        try:
            obj = os.open(key, READ_FLAGS, dir_fd=fd)
        except OSError:
            return None
        try:
            st = os.fstat(obj)
            if not stat.S_ISREG(st.st_mode) or st.st_size != len(f.data) or stat.S_IMODE(st.st_mode) != f.mode:
                return None
            if self.recorded.get(key) == [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]:
                return st          # as the last build left it: any change since moves the ctime, which no one can set
            if hashlib.sha256(_read_all(obj, st.st_size)).hexdigest() != f.sha256:
                return None
            return st
        except OSError:
            return None
        finally:
            os.close(obj)

    def collect(self) -> int:
        """Remove the objects no host file links to any more, and temporary files of killed
        builds. Only regular files named as hagen names them; a link found here is removed as
        an entry (its target is never touched); folders and other names are left alone."""
        removed = 0
        try:
            root = open_dir("objects", self.store_fd)
        except OSError:
            return 0
        try:
            for prefix in os.listdir(root):
                try:
                    fd = open_dir(prefix, root)
                except OSError as exc:
                    if exc.errno == errno.ELOOP:
                        os.unlink(prefix, dir_fd=root)
                    continue
                try:
                    for name in os.listdir(fd):
                        removed += _collect_one(name, fd)
                finally:
                    os.close(fd)
        finally:
            os.close(root)
        return removed


def _collect_one(name: str, fd: int) -> int:
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError:
        return 0
    if stat.S_ISLNK(st.st_mode):
        os.unlink(name, dir_fd=fd)
        return 1
    if not stat.S_ISREG(st.st_mode):
        return 0
    ours = OBJECT_NAME.match(name) and st.st_nlink <= 1
    temporary = name.startswith(".") and OBJECT_NAME.match(name[1:].split(".tmp")[0] or "-")
    if ours or temporary:
        unlink_at(name, fd)
        return 1
    return 0


def write_hint(exc: OSError) -> str:
    """What to do when writing the tree failed with exc (the previous tree is then whole)."""
    if exc.errno == errno.EMLINK:
        # every host's copy of a file is a hard link to its one object: /etc/hosts has one per host
        return ("a file is the same on more hosts than this file system allows hard links to one file "
                "(ext4: 65,000): put --out on a file system without that limit, such as XFS; "
                "the previous tree is untouched")
    return "check free space and permissions; the previous tree is untouched"


class ReadOnlyStore(OutputError):
    """The store cannot be written (a read-only file system or mount, or no write permission):
    what only reads it works (diff, explain, render, a no-op build); what must write fails with this."""


# the errors that say "this store cannot be written", as opposed to "something is wrong in it"
READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def read_only_store(store: Path, why: str) -> ReadOnlyStore:
    return ReadOnlyStore(f"cannot write the output store {store}: {why}",
                         hint="this command writes the store (a build that changes the tree, push, gather): run it "
                              "where the store is writable; diff, explain, render and a no-op build only read it")


def lock_file(store: Path, name: str, store_fd: int) -> int:
    try:
        fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=store_fd)
    except OSError as exc:
        if exc.errno in READ_ONLY:
            raise read_only_store(store, exc.strerror)
        why = "it is a symbolic link (hagen follows no link in its store)" if exc.errno == errno.ELOOP \
            else exc.strerror
        raise OutputError(f"cannot use the lock {store}/{name}: {why}",
                          hint="remove it: hagen makes it again")
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        raise OutputError(f"cannot use the lock {store}/{name}: it is not a regular file of its own "
                          "(a hard link, a FIFO or a device)", hint="remove it: hagen makes it again")
    return fd


def loads(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return None


def lstat_mode(path) -> int:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0


def lstat_mode_at(name: str, fd: int) -> int | None:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
    except OSError:
        return None


def unlink_at(name: str, fd: int) -> None:
    try:
        os.unlink(name, dir_fd=fd)
    except FileNotFoundError:
        pass


def remove_entry(name: str, fd: int) -> None:
    try:
        os.unlink(name, dir_fd=fd)
    except IsADirectoryError:
        shutil.rmtree(name, dir_fd=fd)
    except FileNotFoundError:
        pass


def read_pid(fd) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 32).decode().strip()
    except OSError:
        return ""
