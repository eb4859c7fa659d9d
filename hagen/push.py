"""hagen push: copy the output tree to the nodes, one fan-out call per distinct file.

The manifest in OUT says what to send: each entry (one content, one path, one
mode) goes to the folded node set of its hosts in a single call of the site's
fan-out tool (pdcp, or clush --copy), modes kept. Files that vanished since the
last push are listed, and removed only with --prune. What was pushed is
remembered beside the tree (.out.d/pushed.json), never inside it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hagen.emit import MANIFEST, OutputTree, expand
from hagen.errors import OutputError
from hagen.model.names import fold, natural_key

DEFAULTS = {"tool": "pdcp", "command": None, "exec_command": None, "options": [], "fanout": None}


@dataclass(frozen=True)
class Command:
    argv: list[str]
    what: str          # mkdir, copy, link, remove

    def __str__(self) -> str:
        return shlex.join(self.argv)


def settings(site) -> dict:
    cfg = dict(DEFAULTS)
    cfg.update((site.get("deploy") if site is not None else None) or {})
    return cfg


def copy_command(cfg: dict, nodes: str, source: Path, dest: str) -> list[str]:
    if cfg["tool"] == "clush":
        cmd = cfg["command"] or "clush"
        argv = [cmd, *cfg["options"], "-w", nodes]
        if cfg.get("fanout"):
            argv += ["-f", str(cfg["fanout"])]
        return argv + ["--copy", str(source), "--dest", dest]
    cmd = cfg["command"] or "pdcp"
    argv = [cmd, *cfg["options"], "-p", "-w", nodes]
    if cfg.get("fanout"):
        argv += ["-f", str(cfg["fanout"])]
    return argv + [str(source), dest]


def exec_command(cfg: dict, nodes: str, remote: list[str]) -> list[str]:
    if cfg["tool"] == "clush":
        return [cfg["exec_command"] or cfg["command"] or "clush", *cfg["options"], "-w", nodes, shlex.join(remote)]
    return [cfg["exec_command"] or "pdsh", *cfg["options"], "-w", nodes, shlex.join(remote)]


def plan_push(out: Path, cfg: dict, prune: bool) -> tuple[list[Command], list[tuple[str, str]]]:
    """The commands a push runs, and the (hosts, path) pairs that vanished since the last push."""
    tree = OutputTree(out)
    manifest = tree.manifest()
    if manifest is None:
        raise OutputError(f"{out} has no hagen manifest ({out}/{MANIFEST})",
                          hint="run `hagen build` first, or give the --out it wrote")
    from ClusterShell.NodeSet import NodeSet

    commands = []
    # pdcp and clush --copy create no folder: make each node set's folders first, in one call
    folders: dict = {}
    for entry in manifest["files"]:
        folders.setdefault(entry["hosts"], set()).add(entry["path"].rpartition("/")[0] or "/")
    for hosts, dirs in sorted(folders.items(), key=lambda kv: natural_key(kv[0])):
        deepest = sorted(d for d in dirs if not any(o != d and o.startswith(d + "/") for o in dirs))
        commands.append(Command(exec_command(cfg, hosts, ["mkdir", "-p", "--", *deepest]), "mkdir"))
    for entry in manifest["files"]:
        if entry.get("type") == "symlink":
            commands.append(Command(exec_command(cfg, entry["hosts"], ["ln", "-sfn", entry["target"], entry["path"]]),
                                    "link"))
            continue
        first = sorted(NodeSet(entry["hosts"]), key=natural_key)[0]
        source = out / first / entry["path"].lstrip("/")
        commands.append(Command(copy_command(cfg, entry["hosts"], source, entry["path"]), "copy"))
    vanished = []
    pushed = _pushed(tree)
    if pushed:
        now = expand(manifest)
        gone: dict = {}
        for (host, path) in expand(pushed):
            if (host, path) not in now:
                gone.setdefault(path, []).append(host)
        for path, hosts in sorted(gone.items()):
            nodes = fold(hosts)
            vanished.append((nodes, path))
            if prune:
                commands.append(Command(exec_command(cfg, nodes, ["rm", "-f", "--", path]), "remove"))
    return commands, vanished


def _pushed(tree: OutputTree) -> dict | None:
    try:
        return json.loads((tree.store / "pushed.json").read_text())
    except (OSError, ValueError):
        return None


def run_push(out: Path, cfg: dict, commands: list[Command], echo, kept: list[tuple[str, str]] = ()) -> int:
    """Run the commands in order, holding the output tree's lock so that no build
    swaps it meanwhile; stop at the first failure. Returns the number run."""
    tree = OutputTree(out)
    with tree.lock():
        _run_all(commands, echo)
        record = tree.manifest()
        # vanished files left on the nodes (no --prune) stay remembered until pruned
        record["files"] = record["files"] + [{"path": path, "hosts": nodes} for nodes, path in kept]
        (tree.store / "pushed.json").write_text(json.dumps(record, indent=1) + "\n")
    return len(commands)


def _run_all(commands: list[Command], echo) -> None:
    for i, cmd in enumerate(commands, 1):
        echo(f"[{i}/{len(commands)}] {cmd}")
        try:
            proc = subprocess.run(cmd.argv, capture_output=True, text=True)
        except FileNotFoundError:
            raise OutputError(f"the fan-out command {cmd.argv[0]!r} is not installed",
                              hint="install pdsh (pdcp) or clustershell, or set deploy.command in the site spec")
        if proc.returncode != 0:
            raise OutputError(f"{cmd.argv[0]} failed (exit {proc.returncode}): {proc.stderr.strip()[:400]}",
                              hint="fix the nodes named above and push again: a push is idempotent")
