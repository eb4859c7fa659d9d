"""Every NFS check (HA7xx, and the alias rules HA401/HA403 on an NFS cell): one bad
ClusterDB row or site key of examples/xena, refused (or warned about) with its code and
where it is."""

from __future__ import annotations

import pytest

from example_helpers import Example, find


@pytest.fixture
def ex(tmp_path):
    return Example(tmp_path)


def test_ha700_an_nfs_cell_of_one_node(ex):
    cid, nid = ex.id_of("da_iocell", "xena_nfs"), ex.id_of("node", "xena13")
    ex.edit_rows(lambda t: t.__setitem__("da_iocell_component", [
        r for r in t["da_iocell_component"] if not (r["iocell_id"] == cid and r["node_id"] == nid)]))
    ex.assert_reports("HA700", "clusterdb da_iocell_component[iocell=xena_nfs]")


def test_ha701_an_nfs_node_without_bmc(ex):
    ex.edit_rows(lambda t: find(t, "node", name="xena13").update(hwmanager_id=None))
    ex.assert_reports("HA701", "clusterdb node[name=xena13]")


def test_ha702_an_nfs_cell_without_quorum_disk(ex):
    ex.edit_rows(lambda t: find(t, "da_iocell", name="xena_nfs").update(quorum_device=None))
    ex.assert_reports("HA702", "clusterdb da_iocell[name=xena_nfs]")


def test_ha703_an_nfs_node_with_a_lustre_ftype(ex):
    nid, oss = ex.id_of("node", "xena11"), ex.id_of("ftype", "oss", "label")
    ex.edit_rows(lambda t: find(t, "node_ftype", node_id=nid).update(ftype_id=oss))
    ex.assert_reports("HA703", "clusterdb node[name=xena11]")


def test_ha703_an_nfs_node_serving_a_lustre_target(ex):
    ex.edit_rows(lambda t: find(t, "lustre_ost", ost_name="data_ost1").update(oss_ha_node="xena13"))
    r = ex.assert_reports("HA703", "clusterdb node[name=xena13]")
    assert "data_ost1" in r[0].message


def test_ha703_an_nfs_node_mounting_lustre(ex):
    ex.edit_rows(lambda t: t["lustre_mount"].append({"fs_name": "data", "mnt_node_name": "xena11",
                                                     "mount_options": None}))
    ex.assert_reports("HA703", "clusterdb node[name=xena11]")


def test_ha704_an_export_device_outside_dev(ex):
    ex.edit_site(lambda s: s["nfs"]["exports"][0].update(device="ldn.da0.1"))
    ex.assert_reports("HA704", "nfs.exports[0].device")


def test_ha705_a_relative_mount_point(ex):
    ex.edit_site(lambda s: s["nfs"]["exports"][1].update(mount_point="home_nfs"))
    ex.assert_reports("HA705", "nfs.exports[1].mount_point")


def test_ha705_two_exports_on_one_mount_point(ex):
    ex.edit_site(lambda s: s["nfs"]["exports"][1].update(mount_point="/mount_point1"))
    r = ex.assert_reports("HA705", "nfs.exports[1].mount_point")
    assert r[0].where.line is not None


def test_ha706_two_exports_with_one_fsid(ex):
    ex.edit_site(lambda s: s["nfs"]["exports"][1].update(fsid=7))
    ex.assert_reports("HA706", "nfs.exports[1].fsid")


def test_ha707_an_export_of_an_unknown_cell(ex):
    ex.edit_site(lambda s: s["nfs"]["exports"][0].update(cell="xena_nfs2"))
    ex.assert_reports("HA707", "nfs.exports[0].cell")


def test_ha707_exports_without_any_nfs_cell(ex):
    ex.edit_rows(lambda t: find(t, "da_iocell", name="xena_nfs").update(type="lustre"))
    ex.assert_reports("HA707", "nfs.exports[0]")


def test_ha708_an_nfs_cell_without_admin_alias(ex):
    ex.edit_rows(lambda t: t.__setitem__("metaservice_port", [r for r in t["metaservice_port"] if r["name"] != "xenanfs"]))
    ex.assert_reports("HA708", "clusterdb da_iocell[name=xena_nfs]")


def test_ha708_two_aliases_on_one_network(ex):
    admin, cid = ex.id_of("network", "admin"), ex.id_of("da_iocell", "xena_nfs")
    ex.edit_rows(lambda t: t["metaservice_port"].append({"id": 99, "name": "xenanfs2", "type": "alias",
                                                         "network_id": admin, "ipaddr": "10.1.1.77",
                                                         "iocell_id": cid}))
    ex.assert_reports("HA708", "clusterdb metaservice_port[name=xenanfs2]")


def test_ha708_an_alias_on_a_network_a_node_is_not_on(ex):
    nid, bb = ex.id_of("node", "xena13"), ex.id_of("network", "backbone")
    ex.edit_rows(lambda t: t.__setitem__("node_port", [r for r in t["node_port"]
                                                       if not (r["node_id"] == nid and r["network_id"] == bb)]))
    r = ex.assert_reports("HA708", "clusterdb metaservice_port[name=xenanfs_BK]")
    assert "xena13" in r[0].message


def test_ha709_a_backbone_heartbeat_without_backbone_port(ex):
    nid, bb = ex.id_of("node", "xena13"), ex.id_of("network", "backbone")
    ex.edit_rows(lambda t: t.__setitem__("node_port", [r for r in t["node_port"]
                                                       if not (r["node_id"] == nid and r["network_id"] == bb)]))
    ex.edit_site(lambda s: s["nfs"].update(heartbeat="backbone"))
    ex.assert_reports("HA709", "clusterdb node[name=xena13]")


