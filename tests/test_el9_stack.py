"""Issue "Today's stack that works on a real EL9 pair", compile side: what target
el9-pacemaker writes must run on a stock EL9 node. One test (or more) per item:
symlinks that start on a fresh node, EL9 unit names, link monitors, a second fencing
level with delays on every level, a password lanplus can send, the links of services
turned off, stop_unexpected, priority-fencing-delay, relocate on failure, the agents'
advised timeouts, NFS lock recovery, two knet links, crypto, SBD_OPTS, alerts, persistent
LUN names, Lustre's options. cib-apply: tests/test_el9_cib_apply.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from lxml import etree

from conftest import EXAMPLES
from example_helpers import Example, find
from hagen.compile.pipeline import build


@pytest.fixture(scope="module")
def trees(el9_builds):
    return {name: root for name, (root, _) in el9_builds.items()}


def cib(tree, host):
    return etree.parse(str(tree / host / "etc/hagen/cib.xml")).getroot()


def params(rsc) -> dict:
    return {nv.get("name"): nv.get("value") for nv in rsc.findall("instance_attributes/nvpair")}


@pytest.fixture
def el9(tmp_path):
    ex = Example(tmp_path, "bas5-guide")
    ex.site = ex.folder / "site-el9.yaml"
    return ex


def built_cib(ex, tmp_path, host="ns0"):
    compiled, _ = build(ex.site, tmp_path / "out")
    return etree.fromstring(next(f.data for f in compiled.files if f.path == "/etc/hagen/cib.xml" and f.host == host))


def need(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: pacemaker-cli-utils, pcs; .ci/run installs them)")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


# ---------------------------------------------------------------- 1, 7, 8: links

def test_every_symlink_moves_a_clashing_directory_aside(trees):
    links = [p for p in cib(trees["bas5-guide"], "ns0").iter("primitive") if p.get("type") == "symlink"]
    assert links and all(params(p).get("backup_suffix") == ".hagen-orig" for p in links)


def test_links_of_a_group_switched_off_are_not_written(trees):
    ids = {p.get("id") for p in cib(trees["bas5-guide"], "ns0").iter("primitive")}
    assert "link_etc_httpd" in ids
    assert not {"link_usr_lib_clustmngt_rms_etc", "link_var_rms", "link_var_lib_imap", "link_usr_share_lsf"} & ids


def test_stale_links_go_and_parents_come_before_pacemaker_starts(trees, tmp_path):
    node = trees["bas5-guide"] / "ns0"
    dropin = (node / "etc/systemd/system/pacemaker.service.d/hagen-links.conf").read_text()
    assert "ExecStartPre=/etc/hagen/unlink-stale" in dropin
    script = (node / "etc/hagen/unlink-stale").read_text()
    assert "/usr/lib/clustmngt/rms/etc" not in script
    stale, ours, other, missing = (tmp_path / n for n in ("stale", "ours", "other", "a/b/link"))
    os.symlink("/varha/x", stale)                       # left by a fenced node: removed
    os.symlink("/elsewhere", other)                     # not hagen's target: kept
    body = f"{stale} /varha/x\n{other} /varha/y\n{missing} /varha/z\n"
    text = script.split("<<'LINKS'\n")[0] + "<<'LINKS'\n" + body + "LINKS\nexit 0\n"
    runner = tmp_path / "unlink"
    runner.write_text(text)
    assert run(["sh", str(runner)]).returncode == 0
    assert not os.path.lexists(stale) and os.path.islink(other) and missing.parent.is_dir()


def test_an_instance_found_where_it_should_not_run_is_stopped_there_only(trees):
    defaults = {nv.get("name"): nv.get("value") for nv in cib(trees["bas5-guide"], "ns0").iter("nvpair")
                if nv.getparent().get("id") == "rsc_defaults-options"}
    assert defaults["multiple-active"] == "stop_unexpected"
    assert defaults["migration-threshold"] == "1" and defaults["failure-timeout"] == "10min"


# ---------------------------------------------------------------- 2: units

def test_init_scripts_become_their_el9_units(trees):
    types = {p.get("type") for p in cib(trees["bas5-guide"], "ns0").iter("primitive") if p.get("class") == "systemd"}
    assert {"slapd", "nfs-server", "nagios", "postgresql"} <= types
    assert not {"ldap", "nfs", "dbmConfig", "hasystemimager"} & types


def test_ha177_a_site_script_without_a_unit(el9):
    el9.edit_site(lambda d: d["pacemaker"]["units"].pop("hacisco"))
    found = el9.assert_reports("HA177", "management.services[")
    assert "pacemaker.units" in found[0].hint


def test_ha177_xinetd_which_el9_does_not_ship(el9):
    """RHEL 9 ships no xinetd: a start list that runs it names its replacement."""
    el9.edit_site(lambda d: d["management"]["services"].insert(3, "/etc/init.d/xinetd"))
    found = el9.assert_reports("HA177", "management.services[")
    assert "xinetd" in found[0].message


def test_a_unit_override_and_false_leave_it_out(el9, tmp_path):
    el9.edit_site(lambda d: d["pacemaker"]["units"].update(ldap="dirsrv@ns", hacisco=False))
    types = {p.get("type") for p in built_cib(el9, tmp_path).iter("primitive")}
    assert "dirsrv@ns" in types and "slapd" not in types and "hacisco" not in types


def test_ha178_ocfs2_on_el9(el9):
    el9.edit_site(lambda d: d.setdefault("batch", {}).update(
        ocfs2={"device": "/dev/mapper/ocfs", "mount_point": "/ocfs"}))
    el9.assert_reports("HA178", "batch.ocfs2")


# ---------------------------------------------------------------- 3: link monitors

def test_each_service_interface_is_watched_and_bans_the_group(trees):
    root = cib(trees["bas5-guide"], "ns0")
    monitors = [params(p) for p in root.iter("primitive") if p.get("type") == "ethmonitor"]
    assert {m["interface"] for m in monitors} == {"bond0", "bond1"}
    assert all(m["link_status_only"] == "true" for m in monitors)           # what monitor_link read
    assert all(p.getparent().tag == "clone" for p in root.iter("primitive") if p.get("type") in ("ethmonitor", "ping"))
    rules = {e.get("attribute") for loc in root.iter("rsc_location") if loc.get("rsc") == "HA_NSM"
             for e in loc.iter("expression")}
    assert rules == {"ethmonitor-bond0", "ethmonitor-bond1", "pingd"}
    nfs = cib(trees["xena"], "xena11")
    assert {params(p)["interface"] for p in nfs.iter("primitive") if p.get("type") == "ethmonitor"}


def test_a_dead_service_link_moves_the_group(trees, tmp_path):
    """crm_simulate: ns0's bond0 seen down (ethmonitor sets 0) sends the group to ns13."""
    need("crm_simulate", "crm_attribute")
    live = tmp_path / "cib.xml"
    shutil.copyfile(trees["bas5-guide"] / "ns0/etc/hagen/cib.xml", live)
    assert run(["crm_simulate", "-x", str(live), "-u", "ns0", "-u", "ns13", "-q", "1", "-X"]).returncode == 0
    env = dict(os.environ, CIB_file=str(live))
    assert run(["crm_attribute", "-N", "ns0", "-n", "ethmonitor-bond0", "-v", "0"], env=env).returncode == 0
    proc = run(["crm_simulate", "-x", str(live), "-S"])
    revised = proc.stdout.split("Revised Cluster Status:", 1)[1]
    assert "ip_ns\t(ocf:heartbeat:IPaddr2):\t Started ns13" in revised, revised


