"""hagen push: one fan-out call per distinct file and node set, run for real against
local test hosts through a recording pdcp on PATH (CLARIFICATIONS 26)."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import EXAMPLES, run_hagen

SITE = EXAMPLES / "bas5-guide" / "site.yaml"

# A stand-in for pdcp/pdsh: records its arguments, and acts on HOSTS_ROOT/<host>/ for each host.
FAKE = r'''#!/usr/bin/env python3
import os, shutil, subprocess, sys
from ClusterShell.NodeSet import NodeSet
args = sys.argv[1:]
with open(os.environ["FANOUT_LOG"], "a") as log:
    log.write(os.path.basename(sys.argv[0]) + " " + " ".join(args) + "\n")
nodes = NodeSet(args[args.index("-w") + 1])
rest = args[args.index("-w") + 2:]
root = os.environ["HOSTS_ROOT"]
for host in nodes:
    if os.path.basename(sys.argv[0]) == "pdcp":
        src, dest = rest[-2], rest[-1]
        target = os.path.join(root, host, dest.lstrip("/"))
        if not os.path.isdir(os.path.dirname(target)):      # as pdcp: the folder must exist
            sys.exit(f"{host}: {os.path.dirname(dest)}: No such file or directory")
        shutil.copy2(src, target)
    else:  # mkdir -p -- DIRS, rm -f -- PATH, ln -sfn TARGET PATH: paths on the host move under its root
        import shlex
        argv = shlex.split(rest[-1])
        keep = len(argv) - 2 if argv[0] == "ln" else -1        # a link's target stays as on the node
        argv = [os.path.join(root, host, a.lstrip("/")) if a.startswith("/") and i != keep else a
                for i, a in enumerate(argv)]
        subprocess.run(argv, check=True)
'''


@pytest.fixture
def fanout(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("pdcp", "pdsh"):
        (bindir / name).write_text(FAKE)
        (bindir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", FANOUT_LOG=str(tmp_path / "log"),
               HOSTS_ROOT=str(tmp_path / "hosts"))
    return env, tmp_path / "log", tmp_path / "hosts"


def build(out):
    r = run_hagen("build", "--site", SITE, "--out", out)
    assert r.code == 0, r.output


def test_dry_run_prints_one_command_per_distinct_file_and_node_set(tmp_path):
    out = tmp_path / "out"
    build(out)
    r = run_hagen("push", "--site", SITE, "--out", out, "--dry-run")
    assert r.code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if "mkdir -p" not in ln]
    import json
    manifest = json.loads((out / ".hagen/manifest.json").read_text())
    assert len(lines) == len(manifest["files"])
    mkdirs = [ln for ln in r.stdout.splitlines() if "mkdir -p" in ln]
    assert r.stdout.splitlines()[:len(mkdirs)] == mkdirs      # folders first, one call per node set
    assert len(mkdirs) == len({e["hosts"] for e in manifest["files"]})
    assert any(ln.startswith("pdcp -p -w 'ns[0,13]' ") and ln.endswith(" /etc/HA/start") for ln in lines)
    assert sum(ln.endswith(" /etc/ntp.conf") for ln in lines) == 2      # one per node: different contents
    assert len(set(lines)) == len(lines)


def test_a_real_push_copies_every_file_with_its_mode(tmp_path, fanout):
    env, log, hosts = fanout
    out = tmp_path / "out"
    build(out)
    r = run_hagen("push", "--site", SITE, "--out", out, env=env)
    assert r.code == 0, r.output
    for path in out.resolve().rglob("*"):
        rel = path.relative_to(out.resolve())
        if path.is_file() and rel.parts[0] != ".hagen":
            copy = hosts / rel
            assert copy.read_bytes() == path.read_bytes(), rel
            assert stat.S_IMODE(copy.stat().st_mode) == stat.S_IMODE(path.stat().st_mode), rel
    assert (hosts / "ns0/etc/cluster/cluster.conf").stat().st_mode & 0o777 == 0o600


def test_vanished_files_are_removed_only_with_prune(tmp_path, fanout, example_copy):
    env, log, hosts = fanout
    out = tmp_path / "out"
    build(out)
    assert run_hagen("push", "--site", SITE, "--out", out, env=env).code == 0
    folder = example_copy("bas5-guide")
    text = (folder / "site.yaml").read_text().replace("    modprobe: modprobe.conf", "    modprobe: modprobe.d")
    (folder / "site.yaml").write_text(text)
    assert run_hagen("build", "--site", folder / "site.yaml", "--out", out).code == 0
    r = run_hagen("push", "--site", folder / "site.yaml", "--out", out, env=env)
    assert r.code == 0
    assert "vanished (use --prune to remove): /etc/modprobe.conf on ns[0,13]" in r.stderr
    assert (hosts / "ns0/etc/modprobe.conf").exists()
    r = run_hagen("push", "--site", folder / "site.yaml", "--out", out, "--prune", env=env)
    assert r.code == 0, r.output
    assert not (hosts / "ns0/etc/modprobe.conf").exists() and not (hosts / "ns13/etc/modprobe.conf").exists()
    assert (hosts / "ns0/etc/modprobe.d/bonding.conf").exists()


def test_push_without_a_build_says_so(tmp_path):
    r = run_hagen("push", "--site", SITE, "--out", tmp_path / "nothing")
    assert r.code == 3 and "hagen build" in r.stderr


def test_a_failing_fanout_stops_with_a_clear_message(tmp_path):
    out = tmp_path / "out"
    build(out)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("pdcp", "pdsh"):
        (bindir / name).write_text("#!/bin/sh\necho 'ns13: connection refused' >&2\nexit 1\n")
        (bindir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    r = run_hagen("push", "--site", SITE, "--out", out, env=env)
    assert r.code == 3 and "connection refused" in r.stderr and "Traceback" not in r.output


def test_links_are_created_remotely_not_copied(tmp_path, fanout):
    env, log, hosts = fanout
    xena = EXAMPLES / "xena" / "site.yaml"
    out = tmp_path / "out"
    assert run_hagen("build", "--site", xena, "--out", out).code == 0
    r = run_hagen("push", "--site", xena, "--out", out, "--dry-run")
    assert "pdsh -w 'xena[1-2]' 'ln -sfn /usr/sbin/lustre_failover /usr/sbin/lustre_failover_xena1'" in r.stdout
    assert not any(ln.startswith("pdcp") and "lustre_failover_" in ln for ln in r.stdout.splitlines())
    r = run_hagen("push", "--site", xena, "--out", out, env=env)
    assert r.code == 0, r.output
    assert os.readlink(hosts / "xena2/usr/sbin/lustre_failover_xena1") == "/usr/sbin/lustre_failover"
