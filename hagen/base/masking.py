"""Secrets masked in every form they can take: the one place that knows the encodings.

A secret reaches text in many spellings: raw; XML/HTML-escaped (`&amp;`, `&lt;`,
`&quot;`, `&#39;`, `&apos;`, decimal or hex numeric entities, in any mix); percent-encoded
(a DSN's password); backslash-escaped (a JSON or shell string, a conninfo value); with a
quote doubled (SQL, YAML single quotes) or closed and reopened (`'\\''` in a shell). Instead
of listing spellings, each character of the secret is matched in any of its encodings,
so that one regular expression finds every form, whatever mix a writer chose.

Two more rules catch what hagen does not know the value of:
  - a password attribute or key of a file from elsewhere (a gathered cluster.conf, an
    older build, a malformed file whose password is quoted with ' ), whatever its value;
  - a DSN's password (`scheme://user:PASSWORD@`, `password=...`), even in a DSN that
    libpq cannot parse.

Secrets are remembered process-wide as hagen reads them, so that errors and logs are
masked too without every caller carrying the values. Only remember() (and remember_dsn)
fill that set, called where a secret enters hagen and nowhere else: a Secret when the
site's fence password is read (hagen.load.secrets), a DSN when the CLI takes --db, when
choose_source picks one and when connect opens one (hagen.load). The CLI empties it before
each command (forget_all); remembered() says what it holds.
"""

from __future__ import annotations

import html.entities
import re
from functools import lru_cache

MASK = "********"

_known: set[str] = set()          # filled by remember() only: see the module's docstring

# the HTML5 named entities of each character (&amp; &apos; &quot; ...), 'amp;' -> '&'
_NAMED: dict[str, list[str]] = {}
for _name, _char in html.entities.html5.items():
    if len(_char) == 1 and _name.endswith(";"):
        _NAMED.setdefault(_char, []).append(_name)


def remember(*secrets: str | None) -> None:
    """Secrets to mask in every error and log line from now on (fence passwords, DSN passwords)."""
    for s in secrets:
        if s:
            _known.add(s)


def remembered() -> list[str]:
    return sorted(_known)


def forget_all() -> None:          # tests
    _known.clear()


def _hex(n: int, width: int = 1) -> str:
    """A pattern for n in hex in either case: 27, 2f or 2F."""
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in f"{n:0{width}x}")


def _char_forms(c: str) -> str:
    code = ord(c)
    forms = [re.escape(c), f"&#0*{code};", f"&#[xX]0*{_hex(code)};"]
    forms += [re.escape(f"&{name}") for name in _NAMED.get(c, [])]
    # percent-encoding: every UTF-8 byte as %XX; a space also as '+'
    forms.append("".join(f"%{_hex(b, 2)}" for b in c.encode()))
    if c == " ":
        forms.append(r"\+")
    # backslash escapes: \" \\ \' \$ (shell, JSON, conninfo), \uXXXX \xXX (JSON, repr)
    forms.append(re.escape("\\" + c))
    forms.append(rf"\\u0*{_hex(code)}")
    if code < 256:
        forms.append(rf"\\x{_hex(code, 2)}")
    if c == "'":
        forms += ["''", re.escape("'\\''"), re.escape("'\"'\"'")]
    if c == '"':
        forms.append('""')
    # the longest form first: '%' must not match the start of '%25' and leave '25' behind
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")"


@lru_cache(maxsize=256)
def _pattern(secret: str) -> re.Pattern:
    return re.compile("".join(_char_forms(c) for c in secret))


def mask_secrets(text: str, secrets=()) -> str:
    """text with every form of each secret (and of every remembered one) replaced by MASK."""
    values = {s for s in secrets if s} | _known
    for s in sorted(values, key=len, reverse=True):
        if s != MASK:
            text = _pattern(s).sub(MASK, text)
    return text


# --------------------------------------------------------------------------- values hagen does not know

