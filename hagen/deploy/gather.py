"""hagen gather: fetch from the nodes what the current build manages, and record it.

Every path of out's manifest is fetched from the hosts that get it, one call of the
site's gather command per distinct path (rpdcp or clush --rcopy, modes kept), into
INTO/<host>/<path>; a link hagen manages is read with readlink; every expected command
(hagen.deploy.expected) is checked to exist and be executable. Nothing else is fetched.

Trust: gather writes only under INTO. Each call fetches into a fresh private folder of
its own; what comes back is taken only if it is a regular file (a link or anything else
a node or a stand-in put there is never followed, never moved, and the path is recorded
as missing); each host's folder is assembled in the staging folder, then renamed over
INTO/<host> (a link found there is removed, never followed). Through ClusterShell
gateways, clush --rcopy would extract each node's archive as fully trusted: there each
node's file comes back as a tar that hagen reads itself (hagen.deploy.tree), never extracted. What each node holds goes
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
from hagen.deploy.state import checked_manifest, config_version, read_record, write_record
from hagen.deploy.tree import through_gateways
from hagen.errors import OutputError
from hagen.model.names import natural_key

MISSING = "No such file or directory"


@dataclass
class Gathered:
    into: Path
    reached: list[str] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)      # host -> the tool's message
    missing: dict[str, list[str]] = field(default_factory=dict)     # path -> hosts
    odd: dict[str, list[str]] = field(default_factory=dict)         # path -> hosts where it is not a plain file
    refused: dict[tuple, list[str]] = field(default_factory=dict)   # (path, why) -> hosts whose answer was refused
    missing_commands: dict[str, list[str]] = field(default_factory=dict)
    files: int = 0
    pruned: list[str] = field(default_factory=list)     # hosts no longer built: record and folder dropped


def _fresh_dir(path: Path) -> None:
    if os.path.lexists(path):
        _remove(path)
    os.mkdir(path, 0o700)


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
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


def gather(out, cfg: dict, into, only: set | None = None, exclude: set | None = None, echo=None) -> Gathered:
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
    into = Path(into)
    result = Gathered(into)
    try:
        into.mkdir(parents=True, exist_ok=True)
        staging = into / f".gather-{os.getpid()}"
        _fresh_dir(staging)
        (staging / "tree").mkdir()
    except OSError as exc:
        raise OutputError(f"cannot write {into}: {exc.strerror}", hint="give --into a folder you can write")
    alive = set(hosts)
    held: dict = {h: {} for h in hosts}
    try:
        by_path: dict = {}
        for (host, path), entry in entries.items():
            if host in hosts:
                by_path.setdefault(path, []).append((host, entry))
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
            src.mkdir(exist_ok=True)
            dest = into / host
            if os.path.lexists(dest):
                _remove(dest)
            os.rename(src, dest)
        result.reached = sorted(alive, key=natural_key)
    except OSError as exc:
        raise OutputError(f"cannot write the gathered tree {into}: {exc.strerror or exc}",
                          hint="check free space and permissions")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with tree.lock():
        nodes = read_record(tree)
        for host in result.reached:
            nodes[host] = {"gathered": True, "files": held[host], "into": os.path.abspath(into),
                           "missing_commands": sorted(p for p, hs in result.missing_commands.items() if host in hs)}
        result.pruned = _prune(nodes, {h for h, _ in entries}, into)
        write_record(tree, nodes)
        # what the nodes hold is an input of the next build (config_version): no "up to date" shortcut
        tree.remember_inputs(None)
    return result


def _prune(nodes: dict, built: set, into: Path) -> list[str]:
    """Forget the hosts the build no longer makes: their record goes, and so does the folder
    gather made for them under into (named by the record, so that nothing gather did not
    write is ever removed; a link there is removed, never followed). Whatever -w/-x chose."""
    gone = sorted((h for h in nodes if h not in built), key=natural_key)
    here = os.path.abspath(into)
    for host in gone:
        if nodes.pop(host).get("into") == here and os.path.lexists(into / host):
            try:
                _remove(into / host)
            except OSError as exc:
                raise OutputError(f"cannot remove {into / host}, gathered from {host} which is no longer built: "
                                  f"{exc.strerror}", hint="remove it by hand, or check the folder's permissions")
    return gone


def _lost(host: str, message: str, alive: set, result: Gathered) -> None:
    alive.discard(host)
    result.unreachable[host] = message


def _fetch(cfg, staging: Path, n: int, path: str, hosts: list[str], alive: set, held: dict,
           result: Gathered, echo) -> None:
    calldir = staging / f"call-{n}"
    calldir.mkdir(0o700)
    if through_gateways(cfg):        # never clush --rcopy through gateways (hagen.deploy.tree)
        _fetch_tree(cfg, staging, calldir, path, hosts, alive, held, result, echo)
        return
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
            held[host][path] = {"missing": True}
            result.odd.setdefault(path, []).append(host)
            continue
        fd = os.open(fetched, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read()
        finally:
            os.close(fd)
        dest = _place(staging / "tree", host, path)
        os.rename(fetched, dest)
        state = {"sha256": hashlib.sha256(data).hexdigest(), "mode": f"{stat.S_IMODE(st.st_mode):04o}"}
        version = config_version(data)
        if version is not None:
            state["config_version"] = version
        held[host][path] = state
        result.files += 1
    shutil.rmtree(calldir, ignore_errors=True)


def _fetch_tree(cfg, staging: Path, calldir: Path, path: str, hosts: list[str], alive: set, held: dict,
                result: Gathered, echo) -> None:
    """Each node's file as the one regular file of its archive, read here, never extracted."""
    from hagen.deploy.tree import fetch, fetch_script

    argv = fanout.exec_argv(cfg, hosts, fetch_script(path))
    echo(shlex.join(argv))
    for host, got in fetch(argv, hosts, path, str(calldir)).items():
        if got.kind == "unreachable":
            _lost(host, got.why, alive, result)
            continue
        if got.kind != "file":
            held[host][path] = {"missing": True}
            if got.kind == "refused":
                result.refused.setdefault((path, got.why), []).append(host)
            else:
                (result.missing if got.kind == "missing" else result.odd).setdefault(path, []).append(host)
            continue
        fd = os.open(_place(staging / "tree", host, path), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(got.data)
            os.fchmod(f.fileno(), got.mode)
        state = {"sha256": hashlib.sha256(got.data).hexdigest(), "mode": f"{got.mode:04o}"}
        version = config_version(got.data)
        if version is not None:
            state["config_version"] = version
        held[host][path] = state
        result.files += 1
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
