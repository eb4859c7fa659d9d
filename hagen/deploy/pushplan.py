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
and refuses a bad file with HA133, saying where. In memory a plan is a PushPlan of
PlanEntry records: written by PushPlan.to_json only (save_plan), read by
PushPlan.from_json only (load_plan).
"""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """A file a reviewed plan sends: to host at path, the content (sha256) at mode, or a link to target."""
    host: str
    path: str
    sha256: str | None = None
    mode: str | None = None          # four octal digits: "0644"
    target: str | None = None

    @property
    def is_link(self) -> bool:
        return self.target is not None

    @property
    def identity(self) -> tuple:
        """What hagen.emit.manifest.same_file compares."""
        return ("link", self.target) if self.target is not None else ("file", self.sha256, self.mode)

    def to_json(self) -> dict:
        if self.target is not None:
            return {"host": self.host, "path": self.path, "type": "symlink", "target": self.target}
        return {"host": self.host, "path": self.path, "sha256": self.sha256, "mode": self.mode}


@dataclass(frozen=True)
class PushPlan:
    """What a push of a reviewed plan sends, and the (host, path) pairs it removes."""
    send: tuple[PlanEntry, ...] = ()
    remove: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict:
        """The plan's document (the only writer)."""
        return {"format": FORMAT, "send": [e.to_json() for e in self.send],
                "remove": [{"host": host, "path": path} for host, path in self.remove]}

    @classmethod
    def from_json(cls, doc, where: str = "plan") -> PushPlan:
        """The plan doc says (the only reader); InputRefused (HA133, each problem where it is) otherwise."""
        problems = validate(doc, where)
        if problems:
            raise InputRefused(f"{where} is not a plan hagen can push: nothing was sent", reports=problems)
        send = tuple(PlanEntry(e["host"], e["path"], target=e["target"]) if "target" in e
                     else PlanEntry(e["host"], e["path"], e["sha256"], e["mode"]) for e in doc["send"])
        return cls(send, tuple((e["host"], e["path"]) for e in doc["remove"]))


def plan_of(send, remove) -> PushPlan:
    """The plan of send (OutFiles: host, path, mode, sha256, link_target) and remove
    ((host, path) pairs), sorted and deduplicated; checked as push will read it."""
    sends = {}
    for f in send:
        sends[(f.path, f.host)] = PlanEntry(f.host, f.path, target=f.link_target) if f.link_target is not None \
            else PlanEntry(f.host, f.path, f.sha256, f"{f.mode:04o}")
    order = lambda key: (key[0], _host_order(key[1]))   # noqa: E731
    plan = PushPlan(tuple(sends[k] for k in sorted(sends, key=order)),
                    tuple((host, path) for path, host in sorted({(p, h) for h, p in remove}, key=order)))
    problems = validate(plan.to_json(), "plan")
    if problems:                  # a hagen bug: never write a plan push would refuse
        raise InputRefused("the plan hagen made is not valid", reports=problems)
    return plan


def plan_bytes(plan: PushPlan) -> bytes:
    return (json.dumps(plan.to_json(), indent=1) + "\n").encode()


def save_plan(path, send, remove) -> PushPlan:
    """Write the plan of send and remove to path, 0600, atomically; return it."""
    plan = plan_of(send, remove)
    path = Path(path)
    try:
        from hagen.base.writes import write_file

        write_file(path, plan_bytes(plan), 0o600)
    except OSError as exc:
        raise OutputError(reports=[error("HA133", Where(file=str(path)),
                                         f"cannot write the plan: {exc.strerror or exc}",
                                         "give --save-plan a file in a folder you can write")])
    return plan


def load_plan(path) -> PushPlan:
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
    return PushPlan.from_json(doc, where)


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
