"""Helpers of tests/test_runtime.py: run the generated /etc/HA/bin scripts for real, under a
scratch HA_ROOT, and inside network or mount namespaces of their own.

Nothing here stands in for a script: the stubs are the services the scripts drive
(/etc/init.d/... under HA_ROOT), which record how they were called.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from cli_runner import Result

SCRIPTS = ("haservices", "hacron", "haip", "halinks", "hamount", "hapidcleaner", "hasynchro", "hasyslogng",
           "haunwantedfiles")


def script_env(root: Path, **extra) -> dict:
    env = dict(os.environ)
    env["PATH"] = env.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
    env["LC_ALL"] = "C"
    env["HA_ROOT"] = str(root)
    env["HA_LOG"] = ""                  # no /var/log/ha.log in the scratch roots unless a test asks
    for key, value in extra.items():
        env[key] = str(value)
    return env


def run_script(bin_dir: Path, name: str, *args, root: Path, ns: "Namespace | None" = None, timeout=60,
               **env) -> Result:
    """Run bin_dir/name ARGS with HA_ROOT=root (and HA_xxx=... from env), in ns when given."""
    argv = [str(bin_dir / name), *map(str, args)]
    if ns is not None:
        argv = ns.enter(argv)
    proc = subprocess.run(argv, capture_output=True, text=True, env=script_env(root, **env), timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def write(root: Path, path: str, text: str, mode: int | None = None) -> Path:
    """Write text at path (as on the node) under root."""
    dest = root / path.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink() or dest.exists():
        dest.unlink()
    dest.write_text(text)
    if mode is not None:
        dest.chmod(mode)
    return dest


def stub_service(root: Path, path: str, fail_on: str | None = None, code: int = 3) -> Path:
    """An executable at path under root that appends "path ARG HA_ROOT" to root/calls.log,
    and exits with code when its argument is fail_on."""
    script = f"""#!/bin/sh
echo "{path} $1 $HA_ROOT" >> "{root}/calls.log"
echo "{path}: $1"
"""
    if fail_on is not None:
        script += f'if [ "$1" = "{fail_on}" ]; then echo "{path}: {fail_on} failed" >&2; exit {code}; fi\n'
    script += "exit 0\n"
    return write(root, path, script, 0o755)


def calls(root: Path) -> list[str]:
    log = root / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the line of a file that is exactly text."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip() == text:
            return n
    raise AssertionError(f"{text!r} is not a line of {path}")


def skip_unless_tool(tool: str, package: str):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install {package})")


class Namespace:
    """A network ("net") or mount ("mnt") namespace of its own, held open by a sleeping
    process; commands enter it with nsenter. Mounts made in it stay in it (unshare makes
    them private), and its files are reached from outside through /proc/PID/root."""

    FLAGS = {"net": "-n", "mnt": "-m"}

    def __init__(self, kind: str):
        self.kind = kind
        self.flag = self.FLAGS[kind]
        self.proc = subprocess.Popen(["unshare", self.flag, "--", "sleep", "600"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        ours = os.readlink(f"/proc/self/ns/{kind}")
        while True:
            if self.proc.poll() is not None:
                raise OSError(f"unshare {self.flag}: {self.proc.stderr.read().decode().strip()}")
            try:
                if os.readlink(f"/proc/{self.proc.pid}/ns/{kind}") != ours:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.close()
                raise OSError(f"unshare {self.flag}: the namespace did not appear")
            time.sleep(0.01)

    @classmethod
    def open_or_skip(cls, kind: str) -> "Namespace":
        for tool, package in (("unshare", "util-linux"), ("nsenter", "util-linux")):
            skip_unless_tool(tool, package)
        try:
            return cls(kind)
        except OSError as exc:
            pytest.skip(f"no {kind} namespace here (needs root or CAP_SYS_ADMIN): {exc}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def enter(self, argv: list[str]) -> list[str]:
        return ["nsenter", "-t", str(self.pid), self.flag, "--", *argv]

    def run(self, *argv, check=True) -> subprocess.CompletedProcess:
        proc = subprocess.run(self.enter([str(a) for a in argv]), capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, argv))} (in the {self.kind} namespace): {proc.stderr}")
        return proc

    def popen(self, *argv) -> subprocess.Popen:
        return subprocess.Popen(self.enter([str(a) for a in argv]), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def view(self, path: Path | str) -> Path:
        """path as this namespace sees it, from outside."""
        return Path(f"/proc/{self.pid}/root") / str(path).lstrip("/")

    def mount_points(self) -> set[str]:
        with open(f"/proc/{self.pid}/mounts") as f:
            return {line.split()[1] for line in f}

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
