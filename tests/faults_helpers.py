"""Helpers of the robustness tests (test_faults.py, test_safety.py, test_properties.py).

- PrivatePostgres: a PostgreSQL server of the test's own (CLARIFICATIONS 27), for the
  faults the shared server must not suffer (wrong credentials, a server stopped in the
  middle of a read). initdb and pg_ctl run as the `postgres` user, on a free port, under
  a temporary directory owned by postgres; stopped and removed afterwards.
- PausedBuild: `hagen build` in a child process (forked from this one) that pauses at a chosen point
  of its work (inside emit, or between two ClusterDB reads) until the test lets it go or
  kills it. The pause is a monkeypatch made in the child only: hagen has no hook for it.
- out_listing(), assert_complete(): what a build may and may not leave in OUT's folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)


# --------------------------------------------------------------------------- a private PostgreSQL

def private_pg_unavailable() -> str | None:
    """Why no private server can be started here (None: it can)."""
    if not PG_BINS:
        return "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql"
    if os.geteuid() != 0:
        return "starting a private PostgreSQL needs root (initdb and pg_ctl run as the postgres user)"
    if shutil.which("runuser") is None:
        return "runuser (util-linux) is missing"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no postgres user"
    return None


requires_private_pg = pytest.mark.skipif(private_pg_unavailable() is not None,
                                         reason=str(private_pg_unavailable()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A throw-away PostgreSQL cluster: password authentication (scram-sha-256) for every connection."""

    USER = "postgres"

    def __init__(self):
        self.bin = PG_BINS[0].parent
        self.root = Path(tempfile.mkdtemp(prefix="hagen-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.password = "hagen-" + os.urandom(8).hex()
        self.port = None
        pw = pwd.getpwnam("postgres")
        os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.USER, "-A", "scram-sha-256",
                          f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()

    def _as_postgres(self, *cmd, check=True, timeout=120) -> subprocess.CompletedProcess:
        proc = subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True,
                              timeout=timeout, cwd=self.root)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                                 + (self.log.read_text() if self.log.exists() else ""))
        return proc

    def start(self) -> None:
        self.port = free_port()
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c shared_buffers=16MB -c max_connections=20")
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                          "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop",
                          check=False)

    @property
    def running(self) -> bool:
        return self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "status", check=False).returncode == 0

    def dsn(self, password: str | None = None, dbname: str = "postgres") -> str:
        pw = self.password if password is None else password
        return f"postgresql://{self.USER}:{pw}@127.0.0.1:{self.port}/{dbname}"

    def remove(self) -> None:
        if self.data.exists() and self.running:
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def private_postgres():
    """A private server, started; stopped and removed afterwards whatever happens."""
    why = private_pg_unavailable()
    if why:
        pytest.skip(why)
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


# --------------------------------------------------------------------------- a build that pauses

# The child: python -c CHILD READY GO POINT N -- <hagen arguments>. It patches hagen at POINT,
# runs the command line, and at the N-th passage through POINT touches READY, then waits
# for GO to appear (the test may SIGKILL it meanwhile). Exit status as `python -m hagen`.
CHILD = r'''
import os, sys, time
from pathlib import Path

ready, go, point, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
args = sys.argv[sys.argv.index("--") + 1:]
count = [0]

def passage():
    count[0] += 1
    if count[0] != n:
        return
    ready.touch()
    deadline = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > deadline:
            os._exit(99)
        time.sleep(0.01)

import re
if point == "link":                  # emit: before the N-th hard link of a host file to its object
    real_link = os.link
    def link(src, dst, *a, **k):
        passage()
        return real_link(src, dst, *a, **k)
    os.link = link
elif point in ("object", "journal", "manifest", "swap"):   # emit: before that file's atomic rename
    out_name = os.path.basename(args[args.index("--out") + 1])
    wanted = {"object": lambda n: re.fullmatch(r"[0-9a-f]{64}-[0-7]{4}", n),
              "journal": lambda n: n == "journal.json", "manifest": lambda n: n == "manifest.json",
              "swap": lambda n: n == out_name}[point]
    real_replace = os.replace
    def replace(src, dst, *a, **k):
        if wanted(os.path.basename(str(dst))):
            passage()
        return real_replace(src, dst, *a, **k)
    os.replace = replace
elif point == "finish":              # emit: the apply done, the manifest written, before the journal goes
    real_unlink = os.unlink
    def unlink(path, *a, **k):
        if os.path.basename(str(path)) == "journal.json":
            passage()
        return real_unlink(path, *a, **k)
    os.unlink = unlink
elif point == "select":              # clusterdb: before the N-th SELECT of a table
    import hagen.load.clusterdb as cdb
    real_connect = cdb.connect
    class Conn:
        def __init__(self, conn):
            self._conn = conn
        def execute(self, sql, *a, **k):
            if sql.lstrip().upper().startswith("SELECT"):
                passage()
            return self._conn.execute(sql, *a, **k)
        def __getattr__(self, name):
            return getattr(self._conn, name)
    cdb.connect = lambda *a, **k: Conn(real_connect(*a, **k))
else:
    raise SystemExit(f"unknown pause point {point}")

from hagen.cli import main
sys.argv = ["hagen", *args]
main()
'''


