"""Every Lustre check (HA6xx): one bad ClusterDB row or site key of examples/xena, refused
(or warned about) with its code and where it is."""

from __future__ import annotations

import pytest

from example_helpers import Example, find


@pytest.fixture
def ex(tmp_path):
    return Example(tmp_path)


def test_the_example_is_clean(ex):
    assert {r.code for r in ex.reports()} <= {"HA240"}     # the guide's underscores in xenanfs_BK, xenanfs_ic0


def _without_node(ex, cell, node):
    cid, nid = ex.id_of("da_iocell", cell), ex.id_of("node", node)
    return lambda t: t.__setitem__("da_iocell_component", [
        r for r in t["da_iocell_component"] if not (r["iocell_id"] == cid and r["node_id"] == nid)])


def test_ha600_a_lustre_cell_of_one_node(ex):
    ex.edit_rows(_without_node(ex, "xena_mds", "xena2"))
    r = ex.assert_reports("HA600", "clusterdb da_iocell_component[iocell=xena_mds]")
    assert "1 node(s) (xena1)" in r[0].message


def test_ha601_a_lustre_node_without_bmc(ex):
    ex.edit_rows(lambda t: find(t, "node", name="xena10").update(hwmanager_id=None))
    ex.assert_reports("HA601", "clusterdb node[name=xena10]")


def test_ha601_a_lustre_node_fenced_by_a_pap(ex):
    ex.edit_rows(lambda t: find(t, "hwmanager", name="xena12-bmc").update(type="pap"))
    ex.assert_reports("HA601", "clusterdb hwmanager[name=xena12-bmc]")


def test_ha601_a_bmc_without_address(ex):
    hid = ex.id_of("hwmanager", "xena1-bmc")
    ex.edit_rows(lambda t: t.__setitem__("hwmanager_port", [r for r in t["hwmanager_port"] if r["hwmanager_id"] != hid]))
    ex.assert_reports("HA601", "clusterdb hwmanager[name=xena1-bmc]")


def test_ha602_a_cell_with_mdts_and_osts_is_a_warning(ex):
    # data_ost0 moves to the MDS cell: xena1 serves scratch's MDT and data's OST (no double failure)
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="data_ost0").update(
        oss_node_name="xena1", oss_ha_node="xena2", oss_active_node="xena1"))
    ex.assert_reports("HA602", "clusterdb da_iocell[name=xena_mds]", "warning")
    assert not [r for r in ex.reports() if r.severity.value == "error"]


def test_ha603_a_node_serving_the_mdt_and_an_ost_of_one_file_system(ex):
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="scratch_ost0").update(
        oss_node_name="xena1", oss_ha_node="xena2", oss_active_node="xena1"))
    r = ex.assert_reports("HA603", "clusterdb lustre_ost[ost_name=scratch_ost0]")
    assert "scratch_mdt" in r[0].message


def test_ha604_a_secondary_outside_the_primarys_cell(ex):
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="scratch_ost0").update(oss_ha_node="xena1"))
    ex.assert_reports("HA604", "clusterdb lustre_ost[ost_name=scratch_ost0]")


def test_ha604_an_active_node_that_is_neither_primary_nor_secondary(ex):
    ex.edit_rows(lambda t: find(t, "lustre_mdt", mdt_name="data_mdt").update(mds_active_node="xena10"))
    ex.assert_reports("HA604", "clusterdb lustre_mdt[mdt_name=data_mdt]")


def test_ha605_lustre_io_node_pairs_across_cells(ex):
    x10 = ex.id_of("node", "xena10")
    x1 = ex.id_of("node", "xena1")
    ex.edit_rows(lambda t: find(t, "lustre_io_node", node_id=x1).update(ha_node_id=x10))
    ex.assert_reports("HA605", "clusterdb lustre_io_node[node=xena1]")


def test_ha620_a_missing_lustre_io_node_row_is_a_warning(ex):
    x12 = ex.id_of("node", "xena12")
    ex.edit_rows(lambda t: t.__setitem__("lustre_io_node", [r for r in t["lustre_io_node"] if r["node_id"] != x12]))
    ex.assert_reports("HA640", "clusterdb lustre_io_node[node=xena12]", "warning")


def test_ha606_failover_yes_and_a_target_without_secondary(ex):
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="scratch_ost1").update(oss_ha_node=None))
    r = ex.assert_reports("HA606", "clusterdb lustre_fs[fs_name=scratch]")
    assert "scratch_ost1" in r[0].message


