"""hagen audit of target el9-pacemaker cells: facts read from the CIB and corosync.conf,
every failure class played on them, and each finding (HA1020-HA1033) with a small
hand-made CIB/corosync fragment that has it and one that does not, so that a fix of the
built files (a second fencing level, a second knet link, an ethmonitor clone, a delay)
makes the finding go away by itself.

The fragments describe the NFS cell of examples/xena (xena11, xena13: eth0 on admin,
eth1 on backbone, ib0 on the interconnect; BMCs 10.2.1.11 and 10.2.1.13 on the bmc
network, which the nodes reach through admin).
"""

from __future__ import annotations

import json

import pytest
from lxml import etree

from cli_runner import cli as run
from conftest import EXAMPLES
from hagen.audit import compile_for_audit, document
from hagen.audit.el9_facts import cell_from_files, sbd_settings, seconds
from hagen.audit.el9_failures import analyse
from hagen.audit.el9_findings import findings
from hagen.render.pacemaker import corosync_tree

BMC = {"xena11": "10.2.1.11", "xena13": "10.2.1.13"}
RING = {"xena11": ("10.1.1.11", "192.168.118.11"), "xena13": ("10.1.1.13", "192.168.118.13")}


@pytest.fixture(scope="module")
def xena():
    return compile_for_audit(EXAMPLES / "xena" / "site-el9.yaml")


def corosync(links=2) -> dict:
    nodes = "".join(f"    node {{\n        name: {n}\n        nodeid: {i}\n"
                    + "".join(f"        ring{k}_addr: {RING[n][k]}\n" for k in range(links)) + "    }\n"
                    for i, n in enumerate(("xena11", "xena13"), 1))
    return corosync_tree("totem {\n    cluster_name: xena_nfs\n    transport: knet\n}\n"
                         f"nodelist {{\n{nodes}}}\nquorum {{\n    provider: corosync_votequorum\n    two_node: 1\n}}\n")


def _nv(owner, pairs) -> str:
    return "".join(f'<nvpair id="{owner}-{k}" name="{k}" value="{v}"/>' for k, v in pairs)


def ipmi(node, delay=None) -> str:
    pairs = [("ip", BMC[node]), ("username", "root"), ("pcmk_host_list", node)] + \
        ([("pcmk_delay_base", delay)] if delay else [])
    return (f'<primitive id="fence_{node}" class="stonith" type="fence_ipmilan">'
            f'<instance_attributes id="fence_{node}-ia">{_nv("fence_" + node, pairs)}</instance_attributes></primitive>')


def sbd_device(delay=None) -> str:
    pairs = [("devices", "/dev/ldn.da0.0"), ("pcmk_host_list", "xena11,xena13")] + \
        ([("pcmk_delay_base", delay)] if delay else [])
    return ('<primitive id="fence_sbd" class="stonith" type="fence_sbd">'
            f'<instance_attributes id="fence_sbd-ia">{_nv("fence_sbd", pairs)}</instance_attributes></primitive>')


LEVELS = ('<fencing-topology>'
          '<fencing-level id="l1a" target="xena11" index="1" devices="fence_xena11"/>'
          '<fencing-level id="l1b" target="xena11" index="2" devices="fence_sbd"/>'
          '<fencing-level id="l2a" target="xena13" index="1" devices="fence_xena13"/>'
          '<fencing-level id="l2b" target="xena13" index="2" devices="fence_sbd"/>'
          '</fencing-topology>')


def group(nic=None, stop_on_fail=None, meta=(), monitor_on_fail=None) -> str:
    ip = [("ip", "10.1.1.76"), ("cidr_netmask", "16")] + ([("nic", nic)] if nic else [])
    stop = f' on-fail="{stop_on_fail}"' if stop_on_fail else ""
    return ('<group id="nfs">'
            + (f'<meta_attributes id="nfs-meta">{_nv("nfs", meta)}</meta_attributes>' if meta else "")
            + '<primitive id="fs1" class="ocf" provider="heartbeat" type="Filesystem"><instance_attributes id="fs1-ia">'
            + _nv("fs1", [("device", "/dev/ldn.da0.1"), ("directory", "/mount_point1"), ("fstype", "xfs")])
            + f'</instance_attributes><operations><op id="fs1-stop" name="stop" interval="0s" timeout="60s"{stop}/>'
            '</operations></primitive>'
            '<primitive id="ip1" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="ip1-ia">'
            + _nv("ip1", ip) + '</instance_attributes>'
            + (f'<operations><op id="ip1-mon" name="monitor" interval="10s" on-fail="{monitor_on_fail}"/></operations>'
               if monitor_on_fail else "") + '</primitive></group>')


