"""The kinds registry (hagen.kinds): each kind found by its template, or by its path (a CIB
by its root element); its validator, its versioning, the structural diff `hagen diff`
shows, its action and how often it runs, its managed block; and no table of kinds
anywhere else in hagen/."""

from __future__ import annotations

import re

import pytest

from conftest import GOLDEN, REPO
from hagen.kinds import CELL, NODE, Kind, KindError, Registry, registry

CIB_FILE = GOLDEN / "xena-el9" / "xena11" / "etc" / "hagen" / "cib.xml"
CLUSTER_CONF_FILE = GOLDEN / "xena" / "xena11" / "etc" / "cluster" / "cluster.conf"


def _kind(name):
    return registry().named(name)


def _structural(path, old, new, show=False, secrets=()):
    kind = registry().of_file(path, new.encode())
    return None if kind is None or kind.diff is None else kind.diff(old, new, secrets, show)


def test_each_kind_is_found_by_its_path_or_content():
    kinds = registry()
    assert kinds.of_file("/etc/cluster/cluster.conf") is _kind("cluster.conf")
    assert kinds.of_file("/etc/ocfs2/cluster.conf") is None
    assert kinds.of_file("/etc/corosync/corosync.conf") is _kind("corosync.conf")
    assert kinds.of_file("/etc/chrony.conf") is _kind("chrony.conf")
    assert kinds.of_file("/anywhere/cluster.xml", CIB_FILE.read_bytes()) is _kind("cib")
    assert kinds.of_file("/anywhere/other.xml", b"<config/>") is None
    assert kinds.of_file("/etc/sysconfig/network-scripts/ifcfg-bond0") is _kind("ifcfg")
    assert kinds.of_file("/etc/HA/start") is _kind("service list")
    assert kinds.of_file("/etc/HA/bin/haip") is None


def test_each_kind_is_found_by_its_template_and_a_link_by_its_target():
    kinds = registry()
    assert kinds.of_template("cluster/lustre.conf.xml.j2") is _kind("cluster.conf")
    assert kinds.of_template("hosts/hosts.j2").name == "file"
    assert kinds.of_template("symlink", "/usr/sbin/lustre_failover") is _kind("lustre_failover link")
    assert kinds.of_template("symlink", "/elsewhere").name == "symlink"


def test_validators_are_the_kinds_own():
    assert _kind("cib").validate(CIB_FILE.read_bytes()) == []
    assert _kind("cib").validate(b"<cib") != []
    assert _kind("cluster.conf").validate(CLUSTER_CONF_FILE.read_bytes()) == []


def test_cluster_conf_is_versioned_and_the_others_are_not():
    data = CLUSTER_CONF_FILE.read_bytes()
    cman, cib = _kind("cluster.conf"), _kind("cib")
    assert cman.versioned and cman.version_of(data) == 1
    assert b'config_version="0"' in cman.normalised(data)
    assert not cib.versioned and cib.version_of(b"<cib/>") is None and cib.normalised(b"x") == b"x"
    assert [k.name for k in registry() if k.versioned] == ["cluster.conf"]


def test_structural_diff_of_two_cibs_names_resource_and_attribute():
    old = CIB_FILE.read_text()
    new = old.replace('name="fsid" value="7"', 'name="fsid" value="9"')
    assert _structural("/etc/hagen/cib.xml", old, new) == ["~ primitive export_nfs_mount_point1: fsid: 7 -> 9"]
    assert _structural("/etc/hagen/cib.xml", old, old) == []


def test_structural_diff_of_cluster_conf_keeps_todays_strategy():
    old = CLUSTER_CONF_FILE.read_text()
    new = old.replace('post_join_delay="30"', 'post_join_delay="40"')
    lines = _structural("/etc/cluster/cluster.conf", old, new)
    assert lines and all("post_join_delay" in ln for ln in lines)


def test_no_structural_strategy_is_none():
    assert _structural("/etc/hosts", "a\n", "b\n") is None


