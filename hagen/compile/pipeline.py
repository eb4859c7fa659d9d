"""The pipeline, end to end: load -> model -> check -> plan -> render -> emit.

compile_site() stops before emit and is what build, diff and render share, so that
nothing renders twice and every command sees the same bytes.

What the nodes hold (the record gather and push keep in the output store,
hagen.emit.nodes) is an input like the site spec: the caller reads it (read_nodes) and
passes it in, for the config_version the nodes hold and their own content of a shared
file. Compiling never reads it by itself, and imports nothing of deploy.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from hagen.emit import EmitResult, OutFile, OutputTree
from hagen.emit.nodes import Node
from hagen.load.site import SiteSpec
from hagen.base.errors import InputRefused
from hagen.base.reports import Severity, Where, error


@dataclass
class Compiled:
    site: object
    model: object
    artifacts: list
    files: list[OutFile]
    warnings: list = field(default_factory=list)
    source: object = None          # the ClusterDB source read (hagen.load.source.Source)


@contextmanager
def _rare_collections():
    """Compiling builds a few hundred thousand objects that live until the end (rows, model,
    plan) and make no garbage cycles to speak of; Python's cycle collector, at its default
    thresholds, scans them over and over as they pile up (a third of checking and planning
    at XL). While compiling it runs a hundred times less often; the thresholds come back after."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 70_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def load_and_check(site_path, db=None, snapshot=None, progress=None):
    """Site spec and ClusterDB read, model built, every check run, and the plan made (the checks
    that judge what hagen would write: shared_files, synchro), so that check, build and diff
    give one set of reports for the same inputs. Raises InputRefused on errors."""
    site, model, warnings, source, _ = checked(site_path, db, snapshot, progress)
    return site, model, warnings, source


def checked(site_path, db=None, snapshot=None, progress=None):
    """load_and_check, and the artifacts planned: (site, model, warnings, source, artifacts)."""
    with _rare_collections():
        return _load_and_check(site_path, db, snapshot, progress)


def _load_and_check(site_path, db, snapshot, progress):
    from hagen.base.progress import Progress
    from hagen.check import run_checks
    from hagen.check.accepted import sort_reports
    from hagen.check.site_values import dsn_password
    from hagen.base.errors import HagenError
    from hagen.load.secrets import read_secrets
    from hagen.load.site import load_site
    from hagen.load.source import choose_source, read_source
    from hagen.model.build import build_model

    progress = progress or Progress()         # a quiet one of its own: no timings kept across runs
    with progress.stage("reading the site spec and the ClusterDB"):
        # a path, or a SiteSpec the caller has loaded already (build reads it once)
        site = site_path if isinstance(site_path, SiteSpec) else load_site(site_path)
        site = read_secrets(site)     # once: check reports what is wrong, the planners use the values
        source = choose_source(db, snapshot, site)
        early = dsn_password(site)
        try:
            rows = read_source(source)
        except HagenError as exc:
            exc.reports += early
            raise
    artifacts = []
    with progress.stage("checking"):
        model, reports = build_model(rows)
        reports = early + reports
        if not any(r.severity is Severity.ERROR for r in reports):
            reports += run_checks(model, site)
        if not any(r.severity is Severity.ERROR for r in reports):
            artifacts, planned = _planned(model, site)
            reports += planned
        # every warning, the plan's (HA962, HA964) included, is judged against audit.accepted
        reports = sort_reports(site, model, reports)
    errors = [r for r in reports if r.severity is Severity.ERROR]
    warnings = [r for r in reports if r.severity is Severity.WARNING]
    if errors:
        raise InputRefused(f"{len(errors)} error(s) in the inputs: nothing was written",
                           reports=errors + warnings)
    return site, model, warnings, source, artifacts


def _planned(model, site) -> tuple[list, list]:
    """Every artifact, and the reports judged on the whole plan (whatever --host selects)."""
    from hagen.check.startlist import synchro_of_planned_files
    from hagen.load.secrets import fence_secret
    from hagen.model.mngt import management_pair
    from hagen.kinds.planning import plan

    secret, _ = fence_secret(site)
    artifacts = plan(model, site, secret)
    from hagen.compile.shared import shared_files_reports

    problems, shared_warnings = shared_files_reports(site, artifacts)
    problems += synchro_of_planned_files(site, artifacts, management_pair(model))
    return artifacts, problems + shared_warnings


def compile_site(site_path, tree: OutputTree, db=None, snapshot=None, hosts: set | None = None,
                 progress=None, nodes: Mapping[str, Node] | None = None) -> Compiled:
    """Everything a build would write, rendered and validated, against tree's current content
    and what the nodes hold (nodes: {host: Node}, hagen.emit.nodes.read_nodes of tree's store;
    None: nothing known of them); with hosts, only what those hosts get."""
    from hagen.base.progress import Progress

    progress = progress or Progress()         # a quiet one of its own: no timings kept across runs
    with _rare_collections():
        site, model, warnings, source, artifacts = checked(site_path, db, snapshot, progress)
        with progress.stage("planning and rendering"):
            return _compile(site, model, warnings, source, artifacts, tree, hosts, nodes or {})