# ---------------------------------------------------------------- 5, 9: fencing

def test_the_pair_has_a_second_level_on_sbd(trees):
    root = cib(trees["bas5-guide"], "ns0")
    levels = [(lv.get("target"), lv.get("index"), lv.get("devices")) for lv in root.iter("fencing-level")]
    assert ("ns0", "2", "fence_sbd_ns_mngt") in levels and ("ns13", "1", "fence_ns13") in levels
    sbd = (trees["bas5-guide"] / "ns13/etc/sysconfig/sbd").read_text()
    assert 'SBD_OPTS="-n ns13"' in sbd and "# BEGIN hagen sbd" in sbd


def test_the_delay_follows_the_services_by_default(trees):
    root = cib(trees["bas5-guide"], "ns0")
    assert root.find(".//nvpair[@name='priority-fencing-delay']").get("value") == "15s"
    assert not root.xpath(".//nvpair[@name='pcmk_delay_base']")


def test_node_delays_go_on_every_level_and_primary_is_the_sites_choice(el9, tmp_path):
    el9.edit_site(lambda d: d["pacemaker"].update(fence_delay="primary", node_fence_delays={"ns13": "3s"}))
    root = built_cib(el9, tmp_path)
    devices = {p.get("id"): params(p).get("pcmk_delay_base") for p in root.iter("primitive")
               if p.get("class") == "stonith"}
    assert devices == {"fence_ns0": "10s", "fence_ns13": "3s", "fence_sbd_ns_mngt": "ns0:10s;ns13:3s"}
    assert root.find(".//nvpair[@name='priority-fencing-delay']") is None


