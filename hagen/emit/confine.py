"""Defence in depth before anything is written: every planned file stays inside its host's folder."""

from __future__ import annotations

import posixpath

from hagen.emit.manifest import OutFile, plain_host, plain_path
from hagen.model.names import fold


def confined(files: list[OutFile]) -> list:
    """Defence in depth (the checks refuse such inputs first): an HA902 report for each file whose
    host is not a plain name or whose path is not absolute and normalised, or lies below a
    symbolic link (or a file) of the build, so that nothing is ever written outside OUT/<host>/."""
    from hagen.base.reports import Where, error

    all_paths = {f.path for f in files}
    all_hosts = {f.host for f in files}
    if all(plain_host(h) for h in all_hosts) and all(plain_path(p) for p in all_paths) \
            and not any(_ancestors(p) & all_paths for p in all_paths):
        return []                # the usual case, decided per distinct host and path
    links = {(f.host, f.path) for f in files if f.is_link}
    planned = {(f.host, f.path) for f in files}
    hosts_ok: dict = {}
    paths_ok: dict = {}        # path -> (why not, or None; its ancestors that some file also has as its path)
    found: dict = {}            # (why, template) -> hosts
    for f in files:
        host, path = f.host, f.path
        good = hosts_ok.get(host)
        if good is None:
            good = hosts_ok[host] = plain_host(host)
        if not good:
            found.setdefault((f"host {host!r} is not a plain host name", f.template), []).append(host)
            continue
        known = paths_ok.get(path)
        if known is None:
            if not plain_path(path):
                known = (f"path {path!r} is not a normalised absolute path", ())
            else:
                parents, parent = [], posixpath.dirname(path)
                while parent != "/":
                    if parent in all_paths:
                        parents.append(parent)
                    parent = posixpath.dirname(parent)
                known = (None, tuple(parents))
            paths_ok[path] = known
        why, parents = known
        for parent in parents:
            if (host, parent) in planned:
                why = f"{path} lies below the {'symbolic link' if (host, parent) in links else 'file'} {parent}"
                break
        if why:
            found.setdefault((why, f.template), []).append(host)
    reports = []
    for (why, template), hosts in found.items():
        plain = all(plain_host(h) for h in hosts)
        reports.append(error("HA902", Where(host=fold(hosts) if plain else ", ".join(map(repr, hosts))),
                             f"{why} ({template})",
                             "a path of the site spec (hosts.path, batch.slurm.conf, ...) names a directory "
                             "another file goes in: choose another path" if " lies below the file " in why else
                             "this is a hagen bug if every check passed: please report it with the inputs"))
    return reports


def _ancestors(path) -> set:
    out, parent = set(), posixpath.dirname(path) if isinstance(path, str) else "/"
    while parent not in ("/", ""):
        out.add(parent)
        parent = posixpath.dirname(parent)
    return out
