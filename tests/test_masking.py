"""hagen.base.masking: a secret is masked in every form it takes, in every command's output."""

from __future__ import annotations

import html
import json
import re
import shlex
import urllib.parse
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cli_runner import cli
from conftest import EXAMPLES
from hagen.base.masking import MASK, dsn_passwords, mask, mask_dsn, mask_password_keys, mask_secrets

ODD = "p&<>\"'w é%+"


@pytest.fixture(autouse=True)
def nothing_remembered():
    """Each test starts with no remembered secret: in-process runs must not mask by luck."""
    from hagen.base.masking import forget_all

    forget_all()
    yield
    forget_all()


def encodings(s: str) -> dict:
    return {
        "raw": s,
        "html": html.escape(s),
        "html-apos": html.escape(s).replace("&#x27;", "&apos;"),
        "xml-attr": quoteattr(s)[1:-1],
        "numeric": "".join(f"&#{ord(c)};" for c in s),
        "hex-numeric": "".join(f"&#x{ord(c):X};" for c in s),
        "jinja": s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
                  .replace("'", "&#39;"),
        "json": json.dumps(s)[1:-1],
        "json-ascii": json.dumps(s, ensure_ascii=True)[1:-1],
        "shell": shlex.quote(s),
        "url": urllib.parse.quote(s, safe=""),
        "url-lower": re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), urllib.parse.quote(s, safe="")),
        "url-plus": urllib.parse.quote_plus(s),
        "repr": repr(s),
        "sql": s.replace("'", "''"),
    }


@pytest.mark.parametrize("form", sorted(encodings(ODD)))
def test_every_encoding_of_a_secret_is_masked(form):
    text = f"before [{encodings(ODD)[form]}] after"
    masked = mask_secrets(text, [ODD])
    assert masked.startswith("before [") and masked.endswith("] after")
    inner = masked[len("before ["):-len("] after")]
    assert inner.strip("'\"") == MASK, (form, masked)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=4, max_size=20))
def test_any_printable_secret_is_masked_in_every_encoding(secret):
    assume(secret not in MASK)         # "****" is in the mask itself: masked, it still reads "****"
    for form, text in encodings(secret).items():
        assert secret not in mask_secrets(f"x {text} y", [secret]), form
        assert mask_secrets(f"x {text} y", [secret]).count(MASK) >= 1, form


def test_password_keys_of_foreign_text_are_masked_whatever_their_value():
    text = "\n".join([
        '<fencedevice passwd="a&amp;b" lanplus="1"/>',
        "<fencedevice passwd='quoted with single' ipaddr='10.0.0.1'/>",
        "<fencedevice passwd='it's broken' x='1'/>",
        "<fencedevice passwd='never closed",
        "passwd=bare-value/>",
        "PASSWORD: yaml value with blanks",
    ])
    masked = mask_password_keys(text)
    for leaked in ("a&amp;b", "quoted", "broken", "never", "bare-value", "yaml"):
        assert leaked not in masked, masked
    assert masked.startswith('<fencedevice passwd="********"/>')   # what follows may be masked too: never less
    sudoers = "ldap ALL=(root) NOPASSWD: /usr/sbin/lustre_util\n"      # a sudo tag, not a password
    assert mask_password_keys(sudoers) == sudoers


@pytest.mark.parametrize("text, leaked", [
    ("pa\u017f\u017fwd=long-s-key", "long-s-key"),          # the regex folds case as Unicode does: "ſ" is an "s"
    ("PaSsWoRd: mixed-case", "mixed-case"),
    ("x postgresql://u:uri-pw@db/cdb", "uri-pw"),
    ("host=db password=conninfo-pw", "conninfo-pw"),
])
def test_the_quick_way_past_the_patterns_never_skips_a_match(text, leaked):
    """mask skips a pattern when the text lacks what it needs; each needed piece, in any
    case the patterns accept, still reaches its pattern."""
    assert leaked not in mask(text, foreign=True)


@pytest.mark.parametrize("dsn, password", [
    ("postgresql://hagen:s3cret%pw@db.example:5432/cdb", "s3cret%pw"),           # a stray %: libpq refuses it
    ("postgresql://hagen:s3cr%40t@db.example/cdb", "s3cr@t"),
    ("postgres://u:pw-in-uri@[::1/cdb", "pw-in-uri"),                            # unbalanced [
    ("host=db password='quo ted\\'pw' dbname=cdb", "quo ted'pw"),
    ("host=db password=bare-pw dbname=cdb", "bare-pw"),
    ("postgresql://db/cdb?user=u&password=q-pw", "q-pw"),
])
def test_dsn_passwords_are_found_without_libpq(dsn, password):
    assert password in dsn_passwords(dsn)
    assert password not in mask_dsn(dsn) and MASK in mask_dsn(dsn)
    assert password not in mask(f"error near {dsn!r}", dsn_passwords(dsn))


@settings(max_examples=200, deadline=None)
@given(old=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x17F), min_size=6, max_size=16),
       new=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x17F), min_size=6, max_size=16),
       quote=st.sampled_from(["'", '"']), escaped=st.booleans())
