"""Today's stack's programs accept what the el9-pacemaker examples build: crm_verify each
CIB, corosync -t each corosync.conf (in a private network namespace holding the node's
ring addresses, as root), chronyd -p each chrony.conf, NetworkManager's keyfile grammar
for each *.nmconnection, Python compiles the apply script. And crm_simulate fails each node
of each cell in turn and finds every resource of the cell started on the other node.
.ci/run installs the Debian packages (corosync pacemaker-cli-utils pacemaker chrony);
without one, its test skips and says which.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess

import pytest
from lxml import etree

from conftest import EXAMPLES
from hagen.compile.pipeline import build

SITES = sorted(EXAMPLES.glob("*/site-el9.yaml"))


def need(tool: str, package: str):
    if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
        pytest.skip(f"{tool} is not installed (apt-get install {package}; .ci/run does)")


@pytest.fixture(scope="module", params=SITES, ids=lambda p: p.parent.name)
def tree(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("el9") / "out"
    build(request.param, out)
    return out.resolve()


def files(tree, pattern):
    return sorted(p for p in tree.glob(pattern) if p.is_file())


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def test_crm_verify_accepts_each_cib(tree):
    need("crm_verify", "pacemaker-cli-utils")
    cibs = files(tree, "*/etc/hagen/cib.xml")
    assert cibs
    for path in cibs:
        proc = run(["crm_verify", "--xml-file", str(path)])
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "error" in ln.lower()]
        assert not errors, f"{path}: {proc.stdout}{proc.stderr}"


def test_corosync_accepts_each_configuration(tree):
    need("corosync", "corosync")
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("corosync -t needs the node's ring addresses: a network namespace, as root")
    confs = files(tree, "*/etc/corosync/corosync.conf")
    assert confs
    for path in confs:
        host = path.relative_to(tree).parts[0]
        text = path.read_text()
        block = next(b for b in re.findall(r"node\s*\{([^{}]*)\}", text) if re.search(rf"name:\s*{host}\n", b))
        addrs = re.findall(r"ring\d+_addr:\s*(\S+)", block)
        setup = " && ".join(["ip link set lo up"] + [f"ip addr add {a}/32 dev lo" for a in addrs])
        proc = run(["unshare", "-n", "sh", "-c", f"{setup} && exec corosync -t -c '{path}'"])
        if "Operation not permitted" in proc.stderr and proc.returncode != 0:
            pytest.skip("no privilege for a network namespace here")
        assert proc.returncode == 0, f"{path}: {proc.stdout}{proc.stderr}"


def test_chronyd_parses_each_configuration(tree):
    need("chronyd", "chrony")
    confs = files(tree, "*/etc/chrony.conf")
    assert confs or not files(tree, "*/etc/NetworkManager/system-connections/*")
    for path in confs:
        proc = run([shutil.which("chronyd") or "/usr/sbin/chronyd", "-p", "-f", str(path)])
        assert proc.returncode == 0, f"{path}: {proc.stderr}"


def test_keyfiles_follow_networkmanagers_grammar(tree):
    for path in files(tree, "*/etc/NetworkManager/system-connections/*.nmconnection"):
        cp = configparser.ConfigParser(interpolation=None, strict=True)
        cp.read_string(path.read_text())
        assert cp.get("connection", "id") and cp.get("connection", "type"), path
        assert path.stat().st_mode & 0o077 == 0, f"{path}: NetworkManager ignores a keyfile others can read"


def test_the_apply_script_is_python_that_el9s_python_compiles(tree):
    for path in files(tree, "*/etc/hagen/cib-apply"):
        assert path.read_text().startswith("#!/usr/bin/python3\n")
        compile(path.read_text(), str(path), "exec")


def resources_of(cib_path) -> set[str]:
    """The cell's resources that run on one node (a clone's, the link monitors', run on both)."""
    root = etree.parse(str(cib_path)).getroot()
    return {p.get("id") for p in root.iter("primitive") if p.getparent().tag != "clone"}


def placed_after_failing(cib_path, tmp_path, failed: str, up: list[str]) -> dict[str, str]:
    """Where each resource is started once `failed` fails (CLARIFICATIONS 38): {id: node}."""
    work = tmp_path / f"{failed}.xml"
    shutil.copyfile(cib_path, work)
    args = ["crm_simulate", "-x", str(work), "-q", "1", "-X"]
    for node in up:
        args += ["-u", node]
    proc = run(args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run(["crm_simulate", "-x", str(work), "-S", "-f", failed])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    revised = proc.stdout.split("Revised Cluster Status:", 1)[1]
    assert re.search(rf"OFFLINE: \[ {failed} \]", revised), revised
    return dict(re.findall(r"\*\s+(\S+)\s+\([^)]*\):\s+Started (\S+)", revised))


def test_every_resource_of_a_cell_fails_over_to_the_other_node(tree, tmp_path):
    need("crm_simulate", "pacemaker-cli-utils")
    seen = set()
    for path in files(tree, "*/etc/hagen/cib.xml"):
        root = etree.parse(str(path)).getroot()
        nodes = [n.get("uname") for n in root.iter("node")]
        if tuple(nodes) in seen:
            continue
        seen.add(tuple(nodes))
        for failed in nodes:
            other = next(n for n in nodes if n != failed)
            placed = placed_after_failing(path, tmp_path, failed, nodes)
            missing = {r: placed.get(r, "stopped") for r in resources_of(path) if placed.get(r) != other}
            assert not missing, f"{path} with {failed} failed: not on {other}: {missing}"
    assert seen
