"""The generated runtime (/etc/HA/bin, guide 2.3), run for real.

The bas5-guide example is built once; each test copies ns0's tree to a scratch root,
lays out what the script needs there (directories, links, cron files, rc*.d links,
pid files, a second root for the passive node), and runs the script of the built tree
with HA_ROOT pointing at that root. haip runs in a network namespace of its own with
veth interfaces named like the guide's (bond0, bond1); hamount, and whatever needs a
mounted /varha, in a mount namespace of its own with ext2 images mounted through loop
devices (tmpfs through HA_MOUNT where loop devices are missing). Tests that need a
privilege or a tool this machine lacks skip and say why.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES
from conftest import tree_contents as snapshot
from hagen.compile.pipeline import build
from runtime_helpers import (SCRIPTS, Namespace, calls, line_of, run_script, skip_unless_tool,
                             stub_service, write)

SITE = EXAMPLES / "bas5-guide" / "site.yaml"
HOSTS = ("ns0", "ns13")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runtime") / "out"
    build(SITE, out)
    return out.resolve()


@pytest.fixture(scope="module")
def bin_dir(built) -> Path:
    return built / "ns0" / "etc" / "HA" / "bin"


@pytest.fixture
def root(built, tmp_path) -> Path:
    """A scratch root: ns0's built tree (its /etc/HA data files and /etc/HA/bin)."""
    dest = tmp_path / "root"
    shutil.copytree(built / "ns0", dest)
    return dest


@pytest.fixture
def run(bin_dir, root):
    def run_(name, *args, **kw):
        kw.setdefault("root", root)
        return run_script(bin_dir, name, *args, **kw)
    return run_


@pytest.fixture
def netns():
    ns = Namespace.open_or_skip("net")
    yield ns
    ns.close()


@pytest.fixture
def mntns():
    ns = Namespace.open_or_skip("mnt")
    yield ns
    ns.close()


def error_line(result) -> str:
    errors = [ln for ln in result.stderr.splitlines() if ": ERROR: " in ln]
    assert len(errors) == 1, result.output
    return errors[0]


# ------------------------------------------------------------------ the scripts themselves

def test_every_script_is_in_both_management_trees(built):
    import json

    manifest = {e["path"]: e for e in json.loads((built / ".hagen/manifest.json").read_text())["files"]
                if e["path"].startswith("/etc/HA/bin/")}
    assert set(manifest) == {f"/etc/HA/bin/{n}" for n in SCRIPTS + ("halib.sh",)}
    for name in SCRIPTS:
        for host in HOSTS:
            path = built / host / "etc/HA/bin" / name
            assert path.read_text().startswith("#!/bin/bash\n"), path
            assert os.access(path, os.X_OK), path
    assert {manifest[f"/etc/HA/bin/{n}"]["mode"] for n in SCRIPTS} == {"0755"}
    assert manifest["/etc/HA/bin/halib.sh"]["mode"] == "0644"
    # hasynchro names each node's peer; everything else is the same on both nodes
    assert "HA_PEER=${HA_PEER:-ns13}" in (built / "ns0/etc/HA/bin/hasynchro").read_text()
    assert "HA_PEER=${HA_PEER:-ns0}" in (built / "ns13/etc/HA/bin/hasynchro").read_text()


def test_scripts_pass_bash_n_and_shellcheck(bin_dir):
    for path in sorted(bin_dir.iterdir()):
        proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    skip_unless_tool("shellcheck", "shellcheck")
    names = sorted(p.name for p in bin_dir.iterdir())
    # each file alone, as check-tree reads it, and the scripts with halib.sh followed (-x)
    runs = [subprocess.Popen(["shellcheck", "-S", "warning", *extra, name], stdout=subprocess.PIPE, text=True,
                             cwd=bin_dir) for name in names for extra in ([], ["-x"])]
    for proc in runs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out


def test_no_script_carries_a_date_or_an_absolute_build_path(bin_dir, built):
    for path in bin_dir.iterdir():
        text = path.read_text()
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), path
        assert str(built) not in text and "/tmp/" not in text, path


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_wrong_argument_is_a_usage_error(run, name):
    for args in ((), ("bogus",), ("start", "stop")):
        result = run(name, *args)
        assert result.code == 2, result.output
        assert result.stderr.startswith(f"usage: {name} "), result.output


