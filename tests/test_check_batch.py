"""Every batch and hosts check (HA800-HA814): batch couplings, PBS license servers, SLURM syntax
and shared state, LSF and RMS service groups, OCFS2, /etc/hosts. In-process, on copies of
examples/bas5-guide (site.yaml: PBS; site-slurm.yaml: LSF/SLURM + OCFS2; site-rms.yaml: LSF/RMS)."""

from __future__ import annotations

import pytest

from example_helpers import Example
from hagen.base.errors import InputRefused
from hagen.compile.pipeline import load_and_check


def reports_of(folder, site="site.yaml") -> list:
    try:
        return load_and_check(folder / site)[2]
    except InputRefused as exc:
        return exc.reports


def edit_site(folder, fn, site="site.yaml"):
    ex = Example.at(folder)
    ex.site = folder / site
    ex.edit_site(fn)


def edit_rows(folder, fn):
    Example.at(folder).edit_rows(fn)


def found(reports, code, severity="error", key=None, where=None):
    hits = [r for r in reports if r.code == code and r.severity.value == severity
            and (key is None or r.where.key == key) and (where is None or where in str(r.where))]
    assert hits, f"no {severity} {code} (key {key}, where {where}) in:\n" + "\n".join(map(str, reports))
    return hits


def codes(reports) -> set:
    return {r.code for r in reports}


@pytest.fixture
def guide(example_copy):
    return example_copy("bas5-guide")


def _batch(doc):
    return doc["batch"]


# ---------------------------------------------------------------- the examples are clean

@pytest.mark.parametrize("site", ["site.yaml", "site-slurm.yaml", "site-slurm22.yaml", "site-rms.yaml"])
def test_examples_raise_no_batch_or_hosts_report(guide, site):
    assert not {c for c in codes(reports_of(guide, site)) if c.startswith("HA8")}


# ---------------------------------------------------------------- HA800 one coupling

def test_ha800_settings_of_a_manager_outside_the_coupling(guide):
    edit_site(guide, lambda d: _batch(d).update(slurm={"version": "22.05"}))
    found(reports_of(guide), "HA800", key="batch.slurm")


def test_ha800_lsf_coupling_given_without_lsf(guide):
    edit_site(guide, lambda d: _batch(d).update(lsf={"coupling": "slurm"}))
    found(reports_of(guide), "HA800", key="batch.lsf")


# ---------------------------------------------------------------- HA801 the management pair

def _no_mngt_cell(tables):
    tables["da_iocell"] = []
    tables["da_iocell_component"] = []
    tables["metaservice_port"] = []
    tables["cluster"][0]["actif_ha"] = False
    tables["cluster"][0]["node_backbone_ipaddr"] = None


def test_ha801_pbs_without_the_management_pair_writes_nothing(guide, tmp_path):
    from hagen.compile.pipeline import build

    edit_rows(guide, _no_mngt_cell)
    reports = reports_of(guide)
    found(reports, "HA801", severity="warning", key="batch.manager")
    compiled, _ = build(guide / "site.yaml", tmp_path / "out")
    assert not [f for f in compiled.files if f.path == "/etc/pbs.conf"]


# ---------------------------------------------------------------- HA802 FLEXlm

@pytest.mark.parametrize("servers,why", [
    (["ns0", "ns13"], "2 FLEXlm license server(s)"),
    (["ns0", "ns13", "ns5"], "is a compute node"),
    (["ns0", "ns13", "ns99"], "not a node of the ClusterDB"),
    (["ns0", "ns12", "ns12"], "named twice"),
    (["ns0", "ns12", "ns12"], "management node ns13 is not among"),
], ids=["two", "compute", "unknown", "twice", "no-secondary"])
def test_ha802_three_license_servers(guide, servers, why):
    edit_site(guide, lambda d: _batch(d)["pbs"].update(license_servers=servers))
    hits = found(reports_of(guide), "HA802")
    assert any(why in r.message for r in hits), [r.message for r in hits]


