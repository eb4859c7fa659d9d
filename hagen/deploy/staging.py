"""What a push sends, staged: every source file read from the output tree without following
a link, checked against its manifest sha256 and mode (HA944), and copied to a private
folder, so that what the fan-out tool sends is those verified bytes whatever happens to
the tree meanwhile. Each content is read, staged and (for cluster.conf) its
config_version parsed once, however many hosts it goes to."""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import stat
import tempfile
from pathlib import Path

from hagen.base.errors import OutputError
from hagen.base.reports import Where, error
from hagen.deploy.plan import Plan
from hagen.deploy.state import config_version
from hagen.emit.manifest import ManifestEntry


class Sources:
    """The verified bytes of every file a plan sends, staged in a private folder."""

    def __init__(self, tree, plan: Plan):
        self.tree = tree
        self.dir = Path(tempfile.mkdtemp(prefix="hagen-push-"))
        self.staged: dict = {}         # (path, sha256, mode) -> (shown path, staged path, data)
        self.versions: dict = {}       # (path, sha256, mode) -> config_version: read once per content, not per host
        self.count = 0
        try:
            for host, path, entry in plan.send:
                if not entry.is_link:
                    self._stage(host, path, entry)
        except BaseException:
            self.close()
            raise

    def _stage(self, host: str, path: str, entry: ManifestEntry) -> None:
        key = (path, entry.sha256, entry.mode)
        if key in self.staged:
            return
        cur = self.tree.current()
        shown = f"{self.tree.out}/{host}{path}"
        data, why = None, "its content or mode is not what the manifest says"
        try:
            fd = os.open(f"{cur}/{host}{path}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                st = os.fstat(fd)
                if stat.S_ISREG(st.st_mode) and f"{stat.S_IMODE(st.st_mode):04o}" == entry.mode:
                    data = os.read(fd, st.st_size + 1)
            finally:
                os.close(fd)
        except OSError as exc:
            why = exc.strerror or str(exc)
        if data is None or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise OutputError(f"{shown} cannot be sent: nothing was sent",
                              reports=[error("HA944", Where(host=host), f"{path}: {why}",
                                             "the output tree was altered after the build: run `hagen build`")])
        self.staged[key] = (shown, self.stage_bytes(path, data, int(entry.mode, 8)), data)

    def stage_bytes(self, path: str, data: bytes, mode: int) -> str:
        """A private copy of data to send, written whole (O_EXCL, never through a link) and
        checked against its sha256 (hagen.base.writes): a short write fails the push before
        anything is sent. Not synced: it lives only as long as this push."""
        from hagen.base.writes import write_all, verify

        staged = self.dir / f"{self.count}-{posixpath.basename(path)}"
        self.count += 1
        try:
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                os.fchmod(fd, mode)
                write_all(fd, data)
            finally:
                os.close(fd)
            verify(staged, hashlib.sha256(data).hexdigest())
        except OSError as exc:
            raise OutputError(f"cannot stage {path} for sending: {exc.strerror or exc}: nothing was sent",
                              hint="check free space and the file size limit (ulimit -f) of the staging folder "
                                   f"{self.dir.parent}")
        return str(staged)

    def data(self, path: str, entry: ManifestEntry) -> bytes:
        return self.staged[(path, entry.sha256, entry.mode)][2]

    def version(self, path: str, entry: ManifestEntry) -> int | None:
        """The config_version of the file sent (None: not a versioned file)."""
        key = (path, entry.sha256, entry.mode)
        if key not in self.versions:
            self.versions[key] = config_version(path, self.staged[key][2])
        return self.versions[key]

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