def _compile(site, model, warnings, source, artifacts, tree, hosts, nodes: Mapping[str, Node]) -> Compiled:
    from hagen.kinds import registry
    from hagen.render import Renderer

    kinds = registry()
    problems: list = []
    # before rendering: too many hosts share a file for the file system's link limit
    links_refused(tree, {h for art in artifacts for h in art.hosts})
    if hosts is not None:
        artifacts = _only(artifacts, hosts)
    renderer = Renderer(kinds.template_folders())
    uses = Counter(art.template for art in artifacts)   # a template of one artifact renders once anyway
    files: list[OutFile] = []
    warnings = list(warnings)
    seen: dict = {}
    digests: dict = {}      # id(data) -> (data, sha256): the renderer hands out one bytes object per content
    blocks = [art for art in artifacts if art.block is not None]
    artifacts = [art for art in artifacts if art.block is None]
    for art in artifacts:
        kind = kinds.of_artifact(art)       # its validator and its revision
        if art.link_target is not None:
            data = art.link_target.encode()
        elif kind.versioned:
            data = _versioned(renderer, art, kind, tree, nodes)
        else:
            data = renderer.render(art.template, art.context, shared=uses[art.template] > 1)
        if kind.validate is not None and art.link_target is None:
            for msg in kind.validate(data):
                problems.append(error("HA900", Where(host=",".join(art.hosts)),
                                      f"{art.path} ({art.template}) failed validation: {msg}",
                                      "this is a hagen bug if every check passed: please report it with the inputs"))
        for host in art.hosts:
            if (host, art.path) in seen:
                problems.append(error("HA901", Where(host=host),
                                      f"{art.path} is planned twice ({seen[(host, art.path)]} and {art.template})",
                                      "this is a hagen bug: please report it with the inputs"))
                continue
            seen[(host, art.path)] = art.template
            known = digests.get(id(data))
            if known is None:
                known = digests[id(data)] = (data, hashlib.sha256(data).hexdigest())
            files.append(OutFile(host, art.path, data, 0o777 if art.link_target else art.mode, art.template,
                                 art.link_target, known[1]))
    from hagen.compile.shared import merged_blocks

    block_files, block_problems = merged_blocks(blocks, renderer, tree, {host for host, _ in seen}, nodes)
    files += block_files
    problems += block_problems
    from hagen.emit import confined

    problems += confined(files)       # a path of one file that is a folder of another, on one host
    if problems:
        raise InputRefused(f"{len(problems)} rendered file(s) refused: nothing was written", reports=problems)
    return Compiled(site, model, artifacts + blocks, files, warnings, source)


def links_refused(tree, hosts: set) -> None:
    """Every host's tree links the objects it shares (/etc/hosts: one object, a link per host):
    past the file system's limit of links per file (ext4: 65,000) the build would fail after
    minutes with "Too many links". Said before anything is rendered (HA123)."""
    import os

    folder = tree.store
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        limit = os.pathconf(folder, "PC_LINK_MAX")
    except (OSError, ValueError):
        return
    if limit > 0 and len(hosts) + 1 > limit:
        raise InputRefused("too many hosts for the file system of the output tree: nothing was written", reports=[
            error("HA123", Where(file=str(tree.out)), f"the build has {len(hosts)} hosts, and a file every host "
                  f"gets (/etc/hosts) needs as many links to one object, but the file system of {folder} allows "
                  f"{limit} links per file", "put --out on a file system with a higher link limit (XFS, btrfs, "
                  "tmpfs), or build in parts with --host")])


def _only(artifacts, hosts: set) -> list:
    """The artifacts restricted to some hosts. A cluster.conf is never split: its cell's
    nodes must agree on it, so a selection holding one node of a cell and not the other
    is refused."""
    from dataclasses import replace

    from hagen.base.nodesets import unknown_hosts_refused
    from hagen.kinds import registry

    unknown_hosts_refused(hosts, {h for art in artifacts for h in art.hosts})   # HA112: ns1x is no host
    kept, split = [], []
    for art in artifacts:
        chosen = tuple(h for h in art.hosts if h in hosts)
        if not chosen:
            continue
        if registry().of_artifact(art).versioned and len(chosen) != len(art.hosts):
            split.append(error("HA111", Where(host=",".join(art.hosts)),
                               f"--host takes {', '.join(chosen)} but not the other nodes that share {art.path}",
                               "add every node of the cell to --host, or build without it"))
            continue
        kept.append(art if len(chosen) == len(art.hosts) else replace(art, hosts=chosen))
    if split:
        raise InputRefused("--host would split a cell's cluster.conf: nothing was written", reports=split)
    return kept


