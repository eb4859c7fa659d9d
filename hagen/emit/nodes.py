"""What each node holds, as far as hagen knows: `.<out>.d/nodes.json`, beside the tree.

gather writes it from what it fetched (each managed file's sha256 and mode, or missing;
cluster.conf's config_version; the expected commands missing on the node); each push
updates it with what each node received successfully, so that the next push sends only
what differs, and a rerun after a partial failure sends only what is missing. build
takes it as an input (config_version, the node's own content of a shared file: the
command reads it with read_nodes and passes it in), diff reads it for the missing
expected commands. One reader (read_nodes), one writer (write_nodes), typed records
(Node, FileState: hagen.emit.noderecords, where every entry is checked):

    {"format": "hagen-nodes/1",
     "nodes": {"ns0": {"gathered": true,
                       "files": {"/etc/hosts": {"sha256": "...", "mode": "0644"},
                                 "/etc/cluster/cluster.conf": {"sha256": "...", "mode": "0600",
                                                               "config_version": 7},
                                 "/usr/sbin/x": {"type": "symlink", "target": "/usr/sbin/y"},
                                 "/etc/ntp.conf": {"missing": true}},
                       "missing_commands": ["/etc/HA/bin/dbmConfig"],
                       "into": "/srv/gathered",
                       "written": {"/etc/fstab": {"sha256": "...", "mode": "0644", "shared": true}}}}}

The store is not trusted between runs: the record is opened without following a
symbolic link, must be a small regular file, and is validated entry by entry; a record
that fails is treated as absent (hagen then knows nothing of the nodes and sends
everything). It is written to a new file (0600, O_EXCL, never through a link) renamed
over the old one, relative to the store's own directory descriptor.

A push writes the record once, at its end. Meanwhile, what each call confirmed is
appended to `nodes.journal` beside it (journal: one JSON line per set of nodes that
confirmed the same entries, each entry in its record form, FileState.to_json), so that a
push killed midway leaves a record that knows what the nodes confirmed, and never more:
read_nodes replays the journal's whole lines over the record (a line that does not parse
or check ends the replay: what follows is forgotten, which only makes hagen send again),
and write_nodes, which folds it in, removes it. Rewriting the whole record after every
call would cost calls x nodes. An entry many nodes hold (/etc/hosts on 10,000) is checked
once per read, keyed by its exact values and types (True is not 1).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from typing import Mapping

from hagen.base.errors import OutputError
from hagen.base.writes import write_all, write_file
# the typed records and their JSON forms, named here too: this is the record's module
from hagen.emit.noderecords import (FORMAT, MISSING, FileState, Node, NotARecord,  # noqa: F401
                                    journal_line, journal_text, nodes_bytes, nodes_from_json)

RECORD = "nodes.json"
JOURNAL = "nodes.journal"
MAX_BYTES = 64 << 20


def _open_store(store) -> int:
    return os.open(store, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)


def read_nodes(tree, reports: list | None = None) -> dict[str, Node]:
    """{host: Node} from the store of tree (an OutputTree), its journal replayed; {} when absent
    or not valid (the one reader). reports: given, a record there that is not valid adds an
    HA971 warning saying why."""
    try:
        nodes = _read_nodes(tree)
    except NotARecord as exc:
        if reports is not None:
            from hagen.base.reports import Where, warning

            reports.append(warning("HA971", Where(file=str(tree.store / RECORD)),
                                   f"the nodes' record is not one hagen wrote ({str(exc)[:200]}): hagen knows nothing of the "
                                   "nodes, so push sends every file", "run `hagen gather`: it records the nodes again"))
        nodes = {}
    return _replayed(tree, nodes)


def _read_nodes(tree) -> dict[str, Node]:
    """read_nodes; NotARecord, saying why, when a record is there and is not valid."""
    try:
        dfd = _open_store(tree.store)
    except OSError:
        return {}
    try:
        fd = os.open(RECORD, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotARecord("it is a symbolic link, never followed") from None
        return {}
    finally:
        os.close(dfd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARecord("it is not a regular file")
        if st.st_size > MAX_BYTES:
            raise NotARecord(f"it is larger than {MAX_BYTES >> 20} MiB")
        with os.fdopen(fd, "rb", closefd=False) as f:
            doc = json.loads(f.read(MAX_BYTES + 1))
        return nodes_from_json(doc)
    except NotARecord:
        raise
    except OSError:
        return {}
    except (ValueError, RecursionError) as exc:
        raise NotARecord(f"not JSON: {str(exc)[:80]}") from None
    finally:
        os.close(fd)


def write_nodes(tree, nodes: Mapping[str, Node], changed=None) -> None:
    """Replace the record atomically, its journal folded in and removed; never through a link
    planted in the store (the one writer). changed: the hosts whose entries changed since
    read_nodes checked them, the only ones checked again (None: all)."""
    data = nodes_bytes(nodes)
    try:
        nodes_from_json(json.loads(data) if changed is None else json.loads(nodes_bytes(
            {h: nodes[h] for h in changed if h in nodes})))
    except NotARecord as exc:
        raise OutputError(f"refusing to record an invalid node state (a hagen bug): {exc}")
    try:
        os.makedirs(tree.store, exist_ok=True)
        dfd = _open_store(tree.store)
    except OSError as exc:
        raise OutputError(f"cannot open the output store {tree.store}: {exc.strerror}",
                          hint="it must be a folder (not a link) you can write")
    try:
        write_file(RECORD, data, 0o600, dir_fd=dfd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(JOURNAL, dir_fd=dfd)          # folded in: never replayed over a newer record
    except OSError as exc:
        raise OutputError(f"cannot write {tree.store}/{RECORD}: {exc.strerror}",
                          hint="check free space and permissions")
    finally:
        os.close(dfd)


def journal(tree, records: Mapping[str, list]) -> None:
    """Append what nodes confirmed to the journal: one write, no rewrite. records: host ->
    [(path, state the node holds, what hagen wrote there)], None drops (as Node.took)."""
    if not records:
        return
    text = journal_text(records)
    try:
        dfd = _open_store(tree.store)
    except OSError as exc:
        raise OutputError(f"cannot open the output store {tree.store}: {exc.strerror}",
                          hint="it must be a folder (not a link) you can write")
    try:
        fd = os.open(JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                     dir_fd=dfd)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            write_all(fd, text.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write {tree.store}/{JOURNAL}: {exc.strerror}",
                          hint="check free space and permissions")
    finally:
        os.close(dfd)


def journal_exists(tree) -> bool:
    return os.path.lexists(os.path.join(tree.store, JOURNAL))


def _replayed(tree, nodes: dict[str, Node]) -> dict[str, Node]:
    """nodes with the journal's whole, valid lines applied in order (see the module's docstring)."""
    from hagen.emit.store import read_regular

    try:
        dfd = _open_store(tree.store)
    except OSError:
        return nodes
    try:
        data = read_regular(JOURNAL, dfd, limit=MAX_BYTES)      # never through a link, bounded
    finally:
        os.close(dfd)
    replayed, memo = dict(nodes), {}
    for line in (data or b"").split(b"\n")[:-1]:          # a last line without its newline was cut short
        try:
            hosts, items = journal_line(json.loads(line), memo)
        except (ValueError, RecursionError, KeyError, TypeError, AttributeError):    # NotARecord included
            break
        for host in hosts:
            replayed[host] = (replayed.get(host) or Node()).took(items)
    return replayed


class StaleGathered(OutputError):
    """The content a node's file had when gathered is no longer to be found."""


def node_content(nodes: Mapping[str, Node], tree, host: str, path: str) -> bytes | None:
    """What path holds on host as far as the record (nodes) knows: None when nothing was
    gathered there or the node has no such file; else the bytes whose sha256 the record holds,
    from the gathered tree gather wrote or from the output tree (after a push, the node holds
    what out holds). Files are read without following links. Raises StaleGathered when
    neither holds those bytes any more."""
    from hagen.emit.store import read_regular

    node = nodes.get(host)
    have = node.files.get(path) if node is not None else None
    if have is None or not have.is_file:
        return None
    candidates = []
    if node.into:
        candidates.append(os.path.join(node.into, host, path.lstrip("/")))
    current = tree.current()
    if current is not None:
        candidates.append(os.path.join(str(current), host, path.lstrip("/")))
    for candidate in candidates:
        data = read_regular(candidate, limit=16 << 20)
        if data is not None and hashlib.sha256(data).hexdigest() == have.sha256:
            return data
    raise StaleGathered(f"{path} of {host} as gathered is no longer in {node.into or 'the gathered tree'}",
                        hint="run `hagen gather` again: hagen merges its blocks into the node's own file")