def test_messages_are_also_logged_to_ha_log(run, root):
    (root / "var/log").mkdir(parents=True)
    result = run("haservices", "status", HA_LOG="/var/log/ha.log")
    assert result.code == 0, result.output
    log = (root / "var/log/ha.log").read_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d haservices: .*nothing to status: OK\n", log), log


def test_a_missing_data_file_is_an_error_naming_it(run, root):
    (root / "etc/HA/ip").unlink()
    result = run("haip", "status")
    assert result.code == 1
    assert f"{root}/etc/HA/ip: cannot read" in error_line(result)


# ------------------------------------------------------------------ haservices (2.3.1)

def test_haservices_runs_each_command_in_order_with_its_argument(run, root):
    for name in ("first", "second", "third"):
        stub_service(root, f"/etc/init.d/{name}")
    write(root, "/etc/HA/stop", "# comments and blank lines are skipped\n\n/etc/init.d/third\n"
          "   \n#/etc/init.d/first\n/etc/init.d/second\n/etc/init.d/first")   # no final newline
    result = run("haservices", "stop")
    assert result.code == 0, result.output
    assert calls(root) == [f"/etc/init.d/{n} stop {root}" for n in ("third", "second", "first")]
    assert "/etc/init.d/third: stop" in result.stdout          # the command's own output comes through
    assert result.stdout.rstrip().endswith("OK")


def test_haservices_stops_at_the_first_failure(run, root):
    stub_service(root, "/etc/init.d/ok")
    stub_service(root, "/etc/init.d/broken", fail_on="start", code=3)
    write(root, "/etc/HA/cron", "backup\n")
    write(root, "/etc/cron.d/backup", "0 1 * * * root /bin/true\n")
    stale = write(root, "/var/lib/pgsql/data/postmaster.pid", "999999999\n")
    start = write(root, "/etc/HA/start", "# real scripts and services, in order\n\n/etc/HA/bin/hacron\n"
                  "/etc/init.d/ok\n/etc/init.d/broken\n/etc/HA/bin/hapidcleaner\n")
    result = run("haservices", "start")
    assert result.code == 1, result.output
    line = error_line(result)
    assert f"{start}:5: {root}/etc/init.d/broken start failed (exit 3)" in line
    assert calls(root) == [f"/etc/init.d/ok start {root}", f"/etc/init.d/broken start {root}"]
    assert (root / "etc/cron.d/SLEEP/backup").exists()          # hacron ran, under HA_ROOT
    assert stale.exists()                                       # hapidcleaner never ran


def test_haservices_refuses_a_command_with_options_and_a_missing_one(run, root):
    data = write(root, "/etc/HA/start", "/etc/init.d/httpd -k\n")
    assert f"{data}:1: /etc/init.d/httpd -k: a command is a full path" in error_line(run("haservices", "start"))
    write(root, "/etc/HA/start", "\n/etc/init.d/absent\n")
    assert f"{data}:2: {root}/etc/init.d/absent start: no such executable" in error_line(run("haservices", "start"))


def test_haservices_status_with_the_generated_empty_status_file(run):
    result = run("haservices", "status")
    assert result.code == 0, result.output
    assert "nothing to status: OK" in result.stdout


# ------------------------------------------------------------------ hacron (2.3.5)

def test_hacron_start_and_stop_move_the_cron_files(run, root):
    data = write(root, "/etc/HA/cron", "# cron files\n\nbackup\nnagios-report\n")
    for name in ("backup", "nagios-report", "unrelated"):
        write(root, f"/etc/cron.d/{name}", f"# {name}\n")
    cron, sleep = root / "etc/cron.d", root / "etc/cron.d/SLEEP"

    result = run("hacron", "start")
    assert result.code == 0, result.output
    assert sorted(p.name for p in sleep.iterdir()) == ["backup", "nagios-report"]
    assert sorted(p.name for p in cron.iterdir() if p.is_file()) == ["unrelated"]
    assert (sleep / "backup").read_text() == "# backup\n"
    again = run("hacron", "start")
    assert again.code == 0 and again.stdout.count("already asleep") == 2, again.output

    result = run("hacron", "stop")
    assert result.code == 0, result.output
    assert sorted(p.name for p in cron.iterdir() if p.is_file()) == ["backup", "nagios-report", "unrelated"]
    assert list(sleep.iterdir()) == []
    assert run("hacron", "stop").stdout.count("already active") == 2

    write(root, "/etc/HA/cron", "backup\nmissing\n")
    assert f"{data}:2: missing: in neither" in error_line(run("hacron", "start"))


