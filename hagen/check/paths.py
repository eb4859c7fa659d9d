"""Paths the site spec gives for the files hagen writes (or the directories they go below).

Each becomes OUT/<host><path> in the output tree and a path on the node, so it must be
absolute and normalised: no '.' or '..' component, no empty one ('//'), no control
character, and (for a file) no trailing '/'. hagen.emit refuses anything else again,
as a defence in depth; this check says which key to fix.
"""

from __future__ import annotations

from hagen.base.reports import error

# (key path, a file (False: a directory under which files or links are written))
FILE_KEYS = (
    (("hosts", "path"), True),
    (("hosts", "template"), True),
    (("batch", "slurm", "conf"), True),
    (("batch", "rms", "script"), True),
    (("batch", "ocfs2", "fstab"), True),
    (("batch", "ocfs2", "mount_point"), False),
    (("batch", "lsf", "envdir"), False),
    (("lustre", "sudoers"), True),
    (("nfs", "client_fstab"), True),
    (("pacemaker", "password_path"), True),          # target el9-pacemaker: the fence password file
)
LIST_KEYS = (("management", "links"),)   # directories: the LSF hosts file may go below one (halinks)
NOT_ABSOLUTE = "is not an absolute path"


def problem(path, is_file: bool) -> str | None:
    """Why path cannot name a file hagen writes (None: it can)."""
    if not isinstance(path, str):
        return None                      # the schema reports a wrong type
    if not path.startswith("/"):
        return NOT_ABSOLUTE
    if not path.isprintable():
        return "holds a control character (a line break, a tab, ...)"
    parts = path.rstrip("/").split("/")[1:] if path != "/" else []
    if any(p in (".", "..") for p in parts):
        return "holds a '.' or '..' component"
    if any(p == "" for p in parts):
        return "holds an empty component ('//')"
    if is_file and (path.endswith("/") or not parts):
        return "ends with '/': it names a directory, not a file"
    return None


def check(model, site) -> list:
    reports = []

    def report(key, path, why, is_file):
        what = "a file hagen writes" if is_file else "a directory hagen writes below"
        reports.append(error("HA110", site.where(*key), f"{path!r} {why}, so it cannot be {what}",
                             "give a normalised absolute path, e.g. "
                             + ("/etc/hosts" if is_file else "/usr/share/lsf/conf")))

    # a path that is not absolute is the schema's (HA101), HA314's, HA615's or HA715's to report
    for key, is_file in FILE_KEYS:
        if key in site.positions and isinstance(site.get(*key), str):   # a schema default is a good path
            path = site.get(*key)
            why = problem(path, is_file)
            if why and why != NOT_ABSOLUTE:
                report(key, path, why, is_file)
    for key in LIST_KEYS:
        for i, path in enumerate(site.get(*key, default=[]) or []):
            why = problem(path, False)
            if why and why != NOT_ABSOLUTE:
                report(key + (i,), path, why, False)
    return reports