def test_a_pdu_as_the_second_level(el9, tmp_path):
    el9.edit_site(lambda d: d["pacemaker"].update(second_level={"ns_mngt": {"pdu": {
        "agent": "fence_apc_snmp", "ip": "10.2.0.100", "password_path": "/etc/hagen/pdu-password",
        "ports": {"ns0": "1", "ns13": "2"}}}}))
    root = built_cib(el9, tmp_path)
    pdu = root.find(".//primitive[@type='fence_apc_snmp']")
    assert params(pdu)["pcmk_host_map"] == "ns0:1;ns13:2"
    assert [lv.get("devices") for lv in root.iter("fencing-level") if lv.get("index") == "2"] == [pdu.get("id")] * 2


BOUND = ("pcmk_reboot_timeout", "pcmk_reboot_retries", "pcmk_off_timeout", "pcmk_off_retries")


def bounds(root) -> dict:
    return {p.get("id"): {k: v for k, v in params(p).items() if k in BOUND}
            for p in root.iter("primitive") if p.get("class") == "stonith"}


def test_level_one_is_bounded_where_a_second_level_exists(trees, el9, tmp_path):
    """A BMC dark with its node fails every attempt: with SBD behind it, one attempt of at
    most first_level_timeout plus the delay Pacemaker 2.1 counts against it (the priority
    delay, 15 s), then SBD; the second level itself keeps stonith-timeout (60 s, six times
    SBD's msgwait of 10 s)."""
    root = cib(trees["bas5-guide"], "ns0")
    bound = {"pcmk_reboot_timeout": "45s", "pcmk_reboot_retries": "1", "pcmk_off_timeout": "45s",
             "pcmk_off_retries": "1"}
    assert bounds(root) == {"fence_ns0": bound, "fence_ns13": bound, "fence_sbd_ns_mngt": {}}
    assert root.find(".//nvpair[@name='stonith-timeout']") is None      # Pacemaker's 60 s
    watchdog = re.search(r"^SBD_WATCHDOG_TIMEOUT=(\d+)$",
                         (trees["bas5-guide"] / "ns0/etc/sysconfig/sbd").read_text(), re.M)
    assert 60 >= 2 * (2 * int(watchdog.group(1))), "stonith-timeout at least twice msgwait (sbd(8))"
    el9.edit_site(lambda d: d["pacemaker"].update(fence_delay="primary", node_fence_delays={"ns13": "3s"},
                                                  first_level_timeout="20s", first_level_attempts=2))
    timeouts = {rid: b.get("pcmk_reboot_timeout") for rid, b in bounds(built_cib(el9, tmp_path)).items()}
    assert timeouts == {"fence_ns0": "30s", "fence_ns13": "23s", "fence_sbd_ns_mngt": None}


