"""Files the site shares with the system (shared_files): hagen's managed blocks merged into
what each node holds of them, and the reports of a build that would write such a file whole
or make a block of a file that cannot be one. Part of the build (hagen.compile.pipeline)."""

from __future__ import annotations

import hashlib
from typing import Mapping

from hagen.base.reports import Where, error
from hagen.emit import OutFile
from hagen.emit.nodes import Node


def merged_blocks(blocks, renderer, tree, taken, nodes: Mapping[str, Node]) -> tuple[list[OutFile], list]:
    """The files shared with the system: on each host, the node's file as gathered (or an empty
    one) with each of hagen's blocks merged in, in plan order; the rest kept byte for byte."""
    from hagen.emit import nodes as record
    from hagen.render.blocks import BlockError, merge_block

    files, problems = [], []
    per_file: dict = {}
    for art in blocks:
        for host in art.hosts:
            per_file.setdefault((host, art.path), []).append(art)
    for (host, path), arts in per_file.items():
        if (host, path) in taken:
            problems.append(error("HA901", Where(host=host), f"{path} is planned whole and as a managed block",
                                  "this is a hagen bug: please report it with the inputs"))
            continue
        try:
            data = record.node_content(nodes, tree, host, path)
        except record.StaleGathered as exc:
            problems.append(error("HA963", Where(host=host), exc.message, exc.hint))
            continue
        try:
            for art in arts:
                data = merge_block(data, art.block, renderer.render(art.template, art.context))
        except BlockError as exc:
            problems.append(error("HA960", Where(host=host), f"{path} as gathered from {host}: {exc}",
                                  "edit the node's file so that it holds at most one '# BEGIN hagen NAME' ... "
                                  "'# END hagen NAME' block of each name, then gather again"))
            continue
        mode = 0o7777
        for art in arts:                # the permissions every block allows (sudoers: 0440)
            mode &= art.mode
        files.append(OutFile(host, path, data, mode, arts[0].template, None, hashlib.sha256(data).hexdigest()))
    return files, problems


def shared_files_reports(site, artifacts) -> tuple[list, list]:
    """shared_files entries that cannot be blocks (errors: a cluster.conf carries config_version, a
    link is no file) or that name no file hagen writes (warnings)."""
    problems, warnings = [], []
    by_path: dict = {}
    for art in artifacts:
        by_path.setdefault(art.path, []).append(art)
    from hagen.base.reports import warning
    from hagen.kinds import registry

    shared = set(site.get("shared_files") or [])
    # the files the system and its administrator write too (the guide edits them by hand): each kind's
    for path in sorted(registry().system_paths() & set(by_path) - shared):
        art = by_path[path][0]
        add = f"add {path} to shared_files" if ("shared_files",) in site.positions else \
            f"add the key shared_files: [{path}] to {site.display}"
        warnings.append(warning("HA962", site.where("shared_files"),
                                f"hagen writes {path} whole ({art.template}): the node's own lines in it would be lost",
                                f"{add}: hagen then writes only its block in the node's file"))
    for i, path in enumerate(site.get("shared_files") or []):
        arts = by_path.get(path, [])
        whole = [a for a in arts if a.block is None]
        if whole:
            problems.append(error("HA961", site.where("shared_files", i),
                                  f"{path} is a file hagen must write whole ({whole[0].template})",
                                  "remove it from shared_files"))
        elif not arts:
            warnings.append(warning("HA964", site.where("shared_files", i),
                                    f"hagen writes no {path}: its entry in shared_files changes nothing",
                                    "check the path, or the key that names the file (nfs.client_fstab, "
                                    "batch.ocfs2.fstab, lustre.sudoers, network.bonding.modprobe)"))
    return problems, warnings
