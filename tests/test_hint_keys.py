"""Every hint names a change hagen accepts: a site-spec key a hint names (`network.bonding.bonds`,
`audit.accepted`, `add the key shared_files: ...`) exists in schemas/site.schema.json, with the
keys of the snippet it shows (`network.bonding.bonds: name, network: admin, slaves: [...]`);
a ClusterDB column it names (`da_iocell.quorum_device`, `network.suffix`) exists in
schemas/clusterdb.sql. Checked on the hints of every example's audit and reports, and on every
string of hagen's checks and audit (where hints are written), so that a key renamed in the
schema cannot leave a hint pointing nowhere."""

from __future__ import annotations

import ast
import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest

from conftest import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
SITES = sorted(EXAMPLES.glob("*/site*.yaml"))
# a dotted name not inside a path or a file name (/etc/hosts.equiv, site-el9.yaml, $LSF_ENVDIR)
REF = re.compile(r"(?<![\w/.$-])([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)(?![\w/(-])")
FILE_SUFFIXES = {"yaml", "json", "conf", "sql", "xml", "d", "py", "md", "cfg", "lmf", "html", "svg", "txt", "j2"}
KEY_TO_ADD = re.compile(r"\badd the key ([a-z_][a-z0-9_.]*)")


@cache
def schema() -> dict:
    return json.loads((ROOT / "schemas/site.schema.json").read_text())


@cache
def tables() -> dict[str, set[str]]:
    sql = (ROOT / "schemas/clusterdb.sql").read_text()
    return {m.group(1): set(re.findall(r"^\s+(\w+)\s", m.group(2), re.M))
            for m in re.finditer(r"CREATE TABLE\s+(\w+)\s*\((.*?)\n\);", sql, re.S)}


def resolve(node: dict, parts: list[str]) -> dict | None:
    """The schema of the site-spec key parts (lists stepped through), or None when there is none."""
    for part in parts:
        while "items" in node and "properties" not in node:
            node = node["items"]
        if part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            found = [resolve(alt, [part]) for k in ("oneOf", "anyOf") for alt in node.get(k, [])]
            found = [f for f in found if f is not None]
            if not found:
                return None
            node = found[0]
    while "items" in node and "properties" not in node:
        node = node["items"]
    return node


def dangling(text: str) -> list[str]:
    """The site-spec keys and ClusterDB columns text names that do not exist."""
    bad = []
    top, db = set(schema()["properties"]), tables()
    for m in REF.finditer(text):
        parts = m.group(1).split(".")
        if parts[-1] in FILE_SUFFIXES or parts[0] not in top | set(db):
            continue
        in_db = len(parts) == 2 and parts[1] in db.get(parts[0], ())
        node = resolve(schema(), parts) if parts[0] in top else None
        if node is None and not in_db:
            bad.append(m.group(1))
        elif node is not None and text[m.end():m.end() + 1] == ":":        # the snippet's own keys
            snippet = re.split(r"[)\n]", text[m.end() + 1:], maxsplit=1)[0]
            props = node.get("properties", {})
            bad += [f"{m.group(1)}.{k}" for k in re.findall(r"\b([a-z_][a-z0-9_]*):", snippet)
                    if props and k not in props]
    for m in KEY_TO_ADD.finditer(text):
        if resolve(schema(), m.group(1).split(".")) is None:
            bad.append(m.group(1))
    return bad


def test_the_reader_of_hints_finds_what_is_wrong():
    assert dangling("bond two slaves (network.bonding.bonds: name, network: admin, slaves: [eth0], nodes: [x])") == []
    assert dangling("add the key shared_files: [/etc/hosts-tpl] to site.yaml") == []
    assert dangling("give that network a suffix (network.suffix, e.g. 'fence'); da_iocell.quorum_device") == []
    assert dangling("see /etc/hosts.equiv and clusterdb.yaml") == []
    assert dangling("set management.fence.login") == ["management.fence.login"]
    assert dangling("(network.bonding.bonds: name, slave: [eth0])") == ["network.bonding.bonds.slave"]
    assert dangling("add the key shared_file: [/etc/hosts]") == ["shared_file"]
    assert dangling("node_port.interfce") == ["node_port.interfce"]


@pytest.mark.parametrize("site", SITES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_hint_of_every_example_names_keys_that_exist(site, tmp_path):
    from hagen.audit import compile_for_audit, document, uncovered_warning, unused_warnings

    folder = tmp_path / "ex"
    shutil.copytree(site.parent, folder)
    (folder / "fence-password").chmod(0o600)
    compiled = compile_for_audit(folder / site.name)
    doc = document(compiled)
    hints = [f["hint"] for c in doc["cells"] for f in c["findings"]]
    reports = compiled.warnings + uncovered_warning(compiled.site, doc["not_audited"]) + unused_warnings(compiled, doc)
    hints += [r.hint or "" for r in reports]
    assert hints, "no hint at all: the test would prove nothing"
    bad = {h: dangling(h) for h in hints if dangling(h)}
    assert not bad, bad


def test_every_string_hagen_s_checks_and_audit_write_names_keys_that_exist():
    bad = []
    for folder in ("check", "audit", "load", "compile", "deploy", "review", "cli", "model", "plan"):
        for path in sorted((ROOT / "hagen" / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    bad += [f"{path.relative_to(ROOT)}:{node.lineno}: {k}" for k in dangling(node.value)]
    assert not bad, "\n".join(bad)
