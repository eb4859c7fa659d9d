"""hagen gather: fetch from the nodes what the current build manages, and record it.

First, one remote command per node set (hagen.deploy.inventory) takes each node's
inventory: what is at each path the build manages there (a plain file, a link and its
target, missing, or something else) and whether each expected command
(hagen.deploy.expected) is an executable file. A node whose command did not end with its
marker line saying 0 (down, hung, or the command failed) is unreachable: nothing of it is
recorded, exit 3. Then every path is fetched from the hosts where the inventory saw a
plain file, one call of the site's gather command per path (rpdcp or clush --rcopy,
modes kept); a node that then gives nothing back is unreachable too, never "missing".
Nothing else is fetched.

Trust: gather writes only under INTO. Each call fetches into a fresh private folder of
its own; what comes back is taken only if it is a regular file (a link or anything else
a node or a stand-in put there is never followed, never moved, and the path is recorded
as missing); each host's folder is assembled in the staging folder, then renamed over
INTO/<host> (a link found there is removed, never followed). Through ClusterShell
gateways, clush --rcopy would extract each node's archive as fully trusted and name it
after the node's own hostname: there each node's file comes back as a tar through the
exec command, which hagen reads itself (hagen.deploy.tree), never extracted. What each node holds goes
to the output store's record (hagen.emit.nodes); a host the build no longer makes
leaves it, with the folder gather made for it.
"""

from __future__ import annotations

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
from hagen.deploy.state import checked_manifest, taken
from hagen.deploy.tree import through_gateways
from hagen.base.errors import OutputError
from hagen.emit.nodes import MISSING, FileState, Node, read_nodes, write_nodes
from hagen.deploy.gathered import MAX_FILE
from hagen.model.names import natural_key


@dataclass
class Gathered:
    into: Path
    reached: list[str] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)      # host -> the tool's message
    missing: dict[str, list[str]] = field(default_factory=dict)     # path -> hosts
    odd: dict[str, list[str]] = field(default_factory=dict)         # path -> hosts where it is not a plain file
    unusable: dict[str, list] = field(default_factory=dict)         # path -> [(host, why)]: fetched, not usable
    missing_commands: dict[str, list[str]] = field(default_factory=dict)
    refused: dict[tuple, list[str]] = field(default_factory=dict)   # (path, why) -> hosts whose answer was refused
    files: int = 0
    pruned: list[str] = field(default_factory=list)     # hosts no longer built: record and folder dropped
    written: dict = field(default_factory=dict, repr=False)  # host -> {path: lstat of the copy gather wrote}


def _fresh_dir(path: Path) -> None:
    if os.path.lexists(path):
        _remove(path)
    os.mkdir(path, 0o700)


def _kind(mode: int) -> str:
    from hagen.deploy.gathered import _kind as kind

    return "a symbolic link" if stat.S_ISLNK(mode) else kind(mode)


def _remove(path: Path) -> None:
    """Remove path without following a link: a link is unlinked, a folder removed below itself."""
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)      # rmtree never follows the links it finds
    else:
        os.unlink(path)


_MADE: set = set()        # the staging folders made so far (one mkdir each, not one per file)


def _place(base: Path, host: str, path: str) -> str:
    """base/host/path's folders made (fresh, ours, 0700), the file's path returned."""
    dest = os.path.join(base, host, path.lstrip("/"))
    _made(os.path.dirname(dest))
    return dest


def _made(folder: str) -> None:
    """folder and those above it made 0700 (os.makedirs would make the ones above 0777 & ~umask)."""
    if folder in _MADE:
        return
    try:
        os.mkdir(folder, 0o700)
    except FileNotFoundError:
        _made(os.path.dirname(folder))
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    _MADE.add(folder)


def gather(out, cfg: dict, into, only: set | None = None, exclude: set | None = None, echo=None,
           site_dir=None) -> Gathered:
    from hagen.emit import OutputTree

    echo = echo or (lambda text: None)
    tree = OutputTree(out)
    entries = checked_manifest(tree)
    expected = expected_in_tree(tree, entries)
    hosts = _selected(entries, only, exclude)
    into = Path(into)
    result = Gathered(into)
    _MADE.clear()
    own = folder.prepare(into, tree, site_dir, hosts)        # refused unless it is gather's own (or new)
    staging = _staging(into)
    alive = set(hosts)
    held: dict = {h: {} for h in hosts}
    try:
        elsewhere = _written_elsewhere(tree, entries, hosts)       # what --prune may take back
        kinds = _inventory(cfg, [*entries, *((h, p) for h, p, _ in elsewhere)], expected, alive, result, echo)
        _take_paths(cfg, staging, _by_path(entries, elsewhere, alive), kinds, alive, held, result, echo)
        _forget_lost(result, alive)
        result.files = sum(not s.missing for h in alive for s in held[h].values())   # the lost not counted
        _install(staging, into, alive, held, own, result.written)
        result.reached = sorted(alive, key=natural_key)
    except OSError as exc:
        raise OutputError(f"cannot write the gathered tree {into}: {exc.strerror or exc}",
                          hint="check free space and permissions")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _record(tree, entries, into, own, held, result)
    return result


