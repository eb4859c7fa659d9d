"""hagen push: send a plan to the nodes, node by node results, resumable.

Before anything is sent, every source file is read from the output tree without
following a link, checked against its manifest sha256 and mode (HA944), and copied to a
private staging folder: what the fan-out tool sends is those verified bytes, whatever
happens to the tree meanwhile. A cluster.conf whose config_version is not greater than
what its node holds is refused (HA943).

Then, holding the output tree's lock: the folders (mkdir -p, one call per node set),
each distinct file (one copy per content, path and mode, to the folded node set of its
hosts), links, the owner (root) of what was sent, removals. A node a call fails on is marked failed with the tool's message
and left out of every later call; the others go on. After each call, what each node
received is written to the record (hagen.deploy.state), so that a rerun sends only
what is missing. With reload, each action the sent files imply (hagen.deploy.actions)
runs once per node set, one node of each HA cell at a time.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hagen.deploy import fanout
from hagen.deploy.actions import ACTIONS, action_for, cells, waves
from hagen.deploy.plan import Plan
from hagen.deploy.state import config_version, file_state, read_record, write_record
from hagen.errors import InputRefused, OutputError
from hagen.model.names import fold, natural_key
from hagen.reports import Where, error


@dataclass
class Step:
    what: str                      # mkdir, copy, link, chown, unblock, remove, action
    hosts: list[str]
    argv: list[str]
    records: list = field(default_factory=list)    # (path, state the node holds, what hagen wrote): None drops
    source: str | None = None      # the tree path shown; the staged copy is sent
    sha256: str | None = None      # of the staged copy, checked again just before it goes

    def shown(self) -> str:
        import shlex

        return shlex.join(self.argv)


@dataclass
class Pushed:
    done: set = field(default_factory=set)
    failed: dict = field(default_factory=dict)     # host -> message
    skipped: set = field(default_factory=set)      # nothing to do
    refused: dict = field(default_factory=dict)    # host -> why a file was not sent there (HA966)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused

    def table(self) -> list[str]:
        rows = []
        if self.done - set(self.failed):
            rows.append(("done", fold(sorted(self.done - set(self.failed), key=natural_key)), ""))
        by_msg: dict = {}
        for host, msg in self.failed.items():
            by_msg.setdefault(msg, []).append(host)
        for msg, hosts in sorted(by_msg.items(), key=lambda kv: natural_key(sorted(kv[1], key=natural_key)[0])):
            rows.append(("failed", fold(sorted(hosts, key=natural_key)), msg))
        for host, msg in sorted(self.refused.items(), key=lambda kv: natural_key(kv[0])):
            rows.append(("refused", host, msg))
        if self.skipped:
            rows.append(("skipped", fold(sorted(self.skipped, key=natural_key)), "up to date"))
        from hagen.reports import one_line

        width = max((len(r[1]) for r in rows), default=0)
        return [f"{status:<8} {nodes:<{width}}  {one_line(msg)}".rstrip() for status, nodes, msg in rows]


class Sources:
    """The verified bytes of every file a plan sends, staged in a private folder."""

    def __init__(self, tree, plan: Plan):
        self.tree = tree
        self.dir = Path(tempfile.mkdtemp(prefix="hagen-push-"))
        self.staged: dict = {}         # (path, sha256, mode) -> (shown path, staged path, data)
        self.count = 0
        try:
            for host, path, entry in plan.send:
                if entry.get("type") != "symlink":
                    self._stage(host, path, entry)
        except BaseException:
            self.close()
            raise

    def _stage(self, host: str, path: str, entry: dict) -> None:
        key = (path, entry["sha256"], entry["mode"])
        if key in self.staged:
            return
        cur = self.tree.current()
        shown = f"{self.tree.out}/{host}{path}"
        data, why = None, "its content or mode is not what the manifest says"
        try:
            fd = os.open(f"{cur}/{host}{path}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                st = os.fstat(fd)
                if stat.S_ISREG(st.st_mode) and f"{stat.S_IMODE(st.st_mode):04o}" == entry["mode"]:
                    data = os.read(fd, st.st_size + 1)
            finally:
                os.close(fd)
        except OSError as exc:
            why = exc.strerror or str(exc)
        if data is None or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise OutputError(f"{shown} cannot be sent: nothing was sent",
                              reports=[error("HA944", Where(host=host), f"{path}: {why}",
                                             "the output tree was altered after the build: run `hagen build`")])
        self.staged[key] = (shown, self.stage_bytes(path, data, int(entry["mode"], 8)), data)

    def stage_bytes(self, path: str, data: bytes, mode: int) -> str:
        """A private copy of data to send, written whole and checked against its sha256
        (hagen.writes): a short write fails the push before anything is sent."""
        from hagen.writes import write_file

        staged = self.dir / f"{self.count}-{posixpath.basename(path)}"
        self.count += 1
        try:
            write_file(staged, data, mode)
        except OSError as exc:
            raise OutputError(f"cannot stage {path} for sending: {exc.strerror or exc}: nothing was sent",
                              hint="check free space and the file size limit (ulimit -f) of the staging folder "
                                   f"{self.dir.parent}")
        return str(staged)

    def data(self, path: str, entry: dict) -> bytes:
        return self.staged[(path, entry["sha256"], entry["mode"])][2]

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def check_versions(plan: Plan, sources: Sources, nodes: dict) -> None:
    """Refuse (HA943) a versioned file (cluster.conf) whose revision is not greater than the
    one its node holds, or when the node's file was gathered but its revision could not be
    read (hagen.readback): cman would refuse it, or an older one would replace a newer."""
    problems = []
    for host, path, entry in plan.send:
        if entry.get("type") == "symlink":
            continue
        new = config_version(path, sources.data(path, entry))
        if new is None:
            continue
        have = (nodes.get(host) or {}).get("files", {}).get(path, {})
        if "unusable" in have:
            problems.append(error("HA943", Where(host=host), f"{path} on {host} was gathered but hagen cannot "
                                  f"know its config_version: {have['unusable']}",
                                  f"look at {path} on {host}; fix or remove it, then `hagen gather` again"))
        elif have.get("config_version") is not None and new <= have["config_version"]:
            problems.append(error("HA943", Where(host=host),
                                  f"{path} has config_version {new}, but {host} holds {have['config_version']}: "
                                  "cman would refuse it",
                                  "run `hagen gather` then `hagen build`: the build takes the version from the nodes"))
    if problems:
        raise InputRefused("a cluster.conf would not be newer than the node's: nothing was sent", reports=problems)


def steps_of(plan: Plan, cfg: dict, sources: Sources, removals=None, shared=frozenset()) -> list[Step]:
    """The calls that send plan: folders, files, links, owners, then what removals
    (hagen.deploy.removals.Removals, checked) takes away: a file deleted, or a shared file
    sent back without hagen's blocks. shared: the paths that are managed blocks."""
    steps = []
    dirs: dict = {}
    for host, path, _ in plan.send:
        dirs.setdefault(host, set()).add(posixpath.dirname(path))
    by_dirs: dict = {}
    for host, folders in dirs.items():
        deepest = sorted(d for d in folders if d != "/" and not any(o.startswith(d + "/") for o in folders))
        if deepest:
            by_dirs.setdefault(tuple(deepest), []).append(host)
    for folders, hosts in sorted(by_dirs.items(), key=lambda kv: natural_key(fold(kv[1]))):
        steps.append(Step("mkdir", hosts, fanout.exec_argv(cfg, hosts, ["mkdir", "-p", "--", *folders])))
    groups: dict = {}
    for host, path, entry in plan.send:
        key = (path, "link", entry["target"]) if entry.get("type") == "symlink" else (path, entry["sha256"], entry["mode"])
        groups.setdefault(key, ([], entry))[0].append(host)
    for key, (hosts, entry) in sorted(groups.items(), key=lambda kv: (kv[0][0], natural_key(fold(kv[1][0])))):
        path = key[0]
        if entry.get("type") == "symlink":
            argv = fanout.exec_argv(cfg, hosts, ["ln", "-sfn", "--", entry["target"], path])
            steps.append(Step("link", hosts, argv, [(path, file_state(entry), file_state(entry))]))
            continue
        shown, staged, data = sources.staged[key]
        argv = fanout.copy_argv(cfg, hosts, shown, path)
        state = file_state(entry, data, path)
        wrote = {**state, "shared": True} if path in shared else state
        steps.append(Step("copy", hosts, argv, [(path, state, wrote)], source=staged, sha256=entry["sha256"]))
    # pdcp, clush and rcp keep an existing file's owner: make every file sent root's, one call per node set
    sent: dict = {}
    for host, path, _ in plan.send:
        sent.setdefault(host, []).append(path)
    owners: dict = {}
    for host, paths in sent.items():
        owners.setdefault(tuple(sorted(paths)), []).append(host)
    for paths, hosts in sorted(owners.items(), key=lambda kv: natural_key(fold(kv[1]))):
        steps.append(Step("chown", hosts, fanout.exec_argv(cfg, hosts, ["chown", "-h", "root:root", "--", *paths])))
    return steps + _removal_steps(removals, cfg, sources) if removals is not None else steps


