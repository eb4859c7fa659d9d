"""Where hagen finds its data: templates/ and schemas/.

In a checkout (or an editable install) they are the top-level folders of the
repository; an installed wheel carries them as the packages hagen._templates and
hagen._schemas.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


@cache
def templates_dir() -> Path:
    return _find("templates", "_templates")


@cache
def schemas_dir() -> Path:
    return _find("schemas", "_schemas")


def _find(top: str, package: str) -> Path:
    candidate = _CHECKOUT / top
    if candidate.is_dir():
        return candidate
    return Path(__file__).resolve().parent / package
