"""Expected commands: what /etc/HA/start and /etc/HA/stop call that hagen does not write.

A service list (a kind that says so, hagen.kinds) names programs the node must already have (dbmConfig, hacisco,
hasystemimager, hafda, the init scripts ...): a failover that reaches a missing one
fails at the worst moment. gather checks each exists and is executable on its node and
records those missing; `missing_expected(out)` gives them to diff, which warns (their
absence changes no exit status).
"""

from __future__ import annotations

from hagen.kinds import registry
from hagen.model.names import fold, natural_key


def commands_in(data: bytes) -> list[str]:
    """The programs a service list calls: one absolute path per line; comments and blanks skipped."""
    found = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("/"):
            found.append(line.split()[0])
    return found


def _expected(per_host: dict) -> dict[str, list[str]]:
    """per_host: {host: (list of service-list contents, set of paths hagen writes there)}."""
    out: dict = {}
    for host, (lists, written) in per_host.items():
        for data in lists:
            for command in commands_in(data):
                if command not in written:
                    out.setdefault(command, set()).add(host)
    return {path: sorted(hosts, key=natural_key) for path, hosts in sorted(out.items())}


def expected_commands(compiled) -> dict[str, list[str]]:
    """{command path: [hosts]} from a compiled build (hagen.compile.pipeline.Compiled)."""
    kinds = registry()
    per_host: dict = {}
    for f in compiled.files:
        lists, written = per_host.setdefault(f.host, ([], set()))
        written.add(f.path)
        if not f.is_link and kinds.of_template(f.template).service_list:
            lists.append(f.data)
    return _expected(per_host)


def expected_in_tree(tree, entries: dict) -> dict[str, list[str]]:
    """The same from an output tree: entries is hagen.deploy.state.checked_manifest(tree) (ManifestEntry values).
    The service lists are read from the tree, each checked against its sha256."""
    import hashlib

    kinds = registry()
    per_host: dict = {}
    contents: dict = {}
    for (host, path), entry in entries.items():
        lists, written = per_host.setdefault(host, ([], set()))
        written.add(path)
        if not entry.is_link and kinds.of_template(entry.template).service_list:
            sha = entry.sha256
            if sha not in contents:
                data = tree.read(host, path)
                contents[sha] = data if data is not None and hashlib.sha256(data).hexdigest() == sha else b""
            lists.append(contents[sha])
    return _expected(per_host)


def missing_expected(out) -> list[tuple[str, str]]:
    """[(node set, command path)]: the expected commands gather found missing or not
    executable, from the node record of out's store. Empty when nothing was gathered."""
    from hagen.emit import OutputTree
    from hagen.emit.nodes import read_nodes

    by_path: dict = {}
    for host, node in read_nodes(OutputTree(out)).items():
        for path in node.missing_commands or ():
            by_path.setdefault(path, []).append(host)
    return [(fold(sorted(hosts, key=natural_key)), path) for path, hosts in sorted(by_path.items())]
