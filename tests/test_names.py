"""hagen.model.names: natural order and node set folding."""

from __future__ import annotations

from ClusterShell.NodeSet import NodeSet
from hypothesis import given, settings
from hypothesis import strategies as st

from hagen.model.names import _fold, natural_key, natural_key_joined

TEXT = st.text(alphabet="ab-_.019", max_size=8)


@given(TEXT, TEXT)
@settings(max_examples=300, deadline=None)
def test_joined_key_is_the_key_of_the_joined_text(head, tail):
    assert natural_key_joined(head, tail) == natural_key(head + tail)


def test_joined_key_reuses_the_head_when_the_parts_meet_at_a_boundary():
    assert natural_key_joined("xlc12", "-ic0") == natural_key("xlc12") + natural_key("-ic0")
    pairs = [("n10", "-ic0"), ("n9", "-ic0"), ("n9a", "-ic0")]
    assert [h + t for h, t in sorted(pairs, key=lambda p: natural_key_joined(*p))] == ["n9-ic0", "n9a-ic0", "n10-ic0"]


@given(st.sets(st.sampled_from(["xlc", "io", "n-", "a_b"]).flatmap(
    lambda prefix: st.integers(0, 40).map(lambda i: f"{prefix}{i}")) | st.sampled_from(["ns007", "n08", "plain"]),
    min_size=1, max_size=40))
@settings(max_examples=150, deadline=None)
def test_fold_is_the_node_set_of_the_names(names):
    folded = _fold(frozenset(names))
    assert set(NodeSet(folded)) == names
    assert folded == str(NodeSet.fromlist(sorted(names)))
