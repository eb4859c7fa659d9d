"""A reviewed push plan: what `hagen diff --save-plan FILE` saw, for `hagen push --plan FILE`.

The file says exactly what to send and what to remove, host by host, and nothing else
(no timestamp, no source detail), so that the same review gives the same bytes:

    {"format": "hagen-push-plan/1",
     "send":   [{"host": "ns0", "path": "/etc/ntp.conf", "sha256": "<64 hex>", "mode": "0644"},
                {"host": "xena1", "path": "/usr/sbin/x", "type": "symlink", "target": "/usr/sbin/y"}],
     "remove": [{"host": "ns0", "path": "/etc/HA/old"}]}

Entries are sorted by (path, host in natural order). The file is written 0600 and
atomically (a temporary file renamed over it). It is read back as untrusted input:
load_plan validates every field (host names, normalised absolute paths, sha256, mode)
and refuses a bad file with HA133, saying where.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

from hagen.emit.manifest import MODE, SHA256, plain_host, plain_path
from hagen.base.errors import InputRefused, OutputError
from hagen.base.reports import Where, error

FORMAT = "hagen-push-plan/1"
MAX_BYTES = 64 * 1024 * 1024

_FILE_KEYS = {"host", "path", "sha256", "mode"}
_LINK_KEYS = {"host", "path", "type", "target"}


def _host_order(host: str):
    from hagen.model.names import natural_key

    return natural_key(host)


def plan_document(send, remove) -> dict:
    """The plan of send (OutFiles: host, path, mode, sha256, link_target) and remove
    ((host, path) pairs), sorted and deduplicated."""
    sends = {}
    for f in send:
        if f.link_target is not None:
            sends[(f.path, f.host)] = {"host": f.host, "path": f.path, "type": "symlink", "target": f.link_target}
        else:
            sends[(f.path, f.host)] = {"host": f.host, "path": f.path, "sha256": f.sha256, "mode": f"{f.mode:04o}"}
    removes = {(path, host): {"host": host, "path": path} for host, path in remove}
    order = lambda key: (key[0], _host_order(key[1]))   # noqa: E731
    doc = {"format": FORMAT,
           "send": [sends[k] for k in sorted(sends, key=order)],
           "remove": [removes[k] for k in sorted(removes, key=order)]}
    problems = validate(doc, "plan")
    if problems:                  # a hagen bug: never write a plan push would refuse
        raise InputRefused("the plan hagen made is not valid", reports=problems)
    return doc


def plan_bytes(doc: dict) -> bytes:
    return (json.dumps(doc, indent=1) + "\n").encode()


def save_plan(path, send, remove) -> dict:
    """Write the plan of send and remove to path, 0600, atomically; return the document."""
    doc = plan_document(send, remove)
    path = Path(path)
    try:
        from hagen.base.writes import write_file

        write_file(path, plan_bytes(doc), 0o600)
    except OSError as exc:
        raise OutputError(reports=[error("HA133", Where(file=str(path)),
                                         f"cannot write the plan: {exc.strerror or exc}",
                                         "give --save-plan a file in a folder you can write")])
    return doc


def load_plan(path) -> dict:
    """The plan in path, every field checked; InputRefused (HA133) on a bad or unreadable file.
    A link, a FIFO or a device is refused without being opened for reading."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise _refused(where, f"cannot read the plan: {exc.strerror or exc}"
                       + (" (it is a symbolic link)" if exc.errno == errno.ELOOP else ""))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refused(where, "the plan is not a regular file")
        if st.st_size > MAX_BYTES:
            raise _refused(where, f"the plan is larger than {MAX_BYTES} bytes")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _refused(where, f"cannot read the plan: {exc.strerror or exc}")
    finally:
        os.close(fd)
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _refused(where, f"the plan is not JSON: {exc}")
    problems = validate(doc, where)
    if problems:
        raise InputRefused(f"{where} is not a plan hagen can push: nothing was sent", reports=problems)
    return doc


def _refused(where: str, message: str) -> InputRefused:
    return InputRefused(reports=[error("HA133", Where(file=where), message,
                                       "save the plan again with hagen diff --save-plan FILE")])


def validate(doc, where: str = "plan") -> list:
    """Every problem of a plan document, as HA133 reports."""
    problems = []

    def bad(key, message):
        problems.append(error("HA133", Where(file=where, key=key), message,
                              "save the plan again with hagen diff --save-plan FILE"))

    if not isinstance(doc, dict):
        bad("", "the plan is not a JSON object")
        return problems
    if doc.get("format") != FORMAT:
        bad("format", f"the format is not {FORMAT}")
    extra = set(doc) - {"format", "send", "remove"}
    if extra:
        bad(sorted(extra)[0], f"unknown keys: {', '.join(sorted(map(str, extra)))}")
    seen = set()
    for section, shapes in (("send", (_FILE_KEYS, _LINK_KEYS)), ("remove", ({"host", "path"},))):
        entries = doc.get(section)
        if not isinstance(entries, list):
            bad(section, f"{section} is not a list")
            continue
        for i, e in enumerate(entries):
            key = f"{section}[{i}]"
            if not isinstance(e, dict) or set(e) not in shapes:
                bad(key, "the entry does not have the keys " + " or ".join(
                    "{" + ", ".join(sorted(s)) + "}" for s in shapes))
                continue
            if not plain_host(e["host"]):
                bad(f"{key}.host", "the host is not a plain host name")
            if not plain_path(e["path"]):
                bad(f"{key}.path", "the path is not an absolute normalised path of printable ASCII")
            if "sha256" in e and not (isinstance(e["sha256"], str) and SHA256.match(e["sha256"])):
                bad(f"{key}.sha256", "the sha256 is not 64 lower-case hex digits")
            if "mode" in e and not (isinstance(e["mode"], str) and MODE.match(e["mode"])):
                bad(f"{key}.mode", "the mode is not four octal digits (0644)")
            if "type" in e and e["type"] != "symlink":
                bad(f"{key}.type", "the type is not symlink")
            if "target" in e and not (isinstance(e["target"], str) and e["target"] and e["target"].isprintable()):
                bad(f"{key}.target", "the link target is not a non-empty printable string")
            pair = (e["host"], e["path"]) if isinstance(e["host"], str) and isinstance(e["path"], str) else None
            if pair is not None and pair in seen:
                bad(key, f"{e['path']} on {e['host']} appears twice in the plan")
            seen.add(pair)
    return problems
