"""What a build would change in a tree: the library behind `hagen diff` (the CLI parses and prints).

review(request) compares the build of the inputs with a tree (an output tree, or what gather
fetched from the nodes) and returns the changes, the removals a saved plan may hold, the
reports of the inputs and of the versions, and the ClusterDB source it read. It writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DiffRequest:
    site: Path
    against: Path                     # the tree compared with
    out: Path                         # the output tree push sends from
    db: str | None = None
    snapshot: Path | None = None
    only: set | None = None           # --host, as host names
    show_secrets: bool = False


@dataclass
class Review:
    result: object                    # hagen.review.diff.DiffResult
    source: object                    # hagen.load.source.Source
    warnings: list                    # what check and build say of these inputs
    version_reports: list = field(default_factory=list)   # config_version going down (HA-coded warnings)


def review(request: DiffRequest, make_progress=None) -> Review:
    """The changes a build of request's inputs would make in request.against. Against a gathered
    tree the build is the one push sends: compiled against --out (its config_version, and the
    nodes' record in its store), when there is one. make_progress(): a compile's progress."""
    from contextlib import ExitStack

    from hagen.base.nodesets import unknown_hosts_refused
    from hagen.deploy.gathered import ForeignTree
    from hagen.emit import OutputTree
    from hagen.review.diff import DiffResult

    against, out, only = request.against, request.out, request.only
    with ExitStack() as held:       # no build applies to a tree hagen wrote while diff reads it
        for folder in {against.resolve(): against, out.resolve(): out}.values():
            held.enter_context(OutputTree(folder).reading())
        tree = ForeignTree(against)
        tree.check_root()
        # one OutputTree for against throughout: its manifest is validated once (0.1 s at 10,000 nodes)
        against_tree = OutputTree(against)
        spec, hosts, intact, source, warnings = fast_path(request, against_tree)     # opens no file of it
        if hosts is not None:      # built from these very inputs, and intact: nothing to compile
            unknown_hosts_refused(only, hosts)
            return Review(DiffResult(str(against), len(hosts if only is None else hosts & only), []), source, warnings)
        return _compared(request, spec, tree, against_tree, intact, source, make_progress)


def _compared(request, spec, tree, against_tree, intact, source, make_progress) -> Review:
    from hagen.base.nodesets import unknown_hosts_refused
    from hagen.compile.pipeline import compile_site
    from hagen.deploy.gathered import ForeignTree
    from hagen.emit import OutputTree
    from hagen.emit.nodes import read_nodes
    from hagen.review.diff import diff_tree, versions_going_down
    from hagen.review.explain import secrets_of

    against, out, only = request.against, request.out, request.only
    known = intact_entries(against_tree, intact)
    # a FIFO or an unreadable file is refused before anything reads it (an intact output
    # tree holds only what its manifest says: no walk needed)
    present = set(known) if known is not None else tree.scan()
    base = out if out.resolve() != against.resolve() and OutputTree(out).current() is not None else against
    progress = make_progress() if make_progress else None
    compiled_against = against_tree if base is against else OutputTree(base)
    try:
        compiled = compile_site(spec or request.site, compiled_against, request.db,
                                str(request.snapshot) if request.snapshot else None, progress=progress,
                                nodes=read_nodes(compiled_against))
    finally:
        if progress is not None:
            progress.close()
    unknown_hosts_refused(only, {f.host for f in compiled.files})
    files = [f for f in compiled.files if only is None or f.host in only]
    # an intact output tree's manifest lists what hagen wrote there: known already
    managed = set(known) if known is not None else (tree.managed() or set())
    if out.is_dir() and out.resolve() != against.resolve():
        managed |= ForeignTree(out).managed() or set()
    # a gathered tree's mark knows what each copy gather wrote holds, while it is unchanged
    result = diff_tree(files, tree, secrets_of(compiled), request.show_secrets, managed, present,
                       known if known is not None else tree.known())
    problems: list = []
    record = read_nodes(OutputTree(out), problems)
    versions = problems + versions_going_down(result.sends, tree, record)
    result.removes = vouched(result.removes, compiled.files, record, OutputTree(out))
    return Review(result, source, compiled.warnings, versions)


def vouched(removes, files, record, tree) -> list:
    """The removals a saved plan may hold: those push would make (hagen.deploy.removals), so
    that a reviewed plan is never one push refuses for a file hagen never wrote."""
    from hagen.deploy.removals import resolve

    taken = resolve(removes, {(f.host, f.path): None for f in files}, record, tree)
    allowed = set(taken.delete) | {(h, p) for h, p, _, _ in taken.unblock} | set(taken.forget)
    return [r for r in removes if r in allowed]


def intact_entries(tree, intact: bool | None) -> dict | None:
    """{(host, path): entry} of an output tree hagen wrote and nobody changed since (its
    store's record of every object and link holds); None for anything else, a gathered
    tree included, whose files diff then reads one by one. intact: what the fast path
    found of it already (None: not looked at). tree: an OutputTree."""
    from hagen.emit import expand

    manifest = tree.manifest()
    if manifest is None or intact is False or (intact is None and not tree.intact()):
        return None
    return expand(manifest)


def fast_path(request: DiffRequest, against_tree):
    """(the site spec, loaded, for the compile; the hosts of the tree when it is up to date
    with the inputs (hagen.compile.uptodate) and its record says the warnings they give, else None;
    whether the tree is intact, when that was looked at, else None; the ClusterDB source; the
    warnings recorded). A store that does not validate (a hand-edited manifest, hosts:
    "ns[0-") gives no hosts: the fast path is an optimisation, never a reason to fail."""
    from ClusterShell.NodeSet import NodeSet

    from hagen.base.errors import HagenError
    from hagen.compile.uptodate import verdict
    from hagen.load.site import load_site
    from hagen.load.source import choose_source

    spec = load_site(request.site)
    source = choose_source(request.db, str(request.snapshot) if request.snapshot else None, spec)
    try:
        found = verdict(against_tree, spec, source, lazy=True)
        warnings = against_tree.remembered_warnings() if found.up_to_date else None
        if warnings is None:
            return spec, None, found.intact, source, []
        return spec, set(NodeSet(found.manifest["hosts"])), found.intact, source, warnings
    except HagenError:
        raise
    except Exception:
        return spec, None, None, source, []
