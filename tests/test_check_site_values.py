"""hagen.check.site_values: site values the schema's types let through, in process."""

from __future__ import annotations

import pytest

from example_helpers import Example


@pytest.fixture
def ex(tmp_path):
    return Example(tmp_path, "bas5-guide")


@pytest.mark.parametrize("name", [".", ".."])
def test_a_cron_entry_that_is_a_folder(ex, name):
    ex.edit_site(lambda s: s["management"].update(cron=[name]))
    r = ex.assert_reports("HA318", "management.cron[0]")
    assert r[0].where.line is not None and r[0].where.line >= ex.line_of("cron:")


@pytest.mark.parametrize("path", ["/etc/sudoers.d/$(reboot)", "/etc/sudoers.d/a;b", "/etc/sudoers.d/a|b",
                                  "/etc/sudoers.d/a&b", "/etc/sudoers.d/a b", "/etc/sudoers.d/a\nb"])
def test_a_sudoers_path_with_metacharacters(ex, path):
    ex.edit_site(lambda s: s.setdefault("lustre", {}).update(sudoers=path))
    ex.assert_reports("HA615", "lustre.sudoers")


def test_the_default_sudoers_path_and_tilde_pass_this_check(ex):
    ex.edit_site(lambda s: s.setdefault("lustre", {}).update(sudoers="/etc/sudoers.d/lustre"))
    assert not [r for r in ex.reports() if r.code == "HA615"]


def test_a_path_with_a_look_alike_letter(ex):
    ex.edit_site(lambda s: s["management"]["links"].append("/var/l\u0456b/x"))
    r = ex.assert_reports("HA120", "management.links[")
    assert "U+0456" in r[0].message
