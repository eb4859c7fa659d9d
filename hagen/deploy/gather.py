"""hagen gather: fetch from the nodes what the current build manages, and record it.

Every path of out's manifest is fetched from the hosts that get it, one call of the
site's gather command per distinct path (rpdcp or clush --rcopy, modes kept), into
INTO/<host>/<path>; a link hagen manages is read with readlink; every expected command
(hagen.deploy.expected) is checked to exist and be executable. Nothing else is fetched.

Trust: gather writes only under INTO. Each call fetches into a fresh private folder of
its own; what comes back is taken only if it is a regular file (a link or anything else
a node or a stand-in put there is never followed, never moved, and the path is recorded
as missing); each host's folder is assembled in the staging folder, then renamed over
INTO/<host> (a link found there is removed, never followed). What each node holds goes
to the output store's record (hagen.deploy.state); a host the build no longer makes
leaves it, with the folder gather made for it.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shlex
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from hagen.deploy import fanout
from hagen.deploy.expected import expected_in_tree
from hagen.deploy import folder
from hagen.deploy.folder import taken
from hagen.deploy.state import checked_manifest, read_record, write_record
from hagen.errors import OutputError
from hagen.gathered import MAX_FILE
from hagen.model.names import natural_key

MISSING = "No such file or directory"


@dataclass
class Gathered:
    into: Path
    reached: list[str] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)      # host -> the tool's message
    missing: dict[str, list[str]] = field(default_factory=dict)     # path -> hosts
    odd: dict[str, list[str]] = field(default_factory=dict)         # path -> hosts where it is not a plain file
    unusable: dict[str, list] = field(default_factory=dict)         # path -> [(host, why)]: fetched, not usable
    missing_commands: dict[str, list[str]] = field(default_factory=dict)
    files: int = 0
    pruned: list[str] = field(default_factory=list)     # hosts no longer built: record and folder dropped


def _fresh_dir(path: Path) -> None:
    if os.path.lexists(path):
        _remove(path)
    os.mkdir(path, 0o700)


def _kind(mode: int) -> str:
    from hagen.gathered import _kind as kind

    return "a symbolic link" if stat.S_ISLNK(mode) else kind(mode)


def _remove(path: Path) -> None:
    """Remove path without following a link: a link is unlinked, a folder removed below itself."""
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)      # rmtree never follows the links it finds
    else:
        os.unlink(path)


def _place(base: Path, host: str, path: str) -> Path:
    """base/host/path's folders made (fresh, ours), the file's path returned."""
    dest = base / host / path.lstrip("/")
    dest.parent.mkdir(0o700, parents=True, exist_ok=True)       # 0700 whatever the umask: see folder.py
    return dest


def gather(out, cfg: dict, into, only: set | None = None, exclude: set | None = None, echo=None,
           site_dir=None) -> Gathered:
    from hagen.emit import OutputTree

    echo = echo or (lambda text: None)
    tree = OutputTree(out)
    entries = checked_manifest(tree)
    expected = expected_in_tree(tree, entries)
    hosts = {h for h, _ in entries}
    if only is not None:
        hosts &= only
    if exclude:
        hosts -= exclude
    if only is not None or exclude is not None:
        from hagen.deploy.plan import selection_refused

        selection_refused(only, exclude, {h for h, _ in entries})
    into = Path(into)
    result = Gathered(into)
    own = folder.prepare(into, tree, site_dir, hosts)        # refused unless it is gather's own (or new)
    try:
        staging = into / f".gather-{os.getpid()}"
        _fresh_dir(staging)
        (staging / "tree").mkdir(0o700)
    except OSError as exc:
        raise OutputError(f"cannot write {into}: {exc.strerror}", hint="give --into a folder you can write")
    alive = set(hosts)
    held: dict = {h: {} for h in hosts}
    try:
        by_path: dict = {}
        for (host, path), entry in entries.items():
            if host in hosts:
                by_path.setdefault(path, []).append((host, entry))
        for host, path, wrote in _written_elsewhere(tree, entries, hosts):     # what --prune may take back
            by_path.setdefault(path, []).append((host, wrote))
        for n, (path, items) in enumerate(sorted(by_path.items())):
            links = [h for h, e in items if e.get("type") == "symlink" and h in alive]
            files = [h for h, e in items if e.get("type") != "symlink" and h in alive]
            if files:
                _fetch(cfg, staging, n, path, files, alive, held, result, echo)
            if links:
                _read_links(cfg, staging, path, links, alive, held, result, echo)
        _check_commands(cfg, expected, alive, held, result, echo)
        for host in sorted(alive, key=natural_key):
            src = staging / "tree" / host
            src.mkdir(0o700, exist_ok=True)
            folder.tighten(src)
            dest = into / host
            if os.path.lexists(dest):
                _remove(dest)
            os.rename(src, dest)
            own.add(host, held[host])
        result.reached = sorted(alive, key=natural_key)
    except OSError as exc:
        raise OutputError(f"cannot write the gathered tree {into}: {exc.strerror or exc}",
                          hint="check free space and permissions")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with tree.lock("gather"):
        nodes = read_record(tree)
        for host in result.reached:
            before = nodes.get(host) or {}
            nodes[host] = {"gathered": True, "files": held[host], "into": os.path.abspath(into),
                           "missing_commands": sorted(p for p, hs in result.missing_commands.items() if host in hs)}
            if before.get("written"):            # what hagen wrote there stays known, for --prune
                nodes[host]["written"] = before["written"]
        result.pruned = _prune(nodes, {h for h, _ in entries}, into, own)
        write_record(tree, nodes)
        own.save()
        # what the nodes hold is an input of the next build (config_version): no "up to date" shortcut
        tree.remember_inputs(None)
    return result


def _written_elsewhere(tree, entries: dict, hosts: set) -> list:
    """(host, path, state) of each file push wrote on a host that the build no longer writes
    there: gathered too, so that `push --prune` knows whether the node still holds it."""
    from hagen.deploy.removals import written_paths

    nodes = read_record(tree)
    return [(host, path, wrote) for host in sorted(hosts) for path, wrote in sorted(written_paths(nodes.get(host)).items())
            if (host, path) not in entries]


def _prune(nodes: dict, built: set, into: Path, own) -> list[str]:
    """Forget the hosts the build no longer makes: their record goes, and so does the folder
    gather made for them under into (named by the record, so that nothing gather did not
    write is ever removed; a link there is removed, never followed). Whatever -w/-x chose."""
    gone = sorted((h for h in nodes if h not in built), key=natural_key)
    here = os.path.abspath(into)
    for host in gone:
        if nodes.pop(host).get("into") == here and own.made(host) and os.path.lexists(into / host):
            try:
                _remove(into / host)
            except OSError as exc:
                raise OutputError(f"cannot remove {into / host}, gathered from {host} which is no longer built: "
                                  f"{exc.strerror}", hint="remove it by hand, or check the folder's permissions")
        own.forget(host)
    return gone


def _lost(host: str, message: str, alive: set, result: Gathered) -> None:
    alive.discard(host)
    result.unreachable[host] = message


def _fetch(cfg, staging: Path, n: int, path: str, hosts: list[str], alive: set, held: dict,
           result: Gathered, echo) -> None:
    calldir = staging / f"call-{n}"
    calldir.mkdir(0o700)
    outcome = fanout.run(fanout.gather_argv(cfg, hosts, path, str(calldir)), hosts)
    echo(str(outcome))
    name = posixpath.basename(path)
    for host in hosts:
        why = outcome.failed.get(host)
        if why is not None and MISSING not in why:
            _lost(host, why, alive, result)
            continue
        fetched = calldir / f"{name}.{host}"
        try:
            st = os.lstat(fetched)
        except FileNotFoundError:
            st = None
        if st is None or why is not None:
            held[host][path] = {"missing": True}
            result.missing.setdefault(path, []).append(host)
            continue
        if not stat.S_ISREG(st.st_mode):          # never followed, never moved into the gathered tree
            held[host][path] = {"unusable": f"not a plain file on the node ({_kind(st.st_mode)})"}
            result.odd.setdefault(path, []).append(host)
            continue
        state, why = taken(fetched, path, st)
        if why is not None:
            result.unusable.setdefault(path, []).append((host, why))
        if st.st_size <= MAX_FILE:            # one over the limit is never read, nor kept
            os.rename(fetched, _place(staging / "tree", host, path))
            result.files += 1
        else:
            os.unlink(fetched)
        held[host][path] = state
    shutil.rmtree(calldir, ignore_errors=True)


def _read_links(cfg, staging: Path, path: str, hosts: list[str], alive: set, held: dict,
                result: Gathered, echo) -> None:
    q = shlex.quote(path)
    script = f"if [ -L {q} ]; then echo \"link $(readlink -- {q})\"; else echo missing; fi"
    outcome = fanout.run(fanout.exec_argv(cfg, hosts, script), hosts)
    echo(str(outcome))
    for host in hosts:
        if host in outcome.failed:
            _lost(host, outcome.failed[host], alive, result)
            continue
        lines = outcome.output.get(host, [])
        target = lines[0][5:] if lines and lines[0].startswith("link ") else None
        if not target or not target.isprintable():
            held[host][path] = {"missing": True}
            result.missing.setdefault(path, []).append(host)
            continue
        os.symlink(target, _place(staging / "tree", host, path))
        held[host][path] = {"type": "symlink", "target": target}
        result.files += 1


def _check_commands(cfg, expected: dict, alive: set, held: dict, result: Gathered, echo) -> None:
    wanted: dict = {}
    for path, hosts in expected.items():
        for host in hosts:
            if host in alive:
                wanted.setdefault(host, []).append(path)
    groups: dict = {}
    for host, paths in wanted.items():
        groups.setdefault(tuple(paths), []).append(host)
    for paths, hosts in sorted(groups.items()):
        words = " ".join(shlex.quote(p) for p in paths)
        script = f'for p in {words}; do [ -f "$p" ] && [ -x "$p" ] || echo "missing $p"; done; true'
        outcome = fanout.run(fanout.exec_argv(cfg, hosts, script), hosts)
        echo(str(outcome))
        for host in hosts:
            if host in outcome.failed:
                _lost(host, outcome.failed[host], alive, result)
                continue
            for line in outcome.output.get(host, []):
                if line.startswith("missing ") and line[8:] in paths:
                    result.missing_commands.setdefault(line[8:], []).append(host)
