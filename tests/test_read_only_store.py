"""A read-only output store (a read-only mount of the folder holding out and .out.d): what only
reads it works (a no-op build, diff, explain, render, push --dry-run); what must write fails saying so, never
with a hint to delete the lock. The store is made read-only by a read-only bind mount in a
private mount namespace (`unshare -m`), which needs root: chmod does not stop root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from cli_runner import cli

# runs inside the namespace: the folder made read-only, then each command, its status and output kept
CHILD = r"""
import json, subprocess, sys
folder, results, commands = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
subprocess.run(["mount", "--bind", folder, folder], check=True)
subprocess.run(["mount", "-o", "remount,bind,ro", folder], check=True)
done = []
for args in commands:
    proc = subprocess.run([sys.executable, "-m", "hagen", *args], capture_output=True, text=True, cwd=folder)
    done.append([proc.returncode, proc.stdout, proc.stderr])
with open(results, "w") as f:
    json.dump(done, f)
"""


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "a read-only bind mount needs root (chmod does not make a store read-only for root)"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "unshare and mount (util-linux) are not installed"
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return None if probe.returncode == 0 else "no mount namespaces here (unshare -m fails)"


def _read_only_run(folder, tmp_path, commands) -> list:
    results = tmp_path / "results.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, "-c", CHILD, str(folder),
                    str(results), json.dumps(commands)], check=True, env=env, timeout=600)
    return json.loads(results.read_text())


@pytest.mark.skipif(_why_not() is not None, reason=str(_why_not()))
@pytest.mark.parametrize("example", ["bas5-guide", "xena"])
def test_read_only_commands_work_on_a_read_only_store(example_copy, tmp_path, example):
    folder = example_copy(example)
    host = "ns0" if example == "bas5-guide" else "xena0"
    assert cli("build", "--site", folder / "site.yaml", "--out", folder / "out").code == 0
    before = {p: p.lstat() for p in (folder / ".out.d").rglob("*")}
    ran = _read_only_run(folder, tmp_path, [
        ["build", "--site", "site.yaml", "--out", "out"],
        ["diff", "--site", "site.yaml", "--against", "out"],
        ["explain", host, "/etc/hosts", "--site", "site.yaml", "--out", "out"],
        ["render", host, "/etc/hosts", "--site", "site.yaml", "--out", "out"],
        ["build", "--site", "site-el9.yaml", "--out", "out"],            # a build that changes the tree
        ["gather", "--site", "site.yaml", "--out", "out", "--into", str(tmp_path / "gathered")],  # its lock
        ["push", "--site", "site.yaml", "--out", "out", "--dry-run", "-w", host],
    ])
    (noop, diff, explain, render, change, gather, dry_run) = ran
    assert noop[0] == 0 and "up to date, nothing written" in noop[1] + noop[2], noop
    assert diff[0] == 0 and "differ" in diff[1] + diff[2], diff
    assert explain[0] == 0 and "/etc/hosts" in explain[1], explain
    assert render[0] == 0 and host in render[1], render
    assert "cannot write the output store" not in dry_run[2] and "lock" not in dry_run[2], dry_run
    assert dry_run[0] == 0 and f"-w {host} " in dry_run[1] and "sha256sum" in dry_run[1], dry_run
    for refused in (change, gather):
        assert refused[0] == 3, refused
        assert "cannot write the output store" in refused[2] and "Read-only file system" in refused[2], refused
        assert "remove it" not in refused[2] and "delete" not in refused[2], refused
    after = {p: p.lstat() for p in (folder / ".out.d").rglob("*")}
    assert {p: (s.st_ino, s.st_mtime_ns) for p, s in after.items()} == \
        {p: (s.st_ino, s.st_mtime_ns) for p, s in before.items()}