def test_ha607_an_mdt_on_the_management_node_is_flagged(ex):
    ex.edit_rows(lambda t: find(t, "lustre_mdt", mdt_name="data_mdt").update(
        mds_node_name="xena0", mds_ha_node=None, mds_active_node=None))
    ex.assert_reports("HA607", "clusterdb lustre_mdt[mdt_name=data_mdt]", "warning")


def test_ha608_a_node_in_a_lustre_cell_and_an_nfs_cell(ex):
    cid, nid = ex.id_of("da_iocell", "xena_oss"), ex.id_of("node", "xena11")
    ex.edit_rows(lambda t: t["da_iocell_component"].append({"iocell_id": cid, "node_id": nid, "disk_array_id": None}))
    ex.assert_reports("HA608", "clusterdb da_iocell_component[node=xena11]")


def test_ha609_a_target_on_an_unknown_node(ex):
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="scratch_ost2").update(oss_node_name="xena99"))
    r = ex.assert_reports("HA609", "clusterdb lustre_ost[ost_name=scratch_ost2]")
    assert "xena99" in r[0].message


def test_ha609_a_client_of_an_unknown_file_system(ex):
    ex.edit_rows(lambda t: t["lustre_mount"].append({"fs_name": "nosuch", "mnt_node_name": "xena20",
                                                     "mount_options": None}))
    ex.assert_reports("HA609", "clusterdb lustre_mount[fs_name=nosuch, mnt_node_name=xena20]")


def test_ha610_a_device_that_is_not_under_dev(ex):
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="data_ost1").update(ost_dev="ldn.da3.3"))
    ex.assert_reports("HA610", "clusterdb lustre_ost[ost_name=data_ost1]")


def test_ha611_a_description_on_two_lines(ex):
    ex.edit_rows(lambda t: find(t, "lustre_fs", fs_name="data").update(description="project data\nfailover: no"))
    ex.assert_reports("HA611", "clusterdb lustre_fs[fs_name=data]")


def test_ha611_a_file_system_name_longer_than_8(ex):
    def rename(t):
        for table in ("lustre_fs", "lustre_mdt", "lustre_ost", "lustre_mount"):
            for r in t[table]:
                if r["fs_name"] == "scratch":
                    r["fs_name"] = "scratchfs1"
    ex.edit_rows(rename)
    ex.assert_reports("HA611", "clusterdb lustre_fs[fs_name=scratchfs1]")


def test_ha611_two_file_systems_on_one_mount_path(ex):
    ex.edit_rows(lambda t: find(t, "lustre_fs", fs_name="scratch").update(mount_path="/data"))
    ex.assert_reports("HA611", "clusterdb lustre_fs[fs_name=scratch]")


def test_ha612_a_file_system_without_mdt(ex):
    ex.edit_rows(lambda t: t.__setitem__("lustre_mdt", [r for r in t["lustre_mdt"] if r["mdt_name"] != "data_mdt"]))
    ex.assert_reports("HA612", "clusterdb lustre_fs[fs_name=data]")


def test_ha613_lustre_without_a_management_node(ex):
    mngt, compute = ex.id_of("ftype", "mngt", "label"), ex.id_of("ftype", "compute", "label")
    ex.edit_rows(lambda t: [r.update(ftype_id=compute) for r in t["node_ftype"] if r["ftype_id"] == mngt])
    ex.assert_reports("HA613", "clusterdb node_ftype")


def test_ha614_a_lustre_node_off_the_admin_network(ex):
    nid, admin = ex.id_of("node", "xena2"), ex.id_of("network", "admin")
    ex.edit_rows(lambda t: t.__setitem__("node_port", [r for r in t["node_port"]
                                                       if not (r["node_id"] == nid and r["network_id"] == admin)]))
    ex.assert_reports("HA614", "clusterdb node[name=xena2]")


def test_ha615_a_sudoers_d_name_sudo_skips(ex):
    ex.edit_site(lambda s: s["lustre"].update(sudoers="/etc/sudoers.d/lustre.conf"))
    r = ex.assert_reports("HA615", "lustre.sudoers")
    assert r[0].where.line == ex.line_of("sudoers:")


def test_ha616_no_fencing_credentials(ex):
    ex.edit_site(lambda s: s["lustre"].pop("fencing"))
    r = ex.assert_reports("HA616", "lustre")
    assert r[0].where.line == ex.line_of("lustre:")