def ethmonitor(interface="eth0", rule=True) -> tuple[str, str]:
    clone = (f'<clone id="ethmon-{interface}-clone"><primitive id="ethmon-{interface}" class="ocf" provider="heartbeat" '
             f'type="ethmonitor"><instance_attributes id="em-{interface}-ia">{_nv("em" + interface, [("interface", interface)])}'
             '</instance_attributes></primitive></clone>')
    loc = (f'<rsc_location id="nfs-on-{interface}" rsc="nfs"><rule id="r-{interface}" score="-INFINITY">'
           f'<expression id="e-{interface}" attribute="ethmonitor-{interface}" operation="ne" value="1"/></rule>'
           '</rsc_location>') if rule else ""
    return clone, loc


def ping(hosts="10.1.255.254", rule=True) -> tuple[str, str]:
    clone = ('<clone id="ping-clone"><primitive id="ping" class="ocf" provider="pacemaker" type="ping">'
             f'<instance_attributes id="ping-ia">{_nv("ping", [("host_list", hosts)])}</instance_attributes>'
             '</primitive></clone>')
    loc = ('<rsc_location id="nfs-ping" rsc="nfs"><rule id="rp" score="-INFINITY">'
           '<expression id="ep" attribute="pingd" operation="lt" value="1"/></rule></rsc_location>') if rule else ""
    return clone, loc


def cib(resources="", constraints="", levels="", props=(), defaults=()) -> etree._Element:
    text = ('<cib validate-with="pacemaker-3.9"><configuration><crm_config><cluster_property_set id="o">'
            + _nv("o", [("stonith-enabled", "true")] + list(props)) + '</cluster_property_set></crm_config>'
            '<nodes><node id="1" uname="xena11"/><node id="2" uname="xena13"/></nodes>'
            f'<resources>{resources}</resources><constraints>'
            '<rsc_location id="prefer" rsc="nfs" node="xena11" score="100"/>'
            f'{constraints}</constraints>{levels}'
            + (f'<rsc_defaults><meta_attributes id="d">{_nv("d", defaults)}</meta_attributes></rsc_defaults>'
               if defaults else "") + '</configuration><status/></cib>')
    return etree.fromstring(text.encode())


def facts(xena, root, links=2, sbd=b""):
    model = xena.model
    cell = next(c for c in model.cells if c.name == "xena_nfs")
    return cell_from_files(model, xena.site, cell, root, corosync(links), sbd_settings(sbd))


def sound(**kw) -> dict:
    """A cell an expert would sign: two links, two levels with a delay each, a link monitor per
    service interface, migration-threshold, priority-fencing-delay."""
    eth0, loc0 = ethmonitor("eth0")
    return {"resources": ipmi("xena11") + ipmi("xena13") + sbd_device() + group(meta=[("priority", "10")]) + eth0,
            "constraints": loc0, "levels": LEVELS, "props": [("priority-fencing-delay", "15s")],
            "defaults": [("migration-threshold", "1"), ("failure-timeout", "10min")], **kw}


def codes_of(xena, root, links=2) -> set:
    f = facts(xena, root, links)
    return {x["code"] for x in findings(f, xena.model, xena.site)}


def played(xena, root, kind, links=2) -> list[dict]:
    return [f for f in analyse(facts(xena, root, links), xena.model) if f["failure"] == kind]


# ---------------------------------------------------------------- readers

