"""The vocabulary both runbooks (hagen.audit.runbook, hagen.audit.el9_runbook) write their
steps in: a step, a heading's anchor, and the templates'
environment. Kept apart so that the two runbooks share it without importing each other."""

from __future__ import annotations

import re
from functools import cache


READ_PASSWORD = 'read -rs -p "BMC password: " FENCE_PASSWORD; echo'
# commands that erase what a device holds: their step is marked destructive (md and html)
DESTRUCTIVE = re.compile(r"^(ssh \S+ [\"'])?(mkfs(\.\w+)?|mkqdisk -c|lustre_util install)\b")


def step(title, hosts, commands, expect, guide, rollback=()) -> dict:
    """One step; rollback: how to undo it on the nodes (every step that changes a node has one)."""
    commands = list(commands)
    return {"title": title, "hosts": hosts, "commands": commands, "expect": expect, "guide": guide,
            "rollback": list(rollback), "destructive": any(DESTRUCTIVE.match(c) for c in commands)}


def anchor(title: str) -> str:
    """The anchor GitHub and most Markdown renderers give a heading: lower case, no punctuation."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


@cache
def environment():
    import jinja2

    from hagen.base.resources import templates_dir

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             autoescape=jinja2.select_autoescape(["html.j2"]))
    env.filters["code_spans"] = code_spans
    return env


def code_spans(text: str):
    """For HTML: text escaped, its `code` spans as <code> elements (no Markdown left raw)."""
    from markupsafe import Markup, escape

    parts = str(text).split("`")
    if len(parts) % 2 == 0:            # an unpaired backquote: plain text
        return escape(text)
    return Markup("".join(str(escape(p)) if i % 2 == 0 else f"<code>{escape(p)}</code>" for i, p in enumerate(parts)))