def test_ha617_the_mgs_named_by_an_alias(ex):
    ex.edit_site(lambda s: s["lustre"].update(mgs_hosts=["xenanfs"]))
    r = ex.assert_reports("HA617", "lustre.mgs_hosts[0]")
    assert "alias" in r[0].message


def test_ha617_two_mgs_hosts_that_are_one_node(ex):
    ex.edit_site(lambda s: s["lustre"].update(mgs_hosts=["xena0", "10.1.0.1"]))
    ex.assert_reports("HA617", "lustre.mgs_hosts[1]")


def test_ha618_lustre_settings_without_lustre(tmp_path):
    ex = Example(tmp_path, "bas5-guide")
    ex.edit_site(lambda s: s.update(lustre={"debug": True}))
    ex.assert_reports("HA618", "lustre", "warning")


def test_ha619_failover_no_with_secondaries_everywhere(ex):
    ex.edit_rows(lambda t: find(t, "lustre_fs", fs_name="data").update(failover="no"))
    ex.assert_reports("HA619", "clusterdb lustre_fs[fs_name=data]", "warning")


def test_a_password_file_that_is_missing(ex):
    ex.edit_site(lambda s: s["lustre"]["fencing"].update(password_file="nowhere"))
    ex.assert_reports("HA102", "lustre.fencing.password_file")


def test_all_problems_are_reported_at_once(ex):
    ex.edit_rows(lambda t: (find(t, "lustre_ost", ost_name="scratch_ost0").update(oss_ha_node="xena1"),
                            find(t, "lustre_ost", ost_name="data_ost1").update(ost_dev="sdb")))
    ex.edit_site(lambda s: s["lustre"].update(sudoers="/etc/sudoers.d/lustre~"))
    assert {"HA604", "HA610", "HA615"} <= {r.code for r in ex.reports()}


def test_ha620_a_target_without_secondary_turns_a_derived_failover_to_no(ex):
    # data's failover is NULL: one OST without secondary silently made it 'failover: no'
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="data_ost0").update(oss_ha_node=None))
    r = ex.assert_reports("HA620", "clusterdb lustre_fs[fs_name=data]", "warning")
    assert "OST data_ost0: it has no secondary node" in r[0].message
    assert "failover to 'no'" in r[0].hint


def test_ha620_says_nothing_when_the_file_system_says_failover_no(ex):
    ex.edit_rows(lambda t: (find(t, "lustre_ost", ost_name="data_ost0").update(oss_ha_node=None),
                            find(t, "lustre_fs", fs_name="data").update(failover="no")))
    assert "HA620" not in {r.code for r in ex.reports()}


def test_ha218_and_ha620_an_oss_outside_every_lustre_cell(ex):
    # xena30 (a compute node) becomes an OSS serving data_ost0 alone, in no cell
    def edit(t):
        t["node_ftype"].append({"node_id": ex.id_of("node", "xena30"), "ftype_id": ex.id_of("ftype", "oss", "label")})
        find(t, "lustre_ost", ost_name="data_ost0").update(oss_node_name="xena30", oss_ha_node=None,
                                                           oss_active_node="xena30")
    ex.edit_rows(edit)
    r = ex.assert_reports("HA218", "clusterdb node_ftype[node=xena30]", "warning")
    assert "xena30 has ftype oss but it is in no lustre cell" in r[0].message
    r = ex.assert_reports("HA620", "clusterdb lustre_fs[fs_name=data]", "warning")
    assert "its primary xena30 is in no Lustre cell" in r[0].message


def test_the_facts_the_audit_reads_name_each_target_without_partner(ex):
    from hagen.model.unpaired import targets_without_partner
    from hagen.compile.pipeline import load_and_check

    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="data_ost0").update(oss_ha_node=None))
    _, model, _, _ = load_and_check(ex.site)
    assert [(u.target, u.reason) for u in targets_without_partner(model)] == [
        ("data_ost0", "it has no secondary node")]


def test_the_audits_facts_count_the_single_management_node(ex):
    """xena has one management node and no mngt cell: no check warns (the documented layout),
    but it has no failover partner, which the audit lists."""
    from hagen.model.unpaired import servers_outside_cells, servers_without_partner
    from hagen.compile.pipeline import load_and_check

    _, model, warnings, _ = load_and_check(ex.site)
    assert not servers_outside_cells(model) and "HA218" not in {w.code for w in warnings}
    assert [(o.node, o.cell_type) for o in servers_without_partner(model)] == [("xena0", "mngt")]
