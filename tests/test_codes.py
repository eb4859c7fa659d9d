"""hagen/base/codes.py is the registry of every report code: its message and its one severity.

These tests read hagen's source, so that a code raised without being registered, or
raised once as an error and once as a warning, fails here rather than in front of an
administrator.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hagen.base.codes import CODES, WARNINGS, severity

SOURCE = Path(__file__).resolve().parent.parent / "hagen"
CALL = re.compile(r'\b(error|warning)\(\s*"(HA\d+)"')
LITERAL = re.compile(r'"(HA\d+)"')


def _sources():
    return sorted(p for p in SOURCE.rglob("*.py") if p.name != "codes.py")


def _calls() -> dict[str, set[str]]:
    """code -> the severities the source raises it with, from every error("HAnnn", ...)
    and warning("HAnnn", ...) call (a call may span lines)."""
    found: dict[str, set[str]] = {}
    for path in _sources():
        for kind, code in CALL.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, set()).add(kind)
    return found


def test_the_scan_sees_the_source():
    """The scans below mean something only if they find calls at all."""
    calls = _calls()
    assert len(calls) > 100
    assert "warning" in calls["HA103"] and "error" in calls["HA102"]


def test_every_code_the_source_names_is_registered():
    """Any "HAnnn" literal of hagen/ (a call, or a code held in a variable such as
    cells.py's size_code) must be in the registry."""
    unknown = {}
    for path in _sources():
        for code in LITERAL.findall(path.read_text(encoding="utf-8")):
            if code not in CODES:
                unknown.setdefault(code, []).append(str(path.relative_to(SOURCE.parent)))
    assert not unknown, f"codes raised but not in hagen/base/codes.py: {unknown}"


def test_no_code_is_both_an_error_and_a_warning():
    both = sorted(code for code, kinds in _calls().items() if len(kinds) > 1)
    assert not both, f"one code, two severities (give the warning a code of its own): {both}"


def test_each_call_uses_the_registered_severity():
    wrong = sorted(f"{code} raised as {kind}, registered as {severity(code)}"
                   for code, kinds in _calls().items() if code in CODES for kind in kinds if kind != severity(code))
    assert not wrong, wrong


def test_codes_are_well_formed_unique_and_documented():
    text = (SOURCE / "base" / "codes.py").read_text(encoding="utf-8")
    keys = re.findall(r'^\s+"(HA\d+)":', text, re.M)
    assert len(keys) == len(set(keys)) == len(CODES), "a code is defined twice in the CODES literal"
    bad = [c for c, doc in CODES.items() if not re.fullmatch(r"HA[1-9]\d\d|HA10\d\d", c) or not doc.strip()]
    assert not bad
    assert WARNINGS <= set(CODES), sorted(WARNINGS - set(CODES))
    # a code is in the range of its subject
    assert all(c.startswith("HA") for c in CODES)


def test_an_unregistered_code_has_no_severity():
    with pytest.raises(KeyError):
        severity("HA999")
    assert severity("HA103") == "warning" and severity("HA100") == "error"


# ---------------------------------------------------------------- one severity everywhere (a real site's first week)

def test_hagen_codes_docs_and_the_audit_print_one_severity_per_code():
    """`hagen codes`, docs/codes.md and the audit of every example print, for each code, the
    registry's severity: the audit's findings are ordinary reports (HA1010 and HA1011 are
    warnings everywhere, a single point of failure is an error of the registry)."""
    import json

    from cli_runner import cli
    from conftest import EXAMPLES

    listed = dict(re.findall(r"^(HA\d+)\s+(error|warning)\s", cli("codes").stdout, re.M))
    documented = dict(re.findall(r"^\| (HA\d+) \| (error|warning) \|",
                                 (SOURCE.parent / "docs" / "codes.md").read_text(), re.M))
    assert listed == documented == {c: severity(c) for c in CODES}
    seen = set()
    for site in sorted(EXAMPLES.glob("*/site*.yaml")):
        text = cli("audit", "--site", site).stdout
        printed = re.findall(r"^(?:accepted )?(error|warning) (HA10\d\d) ", text, re.M)
        doc = json.loads(cli("audit", "--site", site, "--format", "json").stdout)
        findings = [(f["severity"], f["code"]) for c in doc["cells"] for f in c["findings"]]
        assert sorted(printed) == sorted(findings)
        for kind, code in printed:
            assert kind == severity(code), f"{site}: the audit prints {code} as {kind}"
            seen.add(code)
        assert all(f["spof"] == (severity(f["code"]) == "error") for c in doc["cells"] for f in c["findings"])
    assert {"HA1000", "HA1004", "HA1011"} <= seen               # errors and warnings both checked
    assert severity("HA1010") == severity("HA1011") == "warning"
