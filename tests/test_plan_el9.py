"""The el9-pacemaker target: what each HA cell's nodes get (corosync.conf, the CIB and its
apply script, the fence password file, SBD), what the management pair's hosts get
(chrony.conf, NetworkManager keyfiles), what is no longer written, and the target's
warnings (HA170-HA174) and error (HA175). Checks that apply to both targets still fire."""

from __future__ import annotations

import pytest
from lxml import etree

from conftest import EXAMPLES
from hagen.compile.pipeline import build
from example_helpers import Example, find


@pytest.fixture(scope="module")
def trees(el9_builds):
    return el9_builds


def read(trees, example, host, path) -> bytes:
    return (trees[example][0] / host / path.lstrip("/")).read_bytes()


def cib(trees, example, host):
    return etree.fromstring(read(trees, example, host, "/etc/hagen/cib.xml"))


def paths_of(trees, example) -> set:
    return {f.path for f in trees[example][1].files}


def test_no_cman_file_is_written(trees):
    for example in ("bas5-guide", "xena"):
        paths = paths_of(trees, example)
        assert "/etc/cluster/cluster.conf" not in paths
        assert not [p for p in paths if p.startswith(("/etc/HA/", "/etc/sysconfig/network-scripts/"))]
        gone = ("/etc/ntp.conf", "/etc/modprobe.conf", "/etc/exports")
        assert not [p for p in paths if p in gone or "lustre_failover" in p]


def test_each_cell_node_gets_its_cluster_files(trees):
    for example, hosts in (("bas5-guide", ("ns0", "ns13")),
                           ("xena", ("xena1", "xena2", "xena10", "xena12", "xena11", "xena13"))):
        for host in hosts:
            got = {f.path for f in trees[example][1].files if f.host == host}
            assert {"/etc/corosync/corosync.conf", "/etc/hagen/cib.xml", "/etc/hagen/cib-apply",
                    "/etc/hagen/fence-password"} <= got, host


def test_corosync_links_follow_the_heartbeat_then_the_other_network(trees):
    text = read(trees, "bas5-guide", "ns0", "/etc/corosync/corosync.conf").decode()
    assert "transport: knet" in text and "cluster_name: ns_mngt" in text and "two_node: 1" in text
    assert "ring0_addr: 10.1.0.1\n" in text and "ring1_addr: 176.18.118.1\n" in text
    assert "name: ns13" in text and "nodeid: 2" in text


def test_the_cib_is_one_pacemaker_2_1_reads_and_holds_no_password(trees):
    for example, host in (("bas5-guide", "ns0"), ("xena", "xena1"), ("xena", "xena11")):
        root = cib(trees, example, host)
        assert root.get("validate-with") == "pacemaker-2.5" and root.get("crm_feature_set") == "3.0.10"
        assert root.find(".//nvpair[@name='stonith-enabled']").get("value") == "true"
        assert not root.xpath(".//nvpair[@name='password' or @name='passwd']")
        secret = (EXAMPLES / example / "fence-password").read_text().splitlines()[0]
        assert secret.encode() not in read(trees, example, host, "/etc/hagen/cib.xml")


def test_each_node_has_its_fence_ipmilan_device(trees):
    root = cib(trees, "bas5-guide", "ns0")
    for node in ("ns0", "ns13"):
        dev = root.find(f".//primitive[@id='fence_{node}']")
        assert dev.get("class") == "stonith" and dev.get("type") == "fence_ipmilan"
        params = {nv.get("name"): nv.get("value") for nv in dev.iter("nvpair")}
        assert params["pcmk_host_list"] == node
        assert params["password_script"] == "/bin/cat /etc/hagen/fence-password"
    # the node running the services wins a fencing race (what the quorum disk was for)
    assert root.find(".//nvpair[@name='priority-fencing-delay']").get("value") == "15s"
    assert root.find(".//group[@id='HA_NSM']/meta_attributes/nvpair[@name='priority']").get("value") == "10"


def test_the_password_file_is_the_secret_mode_0600(trees):
    files = [f for f in trees["bas5-guide"][1].files if f.path == "/etc/hagen/fence-password"]
    assert files and all(f.mode == 0o600 for f in files)
    secret = (EXAMPLES / "bas5-guide" / "fence-password").read_text().splitlines()[0]
    assert files[0].data.decode().strip() == secret


def test_management_group_keeps_the_start_order(trees):
    group = cib(trees, "bas5-guide", "ns0").find(".//group[@id='HA_NSM']")
    ids = [p.get("id") for p in group.findall("primitive")]
    assert ids[:5] == ["fs_etcha", "fs_usrha", "fs_varha", "fs_tftpboot", "fs_homeha"]
    assert ids.index("link_var_lib_pgsql") < ids.index("svc_postgresql") < ids.index("ip_ns") < ids.index("svc_slapd")
    assert group.find("primitive[@id='ip_ns']//nvpair[@name='nic']").get("value") == "bond0"
    assert group.find("primitive[@id='link_var_lib_pgsql']//nvpair[@name='target']").get("value") == "/varha/lib/pgsql"
    assert group.find("primitive[@id='svc_postgresql']").get("class") == "systemd"
    assert group.find("primitive[@id='svc_hafda']") is not None          # fda_storage switched on
    assert group.find("primitive[@id='svc_msqld']") is None              # rms switched off