def test_facts_read_links_levels_delays_monitors_and_sbd(xena):
    eth0, loc0 = ethmonitor("eth0")
    root = cib(ipmi("xena11", "10s") + ipmi("xena13") + sbd_device("5s") + group() + eth0, loc0, LEVELS,
               props=[("priority-fencing-delay", "15s")], defaults=[("migration-threshold", "1")])
    f = facts(xena, root, 2, b'# comment\nSBD_DEVICE="/dev/ldn.da0.0"\nSBD_WATCHDOG_DEV=/dev/watchdog\n')
    assert [(ln.number, ln.network) for ln in f.knet] == [(0, "admin"), (1, "backbone")]
    assert [lv.devices for lv in f.node("xena11").levels] == [("fence_xena11",), ("fence_sbd",)]
    assert f.device("fence_xena11").delay("xena11") == 10 and f.device("fence_xena11").powered_by == "xena11"
    assert f.device("fence_sbd").disks == ("/dev/ldn.da0.0",) and f.device("fence_sbd").powered_by is None
    assert f.priority_fencing_delay == 15 and f.default("migration-threshold") == "1"
    assert f.monitors[0].attribute == "ethmonitor-eth0" and f.monitors[0].guards == ("nfs",)
    assert dict(f.sbd) == {"SBD_DEVICE": "/dev/ldn.da0.0", "SBD_WATCHDOG_DEV": "/dev/watchdog"}
    assert [(a.address, a.network) for a in f.addresses] == [("10.1.1.76", "admin")]
    rule = next(c for c in f.constraints if c.id == "nfs-on-eth0")
    assert (rule.kind, rule.rsc, rule.score, rule.rule_attributes) == ("rsc_location", "nfs", "-INFINITY",
                                                                        ("ethmonitor-eth0",))


def test_no_topology_means_one_level_of_every_able_device(xena):
    f = facts(xena, cib(ipmi("xena11") + ipmi("xena13") + sbd_device() + group()))
    assert [(lv.devices, lv.written) for lv in f.node("xena13").levels] == [(("fence_xena13", "fence_sbd"), False)]


def test_durations():
    assert [seconds(x) for x in ("10s", "2min", "500ms", "5", "", None, "1h")] == [10, 120, 0.5, 5, 0, 0, 3600]


# ---------------------------------------------------------------- failure classes

def test_node_crash_fences_by_the_first_level_and_moves_the_services(xena):
    crash = played(xena, cib(**sound()), "node_crash")
    first = next(f for f in crash if f["subject"] == "xena11")
    assert first["fenced"] == [{"node": "xena11", "by": "xena13", "via": "admin"}]
    assert first["moves"] == [{"service": "nfs", "from": "xena11", "to": "xena13"}]


def test_power_loss_with_one_bmc_level_recovers_nothing_and_sbd_cures_it(xena):
    lone = played(xena, cib(ipmi("xena11") + ipmi("xena13") + group()), "node_power_lost")
    assert next(f for f in lone if f["subject"] == "xena11")["moves"] == []
    assert "nfs (not recovered)" in next(f for f in lone if f["subject"] == "xena11")["lost"]
    two = played(xena, cib(**sound()), "node_power_lost")
    f = next(f for f in two if f["subject"] == "xena11")
    assert f["moves"] and "fence_sbd" in f["effect"] and f["fenced"][0]["via"].startswith("shared disk")


def test_one_knet_link_lost(xena):
    lost = {f["subject"]: f for f in played(xena, cib(**sound()), "knet_link_lost")}
    assert set(lost) == {"link 0 (admin) on xena13", "link 0 (admin) on xena11", "link 1 (backbone)"}
    quiet = [lost["link 0 (admin) on xena13"], lost["link 1 (backbone)"]]
    assert all("carries on over" in f["effect"] and not f["lost"] and not f["moves"] for f in quiet)
    assert not any(f["agrees"] for f in quiet)                   # better than the guide's one heartbeat
    # the node running nfs loses its port with the link (tests/test_live_pacemakerd.py showed
    # the group move): the membership holds, the link monitor moves the service
    active = lost["link 0 (admin) on xena11"]
    assert active["moves"] == [{"service": "nfs", "from": "xena11", "to": "xena13"}] and not active["fenced"]
    assert "carries on over" in active["effect"] and "ethmon-eth0-clone" in active["effect"]
    bare = sound(resources=ipmi("xena11") + ipmi("xena13") + sbd_device() + group(), constraints="")
    unguarded = {f["subject"]: f for f in played(xena, cib(**bare), "knet_link_lost")}["link 0 (admin) on xena11"]
    assert unguarded["moves"] == [] and any("stranded" in x for x in unguarded["lost"])
    alone = played(xena, cib(**sound()), "knet_link_lost", links=1)
    assert len(alone) == 1 and "splits" in alone[0]["effect"]
    # priority-fencing-delay: the node running nfs (priority 10) survives, xena13 is fenced
    assert alone[0]["fenced"][0]["node"] == "xena13" and alone[0]["moves"] == []