def _selected(entries: dict, only: set | None, exclude: set | None) -> set:
    """The hosts of the build that -w/-x select (refused, HA135, when they select none of it)."""
    hosts = {h for h, _ in entries}
    if only is not None:
        hosts &= only
    if exclude:
        hosts -= exclude
    if only is not None or exclude is not None:
        from hagen.deploy.plan import selection_refused
        selection_refused(only, exclude, {h for h, _ in entries})
    return hosts


def _staging(into: Path) -> Path:
    """gather's private staging folder under INTO, fresh."""
    try:
        staging = into / f".gather-{os.getpid()}"
        _fresh_dir(staging)
        (staging / "tree").mkdir(0o700)
    except OSError as exc:
        raise OutputError(f"cannot write {into}: {exc.strerror}", hint="give --into a folder you can write")
    return staging


def _by_path(entries: dict, elsewhere: list, alive: set) -> dict:
    """{path: [(host, entry or what push wrote)]} of the hosts that answered the inventory."""
    by_path: dict = {}
    for (host, path), entry in entries.items():
        if host in alive:
            by_path.setdefault(path, []).append((host, entry))
    for host, path, wrote in elsewhere:
        if host in alive:
            by_path.setdefault(path, []).append((host, wrote))
    return by_path


def _take_paths(cfg, staging, by_path: dict, kinds: dict, alive: set, held: dict, result, echo) -> None:
    """Each path as the inventory saw it: links taken, missing and odd ones recorded, plain files fetched."""
    for n, (path, items) in enumerate(sorted(by_path.items())):
        files = []
        for host, entry in items:
            if host not in alive:         # lost on an earlier path's call
                continue
            kind = kinds[host][path]
            if entry.is_link:
                _take_link(staging, host, path, kind, held, result)
            elif kind[0] == "file":
                files.append(host)
            elif kind[0] == "missing":
                held[host][path] = MISSING
                result.missing.setdefault(path, []).append(host)
            else:                         # a link or anything else where a file goes: never used
                what = "a symbolic link" if kind[0] == "link" else "not a regular file"
                held[host][path] = FileState(unusable=f"not a plain file on the node ({what})")
                result.odd.setdefault(path, []).append(host)
        if files:
            _fetch(cfg, staging, n, path, files, alive, held, result, echo)


def _install(staging: Path, into: Path, alive: set, held: dict, own, written: dict) -> None:
    """Each reached host's staged folder renamed over INTO/<host> (a link there removed, never
    followed); the mark takes what each copy gather wrote holds (written: host -> {path: lstat})."""
    for host in sorted(alive, key=natural_key):
        src = staging / "tree" / host
        src.mkdir(0o700, exist_ok=True)
        # no walk to tighten modes: folders made 0700 by _place, files chmod 0600 by state.taken
        dest = into / host
        if os.path.lexists(dest):
            _remove(dest)
        os.rename(src, dest)
        own.add(host, held[host], written.get(host))


def _record(tree, entries: dict, into: Path, own, held: dict, result) -> None:
    """What each reached node holds, into the output store's record; hosts no longer built pruned."""
    with tree.lock("gather"):
        nodes = read_nodes(tree)
        built_from = {host: _build_view(nodes.get(host)) for host in result.reached}
        for host in result.reached:
            before = nodes.get(host) or Node()
            nodes[host] = Node(True, held[host], os.path.abspath(into),
                               tuple(sorted(p for p, hs in result.missing_commands.items() if host in hs)),
                               before.written or None)     # what hagen wrote there stays known, for --prune
        result.pruned = _prune(nodes, {h for h, _ in entries}, into, own)
        write_nodes(tree, nodes)
        own.save()
        # what the nodes hold is an input of the next build (config_version, shared files): when
        # gather found what the record already said (after a push), the tree is still up to date
        if any(built_from[host] != _build_view(nodes[host]) for host in result.reached):
            tree.remember_inputs(None)


def _build_view(node: Node | None) -> dict:
    """What a build reads of a node's record (each file's state; a file missing reads as one never seen)."""
    return {path: state for path, state in (node.files if node is not None else {}).items() if not state.missing}


def _written_elsewhere(tree, entries: dict, hosts: set) -> list:
    """(host, path, state) of each file push wrote on a host that the build no longer writes
    there: gathered too, so that `push --prune` knows whether the node still holds it."""
    from hagen.deploy.removals import written_paths

    nodes = read_nodes(tree)
    return [(host, path, wrote) for host in sorted(hosts) for path, wrote in sorted(written_paths(nodes.get(host)).items())
            if (host, path) not in entries]


