"""push and build racing on one output tree (simulated nodes, tests/deploy_helpers.py).

push (without --plan) holds the tree's lock from reading the manifest to its last call, so a
build started meanwhile is refused and names the push (its pid), and push sends the tree it
read, whole: never "tree altered". And a push started while a build applies is refused the
same way, before anything is sent. Deterministic: each racer is held at a barrier (a file it
waits for) at a known point, and the other runs while it is held there; no sleep decides."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_runner import cli
from conftest import EXAMPLES, tree_state
from deploy_helpers import Nodes, prepare
from faults_helpers import PausedBuild

# the fan-out copy command, held at the barrier on its first call: push is then inside its run
HELD = r'''
import os, sys, time
ready, go = sys.argv[0] + ".ready", sys.argv[0] + ".go"
if not os.path.exists(ready):
    open(ready, "w").close()
    deadline = time.monotonic() + 120
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            sys.exit(99)
        time.sleep(0.01)
real = os.path.join(os.path.dirname(sys.argv[0]), "real", os.path.basename(sys.argv[0]))
os.execv(real, [real, *sys.argv[1:]])      # the stand-in, under its own name
'''


@pytest.fixture
def nodes(tmp_path, monkeypatch):
    base = prepare(tmp_path / "base", EXAMPLES / "bas5-guide", shared=False)
    copy = base / "bin" / "pdcp"
    (base / "bin" / "real").mkdir()
    copy.rename(base / "bin" / "real" / "pdcp")
    copy.write_text(f"#!{sys.executable} -S\n{HELD}")
    copy.chmod(0o755)
    return Nodes(base, tmp_path / "w", monkeypatch)


def wait_for(flag: Path, proc) -> None:
    """Until the racer is at its barrier (a readiness wait: the barrier decides, not the clock)."""
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the push never reached the fan-out"
        time.sleep(0.01)


def edited_site(n) -> Path:
    site = n.site.with_name("site-edited.yaml")       # beside it: the same snapshot and password file
    text = n.site.read_text()
    assert text.count("stratum: 10") == 1
    site.write_text(text.replace("stratum: 10", "stratum: 8"))
    return site


def test_a_build_during_a_push_is_refused_and_the_push_sends_the_tree_it_read(nodes):
    barrier = nodes.work.parent / "base" / "bin" / "pdcp"
    state = tree_state(nodes.out)
    push = subprocess.Popen([sys.executable, "-m", "hagen", "push", "--site", str(nodes.site), "--out",
                             str(nodes.out), "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(Path(f"{barrier}.ready"), push)
        from hagen.emit import OutputTree
        from hagen.emit.tree import Busy

        with pytest.raises(Busy, match=f"another hagen push is writing .* \\(pid {push.pid}\\)"):
            with OutputTree(nodes.out).lock():        # the lock's own probe: push holds it now
                pass
        r = cli("build", "--site", edited_site(nodes), "--out", nodes.out)
        assert r.code == 3 and f"another hagen push is writing {nodes.out} (pid {push.pid})" in r.stderr, r.stderr
        assert "hagen push" in r.stderr                  # the hint names the command holding the lock
        assert tree_state(nodes.out) == state
        Path(f"{barrier}.go").touch()
        out, err = push.communicate(timeout=300)
    finally:
        if push.poll() is None:
            push.kill()
            push.communicate()
    assert push.returncode == 0, out + err
    assert "altered" not in out + err
    hosts = nodes.out.resolve()
    for host in ("ns0", "ns13"):
        sent = nodes.node_file(host, "/etc/ntp.conf").read_bytes()
        assert sent == (hosts / host / "etc/ntp.conf").read_bytes() and b"stratum 10" in sent
    r = cli("build", "--site", edited_site(nodes), "--out", nodes.out)     # the push done, the build goes
    assert r.code == 0, r.stderr
    assert "stratum 8" in (nodes.out / "ns0/etc/ntp.conf").read_text()


def test_a_push_during_a_build_is_refused_before_anything_is_sent(nodes, tmp_path):
    build = PausedBuild("link", 1, ["build", "--site", edited_site(nodes), "--out", nodes.out], tmp_path,
                        env=dict(os.environ))
    try:
        build.wait_paused()
        r = cli("push", "--site", nodes.site, "--out", nodes.out, "--yes")
        assert r.code == 3 and f"another hagen build is writing {nodes.out} (pid {build.proc.pid})" in r.stderr, \
            r.stderr
        assert nodes.calls() == []                       # nothing sent, nothing run on a node
        code, out, err = build.release()
    finally:
        build.cleanup()
    assert code == 0, out + err
    assert "stratum 8" in (nodes.out / "ns0/etc/ntp.conf").read_text()