def test_fence_device_lost(xena):
    lone = played(xena, cib(ipmi("xena11") + ipmi("xena13") + group()), "fence_device_lost")
    assert any("cannot fence" in f["effect"] for f in lone)
    two = played(xena, cib(**sound()), "fence_device_lost")
    assert all(not f["lost"] for f in two)


def test_service_nic_lost_strands_the_clients_without_a_link_monitor(xena):
    bare = dict(sound(), constraints="", resources=ipmi("xena11") + ipmi("xena13") + sbd_device() + group())
    lost = next(f for f in played(xena, cib(**bare), "service_nic_lost") if f["subject"].startswith("xena11"))
    assert lost["moves"] == [] and "stranded" in lost["lost"][0]
    watched = next(f for f in played(xena, cib(**sound()), "service_nic_lost") if f["subject"].startswith("xena11"))
    assert watched["moves"] == [{"service": "nfs", "from": "xena11", "to": "xena13"}] and not watched["lost"]


def test_service_nic_on_the_only_link_is_a_split(xena):
    bare = dict(sound(), constraints="", resources=ipmi("xena11") + ipmi("xena13") + sbd_device()
                + group(meta=[("priority", "10")]))
    f = next(f for f in played(xena, cib(**bare), "service_nic_lost", links=1) if f["subject"].startswith("xena11"))
    assert "splits" in f["effect"] and "stranded" in f["lost"][0]      # the active node wins: its address is dead


def test_a_network_down_for_both_nodes(xena):
    two_ips = dict(sound(), resources=sound()["resources"].replace(
        '</primitive></group>', '</primitive><primitive id="ip2" class="ocf" provider="heartbeat" type="IPaddr2">'
        '<instance_attributes id="ip2-ia"><nvpair id="ip2-ip" name="ip" value="192.168.118.135"/>'
        '</instance_attributes></primitive></group>'))
    down = {f["subject"]: f for f in played(xena, cib(**two_ips), "network_down")}
    assert set(down) == {"admin", "backbone"}
    admin = down["admin"]
    assert "carries on over link 1" in admin["effect"] and "address 10.1.1.76 (until admin is back)" in admin["lost"]
    assert "nfs (stopped everywhere until admin is back)" in admin["lost"]     # the -INFINITY rule bans it
    assert not any("stopped everywhere" in x for x in down["backbone"]["lost"])  # no monitor on eth1
    alone = {f["subject"]: f for f in played(xena, cib(**sound()), "network_down", links=1)}
    assert "splits" in alone["admin"]["effect"]


def test_monitor_failure_restarts_in_place_or_moves(xena):
    forever = played(xena, cib(**dict(sound(), defaults=[])), "monitor_failure")[0]
    assert "forever" in forever["effect"] and not forever["agrees"]
    once = played(xena, cib(**sound()), "monitor_failure")[0]
    assert once["moves"] == [{"service": "nfs", "from": "xena11", "to": "xena13"}]


def test_monitor_on_fail_fence_fences_the_node(xena):
    res = dict(sound(), resources=ipmi("xena11") + ipmi("xena13") + sbd_device() + group(monitor_on_fail="fence"))
    f = played(xena, cib(**res), "monitor_failure")[0]
    assert f["fenced"] == [{"node": "xena11", "by": "xena13", "via": "admin"}] and f["moves"]


def test_a_password_in_the_cib_is_never_read(xena):
    from hagen.audit.el9_report import cell_summary

    root = cib(ipmi("xena11").replace('<nvpair id="fence_xena11-username"',
                                      '<nvpair id="pw" name="password" value="s3cr3t-pw"/><nvpair id="fence_xena11-username"')
               + ipmi("xena13") + group())
    f = facts(xena, root)
    text = json.dumps(cell_summary(f)) + json.dumps(analyse(f, xena.model)) + \
        json.dumps(findings(f, xena.model, xena.site))
    assert "s3cr3t-pw" not in text


