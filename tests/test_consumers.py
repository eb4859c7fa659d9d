"""The real programs that read hagen's artifacts accept them.

Each test hands the example's files to the consumer itself (syslog-ng, kmod, bash,
xmllint with the public RHEL5 and RHEL6 cluster.conf schemas, and the oracle
check-tree of ../shared when present). .ci/run installs the Debian packages; on a
machine without one, its test skips and says which package to install.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import CHECK_TREE, EXAMPLES, SHARED, requires_shared
from hagen.compile.pipeline import build

SITES = sorted(EXAMPLES.glob("*/site*.yaml"))


def need(tool: str, package: str):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install {package}; .ci/run does)")


@pytest.fixture(scope="module", params=SITES, ids=lambda p: f"{p.parent.name}/{p.name}")
def tree(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("consumers") / "out"
    build(request.param, out)
    return out.resolve()


def files(tree, pattern):
    found = sorted(p for p in tree.glob(pattern) if p.is_file())
    return found


def test_every_file_passes_its_kinds_own_validator(tree):
    """hagen's own validators (each kind's: hagen.kinds, found by the file's path or content,
    as for a gathered tree) accept every file of every example; cluster.conf is among them."""
    from hagen.kinds import registry

    kinds, seen = registry(), set()
    for path in sorted(p for p in tree.rglob("*") if p.is_file() and not p.is_symlink()):
        host, *rest = path.relative_to(tree).parts
        if host.startswith(".") or not rest:
            continue
        data = path.read_bytes()
        kind = kinds.of_file("/" + "/".join(rest), data)
        if kind is not None and kind.validate is not None:
            seen.add(kind.name)
            assert kind.validate(data) == [], path
    assert seen & {"cluster.conf", "cib"}, seen


@requires_shared
@pytest.mark.parametrize("schema", ["cluster-rhel5.ng", "cluster-rhel6.rng"])
def test_cluster_conf_passes_the_public_schemas(tree, schema):
    need("xmllint", "libxml2-utils")
    for path in files(tree, "*/etc/cluster/cluster.conf"):
        proc = subprocess.run(["xmllint", "--noout", "--relaxng", str(SHARED / "oracles" / schema), str(path)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_syslog_ng_accepts_its_configuration(tree):
    need("syslog-ng", "syslog-ng-core")
    for path in files(tree, "*/etc/syslog-ng/syslog-ng.conf"):
        proc = subprocess.run(["syslog-ng", "--syntax-only", "-f", str(path)], capture_output=True, text=True)
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln or "rror parsing" in ln]
        assert proc.returncode == 0 and not errors, proc.stdout + proc.stderr


def test_kmod_reads_the_bonding_lines(tree, tmp_path):
    need("modprobe", "kmod")
    for path in files(tree, "*/etc/modprobe.conf") + files(tree, "*/etc/modprobe.d/*.conf"):
        conf = tmp_path / "x.conf"
        shutil.copyfile(path, conf)
        proc = subprocess.run(["modprobe", "-C", str(tmp_path), "--showconfig"], capture_output=True, text=True)
        assert "ignoring bad line" not in proc.stderr, proc.stderr
        assert "alias bond0 bonding" in proc.stdout
        # the primary: on the one module line (bonds alike), else in each bond's BONDING_OPTS
        etc = path.parent if path.parent.name == "etc" else path.parents[1]
        scripts = etc / "sysconfig" / "network-scripts"
        each = [p.read_text() for p in scripts.glob("ifcfg-bond*")]
        assert re.search(r"^options bonding .*primary=", proc.stdout, re.M) or (
            each and all(re.search(r'^BONDING_OPTS="[^"]*primary=', t, re.M) for t in each))


# a bare value, or one in double quotes holding nothing the shell expands (BONDING_OPTS)
NAME_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=([^\s\"'`$;&|<>]*|\"[^\"`$\\]*\")$")


def test_network_scripts_are_sourceable_name_value_files(tree):
    scripts = files(tree, "*/etc/sysconfig/network-scripts/*")
    # hagen writes interface files for the management pair only (examples/xena has none)
    assert scripts or not files(tree, "*/etc/HA/start")
    for path in scripts:
        proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        for line in path.read_text().splitlines():
            assert line.startswith("#") or NAME_VALUE.match(line), f"{path}: {line!r}"


@requires_shared
def test_check_tree_passes_everything_and_skips_nothing(tree):
    proc = subprocess.run([sys.executable, str(CHECK_TREE), "--require-all", str(tree)],
                          capture_output=True, text=True, timeout=300)
    summary = proc.stdout.strip().splitlines()[-1]
    # the one skip allowed: a slurm.conf in the guide's SLURM 1.x syntax, which no parser here reads
    skips = [ln for ln in proc.stdout.splitlines() if ln.startswith("skip ")]
    legacy = [ln for ln in skips if "/slurm.conf: SLURM 1.x syntax" in ln]
    assert proc.returncode == 0 or (legacy and legacy == skips), proc.stdout + proc.stderr
    assert f" 0 failed, {len(legacy)} skipped" in summary, summary
