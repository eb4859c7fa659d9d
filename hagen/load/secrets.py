"""Fence passwords: read from the file or environment variable the site spec names.

A Secret renders as its value in a template and as `********` anywhere else
(repr, logs, reports, explain); the render cache keys it by a digest. Creating one
registers its value with hagen.base.masking, so that every error and log line masks it in
any encoding (XML-escaped, quoted, percent-encoded).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import replace
from types import MappingProxyType

from hagen.load.limits import SECRET, LimitExceeded, read_regular_file

from hagen.base.masking import MASK, remember
from hagen.base.reports import error, warning


class Secret:
    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str):
        self._value = value
        self.source = source
        remember(value)          # masked, in every encoding, in every message from now on

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:            # what a template writes
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.source}, {MASK})"

    def __eq__(self, other):
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self):
        return hash(self._value)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self._value.encode()).hexdigest()[:16]


FENCED_SECTIONS = ("management", "lustre", "nfs")
LANPLUS_MAX_BYTES = 20          # ipmitool: "lanplus: password is longer than 20 bytes"


def lanplus_problem(value: str) -> str | None:
    """Why IPMI v2.0 (lanplus, what fence_ipmilan speaks) cannot send this password, or None:
    RAKP carries at most 20 bytes, IPMI passwords are ASCII, and fence agents strip the
    spaces around what password_script prints."""
    if not value.isascii() or not value.isprintable():
        return "holds a character that is not printable ASCII"
    if value != value.strip():
        return "begins or ends with a space, which the fence agent strips"
    if len(value.encode()) > LANPLUS_MAX_BYTES:
        return f"is {len(value.encode())} bytes long, and lanplus sends at most {LANPLUS_MAX_BYTES}"
    return None


def _checked(site, section: str, secret: Secret, key: str, reports: list) -> tuple[Secret | None, list]:
    """The secret, unless lanplus cannot send it (HA183: fencing would never succeed)."""
    if not site.get(section, "fencing", "lanplus"):
        return secret, reports
    why = lanplus_problem(secret.reveal())
    if why is None:
        return secret, reports
    reports.append(error("HA183", site.where(section, "fencing", key),
                         f"the fence password of {section}.fencing ({secret.source}) {why}: ipmitool refuses it, "
                         "so no fencing through the BMCs could succeed",
                         "set the BMCs' password to at most 20 printable ASCII characters and give it here"))
    return None, reports


def read_secrets(site):
    """The site spec (a SiteSpec) carrying every fence password it names, read once: load does
    it, and check and the planners take what it read through fence_secret()."""
    read = {}
    for section in FENCED_SECTIONS:
        if site.get(section, "fencing"):
            secret, reports = read_fence_password(site, section)
            read[section] = (secret, tuple(reports))
    return replace(site, secrets=MappingProxyType(read))


def fence_secret(site, section: str = "management") -> tuple[Secret | None, list]:
    """The password of <section>.fencing and what is wrong with it: as read_secrets read it
    into site, or read now from a spec it did not read (nothing is kept)."""
    if section not in site.secrets:
        return read_fence_password(site, section)
    secret, reports = site.secrets[section]
    return secret, list(reports)


def read_fence_password(site, section: str = "management") -> tuple[Secret | None, list]:
    """The password of <section>.fencing (management, lustre, nfs), and what is wrong with it."""
    fencing = site.get(section, "fencing") or {}
    reports = []
    if fencing.get("password_env"):
        name = fencing["password_env"]
        value = os.environ.get(name, "")
        if not value:
            reports.append(error("HA104", site.where(section, "fencing", "password_env"),
                                 f"environment variable {name} is unset or empty",
                                 f"export {name} with the controllers' password before running hagen"))
            return None, reports
        if not value.isprintable():
            reports.append(error("HA104", site.where(section, "fencing", "password_env"),
                                 f"environment variable {name} holds a line break or another control character",
                                 "cluster.conf carries the password in an XML attribute, where such characters "
                                 f"do not survive: export {name} with the password alone"))
            return None, reports
        return _checked(site, section, Secret(value, f"${name}"), "password_env", reports)
    if fencing.get("password_file"):
        rel = fencing["password_file"]
        path = site.resolve(rel)
        where = site.where(section, "fencing", "password_file")
        try:
            # a FIFO or a device (/dev/zero) is refused before anything could block or fill memory
            data = read_regular_file(path, rel, SECRET)
            st = path.stat()
            value = data.decode("utf-8").split("\n", 1)[0].rstrip("\r")
        except LimitExceeded as exc:
            reports.append(replace(exc.report, where=where))
            return None, reports
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not UTF-8 text"
            reports.append(error("HA102", where, f"cannot read the password file {rel}: {why}",
                                 "create the file with the controllers' password on its first line, mode 0600"))
            return None, reports
        if not value:
            reports.append(error("HA102", where, f"the password file {rel} is empty",
                                 "write the controllers' password on its first line"))
            return None, reports
        if not value.isprintable():
            reports.append(error("HA102", where, f"the first line of the password file {rel} holds a tab or "
                                 "another control character",
                                 "cluster.conf carries the password in an XML attribute, where such characters "
                                 "do not survive: write the password alone on the first line"))
            return None, reports
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            reports.append(warning("HA103", where, f"the password file {rel} can be read by other users",
                                   f"chmod 600 {rel}"))
        return _checked(site, section, Secret(value, rel), "password_file", reports)
    return None, reports

