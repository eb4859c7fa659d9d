"""Severities in colour on a terminal only; NO_COLOR, TERM=dumb and --no-color switch it off."""

from __future__ import annotations

import io
import re

import pytest

from cli_runner import cli
from hagen.cli import colour

REPORT = ("site.yaml:100:8 management.mnttab[0].device: error HA312: device 'sdf' does not start with /dev/\n"
          "    hint: a device name beginning with /dev/")
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def colour_wanted(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(colour, "_switched_off", False)


def test_a_terminal_gets_the_severity_and_the_hint_coloured():
    painted = colour.paint(REPORT, Terminal())
    assert "\x1b[1;31merror HA312\x1b[0m" in painted and "\x1b[2mhint:\x1b[0m" in painted
    assert ESCAPE.sub("", painted) == REPORT


def test_a_warning_is_yellow():
    painted = colour.paint("site.yaml:3:5 k: warning HA103: readable by others", Terminal())
    assert "\x1b[33mwarning HA103\x1b[0m" in painted


def test_a_pipe_gets_plain_text():
    assert colour.paint(REPORT, io.StringIO()) == REPORT


@pytest.mark.parametrize("name, value", [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_the_environment_switches_it_off(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    assert colour.paint(REPORT, Terminal()) == REPORT


def test_no_color_switches_it_off():
    r = cli("--no-color", "codes")
    assert r.code == 0
    assert colour.paint(REPORT, Terminal()) == REPORT


def test_without_the_flag_colour_stays_on():
    """The eager flag's callback must not fire unasked (typer < 0.13 with click >= 8.3 did that to --version)."""
    r = cli("codes")
    assert r.code == 0 and "HA100" in r.stdout
    assert colour.wanted(Terminal())


def test_a_message_with_no_severity_is_left_alone():
    assert colour.paint("hagen: 1 error(s) in the inputs: nothing was written", Terminal()) == \
        "hagen: 1 error(s) in the inputs: nothing was written"
