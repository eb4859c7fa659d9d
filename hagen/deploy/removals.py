"""What push may take away from a node, and what it may put into a file the node shares.

Removals. A plan's `remove` list and the node record are read back, so neither is
trusted to say what hagen may delete. The record keeps, per node, `written`: each path
push delivered there (its state, and `shared` for a managed block). A removal is done
only when all of these hold, else the whole push is refused (HA965) before anything
is sent:

- the host is a host of the build (the manifest, itself checked: HA940);
- the build no longer writes that path on that host;
- the record says push wrote it there, and the node still holds what push wrote (as far
  as the record knows: a file the administrator changed since is theirs);
- a shared file (`shared_files`, a managed block) is never removed: hagen's blocks are
  taken out of the node's content as gathered and verified, and the rest is sent back.

Shared files. A file shared with the node is only sent when what it holds outside
hagen's blocks is the node's own content as hagen gathered and verified it (or the
node had no such file when gathered). Otherwise (never gathered, a link on the node, a
gathered copy gone or changed, a build from older content) that file is refused for
that node (HA966) and the node's other files go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from hagen.base.reports import Where, error
from hagen.emit.manifest import same_file
from hagen.emit.nodes import FileState, Node, StaleGathered, node_content


@dataclass
class Removals:
    delete: list[tuple[str, str]] = field(default_factory=list)              # rm -f
    unblock: list[tuple[str, str, bytes, str]] = field(default_factory=list)  # (host, path, content left, mode)
    forget: list[tuple[str, str]] = field(default_factory=list)              # gone already: the record only
    problems: list = field(default_factory=list)


def _problem(where: str, key: str, host: str, path: str, why: str, hint: str):
    return error("HA965", Where(file=where, key=key) if where else Where(host=host), f"{path} on {host}: {why}", hint)


def written_paths(node: Node | None) -> Mapping[str, FileState]:
    return (node.written or {}) if node is not None else {}


def resolve(removes, entries: dict, nodes: Mapping[str, Node], tree, where: str = "", keys=None) -> Removals:
    """removes: (host, path) pairs a plan or --prune asks for; keys: where each came from in a
    plan file (remove[i]). Every problem is collected: the caller refuses the push whole."""
    built_hosts = {h for h, _ in entries}
    result = Removals()
    for i, (host, path) in enumerate(removes):
        key = keys[i] if keys else ""
        gather_hint = "run `hagen gather`, then review again (`hagen diff --save-plan`)"
        if host not in built_hosts:
            result.problems.append(_problem(where, key, host, path, "the host is not a host of the build",
                                            "push removes files only from the hosts the build makes"))
            continue
        if (host, path) in entries:
            result.problems.append(_problem(where, key, host, path, "the build still writes this file",
                                            "review again: `hagen diff --save-plan FILE`"))
            continue
        node = nodes.get(host) or Node()
        wrote = written_paths(node).get(path)
        if wrote is None:
            result.problems.append(_problem(where, key, host, path, "hagen has no record of writing this file "
                                            "there: it is not hagen's to remove", "remove it by hand if you mean to"))
            continue
        have = node.files.get(path)
        if not wrote.shared:
            if not same_file(have, wrote):
                result.problems.append(_problem(where, key, host, path, "the node no longer holds what hagen "
                                                "wrote (as last gathered): the administrator's file is kept",
                                                gather_hint))
            else:
                result.delete.append((host, path))
            continue
        try:
            base, why = node_base(tree, nodes, host, path)
        except StaleGathered as exc:
            base, why = None, exc.message
        if have is not None and have.missing:      # the node has no such file any more: nothing to take out
            result.forget.append((host, path))
            continue
        if base is None:
            result.problems.append(_problem(where, key, host, path, f"a shared file is never removed, and hagen's "
                                            f"block cannot be taken out: {why}", gather_hint))
            continue
        from hagen.render.blocks import BlockError, own_lines

        try:
            result.unblock.append((host, path, own_lines(base), have.mode or "0644"))
        except BlockError as exc:
            result.problems.append(_problem(where, key, host, path, f"hagen's blocks cannot be told apart: {exc}",
                                            "edit the node's file, then gather again"))
    return result


def node_base(tree, nodes: Mapping[str, Node], host: str, path: str) -> tuple[bytes | None, str | None]:
    """(the node's own file at path as gathered and verified, None) or (None, why it is not
    known). A file gather found missing is known: empty. Raises StaleGathered."""
    have = (nodes.get(host) or Node()).files.get(path)
    if have is None:
        return None, f"hagen has not gathered {path} from {host}"
    if have.missing:
        return b"", None
    if have.unusable is not None:
        return None, f"{path} on {host} is not usable as gathered ({have.unusable})"
    if have.is_link:
        return None, f"{path} on {host} is a symbolic link"
    return node_content(nodes, tree, host, path), None


def refused_shared(sends, shared: set, tree, nodes: Mapping[str, Node], data_of) -> dict:
    """{(host, path): why} for each shared file of sends (host, path, entry) whose content outside
    hagen's blocks is not the node's own as gathered (see the module's docstring).
    data_of(path, entry): the bytes that would be sent."""
    from hagen.render.blocks import BlockError, own_lines

    refused = {}
    for host, path, entry in sends:
        if path not in shared or entry.is_link:
            continue
        try:
            base, why = node_base(tree, nodes, host, path)
        except StaleGathered as exc:
            base, why = None, exc.message
        if base is not None:
            try:
                if own_lines(base) != own_lines(data_of(path, entry)):
                    why = f"the build merged hagen's blocks into other content than {host} holds"
            except BlockError as exc:
                why = f"hagen's blocks cannot be told apart: {exc}"
            else:
                if why is None:
                    continue
        refused[(host, path)] = why
    return refused


def shared_problem(host: str, path: str, why: str):
    return error("HA966", Where(host=host), f"{path} not sent to {host}: {why}",
                 "run `hagen gather` (it fetches the node's own file), then `hagen build` and push again: "
                 "hagen sends a shared file only merged into the node's own lines")
