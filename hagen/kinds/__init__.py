"""Artifact kinds: everything hagen knows of one kind of file, in one object.

A Kind declares, in one place: the templates that render it (the manifest records which),
and for a kind hagen.plan's domain planners do not plan, its planner per target and the
folder its templates live in; the targets that write it; how a file of it is recognised
without its template (a gathered file, the old side of a diff); its validator (run on what
was rendered, before anything is written) and what explain says it checks; its revision
(cluster.conf's config_version, read by one parser); its structural diff; its follow-up
action on a node and how often that runs (on each node that received it, once per HA cell
on one node, once per cluster); whether it may be a managed block and under which name;
the paths where it is a file the system writes too; whether it is a service list; whether
the nodes sharing it are an HA cell; whether the audit reads it.

Every consumer asks the registry (compile, diff, push, gather, explain, audit): no other
module keeps a table of kinds. The registry holds hagen's own kinds (the KINDS of each
module of this folder: BUILTIN first, in the order their actions run), then every entry
point of the group `hagen.kinds` (an installed package's Kind, or an iterable of them),
then whatever register() is given. A template no kind names is a plain file: no
validator, no action, a block named after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

NODE, CELL, CLUSTER = "node", "cell", "cluster"          # how often a kind's action runs
RHEL5, EL9 = "rhel5-cman", "el9-pacemaker"
TARGETS = (RHEL5, EL9)
ENTRY_POINTS = "hagen.kinds"
# hagen's own kind modules whose order matters (their actions run in it: cluster.conf's first),
# each holding KINDS; any other module of this folder with KINDS comes after them, by name
BUILTIN = ("hagen.kinds.cman", "hagen.kinds.daemons", "hagen.kinds.pacemaker", "hagen.kinds.system")
_HELPERS = ("hagen.kinds.flat", "hagen.kinds.planning")     # no kinds: what kind modules are made of


@dataclass(frozen=True, eq=False)          # a kind is itself: compared and hashed by identity
class Kind:
    name: str
    templates: tuple[str, ...] = ()          # relative to templates/ (or template_folder)
    links: tuple[str, ...] = ()              # a symbolic link to one of these targets is of this kind
    recognise: Callable[[str, bytes], bool] | None = None   # (path on host, data): a file of this kind
    targets: tuple[str, ...] = TARGETS       # the targets whose builds write it
    planners: Mapping[str, Callable] = field(default_factory=dict)   # target -> (model, site, secret) -> artifacts
    template_folder: Path | None = None      # where its templates live, when not in hagen's templates/
    validate: Callable[[bytes], list[str]] | None = None    # problems, [] when valid
    checks: str = ""                         # what the validator checks, for explain
    version_reader: Callable[[bytes], int | None] | None = None   # its revision (hagen.base.readback)
    version_blanker: Callable[[bytes], bytes] | None = None        # the content with its revision blanked
    diff: Callable[..., list[str]] | None = None   # (old, new, secrets, show) -> lines, masked; None: unified
    action: str | None = None                # what makes a node take it; {path}, {config_version} filled in
    runs: str = NODE                         # NODE, CELL (its active node) or CLUSTER (one node)
    may_be_block: bool = True                # a managed block in a file shared with the system (shared_files)
    block_name: str | None = None            # the block's name; None: from the template's name
    system_paths: frozenset[str] = frozenset()   # where it is a file the system and its administrator write too
    service_list: bool = False               # lists commands a failover runs (gather checks they exist)
    cell_config: bool = False                # the nodes sharing one copy of it are an HA cell
    audited: bool = False                    # the audit and the runbook read it (a cell without it is not covered)

    @property
    def versioned(self) -> bool:
        return self.version_reader is not None

    def version_of(self, data: bytes) -> int | None:
        """The revision data carries; None for a kind without one. Raises
        hagen.base.readback.UnreadableVersion when the file does not say it readably."""
        return None if self.version_reader is None else self.version_reader(data)

    def normalised(self, data: bytes) -> bytes:
        """The content with its revision blanked: two revisions with equal normal forms are the same."""
        return data if self.version_blanker is None else self.version_blanker(data)

    def block_for(self, template: str) -> str:
        return self.block_name or template.rsplit("/", 1)[-1].removesuffix(".j2").replace(".", "-")

    def action_for(self, path: str, config_version: int | None) -> str | None:
        """The command a node runs to take the file at path; None when it needs none."""
        if self.action is None:
            return None
        import shlex

        # the command runs in a shell on the node: the path (from the manifest) goes quoted
        return self.action.format(path=shlex.quote(path),
                                  config_version=config_version if config_version is not None else "")


PLAIN = Kind("file")              # a template no kind names
LINK = Kind("symlink", may_be_block=False)


class KindError(ValueError):
    """A kind that cannot be registered: its name or a template is another kind's."""