def test_hacron_with_the_generated_empty_list(run):
    result = run("hacron", "start")
    assert result.code == 0 and "nothing to start: OK" in result.stdout, result.output


# ------------------------------------------------------------------ haip (2.3.6), network namespace

@pytest.fixture
def guide_interfaces(netns):
    """bond0 and bond1, as in the example's /etc/HA/ip, each one end of a veth pair, up."""
    for name in ("bond0", "bond1"):
        netns.run("ip", "link", "add", name, "type", "veth", "peer", "name", f"{name}p")
        netns.run("ip", "link", "set", name, "up")
        netns.run("ip", "link", "set", f"{name}p", "up")
    return netns


def addresses(ns) -> set[tuple[str, str]]:
    out = ns.run("ip", "-o", "-4", "addr", "show").stdout
    return {(m.group(1), m.group(2)) for m in re.finditer(r"^\d+: (\S+)\s+inet (\S+)", out, re.M)}


GUIDE_ALIASES = {("bond0", "10.1.0.65/16"), ("bond1", "176.18.118.65/24")}


def test_haip_start_status_stop(run, root, guide_interfaces):
    """With arping when this machine has it (CLARIFICATIONS 25: .ci/run should install
    iputils-arping); without it, start warns (see the next test)."""
    ns = guide_interfaces
    arping = shutil.which("arping") is not None
    assert addresses(ns) & GUIDE_ALIASES == set()
    data = root / "etc/HA/ip"
    status = run("haip", "status", ns=ns)
    assert status.code == 1
    assert f"{data}:{line_of(data, 'bond0	10.1.0.65/16')}: bond0 does not carry 10.1.0.65/16" in error_line(status)

    result = run("haip", "start", ns=ns)
    assert result.code == 0, result.output
    assert addresses(ns) >= GUIDE_ALIASES
    if arping:
        assert "arping -U -c 2 -I bond0 10.1.0.65" in result.stdout
        assert "arping -U -c 2 -I bond1 176.18.118.65" in result.stdout
        assert "WARNING" not in result.stderr
    else:
        print("haip: arping is not installed (apt-get install iputils-arping): start ran without it")
        assert result.stderr.count("WARNING: arping not found") == 2
    assert run("haip", "status", ns=ns).code == 0

    result = run("haip", "stop", ns=ns)
    assert result.code == 0, result.output
    assert addresses(ns) & GUIDE_ALIASES == set()
    again = run("haip", "stop", ns=ns)
    assert again.code == 0 and again.stdout.count("does not carry") == 2


def test_haip_without_arping_warns_and_still_starts(run, guide_interfaces):
    result = run("haip", "start", ns=guide_interfaces, HA_ARPING="/nonexistent/arping")
    assert result.code == 0, result.output
    assert "WARNING: /nonexistent/arping not found" in result.stderr
    assert addresses(guide_interfaces) >= GUIDE_ALIASES


def test_haip_stops_at_a_missing_interface(run, root, guide_interfaces):
    ns = guide_interfaces
    ns.run("ip", "link", "del", "bond1")
    result = run("haip", "start", ns=ns, HA_ARPING="/nonexistent/arping")
    assert result.code == 1
    data = root / "etc/HA/ip"
    line = error_line(result)
    assert f"{data}:{line_of(data, 'bond1	176.18.118.65/24')}: ip -o -4 addr show dev bond1 failed" in line
    assert ("bond0", "10.1.0.65/16") in addresses(ns)         # the line before the error was done