def _versioned(renderer, art, fmt, tree: OutputTree, nodes: Mapping[str, Node]) -> bytes:
    """config_version: 1 for a first build; the previous one while the content is the same;
    the highest previous one plus 1 when it changed (on any host of the artifact). When the
    nodes' record (gather, push) says what the nodes hold: their version while they hold this
    very content, else the highest they hold plus 1 (or the tree's own, if higher), so that
    cman takes what push sends."""
    from hashlib import sha256

    # fmt: the artifact's kind (hagen.kinds), which owns its revision number
    probe = renderer.render(art.template, {**art.context, "config_version": 1})
    normal = fmt.normalised(probe)
    versions, same = [], True
    for host in art.hosts:
        previous = tree.read(host, art.path)
        if previous is None:
            same = False
            continue
        try:
            revision = fmt.version_of(previous)
        except ValueError:            # UnreadableVersion: an out tree edited by hand; the nodes' record decides
            revision = None
        if revision is None:
            same = False
            continue
        versions.append(revision)
        if fmt.normalised(previous) != normal:
            same = False
    if not versions:
        version = 1
    elif same:
        version = max(versions)
    else:
        version = max(versions) + 1
    held = [nodes[h].files[art.path] for h in art.hosts if h in nodes and art.path in nodes[h].files]
    known = [e.config_version for e in held if e.config_version is not None]
    if known:
        top = max(known)
        at_top = probe if top == 1 else renderer.render(art.template, {**art.context, "config_version": top})
        digest = sha256(at_top).hexdigest()
        if all(e.sha256 == digest for e in held):
            return at_top          # the nodes hold this very file: nothing to send
        version = max(version, top + 1)
    if version == 1:
        return probe
    from hagen.base.readback import MAX_CONFIG_VERSION

    if version > MAX_CONFIG_VERSION:        # cman keeps it in 32 bits: 2^32 would wrap to 0 on the nodes
        raise InputRefused(f"{art.path}'s config_version would pass cman's limit: nothing was written", reports=[
            error("HA969", Where(host=",".join(art.hosts)), f"{art.path}: the nodes or the tree hold config_version "
                  f"{version - 1}, and the next one would be {version}, beyond cman's {MAX_CONFIG_VERSION}",
                  "reset the cell's config_version by hand (cman_tool version on a stopped cell), then gather again")])
    return renderer.render(art.template, {**art.context, "config_version": version})


def build(site_path, out="out", db=None, snapshot=None, hosts: set | None = None, progress=None,
          nodes_of: Callable[[OutputTree], Mapping[str, Node]] | None = None) -> tuple[Compiled | None, EmitResult]:
    """Build into out. Returns (None, a no-op result) when the tree is up to date
    (hagen.compile.uptodate): nothing is read further, nothing written; the result carries the
    warnings the inputs gave when the tree was built, so that a no-op says what check says.
    nodes_of: reads what the nodes hold from out's store (hagen.emit.nodes.read_nodes, as
    `hagen build` passes), called once the tree is locked, so that no push can record
    anything between the read and the build; None: nothing is known of the nodes."""
    from contextlib import ExitStack
    from dataclasses import replace

    from hagen.compile.uptodate import noop_result
    from hagen.emit.store import ReadOnlyStore
    from hagen.load.site import load_site
    from hagen.load.source import choose_source

    tree = OutputTree(Path(out))
    with ExitStack() as held:
        try:
            held.enter_context(tree.lock())
        except ReadOnlyStore:
            # a store this process cannot write: a no-op build only reads it, so it still says so
            site = load_site(site_path) if hosts is None else None
            noop = site and noop_result(tree, site, choose_source(db, snapshot, site), reading=True)
            if noop is None:
                raise
            return None, noop
        site = load_site(site_path)
        source = choose_source(db, snapshot, site)
        fingerprint, intact = None, False
        if hosts is None:
            found = noop_result(tree, site, source)
            if isinstance(found, EmitResult):
                return None, found
            fingerprint, intact = found.fingerprint, found.intact is True
        from hagen.base.progress import Progress

        progress = progress or Progress()         # a quiet one of its own: no timings kept across runs
        nodes = nodes_of(tree) if nodes_of is not None else {}
        compiled = compile_site(site, tree, db, snapshot, hosts, progress, nodes)
        with progress.stage("writing the output tree"):
            result = tree.commit(compiled.files, keep_others=hosts is not None, intact=intact)
            tree.remember_inputs(fingerprint, compiled.warnings)
    return compiled, replace(result, source=source, warnings=tuple(compiled.warnings))