class Registry:
    """The kinds, in registration order (the order their actions run and their recognisers are asked)."""

    def __init__(self, kinds: Iterable[Kind] = ()):
        self._kinds: list[Kind] = []
        self._index()
        self.own = 0                 # how many of the first kinds are hagen's own (BUILTIN)
        for kind in kinds:
            self.add(kind)

    def add(self, kind: Kind) -> Kind:
        if not isinstance(kind, Kind):
            raise KindError(f"not a hagen.kinds.Kind: {type(kind).__name__}")
        if any(k.name == kind.name for k in self._kinds):
            raise KindError(f"a kind named {kind.name} is registered already")
        taken = [t for t in kind.templates if t in self._by_template]
        if taken:
            raise KindError(f"kind {kind.name}: template {taken[0]} is kind {self._by_template[taken[0]].name}'s")
        if kind.template_folder is not None:
            from hagen.base.resources import templates_dir

            hidden = [t for t in kind.templates if (templates_dir() / t).exists()]
            if hidden:
                raise KindError(f"kind {kind.name}: hagen's templates/ has a {hidden[0]} already, which would be "
                                "rendered in place of its own")
        if kind.runs not in (NODE, CELL, CLUSTER):
            raise KindError(f"kind {kind.name}: runs is {kind.runs!r}, not one of {NODE}, {CELL}, {CLUSTER}")
        self._kinds.append(kind)
        self._index()
        return kind

    def remove(self, name: str) -> None:
        kind = self.named(name)
        self._kinds.remove(kind)
        self._index()

    def _index(self) -> None:
        self._by_template = {t: k for k in self._kinds for t in k.templates}
        self._by_link = {t: k for k in self._kinds for t in k.links}
        self._versioned = tuple(k for k in self._kinds if k.versioned and k.recognise is not None)

    def __iter__(self):
        return iter(tuple(self._kinds))

    def named(self, name: str) -> Kind:
        return next(k for k in self._kinds if k.name == name)

    def of_template(self, template: str, link_target: str | None = None) -> Kind:
        """The kind of a file rendered from template (a link: of its target)."""
        if link_target is not None or template == "symlink":
            return self._by_link.get(link_target or "", LINK)
        return self._by_template.get(template, PLAIN)

    def of_artifact(self, art) -> Kind:
        return self.of_template(art.template, art.link_target)

    def of_file(self, path: str, data: bytes = b"") -> Kind | None:
        """The kind of a file known by its path on a host (and its content: a CIB is found by
        its root element), without its template: None when no kind recognises it."""
        return next((k for k in self._kinds if k.recognise is not None and k.recognise(path, data)), None)

    def versioned_of(self, path: str, data: bytes = b"") -> Kind | None:
        """The versioned kind (cluster.conf) of a file known by its path, None for any other file:
        of_file asking only the kinds that carry a revision (push asks it of every file it sends)."""
        for kind in self._versioned:
            if kind.recognise(path, data):
                return kind
        return None

    def action_rank(self, template: str) -> int:
        """Actions run in the order of the kinds, then of each kind's templates."""
        ranked = [t for k in self._kinds if k.action for t in k.templates]
        return ranked.index(template) if template in ranked else len(ranked)

    def template_folders(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(k.template_folder) for k in self._kinds if k.template_folder is not None))

    def system_paths(self) -> frozenset[str]:
        return frozenset(p for k in self._kinds for p in k.system_paths)

    def foreign_digest(self) -> bytes:
        """What the kinds registered outside hagen are made of (their declarations, the modules
        of their functions, their templates): a build depends on them as on hagen's own code
        (hagen.compile.uptodate), so that installing or changing one is never "up to date"."""
        import hashlib
        import sys

        if len(self._kinds) == self.own:
            return b""
        h = hashlib.sha256()
        for kind in self._kinds[self.own:]:
            plain = (kind.name, kind.templates, kind.links, kind.targets, sorted(kind.planners), kind.checks,
                     kind.action, kind.runs, kind.may_be_block, kind.block_name, sorted(kind.system_paths),
                     kind.service_list, kind.cell_config, kind.audited)
            h.update(repr(plain).encode() + b"\0")
            files = set()
            for function in (kind.recognise, kind.validate, kind.version_reader, kind.version_blanker, kind.diff,
                             *kind.planners.values()):
                module = sys.modules.get(getattr(function, "__module__", None) or "")
                if module is not None and getattr(module, "__file__", None):
                    files.add(Path(module.__file__))
            if kind.template_folder is not None:
                files |= {p for p in Path(kind.template_folder).rglob("*") if p.is_file()}
            for path in sorted(files):
                h.update(str(path).encode() + b"\0" + path.read_bytes())
        return h.digest()


