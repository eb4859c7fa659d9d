"""Bounded input: the limits every file hagen reads is held to, and the cheap checks that
enforce them before a parser or a tree walk could run out of time, memory or stack.

A site spec, a snapshot and a password file are read through read_regular_file() (a
FIFO, a device or a directory is refused at once, and a file larger than its limit is
never read whole). A site spec and a YAML snapshot are scanned by scan_text() before
any YAML parser sees them (nesting that would overflow the parsers' stacks, integers too
long to convert, NUL bytes, bidi and zero-width characters), and measured by measure()
once parsed: the walk counts each shared node (a YAML alias) once, so that a nine-line
alias bomb is refused in microseconds instead of being expanded. (JSON needs neither: it
has no aliases, and its parser stops deep nesting itself.) The limits are documented in docs/limits.md; each one is a report with
its own code and a location, never a MemoryError, a RecursionError or a hang.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass

from hagen.base.nodesets import MAX_HOSTS
from hagen.base.reports import Where, error

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    what: str                 # "site spec", "snapshot"
    max_bytes: int
    max_values: int           # every mapping, list and scalar, aliases expanded
    max_depth: int            # nesting of mappings and lists
    max_string: int           # characters in one string
    max_line_indent: int      # a block-nesting bound: indentation plus "- " markers on one line
    max_flow_depth: int       # open [ and { at once


# the site spec's size and values are bounded by its reading time (bench/site_limits.py,
# bench/SITE_LIMITS.md): ruamel's round-trip parser, which keeps every key's line and column,
# spends about 80 microseconds of CPU on a value, so 10,000 values read in under a second; a
# site names its nodes by node sets (a generated 10,000-node site holds under 400 values)
SITE = Limits("site spec", 1 * MiB, 10_000, 32, 4096, 64, 24)
SNAPSHOT = Limits("snapshot", 256 * MiB, 50_000_000, 16, 4096, 64, 16)
SECRET = Limits("password file", 64 * 1024, 0, 0, 0, 0, 0)     # only its size is used
MAX_INT = (1 << 63) - 1       # PostgreSQL's bigint; no setting of hagen's is larger
_MAX_DIGITS = 40              # a digit run longer than this in the text may be an integer no parser should convert

DOC = [  # (limit, value, code): docs/limits.md lists them
    ("size of the site spec", f"{SITE.max_bytes // MiB} MiB", "HA114"),
    ("size of a snapshot", f"{SNAPSHOT.max_bytes // MiB} MiB", "HA114"),
    ("values in the site spec, YAML aliases expanded", f"{SITE.max_values:,}", "HA115"),
    ("values in a YAML snapshot, aliases expanded", f"{SNAPSHOT.max_values:,}", "HA115"),
    ("nesting of mappings and lists (site spec / YAML snapshot; a JSON snapshot: what its parser reads)",
     f"{SITE.max_depth} / {SNAPSHOT.max_depth}", "HA116"),
    ("indentation plus '- ' markers on one line (site spec / YAML snapshot)",
     f"{SITE.max_line_indent} / {SNAPSHOT.max_line_indent}", "HA116"),
    ("open '[' and '{' at once (site spec / YAML snapshot)", f"{SITE.max_flow_depth} / {SNAPSHOT.max_flow_depth}",
     "HA116"),
    ("an integer", f"-{MAX_INT} to {MAX_INT} (PostgreSQL bigint); at most {_MAX_DIGITS} digits in the text", "HA117"),
    ("size of a password file", f"{SECRET.max_bytes // 1024} KiB", "HA114"),
    ("characters in one string of the site spec (a ClusterDB column: its grammar's length, "
     "docs/clusterdb-grammar.md)", f"{SITE.max_string}", "HA118"),
    ("bidi, zero-width and other format characters (Unicode Cf), line and paragraph separators",
     "none, anywhere in the site spec (comments included)", "HA119"),
    ("the site spec, a snapshot, a password file", "a regular file (not a FIFO, device or directory)", "HA113"),
    ("deploy.connect_timeout / deploy.command_timeout: seconds a fan-out call waits to reach a node / for a node's "
     "command or copy (a node past them is reported hung or unreachable, never done)",
     "1-3600 / 1-86400 (defaults 10 / 600)", "HA101"),
    ("a node set on the fan-out tool's command line (folded); a longer one goes through a file "
     "(`-w ^FILE`, clush `--hostfile`)", "16 KiB", "none: never refused"),
    # the deploy side: what gather reads back from the nodes, and what a build may write from it
    ("a file gather fetches (read in 1 MiB chunks, never whole; one over the limit is reported, not kept)",
     "64 MiB", "HA968"),
    ("cluster.conf's config_version read back from a node (cman's unsigned 32-bit integer; read by lxml)",
     "0 to 4294967295", "HA968, HA969"),
    ("hosts named by a node set: --host of build and diff, -w/-x of gather and push, a manifest's or a record's "
     "node sets, the site spec's node patterns", f"{MAX_HOSTS:,}, and at least one host of the build",
     "HA130, HA140, HA135"),
]


class LimitExceeded(Exception):
    def __init__(self, report):
        super().__init__(report.message)
        self.report = report


def read_regular_file(path, display: str, limits: Limits | None) -> bytes:
    """The bytes of a regular file, or LimitExceeded/OSError. A FIFO, device or directory is refused
    before anything could block on it (O_NONBLOCK, fstat), a file over the limit before it is read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LimitExceeded(not_a_file(display, st.st_mode))
        cap = limits.max_bytes if limits else None
        if cap is not None and st.st_size > cap:
            raise LimitExceeded(too_large(display, limits, st.st_size))
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if cap is not None and total > cap:      # it grew while being read
                raise LimitExceeded(too_large(display, limits, total))
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_a_file(display: str, mode: int, where: Where | None = None):
    return error("HA113", where or Where(file=display), f"{display} is {_kind(mode)}, not a regular file",
                 "name a regular file: hagen never reads a FIFO, a device or a directory as its input")