def test_haip_refuses_a_bad_address(run, root):
    data = write(root, "/etc/HA/ip", "# interface address\n\tbond0\t10.1.0.300/16\n")
    assert f"{data}:2: '10.1.0.300/16': expected an IPv4 address/prefix" in error_line(run("haip", "status"))


# ------------------------------------------------------------------ halinks (2.3.7)

def test_halinks_repair_links_and_is_idempotent_then_undo_restores(run, root):
    data = root / "etc/HA/links"
    listed = [ln for ln in data.read_text().splitlines() if ln.startswith("/")]
    assert {"/var/lib/pgsql", "/etc/httpd"} <= set(listed), listed      # the guide's 2.3.7 list
    nothing = listed[-1]                                                # no directory there: just a link
    write(root, "/var/lib/pgsql/data/PG_VERSION", "8.1\n")
    write(root, "/etc/httpd/conf/httpd.conf", "Listen 80\n")
    assert not (root / nothing.lstrip("/")).exists()
    before = snapshot(root)

    status = run("halinks", "status")
    assert status.code == 1
    assert f"{data}:{line_of(data, '/etc/httpd')}: {root}/etc/httpd is not a symbolic link" in error_line(status)

    result = run("halinks", "repair")                          # /varha is not mounted: no copy
    assert result.code == 0, result.output
    assert os.readlink(root / "var/lib/pgsql") == "/varha/lib/pgsql"
    assert os.readlink(root / "etc/httpd") == "/etcha/httpd"
    top, rest = nothing.lstrip("/").split("/", 1)
    assert os.readlink(root / nothing.lstrip("/")) == f"/{top}ha/{rest}"
    origs = sorted(p.name for p in (root / "var/lib").glob("pgsql.orig-*"))
    assert len(origs) == 1 and re.fullmatch(r"pgsql\.orig-\d{8}-\d{6}", origs[0]), origs
    assert (root / "var/lib" / origs[0] / "data/PG_VERSION").read_text() == "8.1\n"
    assert f"{root}/varha is not mounted" in result.stdout
    assert not (root / "varha").exists()
    entries = len(listed)
    assert result.stdout.rstrip().endswith(f"repair: {entries} of {entries} path(s) of {data} changed: OK")

    repaired = snapshot(root)
    again = run("halinks", "repair")
    assert again.code == 0, again.output
    assert again.stdout.rstrip().endswith(f"repair: 0 of {entries} path(s) of {data} changed: OK")
    assert snapshot(root) == repaired                         # a second repair changes nothing
    assert run("halinks", "status").code == 0
    assert run("halinks", "start").code == 0

    result = run("halinks", "undo")
    assert result.code == 0, result.output
    after = snapshot(root)
    assert {k: after.get(k) for k in before} == before        # every directory back, every new link gone
    assert {v[0] for k, v in after.items() if k not in before} == {"dir"}   # parents repair had to create


def test_halinks_undo_restores_the_newest_orig(run, root):
    write(root, "/etc/HA/links", "/etc/httpd\n")
    write(root, "/etc/httpd.orig-20200101-000000/which", "2020\n")
    write(root, "/etc/httpd.orig-20240101-120000/which", "2024\n")
    write(root, "/etc/httpd.orig-20231231-235959/which", "2023\n")
    os.symlink("/etcha/httpd", root / "etc/httpd")
    result = run("halinks", "undo")
    assert result.code == 0, result.output
    assert not (root / "etc/httpd").is_symlink()
    assert (root / "etc/httpd/which").read_text() == "2024\n"
    assert sorted(p.name for p in (root / "etc").glob("httpd.orig-*")) == [
        "httpd.orig-20200101-000000", "httpd.orig-20231231-235959"]
    again = run("halinks", "undo")
    assert again.code == 0 and "not a symbolic link: nothing to undo: OK" in again.stdout


