"""Artifact formats (hagen.kinds.formats): each kind found by its path (a CIB by its root
element), its validator reached through hagen.render.validate, its versioning, and
the structural diff `hagen diff` is to show."""

from __future__ import annotations

import pytest

from conftest import GOLDEN
from hagen.kinds.formats import CIB, CHRONY, CLUSTER_CONF, COROSYNC, FORMATS, format_for, structural_diff
from hagen.render.validate import validate

CIB_FILE = GOLDEN / "xena-el9" / "xena11" / "etc" / "hagen" / "cib.xml"
CLUSTER_CONF_FILE = GOLDEN / "xena" / "xena11" / "etc" / "cluster" / "cluster.conf"


def test_each_kind_is_found_by_its_path_or_content():
    assert format_for("/etc/cluster/cluster.conf") is CLUSTER_CONF
    assert format_for("/etc/ocfs2/cluster.conf") is None
    assert format_for("/etc/corosync/corosync.conf") is COROSYNC
    assert format_for("/etc/chrony.conf") is CHRONY
    assert format_for("/anywhere/cluster.xml", CIB_FILE.read_bytes()) is CIB
    assert format_for("/anywhere/other.xml", b"<config/>") is None
    assert set(FORMATS) == {"cluster.conf", "cib", "corosync.conf", "chrony.conf"}


def test_validators_are_reached_through_the_render_hook():
    assert validate("cib", CIB_FILE.read_bytes()) == []
    assert validate("cib", b"<cib") != []
    assert validate("cluster.conf", CLUSTER_CONF_FILE.read_bytes()) == []


def test_cluster_conf_is_versioned_and_the_others_are_not():
    data = CLUSTER_CONF_FILE.read_bytes()
    assert CLUSTER_CONF.versioned and CLUSTER_CONF.version_of(data) == 1
    assert b'config_version="0"' in CLUSTER_CONF.normalised(data)
    assert not CIB.versioned and CIB.version_of(b"<cib/>") is None and CIB.normalised(b"x") == b"x"


def test_structural_diff_of_two_cibs_names_resource_and_attribute():
    old = CIB_FILE.read_text()
    new = old.replace('name="fsid" value="7"', 'name="fsid" value="9"')
    assert structural_diff("/etc/hagen/cib.xml", old, new) == ["~ primitive export_nfs_mount_point1: fsid: 7 -> 9"]
    assert structural_diff("/etc/hagen/cib.xml", old, old) == []


def test_structural_diff_of_cluster_conf_keeps_todays_strategy():
    old = CLUSTER_CONF_FILE.read_text()
    new = old.replace('post_join_delay="30"', 'post_join_delay="40"')
    lines = structural_diff("/etc/cluster/cluster.conf", old, new)
    assert lines and all("post_join_delay" in ln for ln in lines)


def test_no_structural_strategy_is_none():
    assert structural_diff("/etc/hosts", "a\n", "b\n") is None


def test_a_side_that_does_not_parse_raises_value_error():
    with pytest.raises(ValueError):
        structural_diff("/etc/hagen/cib.xml", "<cib", CIB_FILE.read_text())


def test_each_format_says_what_its_validator_checks():
    assert all(fmt.checks for fmt in FORMATS.values())
    assert "cluster-conf.rng" in CLUSTER_CONF.checks and "pacemaker-3.9" in CIB.checks


def test_secrets_are_masked_unless_shown():
    old = CLUSTER_CONF_FILE.read_text()
    new = old.replace('passwd="', 'passwd="x', 1)
    masked = structural_diff("/etc/cluster/cluster.conf", old, new)
    assert masked and all("********" in ln for ln in masked)
    shown = structural_diff("/etc/cluster/cluster.conf", old, new, show=True)
    assert any("-> x" in ln for ln in shown)


def test_each_format_names_what_makes_a_node_take_it():
    assert CIB.reload == "/etc/hagen/cib-apply" and COROSYNC.reload == "corosync-cfgtool -R"
    assert CLUSTER_CONF.reload.startswith("ccs_tool update") and CHRONY.reload