def test_failed_stop_fences_the_node_or_blocks(xena):
    fenced = played(xena, cib(**sound()), "failed_stop")[0]
    assert fenced["fenced"][0]["node"] == "xena11" and fenced["moves"]
    blocked = dict(sound(), resources=ipmi("xena11") + ipmi("xena13") + group(stop_on_fail="block"))
    assert played(xena, cib(**blocked), "failed_stop")[0]["lost"] == ["nfs"]


def test_corosync_killed_is_fenced_like_a_crash(xena):
    f = next(f for f in played(xena, cib(**sound()), "daemon_killed") if f["subject"] == "corosync on xena11")
    assert f["fenced"][0]["node"] == "xena11" and f["moves"] == [{"service": "nfs", "from": "xena11", "to": "xena13"}]


def test_rejoin_fails_back_only_when_the_location_beats_the_stickiness(xena):
    sticky = dict(sound(), defaults=sound()["defaults"] + [("resource-stickiness", "200")])
    f = next(f for f in played(xena, cib(**sticky), "node_rejoins") if f["subject"] == "xena11")
    assert f["moves"] == [] and "no failback" in f["effect"] and "100 on xena11 against 400 on xena13" in f["effect"]
    loose = next(f for f in played(xena, cib(**sound()), "node_rejoins") if f["subject"] == "xena11")
    assert loose["moves"] == [{"service": "nfs", "from": "xena13", "to": "xena11"}]


def test_lun_and_array_lost(xena):
    arrays = played(xena, cib(**sound()), "disk_array_lost")
    assert arrays and "nfs cannot start" in arrays[0]["effect"] and "SBD loses its disk" in arrays[0]["effect"]
    luns = played(xena, cib(**sound()), "lun_lost")
    assert {f["subject"] for f in luns} == {"/dev/ldn.da0.0", "/dev/ldn.da0.1"}


# ---------------------------------------------------------------- findings, present and absent

def test_sound_cell_has_no_el9_finding(xena):
    assert codes_of(xena, cib(**sound())) <= {"HA1004"}     # one disk array: a fact of the ClusterDB


def test_HA1020_one_fencing_level_on_a_bmc(xena):
    assert "HA1020" in codes_of(xena, cib(ipmi("xena11") + ipmi("xena13") + group()))
    assert "HA1020" not in codes_of(xena, cib(**sound()))
    # no topology, but an SBD device able to fence: Pacemaker tries it too
    assert "HA1020" not in codes_of(xena, cib(ipmi("xena11") + ipmi("xena13") + sbd_device() + group()))


def test_HA1021_one_link_and_no_delay_on_the_working_level(xena):
    assert "HA1021" in codes_of(xena, cib(**dict(sound(), props=[])), links=1)
    assert "HA1021" not in codes_of(xena, cib(**sound()), links=1)
    assert "HA1021" not in codes_of(xena, cib(**dict(sound(), props=[])), links=2)
    # a delay on the shared SBD device delays both directions alike: it settles nothing
    same = dict(sound(), props=[], resources=ipmi("xena11", "10s") + ipmi("xena13") + sbd_device("5s") + group())
    assert "HA1021" in codes_of(xena, cib(**same), links=1)
    mapped = dict(same, resources=ipmi("xena11", "10s") + ipmi("xena13") + sbd_device("xena11:5s;xena13:0s")
                  + group())
    assert "HA1021" not in codes_of(xena, cib(**mapped), links=1)


def test_HA1022_service_address_without_link_monitor(xena):
    bare = dict(sound(), constraints="", resources=ipmi("xena11") + ipmi("xena13") + sbd_device() + group())
    assert "HA1022" in codes_of(xena, cib(**bare))
    assert "HA1022" not in codes_of(xena, cib(**sound()))
    clone, _ = ethmonitor("eth0", rule=False)                       # a monitor no rule reads guards nothing
    assert "HA1022" in codes_of(xena, cib(**dict(bare, resources=bare["resources"] + clone)))
    pclone, ploc = ping("10.1.255.254")                             # ping toward the admin network
    assert "HA1022" not in codes_of(xena, cib(**dict(bare, resources=bare["resources"] + pclone, constraints=ploc)))
    pclone, ploc = ping("192.168.118.254")                          # ping over another network sees nothing
    assert "HA1022" in codes_of(xena, cib(**dict(bare, resources=bare["resources"] + pclone, constraints=ploc)))


