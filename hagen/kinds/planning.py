"""The plan of a build, as the kinds shape it: hagen.plan's domain planners, then each
registered kind's own planner for the site's target; what the target does not write left
out (a kind's targets); the files the site shares with the system made managed blocks.

The stages before kinds (plan, render) know no kind: compile asks this module for the
artifacts, and the registry for each one's validator, revision and block.
"""

from __future__ import annotations

from dataclasses import replace

from hagen.kinds import RHEL5, registry
from hagen.model.names import natural_key


def target_of(site) -> str:
    return site.get("target") or RHEL5


def plan(model, site, secret) -> list:
    """Every artifact of the build, in natural order of their first host, then by path."""
    from hagen.plan.targets import plan_all

    kinds = registry()
    target = target_of(site)
    artifacts = plan_all(model, site, secret)
    for kind in kinds:
        planner = kind.planners.get(target)
        if planner is not None:
            artifacts += planner(model, site, secret)
    artifacts = [a for a in artifacts if target in kinds.of_artifact(a).targets]
    artifacts = as_blocks(artifacts, site)
    artifacts.sort(key=lambda a: (natural_key(a.hosts[0]) if a.hosts else (), a.path))
    return artifacts


def as_blocks(artifacts: list, site) -> list:
    """Artifacts whose path the site shares with the system (shared_files) become managed
    blocks, each named by its kind; one whose kind may not be a block (cluster.conf: its
    revision is the whole file's; a link is no file) stays whole (refused by the pipeline, HA961)."""
    kinds = registry()
    shared = set(site.get("shared_files") or [])
    out = []
    for art in artifacts:
        kind = kinds.of_artifact(art)
        if art.path in shared and art.link_target is None and kind.may_be_block:
            art = replace(art, block=kind.block_for(art.template))
        out.append(art)
    return out