def test_halinks_repair_copies_to_the_mounted_shared_file_system(run, root, mntns):
    write(root, "/etc/HA/links", "/var/lib/pgsql\n/var/lib/ldap\n/etc/httpd\n")
    write(root, "/var/lib/pgsql/data/PG_VERSION", "8.1\n")
    write(root, "/var/lib/ldap/local", "local\n")
    write(root, "/etc/httpd/conf/httpd.conf", "Listen 80\n")
    for shared in ("varha", "etcha"):
        (root / shared).mkdir()
        mntns.run("mount", "-t", "tmpfs", "shared", root / shared)
    mntns.run("mkdir", "-p", root / "varha/lib/ldap")
    mntns.run("sh", "-c", f"echo shared > {root}/varha/lib/ldap/shared")

    result = run("halinks", "repair", ns=mntns)
    assert result.code == 0, result.output
    view = mntns.view(root)
    assert (view / "varha/lib/pgsql/data/PG_VERSION").read_text() == "8.1\n"      # copied: it was missing
    assert (view / "etcha/httpd/conf/httpd.conf").read_text() == "Listen 80\n"
    assert sorted(p.name for p in (view / "varha/lib/ldap").iterdir()) == ["shared"]  # it existed: kept
    assert f"{root}/varha/lib/ldap exists on the shared file system: kept" in result.stdout
    assert not (root / "varha/lib").exists()                  # all of it on the mounted file system
    assert os.readlink(root / "var/lib/pgsql") == "/varha/lib/pgsql"            # as on the node: no HA_ROOT
    again = run("halinks", "repair", ns=mntns)
    assert again.code == 0 and again.stdout.count(": OK") == 4, again.output


# ------------------------------------------------------------------ hamount (2.3.8), mount namespace

@pytest.fixture
def shared_disks(root, mntns):
    """The example's mnttab devices as ext2 images under root/dev (mounted through loop
    devices); where that fails, HA_MOUNT is a wrapper that mounts a tmpfs instead."""
    data = root / "etc/HA/mnttab"
    pairs = [ln.split() for ln in data.read_text().splitlines() if ln.startswith("/dev/")]
    (root / "dev").mkdir()
    env = {}
    for device, point in pairs:
        (root / point.lstrip("/")).mkdir()
        image = root / device.lstrip("/")
        if shutil.which("mkfs.ext2"):
            with open(image, "wb") as f:
                f.truncate(2 << 20)
            subprocess.run(["mkfs.ext2", "-q", "-F", str(image)], check=True, capture_output=True)
    probe = root / "probe"
    probe.mkdir()
    first = root / pairs[0][0].lstrip("/")
    loop = first.exists() and mntns.run("mount", first, probe, check=False).returncode == 0
    if loop:
        mntns.run("umount", probe)
    else:
        wrapper = write(root.parent, "/tmpfs-mount", '#!/bin/sh\nexec mount -t tmpfs "$(basename "$1")" "$2"\n',
                        0o755)
        env["HA_MOUNT"] = wrapper
        print("hamount: no mkfs.ext2 or no loop device here: tmpfs mounted through HA_MOUNT instead")
    probe.rmdir()
    return {"ns": mntns, "points": [str(root / p.lstrip("/")) for _, p in pairs], "data": data, "env": env,
            "pairs": pairs}


def test_hamount_start_status_stop(run, shared_disks):
    ns, points, env = shared_disks["ns"], shared_disks["points"], shared_disks["env"]
    data = shared_disks["data"]
    first = shared_disks["pairs"][0]
    status = run("hamount", "status", ns=ns, **env)
    assert status.code == 1
    assert f"{data}:{line_of(data, '	'.join(first))}: {points[0]} is not mounted" in error_line(status)

    result = run("hamount", "start", ns=ns, **env)
    assert result.code == 0, result.output
    assert set(points) <= ns.mount_points()
    assert run("hamount", "status", ns=ns, **env).code == 0
    ns.run("sh", "-c", f"echo data > {points[2]}/kept")

    again = run("hamount", "start", ns=ns, **env)          # unmounts, then mounts again
    assert again.code == 0, again.output
    assert f"umount {points[0]}" in again.stdout
    assert set(points) <= ns.mount_points()
    if "HA_MOUNT" not in env:                                # a real disk keeps its data
        assert (ns.view(points[2]) / "kept").read_text() == "data\n"

    result = run("hamount", "stop", ns=ns, **env)
    assert result.code == 0, result.output
    assert not set(points) & ns.mount_points()
    stopped = [ln for ln in result.stdout.splitlines() if ": done" in ln]
    assert [ln.split()[2].rstrip(":") for ln in stopped] == points[::-1]    # reverse order
    assert run("hamount", "stop", ns=ns, **env).stdout.count("is not mounted: OK") == len(points)


