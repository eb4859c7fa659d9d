"""The copy of hagen's CIB the live cell runs (tests/live_cib.py) keeps every id, group and
constraint, and swaps only what cannot run on this machine. Offline: no root needed."""

from __future__ import annotations

import ipaddress

import yaml
from lxml import etree

from conftest import EXAMPLES, GOLDEN
from live_cib import adapt_cib
from live_setup import (node_nics, node_routes, site_units, snapshot_network, stock_el9_units,
                        switch_addresses)

CIB = GOLDEN / "bas5-guide-el9" / "ns0" / "etc/hagen/cib.xml"


def test_the_live_copy_keeps_ids_order_and_constraints_and_swaps_units_for_dummy():
    original = etree.parse(str(CIB)).getroot()
    luns = []
    adapted, bmcs, sbd_disks = adapt_cib(
        CIB, lambda name, kind: luns.append((name, kind)) or f"/dev/loop{len(luns)}")
    ids = lambda tree: [e.get("id") for e in tree.iter("primitive", "group", "rsc_location")]
    assert ids(adapted) == ids(original)
    kinds = {p.get("id"): (p.get("class"), p.get("provider"), p.get("type"))
             for p in adapted.iter("primitive")}
    assert kinds["svc_postgresql"] == ("ocf", "hagen-live", "standin")
    assert adapted.xpath("string(//primitive[@id='svc_postgresql']//nvpair[@name='unit']/@value)") \
        == "postgresql", "the stand-in keeps the unit it stands for"
    assert kinds["ip_ns"] == ("ocf", "heartbeat", "IPaddr2")
    assert kinds["link_var_lib_pgsql"] == ("ocf", "heartbeat", "symlink")
    assert luns == [("fence_sbd_ns_mngt", "sbd")] + [(fs, "ext3") for fs in (
        "fs_etcha", "fs_usrha", "fs_varha", "fs_tftpboot", "fs_homeha")]
    assert sbd_disks == {"/dev/disk/by-id/dm-name-ns_sbd": "/dev/loop1"}
    assert adapted.xpath("string(//primitive[@type='fence_sbd']//nvpair[@name='devices']/@value)") == "/dev/loop1"
    assert kinds["ping"] == ("ocf", "pacemaker", "ping")
    assert kinds["ethmonitor_bond0"] == ("ocf", "heartbeat", "ethmonitor")
    assert adapted.xpath("string(//primitive[@id='fs_etcha']//nvpair[@name='device']/@value)") == "/dev/loop2"
    assert bmcs == {"ns0": "10.2.0.1", "ns13": "10.2.0.14"}
    assert adapted.xpath("//primitive[@type='fence_ipmilan']//nvpair[@name='cipher']/@value") == ["3", "3"]
    assert etree.tostring(adapted.find("configuration/constraints")) == \
        etree.tostring(original.find("configuration/constraints"))


def test_the_live_switch_answers_for_the_gateway_hagen_routes_through_and_the_host_it_pings():
    """The live cell's switch holds the addresses the built files need outside the nodes:
    the keyfiles' route gateway (the BMCs sit behind it) and the ping clone's host."""
    out = GOLDEN / "bas5-guide-el9"
    original = etree.parse(str(CIB)).getroot()
    nics = node_nics(out, "ns0")
    assert nics == [("bond0", "10.1.0.1/16"), ("bond1", "176.18.118.1/24")]
    routes = node_routes(out, "ns0")
    assert routes == [("10.0.0.0/8", "10.1.255.254")]
    assert switch_addresses(original, nics, routes) == {"10.1.255.254": ("br-bond0", 16)}
    bmcs = original.xpath("//primitive[@type='fence_ipmilan']//nvpair[@name='ip']/@value")
    assert all(ipaddress.ip_address(b) in ipaddress.ip_network(routes[0][0]) for b in bmcs), \
        "the nodes reach their BMCs through the admin gateway, as the audit assumes"


def test_the_live_copy_of_xenas_nfs_cell_swaps_the_nfs_agents_and_holds_ext3_luns():
    """The NFS server's agents drive the host's one nfsd: stand-ins; mkfs.xfs is not here: the
    LUN standing for an xfs device holds ext3 and the copy says so."""
    cib = GOLDEN / "xena-el9" / "xena11" / "etc/hagen/cib.xml"
    adapted, bmcs, _ = adapt_cib(cib, lambda name, kind: f"/dev/loop-{name}")
    kinds = {p.get("id"): p.get("type") for p in adapted.iter("primitive")}
    assert [kinds[r] for r in ("nfsserver_xena_nfs", "export_nfs_mount_point1",
                               "export_nfs_home_nfs", "nfsnotify_xena_nfs")] == ["standin"] * 4
    assert kinds["ip_xenanfs_ic0"] == "IPaddr2" and kinds["ethmonitor_ib0"] == "ethmonitor"
    assert set(adapted.xpath("//primitive[@type='Filesystem']//nvpair[@name='fstype']/@value")) \
        == {"ext3"}
    assert bmcs == {"xena11": "10.2.1.11", "xena13": "10.2.1.13"}


def test_an_nfs_node_without_keyfiles_gets_its_nics_and_bmc_route_from_the_clusterdb():
    """el9 writes no keyfiles for an NFS node: the live cell takes its NICs from the
    ClusterDB snapshot and reaches the BMCs through the admin network's router."""
    nics, routes = snapshot_network(EXAMPLES / "xena" / "clusterdb.yaml", "xena11")
    assert nics == [("eth0", "10.1.1.11/16"), ("eth1", "192.168.118.11/24"),
                    ("ib0", "10.10.1.11/16")]
    assert routes == [("10.2.0.0/16", "10.1.255.254")]
    cib = etree.parse(str(GOLDEN / "xena-el9" / "xena11" / "etc/hagen/cib.xml")).getroot()
    assert switch_addresses(cib, nics, routes) == {"10.1.255.254": ("br-eth0", 16)}


def test_every_systemd_unit_of_the_el9_cibs_exists_on_a_stock_el9_node_or_is_the_sites_own():
    """Item 2 of issue 21: a systemd resource whose unit does not exist fails "not installed"
    and moves the whole group for nothing. Every unit of every el9 CIB hagen builds is one
    that a stock EL9 install ships (tests/live/el9-units, written from the packages) or one
    the site says it provides (pacemaker.units); the live cells hold exactly those."""
    for example in ("bas5-guide", "xena"):
        site = yaml.safe_load((EXAMPLES / example / "site-el9.yaml").read_text())
        available = stock_el9_units() | site_units(site)
        for cib in sorted((GOLDEN / f"{example}-el9").glob("*/etc/hagen/cib.xml")):
            units = set(etree.parse(str(cib)).getroot().xpath("//primitive[@class='systemd']/@type"))
            assert units <= available, f"{cib}: no such unit on EL9: {sorted(units - available)}"