def test_ha802_no_license_server_is_missing_entirely(guide):
    edit_site(guide, lambda d: _batch(d)["pbs"].pop("license_servers"))
    found(reports_of(guide), "HA802", key="batch.pbs")


@pytest.mark.parametrize("server,why,key", [
    (None, "names none", "batch.pbs"),
    ("ns99", "not a node of the ClusterDB", "batch.pbs.nfs_server"),
    ("ns0", "is the primary management node", "batch.pbs.nfs_server"),
    ("ns5", "is a compute node", "batch.pbs.nfs_server"),
], ids=["missing", "unknown", "primary", "compute"])
def test_ha815_pbs_ha_needs_its_nfs_server(guide, server, why, key):
    edit_site(guide, lambda d: _batch(d)["pbs"].update(nfs_server=server))
    hits = found(reports_of(guide), "HA815", key=key)
    assert why in hits[0].message and hits[0].where.line


def test_ha815_the_secondary_may_serve_nfs(guide):
    edit_site(guide, lambda d: _batch(d)["pbs"].update(nfs_server="ns13"))
    assert "HA815" not in codes(reports_of(guide))


# ---------------------------------------------------------------- HA803 ftypes

def test_ha803_an_ftype_no_node_has(guide):
    edit_site(guide, lambda d: _batch(d).update(compute_ftypes=["compute", "gpu"]))
    found(reports_of(guide), "HA803", severity="warning", key="batch.compute_ftypes[1]")


# ---------------------------------------------------------------- SLURM

def test_ha804_a_slurm_version_without_a_syntax(guide):
    edit_site(guide, lambda d: _batch(d)["slurm"].update(version="2.6.9"), "site-slurm.yaml")
    found(reports_of(guide, "site-slurm.yaml"), "HA804", key="batch.slurm.version")


@pytest.mark.parametrize("key,value", [("state_save_location", "/var/spool/slurm"),
                                       ("accounting_log", "/var/log/slurm_acct.log"),
                                       ("state_save_location", "/ocfs2shared")])
def test_ha805_slurm_state_off_the_shared_file_system(guide, key, value):
    edit_site(guide, lambda d: _batch(d)["slurm"].update({key: value}), "site-slurm.yaml")
    found(reports_of(guide, "site-slurm.yaml"), "HA805", key=f"batch.slurm.{key}")


def test_ha806_lsf_slurm_coupling_needs_ocfs2(guide):
    edit_site(guide, lambda d: _batch(d).pop("ocfs2"), "site-slurm.yaml")
    hits = found(reports_of(guide, "site-slurm.yaml"), "HA806", key="batch.manager")
    assert "LSF/SLURM" in hits[0].message


def test_ha806_slurm_alone_needs_ocfs2(guide):
    def alone(d):
        _batch(d).pop("ocfs2")
        _batch(d).pop("lsf")
        _batch(d)["manager"] = "slurm"
    edit_site(guide, alone, "site-slurm22.yaml")
    found(reports_of(guide, "site-slurm22.yaml"), "HA806")


@pytest.mark.parametrize("partitions,why", [
    ([{"name": "p", "nodes": "ns[10-12]"}], "ns12 are not compute nodes"),
    ([{"name": "p", "nodes": "ns[1-"}], "is not a node set"),
    ([{"name": "a", "default": True}, {"name": "b", "default": True}], "are all the default"),
    ([{"name": "a"}, {"name": "a"}], "given twice"),
], ids=["login-node", "bad-nodeset", "two-defaults", "twice"])
def test_ha807_partitions(guide, partitions, why):
    edit_site(guide, lambda d: _batch(d)["slurm"].update(partitions=partitions), "site-slurm.yaml")
    hits = found(reports_of(guide, "site-slurm.yaml"), "HA807")
    assert any(why in r.message for r in hits), [r.message for r in hits]