def test_lustre_targets_prefer_their_primary_then_their_failover_node(trees):
    root = cib(trees, "xena", "xena1")
    rsc = root.find(".//primitive[@id='lustre_data_mdt']")
    assert (rsc.get("class"), rsc.get("provider"), rsc.get("type")) == ("ocf", "lustre", "Lustre")
    scores = {c.get("node"): c.get("score") for c in root.iter("rsc_location") if c.get("rsc") == "lustre_data_mdt"}
    assert scores == {"xena2": "100", "xena1": "50"}


def test_nfs_cell_is_one_group_of_filesystems_server_exports_addresses(trees):
    group = cib(trees, "xena", "xena11").find(".//group")
    types = [p.get("type") for p in group.findall("primitive")]
    assert types == ["Filesystem", "Filesystem", "Filesystem", "nfsserver", "exportfs", "exportfs", "IPaddr2",
                     "IPaddr2", "IPaddr2", "nfsnotify"]
    export = group.find("primitive[@id='export_nfs_mount_point1']")
    assert {nv.get("name"): nv.get("value") for nv in export.iter("nvpair")}["fsid"] == "7"


def test_a_quorum_lun_serves_sbd_as_the_second_fencing_level(trees):
    root = cib(trees, "xena", "xena11")
    assert root.find(".//primitive[@type='fence_sbd']//nvpair[@name='devices']").get("value") == "/dev/ldn.da0.0"
    levels = [(lv.get("target"), lv.get("index")) for lv in root.iter("fencing-level")]
    assert levels == [("xena11", "1"), ("xena11", "2"), ("xena13", "1"), ("xena13", "2")]
    assert b'SBD_DEVICE="/dev/ldn.da0.0"' in read(trees, "xena", "xena13", "/etc/sysconfig/sbd")
    assert b'SBD_DEVICE="/dev/disk/by-id/dm-name-ns_sbd"' in read(trees, "bas5-guide", "ns0", "/etc/sysconfig/sbd")


def test_chrony_peers_serves_and_keeps_a_local_stratum(trees):
    text = read(trees, "bas5-guide", "ns0", "/etc/chrony.conf").decode()
    assert "peer 10.1.0.13\n" in text and "allow 10.0.0.0/8\n" in text and "local stratum 10" in text


def test_bonds_are_networkmanager_keyfiles_mode_0600(trees):
    files = {f.path: f for f in trees["bas5-guide"][1].files if f.host == "ns0"}
    bond = files["/etc/NetworkManager/system-connections/bond0.nmconnection"]
    assert bond.mode == 0o600
    text = bond.data.decode()
    assert "type=bond" in text and "mode=active-backup" in text and "primary=eth0" in text
    assert "route1=10.0.0.0/8,10.1.255.254" in text
    port = files["/etc/NetworkManager/system-connections/bond0-eth2.nmconnection"].data.decode()
    assert "master=bond0" in port and "slave-type=bond" in port


# ---------------------------------------------------------------- the target's reports

@pytest.fixture
def el9(tmp_path):
    ex = Example(tmp_path, "bas5-guide")
    ex.site = ex.folder / "site-el9.yaml"
    return ex


def test_the_el9_examples_draw_no_target_warning(trees):
    for example in ("bas5-guide", "xena"):
        assert [w.code for w in trees[example][1].warnings if w.code.startswith("HA17")] == [], example


def test_ha170_a_pacemaker_key_for_cman(tmp_path):
    ex = Example(tmp_path, "bas5-guide")
    ex.edit_site(lambda d: d.update(pacemaker={"filesystem_type": "xfs"}))
    ex.assert_reports("HA170", "pacemaker", "warning")


def test_ha171_an_etc_ha_list_for_el9(el9):
    el9.edit_site(lambda d: d["management"].update(pid2clean=["/var/run/x.pid"]))
    el9.assert_reports("HA171", "management.pid2clean", "warning")


def test_ha172_the_modprobe_choice_for_el9(el9):
    el9.edit_site(lambda d: d["network"]["bonding"].update(modprobe="modprobe.d"))
    at = el9.assert_reports("HA172", "network.bonding.modprobe", "warning")
    assert at[0].where.line is not None


def test_ha173_a_cman_setting_for_el9(el9):
    el9.edit_site(lambda d: d["management"].update(post_join_delay=20))
    el9.assert_reports("HA173", "management.post_join_delay", "warning")


def test_ha174_a_start_command_without_pacemaker_equivalent(el9):
    el9.edit_site(lambda d: d["management"]["services"].insert(0, "/etc/HA/bin/haunwantedfiles"))
    el9.assert_reports("HA174", "management.services[0]", "warning")


