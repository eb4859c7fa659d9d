"""The site's fan-out tools, as hagen calls them, and what each call did on each node.

Three settings under `deploy:` name the commands (CLARIFICATIONS 29), so that a site,
a test or an example can name stand-ins:

    command        copies       pdcp: CMD [options] -p -w NODES [-f N] SRC DEST
                                clush: CMD [options] -w NODES [-f N] --copy SRC --dest DEST -p
    exec_command   runs         CMD [options] -w NODES [-f N] 'COMMAND'
    gather_command fetches      rpdcp: CMD [options] -p -w NODES [-f N] SRC DESTDIR  (DESTDIR/<name>.<node>)
                                clush: CMD [options] -w NODES [-f N] --rcopy SRC --dest DESTDIR -p

hagen's own options go in the [options] slot: the connect and command timeouts (`-t`,
`-u`: pdsh, pdcp, rpdcp and clush all take them) and, for remote commands, `-S`
(pdsh and clush; pdcp and rpdcp refuse it).

A node's success is never inferred from the tool's exit status: real pdsh and clush
exit 0 when the command failed on a node, and a clush --rcopy whose every node failed
exits 0 too. So every remote command hagen runs ends by printing a marker line with
its status (`hagen-done-<nonce>:$?`), and a node is ok only when its marker says 0:
a node the tool reports nothing for, or that hung, or whose command failed, is failed.
A copy has no such line: the tool's per-node error lines make a node failed, and a
node with none is only "sent" until a remote command confirms what it holds (push's
verification step, gather's inventory).

A node set longer than INLINE_MAX characters goes through a file (`-w ^FILE` for
pdsh/pdcp/rpdcp, `--hostfile FILE` for clush): a folded node set of 50,000 nodes is
over Linux's per-argument limit (E2BIG).

Every host that reaches a command line was checked to be a plain host name first: a
"host" such as `-oProxyCommand=...` read from a tampered manifest never reaches `-w`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field

from hagen.emit.manifest import plain_host
from hagen.base.errors import OutputError
from hagen.model.names import fold, natural_key

DEFAULTS = {"tool": "pdcp", "command": None, "exec_command": None, "gather_command": None,
            "options": [], "fanout": None, "connect_timeout": 10, "command_timeout": 600, "topology": None}
INLINE_MAX = 16 << 10            # characters of a folded node set given on the command line
MARK = f"hagen-done-{secrets.token_hex(6)}"        # per process: a command's output cannot guess it
_MARKED = re.compile(re.escape(MARK) + r":(\d+)$")
_EXITED = re.compile(r"exited with exit code \d+$|killed by signal \d+$")
_TIMEOUT = ("command timeout",)       # pdsh's and clush's words for -u; a connect timeout is unreachable


def settings(site) -> dict:
    cfg = dict(DEFAULTS)
    cfg.update((site.get("deploy") if site is not None else None) or {})
    if cfg.get("topology") and site is not None:      # tree mode: through gateways (hagen.deploy.tree)
        from hagen.deploy.tree import topology_reports
        from hagen.base.errors import InputRefused

        reports = topology_reports(site, cfg)
        if reports:
            raise InputRefused("deploy.topology cannot be used: nothing was run", reports=reports)
    return cfg


def _names(hosts) -> list[str]:
    names = sorted(hosts, key=natural_key) if not isinstance(hosts, str) else [hosts]
    bad = [h for h in names if not plain_host(h)]
    if bad:       # defence in depth: callers check first
        raise OutputError(f"refusing to pass {bad[0]!r} to the fan-out tool: not a plain host name")
    return names


def _head(cmd: str, cfg: dict, maxrc: bool) -> list[str]:
    """CMD [options] [hagen's options] -w NODES: hagen's options are the timeouts and -S."""
    argv = [cmd, *cfg["options"]]
    if cfg.get("connect_timeout"):
        argv += ["-t", str(cfg["connect_timeout"])]
    if cfg.get("command_timeout"):
        argv += ["-u", str(cfg["command_timeout"])]
    if maxrc:
        argv.append("-S")
    if cfg.get("topology"):            # clush only (checked in settings): tree mode through gateways
        argv += ["--topology", cfg["topology"]]
    return argv


def _where(cfg: dict, hosts, nodes_file: str | None) -> list[str]:
    names = _names(hosts)
    if nodes_file is None:
        return ["-w", fold(names)]
    return ["--hostfile", nodes_file] if cfg["tool"] == "clush" else ["-w", f"^{nodes_file}"]


def _fanout(cfg: dict) -> list[str]:
    return ["-f", str(cfg["fanout"])] if cfg.get("fanout") else []


def copy_argv(cfg: dict, hosts, source: str, dest: str, nodes_file: str | None = None) -> list[str]:
    if cfg["tool"] == "clush":
        return _head(cfg["command"] or "clush", cfg, True) + _where(cfg, hosts, nodes_file) \
            + _fanout(cfg) + ["--copy", source, "--dest", dest, "-p"]
    return _head(cfg["command"] or "pdcp", cfg, False) + ["-p"] \
        + _where(cfg, hosts, nodes_file) + _fanout(cfg) + [source, dest]


def exec_argv(cfg: dict, hosts, remote: list[str] | str, nodes_file: str | None = None) -> list[str]:
    default = (cfg["command"] or "clush") if cfg["tool"] == "clush" else "pdsh"
    text = remote if isinstance(remote, str) else shlex.join(remote)
    return _head(cfg["exec_command"] or default, cfg, True) \
        + _where(cfg, hosts, nodes_file) + _fanout(cfg) + [text]


def gather_argv(cfg: dict, hosts, source: str, destdir: str, nodes_file: str | None = None) -> list[str]:
    if cfg["tool"] == "clush":
        cmd = cfg["gather_command"] or cfg["command"] or "clush"
        return _head(cmd, cfg, True) + _where(cfg, hosts, nodes_file) + _fanout(cfg) \
            + ["--rcopy", source, "--dest", destdir, "-p"]
    return _head(cfg["gather_command"] or "rpdcp", cfg, False) + ["-p"] \
        + _where(cfg, hosts, nodes_file) + _fanout(cfg) + [source, destdir]


def marked(text: str) -> str:
    """The remote command as sent: its status printed last (a command that ends in a
    comment or runs `exit` swallows the marker: that node fails, which is the safe way)."""
    return f"{text}; echo {MARK}:$?"


@dataclass
class Outcome:
    """What one call did: the nodes it failed on (with the tool's message), those of them
    that hung (no answer within the command timeout) or never answered (unreachable: no
    status line, e.g. ssh could not connect), each node's lines of standard
    output (`NODE: text`, as pdsh and clush print them; the marker taken out) and, for a
    remote command, the nodes whose marker said 0."""
    argv: list[str]
    failed: dict[str, str] = field(default_factory=dict)
    hung: set = field(default_factory=set)
    unreachable: set = field(default_factory=set)
    output: dict[str, list[str]] = field(default_factory=dict)
    ok: set = field(default_factory=set)

    def __str__(self) -> str:
        return shlex.join(self.argv)


def _node_of(line: str, hosts: set) -> tuple[str, str] | None:
    """(node, message) from `node: message`, `pdsh@admin: node: message` or `clush: node: message`."""
    parts = line.split(": ")
    for i in range(min(2, len(parts) - 1)):
        if parts[i] in hosts:
            return parts[i], ": ".join(parts[i + 1:]).strip()
    return None


@contextlib.contextmanager
def _nodes_file(names: list[str]):
    """None when the folded node set fits on the command line, else a private file
    naming one node a line (what pdsh's `-w ^FILE` and clush's --hostfile read)."""
    if len(fold(names)) <= INLINE_MAX:
        yield None
        return
    folder = tempfile.mkdtemp(prefix="hagen-nodes-")
    try:
        path = os.path.join(folder, "nodes")
        with open(path, "x", encoding="ascii") as f:
            f.write("".join(f"{h}\n" for h in names))
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def guard(cfg: dict, count: int) -> float:
    """How long a whole call may take before hagen stops it: the tool's own timeouts for
    each wave of nodes it reaches at once, twice, for a tool that ignores -t/-u."""
    per_node = (cfg.get("connect_timeout") or 10) + (cfg.get("command_timeout") or 600)
    waves = math.ceil(count / (cfg.get("fanout") or 32))
    return 2.0 * per_node * max(1, waves) + 5


def _spawn(argv: list[str], limit: float):
    """(returncode, stdout, stderr) of argv, its process group killed past limit seconds."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, errors="replace", start_new_session=True)
    try:
        out, err = proc.communicate(timeout=limit)
        return proc.returncode, out, err, False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return proc.returncode, out, err, True


def _call(argv: list[str], hosts: list[str], limit: float, outcome: Outcome):
    """Run argv; (returncode, stdout, stderr, timed out) or None when it could not start."""
    try:
        return _spawn(argv, limit)
    except FileNotFoundError:
        why = f"the fan-out command {argv[0]!r} is not installed (set deploy: in the site spec)"
    except OSError as exc:
        why = f"{argv[0]}: {exc.strerror or exc}"
    outcome.failed = {h: why for h in hosts}
    return None


def _messages(stderr: str, hosts: set) -> dict[str, list[str]]:
    """Each node's error lines; ssh's notice of a host key it just learnt is not one (a copy
    it comes with landed, and the verification says so)."""
    said: dict = {}
    for line in stderr.splitlines():
        found = _node_of(line, hosts)
        if found and found[1] and not found[1].startswith("Warning: Permanently added"):
            said.setdefault(found[0], []).append(found[1][:300])
    return said


def _why(lines: list[str], default: str) -> str:
    """The node's own words first (ssh's, the command's), the tool's "exited with" last."""
    own = [m for m in lines if not _EXITED.search(m)]
    return (own or lines or [default])[0]


def _hung(lines: list[str]) -> bool:
    return any(t in m for m in lines for t in _TIMEOUT)


def run_exec(cfg: dict, hosts, remote: list[str] | str) -> Outcome:
    """Run a remote command on hosts; a node is ok only when its marker line said 0."""
    names = _names(hosts)
    text = remote if isinstance(remote, str) else shlex.join(remote)
    with _nodes_file(names) as nodes_file:
        argv = exec_argv(cfg, names, marked(text), nodes_file)
        outcome = Outcome(exec_argv(cfg, names, text))
        done = _call(argv, names, guard(cfg, len(names)), outcome)
    if done is None:
        return outcome
    code, out, err, stopped = done
    wanted = set(names)
    status: dict = {}
    for line in out.splitlines():
        found = _node_of(line, wanted)
        if not found:
            continue
        mark = _MARKED.search(found[1])
        if mark:
            status[found[0]] = int(mark.group(1))
            rest = found[1][:mark.start()]
            if rest:                          # the command's last line had no newline
                outcome.output.setdefault(found[0], []).append(rest)
        else:
            outcome.output.setdefault(found[0], []).append(found[1])
    said = _messages(err, wanted)
    last = (err.strip().splitlines() or [f"exit status {code}"])[-1][:300]
    for host in names:
        lines = said.get(host, [])
        if status.get(host) == 0:
            outcome.ok.add(host)
        elif host in status:
            outcome.failed[host] = _why(lines, f"exit status {status[host]}")
        else:
            _unanswered(cfg, outcome, host, lines, stopped, last)
    _behind_gateways(cfg, outcome, err, wanted)
    return outcome


def _behind_gateways(cfg: dict, outcome: Outcome, err: str, wanted: set) -> None:
    """Through gateways, clush names the nodes behind one that failed in its own words: a node
    without its marker says so instead of "no answer" (never done either way)."""
    if not cfg.get("topology"):
        return
    from hagen.deploy.tree import failures

    for host, why in failures(err, wanted).items():
        if host not in outcome.ok:
            outcome.failed[host] = why


def _unanswered(cfg: dict, outcome: Outcome, host: str, lines: list[str], stopped: bool, last: str) -> None:
    if stopped or _hung(lines):
        outcome.hung.add(host)
        outcome.failed[host] = (f"hung: no answer within the timeouts (connect {cfg.get('connect_timeout')} s, "
                                f"command {cfg.get('command_timeout')} s)")
    elif lines:
        outcome.unreachable.add(host)
        outcome.failed[host] = _why(lines, last)
    else:
        outcome.unreachable.add(host)
        outcome.failed[host] = f"no answer: {outcome.argv[0]} reported nothing for this node ({last})"


def run_copy(cfg: dict, hosts, source: str, dest: str, shown: str | None = None) -> Outcome:
    """Copy source to dest on hosts. A node the tool names in an error line is failed;
    the others are only sent: what they hold must be confirmed by a remote command."""
    return _transfer(cfg, hosts, lambda names, f: copy_argv(cfg, names, source, dest, f),
                     lambda names: copy_argv(cfg, names, shown or source, dest))


def run_fetch(cfg: dict, hosts, source: str, destdir: str) -> Outcome:
    """Fetch source from hosts into destdir/<name>.<node>; per-node error lines as run_copy."""
    return _transfer(cfg, hosts, lambda names, f: gather_argv(cfg, names, source, destdir, f),
                     lambda names: gather_argv(cfg, names, source, destdir))


def _transfer(cfg: dict, hosts, build, show) -> Outcome:
    names = _names(hosts)
    outcome = Outcome(show(names))
    with _nodes_file(names) as nodes_file:
        done = _call(build(names, nodes_file), names, guard(cfg, len(names)), outcome)
    if done is None:
        return outcome
    code, _, err, stopped = done
    said = _messages(err, set(names))
    last = (err.strip().splitlines() or [f"exit status {code}"])[-1][:300]
    for host in names:
        lines = said.get(host, [])
        if stopped or _hung(lines):
            _unanswered(cfg, outcome, host, lines, True, last)
        elif lines:
            outcome.failed[host] = _why(lines, last)
    if code != 0 and not said and not stopped:      # the tool failed as a whole
        outcome.failed = {h: f"{outcome.argv[0]}: {last}" for h in names}
    _behind_gateways(cfg, outcome, err, set(names))
    return outcome