def test_ha807_a_partition_without_nodes(guide):
    edit_site(guide, lambda d: _batch(d).update(compute_ftypes=["nosuch"]), "site-slurm.yaml")
    hits = found(reports_of(guide, "site-slurm.yaml"), "HA807")
    assert "has no node" in hits[0].message


# ---------------------------------------------------------------- HA808 service groups

def test_ha808_lsf_group_switched_off_explicitly(guide):
    edit_site(guide, lambda d: d["management"]["optional_groups"].update(lsf=False), "site-slurm.yaml")
    found(reports_of(guide, "site-slurm.yaml"), "HA808", key="management.optional_groups.lsf")


def test_ha808_rms_group_missing_from_services(guide):
    edit_site(guide, lambda d: d["management"].update(
        services=[s for s in d["management"]["services"] if s != {"group": "rms"}]), "site-rms.yaml")
    hits = found(reports_of(guide, "site-rms.yaml"), "HA808", key="management.services")
    assert "group: rms" in hits[0].message


def test_explicit_optional_groups_still_switch_a_group_on_without_batch(guide, tmp_path):
    from hagen.compile.pipeline import build

    def lsf_by_hand(d):
        d.pop("batch")
        d["management"]["optional_groups"]["lsf"] = True
    edit_site(guide, lsf_by_hand)
    build(guide / "site.yaml", tmp_path / "out")
    start = (tmp_path / "out/ns0/etc/HA/start").read_text().splitlines()
    assert "/etc/init.d/lsf" in start and "#/etc/init.d/msqld" in start


# ---------------------------------------------------------------- HA809 LSF's shared directory

def test_ha809_lsf_slurm_link_also_in_halinks(guide):
    edit_site(guide, lambda d: d["management"]["links"].append("/usr/share/lsf"), "site-slurm.yaml")
    found(reports_of(guide, "site-slurm.yaml"), "HA809", key="management.links[22]")


def test_ha809_lsf_without_slurm_off_shared_storage(guide):
    edit_site(guide, lambda d: d["management"].update(
        links=[x for x in d["management"]["links"] if x != "/usr/share/lsf"]), "site-rms.yaml")
    found(reports_of(guide, "site-rms.yaml"), "HA830", severity="warning", key="batch.lsf")


# ---------------------------------------------------------------- HA810 the virtual address

def test_ha810_rmshost_if_not_an_address(guide):
    edit_site(guide, lambda d: _batch(d)["rms"].update(rmshost_if="10.1.0"), "site-rms.yaml")
    found(reports_of(guide, "site-rms.yaml"), "HA810", key="batch.rms.rmshost_if")


def test_ha810_no_admin_alias_for_lsf_and_rms(guide):
    edit_rows(guide, lambda t: t.update(metaservice_port=[r for r in t["metaservice_port"] if r["name"] != "ns"]))
    hits = found(reports_of(guide, "site-rms.yaml"), "HA810", where="metaservice_port")
    assert {"LSF" in r.message or "rmshost-if" in r.message for r in hits} == {True}
    assert len(hits) == 2


# ---------------------------------------------------------------- HA811, HA400: networks

def test_ha811_management_node_without_address_on_the_ocfs2_network(guide):
    edit_site(guide, lambda d: _batch(d)["ocfs2"].update(network="backbone"), "site-slurm.yaml")
    edit_rows(guide, lambda t: t.update(node_port=[r for r in t["node_port"]
                                                   if not (r["node_id"] == 14 and r["network_id"] == 2)]))
    found(reports_of(guide, "site-slurm.yaml"), "HA811", where="node[name=ns13]")


def test_ha811_slurm_controller_without_admin_address(guide):
    edit_rows(guide, lambda t: t.update(node_port=[r for r in t["node_port"]
                                                   if not (r["node_id"] == 14 and r["network_id"] == 1)]))
    hits = found(reports_of(guide, "site-slurm.yaml"), "HA811", where="node[name=ns13]")
    assert "slurm.conf" in hits[0].message and "LSF" in hits[0].message