def too_large(display: str, limits: Limits, size: int):
    limit = f"{limits.max_bytes // MiB} MiB" if limits.max_bytes >= MiB else f"{limits.max_bytes // 1024} KiB"
    return error("HA114", Where(file=display), f"the {limits.what} is {size:,} bytes, more than the limit of {limit}", "split the input, or check that this is the right file "
                 "(docs/limits.md)")


# ----------------------------------------------------------------------------- the text

# quoted scalars (on one line) and comments: a bracket inside them nests nothing. (Each alternative
# starts with a literal character, so that the engine skips ahead fast over a 10 MB snapshot.)
_QUOTED = re.compile(r""""[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\n]*(?:''[^'\n]*)*'|#(?<=(?<![^\s])#)[^\n]*""")
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_LONG_DIGITS = re.compile(r"\d{%d,}" % (_MAX_DIGITS + 1))
_FORMAT_CHARS = re.compile("[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
                           "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
                           "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
                           "\U000e0020-\U000e007f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def scan_text(text: str, display: str, limits: Limits, format_chars: bool, digits: bool = True) -> list:
    """What no parser should be handed: nesting deeper than the limits (libyaml overflows its C
    stack, ruamel its Python one), integer literals too long to convert, NUL and other control
    characters (with their line:column, which the parsers do not give), and, with format_chars,
    bidi and zero-width characters anywhere. Without digits, long numbers are left to the caller
    (a parser's ValueError, then long_numbers() to say where). Regular expressions do the work (a 10 MB snapshot
    costs milliseconds); the nesting bound is a heuristic, generous for real files."""
    reports = []
    bad = _CONTROL.search(text)
    if bad:
        line, col = position(text, bad.start())
        reports.append(error("HA100" if limits is SITE else "HA200", Where(file=display, line=line, column=col),
                             f"the {limits.what} holds the control character {bad.group()!r}",
                             "remove it: YAML and JSON text holds no NUL or other control character"))
    if format_chars and not text.isascii():
        m = _FORMAT_CHARS.search(text)
        if m is not None:
            line, col = position(text, m.start())
            char = m.group()
            reports.append(error("HA119", Where(file=display, line=line, column=col),
                                 f"the {limits.what} holds {unicodedata.name(char, 'a format character')} "
                                 f"(U+{ord(char):04X}), which can make text read otherwise than it runs",
                                 "remove it (bidi and zero-width characters are refused everywhere, comments included)"))
    deep = re.search(r"(?:\A|\n)[ -]{%d}" % (limits.max_line_indent + 1), text)
    if deep:
        line, _ = position(text, deep.start() + (text[deep.start()] == "\n"))
        reports.append(_too_deep(display, line, limits.max_line_indent + 1, limits,
                                 f"a line indented by more than {limits.max_line_indent} (blanks and '- ' markers)"))
    brackets = _NOT_BRACKET.sub("", _QUOTED.sub("", text))
    flow = 0
    for i, c in enumerate(brackets):
        if c in "[{":
            flow += 1
            if flow > limits.max_flow_depth:
                index = _nth_bracket(text, i)
                line, col = position(text, index)
                reports.append(_too_deep(display, line, col, limits,
                                         f"more than {limits.max_flow_depth} '[' or '{{' open at once"))
                break
        elif flow:
            flow -= 1
    if digits:
        reports += long_numbers(text, display)
    return reports


def long_numbers(text: str, display: str) -> list:
    """A report for the first unquoted run of digits too long to be an integer hagen takes."""
    for m in _LONG_DIGITS.finditer(text):
        if m.start() and text[m.start() - 1] not in " \t\n[{,:-+":
            continue                   # inside a word or a quoted string: text, not a number
        line, col = position(text, m.start())
        return [error("HA117", Where(file=display, line=line, column=col),
                      f"a number of {len(m.group())} digits: integers are at most {MAX_INT}",
                      "write a smaller number, or quote it if it is text")]
    return []


def _nth_bracket(text: str, n: int) -> int:
    """The index in text of the n-th bracket outside quotes and comments (0-based)."""
    kept = _QUOTED.sub(lambda m: "\0" * len(m.group()), text)
    for k, m in enumerate(re.finditer(r"[\[\]{}]", kept)):
        if k == n:
            return m.start()
    return 0


def _too_deep(display, line, col, limits, what):
    return error("HA116", Where(file=display, line=line, column=col),
                 f"the {limits.what} nests too deeply: {what}",
                 f"mappings and lists nest at most {limits.max_depth} deep (docs/limits.md)")


# ----------------------------------------------------------------------------- the parsed document

class _Stop(Exception):
    def __init__(self, code, path, message, hint):
        super().__init__(message)
        self.code, self.path, self.message, self.hint = code, path, message, hint


def measure(doc, limits: Limits):
    """None if doc is within the limits, else (code, key path, message, hint) of the first limit
    exceeded. Each mapping or list is walked once however many aliases share it: the count of
    values with aliases expanded comes from the memo, so that a bomb costs what its text costs."""
    memo: dict = {}
    try:
        _walk(doc, (), 0, memo, set(), limits, [0])
    except _Stop as stop:
        return stop.code, stop.path, stop.message, stop.hint
    return None


def _walk(node, path, depth, memo, open_, limits, total):
    if isinstance(node, (dict, list)):
        key = id(node)
        if key in memo:
            size, height = memo[key]
            if depth + height > limits.max_depth:
                raise _Stop("HA116", path, f"mappings and lists nest more than {limits.max_depth} deep",
                            "flatten the structure (docs/limits.md)")
            total[0] += size
            if total[0] > limits.max_values:
                raise _Stop("HA115", path, f"more than {limits.max_values:,} values once YAML aliases are expanded",
                            "write the values out, without aliases that repeat them (an alias bomb?)")
            return size, height
        if key in open_:
            raise _Stop("HA115", path, "a YAML alias refers to a mapping or list that contains it",
                        "remove the recursive alias")
        if depth >= limits.max_depth:
            raise _Stop("HA116", path, f"mappings and lists nest more than {limits.max_depth} deep",
                        "flatten the structure (docs/limits.md)")
        open_.add(key)
        size, height = 1, 0
        total[0] += 1
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            if isinstance(node, dict):
                _scalar(k, path + (k,), limits)
            s, h = _walk(v, path + (k,), depth + 1, memo, open_, limits, total)
            size += s
            height = max(height, h + 1)
        open_.discard(key)
        memo[key] = (size, height)
        return size, height
    total[0] += 1
    if total[0] > limits.max_values:
        raise _Stop("HA115", path, f"more than {limits.max_values:,} values", "split the input (docs/limits.md)")
    _scalar(node, path, limits)
    return 1, 0


def _scalar(value, path, limits):
    if isinstance(value, str):
        if len(value) > limits.max_string:
            raise _Stop("HA118", path, f"a string of {len(value):,} characters: at most {limits.max_string:,}",
                        "shorten it (docs/limits.md)")
        if limits is SITE and not value.isascii():
            m = _FORMAT_CHARS.search(value)       # written as an escape ("\u202e"): not in the text itself
            if m:
                char = m.group()
                raise _Stop("HA119", path, f"the value holds {unicodedata.name(char, 'a format character')} "
                            f"(U+{ord(char):04X}), which can make text read otherwise than it runs",
                            "remove it (bidi and zero-width characters are refused everywhere)")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not -MAX_INT <= value <= MAX_INT:
            raise _Stop("HA117", path, f"the integer {str(value)[:20]}... is larger than {MAX_INT}",
                        "write a smaller number")
