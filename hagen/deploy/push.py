"""hagen push: send a plan to the nodes, node by node results, resumable.

Before anything is sent, every source file is staged (hagen.deploy.staging: read from
the output tree without following a link, checked against its manifest, copied to a
private folder): what the fan-out tool sends is those verified bytes, whatever happens
to the tree meanwhile. A cluster.conf whose config_version is not greater than what its
node holds is refused (HA943).

Then, holding the output tree's lock: the folders the record does not say a node has
(mkdir -p, one call per node set), each distinct file (one copy per content, path and
mode, to the folded node set of its hosts), then one call per node set that makes its
links and verifies what was sent (the owner, root, and each sent file's mode and sha256
as the node reports it), removals (one call per node set). A node's success is seen,
never inferred from the tool's exit status (hagen.deploy.fanout): a node whose command
did not say 0, that the tool names in an error line, that hung, or that reports a file
other than the one sent is marked failed with the message and left out of every later
call; the others go on. The record (hagen.emit.nodes) takes only what a node confirmed
(a file or a link once verified, a removal once its command said 0), journaled as each
call ends and written once at the end, so that a rerun sends only what is missing. With
reload, each action the confirmed files imply (hagen.deploy.actions) runs once per node
set, as often as its kind says (hagen.kinds).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import shlex
from dataclasses import dataclass, field, replace

from hagen.deploy import fanout
from hagen.deploy.actions import action_for, cells, wanted_actions, waves
from hagen.deploy.plan import Plan
from hagen.deploy.staging import Sources          # noqa: F401  (push.Sources: what callers name)
from hagen.deploy.state import file_state
from hagen.emit.manifest import same_file
from hagen.emit.nodes import MISSING, FileState, Node, journal, journal_exists, read_nodes, write_nodes
from hagen.base.errors import InputRefused, OutputError
from hagen.model.names import fold, natural_key
from hagen.base.reports import Where, error


@dataclass
class Step:
    what: str                      # mkdir, copy, link, verify, unblock, forget, remove, action
    hosts: list[str]
    argv: list[str]                # as shown; the call itself is made when the step runs
    records: list = field(default_factory=list)    # (path, state the node holds, what hagen wrote): None drops
    source: str | None = None      # copy: the staged copy sent (argv shows the tree's path)
    remote: str | None = None      # the remote command (every step but copy)
    cfg: dict = field(default_factory=dict)
    dest: str | None = None        # copy: the path on the nodes
    checks: list = field(default_factory=list)      # verify: the files whose sha256 the nodes report
    sha256: str | None = None      # copy: of the staged copy, checked again just before it goes

    def shown(self) -> str:
        import shlex

        return shlex.join(self.argv)


def _exec(what: str, cfg: dict, hosts, remote, records=None) -> Step:
    text = remote if isinstance(remote, str) else shlex.join(remote)
    return Step(what, list(hosts), fanout.exec_argv(cfg, hosts, text), records or [], remote=text, cfg=cfg)


@dataclass
class Pushed:
    done: set = field(default_factory=set)
    failed: dict = field(default_factory=dict)     # host -> message
    hung: set = field(default_factory=set)         # failed for no answer within the timeouts
    unreachable: set = field(default_factory=set)  # failed without any answer (no status line)
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
            status = "hung" if set(hosts) <= self.hung else "unreachable" if set(hosts) <= self.unreachable \
                else "failed"
            rows.append((status, fold(sorted(hosts, key=natural_key)), msg))
        for host, msg in sorted(self.refused.items(), key=lambda kv: natural_key(kv[0])):
            rows.append(("refused", host, msg))
        if self.skipped:
            rows.append(("skipped", fold(sorted(self.skipped, key=natural_key)), "up to date"))
        from hagen.base.reports import one_line

        width = max((len(r[1]) for r in rows), default=0)
        return [f"{status:<8} {nodes:<{width}}  {one_line(msg)}".rstrip() for status, nodes, msg in rows]


def check_versions(plan: Plan, sources: Sources, nodes: dict[str, Node]) -> None:
    """Refuse (HA943) a versioned file (cluster.conf) whose revision is not greater than the
    one its node holds, or when the node's file was gathered but its revision could not be
    read (hagen.base.readback): cman would refuse it, or an older one would replace a newer."""
    problems = []
    for host, path, entry in plan.send:
        if entry.is_link:
            continue
        new = sources.version(path, entry)
        if new is None:
            continue
        have = (nodes.get(host) or Node()).files.get(path) or FileState()
        if have.unusable is not None:
            problems.append(error("HA943", Where(host=host), f"{path} on {host} was gathered but hagen cannot "
                                  f"know its config_version: {have.unusable}",
                                  f"look at {path} on {host}; fix or remove it, then `hagen gather` again"))
        elif have.config_version is not None and new <= have.config_version:
            problems.append(error("HA943", Where(host=host),
                                  f"{path} has config_version {new}, but {host} holds {have.config_version}: "
                                  "cman would refuse it",
                                  "run `hagen gather` then `hagen build`: the build takes the version from the nodes"))
    if problems:
        raise InputRefused("a cluster.conf would not be newer than the node's: nothing was sent", reports=problems)


def verify_script(paths: list[str], files: list[str], links=()) -> str:
    """Make each link (ln -sfn), make what was sent root's (pdcp, clush and rcp keep an
    existing file's owner), then report each sent file's mode (`hagen-mode MODE`, stat) and
    sha256 (sha256sum), in the order given: what push records is what the node said it
    holds. One call per node, whatever the number of files; one link not made or one
    missing file fails the whole node."""
    made = [shlex.join(["ln", "-sfn", "--", target, path]) for path, target in links]
    text = " && ".join([*made, shlex.join(["chown", "-h", "root:root", "--", *paths])])
    if files:
        text += " && " + shlex.join(["stat", "-c", "hagen-mode %a", "--", *files]) \
            + " && " + shlex.join(["sha256sum", "--", *files])
    return text


def steps_of(plan: Plan, cfg: dict, sources: Sources, removals=None, shared=frozenset()) -> list[Step]:
    """The calls that send plan: folders the record does not know the node has, files, then
    one call per node set that makes its links and verifies what was sent, then what
    removals (hagen.deploy.removals.Removals, checked) takes away: a file deleted, or a
    shared file sent back without hagen's blocks. shared: the paths that are managed blocks."""
    steps = _mkdir_steps(plan, cfg)
    groups: dict = {}
    for host, path, entry in plan.send:
        if not entry.is_link:
            groups.setdefault((path, entry.sha256, entry.mode), ([], entry))[0].append(host)
    for key, (hosts, entry) in sorted(groups.items(), key=lambda kv: (kv[0][0], natural_key(fold(kv[1][0])))):
        path = key[0]
        shown, staged, data = sources.staged[key]
        state = file_state(entry, data, path)
        wrote = replace(state, shared=True) if path in shared else state
        steps.append(Step("copy", hosts, fanout.copy_argv(cfg, hosts, shown, path), [(path, state, wrote)],
                          source=staged, cfg=cfg, dest=path, sha256=entry.sha256))
    # one call per node set: its links made, then what each node holds confirmed from the node itself
    sent: dict = {}
    for host, path, entry in plan.send:
        sent.setdefault(host, []).append((path, entry.target if entry.is_link else None))
    owners: dict = {}
    for host, items in sent.items():
        owners.setdefault(tuple(sorted(items)), []).append(host)
    for items, hosts in sorted(owners.items(), key=lambda kv: natural_key(fold(kv[1]))):
        links = [(p, t) for p, t in items if t is not None]
        files = [p for p, t in items if t is None]
        made = [(p, FileState(target=t)) for p, t in links]
        step = _exec("verify", cfg, hosts, verify_script([p for p, _ in items], files, links),
                     [(p, state, state) for p, state in made])
        step.checks = files
        steps.append(step)
    return steps + _removal_steps(removals, cfg, sources) if removals is not None else steps


