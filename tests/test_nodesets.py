"""hagen.base.nodesets: node sets counted before they are expanded."""

from __future__ import annotations


import pytest

from hagen.base.errors import UsageError
from hagen.base.nodesets import NodeSetRefused, NodeSetTooLarge, expand, size_bound, unknown_hosts_refused


def test_a_node_set_expands_in_natural_order():
    assert expand("xena[1-2,10]") == ["xena1", "xena2", "xena10"]
    assert expand("ns[1-10]!ns3") == [f"ns{i}" for i in range(1, 11) if i != 3]


@pytest.mark.parametrize("text, bound", [("ns[1-100000000]", 100_000_000), ("x[1-1000][1-1000]", 1_000_000),
                                         ("a[1-10],b[1-10]", 20), ("ns[0-10/2]", 6)])
def test_the_size_is_known_before_expanding(text, bound):
    assert size_bound(text) == bound


def test_a_huge_node_set_is_refused_at_once():
    """Refused from its size bound, before expanding (an expansion would fill memory, not just take time)."""
    with pytest.raises(NodeSetTooLarge):
        expand("ns[1-100000000]")
    with pytest.raises(NodeSetTooLarge):
        expand("x[1-1001][1-1000]")      # 1,001,000: past the bound of docs/limits.md


@pytest.mark.parametrize("text", ["ns[0-", "ns[5-1]", "ns[a-b]", "@group", "ns\n1"])
def test_a_bad_node_set_is_refused(text):
    with pytest.raises(NodeSetRefused):
        expand(text)


def test_unknown_hosts_are_refused():
    unknown_hosts_refused(None, {"ns0"})
    unknown_hosts_refused({"ns0"}, {"ns0", "ns1"})
    with pytest.raises(UsageError) as info:
        unknown_hosts_refused({"ns1x"}, {"ns0", "ns1"})
    assert info.value.reports[0].code == "HA112" and "ns1x" in info.value.reports[0].message