def test_diff_never_shows_a_password_of_a_malformed_gathered_file(old, new, quote, escaped):
    """The old side holds a password hagen does not know, raw or escaped, in a file that does not parse."""
    from xml.sax.saxutils import escape

    from hagen.review.diff import describe

    # a password that is a piece of the file's other text ("cluste") or of the mask shows
    # through that text, not through a leak
    fixed = "--- a/ns0/etc/cluster/cluster.conf +++ b/ns0 @@ -1,2 +1,3 @@ <fencedevice name=\"f\" lanplus=\"1\"/>" + MASK
    assume(not any(s in fixed for s in (old, new)))
    value = escape(old, {'"': "&quot;", "'": "&apos;"}) if escaped else old
    gathered = f"<cluster>\n<fencedevice name=\"f\" passwd={quote}{value}{quote} lanplus=\"1\"/>\n"
    built = f'<cluster config_version="2">\n<fencedevice name="f" passwd="{escape(new, {chr(34): "&#34;"})}"/>\n</cluster>\n'
    lines = describe("changed", "/etc/cluster/cluster.conf", gathered.encode(), built.encode(), 0o600, 0o600,
                     ["ns0"], [new], False)
    text = "\n".join(lines)
    assert old not in text and value not in text and new not in text


def test_show_secrets_shows_them():
    assert mask(ODD, [ODD], show=True) == ODD


# --------------------------------------------------------------------------- through the commands

@pytest.fixture
def odd_site(tmp_path):
    import shutil

    folder = tmp_path / "bas5-guide"
    shutil.copytree(EXAMPLES / "bas5-guide", folder)
    (folder / "fence-password").write_text(ODD + "\n")
    (folder / "fence-password").chmod(0o600)
    # IPMI 1.5: lanplus (HA183) would refuse the odd characters before masking is put to the test
    site = folder / "site.yaml"
    site.write_text(site.read_text().replace("lanplus: true", "lanplus: false"))
    return site


def test_render_masks_an_xml_escaped_password(odd_site, tmp_path):
    """Defect: render printed a password holding & < > " ' in its XML-escaped form."""
    r = cli("render", "ns0", "/etc/cluster/cluster.conf", "--site", odd_site, "--out", tmp_path / "out")
    assert r.code == 0, r.output
    assert 'passwd="********"' in r.stdout
    for form in encodings(ODD).values():
        assert form not in r.stdout
    assert "&amp;&lt;" not in r.stdout
    r = cli("explain", "ns0", "/etc/cluster/cluster.conf", "--site", odd_site, "--out", tmp_path / "out")
    assert r.code == 0 and "&amp;&lt;" not in r.stdout and ODD not in r.stdout
    r = cli("render", "ns0", "/etc/cluster/cluster.conf", "--site", odd_site, "--show-secrets")
    assert 'passwd="p&amp;&lt;&gt;&#34;&#39;w é%+"' in r.stdout


def test_diff_masks_both_sides_in_every_form(odd_site, tmp_path):
    out = tmp_path / "out"
    assert cli("build", "--site", odd_site, "--out", out).code == 0
    conf = out / "ns0/etc/cluster/cluster.conf"
    text = conf.read_text()
    conf.unlink()
    conf.write_text(text.replace('lanplus="1"', 'lanplus="0"').replace("</cluster>", ""))   # does not parse
    r = cli("diff", "--site", odd_site, "--against", out)
    assert r.code == 1, r.output
    assert "&amp;&lt;" not in r.output and ODD not in r.output


@pytest.mark.parametrize("dsn", ["postgresql://hagen:s3cret%pw@localhost:1/cdb",
                                 "postgresql://hagen:s3cretpw@[::1/cdb",
                                 "host=localhost port=1 password=s3cret%pw x%"])
def test_a_dsn_libpq_cannot_parse_is_never_printed_with_its_password(dsn, tmp_path):
    """Defect: --db with a stray % printed the DSN's password in the error."""
    site = EXAMPLES / "bas5-guide" / "site.yaml"
    for command in (["check", "--site", site], ["build", "--site", site, "--out", tmp_path / "out"],
                    ["db", "init"]):
        r = cli(*command, "--db", dsn)
        assert r.code in (2, 3), r.output
        assert "s3cret" not in r.output and "Traceback" not in r.output, r.output


def test_a_bug_s_message_and_debug_traceback_are_masked(odd_site, tmp_path, monkeypatch):
    import hagen.review.explain

    def broken(*a, **k):
        raise RuntimeError(f"boom near passwd=\"{html.escape(ODD)}\"")
    monkeypatch.setattr(hagen.review.explain, "render_one", broken)
    monkeypatch.setenv("HAGEN_DEBUG", "1")
    r = cli("render", "ns0", "/etc/cluster/cluster.conf", "--site", odd_site, "--out", tmp_path / "out",
            "--show-secrets")
    assert r.code == 3 and "internal error" in r.stderr and "Traceback" in r.stderr     # asked for by HAGEN_DEBUG
    assert "&amp;&lt;" not in r.output and MASK in r.stderr
