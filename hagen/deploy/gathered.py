"""A tree laid out like out/ that hagen reads but does not trust: `diff --against DIR`.

DIR may be files gathered from the nodes, a copy an administrator edited, or an output
tree. Whatever it holds, reading it never hangs, never follows a link below a host
folder, and never reads more than MAX_FILE bytes: a FIFO, a device, a folder where a
file is expected, a file that cannot be read, or a link on the way to a file is refused
(HA132) with every such problem at once. Only a host folder itself may be a link, as
`out/<host>` may be. What hagen manages there is what the tree's manifest lists, read
back and validated, or nothing.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

from hagen.base.errors import InputRefused
from hagen.base.reports import Where, error

MAX_FILE = 64 * 1024 * 1024
LINK = -1       # the "mode" of a symbolic link; its bytes are its target
MANIFEST = ".hagen/manifest.json"
_HINT = "give --against a tree of regular files and links as gathered from the nodes (DIR/<host>/<path>)"


def _refused(problems: list) -> InputRefused:
    return InputRefused(f"{len(problems)} file(s) of the compared tree cannot be compared", reports=problems)


class ForeignTree:
    def __init__(self, root: Path | str):
        self.given = str(root)
        self.root = Path(root)

    def check_root(self) -> None:
        """The folder must exist (HA131): a missing one is a mistake, not "everything added"."""
        if not self.root.is_dir():
            why = "does not exist" if not os.path.lexists(self.root) else "is not a folder"
            raise InputRefused(reports=[error("HA131", Where(key="--against"), f"{self.given} {why}",
                                              "give --against the folder gather filled, or an output tree")])

    # ------------------------------------------------------------------ walking
    def hosts(self) -> list[str]:
        from hagen.emit.manifest import plain_host

        try:
            names = sorted(os.listdir(self.root))
        except OSError as exc:
            raise _refused([self._problem("", f"cannot list {self.given}: {exc.strerror}")])
        return [n for n in names if plain_host(n) and os.path.isdir(self.root / n)]

    def scan(self) -> set[tuple[str, str]]:
        """Every (host, path) of the tree; refuses (HA132) anything that is not a regular
        file, a link or a folder, and any file it cannot read, before anything reads it."""
        try:
            return self._scan()
        except RecursionError:          # os.walk recurses: a tree nested thousands deep
            raise _refused([self._problem("", "the tree is nested too deep to be a gathered tree")])

    def _scan(self) -> set[tuple[str, str]]:
        # os.scandir, not os.walk: one lstat per entry and no path arithmetic (32,000 files at XL)
        found, problems = set(), []
        for host in self.hosts():
            stack = [(os.path.realpath(self.root / host), "")]
            while stack:
                folder, rel = stack.pop()
                try:
                    entries = list(os.scandir(folder))
                except OSError as exc:
                    problems.append(self._problem(host, f"cannot list {exc.filename}: {exc.strerror}"))
                    continue
                for entry in entries:
                    where = f"{rel}/{entry.name}"
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError as exc:
                        problems.append(self._problem(host, f"{where}: {exc.strerror}"))
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        stack.append((entry.path, where))
                    elif stat.S_ISLNK(st.st_mode):
                        found.add((host, where))
                    elif not stat.S_ISREG(st.st_mode):
                        problems.append(self._problem(host, f"{where} is {_kind(st.st_mode)}, not a file"))
                    elif not os.access(entry.path, os.R_OK):
                        problems.append(self._problem(host, f"{where} cannot be read (permission denied)"))
                    elif st.st_size > MAX_FILE:
                        problems.append(self._problem(host, f"{where} is larger than {MAX_FILE} bytes"))
                    else:
                        found.add((host, where))
        if problems:
            raise _refused(problems)
        return found

    def _problem(self, host: str, message: str):
        return error("HA132", Where(file=f"{self.given}/{host}" if host else self.given), message, _HINT)

    # ------------------------------------------------------------------ reading one file
    def read(self, host: str, path: str) -> tuple[bytes, int] | None:
        """(bytes, mode) of host:path, (target, LINK) for a link, None when absent.
        Each folder on the way is opened without following links."""
        parts = [p for p in path.split("/") if p]
        try:
            # a host folder may be a link (out/<host>); the tree's own .hagen may not
            nofollow = os.O_NOFOLLOW if host.startswith(".") else 0
            fd = os.open(self.root / host, os.O_RDONLY | os.O_DIRECTORY | nofollow)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise _refused([self._problem(host, f"cannot open the host folder: {exc.strerror}")])
        try:
            for i, part in enumerate(parts[:-1]):
                try:
                    nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except (FileNotFoundError, NotADirectoryError):
                    if os.path.islink(os.path.join(self.root, host, *parts[:i + 1])):
                        raise _refused([self._problem(host, f"{path} lies below a symbolic link "
                                                            f"(/{'/'.join(parts[:i + 1])})")])
                    return None
                except OSError as exc:
                    if exc.errno == errno.ELOOP:
                        raise _refused([self._problem(host, f"{path} lies below a symbolic link "
                                                            f"(/{'/'.join(parts[:i + 1])})")])
                    raise _refused([self._problem(host, f"{path}: {exc.strerror}")])
                os.close(fd)
                fd = nxt
            found = self._leaf(fd, parts[-1], host, path)
        finally:
            os.close(fd)
        if found is not None and found[1] != LINK:
            # gather keeps its files 0600 and records each one's mode on its node (hagen.deploy.folder)
            node_mode = self.node_modes().get(host, {}).get("/" + "/".join(parts))
            if node_mode is not None:
                return found[0], int(node_mode, 8)
        return found

    def known(self) -> dict | None:
        """{(host, path): FileState (sha256, node mode)} of each file gather wrote here that is
        still the very copy it wrote (device, inode, size, mtime and ctime as its mark records
        them: any write or chmod since changes the ctime): diff --against knows its content
        without reading it. None for a tree gather did not make."""
        from hagen.deploy.folder import read_mark
        from hagen.emit.nodes import FileState

        found = read_mark(self.root, with_sums=True)
        if found is None:
            return None
        modes, sums = found
        known = {}
        for host, files in sums.items():
            for path, (sha256, dev, ino, size, mtime, ctime) in files.items():
                mode = modes.get(host, {}).get(path)
                try:
                    st = os.lstat(os.path.join(self.root, host, path.lstrip("/")))
                except OSError:
                    continue
                if mode is not None and stat.S_ISREG(st.st_mode) and \
                        (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) == (dev, ino, size, mtime, ctime):
                    known[(host, path)] = FileState(sha256, mode)
        return known

    def node_modes(self) -> dict:
        """{host: {path: mode}} from a gathered folder's mark; {} for any other tree."""
        if not hasattr(self, "_node_modes"):
            from hagen.deploy.folder import read_mark

            self._node_modes = read_mark(self.root) or {}
        return self._node_modes

    def _leaf(self, dir_fd: int, name: str, host: str, path: str):
        try:
            st = os.lstat(name, dir_fd=dir_fd)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise _refused([self._problem(host, f"{path}: {exc.strerror}")])
        if stat.S_ISLNK(st.st_mode):
            return os.readlink(name, dir_fd=dir_fd).encode(), LINK
        if not stat.S_ISREG(st.st_mode):
            raise _refused([self._problem(host, f"{path} is {_kind(st.st_mode)}, not a file")])
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError as exc:
            raise _refused([self._problem(host, f"{path} cannot be read: {exc.strerror}")])
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE:
                raise _refused([self._problem(host, f"{path} is not a regular file of at most {MAX_FILE} bytes")])
            chunks, size = [], 0
            while size <= MAX_FILE:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            return b"".join(chunks), stat.S_IMODE(st.st_mode)
        except OSError as exc:
            raise _refused([self._problem(host, f"{path} cannot be read: {exc.strerror}")])
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ what hagen manages there
    def managed(self) -> set[tuple[str, str]] | None:
        """The (host, path) pairs the tree's manifest lists, if it has one that validates;
        None otherwise (a manifest that does not validate is treated as absent)."""
        from hagen.emit.manifest import expand, valid_manifest

        data = self.read_hagen_file(MANIFEST)
        if data is None:
            return None
        try:
            manifest = valid_manifest(json.loads(data))      # the one reader of manifest entries
        except (ValueError, RecursionError):
            return None
        return set(expand(manifest)) if manifest is not None else None

    def read_hagen_file(self, rel: str) -> bytes | None:
        """A file of the tree's own .hagen folder, or None (absent, a link, not a file, unreadable)."""
        try:
            got = ForeignTree(self.root.resolve() if self.root.is_dir() else self.root).read(
                rel.split("/", 1)[0], "/" + rel.split("/", 1)[1])
        except InputRefused:
            return None
        return got[0] if got and got[1] != LINK else None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"
