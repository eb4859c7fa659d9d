"""What each node holds at the paths gather is about to fetch: one remote command per node
set (hagen.deploy.fanout.run_exec) says what is at each path the build manages there (a
plain file, a link and its target, missing, or something else) and whether each expected
command (hagen.deploy.expected) is an executable file. A node whose command did not end
with its marker line saying 0 (down, hung, or the command failed), or that cannot tell
what a path is, is lost: gather records nothing of it."""

from __future__ import annotations

import shlex

from hagen.deploy import fanout
from hagen.model.names import natural_key


def inventory_script(paths: list[str], commands: list[str]) -> str:
    """What a node holds at each path (`hagen-inv INDEX MODE:TYPE`, `missing`, or `error:`
    and stat's words when it could not tell), a link's target (`hagen-link INDEX TARGET`),
    and each expected command's mode and type (`hagen-cmd`, through links: they run so)."""
    script = "LC_ALL=C; export LC_ALL; i=0"
    if paths:
        words = " ".join(shlex.quote(p) for p in paths)
        script += (f'; for p in {words}; do s=$(stat -c %a:%F -- "$p" 2>&1) || case $s in '
                   f'*"No such file or directory"*) s=missing;; *) s="error:$s";; esac; echo "hagen-inv $i $s"; '
                   f't=$(readlink -- "$p" 2>/dev/null) && echo "hagen-link $i $t"; i=$((i+1)); done')
    if commands:
        words = " ".join(shlex.quote(p) for p in commands)
        script += (f'; for p in {words}; do echo "hagen-cmd $i $(stat -L -c %a:%F -- "$p" 2>/dev/null '
                   f'|| echo missing)"; i=$((i+1)); done')
    return script


def take_inventory(cfg, entries, expected: dict, asked: set, echo) -> tuple[dict, dict, dict]:
    """({host: {path: (kind, link target)}} for the (host, path) pairs of entries, kind file,
    link, missing or other; {host: why} of the nodes lost, whose command did not end well or
    that could not tell what a path is; {path: [hosts]} of the expected commands a node lacks),
    from one remote command per node set."""
    alive = set(asked)
    wanted: dict = {h: ([], []) for h in alive}
    for host, path in sorted(set(entries)):
        if host in alive:
            wanted[host][0].append(path)
    for path, hosts in sorted(expected.items()):
        for host in hosts:
            if host in alive:
                wanted[host][1].append(path)
    groups: dict = {}
    for host, (paths, commands) in wanted.items():
        groups.setdefault((tuple(paths), tuple(commands)), []).append(host)
    kinds: dict = {}
    lost: dict = {}
    lacking: dict = {}
    for (paths, commands), hosts in sorted(groups.items(), key=lambda kv: natural_key(min(kv[1], key=natural_key))):
        outcome = fanout.run_exec(cfg, hosts, inventory_script(list(paths), list(commands)))
        echo(str(outcome))
        for host in hosts:
            if host not in outcome.ok:
                lost[host] = outcome.failed.get(host, "no answer")
                continue
            found = _kinds(outcome.output.get(host, []), paths, commands, host, lacking)
            unknown = [(p, k[1]) for p, k in found.items() if k[0] == "error"]
            if unknown:      # what the node holds there is not known: nothing of it is recorded
                lost[host] = f"cannot tell what {unknown[0][0]} is: {unknown[0][1]}"
                continue
            kinds[host] = found
    return kinds, lost, lacking


def _kinds(lines: list[str], paths: tuple, commands: tuple, host: str, lacking: dict) -> dict:
    """{path: (kind, link target)} of one node's answer; the expected commands it lacks go to lacking."""
    stats: dict = {}
    targets: dict = {}
    for line in lines:
        tag, _, rest = line.partition(" ")
        index, _, value = rest.partition(" ")
        if tag in ("hagen-inv", "hagen-cmd") and index.isdigit():
            stats[int(index)] = value
        elif tag == "hagen-link" and index.isdigit():
            targets[int(index)] = value
    found = {}
    for i, path in enumerate(paths):
        value = stats.get(i, "missing")
        kind = value.partition(":")[2]
        found[path] = ("missing", None) if value == "missing" else \
            ("error", value[6:].strip()) if value.startswith("error:") else \
            ("link", targets.get(i)) if kind == "symbolic link" else \
            ("file", None) if kind in ("regular file", "regular empty file") else ("other", None)
    for j, path in enumerate(commands):
        mode, _, kind = stats.get(len(paths) + j, "missing").partition(":")
        runnable = kind in ("regular file", "regular empty file") and mode.isdigit() \
            and set(mode) <= set("01234567") and int(mode, 8) & 0o111
        if not runnable:
            lacking.setdefault(path, []).append(host)
    return found
