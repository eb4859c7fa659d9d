"""One push, start to end: the library behind `hagen push` (the CLI parses and prints only).

    with session(request, make_progress) as s:    # the output tree locked throughout
        s.source, s.vanished                      # what push compared the tree with; left behind
        reports = s.refuse_shared()               # removals vouched for; shared files a node cannot take
        planned = s.plan()                        # config_version checked; the steps and actions
        s.send(planned, progress)                 # the fan-out, per-node results in s.result

Nothing is sent when a check refuses (but a shared file refused for one node: that node is
reported and the others served).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class PushRequest:
    """What `hagen push` was asked: where from, which nodes, what to do beyond sending."""

    site: Path
    out: Path
    db: str | None = None
    snapshot: Path | None = None
    plan: Path | None = None          # a reviewed plan (diff --save-plan) sent exactly
    prune: bool = False
    reload: bool = False
    only: set | None = None           # -w, as host names
    skip: set | None = None           # -x
    dry_run: bool = False             # shows, sends nothing: reads the tree under the readers' lock


@dataclass
class Planned:
    steps: list
    actions: list


@dataclass
class PushSession:
    request: PushRequest
    tree: object
    spec: object
    cfg: object
    entries: dict
    record: dict
    chosen: object
    source: object = None             # the ClusterDB source compared with; None with --plan
    vanished: list = field(default_factory=list)
    result: object = None
    _sources: object = None
    _taken: object = None
    warnings: list = field(default_factory=list)     # the record's own (HA971), for the caller to print

    def refuse_shared(self) -> list:
        """Vouch for every removal (refused whole, nothing sent, when one is not hagen's to make),
        then take out of the plan each shared file a node's copy cannot take (HA966 reports:
        that node is reported, the others served)."""
        from hagen.base.errors import InputRefused
        from hagen.deploy import push as pushing
        from hagen.deploy import removals

        chosen, where = self.chosen, str(self.request.plan) if self.request.plan else ""
        self._taken = removals.resolve(chosen.remove, self.entries, self.record, self.tree, where, chosen.remove_keys)
        if self._taken.problems:
            raise InputRefused("a removal is not one hagen may make: nothing was sent", reports=self._taken.problems)
        self._sources = pushing.Sources(self.tree, chosen)
        refused = removals.refused_shared(chosen.send, self._shared(), self.tree, self.record, self._sources.data)
        if refused:
            chosen.send = [s for s in chosen.send if (s[0], s[1]) not in refused]
            for (host, path), why in refused.items():
                self.result.refused.setdefault(host, f"{path} not sent (HA966): {why}")
        return [removals.shared_problem(h, p, why) for (h, p), why in sorted(refused.items())]

    def plan(self) -> Planned:
        """The steps and actions of the plan, once no config_version would go down (refused otherwise)."""
        from hagen.deploy import push as pushing

        if self._sources is None:
            self.refuse_shared()
        pushing.check_versions(self.chosen, self._sources, self.record)
        return Planned(pushing.steps_of(self.chosen, self.cfg, self._sources, self._taken, self._shared()),
                       pushing.action_steps(self.chosen, self.cfg, self._sources, self.entries))

    def _shared(self) -> set:
        return set(self.spec.get("shared_files") or [])

    def send(self, planned: Planned, progress) -> None:
        """Run the steps, then (with reload) each landed file's action; per-node outcomes in result."""
        from hagen.deploy import push as pushing

        chosen, cfg, sources, entries = self.chosen, self.cfg, self._sources, self.entries
        actions = (lambda landed: pushing.action_steps(chosen, cfg, sources, entries, landed)) \
            if self.request.reload else None
        pushing.run_steps(self.tree, planned.steps, actions, self.result, progress)

    def close(self) -> None:
        if self._sources is not None:
            self._sources.close()


