"""Node sets from the command line and from files hagen did not write, expanded within a bound.

ClusterShell expands a node set into a set of every name: `ns[1-100000000]` would take
minutes and gigabytes. The size is computed from the text first (each pattern's ranges
multiplied, the patterns added: an upper bound when operators such as `!` remove names),
and a node set larger than the bound is refused before ClusterShell sees it.
"""

from __future__ import annotations

import re

# the one bound on a node set's size, whoever reads it (--host, -w/-x, a manifest or a record read
# back, a site's node patterns): docs/limits.md documents it (hagen.load.limits reads it from here)
MAX_HOSTS = 1_000_000        # far above any cluster hagen serves, far below a hang

_RANGE = re.compile(r"\A\s*(\d+)\s*(?:-\s*(\d+)\s*(?:/\s*(\d+)\s*)?)?\Z")


class NodeSetRefused(ValueError):
    """The text is not a node set, or names more hosts than the bound."""


class NodeSetTooLarge(NodeSetRefused):
    """The node set names more hosts than the bound."""


def _split_top(text: str) -> list[str]:
    """The patterns of a node set: split at , ! & ^ and blanks outside brackets."""
    parts, depth, here = [], 0, []
    for c in text:
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        if depth == 0 and (c in ",!&^" or c.isspace()):
            parts.append("".join(here))
            here = []
        else:
            here.append(c)
    parts.append("".join(here))
    return [p for p in parts if p]


def _range_size(group: str) -> int:
    total = 0
    for item in group.split(","):
        m = _RANGE.match(item)
        if not m:
            raise NodeSetRefused(f"[{group}] is not a range such as [1-4,7]")
        lo, hi, step = int(m.group(1)), m.group(2), m.group(3)
        if hi is None:
            total += 1
            continue
        hi, step = int(hi), int(step or 1)
        if hi < lo or step < 1:
            raise NodeSetRefused(f"[{group}] has a range whose end comes before its start, or a step of 0")
        total += (hi - lo) // step + 1
    return total


def size_bound(text: str) -> int:
    """How many names text can name at most, computed without expanding it."""
    total = 0
    for pattern in _split_top(text):
        size = 1
        for group in re.findall(r"\[([^\[\]]*)\]", pattern):
            size *= _range_size(group)
        total += size
    return total


def expand(text: str, limit: int = MAX_HOSTS) -> list[str]:
    """The names of a node set, refused (NodeSetRefused) if it is not one or names more than limit."""
    from ClusterShell.NodeSet import NodeSet, NodeSetException

    if not isinstance(text, str) or not text.isprintable() or not text.isascii():
        raise NodeSetRefused("a node set is printable ASCII text")
    if text.count("[") != text.count("]"):
        raise NodeSetRefused("its brackets do not pair")
    if "@" in text:
        raise NodeSetRefused("node groups (@name) are not resolved here: name the hosts")
    bound = size_bound(text)
    if bound > limit:
        raise NodeSetTooLarge(f"it names up to {bound} hosts, more than the {limit} hagen accepts")
    try:
        return list(NodeSet(text))
    except (NodeSetException, ValueError, TypeError) as exc:
        raise NodeSetRefused(str(exc) or exc.__class__.__name__)


def unknown_hosts_refused(selected, known) -> None:
    """--host must name hosts of the build: a typo (ns1x) is an error (HA112), never "up to date"."""
    if selected is None:
        return
    unknown = sorted(set(selected) - set(known))
    if not unknown:
        return
    from ClusterShell.NodeSet import NodeSet

    from hagen.base.errors import UsageError
    from hagen.base.reports import Where, error

    def fold(names):
        return str(NodeSet.fromlist(list(names)))

    hint = f"hosts of this build: {fold(sorted(known))}" if known else "this build writes no file"
    raise UsageError(reports=[error("HA112", Where(key="--host"),
                                    f"--host names {fold(unknown)}, which this build writes no file for", hint)])
