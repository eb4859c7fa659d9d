"""hagen's own validators of today's stack's files (hagen.kinds.pacemaker): each rule
refuses what it must, and the CIB's structural diff reads by resource id and attribute."""

from __future__ import annotations

from conftest import GOLDEN
from hagen.kinds.pacemaker import (cib_flat, diff_cib, diff_corosync, diff_lines, validate_chrony, validate_cib,
                                   validate_corosync)
from hagen.render.pacemaker import corosync_tree

EL9 = GOLDEN / "xena-el9"
CIB = (EL9 / "xena1" / "etc" / "hagen" / "cib.xml").read_text()
COROSYNC = (EL9 / "xena1" / "etc" / "corosync" / "corosync.conf").read_text()
CHRONY = (GOLDEN / "bas5-guide-el9" / "ns0" / "etc" / "chrony.conf").read_text()


def problems(text: str) -> str:
    return " | ".join(validate_cib(text.encode()))


def test_the_built_files_pass():
    assert validate_cib(CIB.encode()) == []
    assert validate_corosync(COROSYNC.encode()) == []
    assert validate_chrony(CHRONY.encode()) == []


def test_cib_rules():
    assert "pacemaker-3.9 or older" in problems(CIB.replace("pacemaker-2.5", "pacemaker-3.10"))
    assert "newer than 3.16.1" in problems(CIB.replace('crm_feature_set="3.0.10"', 'crm_feature_set="3.17.4"'))
    assert problems(CIB.replace('crm_feature_set="3.0.10"', 'crm_feature_set="3.16.1"')) == ""
    assert "no crm_feature_set" in problems(CIB.replace('crm_feature_set="3.0.10" ', ""))
    assert "used twice" in problems(CIB.replace('id="fence_xena2"', 'id="fence_xena1"'))
    assert "unknown resource" in problems(CIB.replace('rsc="lustre_data_mdt"', 'rsc="nothing"', 1))
    assert "unknown node" in problems(CIB.replace('node="xena2" score="100"', 'node="xena9" score="100"', 1))
    assert "unknown device" in problems(CIB.replace('devices="fence_xena1"', 'devices="fence_x"'))
    assert "holds a password" in problems(CIB.replace('name="password_script"', 'name="password"', 1))
    assert "stonith-enabled" in problems(CIB.replace('name="stonith-enabled" value="true"',
                                                     'name="stonith-enabled" value="false"'))
    assert "not <cib>" in problems("<config/>")
    assert "not well-formed" in problems("<cib>")


def test_corosync_rules():
    def bad(text):
        return " | ".join(validate_corosync(text.encode()))

    assert "knet" in bad(COROSYNC.replace("transport: knet", "transport: udpu"))
    assert "longer than 15" in bad(COROSYNC.replace("cluster_name: xena_mds", "cluster_name: a_very_long_name_x"))
    assert "own nodeid" in bad(COROSYNC.replace("nodeid: 2", "nodeid: 1"))
    assert "not closed" in bad(COROSYNC + "totem {\n")
    assert "closes nothing" in bad("}\n")
    assert "neither" in bad("totem\n")
    third = "nodelist {\n node {\n name: x\n nodeid: 3\n ring0_addr: 10.1.9.9\n }\n}\n"
    assert "two_node" in bad(COROSYNC + third)


def test_chrony_rules():
    assert validate_chrony(b"server a iburst\nfudge 127.127.1.0 stratum 10\n") == ["line 2: unknown directive fudge"]


def test_cib_flat_keys_by_resource_and_attribute():
    flat = cib_flat(CIB)
    assert flat["primitive lustre_data_mdt: target"] == "/dev/ldn.da1.2"
    assert flat["rsc_location prefer_lustre_data_mdt_xena2: @score"] == "100"
    assert flat["property stonith-enabled"] == "true"
    assert flat["cib: validate-with"] == "pacemaker-2.5"


def test_diff_cib_adds_removes_changes_and_masks_a_password():
    new = CIB.replace('value="/lustre/data/data_mdt"', 'value="/mnt/data_mdt"')
    assert diff_cib(CIB, new) == ["~ primitive lustre_data_mdt: mountpoint: /lustre/data/data_mdt -> /mnt/data_mdt"]
    gone = CIB.replace('<rsc_location id="prefer_lustre_data_mdt_xena1" rsc="lustre_data_mdt" node="xena1" '
                       'score="50"/>', "")
    assert diff_cib(CIB, gone) == ["- rsc_location prefer_lustre_data_mdt_xena1: @node: xena1",
                                   "- rsc_location prefer_lustre_data_mdt_xena1: @rsc: lustre_data_mdt",
                                   "- rsc_location prefer_lustre_data_mdt_xena1: @score: 50"]
    secret = CIB.replace('name="username" value="root"', 'name="password" value="s3cret"', 1)
    assert "s3cret" not in " ".join(diff_cib(CIB, secret))


def test_group_order_is_part_of_the_comparison():
    nfs = (EL9 / "xena11" / "etc" / "hagen" / "cib.xml").read_text()
    a = '<primitive id="ip_xenanfs" '
    b = '<primitive id="ip_xenanfs_BK" '
    swapped = nfs.replace(a, "@@A@@").replace(b, a).replace("@@A@@", b)
    assert any(line.startswith("~ group nfs_service_xena_nfs: members") for line in diff_cib(nfs, swapped))


def test_corosync_tree_and_diff():
    tree = corosync_tree(COROSYNC)
    assert [n["name"] for n in tree["nodelist"][0]["node"]] == ["xena1", "xena2"]
    changed = COROSYNC.replace("ring0_addr: 10.1.1.2", "ring0_addr: 10.1.1.99")
    assert diff_corosync(COROSYNC, changed) == ["~ nodelist[1].node[xena2].ring0_addr: 10.1.1.2 -> 10.1.1.99"]


def test_diff_lines():
    assert diff_lines("a\n# c\nb\n", "a\nc\n") == ["+ c", "- b"]
