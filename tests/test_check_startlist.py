"""The start list and its data files (HA326-HA329): one bad key of examples/bas5-guide,
refused with its code and where it is; an order override with a reason waives its rule."""

from __future__ import annotations

import pytest

from example_helpers import Example

BIN = "/etc/HA/bin"


@pytest.fixture
def ex(tmp_path):
    return Example(tmp_path, "bas5-guide")


def drop(command):
    def edit(s):
        s["management"]["services"] = [e for e in s["management"]["services"] if e != command]
    return edit


def move(command, to):
    def edit(s):
        services = [e for e in s["management"]["services"] if e != command]
        services.insert(to, command)
        s["management"]["services"] = services
    return edit


@pytest.mark.parametrize("name, script", [("mnttab", "hamount"), ("links", "halinks"),
                                          ("pid2clean", "hapidcleaner")])
def test_ha326_a_data_file_without_its_script(ex, name, script):
    ex.edit_site(drop(f"{BIN}/{script}"))
    r = ex.assert_reports("HA326", f"management.{name}")
    assert script in r[0].message and r[0].where.line == ex.line_of(f"  {name}:")


def test_ha326_cron_entries_without_hacron(ex):
    ex.edit_site(lambda s: (drop(f"{BIN}/hacron")(s), s["management"].update(cron=["clusterdb-backup"])))
    ex.assert_reports("HA326", "management.cron")


def test_ha326_aliases_without_haip(ex):
    ex.edit_site(drop(f"{BIN}/haip"))
    ex.assert_reports("HA326", "clusterdb metaservice_port[name=ns]")


def test_hasynchro_is_not_required(ex):
    assert not [r for r in ex.reports() if r.code == "HA326"]


def test_ha327_haunwantedfiles_not_first(ex):
    ex.edit_site(move(f"{BIN}/haunwantedfiles", 1))
    r = ex.assert_reports("HA327", "management.services[0]")
    assert "hamount starts before" in r[0].message and "haunwantedfiles" in r[0].message


def test_ha327_halinks_before_hamount(ex):
    ex.edit_site(move(f"{BIN}/halinks", 1))
    r = ex.assert_reports("HA327", "management.services[1]")
    assert f"{BIN}/halinks starts before {BIN}/hamount" in r[0].message


def test_ha327_an_init_d_service_before_halinks(ex):
    ex.edit_site(move("/etc/init.d/postgresql", 2))
    r = ex.assert_reports("HA327", "management.services[2]")
    assert f"/etc/init.d/postgresql starts before {BIN}/halinks" in r[0].message
    assert r[0].where.line == ex.line_of("/etc/init.d/postgresql")


def test_an_override_with_a_reason_waives_the_rule(ex):
    ex.edit_site(lambda s: (move("/etc/init.d/postgresql", 2)(s), s["management"].update(order_overrides=[
        {"first": f"{BIN}/halinks", "then": "/etc/init.d/postgresql", "reason": "the database is local (3.1.1)"}])))
    assert not [r for r in ex.reports() if r.code in ("HA327", "HA328")]


def test_an_override_without_a_reason_is_refused(ex):
    ex.edit_site(lambda s: s["management"].update(order_overrides=[
        {"first": f"{BIN}/halinks", "then": "/etc/init.d/postgresql", "reason": " "}]))
    ex.assert_reports("HA101", "management.order_overrides[0].reason")


def test_ha328_an_override_that_waives_nothing(ex):
    ex.edit_site(lambda s: s["management"].update(order_overrides=[
        {"first": f"{BIN}/halinks", "then": "/etc/init.d/postgresql", "reason": "just in case"}]))
    ex.assert_reports("HA328", "management.order_overrides[0]", severity="warning")


@pytest.mark.parametrize("path", ["/etc/ntp.conf", "/etc/sysconfig/network-scripts/ifcfg-bond0", "/etc/pbs.conf"])
def test_ha329_synchro_of_a_per_node_file(ex, path):
    ex.edit_site(lambda s: s["management"]["synchro"].append(path))
    r = ex.assert_reports("HA329", "management.synchro[29]")
    assert path in r[0].message


def test_ha329_synchro_of_a_file_hagen_writes_per_node(ex, tmp_path):
    # hasynchro names its peer: hagen writes one per node
    from hagen.base.errors import InputRefused
    from hagen.compile.pipeline import build

    ex.edit_site(lambda s: s["management"]["synchro"].append("/etc/HA/bin/hasynchro"))
    with pytest.raises(InputRefused) as exc:
        build(ex.site, tmp_path / "out")
    [r] = [r for r in exc.value.reports if r.code == "HA329"]
    assert r.where.key == "management.synchro[29]" and "each node its own" in r.message