def test_HA1022_on_the_only_link_when_nobody_can_fence(xena):
    """One link on admin, fencing through admin only: losing the active node's port blocks the
    cell (nobody can fence), and the address stays on the dead port."""
    lone = cib(ipmi("xena11") + ipmi("xena13") + group())
    assert "HA1022" in codes_of(xena, lone, links=1)
    f = next(f for f in played(xena, lone, "service_nic_lost", links=1) if f["subject"].startswith("xena11"))
    assert "neither node can fence" in f["effect"] and "stranded" in f["lost"][0]


def test_HA1023_no_fencing(xena):
    assert "HA1023" in codes_of(xena, cib(ipmi("xena11") + group()))
    assert "HA1023" in codes_of(xena, cib(**dict(sound(), props=[("stonith-enabled", "false")])))
    assert "HA1023" not in codes_of(xena, cib(**sound()))


def test_HA1024_stop_on_fail_block(xena):
    base = ipmi("xena11") + ipmi("xena13") + sbd_device()
    assert "HA1024" in codes_of(xena, cib(**dict(sound(), resources=base + group(stop_on_fail="block"))))
    assert "HA1024" not in codes_of(xena, cib(**sound()))


def test_HA1025_one_ping_host_behind_a_ban(xena):
    bare = dict(sound(), constraints="", resources=ipmi("xena11") + ipmi("xena13") + sbd_device() + group())
    pclone, ploc = ping("10.1.255.254")
    one = cib(**dict(bare, resources=bare["resources"] + pclone, constraints=ploc))
    assert "HA1025" in codes_of(xena, one)
    lost = played(xena, one, "ping_target_lost")
    assert len(lost) == 1 and lost[0]["lost"] == ["nfs (stopped everywhere until the host answers)"]
    pclone, ploc = ping("10.1.255.254 10.1.255.253")
    two = cib(**dict(bare, resources=bare["resources"] + pclone, constraints=ploc))
    assert "HA1025" not in codes_of(xena, two) and not played(xena, two, "ping_target_lost")[0]["lost"]


def test_HA1030_one_link_race_settled(xena):
    assert "HA1030" in codes_of(xena, cib(**sound()), links=1)
    assert "HA1030" not in codes_of(xena, cib(**sound()), links=2)


def test_HA1031_bond_without_link_monitor(xena, monkeypatch):
    from hagen.audit import el9_facts
    from hagen.audit.facts import Link

    monkeypatch.setattr(el9_facts, "_links", lambda model, site, node: (Link("admin", "bond0", ("eth0", "eth2")),))
    bare = dict(sound(), constraints="", resources=ipmi("xena11") + ipmi("xena13") + sbd_device() + group("bond0"))
    assert "HA1031" in codes_of(xena, cib(**bare)) and "HA1022" not in codes_of(xena, cib(**bare))
    clone, loc = ethmonitor("bond0")
    assert "HA1031" not in codes_of(xena, cib(**dict(bare, resources=bare["resources"] + clone, constraints=loc)))


def test_HA1032_no_migration_threshold(xena):
    assert "HA1032" in codes_of(xena, cib(**dict(sound(), defaults=[])))
    assert "HA1032" not in codes_of(xena, cib(**sound()))
    meta = dict(sound(), defaults=[], resources=ipmi("xena11") + ipmi("xena13") + sbd_device()
                + group(meta=[("migration-threshold", "1")]))
    assert "HA1032" not in codes_of(xena, cib(**meta))


def test_HA1032_a_member_without_threshold_and_a_member_with_its_own(xena):
    one = cib(**dict(sound(), defaults=[], resources=ipmi("xena11") + ipmi("xena13") + sbd_device()
                     + group().replace('<instance_attributes id="ip1-ia">', '<meta_attributes id="ip1-m">'
                                       '<nvpair id="ip1-mt" name="migration-threshold" value="1"/></meta_attributes>'
                                       '<instance_attributes id="ip1-ia">')))
    assert "HA1032" in codes_of(xena, one)                       # fs1 has none
    assert played(xena, one, "monitor_failure")[0]["moves"]     # the failing member (ip1) moves at once