def test_a_single_level_keeps_pacemakers_timeout_and_retries(el9, tmp_path):
    """Without a second level, the BMC is all there is: retried until stonith-timeout."""
    el9.edit_site(lambda d: d["pacemaker"].pop("second_level"))
    el9.edit_rows(lambda t: find(t, "da_iocell", name="ns_mngt").update(quorum_device=None))
    root = built_cib(el9, tmp_path)
    assert not list(root.iter("fencing-level"))
    assert bounds(root) == {"fence_ns0": {}, "fence_ns13": {}}


def test_ha180_a_second_level_for_an_unknown_cell_or_a_node_without_outlet(el9):
    el9.edit_site(lambda d: d["pacemaker"].update(second_level={"nope": {"sbd_device": "/dev/mapper/s"}}))
    el9.assert_reports("HA180", "pacemaker.second_level.nope")
    el9.edit_site(lambda d: d["pacemaker"].update(second_level={"ns_mngt": {"pdu": {
        "agent": "fence_apc_snmp", "ip": "10.2.0.100", "ports": {"ns0": "1"}}}}))
    el9.assert_reports("HA180", "pacemaker.second_level.ns_mngt")


# ---------------------------------------------------------------- 6: the password

def test_ha183_a_password_lanplus_cannot_send(el9):
    (el9.folder / "fence-password").write_text("bas5-guide-dummy-secret\n")       # 23 bytes
    found = el9.assert_reports("HA183", "management.fencing.password_file")
    assert "23 bytes" in found[0].message and "bas5-guide-dummy-secret" not in found[0].message


def test_the_examples_dummy_secrets_are_valid_for_lanplus():
    from hagen.load.secrets import lanplus_problem

    for example in ("bas5-guide", "xena"):
        assert lanplus_problem((EXAMPLES / example / "fence-password").read_text().splitlines()[0]) is None


# ---------------------------------------------------------------- medium items

def test_operations_carry_the_agents_advised_timeouts(trees):
    root = cib(trees["xena"], "xena11")
    export = root.find(".//primitive[@type='exportfs']")
    ops = {op.get("name"): op.get("timeout") for op in export.iter("op")}
    assert ops == {"monitor": "20s", "start": "40s", "stop": "120s"}


def test_the_advised_timeouts_are_the_installed_agents(tmp_path):
    """ADVISED against the meta-data of the agents installed here (resource-agents, pacemaker)."""
    from hagen.plan.el9.ops import ADVISED

    root = "/usr/lib/ocf/resource.d"
    for agent, (interval, monitor, start, stop) in ADVISED.items():
        path = next((f"{root}/{p}/{agent}" for p in ("heartbeat", "pacemaker")
                     if os.path.exists(f"{root}/{p}/{agent}")), None)
        if path is None:
            continue
        meta = etree.fromstring(run([path, "meta-data"], env=dict(os.environ, OCF_ROOT="/usr/lib/ocf")).stdout.encode())
        acts = {a.get("name"): a for a in meta.iter("action")}
        assert (acts["start"].get("timeout"), acts["stop"].get("timeout")) == (start, stop), agent
        assert (acts["monitor"].get("interval"), acts["monitor"].get("timeout")) == (interval, monitor), agent


def test_nfs_recovers_locks_and_keeps_its_state_unexported(trees):
    group = cib(trees["xena"], "xena11").find(".//group")
    members = group.findall("primitive")
    server = params(next(p for p in members if p.get("type") == "nfsserver"))
    assert server["nfs_server_scope"] == "10.1.1.110" or server["nfs_server_scope"].count(".") == 3
    assert server["nfs_shared_infodir"].startswith("/var/lib/nfs-ha/")
    exported = [params(p)["directory"] for p in members if p.get("type") == "exportfs"]
    assert not any(server["nfs_shared_infodir"].startswith(d) for d in exported)
    assert members[-1].get("type") == "nfsnotify" and params(members[-1])["source_host"] == server["nfs_server_scope"]


