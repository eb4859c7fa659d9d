"""cman cluster names: one per HA cell, unique in the site (CLARIFICATIONS 15)."""

from __future__ import annotations

import re

MAX_LENGTH = 15   # cman derives the cluster id and multicast address from at most 15 characters
VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")


def cluster_name(cell, site) -> str:
    if cell.type == "mngt":
        named = site.get("management", "cluster_name")
        if named:
            return named
    return cell.name


def name_key(cell) -> tuple:
    """Where a cell's cman name is decided in the site spec, if there."""
    return ("management", "cluster_name") if cell.type == "mngt" else ()