_registry: Registry | None = None


def registry() -> Registry:
    """hagen's registry: its own kinds, then the installed ones (entry points), read once."""
    global _registry
    if _registry is None:
        import importlib

        found = Registry(k for module in _own_modules() for k in getattr(importlib.import_module(module), "KINDS", ()))
        found.own = len(found._kinds)
        if _declares_kinds():
            _install(found)
        _registry = found
    return _registry


def foreign_digest() -> bytes:
    """registry().foreign_digest(), without loading the registry when this process registered
    nothing and no installed package declares a kind (a no-op build pays nothing for kinds)."""
    if _registry is None and not _declares_kinds():
        return b""
    return registry().foreign_digest()


def _declares_kinds() -> bool:
    """Whether a distribution on sys.path declares the entry point group: a look at each
    entry_points.txt for its section, without importlib.metadata's parsing (a tenth of a
    no-op build's time when nothing declares one)."""
    import os
    import sys

    section = f"[{ENTRY_POINTS}]"
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(folder or ".", name, "entry_points.txt"), encoding="utf-8",
                              errors="replace") as f:
                        if section in f.read():
                            return True
                except OSError:
                    continue
    return False


def _own_modules() -> list[str]:
    """hagen's kind modules: BUILTIN in its order, then every other module of this folder,
    by name (a new kind module is found by being here: docs/adding-a-kind.md)."""
    import pkgutil

    others = sorted(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__))
    return list(BUILTIN) + [m for m in others if m not in BUILTIN and m not in _HELPERS]


def _install(found: Registry) -> None:
    """The kinds installed packages name under the entry point group hagen.kinds, added to found.
    Raises InputRefused (HA950, HA951) when one cannot be loaded or added: a build without a kind
    the site installed would write a tree without its files."""
    from importlib.metadata import entry_points

    from hagen.base.errors import InputRefused
    from hagen.base.reports import Where, error

    problems = []
    for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
        where = Where(key=f"entry point {ENTRY_POINTS}: {point.name} = {point.value}")
        try:
            value = point.load()
            kinds = [value] if isinstance(value, Kind) else list(value)
        except Exception as exc:          # whatever the package raises on import: reported, not a traceback
            problems.append(error("HA950", where, f"cannot load it: {type(exc).__name__}: {exc}",
                                  "fix or uninstall the package that declares it (pip show, pip uninstall)"))
            continue
        for kind in kinds:
            try:
                found.add(kind)
            except KindError as exc:
                problems.append(error("HA951", where, str(exc), "give the kind a name and templates of its own"))
    if problems:
        raise InputRefused(f"{len(problems)} installed artifact kind(s) refused: nothing was done", reports=problems)


def register(kind: Kind) -> Kind:
    """Add a kind to hagen's registry (the public API; an installed package may name it under
    the entry point group `hagen.kinds` instead). Raises KindError when its name or one of
    its templates is taken."""
    return registry().add(kind)


def unregister(name: str) -> None:
    registry().remove(name)
