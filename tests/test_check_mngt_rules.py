"""Rules of the management pair the guide states (HA330-HA332): its admin alias, its
backbone alias, and no mount point where halinks moves a directory or at /var/lib/pgsql.
One bad ClusterDB row or site key of examples/bas5-guide each, with its code and place."""

from __future__ import annotations

import pytest

from example_helpers import Example


@pytest.fixture
def ex(tmp_path):
    return Example(tmp_path, "bas5-guide")


def drop_alias(name):
    return lambda t: t.__setitem__("metaservice_port", [r for r in t["metaservice_port"] if r["name"] != name])


def test_the_example_is_clean(ex):
    assert not {r.code for r in ex.reports()} & {"HA330", "HA331", "HA332"}


def test_ha330_no_admin_alias(ex):
    ex.edit_rows(drop_alias("ns"))
    r = ex.assert_reports("HA330", "clusterdb da_iocell[name=ns_mngt]")
    assert "admin" in r[0].message


def test_ha331_a_backbone_without_backbone_alias(ex):
    ex.edit_rows(drop_alias("ns-bk"))
    ex.assert_reports("HA331", "clusterdb da_iocell[name=ns_mngt]")


def test_ha332_a_mount_point_below_a_moved_directory(ex):
    ex.edit_site(lambda s: s["management"]["mnttab"].append({"device": "/dev/sdk", "mount_point": "/var/lib/pgsql/data"}))
    r = ex.assert_reports("HA332", "management.mnttab[5].mount_point")
    assert "/var/lib/pgsql, which halinks moves, holds" in r[0].message


def test_ha332_the_database_is_a_mount_point_even_unlinked(ex):
    ex.edit_site(lambda s: (s["management"].update(links=[x for x in s["management"]["links"] if x != "/var/lib/pgsql"]),
                            s["management"]["mnttab"].append({"device": "/dev/sdk", "mount_point": "/var/lib/pgsql"})))
    r = ex.assert_reports("HA332", "management.mnttab[5].mount_point")
    assert "the database directory is" in r[0].message


def test_ha332_an_ocfs2_mount_inside_a_moved_directory(tmp_path):
    ex = Example(tmp_path, "bas5-guide")
    ex.site = ex.folder / "site-slurm.yaml"
    ex.edit_site(lambda s: s["batch"]["ocfs2"].update(mount_point="/var/www/shared"))
    ex.assert_reports("HA332", "batch.ocfs2.mount_point")


def test_no_backbone_alias_needed_when_the_pair_is_not_on_the_backbone(ex):
    bb = ex.id_of("network", "backbone")
    ex.edit_rows(lambda t: (drop_alias("ns-bk")(t), t.__setitem__("node_port", [
        r for r in t["node_port"] if r["network_id"] != bb])))
    ex.edit_site(lambda s: s["network"]["bonding"].update(bonds=s["network"]["bonding"]["bonds"][:1]))
    assert "HA331" not in {r.code for r in ex.reports()}


def test_ha218_a_management_node_outside_the_pair(ex):
    # ns1 is a compute node: as ftype mngt outside the mngt cell it gets nothing but /etc/hosts
    ex.edit_rows(lambda t: t["node_ftype"].append({"node_id": ex.id_of("node", "ns1"),
                                                   "ftype_id": ex.id_of("ftype", "mngt", "label")}))
    r = ex.assert_reports("HA218", "clusterdb node_ftype[node=ns1]", "warning")
    assert "ns1 has ftype mngt but it is in no mngt cell" in r[0].message