def _removal_steps(removals, cfg: dict, sources: Sources) -> list[Step]:
    import hashlib

    steps = []
    unblocked: dict = {}
    for host, path, data, mode in removals.unblock:
        unblocked.setdefault((path, hashlib.sha256(data).hexdigest(), mode), ([], data))[0].append(host)
    for (path, sha, mode), (hosts, data) in sorted(unblocked.items(), key=lambda kv: (kv[0], fold(kv[1][0]))):
        staged = sources.stage_bytes(path, data, int(mode, 8))
        argv = fanout.copy_argv(cfg, hosts, staged, path)
        steps.append(Step("unblock", hosts, argv, [(path, {"sha256": sha, "mode": mode}, None)], source=staged,
                          sha256=sha))
    for host, path in removals.forget:
        steps.append(Step("forget", [host], [], [(path, {"missing": True}, None)]))
    removes: dict = {}
    for host, path in removals.delete:
        removes.setdefault(path, []).append(host)
    for path, hosts in sorted(removes.items()):
        steps.append(Step("remove", hosts, fanout.exec_argv(cfg, hosts, ["rm", "-f", "--", path]),
                          [(path, None, None)]))
    return steps


def action_steps(plan: Plan, cfg: dict, sources: Sources, entries: dict, sent: set | None = None) -> list[Step]:
    """The follow-up actions of the files sent (sent: the (host, path) pairs that landed;
    None: all of the plan), one call per node set and wave."""
    order = {t: i for i, t in enumerate(ACTIONS)}
    wanted: dict = {}
    for host, path, entry in plan.send:
        if sent is not None and (host, path) not in sent:
            continue
        template = entry.get("template", "")
        data = sources.data(path, entry) if entry.get("type") != "symlink" else None
        command = action_for(template, path, config_version(path, data) if data else None)
        if command:
            wanted.setdefault((order.get(template, 99), command, ACTIONS[template].once_per_cell), []).append(host)
    cell_list = cells(entries)
    steps = []
    for (_, command, once), hosts in sorted(wanted.items()):
        for wave in waves(hosts, cell_list, once):
            steps.append(Step("action", wave, fanout.exec_argv(cfg, wave, command)))
    return steps