def _mkdir_steps(plan: Plan, cfg: dict) -> list[Step]:
    """mkdir -p of the deepest folders each node needs and the record does not say it has,
    one call per node set."""
    dirs: dict = {}
    for host, path, _ in plan.send:
        folder = posixpath.dirname(path)
        if folder not in plan.folders.get(host, ()):
            dirs.setdefault(host, set()).add(folder)
    by_dirs: dict = {}
    for host, folders in dirs.items():
        deepest = sorted(d for d in folders if d != "/" and not any(o.startswith(d + "/") for o in folders))
        if deepest:
            by_dirs.setdefault(tuple(deepest), []).append(host)
    return [_exec("mkdir", cfg, hosts, ["mkdir", "-p", "--", *folders])
            for folders, hosts in sorted(by_dirs.items(), key=lambda kv: natural_key(fold(kv[1])))]


def _removal_steps(removals, cfg: dict, sources: Sources) -> list[Step]:
    """A shared file sent back without hagen's blocks (then verified like any copy), a record
    entry forgotten, a file hagen wrote deleted."""
    steps = []
    unblocked: dict = {}
    for host, path, data, mode in removals.unblock:
        unblocked.setdefault((path, hashlib.sha256(data).hexdigest(), mode), ([], data))[0].append(host)
    for (path, sha, mode), (hosts, data) in sorted(unblocked.items(), key=lambda kv: (kv[0], fold(kv[1][0]))):
        staged = sources.stage_bytes(path, data, int(mode, 8))
        steps.append(Step("unblock", hosts, fanout.copy_argv(cfg, hosts, staged, path),
                          [(path, FileState(sha, mode), None)], source=staged, cfg=cfg, dest=path,
                          sha256=sha))
        verify = _exec("verify", cfg, hosts, verify_script([path], [path]))
        verify.checks = [path]
        steps.append(verify)
    for host, path in removals.forget:
        steps.append(Step("forget", [host], [], [(path, MISSING, None)]))
    removes: dict = {}
    for host, path in removals.delete:
        removes.setdefault(host, []).append(path)
    by_paths: dict = {}
    for host, paths in removes.items():
        by_paths.setdefault(tuple(sorted(paths)), []).append(host)
    for paths, hosts in sorted(by_paths.items(), key=lambda kv: natural_key(fold(kv[1]))):
        steps.append(_exec("remove", cfg, hosts, ["rm", "-f", "--", *paths], [(p, None, None) for p in paths]))
    return steps