def test_a_disabled_fence_device_fences_nothing(xena):
    stopped = ipmi("xena11").replace('<instance_attributes id="fence_xena11-ia">',
                                     '<meta_attributes id="fx-m"><nvpair id="fx-tr" name="target-role" '
                                     'value="Stopped"/></meta_attributes><instance_attributes id="fence_xena11-ia">')
    root = cib(stopped + ipmi("xena13") + group())
    got = findings(facts(xena, root), xena.model, xena.site)
    assert [x["subjects"] for x in got if x["code"] == "HA1023"] == [["xena11"]]
    assert [x["subjects"][0] for x in got if x["code"] == "HA1020"] == ["xena13"]   # xena13: its one BMC level
    crash = next(f for f in played(xena, root, "node_crash") if f["subject"] == "xena11")
    assert crash["moves"] == [] and "cannot fence" in crash["effect"]


def test_HA1034_a_monitor_rule_that_stops_the_service_everywhere(xena):
    ip2 = ('</primitive><primitive id="ip2" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes '
           'id="ip2-ia"><nvpair id="ip2-ip" name="ip" value="192.168.118.135"/></instance_attributes></primitive>'
           '</group>')
    two_ips = dict(sound(), resources=sound()["resources"].replace('</primitive></group>', ip2))
    assert "HA1034" in codes_of(xena, cib(**two_ips))       # admin down: 192.168.118.135 stops with it
    assert "HA1034" not in codes_of(xena, cib(**sound()))   # its only address is on the watched network
    finite = dict(two_ips, constraints=two_ips["constraints"].replace('score="-INFINITY"', 'score="-100"'))
    assert "HA1034" not in codes_of(xena, cib(**finite))


def test_HA1033_fixed_delay_on_one_node(xena):
    fixed = dict(sound(), props=[], resources=ipmi("xena11", "10s") + ipmi("xena13") + sbd_device() + group())
    assert "HA1033" in codes_of(xena, cib(**fixed))
    assert "HA1033" not in codes_of(xena, cib(**dict(fixed, props=[("priority-fencing-delay", "15s")])))


# ---------------------------------------------------------------- the examples

@pytest.mark.parametrize("site", ["xena/site-el9.yaml", "bas5-guide/site-el9.yaml"])
def test_every_el9_example_is_audited_and_exits_by_its_findings(site):
    res = run("audit", "--site", EXAMPLES / site, "--format", "json")
    doc = json.loads(res.stdout)
    assert doc["not_audited"] == [] and doc["cells"] and "HA176" not in res.stderr
    assert all(c["stack"] == "el9-pacemaker" and c["failures"] for c in doc["cells"])
    assert res.code == (1 if doc["summary"]["spofs"] else 0)
    svg = run("audit", "--site", EXAMPLES / site, "--format", "svg")
    assert svg.code == res.code and svg.stdout.lstrip().startswith("<?xml")


def test_every_failure_class_is_played_on_the_examples():
    kinds = set()
    for site in ("xena/site-el9.yaml", "bas5-guide/site-el9.yaml"):
        doc = document(compile_for_audit(EXAMPLES / site))
        kinds |= {f["failure"] for c in doc["cells"] for f in c["failures"]}
    assert kinds >= {"node_crash", "node_power_lost", "knet_link_lost", "network_down", "fence_device_lost",
                     "service_nic_lost", "monitor_failure", "failed_stop", "disk_array_lost", "lun_lost",
                     "daemon_killed", "node_rejoins"}


def test_the_examples_findings_follow_their_cibs():
    """issue 21's review, on whatever the examples' CIBs hold today: a node whose levels all rely
    on its BMC has HA1020, a single knet link whose split ends in mutual fencing has HA1021, an
    address no monitor guards has HA1022; and a finding never names what the CIB has cured."""
    from hagen.audit.el9_facts import el9_cell_facts
    from hagen.audit.el9_failures import fence, race, watchers

    for site in ("xena/site-el9.yaml", "bas5-guide/site-el9.yaml"):
        compiled = compile_for_audit(EXAMPLES / site)
        for f in el9_cell_facts(compiled):
            got = {x["code"] for x in findings(f, compiled.model, compiled.site)}
            assert ("HA1020" in got) == any(fence(f, n.name, powerless=n.name) is None for n in f.nodes)
            split = len(f.knet) == 1 and race(f, frozenset({f.knet[0].network}))[0] == "both"
            assert ("HA1021" in got) == split
            single = [(a, n) for a in f.addresses for n in f.nodes
                      if any(ln.network == a.network and not ln.redundant for ln in n.links)]
            assert ("HA1022" in got) == any(not watchers(f, n.name, a) for a, n in single)