def test_a_side_that_does_not_parse_raises_value_error():
    with pytest.raises(ValueError):
        _structural("/etc/hagen/cib.xml", "<cib", CIB_FILE.read_text())


def test_each_validated_kind_says_what_its_validator_checks():
    validated = [k for k in registry() if k.validate is not None]
    assert {k.name for k in validated} == {"cluster.conf", "cib", "corosync.conf", "chrony.conf"}
    assert all(k.checks for k in validated)
    assert "cluster-conf.rng" in _kind("cluster.conf").checks and "pacemaker-3.9" in _kind("cib").checks


def test_secrets_are_masked_unless_shown():
    old = CLUSTER_CONF_FILE.read_text()
    new = old.replace('passwd="', 'passwd="x', 1)
    masked = _structural("/etc/cluster/cluster.conf", old, new)
    assert masked and all("********" in ln for ln in masked)
    shown = _structural("/etc/cluster/cluster.conf", old, new, show=True)
    assert any("-> x" in ln for ln in shown)


def test_each_kind_names_its_action_and_how_often_it_runs():
    assert _kind("cib").action == "/etc/hagen/cib-apply" and _kind("cib").runs == CELL
    assert _kind("corosync.conf").action == "corosync-cfgtool -R" and _kind("corosync.conf").runs == CELL
    assert _kind("cluster.conf").action.startswith("ccs_tool update") and _kind("cluster.conf").runs == CELL
    assert _kind("chrony.conf").action and _kind("chrony.conf").runs == NODE
    assert [k.name for k in registry() if k.cell_config] == ["cluster.conf", "corosync.conf"]


def test_blocks_and_system_files_are_the_kinds():
    kinds = registry()
    assert kinds.of_template("nfs/fstab.j2").block_for("nfs/fstab.j2") == "nfs-clients"
    assert kinds.of_template("mngt/ntp.conf.j2").block_for("mngt/ntp.conf.j2") == "ntp-conf"
    assert not _kind("cluster.conf").may_be_block
    assert kinds.system_paths() == {"/etc/fstab", "/etc/exports", "/etc/modprobe.conf", "/etc/sudoers",
                                    "/etc/hosts-tpl"}


def test_a_kind_cannot_take_another_kinds_name_or_template():
    kinds = Registry([Kind("a", templates=("x.j2",))])
    with pytest.raises(KindError):
        kinds.add(Kind("a"))
    with pytest.raises(KindError):
        kinds.add(Kind("b", templates=("x.j2",)))
    with pytest.raises(KindError):
        kinds.add(Kind("c", runs="sometimes"))


# what a table of kinds looked like before the registry: a dict or set keyed by templates or
# by the paths of hagen's files, or a path test on one of them
_TABLE = re.compile(r'\{\s*"(?:cluster|el9|mngt|nfs|batch|network|lustre|hosts)/[\w.]+\.j2"\s*[:,}]'
                    r'|endswith\("/cluster/cluster\.conf"\)|startswith\("/etc/HA/"\)'
                    r'|startswith\(\("ifcfg-", "route-"\)\)|\("pbs\.conf", "lustre\.cfg"\)'
                    r'|frozenset\(\{"/etc/fstab", "/etc/exports"')
_GONE = ("VALIDATORS", "FORMATS", "ACTIONS", "CELL_TEMPLATES", "BLOCK_NAMES", "SERVICE_LISTS", "SYSTEM_FILES",
         "_cman_only", "format_for")


def test_no_table_of_kinds_outside_the_registry():
    found = []
    for path in sorted((REPO / "hagen").rglob("*.py")):
        if path.parent.name == "kinds":
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(REPO)}: {m.group(0)}" for m in _TABLE.finditer(text)]
        found += [f"{path.relative_to(REPO)}: {name}" for name in _GONE if re.search(rf"\b{name}\b", text)]
    assert not found, found
