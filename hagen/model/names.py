"""Names: natural order, and what a host, alias or interface name may be."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"(\d+)")

# (\Z ends these, not $: $ also matches before a trailing newline, and "ns1\n" is no host name)
# RFC 1123 label, starting with a letter (guide: node names are ClusterDB host names)
HOSTNAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
# the guide's alias names carry underscores (xenanfs_BK): accepted with a warning
ALIAS_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\Z")
# Linux interface names: at most 15 characters, no blank, slash or colon
INTERFACE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}\Z")


def natural_key(text: str) -> tuple:
    """xena2 before xena10: digits compare as numbers."""
    parts = _DIGITS.split(text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p != "") or ((1, ""),)


def natural_sorted(names) -> list:
    return sorted(names, key=natural_key)


def fold(names) -> str:
    """Fold host names into a node set: xena[1-2,10]."""
    from ClusterShell.NodeSet import NodeSet

    return str(NodeSet.fromlist(list(names))) if names else ""


def is_hostname(name: str) -> bool:
    return bool(HOSTNAME.match(name or ""))
