"""hagen.check.network: the checks that no address is silently lost or shared (HA412-HA414),
in process on a copy of examples/bas5-guide."""

from __future__ import annotations

import pytest

from example_helpers import Example


@pytest.fixture
def ex(tmp_path):
    return Example(tmp_path, "bas5-guide")


def _port(t, node_id, network_id):
    return next(r for r in t["node_port"] if r["node_id"] == node_id and r["network_id"] == network_id)


def test_two_networks_on_one_interface_without_a_bond(ex):
    ex.edit_site(lambda s: s["network"]["bonding"].update(bonds=[]))
    ex.edit_rows(lambda t: [_port(t, n, 2).update(interface_name="eth0") for n in (1, 14)])
    r = ex.assert_reports("HA412", "clusterdb node_port[node=ns0, interface=eth0]")
    assert "admin" in r[0].message and "backbone" in r[0].message
    ex.assert_reports("HA412", "clusterdb node_port[node=ns13, interface=eth0]")


def test_bonds_keep_networks_apart(ex):
    assert not [r for r in ex.reports() if r.code in ("HA412", "HA413", "HA414")]


def test_overlapping_subnets(ex):
    ex.edit_rows(lambda t: next(n for n in t["network"] if n["name"] == "bmc").update(subnet="10.0.0.0/8"))
    r = ex.assert_reports("HA413", "clusterdb network[name=admin]")
    assert "10.0.0.0/8" in r[0].message


def test_adjacent_subnets_do_not_overlap(ex):
    ex.edit_rows(lambda t: next(n for n in t["network"] if n["name"] == "bmc").update(subnet="10.2.0.0/16"))
    assert not [r for r in ex.reports() if r.code == "HA413"]


def test_a_controller_at_a_node_address(ex):
    ex.edit_rows(lambda t: t["node_port"].append({"id": 99, "node_id": 3, "network_id": 3, "interface_name": "eth3",
                                                   "ipaddr": "10.2.0.6", "hwaddr": None}))
    r = ex.assert_reports("HA414", "clusterdb hwmanager_port[hwmanager=ns5-bmc]")
    assert "node ns2" in r[0].message


def test_two_controllers_at_one_address(ex):
    ex.edit_rows(lambda t: next(p for p in t["hwmanager_port"] if p["hwmanager_id"] == 5).update(ipaddr="10.2.0.6"))
    ex.assert_reports("HA414", "clusterdb hwmanager_port[hwmanager=ns5-bmc]")


def _backbone_gateway(t):
    next(r for r in t["network"] if r["name"] == "backbone").update(gateway="176.18.118.254")


def test_ha416_two_default_routes_on_one_node(ex):
    # the admin network routes 10/8 only; without that entry it and the backbone both give a default
    ex.edit_rows(_backbone_gateway)
    ex.edit_site(lambda s: s["network"].pop("routes"))
    r = ex.assert_reports("HA416", "site.yaml:")
    assert "ns0 would get a default route on each of admin, backbone" in r[0].message
    assert "network.default_route: admin" in r[0].hint
    assert r[0].where.key == "network"        # the key that exists: routes is absent


def test_network_default_route_says_which_network_has_it(ex, tmp_path):
    from hagen.compile.pipeline import build

    ex.edit_rows(_backbone_gateway)
    ex.edit_site(lambda s: (s["network"].pop("routes"), s["network"].update(default_route="backbone")))
    assert not [r for r in ex.reports() if r.severity.value == "error"]
    compiled, _ = build(ex.site, tmp_path / "out")
    routes = {f.path: f.data.decode() for f in compiled.files if f.host == "ns0" and "/route-" in f.path}
    assert list(routes) == ["/etc/sysconfig/network-scripts/route-bond1"]
    assert "ADDRESS0=0.0.0.0" in routes["/etc/sysconfig/network-scripts/route-bond1"]


def test_ha415_default_route_on_a_network_without_gateway(ex):
    ex.edit_site(lambda s: s["network"].update(default_route="backbone"))
    r = ex.assert_reports("HA415", "network.default_route")
    assert "has no gateway" in r[0].message


def test_init_says_which_networks_would_carry_a_default_route(ex):
    from hagen.compile.init import draft_site

    ex.edit_rows(_backbone_gateway)
    ex.flush()
    text = draft_site(snapshot=str(ex.snapshot))
    assert "A default route would go through the gateway of: admin, backbone." in text
    assert "\n  default_route: admin\n" in text