def test_ha181_the_state_on_an_export_is_refused(tmp_path):
    ex = Example(tmp_path, "xena")
    ex.site = ex.folder / "site-el9.yaml"
    ex.edit_site(lambda d: d["pacemaker"].pop("nfs_state"))
    ex.assert_reports("HA181", "nfs.exports")


def test_a_lustre_cell_gets_a_second_link_on_ipoib(trees):
    text = (trees["xena"] / "xena1/etc/corosync/corosync.conf").read_text()
    assert "ring0_addr: 10.1.1.1\n" in text and "ring1_addr: 10.10.1.1\n" in text


def test_crypto_is_on_unless_the_site_says_otherwise(el9, tmp_path):
    el9.edit_site(lambda d: d["pacemaker"].pop("corosync_crypto"))
    compiled, _ = build(el9.site, tmp_path / "out")
    conf = next(f.data for f in compiled.files if f.path == "/etc/corosync/corosync.conf").decode()
    assert "crypto_cipher: aes256" in conf and "crypto_hash: sha256" in conf


def test_alerts_name_their_recipient(trees):
    alert = cib(trees["bas5-guide"], "ns0").find(".//alerts/alert")
    assert alert.get("path").endswith("alert_smtp.sh") and alert.find("recipient").get("value") == "root@localhost"


def test_ha179_a_kernel_name_for_a_shared_lun(el9):
    el9.edit_site(lambda d: d["management"]["mnttab"][0].update(device="/dev/sdf"))
    el9.assert_reports("HA179", "management.mnttab[0].device", "warning")


def test_lustre_mountoptions_and_lnet_health(tmp_path):
    ex = Example(tmp_path, "xena")
    ex.site = ex.folder / "site-el9.yaml"
    ex.edit_site(lambda d: d["pacemaker"].update(lustre_mountoptions="user_xattr,acl",
                                                 lnet_health={"nids": ["10.10.0.1@o2ib"]}))
    root = built_cib(ex, tmp_path, "xena1")
    target = root.find(".//primitive[@type='Lustre']")
    assert params(target)["mountoptions"] == "user_xattr,acl"
    health = root.find(".//clone/primitive[@type='healthLNET']")
    assert params(health)["host_list"] == "10.10.0.1@o2ib"
    assert {e.get("attribute") for e in root.iter("expression")} == {"lnet_health"}


# ---------------------------------------------------------------- pcs and the schemas

def test_pcs_verifies_the_cib_and_creates_a_resource_on_a_copy(trees, tmp_path):
    need("pcs", "crm_simulate")
    for example, host in (("bas5-guide", "ns0"), ("xena", "xena1"), ("xena", "xena11")):
        copy = tmp_path / f"{host}.xml"
        shutil.copyfile(trees[example] / host / "etc/hagen/cib.xml", copy)
        nodes = [n.get("uname") for n in etree.parse(str(copy)).iter("node")]
        up = [a for n in nodes for a in ("-u", n)]
        assert run(["crm_simulate", "-x", str(copy), *up, "-q", "1", "-X"]).returncode == 0
        proc = run(["pcs", "-f", str(copy), "cluster", "verify", "--full"])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = run(["pcs", "-f", str(copy), "resource", "create", "probe", "ocf:pacemaker:Dummy"])
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validate_with_is_the_lowest_schema_the_content_needs(trees, el9, tmp_path):
    """Each CIB validates with its schema and not with the one before (Pacemaker's own .rng files):
    pacemaker-2.5 with alerts, pacemaker-1.2 without."""
    need("xmllint")
    order = ["pacemaker-1.0", "pacemaker-1.2", "pacemaker-2.4", "pacemaker-2.5"]
    el9.edit_site(lambda d: d["pacemaker"].pop("alerts"))
    quiet = tmp_path / "quiet.xml"
    quiet.write_bytes(etree.tostring(built_cib(el9, tmp_path)))
    assert etree.parse(str(quiet)).getroot().get("validate-with") == "pacemaker-1.2"
    for path in (trees["bas5-guide"] / "ns0/etc/hagen/cib.xml", trees["xena"] / "xena11/etc/hagen/cib.xml", quiet):
        schema = etree.parse(str(path)).getroot().get("validate-with")
        rng = f"/usr/share/pacemaker/{schema}.rng"
        if not os.path.exists(rng):
            pytest.skip("Pacemaker's schemas are not installed (apt-get install pacemaker-common)")
        assert run(["xmllint", "--noout", "--relaxng", rng, str(path)]).returncode == 0
        before = order[order.index(schema) - 1]
        assert run(["xmllint", "--noout", "--relaxng", f"/usr/share/pacemaker/{before}.rng", str(path)]).returncode != 0


