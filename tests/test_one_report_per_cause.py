"""One cause, one report (issue 23): a network the ClusterDB lacks is reported once for the
cell that needs it, never once per node of the cell."""

from __future__ import annotations

from example_helpers import Example


def _without_backbone_role(ex: Example) -> None:
    """The backbone network stays (its ports still point at it), but no network has the backbone function."""
    ex.row("network", name="backbone")["function"] = "ic"
    ex.flush()


def test_ha307_a_missing_heartbeat_network_is_one_report_for_the_pair(tmp_path):
    ex = Example(tmp_path, "bas5-guide")
    _without_backbone_role(ex)
    ex.edit_site(lambda s: s["management"].update(heartbeat="backbone"))
    found = [r for r in ex.reports() if r.code == "HA307"]
    assert len(found) == 1, [str(r) for r in found]
    assert "management.heartbeat" in str(found[0].where) and "no backbone network" in found[0].message


def test_ha307_a_node_without_a_heartbeat_port_is_still_named(tmp_path):
    ex = Example(tmp_path, "bas5-guide")
    ex.edit_site(lambda s: s["management"].update(heartbeat="backbone"))
    ex.drop("node_port", node_id=ex.id_of("node", "ns13"), network_id=ex.id_of("network", "backbone"))
    found = [r for r in ex.reports() if r.code == "HA307"]
    assert [str(r.where) for r in found] == ["clusterdb node[name=ns13]"], [str(r) for r in found]


def test_ha709_a_missing_nfs_heartbeat_network_is_one_report_for_every_cell(tmp_path):
    ex = Example(tmp_path, "xena")
    _without_backbone_role(ex)
    ex.edit_site(lambda s: s["nfs"].update(heartbeat="backbone"))
    found = [r for r in ex.reports() if r.code == "HA709"]
    assert len(found) == 1, [str(r) for r in found]
    assert "nfs.heartbeat" in str(found[0].where)