def wait_for_cwd(proc, directory, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.readlink(f"/proc/{proc.pid}/cwd") == directory:
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"process {proc.pid} never entered {directory}")


def test_hamount_stop_escalates_to_sigkill_for_a_busy_file_system(run, shared_disks):
    skip_unless_tool("fuser", "psmisc")
    ns, points, env = shared_disks["ns"], shared_disks["points"], shared_disks["env"]
    assert run("hamount", "start", ns=ns, **env).code == 0
    varha = next(p for p in points if p.endswith("/varha"))
    busy = ns.popen("sh", "-c", f"cd {varha} && exec sleep 600")
    try:
        wait_for_cwd(busy, varha)
        result = run("hamount", "stop", ns=ns, HA_UMOUNT_TRIES=2, HA_UMOUNT_DELAY=0.2, **env)
        assert result.code == 0, result.output
        assert f"SIGSTOP (try 1 of 2) to the processes using {varha}: {busy.pid}" in result.stdout
        assert "SIGSTOP (try 2 of 2)" in result.stdout
        assert f"SIGKILL (try 1 of 2) to the processes using {varha}: {busy.pid}" in result.stdout
        assert f"umount {varha}: done after SIGKILL" in result.stdout
        assert busy.wait(timeout=10) == -signal.SIGKILL
        assert not set(points) & ns.mount_points()
    finally:
        if busy.poll() is None:
            busy.kill()
            busy.wait()


def test_hamount_stop_ends_with_a_lazy_unmount(run, shared_disks):
    skip_unless_tool("fuser", "psmisc")
    ns, points, env = shared_disks["ns"], shared_disks["points"], shared_disks["env"]
    assert run("hamount", "start", ns=ns, **env).code == 0
    varha = next(p for p in points if p.endswith("/varha"))
    busy = ns.popen("sh", "-c", f"cd {varha} && exec sleep 600")
    try:
        wait_for_cwd(busy, varha)
        # signals sent through a kill that does nothing: the process survives them all
        result = run("hamount", "stop", ns=ns, HA_KILL="true", HA_UMOUNT_TRIES=1, HA_UMOUNT_DELAY=0.1, **env)
        assert result.code == 0, result.output
        assert f"WARNING: {varha} is still busy: lazy unmount" in result.stderr
        assert f"umount -l {varha}" in result.stdout
        assert busy.poll() is None
        assert not set(points) & ns.mount_points()
    finally:
        busy.kill()
        busy.wait()


def test_hamount_refuses_a_bad_line_before_doing_anything(run, root):
    data = write(root, "/etc/HA/mnttab", "/dev/sdf /etcha\nsdg /usrha\n")
    assert f"{data}:2: 'sdg /usrha': expected a /dev/ device" in error_line(run("hamount", "start"))


# ------------------------------------------------------------------ hapidcleaner (2.3.9)

