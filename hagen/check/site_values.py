"""Site spec values that their schema types let through but the files they land in cannot take.

Each rule here closes a value the schema's "string" admits: a cron entry `..` (hacron would
move /etc/cron.d itself aside at failover), a sudoers path holding shell or sudoers
metacharacters (the codes of the section the key belongs to), a path that is not ASCII.
"""

from __future__ import annotations

import re

from hagen.base.reports import error, warning

# what a path of a file hagen writes may hold: no blank, no shell or sudoers metacharacter
SAFE_PATH = re.compile(r"/[A-Za-z0-9_.+/~@:-]*\Z")


def check(model, site) -> list:
    reports = _non_ascii_paths(site.data, (), site)
    for i, name in enumerate(site.get("management", "cron") or []):
        if isinstance(name, str) and name in (".", ".."):
            reports.append(error("HA318", site.where("management", "cron", i),
                                 f"cron entry {name!r} is the folder /etc/cron.d or its parent, not a file in it",
                                 "guide 2.3.5: the bare name of a file in /etc/cron.d, e.g. clusterdb-backup"))
    sudoers = site.get("lustre", "sudoers")
    if isinstance(sudoers, str) and not SAFE_PATH.match(sudoers):
        reports.append(error("HA615", site.where("lustre", "sudoers"),
                             f"sudoers path {sudoers!r} holds a blank, a control character or a shell or sudoers "
                             "metacharacter ($ ( ) ; | & ...)",
                             "an absolute path of letters, digits and _ . + / ~ @ : -; the default is "
                             "/etc/sudoers.d/lustre"))
    return reports + _command_values(site)


# values the runbook puts into copy-paste shell commands (hagen.audit.runbook): each is held to
# a grammar here, and quoted for the shell there
LOGIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}\Z")
FENCING_SECTIONS = ("management", "nfs", "lustre", "fencing")


def _command_values(site) -> list:
    reports = []
    for section in FENCING_SECTIONS:
        login = site.get(section, "fencing", "login") if isinstance(site.get(section), dict) \
            and isinstance(site.get(section, "fencing"), dict) else None
        if login is not None and not (isinstance(login, str) and LOGIN.match(login)):
            reports.append(error("HA121", site.where(section, "fencing", "login"),
                                 f"fencing login {login!r} is not a plain user name: it reaches a shell command "
                                 "in the runbook and the fence agent's arguments",
                                 "letters, digits and _ . @ - (at most 64), e.g. root or ADMIN"))
    for i, path in enumerate(site.get("management", "links") or []):
        if isinstance(path, str) and not SAFE_PATH.match(path):      # el9: semanage fcontext -e LINK TARGET
            reports.append(error("HA121", site.where("management", "links", i),
                                 f"links entry {path!r} holds a blank, a control character or a shell "
                                 "metacharacter: it reaches shell commands in the runbook",
                                 "an absolute path of letters, digits and _ . + / ~ @ : -"))
    for i, entry in enumerate(site.get("management", "mnttab") or []):
        if not isinstance(entry, dict):
            continue
        for key in ("device", "mount_point"):
            value = entry.get(key)
            if isinstance(value, str) and not SAFE_PATH.match(value):
                reports.append(error("HA121", site.where("management", "mnttab", i, key),
                                     f"{key} {value!r} holds a blank, a control character or a shell "
                                     "metacharacter: it reaches shell commands in the runbook",
                                     "an absolute path of letters, digits and _ . + / ~ @ : -"))
    return reports


def dsn_password(site) -> list:
    """A password inside clusterdb.dsn goes into git with the site spec (hagen init strips it):
    a warning, since it works, with where the password belongs instead. Judged before the
    database is read, so that a failed connection says it too."""
    dsn = site.get("clusterdb", "dsn")
    if not isinstance(dsn, str):
        return []
    from hagen.load.dsn import has_password

    if not has_password(dsn):
        return []
    return [warning("HA152", site.where("clusterdb", "dsn"),
                    "clusterdb.dsn holds a password: the site spec goes into git, and with it the password",
                    "remove the password from the DSN and give it as PGPASSWORD, or in ~/.pgpass "
                    "(host:port:database:user:password, chmod 600)")]


def _non_ascii_paths(node, path: tuple, site) -> list:
    """Paths are printable ASCII: /etc/hоsts with a Cyrillic о is another file than it looks.
    (Control characters are each path check's own: HA110, HA310-HA317, ...)"""
    if isinstance(node, dict):
        return [r for key, value in node.items() for r in _non_ascii_paths(value, path + (key,), site)]
    if isinstance(node, list):
        return [r for i, value in enumerate(node) for r in _non_ascii_paths(value, path + (i,), site)]
    if isinstance(node, str) and node.startswith("/") and not node.isascii():
        odd = next(c for c in node if not c.isascii())
        return [error("HA120", site.where(*path), f"path {node!r} holds {odd!r} (U+{ord(odd):04X}), which is not ASCII",
                      "write paths in printable ASCII: a look-alike letter names another file than it shows")]
    return []