class _ForkedChild:
    """What PausedBuild needs of a subprocess.Popen, for a child forked from this process: it
    has imported hagen already, so that each kill point costs a fork, not an interpreter's start
    and imports. A real process all the same: SIGKILL and SIGINT reach it, its exit status is
    the kernel's."""

    def __init__(self, argv: list[str], env=None):
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:                                   # the child: never returns into pytest
            code = 1
            try:
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                for fd in (out_r, err_r, out_w, err_w):
                    os.close(fd)
                sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
                sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                if env is not None:
                    os.environ.clear()
                    os.environ.update(env)
                os.chdir(REPO)
                sys.argv = ["-c", *argv]
                exec(compile(CHILD, "<paused build>", "exec"), {"__name__": "__main__"})
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:                      # what the interpreter would print
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        os.close(out_w)
        os.close(err_w)
        self.pid, self.returncode = pid, None
        self._pipes = {out_r: bytearray(), err_r: bytearray()}
        self._out, self._err = out_r, err_r

    def _reap(self, flags: int = 0) -> None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, flags)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)

    def poll(self):
        self._reap(os.WNOHANG)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Both pipes read to their end (a selector: neither fills while the other is read), then the exit status."""
        import selectors

        with selectors.DefaultSelector() as sel:
            for fd in self._pipes:
                sel.register(fd, selectors.EVENT_READ)
            deadline = None if timeout is None else time.monotonic() + timeout
            while sel.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired("paused build", timeout)
                for key, _ in sel.select(left):
                    chunk = os.read(key.fd, 65536)
                    if chunk:
                        self._pipes[key.fd] += chunk
                    else:
                        sel.unregister(key.fd)
                        os.close(key.fd)
        self._reap()
        return (self._pipes[self._out].decode("utf-8", "replace"), self._pipes[self._err].decode("utf-8", "replace"))


class PausedBuild:
    """A `hagen ARGS` child paused at a point (see CHILD); wait_paused(), then kill() or release()."""

    def __init__(self, point: str, n: int, args, tmp: Path, env=None):
        self.ready = tmp / f"ready-{os.urandom(4).hex()}"
        self.go = tmp / f"go-{os.urandom(4).hex()}"
        self.proc = _ForkedChild([str(self.ready), str(self.go), point, str(n), "--", *map(str, args)], env=env)

    def wait_paused(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.exists():
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise AssertionError(f"the build ended ({self.proc.returncode}) before its pause:\n{out}{err}")
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError("the build never reached its pause")
            time.sleep(0.01)

    def kill(self) -> int:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=30)
        return self.proc.returncode

    def release(self, timeout: float = 120) -> tuple[int, str, str]:
        self.go.touch()
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


# --------------------------------------------------------------------------- the output tree

def out_listing(out: Path) -> dict:
    """Everything beside the files that a failed build must leave as it was: out's link, the
    store's entries, the names in OUT's folder (a stray temporary link would show here)."""
    parent, store = out.parent, out.parent / f".{out.name}.d"
    names = parent.iterdir() if parent.is_dir() else ()
    return {"root": sorted(p.name for p in names if p.name == out.name or p.name.startswith(f".{out.name}")),
            "link": os.readlink(out) if out.is_symlink() else None,
            "store": sorted(p.name for p in store.iterdir() if p.name not in ("lock", "apply.lock"))
            if store.is_dir() else []}


def assert_complete(out: Path) -> dict:
    """out is a hagen tree whose files are exactly its manifest's, bytes and modes: nothing partial.
    Returns the manifest."""
    from ClusterShell.NodeSet import NodeSet

    assert out.is_symlink(), f"{out} is not a symlink to the store's tree"
    root = out.resolve()
    manifest = json.loads((root / ".hagen" / "manifest.json").read_text())
    expected = {}
    for entry in manifest["files"]:
        for host in NodeSet(entry["hosts"]):
            expected[f"{host}{entry['path']}"] = entry
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if not rel.startswith(".hagen/"):
                found[rel] = os.path.join(dirpath, name)
    assert sorted(found) == sorted(expected), (f"out lists other files than its manifest: extra "
                                               f"{sorted(set(found) - set(expected))[:5]}, missing "
                                               f"{sorted(set(expected) - set(found))[:5]}")
    for rel, entry in expected.items():
        path = found[rel]
        if entry.get("type") == "symlink":
            assert os.readlink(path) == entry["target"], rel
            continue
        st = os.lstat(path)
        assert stat.S_ISREG(st.st_mode), rel
        assert f"{stat.S_IMODE(st.st_mode):04o}" == entry["mode"], f"{rel}: mode {stat.S_IMODE(st.st_mode):o}"
        with open(path, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == entry["sha256"], f"{rel}: bytes differ from the manifest"
    return manifest


def store_leftovers(out: Path) -> list[str]:
    """What a finished build should have cleaned: a journal, a half-made tree, temporary files
    and links, objects no host file uses."""
    store = out.parent / f".{out.name}.d"
    left = [p.name for p in store.iterdir() if p.name in ("journal.json", "tree.new") or p.name.startswith((".", "gen-"))]
    left += [p.name for p in out.parent.glob(f".{out.name}.link-*")]
    for obj in (store / "objects").glob("*/*"):
        if obj.name.startswith(".") or ".tmp" in obj.name or obj.stat().st_nlink <= 1:
            left.append(f"objects/{obj.parent.name}/{obj.name}")
    for top, dirs, names in os.walk(store / "tree"):
        left += [os.path.join(top, n) for n in names if n.endswith((".hagen-tmp", ".tmp"))]
    return sorted(left)
