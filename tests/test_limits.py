"""hagen.load.limits: bounded input (docs/limits.md). Each limit is a report with its code and
location, reached in well under a second: never a hang, a MemoryError, a RecursionError or a
crash of libyaml. All in process (hagen.load and hagen.compile.pipeline.load_and_check)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from contextlib import contextmanager

import pytest

from conftest import EXAMPLES
from hagen.base.errors import InputRefused
from hagen.load import limits
from hagen.load.site import load_site, parse_site
from hagen.load.snapshot import FORMAT, parse_snapshot, read_snapshot
from hagen.compile.pipeline import load_and_check

ALIAS_BOMB = "".join(f"{b}: &{b} [{','.join([f'*{a}'] * 9) if a else ','.join(['lol'] * 9)}]\n"
                     for a, b in zip([""] + list("abcdefgh"), "abcdefghi"))
SNAPSHOT_HEAD = f"format: {FORMAT}\ntables:\n"


HANG_S = 60      # a watchdog, not a measure: a refusal that waits for input or expands a bomb never ends


@contextmanager
def within():
    """Fail instead of hanging the suite when the block never ends (a FIFO read, a bomb
    expanded). The tests assert what was refused, never how fast: the machine may be busy."""
    def expired(*_):
        raise AssertionError(f"still running after {HANG_S} s: it waits or expands instead of refusing")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, HANG_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def refused(fn, *args, **kwargs) -> list:
    with within():
        with pytest.raises(InputRefused) as info:
            fn(*args, **kwargs)
    return info.value.reports


def one(reports, code):
    assert [r.code for r in reports] == [code], [str(r) for r in reports]
    return reports[0]


# --------------------------------------------------------------------------- alias bombs

def test_an_alias_bomb_in_the_site_spec_is_refused_at_once():
    r = one(refused(parse_site, ALIAS_BOMB, "site.yaml"), "HA115")
    assert (r.where.line, r.where.key) == (5, "e[0]")      # where the count passes 10,000


def test_an_alias_bomb_in_a_snapshot_is_refused_at_once():
    text = ALIAS_BOMB + SNAPSHOT_HEAD.replace("tables:\n", "tables: {node: *i}\n")
    one(refused(parse_snapshot, text, "clusterdb.yaml"), "HA115")


def test_a_recursive_alias_in_a_snapshot_is_refused():
    one(refused(parse_snapshot, SNAPSHOT_HEAD + "  node: &n [*n]\n", "clusterdb.yaml"), "HA115")


# --------------------------------------------------------------------------- nesting

@pytest.mark.parametrize("body", ["x: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "x:\n" + "- " * 5000 + "a\n",
                                  "x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"],
                         ids=["flow", "block", "mappings"])
def test_deep_nesting_of_the_site_spec(body):
    r = one(refused(parse_site, body, "site.yaml"), "HA116")
    assert r.where.line is not None


@pytest.mark.parametrize("body", ["  node: " + "[" * 100000 + "]" * 100000 + "\n",
                                  "  node:\n" + "- " * 100000 + "a\n"], ids=["flow", "block"])
def test_deep_nesting_of_a_yaml_snapshot_never_reaches_libyaml(body):
    """libyaml overflowed its C stack here: a segmentation fault, not even a traceback."""
    one(refused(parse_snapshot, SNAPSHOT_HEAD + body, "clusterdb.yaml"), "HA116")


def test_deep_nesting_of_a_json_snapshot():
    text = json.dumps({"format": FORMAT, "tables": {}})[:-2] + '"node": ' + "[" * 100000 + "]" * 100000 + "}}"
    one(refused(parse_snapshot, text, "clusterdb.json", json_first=True), "HA116")


# --------------------------------------------------------------------------- integers and strings

def test_a_5000_digit_integer_in_the_site_spec_has_its_line_and_column():
    r = one(refused(parse_site, "ntp:\n  stratum: " + "1" * 5000 + "\n", "site.yaml"), "HA117")
    assert (r.where.line, r.where.column) == (2, 12)


@pytest.mark.parametrize("json_form", [False, True], ids=["yaml", "json"])
def test_a_5000_digit_integer_in_a_snapshot(json_form):
    if json_form:
        text = '{"format": "%s", "tables": {"cluster": [{"id": %s}]}}' % (FORMAT, "7" * 5000)
    else:
        text = SNAPSHOT_HEAD + "  cluster:\n  - {id: " + "7" * 5000 + "}\n"
    r = one(refused(parse_snapshot, text, "clusterdb.x", json_first=json_form), "HA117")
    assert r.where.line is not None


def test_an_integer_beyond_bigint_in_the_site_spec():
    r = one(refused(parse_site, "ntp:\n  stratum: " + "9" * 25 + "\n", "site.yaml"), "HA117")
    assert r.where.key == "ntp.stratum"


def test_a_long_string_in_the_site_spec():
    r = one(refused(parse_site, "ntp:\n  x: " + "a" * 5000 + "\n", "site.yaml"), "HA118")
    assert (r.where.line, r.where.key) == (2, "ntp.x")


@pytest.mark.parametrize("value", ["10.0", "1e1", "1.0e+1"])
def test_integers_are_integers(value):
    """Medium: stratum 10.0 passed the schema and reached ntp.conf as 'stratum 10.0'."""
    r = one(refused(parse_site, f"ntp:\n  stratum: {value}\n", "site.yaml"), "HA101")
    assert r.where.key == "ntp.stratum"


# --------------------------------------------------------------------------- sizes and file kinds

def test_a_site_spec_over_its_size_limit_is_not_read(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("# " + "x" * (limits.SITE.max_bytes + 10) + "\n")
    one(refused(load_site, site), "HA114")


def test_a_snapshot_over_its_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "SNAPSHOT", dataclasses.replace(limits.SNAPSHOT, max_bytes=1000))
    snap = tmp_path / "clusterdb.yaml"
    snap.write_text(SNAPSHOT_HEAD + "#" * 2000 + "\n")
    one(refused(read_snapshot, snap), "HA114")


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_the_site_spec_must_be_a_regular_file(tmp_path, fifo, kind):
    path = {"fifo": fifo, "directory": tmp_path, "device": "/dev/zero"}[kind]
    r = one(refused(load_site, path), "HA113")
    assert {"fifo": "a FIFO", "directory": "a directory", "device": "a device"}[kind] in r.message


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_the_snapshot_must_be_a_regular_file(fifo, kind):
    path = {"fifo": fifo, "device": "/dev/zero"}[kind]
    one(refused(load_and_check, EXAMPLES / "bas5-guide" / "site.yaml", snapshot=str(path)), "HA113")


@pytest.fixture
def example(example_copy):
    folder = example_copy("bas5-guide")
    (folder / "fence-password").chmod(0o600)
    return folder


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_password_file_must_be_a_regular_file(example, kind):
    """Medium: a FIFO as password_file hung the build; /dev/zero was a MemoryError."""
    secret = example / "fence-password"
    secret.unlink()
    if kind == "fifo":
        os.mkfifo(secret)
    elif kind == "directory":
        secret.mkdir()
    else:
        secret.symlink_to("/dev/zero")
    r = one(refused(load_and_check, example / "site.yaml"), "HA113")
    assert r.where.key == "management.fencing.password_file"


# --------------------------------------------------------------------------- characters and duplicate keys

def test_a_nul_byte_in_the_site_spec_has_its_line_and_column():
    r = one(refused(parse_site, "ntp:\n  stratum: 1\x000\n", "site.yaml"), "HA100")
    assert (r.where.line, r.where.column) == (2, 13)


def test_a_nul_byte_in_a_yaml_snapshot_has_its_line_and_column():
    r = one(refused(parse_snapshot, SNAPSHOT_HEAD + "  node: [\x00]\n", "clusterdb.yaml"), "HA200")
    assert (r.where.line, r.where.column) == (3, 10)


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066", "\ufeff", "\u2028"])
def test_bidi_and_zero_width_characters_are_refused_in_the_site_spec(char):
    r = one(refused(parse_site, f"ntp:\n  stratum: 10   # {char}comment\n", "site.yaml"), "HA119")
    assert (r.where.line, r.where.column) == (2, 19)


def test_a_bidi_character_written_as_an_escape_is_refused_too():
    r = one(refused(parse_site, 'management:\n  cluster_name: "ns\\u202emngt"\n', "site.yaml"), "HA119")
    assert (r.where.line, r.where.key) == (2, "management.cluster_name")


def test_duplicate_keys_in_a_yaml_snapshot_row():
    """Low: the last of two `name:` won."""
    text = SNAPSHOT_HEAD + "  node:\n  - {id: 1, name: ns0, name: ns1}\n"
    r = one(refused(parse_snapshot, text, "clusterdb.yaml"), "HA217")
    assert (r.where.line, r.where.column, r.where.key) == (4, 24, "name")


def test_duplicate_keys_in_a_json_snapshot_row():
    text = '{"format": "%s", "tables": {"node": [{"id": 1, "name": "ns0", "name": "ns1"}]}}' % FORMAT
    r = one(refused(parse_snapshot, text, "clusterdb.json", json_first=True), "HA217")
    assert r.where.key == "name"


def test_duplicate_keys_in_the_site_spec_are_refused_too():
    one(refused(parse_site, "ntp:\n  stratum: 10\n  stratum: 11\n", "site.yaml"), "HA100")


def test_the_examples_are_well_within_the_limits():
    for site in sorted(EXAMPLES.glob("*/site*.yaml")):
        text = site.read_text(encoding="utf-8")
        assert limits.scan_text(text, str(site), limits.SITE, format_chars=True) == []
        parse_site(text, str(site), site)