def test_corosync_conf_differs_from_pcss_only_where_the_doc_says(el9, tmp_path):
    """pcs cluster setup --corosync_conf for the same nodes and links: the same totem,
    nodelist and quorum; logging is the one difference (docs/migration-el9.md)."""
    need("pcs")
    from conftest import REPO
    from hagen.kinds.pacemaker import corosync_flat

    el9.edit_site(lambda d: d["pacemaker"].pop("corosync_crypto"))       # pcs's default: crypto on
    compiled, _ = build(el9.site, tmp_path / "out")
    ours = next(f.data for f in compiled.files if f.path == "/etc/corosync/corosync.conf").decode()
    theirs = tmp_path / "pcs-corosync.conf"
    proc = run(["pcs", "cluster", "setup", "ns_mngt", "ns0", "addr=10.1.0.1", "addr=176.18.118.1",
                "ns13", "addr=10.1.0.13", "addr=176.18.118.13", "--corosync_conf", str(theirs),
                "--no-cluster-uuid", "--overwrite"])
    assert proc.returncode == 0, proc.stderr
    a, b = corosync_flat(ours), corosync_flat(theirs.read_text())
    differ = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    assert differ == {"logging[1].to_logfile", "logging[1].logfile"}, differ
    doc = (REPO / "docs" / "migration-el9.md").read_text()
    assert "to_logfile: no" in doc and "logfile:" in doc


def test_corosync_accepts_the_crypto_configuration_with_a_key(el9, tmp_path):
    """corosync -t (in a network namespace holding ns0's link addresses, as root) reads the
    crypto hagen writes by default, given a key made by corosync-keygen."""
    need("corosync", "corosync-keygen", "unshare")
    if os.geteuid() != 0:
        pytest.skip("corosync -t needs the node's link addresses: a network namespace, as root")
    el9.edit_site(lambda d: d["pacemaker"].pop("corosync_crypto"))
    compiled, _ = build(el9.site, tmp_path / "out")
    conf = next(f.data for f in compiled.files if f.path == "/etc/corosync/corosync.conf" and f.host == "ns0")
    key = tmp_path / "authkey"
    assert run(["corosync-keygen", "-k", str(key)]).returncode == 0
    path = tmp_path / "corosync.conf"
    path.write_text(conf.decode().replace("    crypto_hash: sha256\n", f"    crypto_hash: sha256\n    keyfile: {key}\n"))
    setup = "ip link set lo up && ip addr add 10.1.0.1/32 dev lo && ip addr add 176.18.118.1/32 dev lo"
    proc = run(["unshare", "-n", "sh", "-c", f"{setup} && exec corosync -t -c {path}"])
    if "Operation not permitted" in proc.stderr and proc.returncode != 0:
        pytest.skip("no privilege for a network namespace here")
    assert proc.returncode == 0, proc.stdout + proc.stderr