def action_steps(plan: Plan, cfg: dict, sources: Sources, entries: dict, sent: set | None = None) -> list[Step]:
    """The follow-up actions of the files sent (sent: the (host, path) pairs that landed;
    None: all of the plan), one call per node set and wave."""
    landed = []
    for host, path, entry in plan.send:
        if sent is not None and (host, path) not in sent:
            continue
        template = entry.template
        if action_for(template, path, None) is None:
            continue
        # read once per content, however many hosts it goes to (hagen.deploy.staging)
        landed.append((host, path, template, sources.version(path, entry) if not entry.is_link else None))
    cell_list = cells(entries)
    steps = []
    for command, runs, hosts in wanted_actions(landed):
        for wave in waves(hosts, cell_list, runs):
            steps.append(_exec("action", cfg, wave, command))
    return steps


def run_steps(tree, steps: list[Step], actions, result: Pushed, echo) -> None:
    """Run the steps (the caller holds the tree's lock). The record takes only what a node
    confirmed: a removal whose command said 0, a copy or a link once the verification step
    saw the node hold what was sent. What each call confirmed goes to the record's journal
    at once, and the record is written once, at the end (hagen.emit.nodes). actions: a
    function of the (host, path) pairs that landed giving the action steps, or None."""
    nodes = read_nodes(tree)
    if journal_exists(tree):          # a push killed midway: fold what it confirmed in first
        write_nodes(tree, nodes)
    sent: dict = {}            # host -> {path: (state, wrote)}: copied, not yet confirmed
    landed: set = set()
    try:
        for step in steps:
            if step.what == "forget":          # a record-only step: the node has nothing to take out
                _remember(tree, nodes, {h: step.records for h in step.hosts if h not in result.failed}, landed)
                continue
            outcome = _run_one(step, result, echo)
            if outcome is None:
                continue
            _take(tree, step, outcome, sent, nodes, landed, result)
            result.done.update(h for h in step.hosts if h not in result.failed)
    finally:
        if landed:
            write_nodes(tree, nodes, changed={host for host, _ in landed})
    for step in (actions(landed) if actions else []):
        _run_one(step, result, echo)


