"""The quorum disk's timing and heuristic (HA322-HA325): one bad site key or ClusterDB row
of examples/xena, refused with its code and where it is; and what the cluster.conf
files say (a heuristic, a totem token), accepted by the RHEL5 and RHEL6 schemas."""

from __future__ import annotations

import pytest

from example_helpers import Example, find
from hagen.model.quorum import default_target, quorum_context
from hagen.compile.pipeline import load_and_check


@pytest.fixture
def ex(tmp_path):
    return Example(tmp_path)


def test_ha322_a_token_shorter_than_twice_qdiskd_timeout(ex):
    ex.edit_site(lambda s: s.update(quorum={"token": 10000}))
    r = ex.assert_reports("HA322", "quorum.token")
    assert r[0].where.line == ex.line_of("token:")
    assert "40 s" in r[0].message


def test_ha322_a_longer_qdisk_timeout_needs_a_longer_token(ex):
    ex.edit_site(lambda s: s.update(quorum={"tko": 20, "token": 41000}))
    ex.assert_reports("HA322", "quorum.token")


def test_ha323_a_heuristic_slower_than_qdiskd(ex):
    ex.edit_site(lambda s: s.update(quorum={"heuristic": {"interval": 3, "tko": 2}}))
    ex.assert_reports("HA323", "quorum.heuristic.interval")


def test_ha324_a_heuristic_that_fails_after_qdiskd_timeout(ex):
    ex.edit_site(lambda s: s.update(quorum={"heuristic": {"tko": 11}}))
    ex.assert_reports("HA324", "quorum.heuristic.tko")


def test_ha325_a_target_that_is_not_a_host(ex):
    ex.edit_site(lambda s: s.update(quorum={"heuristic": {"target": "10.1.0.1; reboot"}}))
    ex.assert_reports("HA325", "quorum.heuristic.target")


def test_ha325_no_target_can_be_derived(ex):
    mn = ex.id_of("network", "admin")
    # the management node loses its admin address; the admin network has no gateway
    xena0 = ex.id_of("node", "xena0")
    ex.edit_rows(lambda t: t.__setitem__("node_port", [r for r in t["node_port"]
                                                       if not (r["node_id"] == xena0 and r["network_id"] == mn)]))
    assert "HA325" in {r.code for r in ex.reports()}


def test_the_default_target_is_the_admin_gateway_else_the_management_address(ex):
    site, model, _, _ = load_and_check(ex.site)
    assert default_target(model) == "10.1.0.1"          # xena0: no gateway on xena's admin network
    gw = ex.id_of("network", "admin")
    ex.edit_rows(lambda t: find(t, "network", id=gw).update(gateway="10.1.255.254"))
    site, model, _, _ = load_and_check(ex.site)
    assert default_target(model) == "10.1.255.254"
    q = quorum_context(model, site, model.cells_of_type("nfs")[0])
    assert q["heuristic"]["program"] == "ping -c1 -w1 10.1.255.254"
    assert q["token"] >= 2 * q["interval"] * q["tko"] * 1000


def test_a_site_target_and_token(ex):
    ex.edit_site(lambda s: s.update(quorum={"token": 50000, "heuristic": {"target": "router1"}}))
    site, model, _, _ = load_and_check(ex.site)
    q = quorum_context(model, site, model.cells_of_type("lustre")[0])
    assert q["token"] == 50000 and q["heuristic"]["program"] == "ping -c1 -w1 router1"
