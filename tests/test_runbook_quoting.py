"""Every site value that reaches a runbook command is held to a grammar at check time or
quoted for the shell where it is written (both, as a rule), on both targets.

The test feeds shell syntax through every string of every example's site spec whose value
shows in the runbook's commands: a separator, a substitution or a blank must be refused at
check time (a grammar), and what a grammar lets through (a glob, a brace) must lie inside
single quotes (or a comment it cannot end) wherever it lands: a copy-paste runs nothing it
holds. Node sets in commands (`ns[0-13]`, a glob
to the shell) are quoted too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES

SITES = sorted(EXAMPLES.glob("*/site*.yaml"))
# shell syntax of every kind: a command separator, a substitution, a glob, a brace expansion, a blank
# shell syntax a grammar refuses at check time (a value holding it never reaches a command at all),
# and what a path grammar may let through but the shell expands (it must then be quoted)
SHELL = ["$(touch /tmp/hagen-pwned);x", "`id`|y", "a b&c>d"]
GLOBS = ["*{a,b}?[x]~!"]


def shell_regions(command: str) -> list[tuple[int, int]]:
    """The spans of command the shell takes literally: inside single quotes, or a comment
    (from a `#` starting a word to the end of the line)."""
    spans, i, n, state = [], 0, len(command), "out"
    start = 0
    while i < n:
        c = command[i]
        if state == "out":
            if c == "'":
                state, start = "single", i + 1
            elif c == '"':
                state = "double"
            elif c == "\\":
                i += 1
            elif c == "#" and (i == 0 or command[i - 1] in " \t\n;&|("):
                state, start = "comment", i + 1
        elif state == "single" and c == "'":
            spans.append((start, i))
            state = "out"
        elif state == "double":
            if c == "\\":
                i += 1
            elif c == '"':
                state = "out"
        elif state == "comment" and c == "\n":
            spans.append((start, i))
            state = "out"
        i += 1
    if state in ("single", "comment"):
        spans.append((start, n))
    return spans


def unquoted_occurrences(command: str, value: str) -> list[int]:
    spans = shell_regions(command)
    found, at = [], command.find(value)
    while at != -1:
        if not any(a <= at and at + len(value) <= b for a, b in spans):
            found.append(at)
        at = command.find(value, at + 1)
    return found


def test_the_scanner_tells_quoted_from_unquoted():
    assert unquoted_occurrences("mkdir '/a;b'", "/a;b") == []
    assert unquoted_occurrences("mkdir /a;b", "/a;b") == [6]
    assert unquoted_occurrences('ssh n "df /a;b"', "/a;b") == [10]
    assert unquoted_occurrences("ssh n 'df '\"'\"'/a;b'\"'\"''", "/a;b") == []
    assert unquoted_occurrences("mkfs /dev/x   # /a;b", "/a;b") == []
    assert unquoted_occurrences("mkfs /dev/x   # /a\n;b", "/a\n;b") == [16]


def commands_of(doc: dict) -> list[str]:
    return [c for section in doc["sections"] for step in section["steps"]
            for c in step["commands"] + step["rollback"]]


def runbook_commands(site: Path) -> list[str] | None:
    """The runbook's commands for site, or None when check refuses it."""
    from hagen.audit import compile_for_audit
    from hagen.audit import el9_runbook, runbook
    from hagen.base.errors import InputRefused

    try:
        compiled = compile_for_audit(site)
    except InputRefused:
        return None
    module = el9_runbook if compiled.site.get("target") == "el9-pacemaker" else runbook
    return commands_of(module.runbook(compiled))


def leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from leaves(value, path + (i,))
    elif isinstance(node, str):
        yield path, node


def replaced(doc, path, value):
    import copy

    doc = copy.deepcopy(doc)
    holder = doc
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return doc


@pytest.mark.parametrize("site", SITES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shell_syntax_in_any_site_value_never_reaches_a_runbook_command_unquoted(site, tmp_path):
    folder = tmp_path / "ex"
    shutil.copytree(site.parent, folder)
    (folder / "fence-password").chmod(0o600)
    path = folder / site.name
    doc = yaml.safe_load(path.read_text())
    baseline = "\n".join(runbook_commands(path))
    reaching = [(p, v) for p, v in leaves(doc) if len(v) > 1 and v in baseline and p[0] != "deploy"]
    assert reaching, "no site value reaches a command: the test would prove nothing"
    leaks = []
    for where, value in reaching:
        key = ".".join(map(str, where))
        for payload in SHELL + GLOBS:
            path.write_text(yaml.safe_dump(replaced(doc, where, value + payload)))
            commands = runbook_commands(path)
            for command in commands or []:
                if payload in SHELL and payload in command:
                    leaks.append((key, f"not held to a grammar at check time: {command}"))
                elif unquoted_occurrences(command, payload):
                    leaks.append((key, f"not quoted: {command}"))
    assert not leaks, "\n".join(f"{w}: {c}" for w, c in leaks)


@pytest.mark.parametrize("site", SITES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_node_sets_in_runbook_commands_are_quoted(site, tmp_path):
    import re

    folder = tmp_path / "ex"
    shutil.copytree(site.parent, folder)
    (folder / "fence-password").chmod(0o600)
    for command in runbook_commands(folder / site.name):
        for match in re.finditer(r"[A-Za-z][\w-]*\[[\d,-]+\]", command):
            assert unquoted_occurrences(command, match.group()) == [], command
