"""The pipeline, end to end: load -> model -> check -> plan -> render -> emit.

compile_site() stops before emit and is what build, diff and render share, so that
nothing renders twice and every command sees the same bytes.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hagen.emit import EmitResult, OutFile, OutputTree
from hagen.load.site import SiteSpec
from hagen.errors import InputRefused
from hagen.reports import Severity, Where, error

_VERSION = re.compile(rb'(<cluster\b[^>]*?\bconfig_version=")(\d+)(")')


@dataclass
class Compiled:
    site: object
    model: object
    artifacts: list
    files: list[OutFile]
    warnings: list = field(default_factory=list)
    source: str = ""


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
    """Site spec and ClusterDB read, model built, every check run. Raises InputRefused on errors."""
    with _rare_collections():
        return _load_and_check(site_path, db, snapshot, progress)


def _load_and_check(site_path, db, snapshot, progress):
    from hagen.progress import QUIET
    from hagen.check import run_checks
    from hagen.load.site import load_site
    from hagen.load.source import choose_source, read_source
    from hagen.model.build import build_model

    progress = progress or QUIET
    with progress.stage("reading the site spec and the ClusterDB"):
        # a path, or a SiteSpec the caller has loaded already (build reads it once)
        site = site_path if isinstance(site_path, SiteSpec) else load_site(site_path)
        source = choose_source(db, snapshot, site)
        rows = read_source(source)
    with progress.stage("checking"):
        model, reports = build_model(rows)
        if not any(r.severity is Severity.ERROR for r in reports):
            reports += run_checks(model, site)
    errors = [r for r in reports if r.severity is Severity.ERROR]
    warnings = [r for r in reports if r.severity is Severity.WARNING]
    if errors:
        raise InputRefused(f"{len(errors)} error(s) in the inputs: nothing was written",
                           reports=errors + warnings)
    return site, model, warnings, source


def compile_site(site_path, tree: OutputTree, db=None, snapshot=None, hosts: set | None = None,
                 progress=None) -> Compiled:
    """Everything a build would write, rendered and validated, against tree's current content;
    with hosts, only what those hosts get."""
    from hagen.progress import QUIET

    progress = progress or QUIET
    with _rare_collections():
        site, model, warnings, source = load_and_check(site_path, db, snapshot, progress)
        with progress.stage("planning and rendering"):
            return _compile(site, model, warnings, source, tree, hosts)


def _compile(site, model, warnings, source, tree, hosts) -> Compiled:
    from hagen.load.secrets import read_fence_password
    from hagen.plan import plan_all
    from hagen.render import Renderer
    from hagen.render.validate import validate

    secret, _ = read_fence_password(site)
    artifacts = plan_all(model, site, secret)
    if hosts is not None:
        artifacts = _only(artifacts, hosts)
    renderer = Renderer()
    uses = Counter(art.template for art in artifacts)   # a template of one artifact renders once anyway
    files: list[OutFile] = []
    problems = []
    seen: dict = {}
    digests: dict = {}      # id(data) -> (data, sha256): the renderer hands out one bytes object per content
    for art in artifacts:
        if art.link_target is not None:
            data = art.link_target.encode()
        elif art.versioned:
            data = _versioned(renderer, art, tree)
        else:
            data = renderer.render(art.template, art.context, shared=uses[art.template] > 1)
        if art.validator:
            for msg in validate(art.validator, data):
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
    from hagen.emit import confined

    problems += confined(files)       # a path of one file that is a folder of another, on one host
    if problems:
        raise InputRefused(f"{len(problems)} rendered file(s) refused: nothing was written", reports=problems)
    return Compiled(site, model, artifacts, files, warnings, source.display)


def _only(artifacts, hosts: set) -> list:
    """The artifacts restricted to some hosts. A cluster.conf is never split: its cell's
    nodes must agree on it, so a selection holding one node of a cell and not the other
    is refused."""
    from dataclasses import replace

    kept, split = [], []
    for art in artifacts:
        chosen = tuple(h for h in art.hosts if h in hosts)
        if not chosen:
            continue
        if art.versioned and len(chosen) != len(art.hosts):
            split.append(error("HA111", Where(host=",".join(art.hosts)),
                               f"--host takes {', '.join(chosen)} but not the other nodes that share {art.path}",
                               "add every node of the cell to --host, or build without it"))
            continue
        kept.append(art if len(chosen) == len(art.hosts) else replace(art, hosts=chosen))
    if split:
        raise InputRefused("--host would split a cell's cluster.conf: nothing was written", reports=split)
    return kept


def _versioned(renderer, art, tree: OutputTree) -> bytes:
    """config_version: 1 for a first build; the previous one while the content is the same;
    the highest previous one plus 1 when it changed (on any host of the artifact)."""
    probe = renderer.render(art.template, {**art.context, "config_version": 1})
    normal = _VERSION.sub(rb"\g<1>0\g<3>", probe, count=1)
    versions, same = [], True
    for host in art.hosts:
        previous = tree.read(host, art.path)
        if previous is None:
            same = False
            continue
        m = _VERSION.search(previous)
        if not m:
            same = False
            continue
        versions.append(int(m.group(2)))
        if _VERSION.sub(rb"\g<1>0\g<3>", previous, count=1) != normal:
            same = False
    if not versions:
        version = 1
    elif same:
        version = max(versions)
    else:
        version = max(versions) + 1
    if version == 1:
        return probe
    return renderer.render(art.template, {**art.context, "config_version": version})


def build(site_path, out="out", db=None, snapshot=None, hosts: set | None = None,
          progress=None) -> tuple[Compiled | None, EmitResult]:
    """Build into out. Returns (None, a no-op result) when the tree is up to date
    (hagen.uptodate): nothing is read further, nothing written."""
    from hagen.load.site import load_site
    from hagen.load.source import choose_source

    tree = OutputTree(Path(out))
    with tree.lock():
        site = load_site(site_path)
        fingerprint = None
        if hosts is None:
            from hagen.uptodate import hosts_and_files, verdict

            found = verdict(tree, site, choose_source(db, snapshot, site))
            if found.up_to_date:
                host_count, file_count = hosts_and_files(found.manifest)
                return None, EmitResult(file_count, host_count, 0, 0, 0, tree.current().name, True)
            fingerprint = found.fingerprint
        from hagen.progress import QUIET

        progress = progress or QUIET
        compiled = compile_site(site, tree, db, snapshot, hosts, progress)
        with progress.stage("writing the output tree"):
            result = tree.commit(compiled.files, keep_others=hosts is not None)
            tree.remember_inputs(fingerprint)
    return compiled, result
