"""Natural order (xena2 before xena10), shared by every stage.

It lives outside the stages because load sorts rows with it and model names with it:
load comes before model and may not import it.
"""

from __future__ import annotations

import re
from functools import lru_cache

_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=1 << 18)     # every name of an XXL cluster (50,000 nodes and their controllers)
def natural_key(text: str) -> tuple:
    """xena2 before xena10: digits compare as numbers."""
    parts = _DIGITS.split(text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p != "") or ((1, ""),)
