"""Where hagen finds its data: templates/ and schemas/.

In a checkout (or an editable install) they are the top-level folders of the
repository; an installed wheel carries them as the packages hagen._templates and
hagen._schemas. The checkout's folders are used only when the folder above the
package is hagen's own checkout (its pyproject.toml names the project hagen): in an
installed hagen that folder is site-packages, where any other distribution may have
left a folder named templates.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent     # hagen/, this module being hagen/base/resources.py
_PROJECT_NAME = re.compile(r'^name\s*=\s*"hagen"\s*$', re.M)


def checkout(package: Path = _PACKAGE) -> Path | None:
    """The repository holding package, if package sits in hagen's own checkout."""
    root = package.parent
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return root if _PROJECT_NAME.search(text) else None


@cache
def templates_dir() -> Path:
    return _find("templates", "_templates")


@cache
def schemas_dir() -> Path:
    return _find("schemas", "_schemas")


def _find(top: str, package: str, here: Path = _PACKAGE) -> Path:
    root = checkout(here)
    if root is not None and (root / top).is_dir():
        return root / top
    return here / package