def test_ha400_ocfs2_on_a_network_the_clusterdb_lacks(guide):
    edit_site(guide, lambda d: _batch(d)["ocfs2"].update(network="interconnect"), "site-slurm.yaml")
    found(reports_of(guide, "site-slurm.yaml"), "HA400", key="batch.ocfs2.network")


# ---------------------------------------------------------------- HA812 the OCFS2 mount point

@pytest.mark.parametrize("mount", ["/varha/ocfs2", "/var/www", "/"])
def test_ha812_ocfs2_mount_point_overlaps_the_pairs_storage(guide, mount):
    edit_site(guide, lambda d: _batch(d)["ocfs2"].update(mount_point=mount), "site-slurm.yaml")
    found(reports_of(guide, "site-slurm.yaml"), "HA812", key="batch.ocfs2.mount_point")


# ---------------------------------------------------------------- /etc/hosts

def test_ha813_one_name_two_addresses(guide):
    edit_site(guide, lambda d: d.update(hosts={"extra": [{"address": "10.9.9.9", "names": ["ns0"]}]}))
    hits = found(reports_of(guide), "HA813", key="hosts.extra[0]")
    assert "10.1.0.1" in hits[0].message and "10.9.9.9" in hits[0].message


def test_ha813_a_clusterdb_alias_named_like_a_node(guide):
    edit_rows(guide, lambda t: t["metaservice_port"].__setitem__(1, {**t["metaservice_port"][1], "name": "ns0-bk"}))
    found(reports_of(guide), "HA813", where="metaservice_port[name=ns0-bk]")


def test_same_name_same_address_is_no_conflict(guide):
    edit_site(guide, lambda d: d.update(hosts={"extra": [{"address": "10.1.0.1", "names": ["ns0", "ns0.cluster"]}]}))
    assert "HA813" not in codes(reports_of(guide))


@pytest.mark.parametrize("entry,key", [({"address": "10.1.0", "names": ["x"]}, "hosts.extra[0].address"),
                                       ({"address": "10.1.0.99", "names": ["bad name"]}, "hosts.extra[0].names[0]")])
def test_ha814_bad_extra_entries(guide, entry, key):
    edit_site(guide, lambda d: d.update(hosts={"extra": [entry]}))
    found(reports_of(guide), "HA814", key=key)


def test_a_path_setting_with_a_blank_is_refused_by_the_schema(guide):
    edit_site(guide, lambda d: _batch(d)["pbs"].update(exec="/usr/pbs pro"))
    found(reports_of(guide), "HA101", key="batch.pbs.exec")


def test_ha816_an_include_slurm_1x_cannot_read_or_of_slurm_conf_itself(guide):
    edit_site(guide, lambda d: _batch(d)["slurm"].update(include="/etc/slurm/slurm.site.conf"), "site-slurm.yaml")
    hits = found(reports_of(guide, "site-slurm.yaml"), "HA816", key="batch.slurm.include")
    assert "reads no Include" in hits[0].message
    edit_site(guide, lambda d: _batch(d)["slurm"].update(include="/etc/slurm/slurm.conf"), "site-slurm22.yaml")
    hits = found(reports_of(guide, "site-slurm22.yaml"), "HA816", key="batch.slurm.include")
    assert "include itself" in hits[0].message


def test_every_code_of_issue_4_is_tested():
    import re
    from pathlib import Path

    from hagen.base.codes import CODES

    text = Path(__file__).read_text()
    ours = [c for c in CODES if c.startswith("HA8")]
    assert ours and all(re.search(rf"\b{c.lower()}_|\"{c}\"", text) for c in ours), \
        [c for c in ours if not re.search(rf"\b{c.lower()}_|\"{c}\"", text)]
