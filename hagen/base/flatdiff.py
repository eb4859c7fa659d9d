"""Two flat trees compared: how `hagen diff` shows the changes of a structured file.

Each format flattens its file into {key: value}: cluster.conf by element and attribute
path (hagen.review.diff), NAME=VALUE files by name, the CIB by resource and attribute and
corosync.conf by section path (hagen.render.pacemaker). Once flat, their difference is
three set operations, not a diff library (docs/dependencies.md), and every format shows
it the same way.
"""

from __future__ import annotations

from typing import Callable


def flat_changes(old: dict, new: dict, shown: Callable[[str, object], object]) -> list[str]:
    """Changed (~), then added (+), then removed (-), each in key order. shown(key, value):
    what to print of a value (a password masked)."""
    lines = [f"~ {k}: {shown(k, old[k])} -> {shown(k, new[k])}" for k in sorted(old.keys() & new.keys())
             if old[k] != new[k]]
    lines += [f"+ {k}: {shown(k, new[k])}" for k in sorted(new.keys() - old.keys())]
    lines += [f"- {k}: {shown(k, old[k])}" for k in sorted(old.keys() - new.keys())]
    return lines
