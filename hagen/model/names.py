"""Names: natural order, and what a host, alias or interface name may be."""

from __future__ import annotations

import re
from functools import lru_cache

from hagen.base.hostnames import ALIAS_NAME as ALIAS_NAME_RULE, NODE_NAME
from hagen.base.order import _DIGITS, natural_key  # noqa: F401  (natural order lives outside the stages: load sorts with it)

# what a node's or an alias's name may be: hagen.base.hostnames, the one place of that rule
HOSTNAME, ALIAS_NAME = NODE_NAME, ALIAS_NAME_RULE
# Linux interface names: at most 15 characters, no blank, slash or colon
INTERFACE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}\Z")


def natural_key_joined(head: str, tail: str) -> tuple:
    """natural_key(head + tail). When head ends in a digit and tail starts with none, the
    parts of the whole are head's then tail's: head's key (cached: a node name) is reused."""
    if head and tail and _DIGITS.match(head[-1]) and not _DIGITS.match(tail[0]):
        return natural_key(head) + natural_key(tail)
    return natural_key(head + tail)


def fold(names) -> str:
    """Fold host names into a node set: xena[1-2,10]."""
    return _fold(frozenset(names)) if names else ""


_ONE_INDEX = re.compile(r"([^\d]*[^\d\W]|[^\d]*[-_.])([1-9]\d*|0)\Z")


@lru_cache(maxsize=4096)
def _fold(names: frozenset) -> str:
    """Many files share one host set (every compute node): fold each distinct set once.

    NodeSet.fromlist parses every name, which is slow for 10,000 of them; names of one
    prefix and one unpadded index (xena12) go into ClusterShell's RangeSet directly,
    any other name through the parser, and NodeSet merges the two."""
    from ClusterShell.NodeSet import NodeSet, NodeSetBase
    from ClusterShell.RangeSet import RangeSet

    indexes: dict = {}
    others = []
    for name in names:
        m = _ONE_INDEX.match(name)
        if m:
            indexes.setdefault(m.group(1), []).append(m.group(2))
        else:
            others.append(name)
    nodeset = NodeSet.fromlist(sorted(others))
    for prefix, found in sorted(indexes.items()):
        rangeset = RangeSet()
        rangeset.update(found)       # unpadded indexes, as RangeSet.add(int) would store them (as text)
        nodeset.update(NodeSet(NodeSetBase(prefix + "%s", rangeset)))
    return str(nodeset)