def test_ha710_an_unknown_client_node(ex):
    ex.edit_site(lambda s: s["nfs"]["clients"][0].update(nodes=["xena[20-27]", "xena99"]))
    r = ex.assert_reports("HA710", "nfs.clients[0].nodes[1]")
    assert "xena99" in r[0].message


def test_ha710_a_bad_node_set(ex):
    ex.edit_site(lambda s: s["nfs"]["clients"][0].update(nodes=["xena[20-"]))
    ex.assert_reports("HA710", "nfs.clients[0].nodes[0]")


def test_ha710_a_client_mounting_what_no_export_serves(ex):
    ex.edit_site(lambda s: s["nfs"]["clients"][0].update(mounts=["/mount_point9"]))
    ex.assert_reports("HA710", "nfs.clients[0].mounts[0]")


def test_ha711_the_guides_blanks_inside_the_option_list(ex):
    ex.edit_site(lambda s: s["nfs"]["exports"][0].update(options=["rw,no_root_squash, sync"]))
    ex.assert_reports("HA711", "nfs.exports[0].options[0]")


def test_ha711_fsid_in_the_options(ex):
    ex.edit_site(lambda s: s["nfs"]["exports"][0]["options"].append("fsid=9"))
    ex.assert_reports("HA711", "nfs.exports[0].options[3]")


def test_ha711_an_export_client_with_a_parenthesis(ex):
    ex.edit_site(lambda s: s["nfs"]["exports"][0].update(clients="*(rw)"))
    ex.assert_reports("HA711", "nfs.exports[0].clients")


def test_ha712_an_nfs_cell_without_exports_is_a_warning(ex):
    ex.edit_site(lambda s: s["nfs"].update(exports=[], clients=[]))
    ex.assert_reports("HA712", "clusterdb da_iocell[name=xena_nfs]", "warning")


def test_ha712_nfs_settings_without_nfs_cell(tmp_path):
    ex = Example(tmp_path, "bas5-guide")
    ex.edit_site(lambda s: s.update(nfs={"heartbeat": "admin"}))
    ex.assert_reports("HA712", "nfs", "warning")


def test_ha713_nfs_without_management_node_is_a_warning(ex):
    mngt, compute = ex.id_of("ftype", "mngt", "label"), ex.id_of("ftype", "compute", "label")
    lustre_cells = {ex.id_of("da_iocell", "xena_mds"), ex.id_of("da_iocell", "xena_oss")}

    def no_lustre_no_mngt(t):
        for r in t["node_ftype"]:
            if r["ftype_id"] == mngt:
                r["ftype_id"] = compute
        for table in ("lustre_io_node", "lustre_fs", "lustre_mdt", "lustre_ost", "lustre_mount"):
            t[table] = []
        t["da_iocell_component"] = [r for r in t["da_iocell_component"] if r["iocell_id"] not in lustre_cells]
        t["da_iocell"] = [r for r in t["da_iocell"] if r["id"] not in lustre_cells]
    ex.edit_rows(no_lustre_no_mngt)
    # no management node and no admin gateway: the quorum heuristic's target is the site's (HA325)
    ex.edit_site(lambda s: (s.pop("lustre"), s.update(quorum={"heuristic": {"target": "10.1.0.1"}})))
    ex.assert_reports("HA713", "clusterdb node_ftype", "warning")
    assert not [r for r in ex.reports() if r.severity.value == "error"]


def test_ha714_no_fencing_credentials(ex):
    ex.edit_site(lambda s: s["nfs"].pop("fencing"))
    ex.assert_reports("HA714", "nfs")


def test_ha715_a_relative_client_fstab(ex):
    ex.edit_site(lambda s: s["nfs"].update(client_fstab="fstab"))
    ex.assert_reports("HA715", "nfs.client_fstab")


def test_ha401_the_guides_xenanfs_ic0_address_outside_its_network(ex):
    # 9.4 step 2 gives xenanfs_ic0 the admin alias's address xxx.xxx.1.76
    ex.edit_rows(lambda t: find(t, "metaservice_port", name="xenanfs_ic0").update(ipaddr="10.1.1.76"))
    ex.assert_reports("HA401", "clusterdb metaservice_port[name=xenanfs_ic0]")


def test_ha403_an_alias_address_used_twice(ex):
    admin = ex.id_of("network", "admin")
    ex.edit_rows(lambda t: find(t, "metaservice_port", name="xenanfs_ic0").update(ipaddr="10.1.1.76",
                                                                                      network_id=admin))
    ex.assert_reports("HA403", "clusterdb metaservice_port[name=xenanfs_ic0]")


def test_ha218_an_nfs_server_outside_every_nfs_cell(tmp_path):
    from example_helpers import Example

    ex = Example(tmp_path)
    ex.edit_rows(lambda t: t["node_ftype"].append({"node_id": ex.id_of("node", "xena30"),
                                                   "ftype_id": ex.id_of("ftype", "nfs", "label")}))
    r = ex.assert_reports("HA218", "clusterdb node_ftype[node=xena30]", "warning")
    assert "xena30 has ftype nfs but it is in no nfs cell (xena_nfs)" in r[0].message
    assert "exports have no failover" in r[0].message
    assert "storiocellctl" in r[0].hint