def test_hapidcleaner_removes_dead_pid_files_and_keeps_live_ones(run, root):
    live = subprocess.Popen(["sleep", "600"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    try:
        write(root, "/etc/HA/pid2clean", "# pid files\n/var/lib/pgsql/data/postmaster.pid\n\n"
              "/var/run/live.pid\n/var/run/garbage.pid\n/var/run/absent.pid\n")
        postmaster = write(root, "/var/lib/pgsql/data/postmaster.pid", f"{dead.pid}\n/var/lib/pgsql/data\n")
        alive = write(root, "/var/run/live.pid", f"{live.pid}\n")
        garbage = write(root, "/var/run/garbage.pid", "not a pid\n")
        result = run("hapidcleaner", "start")
        assert result.code == 0, result.output
        assert not postmaster.exists() and not garbage.exists()
        assert alive.read_text() == f"{live.pid}\n"
        assert f"process {dead.pid} is not running: stale" in result.stdout
        assert f"process {live.pid} is running: kept" in result.stdout
        assert "absent.pid: no pid file: OK" in result.stdout
        assert result.stdout.rstrip().endswith("2 of 4 pid file(s) of " f"{root}/etc/HA/pid2clean removed: OK")
    finally:
        live.kill()
        live.wait()


# ------------------------------------------------------------------ hasynchro (2.3.10)

def test_hasynchro_compares_with_the_passive_node_and_repairs(run, root, built, tmp_path):
    skip_unless_tool("rsync", "rsync")
    peer = tmp_path / "peer"                                  # the passive node: a second root
    shutil.copytree(built / "ns13", peer)
    data = write(root, "/etc/HA/synchro", "# Which files\n/etc/HA/ip\n\n/etc/exports\n/etc/genders\n"
                 "/etc/ssh/ssh_host_rsa_key\n")
    write(root, "/etc/exports", "/home *(rw)\n")
    write(peer, "/etc/exports", "/home *(ro)\n")
    write(root, "/etc/genders", "ns0 mngt\n", 0o640)
    write(peer, "/etc/genders", "ns0 mngt\n", 0o644)
    write(root, "/etc/ssh/ssh_host_rsa_key", "KEY\n", 0o600)
    (peer / "etc/ssh").mkdir()
    env = {"HA_PEER_ROOT": peer}

    status = run("hasynchro", "status", **env)
    assert status.code == 1
    assert f"{data}:4: /etc/exports differs on ns13 ({peer}/etc/exports: " in error_line(status)
    assert "/etc/HA/ip is the same on ns13: OK" in status.stdout   # the line before it
    assert run("hasynchro", "start", **env).code == 1

    result = run("hasynchro", "repair", **env)
    assert result.code == 0, result.output
    assert result.stdout.rstrip().endswith(f"repair: 3 of 4 file(s) of {data} copied to ns13: OK")
    assert (peer / "etc/exports").read_text() == "/home *(rw)\n"
    assert (peer / "etc/genders").stat().st_mode & 0o777 == 0o640
    assert (peer / "etc/ssh/ssh_host_rsa_key").read_text() == "KEY\n"
    assert (peer / "etc/ssh/ssh_host_rsa_key").stat().st_mode & 0o777 == 0o600

    again = run("hasynchro", "repair", **env)                # guide 3.1.6.2: the second run says OK
    assert again.code == 0, again.output
    assert again.stdout.count("is the same on ns13: OK") == 4
    assert again.stdout.rstrip().endswith("0 of 4 file(s) of " f"{data} copied to ns13: OK")
    assert run("hasynchro", "status", **env).code == 0

    write(root, "/etc/HA/synchro", "/etc/HA/ip\n/etc/absent\n")
    assert f"{data}:2: {root}/etc/absent: no such file on this node" in error_line(run("hasynchro", "status", **env))


# ------------------------------------------------------------------ hasyslogng (2.3.11)

def syslog_ng_config_version() -> str:
    out = subprocess.run(["syslog-ng", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"Config version: (\d+\.\d+)", out)
    return m.group(1) if m else "3.0"


def test_hasyslogng_moves_the_logs_to_varha_and_back(run, root, mntns):
    skip_unless_tool("syslog-ng", "syslog-ng-core")
    skip_unless_tool("logger", "bsdutils")
    # the node's configuration, kept off this machine's /dev/log: one socket under the root
    write(root, "/etc/syslog-ng/syslog-ng.conf", f"""@version: {syslog_ng_config_version()}
options {{ create_dirs(yes); }};
source s_local {{ unix-dgram("{root}/dev/log"); internal(); }};
destination d_messages {{ file("/var/log/messages"); }};
log {{ source(s_local); destination(d_messages); }};
""")
    (root / "dev").mkdir()
    stub_service(root, "/etc/init.d/syslog-ng")
    (root / "varha").mkdir()

    refused = run("hasyslogng", "start", ns=mntns)
    assert refused.code == 1
    assert f"{root}/varha is not mounted" in error_line(refused)

    mntns.run("mount", "-t", "tmpfs", "varha", root / "varha")
    result = run("hasyslogng", "start", ns=mntns)
    pidfile = mntns.view(root / "var/run/syslog-ng-ha.pid")
    try:
        assert result.code == 0, result.output
        assert calls(root) == [f"/etc/init.d/syslog-ng stop {root}"]
        haconf = (root / "etc/syslog-ng/syslog-ng-ha.conf").read_text()
        assert f'file("{root}/varha/log/messages")' in haconf
        assert run("hasyslogng", "status", ns=mntns).code == 0
        mntns.run("logger", "-u", root / "dev/log", "hello from the active node")
        messages = mntns.view(root / "varha/log/messages")
        deadline = time.monotonic() + 10
        while not (messages.exists() and "hello from the active node" in messages.read_text()):
            assert time.monotonic() < deadline, "syslog-ng never wrote to /varha/log/messages"
            time.sleep(0.05)
        assert not (root / "var/log/messages").exists()

        result = run("hasyslogng", "stop", ns=mntns)
        assert result.code == 0, result.output
        assert calls(root)[-1] == f"/etc/init.d/syslog-ng start {root}"
        assert not pidfile.exists()
        assert run("hasyslogng", "status", ns=mntns).code == 1
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)


# ------------------------------------------------------------------ haunwantedfiles (2.3.12)

def test_haunwantedfiles_report_repair_undo(run, root):
    rc = {"rc3.d/S85httpd": "../init.d/httpd", "rc5.d/S85httpd": "../init.d/httpd",
          "rc0.d/K15httpd": "../init.d/httpd", "rc3.d/S64postgresql": "../init.d/postgresql",
          "rc3.d/S10network": "../init.d/network", "rc3.d/S99local": "../rc.local"}
    for rel, target in rc.items():
        link = root / "etc" / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)
    stub_service(root, "/etc/init.d/httpd")
    stub_service(root, "/etc/init.d/postgresql", fail_on="stop", code=1)   # not running: its stop fails
    stub_service(root, "/etc/init.d/network")
    start = root / "etc/HA/start"
    before = snapshot(root)

    status = run("haunwantedfiles", "status")
    assert status.code == 1
    line = error_line(status)
    assert f"{start}:{line_of(start, '/etc/init.d/postgresql')}: {root}/etc/rc3.d/S64postgresql" in line
    assert run("haunwantedfiles", "start").code == 1

    report = run("haunwantedfiles", "report")
    assert report.code == 0, report.output
    assert report.stdout.count("starts at boot, but haservices manages it") == 4
    assert snapshot(root) == before and calls(root) == []

    result = run("haunwantedfiles", "repair")
    assert result.code == 0, result.output
    for rel in ("rc3.d/S85httpd", "rc5.d/S85httpd", "rc0.d/K15httpd", "rc3.d/S64postgresql"):
        directory, name = rel.split("/")
        assert not (root / "etc" / rel).is_symlink()
        assert os.readlink(root / "etc" / directory / "HA_UNWANTED" / name) == rc[rel]
    assert (root / "etc/rc3.d/S10network").is_symlink() and (root / "etc/rc3.d/S99local").is_symlink()
    assert sorted(calls(root)) == [f"/etc/init.d/httpd stop {root}", f"/etc/init.d/postgresql stop {root}"]
    assert "service postgresql stop FAILED" in result.stdout
    assert result.stdout.rstrip().endswith("repair: 4 link(s) moved to HA_UNWANTED: OK")

    repaired = snapshot(root)
    again = run("haunwantedfiles", "repair")
    assert again.code == 0 and again.stdout.rstrip().endswith("repair: 0 link(s) moved to HA_UNWANTED: OK")
    assert snapshot(root) == repaired
    assert run("haunwantedfiles", "status").code == 0

    result = run("haunwantedfiles", "undo")
    assert result.code == 0, result.output
    assert "undo: 4 link(s) moved back: OK" in result.stdout
    after = snapshot(root)
    assert {k: v for k, v in after.items() if k != "calls.log"} == {k: v for k, v in before.items()}
    assert run("haunwantedfiles", "status").code == 1
