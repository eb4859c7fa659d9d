"""hagen.base.flatdiff: two flattened files compared, the one way every format shows its changes."""

from __future__ import annotations

from hagen.base.flatdiff import flat_changes
from hagen.base.masking import MASK


def test_changed_then_added_then_removed_each_in_key_order():
    old = {"b": "1", "a": "1", "z": "gone", "y": "gone"}
    new = {"b": "2", "a": "2", "d": "new", "c": "new"}
    assert flat_changes(old, new, lambda key, value: value) == [
        "~ a: 1 -> 2", "~ b: 1 -> 2", "+ c: new", "+ d: new", "- y: gone", "- z: gone"]


def test_equal_trees_have_no_change_and_shown_decides_what_is_printed():
    assert flat_changes({"k": "v"}, {"k": "v"}, lambda key, value: value) == []
    hide = {"passwd"}
    lines = flat_changes({"passwd": "old-pw"}, {"passwd": "new-pw"},
                         lambda key, value: MASK if key in hide else value)
    assert lines == [f"~ passwd: {MASK} -> {MASK}"]
