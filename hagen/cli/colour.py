"""Colour for the severities of reports, on a terminal only (rich).

Off when the stream is not a terminal, when NO_COLOR is set (https://no-color.org),
when TERM is dumb, or after `hagen --no-color`. Only the words that matter are
coloured (`error HA312`, `warning HA103`, `hint:`): the text stays byte for byte the
same once the escapes are removed.
"""

from __future__ import annotations

import io
import os
import re

STYLES = {"error": "bold red", "warning": "yellow", "hint": "dim"}
_SEVERITY = re.compile(r"(?<=: )(error|warning) HA\d+(?=:)")
_HINT = re.compile(r"^    hint:", re.M)
_switched_off = False


def switch_off() -> None:
    """--no-color: no colour for the rest of the process."""
    global _switched_off
    _switched_off = True


def wanted(stream) -> bool:
    if _switched_off or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, stream) -> str:
    """text with its severities coloured if stream is a terminal that wants colour."""
    if not wanted(stream) or not (_SEVERITY.search(text) or _HINT.search(text)):
        return text
    from rich.console import Console
    from rich.text import Text

    styled = Text(text)
    for m in _SEVERITY.finditer(text):
        styled.stylize(STYLES[m.group(1)], m.start(), m.end())
    for m in _HINT.finditer(text):
        styled.stylize(STYLES["hint"], m.start() + 4, m.end())
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="standard", width=1 << 16, highlight=False,
            markup=False, emoji=False, soft_wrap=True).print(styled, end="")
    painted = out.getvalue()
    # rich before 12 ends the text with a newline even when told not to
    return painted[:-1] if painted.endswith("\n") and not text.endswith("\n") else painted


_DIFF_STYLES = (("    + ", "green"), ("    - ", "red"), ("    ~ ", "yellow"), ("    +", "green"), ("    -", "red"),
                ("    @@", "cyan"), ("added ", "bold green"), ("removed ", "bold red"), ("changed ", "bold"))


def terminal_safe(line: str, stream) -> str:
    """line with its control characters (ESC, CR, BEL, ...; a tab is kept) escaped when stream is a
    terminal: a node's file or a ClusterDB value then cannot move the cursor, retitle the window or
    hide a line behind a CR. Piped output stays byte for byte what was compared."""
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()) or all(c.isprintable() or c == "\t" for c in line):
        return line
    return "".join(c if c.isprintable() or c == "\t" else c.encode("unicode_escape").decode("ascii")
                   for c in line)


def paint_diff(line: str, stream) -> str:
    """A line of `hagen diff`'s text coloured by what it says (added, removed, changed),
    on a terminal that wants colour; the same text otherwise."""
    if not wanted(stream):
        return line
    for prefix, style in _DIFF_STYLES:
        if line.startswith(prefix):
            from rich.console import Console
            from rich.text import Text

            out = io.StringIO()
            Console(file=out, force_terminal=True, color_system="standard", width=1 << 16, highlight=False,
                    markup=False, emoji=False, soft_wrap=True).print(Text(line, style=style), end="")
            painted = out.getvalue()
            return painted[:-1] if painted.endswith("\n") else painted
    return line