@contextmanager
def session(request: PushRequest, make_progress=None):
    """The push of request, its output tree locked from what push reads to what it sends: no
    build changes the tree in between. Without a plan the tree must be what the inputs build
    now (HA941). make_progress() gives the progress of a compile, when one is needed. A dry run
    writes nothing, so it holds the readers' lock: it works on a read-only store, as diff does."""
    from hagen.base.errors import InputRefused
    from hagen.base.reports import Where, error
    from hagen.deploy import plan as plans
    from hagen.deploy import push as pushing
    from hagen.deploy.fanout import settings
    from hagen.deploy.state import checked_manifest
    from hagen.emit import OutputTree
    from hagen.emit.nodes import read_nodes
    from hagen.load.site import load_site
    from hagen.load.source import choose_source

    spec = load_site(request.site)
    cfg = settings(spec)
    tree = OutputTree(request.out)
    with tree.reading() if request.dry_run else tree.lock("push"):
        entries = checked_manifest(tree)
        plans.selection_refused(request.only, request.skip, {h for h, _ in entries})
        record_problems: list = []
        record = read_nodes(tree, record_problems)
        source, vanished = None, []
        if request.plan is not None:
            chosen = plans.from_file(plans.read_plan(request.plan), entries, str(request.plan),
                                     request.only, request.skip)
        else:
            source = choose_source(request.db, str(request.snapshot) if request.snapshot else None, spec)
            if stale(spec, tree, source, request, make_progress, record):
                out = request.out
                raise InputRefused("the output tree is not what the inputs build now: nothing was sent", reports=[
                    error("HA941", Where(file=str(out)), f"{out} is not what a build makes now (the site spec, "
                          "the ClusterDB, a secret, hagen, or the versions the nodes hold changed since)",
                          "run `hagen build` (and `hagen diff`) first")])
            chosen, vanished = plans.from_tree(entries, record, request.only, request.skip, request.prune)
        opened = PushSession(request, tree, spec, cfg, entries, record, chosen, source,
                             [] if request.prune else vanished, pushing.Pushed(skipped=set(chosen.up_to_date)),
                             warnings=record_problems)
        try:
            yield opened
        finally:
            opened.close()


def stale(spec, tree, source, request: PushRequest, make_progress=None, nodes=None) -> bool:
    """Whether the output tree differs from what the inputs build now (fast when the tree was
    built from byte-identical inputs and is intact). nodes: what the nodes hold (the record
    push read), an input of the build like the site spec."""
    from hagen.compile.pipeline import compile_site
    from hagen.compile.uptodate import verdict
    from hagen.emit import manifest_of

    if verdict(tree, spec, source, lazy=True).up_to_date:
        return False
    progress = make_progress() if make_progress else None
    try:
        compiled = compile_site(spec, tree, request.db, str(request.snapshot) if request.snapshot else None,
                                progress=progress, nodes=nodes or {})
    finally:
        if progress is not None:
            progress.close()
    return manifest_of(compiled.files) != tree.manifest()


def step_document(step) -> dict:
    """A copy, mkdir, link... or a --reload action, for JSON: its node set and argument list."""
    from hagen.model.names import fold, natural_key

    return {"what": step.what, "hosts": fold(sorted(step.hosts, key=natural_key)), "argv": list(step.argv),
            "source": step.source, "shown": step.shown()}


def source_document(source, out) -> dict:
    """The ClusterDB source a push compared its tree with, as its summary line on stderr says it
    (the DSN without its password, or the snapshot's path with its export time); with a plan,
    none: the plan was reviewed against the source diff named."""
    if source is None:
        return {"source": None, "summary": "a reviewed plan, as diff --save-plan wrote it"}
    return {"source": source.to_json(), "summary": up_to_date_line(out, source)}


def up_to_date_line(out, source) -> str:
    return f"{out} is up to date with {source.summary}"


def pushed_document(result) -> dict:
    """What a push did, for JSON (push --format json): the node sets of each outcome (as the
    text form's table), each failure's and refusal's message."""
    from hagen.model.names import fold, natural_key

    def folded(hosts) -> str:
        return fold(sorted(hosts, key=natural_key))

    failed = {h: m for h, m in result.failed.items() if h not in result.hung and h not in result.unreachable}
    return {
        "done": folded(result.done - set(result.failed)),
        "failed": dict(sorted(failed.items(), key=lambda kv: natural_key(kv[0]))),
        "hung": folded(h for h in result.failed if h in result.hung),
        "unreachable": folded(h for h in result.failed if h in result.unreachable and h not in result.hung),
        "refused": dict(sorted(result.refused.items(), key=lambda kv: natural_key(kv[0]))),
        "skipped": folded(result.skipped),
    }