def run_steps(tree, steps: list[Step], actions, result: Pushed, echo) -> None:
    """Run the steps (the caller holds the tree's lock); record what each node received after each call.
    actions: a function of the (host, path) pairs that landed giving the action steps, or None."""
    nodes = read_record(tree)
    landed = set()
    for step in steps:
        if step.what != "forget":          # a record-only step: the node has nothing to take out
            _run_one(step, result, echo)
        ok = [h for h in step.hosts if h not in result.failed]
        if step.records and ok:
            for host in ok:
                node = nodes.setdefault(host, {"gathered": False, "files": {}})
                files, written = node.setdefault("files", {}), node.setdefault("written", {})
                for path, state, wrote in step.records:
                    landed.add((host, path))
                    for where, value in ((files, state), (written, wrote)):
                        if value is None:
                            where.pop(path, None)
                        else:
                            where[path] = value
            write_record(tree, nodes)
        result.done.update(ok)
    for step in (actions(landed) if actions else []):
        _run_one(step, result, echo)


def _run_one(step: Step, result: Pushed, echo) -> None:
    hosts = [h for h in step.hosts if h not in result.failed]
    if not hosts:
        return
    if hosts != step.hosts:      # a node failed earlier: this call leaves it out
        step.hosts = hosts
        step.argv = _renodes(step.argv, hosts)
    argv = list(step.argv)
    if step.what in ("copy", "unblock"):        # the verified, staged copy is what goes out
        from hagen.writes import Incomplete, verify

        try:
            verify(step.source, step.sha256)
        except Incomplete as exc:
            raise OutputError(f"the staged copy of {step.records[0][0]} changed before it was sent: {exc}",
                              hint="something else writes in the staging folder: push again")
        argv[argv.index("--copy") + 1 if "--copy" in argv else len(argv) - 2] = step.source
    echo(step.shown())
    outcome = fanout.run(argv, hosts)
    for host, msg in outcome.failed.items():
        result.failed[host] = f"{step.what}: {msg}"


def _renodes(argv: list[str], hosts: list[str]) -> list[str]:
    i = argv.index("-w")
    return argv[:i + 1] + [fold(sorted(hosts, key=natural_key))] + argv[i + 2:]
