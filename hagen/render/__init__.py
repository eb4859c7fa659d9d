"""render: templates are data (templates/), rendered once per distinct context.

The Jinja environment is strict (StrictUndefined: a missing variable is an error,
never an empty string), keeps trailing newlines, trims block lines, and escapes XML
for templates named *.xml.j2. Each template states its contract (the variables it
may use) in its opening comment. Only templates (*.j2) are rendered: a static file
(a runtime script with no template logic) is copied as it is.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from hagen.load.secrets import Secret


@cache
def environment(folders: tuple[str, ...] = ()):
    """folders: where a kind registered outside hagen keeps its templates, searched after templates/."""
    import jinja2

    from hagen.base.resources import templates_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(templates_dir()), *folders]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=lambda name: bool(name and name.endswith(".xml.j2")),
    )


def _key_default(value):
    if isinstance(value, Secret):
        return "secret:" + value.digest
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    return str(value)


def context_key(template: str, context: dict) -> str:
    text = json.dumps(context, sort_keys=True, default=_key_default, separators=(",", ":"))
    return hashlib.sha256(f"{template}\0{text}".encode()).hexdigest()


class Renderer:
    """Renders artifacts, each distinct (template, context) once. folders: the template folders
    of kinds registered outside hagen (hagen.kinds), searched after templates/."""

    def __init__(self, folders: tuple[str, ...] = ()):
        self._cache: dict[str, bytes] = {}
        self._folders = tuple(folders)

    def render(self, template: str, context: dict, shared: bool = True) -> bytes:
        """shared=False: the caller knows no other artifact uses this template, so that the
        context's key (a serialisation of it: of 150,000 lines for /etc/hosts) would buy nothing."""
        if not shared:
            return environment(self._folders).get_template(template).render(**context).encode("utf-8")
        key = context_key(template, context)
        data = self._cache.get(key)
        if data is None:
            if template.endswith(".j2"):
                data = environment(self._folders).get_template(template).render(**context).encode("utf-8")
            else:
                data = self._static(template)
            self._cache[key] = data
        return data

    def _static(self, template: str) -> bytes:
        """A static file (no template logic), from the first folder holding it."""
        from pathlib import Path

        from hagen.base.resources import templates_dir

        for folder in (templates_dir(), *map(Path, self._folders)):
            if (folder / template).is_file():
                return (folder / template).read_bytes()
        return (templates_dir() / template).read_bytes()     # the error names hagen's own folder
