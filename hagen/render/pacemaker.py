"""Readers of today's stack's files, for the audit and the kinds: is this a CIB, corosync.conf
as a tree. Their kinds (validators, structural diffs): hagen.kinds.pacemaker.
"""

from __future__ import annotations

SECRET_NAMES = frozenset({"passwd", "password"})


def is_cib(data: bytes) -> bool:
    from lxml import etree

    from hagen.base.readback import parse_xml

    try:
        return parse_xml(data).tag == "cib"
    except etree.XMLSyntaxError:
        return False


def corosync_tree(text: str) -> dict:
    """corosync.conf as nested dicts; repeated sections (node, interface) become lists."""
    stack: list[dict] = [{}]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            child: dict = {}
            stack[-1].setdefault(name, []).append(child)
            stack.append(child)
        elif line == "}":
            if len(stack) == 1:
                raise ValueError(f"line {number}: '}}' closes nothing")
            stack.pop()
        elif ":" in line:
            key, value = line.split(":", 1)
            stack[-1][key.strip()] = value.strip()
        else:
            raise ValueError(f"line {number}: neither 'key: value' nor a section: {raw.strip()}")
    if len(stack) != 1:
        raise ValueError("a section is not closed")
    return stack[0]
