"""hagen.model.build: addresses parsed the quick way give what the long way gives."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from hagen.model import Network
from hagen.model.build import _dotted_quad, parse_address
from hagen.base.reports import Where

ADMIN = Network("admin", "mn", "ethernet", IPv4Network("10.1.0.0/16"), None, "")


@pytest.mark.parametrize("text", ["10.1.0.1", "0.0.0.0", "255.255.255.255", "10.1.255.254"])
def test_canonical_dotted_quads_are_parsed_in_c(text):
    assert str(_dotted_quad(text)) == text


@pytest.mark.parametrize("text", ["010.1.0.1", "10.1", "10.1.0.1/16", " 10.1.0.1", "10.1.0.1\n", "0x0a.1.0.1",
                                  "256.1.0.1", "::1", "", "10.1.0.1\x00", 167837697, None])
def test_other_spellings_go_the_long_way(text):
    assert _dotted_quad(text) is None


@pytest.mark.parametrize("text", ["10.1.0.1", "10.2.0.1", "10.1.0.1/16", "10.1.0.1/24", "010.1.0.1", "10.1", "x"])
def test_parse_address_reports_as_before(text):
    """The codes and messages the long way (ip_interface) gives, whichever way is taken."""
    reports = []
    address = parse_address(text, ADMIN, Where(table="node_port", row="node=n1"), reports)
    codes = [r.code for r in reports]
    expected = {"10.1.0.1": [], "10.2.0.1": ["HA207"], "10.1.0.1/16": [], "10.1.0.1/24": ["HA206"],
                "010.1.0.1": ["HA205"], "10.1": ["HA205"], "x": ["HA205"]}[text]
    assert codes == expected
    if "HA205" not in codes:
        assert str(address) == text.split("/")[0]
    if codes == ["HA207"]:
        assert reports[0].message == "address 10.2.0.1 is outside network admin (10.1.0.0/16)"
