"""hagen's exceptions, and the one place they become messages and exit codes.

Exit codes (hagen diff follows diff(1) instead and is handled by its command):
    0  success
    2  input refused: site spec, ClusterDB rows, command line
    3  database or I/O trouble
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_TROUBLE = 3


class HagenError(Exception):
    """Base class. Carries report items when the trouble is in the inputs."""

    exit_code = EXIT_TROUBLE

    def __init__(self, message: str = "", reports=(), hint: str = ""):
        super().__init__(message)
        self.message = message
        self.reports = list(reports)
        self.hint = hint


class InputRefused(HagenError):
    """The site spec, the ClusterDB rows or the command line are wrong: see reports."""

    exit_code = EXIT_INPUT


class UsageError(InputRefused):
    """The command line itself is wrong."""


class SourceError(HagenError):
    """The ClusterDB could not be read (connection, permissions, schema, timeout)."""

    exit_code = EXIT_TROUBLE


class OutputError(HagenError):
    """The output tree could not be read, locked or written."""

    exit_code = EXIT_TROUBLE


def describe(exc: HagenError) -> list[str]:
    """The lines to print for an error, reports first, then the summary."""
    from hagen.base.reports import one_line

    lines = [str(r) for r in exc.reports]
    if exc.message:
        lines.append(f"hagen: {one_line(exc.message)}")
    if exc.hint:
        lines.append(f"    hint: {one_line(exc.hint)}")
    return lines