def _take(tree, step: Step, outcome, sent: dict, nodes: dict, landed: set, result: Pushed) -> None:
    """What the step's outcome tells of each node, remembered."""
    if step.what in ("copy", "unblock"):
        for host in step.hosts:
            if host not in result.failed:
                sent.setdefault(host, {}).update((path, (state, wrote)) for path, state, wrote in step.records)
        return
    if step.what == "verify":
        confirmed = {h: _confirmed(step, outcome.output.get(h, []), sent.get(h, {}), result, h)
                     for h in sorted(outcome.ok) if h not in result.failed}
        # the links of a node whose marker said 0 were made; its files, those it reported as sent
        records = {h: [*step.records, *((path, *pair) for path, pair in c.items())]
                   for h, c in confirmed.items() if c or step.records}
    elif step.records:
        records = {h: step.records for h in sorted(outcome.ok)}
    else:
        return
    _remember(tree, nodes, records, landed)


def _remember(tree, nodes: dict[str, Node], records: dict, landed: set) -> None:
    """records: host -> [(path, state the node holds, what hagen wrote there)]; None drops.
    Journaled at once: a push killed after this call keeps it."""
    if not records:
        return
    journal(tree, records)
    for host, items in records.items():
        nodes[host] = (nodes.get(host) or Node()).took(items)
        landed.update((host, path) for path, _, _ in items)


_SUM = re.compile(r"\\?([0-9a-f]{64})  ")


def _confirmed(step: Step, lines: list[str], expected: dict, result: Pushed, host: str) -> dict:
    """{path: (state, what hagen wrote)} of the files the node reported as sent; the node failed for any other."""
    modes = [line.split()[1] for line in lines if line.startswith("hagen-mode ") and len(line.split()) == 2]
    sums = [m.group(1) for m in map(_SUM.match, lines) if m]
    good, bad = {}, []
    for i, path in enumerate(step.checks):
        state = (expected.get(path) or (None, None))[0]
        mode = modes[i] if len(modes) == len(step.checks) else ""
        digest = sums[i] if len(sums) == len(step.checks) else ""
        reported = FileState(digest, f"{int(mode, 8):04o}") if mode.isdigit() and set(mode) <= set("01234567") \
            and len(mode) <= 4 else None
        if same_file(reported, state):
            good[path] = expected[path]
        else:
            bad.append(path)
    if bad:
        result.failed[host] = f"verify: {bad[0]} on the node is not what was sent" + \
            (f" (and {len(bad) - 1} more)" if len(bad) > 1 else "")
    return good


def _run_one(step: Step, result: Pushed, echo):
    hosts = [h for h in step.hosts if h not in result.failed]
    if not hosts:
        return None
    if hosts != step.hosts:      # a node failed earlier: this call leaves it out
        step.hosts = hosts
        step.argv = _renodes(step.argv, hosts)
    echo(step.shown())
    if step.what in ("copy", "unblock"):        # the verified, staged copy is what goes out
        from hagen.base.writes import Incomplete, verify

        try:
            verify(step.source, step.sha256)
        except Incomplete as exc:
            raise OutputError(f"the staged copy of {step.records[0][0]} changed before it was sent: {exc}",
                              hint="something else writes in the staging folder: push again")
        outcome = fanout.run_copy(step.cfg, hosts, step.source, step.dest, shown=None)
    else:
        outcome = fanout.run_exec(step.cfg, hosts, step.remote)
    for host, msg in outcome.failed.items():
        # a verification makes the node set's links first: a link not made says so
        what = "link" if step.what == "verify" and msg.startswith("ln: ") else step.what
        result.failed[host] = f"{what}: {msg}"
        if host in outcome.hung:
            result.hung.add(host)
        if host in outcome.unreachable:
            result.unreachable.add(host)
    return outcome


def _renodes(argv: list[str], hosts: list[str]) -> list[str]:
    i = argv.index("-w")
    return argv[:i + 1] + [fold(sorted(hosts, key=natural_key))] + argv[i + 2:]