def _prune(nodes: dict, built: set, into: Path, own) -> list[str]:
    """Forget the hosts the build no longer makes: their record goes, and so does the folder
    gather made for them under into (named by the record, so that nothing gather did not
    write is ever removed; a link there is removed, never followed). Whatever -w/-x chose."""
    gone = sorted((h for h in nodes if h not in built), key=natural_key)
    here = os.path.abspath(into)
    for host in gone:
        if nodes.pop(host).into == here and own.made(host) and os.path.lexists(into / host):
            try:
                _remove(into / host)
            except OSError as exc:
                raise OutputError(f"cannot remove {into / host}, gathered from {host} which is no longer built: "
                                  f"{exc.strerror}", hint="remove it by hand, or check the folder's permissions")
        own.forget(host)
    return gone


def _forget_lost(result: Gathered, alive: set) -> None:
    """A node lost after some of its paths were seen missing: only "unreachable" is said of it."""
    for found in (result.missing, result.odd, result.missing_commands):
        for path in list(found):
            found[path] = [h for h in found[path] if h in alive]
            if not found[path]:
                del found[path]


def _lost(host: str, message: str, alive: set, result: Gathered) -> None:
    alive.discard(host)
    result.unreachable[host] = message


def _fetch(cfg, staging: Path, n: int, path: str, hosts: list[str], alive: set, held: dict,
           result: Gathered, echo) -> None:
    """One reverse copy of path from every host whose inventory showed it a plain file: a
    node that then gives nothing back, or an error, is unreachable, never "missing"."""
    calldir = staging / f"call-{n}"
    calldir.mkdir(0o700)
    if through_gateways(cfg):        # never clush --rcopy through gateways (hagen.deploy.tree)
        _fetch_tree(cfg, staging, calldir, path, hosts, alive, held, result, echo)
        return
    outcome = fanout.run_fetch(cfg, hosts, path, str(calldir))
    echo(str(outcome))
    name = posixpath.basename(path)
    for host in hosts:
        fetched = calldir / f"{name}.{host}"
        try:
            st = os.lstat(fetched)
        except FileNotFoundError:
            st = None
        why = outcome.failed.get(host)
        if why is not None or st is None:
            _lost(host, why or f"{path} was there, but the reverse copy brought nothing back", alive, result)
            continue
        if not stat.S_ISREG(st.st_mode):          # never followed, never moved into the gathered tree
            held[host][path] = FileState(unusable=f"not a plain file on the node ({_kind(st.st_mode)})")
            result.odd.setdefault(path, []).append(host)
            continue
        state, why = taken(fetched, path, st)
        if why is not None:
            result.unusable.setdefault(path, []).append((host, why))
        if st.st_size <= MAX_FILE:            # one over the limit is never read, nor kept
            dest = _place(staging / "tree", host, path)
            os.rename(fetched, dest)
            result.written.setdefault(host, {})[path] = os.lstat(dest)
        else:
            os.unlink(fetched)
        held[host][path] = state
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
            held[host][path] = MISSING
            if got.kind == "refused":
                result.refused.setdefault((path, got.why), []).append(host)
            else:
                (result.missing if got.kind == "missing" else result.odd).setdefault(path, []).append(host)
            continue
        dest = _place(staging / "tree", host, path)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(got.data)             # 0600 whatever the node's mode: it is recorded, not reproduced
        node_st = os.stat_result((stat.S_IFREG | got.mode, 0, 0, 0, 0, 0, len(got.data), 0, 0, 0))
        state, why = taken(dest, path, node_st)
        if why is not None:
            result.unusable.setdefault(path, []).append((host, why))
        held[host][path] = state
        result.written.setdefault(host, {})[path] = os.lstat(dest)
    shutil.rmtree(calldir, ignore_errors=True)


def _take_link(staging: Path, host: str, path: str, kind: tuple, held: dict, result: Gathered) -> None:
    target = kind[1] if kind[0] == "link" else None
    if not target or not target.isprintable():
        held[host][path] = MISSING
        result.missing.setdefault(path, []).append(host)
        return
    os.symlink(target, _place(staging / "tree", host, path))
    held[host][path] = FileState(target=target)


def _inventory(cfg, entries, expected: dict, alive: set, result: Gathered, echo) -> dict:
    """{host: {path: (kind, link target)}} of the hosts that answered (hagen.deploy.inventory);
    the others lost, the expected commands each node lacks recorded."""
    from hagen.deploy.inventory import take_inventory

    kinds, lost, lacking = take_inventory(cfg, entries, expected, alive, echo)
    for path, hosts in lacking.items():
        result.missing_commands.setdefault(path, []).extend(hosts)
    for host, message in lost.items():
        _lost(host, message, alive, result)
    return kinds
