"""One use per LUN (HA333): a device named twice across mnttab, the NFS exports, the quorum
disks, the Lustre targets and the OCFS2 partition is refused, the report naming every place."""

from __future__ import annotations

import pytest

from example_helpers import Example, find


@pytest.fixture
def xena(tmp_path):
    return Example(tmp_path)


@pytest.fixture
def bas5(tmp_path):
    return Example(tmp_path, "bas5-guide")


def test_an_export_on_the_quorum_lun(xena):
    xena.edit_site(lambda s: s["nfs"]["exports"][0].update(device="/dev/ldn.da0.0"))
    r = xena.assert_reports("HA333", "nfs.exports[0].device")
    assert "quorum disk of cell xena_nfs" in r[0].message and "clusterdb da_iocell[name=xena_nfs]" in r[0].message
    assert r[0].where.line == xena.line_of("/dev/ldn.da0.0")


def test_two_mnttab_entries_on_one_device(bas5):
    bas5.edit_site(lambda s: s["management"]["mnttab"][4].update(device="/dev/sdf"))
    r = bas5.assert_reports("HA333", "management.mnttab[0].device")
    assert "management.mnttab[4]" in r[0].message and "/etcha" in r[0].message and "/homeha" in r[0].message


def test_a_lustre_target_on_the_quorum_lun(xena):
    xena.edit_rows(lambda t: find(t, "da_iocell", name="xena_mds").update(
        quorum_device="/dev/ldn.da1.2"))
    r = [x for x in xena.reports() if x.code == "HA333"]
    assert r and "clusterdb da_iocell[name=xena_mds]" in r[0].message and "MDT" in r[0].message


def test_the_ocfs2_partition_on_an_mnttab_lun(bas5):
    bas5.site = bas5.folder / "site-slurm.yaml"
    bas5.edit_site(lambda s: s["batch"]["ocfs2"].update(device="/dev/sdh"))
    r = bas5.assert_reports("HA333", "management.mnttab[2].device")
    assert "OCFS2" in r[0].message and "batch.ocfs2.device" in r[0].message


def test_one_name_on_two_cells_is_two_luns(xena):
    # /dev/ldn.da0.0 on the NFS cell and on a Lustre cell: different nodes, different LUNs
    xena.edit_rows(lambda t: find(t, "da_iocell", name="xena_mds").update(quorum_device="/dev/ldn.da0.0"))
    assert "HA333" not in {r.code for r in xena.reports()}
