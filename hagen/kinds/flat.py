"""Flatteners and the comparisons built on them: what a kind's structural diff is made of.

A file is flattened to {what: value} (cluster.conf by element and attribute path, a
NAME=VALUE file by key, a CIB by resource id and attribute, corosync.conf by section),
and two flat trees are compared by hagen.base.flatdiff. A kind module picks the ones it
needs; a new kind may use them too (docs/adding-a-kind.md). Each raises ValueError when
a side does not parse: `hagen diff` then shows a unified diff, masked.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter

from hagen.base.masking import MASK, mask

PASSWORD_KEY = re.compile(r"passw(?:or)?d", re.I)


def xml_flat(text: str) -> dict:
    """An XML file (cluster.conf) as {element path/@attribute: value}. An element with a name
    attribute no like-named sibling shares is named by it (fencedevice[name=fence_vega1]), as
    an administrator names it; others are numbered among their like-named siblings."""
    from lxml import etree

    from hagen.base.readback import parse_xml

    try:
        root = parse_xml(text.encode())
    except etree.XMLSyntaxError as exc:
        raise ValueError(str(exc))
    flat = {}

    def walk(el, here):
        for key, value in sorted(el.attrib.items()):
            flat[f"{here}/@{key}"] = value
        if el.text and el.text.strip():
            flat[f"{here}/text()"] = el.text.strip()
        children = [c for c in el if isinstance(c.tag, str)]
        names = Counter((c.tag, c.get("name")) for c in children)
        counts: dict = {}
        for child in children:
            counts[child.tag] = counts.get(child.tag, 0) + 1
            name = child.get("name")
            if name is not None and names[(child.tag, name)] == 1 and "]" not in name:
                walk(child, f"{here}/{child.tag}[name={name}]")
            else:
                walk(child, f"{here}/{child.tag}[{counts[child.tag]}]")

    walk(root, f"/{root.tag}")
    return flat


def name_values(text: str) -> dict:
    """A NAME=VALUE file (ifcfg, pbs.conf, lustre.cfg) as {NAME: VALUE}; comments and blanks skipped."""
    out = {}
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if "=" not in s:
            raise ValueError(line)
        k, v = s.split("=", 1)
        out[k] = v
    return out


def structured(old: dict, new: dict, secrets=(), show: bool = False) -> list[str]:
    """Two flat trees compared (hagen.base.flatdiff), the value of a password key masked whatever
    it is, and every known secret in any value."""
    from hagen.base.flatdiff import flat_changes

    def shown(key, value):
        if show:
            return value
        return MASK if PASSWORD_KEY.search(key) else mask(str(value), secrets)

    return flat_changes(old, new, shown)


def diff_name_values(old: str, new: str, secrets=(), show: bool = False) -> list[str]:
    return structured(name_values(old), name_values(new), secrets, show)


def line_list(old: str, new: str) -> list[str]:
    """A list's changes (the /etc/HA lists): entries added, removed, and moved (the order of a
    start list is the order services start, so a move is a change of its own)."""
    def lines(t):
        return [ln for ln in t.splitlines() if ln.strip() and not ln.startswith("#")]

    a, b = lines(old), lines(new)
    removed, inserted = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            removed += [(i, a[i]) for i in range(i1, i2)]
        if tag in ("insert", "replace"):
            inserted += [(j, b[j]) for j in range(j1, j2)]
    out = []
    for j, line in list(inserted):
        was = next((r for r in removed if r[1] == line), None)
        if was is not None:
            removed.remove(was)
            inserted.remove((j, line))
            out.append((j, f"~ {line}: moved from entry {was[0] + 1} to entry {j + 1}"))
    out += [(j, f"+ {line}") for j, line in inserted]
    out += [(i, f"- {line}") for i, line in removed]
    result = [text for _, text in sorted(out, key=lambda p: p[0])]
    return result or ["comments changed"]


def diff_line_list(old: str, new: str, secrets=(), show: bool = False) -> list[str]:
    return [mask(line, secrets, show, foreign=True) for line in line_list(old, new)]