# a password key (passwd, password, fence_passwd, PASSWORD, passwd_script) then = or :;
# not sudo's NOPASSWD: and PASSWD: tags, which a command follows, not a password
_KEY = r"(?i:[\w.-]*passw(?:or)?d[\w.-]*)"
# its value: quoted, up to the LAST same quote on the line that a separator follows (a
# malformed file may hold the quote, and a blank, inside: passwd='a' b' masks all of
# a' b, and the attributes after it too, rather than leak a piece), or to the line's end;
# unquoted, to the line's end or the tag's end (a blank may belong to the password)
_SECRET_VALUE = re.compile(
    r"(?P<key>(?<![\w.-])(?!(?:NO)?PASSWD:)" + _KEY + r"\s*[=:]\s*)"
    r"(?:(?P<q>['\"])(?:.*(?P=q)(?=[\s/>,;]|$)|[^\n]*)|(?P<bare>[^\s'\"].*?)(?=\s*/?>\s*$|\s*$))",
    re.M)


def _value_masked(m: re.Match) -> str:
    q = m.group("q")
    return m.group("key") + (f"{q}{MASK}{q}" if q else MASK)


def mask_password_keys(text: str) -> str:
    """Every value of a password attribute or key masked: passwd="x", passwd='x', passwd=x,
    password: x. For files hagen did not write (its own are masked by value)."""
    # what _KEY needs (casefold, as the regex folds: "ſ" is an "s"): a long /etc/hosts costs no regex
    if "passw" not in text.casefold():
        return text
    return _SECRET_VALUE.sub(_value_masked, text)


# a URI's userinfo password: scheme://user:PASSWORD@host; everything up to the last '@'
# before the path, since a malformed one may hold '@' or '/' unencoded
_URI_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^:@/\s\"']*:)(?P<pw>[^\s\"']*)(?P<at>@)")
_CONNINFO_PASSWORD = re.compile(r"(?P<head>(?<![\w.-])password\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'?|[^\s'\"&]+)")


def dsn_passwords(dsn: str) -> list[str]:
    """Every password a DSN may carry, found without libpq (which may refuse it): a URI's
    userinfo (raw and percent-decoded), a ?password= parameter, a conninfo password=
    (quoted or not)."""
    from urllib.parse import unquote

    found = []
    for m in _URI_PASSWORD.finditer(dsn):
        found.append(m.group("pw"))
    for m in re.finditer(r"[?&]password=([^&#\s]*)", dsn):
        found.append(m.group(1))
    for m in _CONNINFO_PASSWORD.finditer(dsn):
        value = m.group("pw")
        if value.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", value[1:-1] if value.endswith("'") and len(value) > 1 else value[1:])
        found.append(value)
    out = []
    for pw in found:
        for form in (pw, unquote(pw)):
            if form and form not in out:
                out.append(form)
    return out


def mask_dsn(text: str) -> str:
    """text with any DSN password masked, by its shape: scheme://user:***@, password=***."""
    # each pattern is run only on a text holding what it cannot match without
    if "://" in text:
        text = _URI_PASSWORD.sub(lambda m: m.group("head") + MASK + m.group("at"), text)
    if "password" not in text:
        return text
    text = re.sub(r"([?&]password=)[^&#\s]*", rf"\g<1>{MASK}", text)
    return _CONNINFO_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


def remember_dsn(dsn: str | None) -> None:
    """A DSN's passwords, to mask wherever they appear from now on."""
    if dsn:
        remember(*dsn_passwords(dsn))


def mask(text: str, secrets=(), show: bool = False, foreign: bool = False) -> str:
    """The one masking function. secrets: values to mask (with every remembered one);
    foreign: text hagen did not write (a gathered or older file), whose password keys are
    masked whatever their value. show: --show-secrets, nothing is masked."""
    if show:
        return text
    text = mask_secrets(text, secrets)
    if foreign:
        text = mask_password_keys(text)
    return mask_dsn(text)
