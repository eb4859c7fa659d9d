"""The site's fan-out tools, as hagen calls them, and what each call did on each node.

Three settings under `deploy:` name the commands (CLARIFICATIONS 29), so that a site,
a test or an example can name stand-ins:

    command        copies       pdcp: CMD [options] -p -w NODES [-f N] SRC DEST
                                clush: CMD [options] -w NODES [-f N] --copy SRC --dest DEST -p
    exec_command   runs         CMD [options] -w NODES [-f N] 'COMMAND'
    gather_command fetches      rpdcp: CMD [options] -p -w NODES [-f N] SRC DESTDIR  (DESTDIR/<name>.<node>)
                                clush: CMD [options] -w NODES [-f N] --rcopy SRC --dest DESTDIR -p

Like the real tools, a call reaches every node it can, writes `NODE: message` on stderr
for each node it could not, and exits non-zero if any failed: `run()` turns that into a
per-node result, so that one node down never stops the others.

Every host that reaches a command line was checked to be a plain host name first: a
"host" such as `-oProxyCommand=...` read from a tampered manifest never reaches `-w`.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass, field

from hagen.emit.manifest import plain_host
from hagen.errors import OutputError
from hagen.model.names import fold

DEFAULTS = {"tool": "pdcp", "command": None, "exec_command": None, "gather_command": None,
            "options": [], "fanout": None, "topology": None}

def settings(site) -> dict:
    cfg = dict(DEFAULTS)
    cfg.update((site.get("deploy") if site is not None else None) or {})
    if cfg.get("topology") and site is not None:      # tree mode: through gateways (hagen.deploy.tree)
        from hagen.deploy.tree import topology_reports
        from hagen.errors import InputRefused

        reports = topology_reports(site, cfg)
        if reports:
            raise InputRefused("deploy.topology cannot be used: nothing was run", reports=reports)
    return cfg


def _nodes(hosts) -> str:
    names = sorted(hosts) if not isinstance(hosts, str) else [hosts]
    bad = [h for h in names if not plain_host(h)]
    if bad:       # defence in depth: callers check first
        raise OutputError(f"refusing to pass {bad[0]!r} to the fan-out tool: not a plain host name")
    return fold(names)


def _common(cmd: str, cfg: dict, hosts) -> list[str]:
    argv = [cmd, *cfg["options"], "-w", _nodes(hosts)]
    if cfg.get("fanout"):
        argv += ["-f", str(cfg["fanout"])]
    if cfg.get("topology"):
        argv += ["--topology", cfg["topology"]]
    return argv


def copy_argv(cfg: dict, hosts, source: str, dest: str) -> list[str]:
    if cfg["tool"] == "clush":
        return _common(cfg["command"] or "clush", cfg, hosts) + ["--copy", source, "--dest", dest, "-p"]
    cmd = cfg["command"] or "pdcp"
    argv = [cmd, *cfg["options"], "-p", "-w", _nodes(hosts)]
    if cfg.get("fanout"):
        argv += ["-f", str(cfg["fanout"])]
    return argv + [source, dest]


def exec_argv(cfg: dict, hosts, remote: list[str] | str) -> list[str]:
    default = (cfg["command"] or "clush") if cfg["tool"] == "clush" else "pdsh"
    text = remote if isinstance(remote, str) else shlex.join(remote)
    return _common(cfg["exec_command"] or default, cfg, hosts) + [text]


def gather_argv(cfg: dict, hosts, source: str, destdir: str) -> list[str]:
    if cfg["tool"] == "clush":
        cmd = cfg["gather_command"] or cfg["command"] or "clush"
        return _common(cmd, cfg, hosts) + ["--rcopy", source, "--dest", destdir, "-p"]
    cmd = cfg["gather_command"] or "rpdcp"
    argv = [cmd, *cfg["options"], "-p", "-w", _nodes(hosts)]
    if cfg.get("fanout"):
        argv += ["-f", str(cfg["fanout"])]
    return argv + [source, destdir]


@dataclass
class Outcome:
    """What one call did: the nodes it failed on (with the tool's message), and each node's
    lines of standard output (`NODE: text`, as pdsh and clush print them)."""
    argv: list[str]
    failed: dict[str, str] = field(default_factory=dict)
    output: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return shlex.join(self.argv)


def _node_of(line: str, hosts: set) -> tuple[str, str] | None:
    """(node, message) from `node: message`, `pdsh@admin: node: message` or `clush: node: message`."""
    parts = line.split(": ")
    for i in range(min(2, len(parts) - 1)):
        if parts[i] in hosts:
            return parts[i], ": ".join(parts[i + 1:]).strip()
    return None


def run(argv: list[str], hosts, timeout: int | None = None) -> Outcome:
    """Run one fan-out call for hosts. Never raises for a node's failure: it is in the outcome."""
    hosts = {hosts} if isinstance(hosts, str) else set(hosts)
    outcome = Outcome(argv)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        why = f"the fan-out command {argv[0]!r} is not installed (set deploy: in the site spec)"
        outcome.failed = {h: why for h in hosts}
        return outcome
    except (OSError, subprocess.TimeoutExpired) as exc:
        outcome.failed = {h: f"{argv[0]}: {exc}" for h in hosts}
        return outcome
    for line in proc.stdout.splitlines():
        found = _node_of(line, hosts)
        if found:
            outcome.output.setdefault(found[0], []).append(found[1])
    if proc.returncode != 0:
        for line in proc.stderr.splitlines():
            found = _node_of(line, hosts)
            if found and found[0] not in outcome.failed:
                outcome.failed[found[0]] = found[1][:300]
        if not outcome.failed:       # the tool failed as a whole: every node with its last words
            last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:300]
            outcome.failed = {h: f"{argv[0]}: {last}" for h in hosts}
    # clush says a node failed even when it exits 0, and names the nodes behind a gateway that failed
    from hagen.deploy.tree import failures

    outcome.failed.update(failures(proc.stderr, hosts))
    return outcome
