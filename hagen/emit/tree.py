"""OutputTree: the store of one `--out`, its locks, its build (commit) and what readers ask of it."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import time
from contextlib import contextmanager
from pathlib import Path

from hagen.emit.commit import (INPUTS, LEGACY, TREE, Locked, Written, carried, commit, finish, link_out,
                               stat_record)
from hagen.emit.confine import confined
from hagen.emit.journal import JOURNAL, HostDirs, valid_journal
from hagen.emit.manifest import RESERVED, EmitResult, OutFile, manifest_of, valid_manifest
from hagen.emit.store import (DIR_FLAGS, READ_ONLY, Objects, lock_file, loads, lstat_mode, lstat_mode_at, read_json,
                              read_pid, read_regular, remove_entry, unlink_at, write_atomic, write_hint)
from hagen.emit.verify import recorded_warnings, valid_record
from hagen.base.errors import OutputError

__all__ = ["INPUTS", "TREE", "Busy", "EmitResult", "OutputTree"]


class Busy(OutputError):
    """Another build (or push) holds the store's lock."""


class OutputTree:
    def __init__(self, out: str | Path):
        self.out = Path(out)
        if self.out.name in ("", ".", ".."):
            self.out = Path(os.path.abspath(self.out))
        self.store = self.out.parent / f".{self.out.name}.d"
        self._fd: int | None = None            # the store's descriptor while the lock is held
        self._record: dict | None = None
        self._settled = False
        self._checked: tuple | None = None     # (manifest bytes, their validation)

    def _settle(self) -> None:
        """Once per OutputTree, before its first read: finish a journal a killed build left, so
        that every command reads the old tree or the new one (a build holding the lock finishes
        it itself). Readers that also want no build to apply meanwhile use reading()."""
        if self._settled or self._fd is not None:
            return
        self._settled = True
        dangling = self.out.is_symlink() and not self.out.exists()
        if (lstat_mode(self.store / JOURNAL) or dangling) and stat.S_ISDIR(lstat_mode(self.store)):
            try:
                with self.lock():
                    pass
            except OutputError:
                pass

    # ---------------------------------------------------------------- reading
    def current(self) -> Path | None:
        """The directory out points at now (None: no tree yet)."""
        self._settle()
        if self.out.is_symlink():
            if os.readlink(self.out) == f"{self.store.name}/{TREE}":
                tree = self.store / TREE
                return tree if stat.S_ISDIR(lstat_mode(tree)) and stat.S_ISDIR(lstat_mode(self.store)) else None
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
            tree_fd = os.open(cur, DIR_FLAGS)
        except OSError as exc:
            raise OutputError(f"cannot read {self.out}: {exc.strerror}")
        dirs = HostDirs(tree_fd, host, create=False)     # no link followed, in the tree or below
        try:
            fd, name = dirs.parent(path)
            return None if fd is None else read_regular(name, fd)
        finally:
            dirs.close()
            os.close(tree_fd)

    def _manifest_data(self) -> bytes | None:
        cur = self.current()
        if cur is None:
            return None
        try:
            fd = os.open(cur / ".hagen", DIR_FLAGS)
        except OSError:
            return None
        try:
            return read_regular("manifest.json", fd)
        finally:
            os.close(fd)

    def manifest(self) -> dict | None:
        """The current tree's manifest, validated (hagen.emit.manifest); None when absent or not valid."""
        data = self._manifest_data()
        if data is None:
            return None
        if self._checked is not None and self._checked[0] == data:
            return self._checked[1]          # validated already (the checks cost at scale)
        manifest = valid_manifest(loads(data))
        self._checked = (data, manifest)
        return manifest

    @contextmanager
    def reading(self):
        """Hold while reading the tree: no build applies its changes meanwhile, and a journal
        left by a killed build is finished first, so that what is read is one build's tree, whole."""
        self._settle()                     # a killed conversion, a dangling out: mended first
        deadline = time.monotonic() + 120
        while True:
            fd, pending = self._shared_apply_lock()
            if not pending:
                break
            os.close(fd)
            try:
                with self.lock():          # finishes the journal (or the build holding the lock does)
                    pass
            except Busy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            yield self
        finally:
            if fd is not None:
                os.close(fd)

    def _shared_apply_lock(self) -> tuple[int | None, bool]:
        """(the apply lock held shared, or None when there is no store; whether a journal is pending)."""
        try:
            store_fd = os.open(self.store, DIR_FLAGS)
        except OSError:
            return None, False             # no store: a gathered tree, or nothing built yet
        try:
            try:
                fd = os.open("apply.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                             dir_fd=store_fd)
            except OSError as exc:         # a read-only store: a shared flock needs no write access
                if exc.errno not in READ_ONLY:
                    raise
                fd = os.open("apply.lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=store_fd)
            fcntl.flock(fd, fcntl.LOCK_SH)
            return fd, lstat_mode_at(JOURNAL, store_fd) is not None
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None, False
            raise OutputError(f"cannot use {self.store}/apply.lock: {exc.strerror}",
                              hint="it must be a regular file (hagen follows no link in its store): remove it")
        finally:
            os.close(store_fd)

    # ---------------------------------------------------------------- inputs of the current tree
    def _inputs_record(self) -> dict | None:
        """inputs.json when valid and written for the manifest the tree holds now."""
        try:
            store_fd = os.open(self.store, DIR_FLAGS)
        except OSError:
            return None
        try:
            record = read_json(INPUTS, store_fd)
        finally:
            os.close(store_fd)
        if not valid_record(record) or not self.out.is_symlink():
            return None
        data = self._manifest_data()
        if data is None or hashlib.sha256(data).hexdigest() != record["manifest"]:
            return None
        return record

    def built_from(self) -> str | None:
        """The input fingerprint the current tree was built from (see hagen.compile.pipeline)."""
        return (self._inputs_record() or {}).get("fingerprint")

    def remembered_warnings(self) -> list | None:
        """The warnings recorded with the current tree's inputs; None: none, or not valid."""
        return recorded_warnings((self._inputs_record() or {}).get("warnings"))

    def remember_inputs(self, fingerprint: str | None, warnings=None) -> None:
        """Record the inputs the current tree was built from, with its manifest's digest, each
        object's inode, size, mtime and ctime (what intact() compares) and the warnings those
        inputs gave (a no-op says them; None: keep the recorded ones). Call with the lock held."""
        with self._store() as store_fd:
            record = self._record
            if record is None:
                data, manifest = self._manifest_data(), self.manifest()
                record = stat_record(store_fd, data, manifest) if data is not None and manifest is not None else None
            if record is None:
                unlink_at(INPUTS, store_fd)
                return
            record = dict(record, fingerprint=fingerprint)
            record.update(warnings=[w.to_json() for w in warnings]) if warnings is not None else None
            write_atomic(INPUTS, json.dumps(record).encode() + b"\n", store_fd)
            self._record = record

    def intact(self) -> bool:
        """Every file of the manifest is still the object it was linked to (or the link it was),
        and no object changed since it was recorded (an edit in place changes its mtime)."""
        from hagen.emit.verify import intact

        return intact(self)

    def verified_source(self, host: str, path: str, sha256: str) -> Path:
        """A path to host's file at path whose bytes were just checked: reached without following
        any link, a regular file, its sha256 the one given. Else OutputError."""
        from hagen.emit.verify import verified_source

        return verified_source(self, host, path, sha256)

    # ---------------------------------------------------------------- locking
    @contextmanager
    def lock(self, command: str = "build"):
        """One build (or push, gather) at a time on this store. Taking it finishes a journal a
        killed build left. The lock file names the holder's pid and command, for the next one's message."""
        store_fd = self._open_store()
        try:
            fd = lock_file(self.store, "lock", store_fd)
        except BaseException:
            os.close(store_fd)
            raise
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    pid, _, holder = read_pid(fd).partition(" ")
                    holder = holder if holder in ("build", "push", "gather") else "build"
                    raise Busy(f"another hagen {holder} is writing {self.out}"
                                      + (f" (pid {pid})" if pid.isdigit() else ""),
                                      hint=f"wait for it to finish (`hagen {holder}`, pid {pid or '?'}), or "
                                           "build into another --out")
                raise
            os.ftruncate(fd, 0)
            from hagen.base.writes import write_all

            write_all(fd, f"{os.getpid()} {command}".encode())
            os.close(lock_file(self.store, "apply.lock", store_fd))      # there for readers from now on
            self._fd, self._record = store_fd, None
            self._recover()
            self._repoint()
            yield
        finally:
            self._fd = None
            os.close(fd)
            os.close(store_fd)

    def _open_store(self) -> int:
        """The store's descriptor: made 0700 when missing; refused when it is a link, not a folder,
        or another user's."""
        if self.out.name in ("", ".", ".."):
            raise OutputError(f"cannot build into {self.out}: it is not a folder hagen can replace by a link",
                              hint="choose an --out naming a new folder, e.g. --out /srv/hagen/out")
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.mkdir(self.store, 0o700)
            except FileExistsError:
                pass
            fd = os.open(self.store, DIR_FLAGS)
        except OSError as exc:
            why = "it is a symbolic link (hagen follows no link in its store)" if self.store.is_symlink() \
                else exc.strerror
            raise OutputError(f"cannot use the output store {self.store}: {why}",
                              hint="choose an --out in a folder you can write, or remove what stands in the "
                                   "store's place")
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            os.close(fd)
            raise OutputError(f"the output store {self.store} belongs to another user (uid {st.st_uid})",
                              hint="choose another --out: hagen uses only a store it made")
        if stat.S_IMODE(st.st_mode) != 0o700:
            try:
                os.fchmod(fd, 0o700)    # the manifest names the sha256 of secret files: owner only
            except OSError as exc:      # a read-only store: readers go on, the lock says what cannot
                if exc.errno not in READ_ONLY:
                    raise
        return fd

    @contextmanager
    def _store(self):
        if self._fd is not None:
            yield self._fd
            return
        fd = self._open_store()
        try:
            yield fd
        finally:
            os.close(fd)

    # ---------------------------------------------------------------- writing
    def commit(self, files: list[OutFile], keep_others: bool = False, extra: dict | None = None,
               intact: bool = False) -> EmitResult:
        """Make files the new content of out. Call with the lock held.

        keep_others: files is a build limited to some hosts (--host); every other host
        keeps what the current tree gives it. extra: top-level keys added to the manifest.
        intact: intact() said True since the lock was taken: the changes are planned from
        the manifest, without looking at every file again."""
        if self._fd is None:
            raise OutputError(f"internal: {self.out} written without its lock")
        if extra is not None and (not isinstance(extra, dict) or set(extra) & set(RESERVED)
                                  or not all(isinstance(k, str) for k in extra)):
            raise OutputError("internal: the manifest's extra keys must be a dict of new string keys")
        if keep_others:
            files = files + self.carried({f.host for f in files})
        outside = confined(files)
        if outside:
            raise OutputError("planned files cannot be written where they are planned, inside their host's "
                              "folder: nothing was written",
                              reports=outside)
        manifest = manifest_of(files)
        manifest.update(extra or {})
        try:
            result, written = commit(self._locked(), files, manifest, self._manifest_data(), self.manifest(), intact)
            self._wrote(written)
            return result
        except OSError as exc:
            raise OutputError(f"cannot write the output tree {self.out}: {exc.strerror or exc}",
                              hint=write_hint(exc))

    def carried(self, rebuilt: set) -> list[OutFile]:
        """The current tree's files of the hosts not in rebuilt, read from its objects. Call with the lock held."""
        if self._fd is None:
            raise OutputError(f"internal: {self.out} read for a commit without its lock")
        return carried(self._locked(), self.manifest(), rebuilt)

    def _repoint(self) -> None:
        """out still naming the generation a killed conversion renamed into the tree: point it there."""
        try:
            head, _, gen = os.readlink(self.out).partition("/")
        except OSError:
            return
        if head == self.store.name and LEGACY.match(gen) and lstat_mode_at(gen, self._fd) is None \
                and stat.S_ISDIR(lstat_mode_at(TREE, self._fd) or 0):
            link_out(self._locked())

    def _locked(self) -> Locked:
        return Locked(self.out, self.store, self._fd)

    def _wrote(self, written: Written | None) -> None:
        """What a commit (or a journal finished) left: the manifest (valid, made or validated by
        hagen) and the inputs record, known without reading them back."""
        if written is not None:
            self._checked = (written.data, written.manifest)
            self._record = written.record

    def _recover(self) -> None:
        """Finish a journal a killed build left (forward; back when forward fails)."""
        data = read_regular(JOURNAL, self._fd)
        if data is None:
            mode = lstat_mode_at(JOURNAL, self._fd)
            if mode is not None:             # a link or a folder where the journal goes: not ours
                remove_entry(JOURNAL, self._fd)
                unlink_at(INPUTS, self._fd)  # the tree is then verified by the next build, not trusted
            return
        journal = valid_journal(loads(data))
        if journal is None:
            unlink_at(JOURNAL, self._fd)
            unlink_at(INPUTS, self._fd)
            return
        try:
            self._wrote(finish(self._locked(), journal))
            Objects(self._fd).collect()          # the previous tree's objects no file uses now
        except OSError as exc:
            if lstat_mode_at(JOURNAL, self._fd) is None:
                return                           # undone and dropped: the tree is the previous one
            raise OutputError(f"cannot finish the changes a killed build left in {self.out}: "
                              f"{exc.strerror or exc}", hint="check free space and permissions, then run "
                              "`hagen build` again")
