"""Every file hagen writes outside its object store goes through here: complete, or the command fails.

`os.write` may write less than it was given (a file-size limit, a full disk, a signal):
one call whose return is ignored once sent a truncated /etc/hosts to 14 nodes. So:

    write_all(fd, data)        loops until every byte is written; raises OSError otherwise
    write_file(path, data, mode)
                               a new file (O_EXCL | O_NOFOLLOW) next to path, written whole,
                               mode set with fchmod (never the umask's), fsynced, read back and
                               compared by sha256, then renamed over path: a link planted at
                               path is replaced, never written through
    verify(path, sha256)       the file at path (opened without following a link) holds
                               exactly the bytes of that sha256

Callers turn OSError into their own report (exit 3): a short write is never success.
"""

from __future__ import annotations

import hashlib
import os
import stat

READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class Incomplete(OSError):
    """What was written is not what was meant (a short write, a file changed under us)."""


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:          # POSIX says a regular file never does this; a device might
            raise Incomplete(f"wrote {len(data) - len(view)} of {len(data)} bytes")
        view = view[written:]


def sha256_of(path, dir_fd: int | None = None, limit: int | None = None) -> str | None:
    """The sha256 of the regular file at path, read in chunks without following a link; None
    when it is not a regular file (or larger than limit)."""
    try:
        fd = os.open(path, READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (limit is not None and st.st_size > limit):
            return None
        digest = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
        return digest.hexdigest()
    finally:
        os.close(fd)


def verify(path, sha256: str, dir_fd: int | None = None) -> None:
    """Raise Incomplete unless the file at path holds exactly the bytes of sha256."""
    found = sha256_of(path, dir_fd)
    if found != sha256:
        raise Incomplete(f"{path} does not hold what was written (sha256 {found or 'unreadable'}, "
                         f"expected {sha256})")


def write_file(path, data: bytes, mode: int = 0o644, dir_fd: int | None = None, name: str | None = None) -> None:
    """Write data to path atomically, whole and verified (see the module's docstring). With
    dir_fd, path is a name in that folder. name: the temporary file's stem (default path's)."""
    target = os.fspath(path)
    folder = None if dir_fd is not None else os.path.dirname(target)
    tmp_name = f".{name or os.path.basename(target)}.tmp{os.getpid()}"
    tmp = tmp_name if dir_fd is not None else os.path.join(folder or ".", tmp_name)
    try:
        os.unlink(tmp, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
    try:
        try:
            os.fchmod(fd, mode)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        verify(tmp, hashlib.sha256(data).hexdigest(), dir_fd)
        os.replace(tmp, target, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise
