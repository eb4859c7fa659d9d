"""hagen.render: only templates are rendered; static files are copied as they are."""

from __future__ import annotations

import re

from conftest import REPO

TEMPLATES = REPO / "templates"
# Jinja's markup outside the opening comment (which states a template's contract)
_MARKUP = re.compile(r"\{\{|\{%")
_OPENING_COMMENT = re.compile(r"\A\{#.*?#\}", re.S)


def test_a_static_file_is_copied_byte_for_byte():
    from hagen.render import Renderer

    for path in sorted((TEMPLATES / "runtime").glob("*.sh")):
        name = f"runtime/{path.name}"
        assert Renderer().render(name, {}) == path.read_bytes(), name


def test_a_runtime_script_is_a_template_only_when_it_has_template_logic():
    """Jinja would read `${#array[@]}` as a comment's start: a script it need not read stays out of its reach."""
    for path in sorted((TEMPLATES / "runtime").glob("*.j2")):
        body = _OPENING_COMMENT.sub("", path.read_text(encoding="utf-8"), count=1)
        assert _MARKUP.search(body), f"{path.name} has no template logic: ship it as a static file (drop .j2)"
    for path in sorted((TEMPLATES / "runtime").glob("*.sh")):
        assert not _MARKUP.search(path.read_text(encoding="utf-8")), f"{path.name} holds Jinja markup but is static"


def test_a_template_is_rendered_once_per_context():
    from hagen.render import Renderer

    renderer = Renderer()
    first = renderer.render("runtime/hasynchro.sh.j2", {"peer": "ns1"})
    assert renderer.render("runtime/hasynchro.sh.j2", {"peer": "ns1"}) is first
    assert b"HA_PEER=${HA_PEER:-ns1}" in first