def test_a_warned_key_leaves_the_build_going(el9, tmp_path):
    el9.edit_site(lambda d: d["management"].update(post_join_delay=20, pid2clean=["/var/run/x.pid"]))
    compiled, _ = build(el9.site, tmp_path / "out")
    assert {"HA171", "HA173"} <= {w.code for w in compiled.warnings}


def test_ha175_a_pap_fenced_node_for_el9(el9):
    def to_pap(tables):
        for row in tables["hwmanager"]:
            row["type"] = "pap"
    el9.edit_site(lambda d: d["management"]["fencing"].update(pap_domains={"ns0": "D0", "ns13": "D1"}))
    el9.edit_rows(to_pap)
    el9.assert_reports("HA175", "clusterdb hwmanager[name=")


# the checks of both targets still fire on el9: fencing, aliases, quorum

def test_fencing_check_fires_for_el9(el9):
    el9.edit_rows(lambda t: find(t, "node", name="ns13").update(hwmanager_id=None))
    el9.assert_reports("HA303", "ns13")


def test_alias_check_fires_for_el9(el9):
    el9.edit_rows(lambda t: find(t, "metaservice_port", name="ns-bk").update(ipaddr="10.1.0.65/16"))
    assert {r.code for r in el9.reports() if r.severity.value == "error"} & {"HA401", "HA402", "HA403", "HA206"}


def test_quorum_check_fires_for_el9(tmp_path):
    ex = Example(tmp_path, "xena")
    ex.site = ex.folder / "site-el9.yaml"
    ex.edit_rows(lambda t: find(t, "da_iocell", name="xena_nfs").update(quorum_device=None))
    ex.assert_reports("HA702", "clusterdb da_iocell[name=xena_nfs]")


def test_names_that_fold_to_one_id_get_numbered_ids(el9, tmp_path):
    el9.edit_site(lambda d: d["management"].update(links=["/var/lib/a-b", "/var/lib/a_b"]))
    compiled, _ = build(el9.site, tmp_path / "out")
    data = next(f.data for f in compiled.files if f.path == "/etc/hagen/cib.xml")
    ids = [p.get("id") for p in etree.fromstring(data).iter("primitive")]
    assert "link_var_lib_a-b" in ids and "link_var_lib_a_b" in ids
    el9.edit_site(lambda d: d["management"].update(links=["/var/lib/a+b", "/var/lib/a_b"]))
    compiled, _ = build(el9.site, tmp_path / "out2")
    data = next(f.data for f in compiled.files if f.path == "/etc/hagen/cib.xml")
    ids = [p.get("id") for p in etree.fromstring(data).iter("primitive")]
    assert ids.count("link_var_lib_a_b") == 1 and "link_var_lib_a_b_2" in ids


def test_explain_and_render_know_the_new_files(capsys):
    from hagen.cli import app

    site = str(EXAMPLES / "bas5-guide" / "site-el9.yaml")
    app(["render", "ns0", "/etc/hagen/cib.xml", "--site", site], standalone_mode=False)
    assert "<cib validate-with" in capsys.readouterr().out
    app(["explain", "ns13", "/etc/hagen/fence-password", "--site", site], standalone_mode=False)
    out = capsys.readouterr().out
    secret = (EXAMPLES / "bas5-guide" / "fence-password").read_text().splitlines()[0]
    assert "templates/el9/fence-password.j2" in out and "0600" in out and secret not in out
    app(["render", "ns0", "/etc/hagen/fence-password", "--site", site], standalone_mode=False)
    assert secret not in capsys.readouterr().out


def test_explain_says_what_the_cibs_validator_checks(capsys):
    from hagen.cli import app

    site = str(EXAMPLES / "xena" / "site-el9.yaml")
    app(["explain", "xena11", "/etc/hagen/cib.xml", "--site", site], standalone_mode=False)
    out = capsys.readouterr().out
    assert "validated  cib (validate-with <= pacemaker-3.9" in out and "cluster-conf.rng" not in out


def test_ha110_a_password_path_that_is_not_normalised(el9):
    el9.edit_site(lambda d: d.update(pacemaker={"password_path": "/etc/hagen/../fence"}))
    el9.assert_reports("HA110", "pacemaker.password_path")


def test_runtime_lists_are_warned_about_not_refused_for_el9(el9, tmp_path):
    """What would be an error in an /etc/HA list (HA309, HA310, HA317, HA318) is only the
    list's HA171 on el9, which writes none of them: the build succeeds."""
    el9.edit_site(lambda d: d["management"].update(status=["/etc/HA/bin/hastatus"], stop=["not a path"],
                                                   pid2clean=["relative"], cron=["a b"]))
    compiled, _ = build(el9.site, tmp_path / "out")
    codes = [w.code for w in compiled.warnings]
    assert codes.count("HA171") == 4