def test_svg_of_an_el9_site():
    from hagen.audit.svg import to_svg

    doc = document(compile_for_audit(EXAMPLES / "xena" / "site-el9.yaml"))
    root = etree.fromstring(to_svg(doc).encode())
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"xena11", "xena13", "network admin", "level 2 for xena11"} <= texts
    assert [e for e in root.iter() if e.get("stroke") == "red"]


def test_levels_by_target_pattern_and_sbd_disks_from_sysconfig(xena):
    levels = LEVELS.replace('target="xena11" index="2"', 'target-pattern="xena1[13]" index="2"').replace(
        '<fencing-level id="l2b" target="xena13" index="2" devices="fence_sbd"/>', "")
    bare_sbd = sbd_device().replace('<nvpair id="fence_sbd-devices" name="devices" value="/dev/ldn.da0.0"/>', "")
    root = cib(ipmi("xena11") + ipmi("xena13") + bare_sbd + group(), levels=levels)
    f = facts(xena, root, 2, b"SBD_DEVICE=/dev/ldn.da0.0\n")
    assert [lv.devices for lv in f.node("xena13").levels] == [("fence_xena13",), ("fence_sbd",)]
    assert f.device("fence_sbd").disks == ("/dev/ldn.da0.0",)
    assert "HA1020" not in {x["code"] for x in findings(f, xena.model, xena.site)}


def test_runbook_packages_follow_the_cibs_agents(xena):
    from hagen.audit.el9_runbook import _packages

    pdu = ('<primitive id="fence_pdu" class="stonith" type="fence_apc_snmp"><instance_attributes id="pdu-ia">'
           + _nv("pdu", [("ip", "10.1.255.1"), ("pcmk_host_map", "xena11:1;xena13:2")])
           + '</instance_attributes></primitive>')
    f = facts(xena, cib(ipmi("xena11") + ipmi("xena13") + pdu + group()))
    install = next(c for c in _packages([f])[0]["commands"] if c.startswith("dnf install"))
    assert "fence-agents-apc-snmp" in install and "fence-agents-ipmilan" in install and " sbd" not in install
    assert f.device("fence_pdu").targets == ("xena11", "xena13") and f.device("fence_pdu").powered_by is None


def test_a_failed_stop_moves_every_service_of_the_fenced_node_as_its_crash_does(xena):
    """A stop that fails gets its node fenced, and the fenced node takes every service it
    ran along: on xena's OSS pair (three targets a node) the audit moved only the target
    whose stop failed, and the real daemons moved all three (tests/test_live_xena_lustre.py)."""
    (oss,) = [c for c in document(xena)["cells"] if c.get("cluster_name") == "xena_oss"]
    for stop in (f for f in oss["failures"] if f["failure"] == "failed_stop"):
        node = stop["fenced"][0]["node"]
        crash = next(f for f in oss["failures"] if f["failure"] == "node_crash" and f["subject"] == node)
        assert stop["moves"] == crash["moves"] and len(stop["moves"]) == 3, stop


def test_a_link_monitor_says_how_long_it_takes_to_act_on_a_dead_link(xena):
    """ethmonitor checks a dead link repeat_count times repeat_interval apart (5 and 10 by
    default) after its monitor interval, then attrd waits `dampen`: about 65 s, which the
    live cells showed (tests/live_plays.py waits the audit's figure, not its own)."""
    eth0, loc0 = ethmonitor("eth0")
    f = facts(xena, cib(**dict(sound(), resources=ipmi("xena11") + ipmi("xena13") + group() + eth0,
                               constraints=loc0)))
    assert f.monitors[0].reacts_s == 65
    quick = eth0.replace('</instance_attributes>', _nv("q", [("repeat_count", "2"), ("repeat_interval", "5"),
                                                              ("dampen", "1s")]) + '</instance_attributes>')
    g = facts(xena, cib(**dict(sound(), resources=ipmi("xena11") + ipmi("xena13") + group() + quick,
                               constraints=loc0)))
    assert g.monitors[0].reacts_s == 10 + 2 * 5 + 1
    moved = next(x for x in analyse(g, xena.model) if x["failure"] == "service_nic_lost" and x["moves"])
    assert "within about 21 s" in moved["effect"]
