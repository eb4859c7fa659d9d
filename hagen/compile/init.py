"""hagen init: a commented site spec drafted from the ClusterDB.

The draft holds what the ClusterDB says (cells, networks, aliases, batch nodes), the
guide's defaults and examples for the rest, and a "# SITE:" mark on every choice the
site must make. It names its ClusterDB source (a snapshot path relative to the draft,
or the DSN without its password) and its secret by a password_file path relative to
itself: init reads no secret and writes none.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from hagen.base.errors import InputRefused, OutputError
from hagen.base.reports import Severity, Where, error

TEMPLATE = "init/site.yaml.j2"
SECRET_FILE = "fence-password"     # beside the draft: a password_file path is relative to the site spec
# a YAML plain scalar that stays a string: no indicator first, no ": " or " #", not a bool/null/number
_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9_./@+-]*(/\d+)?\Z")
_SPECIAL = re.compile(r"(?i)(y|n|yes|no|true|false|on|off|null|~)\Z")


def q(value) -> str:
    """value as a YAML scalar: plain when that reads back as the same string, else
    double-quoted (a JSON string is a YAML double-quoted scalar)."""
    text = str(value)
    if _PLAIN.match(text) and not _SPECIAL.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def dsn_without_password(dsn: str) -> tuple[str, bool]:
    """(the DSN with its password removed, whether it had one): URI or key=value form, as
    hagen.load.dsn reads it (the one reading of a DSN); a DSN libpq refuses is HA150."""
    from hagen.load.dsn import as_written_without_password

    stripped = as_written_without_password(dsn)
    if stripped is None:
        raise InputRefused(reports=[error("HA150", Where(key="--db"), "the DSN is neither a URI nor key=value pairs",
                                          "give a libpq URI (postgresql://user@host/db) or conninfo (host=... dbname=...)")])
    return stripped


def _source_entry(source, draft: Path | None) -> dict:
    if source.kind == "snapshot":
        folder = (draft.parent if draft else Path(".")).resolve()
        return {"kind": "snapshot", "value": os.path.relpath(Path(source.value).resolve(), folder),
                "had_password": False}
    value, had = dsn_without_password(source.value)
    return {"kind": "dsn", "value": value, "had_password": had}


def _aliases(cell) -> list[dict]:
    return [{"name": a.name, "network": a.network, "address": a.address or "?"} for a in cell.aliases]


def _mngt(model) -> dict | None:
    from hagen.model.cman import MAX_LENGTH, VALID
    from hagen.model.mngt import management_cell

    cell = management_cell(model)
    if cell is None:
        return None
    nodes = [model.node(n) for n in cell.nodes if model.node(n) is not None]
    primary = cell.primary_name or "?"
    admin = model.role_network("admin")
    first = model.node(primary)
    port = first.port_on(admin.name) if first is not None and admin is not None else None
    return {
        "cell": cell.name, "primary": primary,
        "secondary": next((n for n in cell.nodes if n != primary), "?"),
        "cluster_name": cell.name, "name_ok": bool(VALID.match(cell.name)) and len(cell.name) <= MAX_LENGTH,
        "aliases": _aliases(cell),
        "ports": [{"node": n.name, "network": p.network, "interface": p.interface, "address": p.address or "?"}
                  for n in nodes for p in n.ports],
        "pap_nodes": [n.name for n in nodes if n.controller is not None and n.controller.type == "pap"],
        "bond_network": port.network if port else (admin.name if admin else "admin"),
        "bond_interface": port.interface if port else "eth0",
    }


def _mgs_net(model) -> str:
    """The file systems' nettype when they agree on one lustre.mgs_net knows, else the default."""
    kinds = {fs.nettype for fs in model.filesystems}
    return kinds.pop() if len(kinds) == 1 and kinds <= {"tcp", "o2ib", "elan"} else "tcp"


# ftype labels that say which batch manager runs where (a site's own labels: the ClusterDB has
# no batch column); matched whole, in lower case
BATCH_FTYPES = {"slurm": "slurm", "slurmctld": "slurm", "slurmd": "slurm", "pbs": "pbs", "pbs_server": "pbs",
                "pbs_mom": "pbs", "lsf": "lsf", "lsf_master": "lsf", "rms": "rms"}


def batch_manager(model) -> dict | None:
    """The batch manager the ClusterDB's ftypes show ({manager, coupling, ftypes}), None when
    they show none or two the guide does not couple (then the draft leaves the choice marked).
    LSF with SLURM or RMS is LSF coupled with it (10.2)."""
    from hagen.model.names import natural_key

    found = {BATCH_FTYPES[t.lower()]: t for n in model.nodes for t in sorted(n.ftypes) if t.lower() in BATCH_FTYPES}
    managers, labels = set(found), sorted(set(found.values()))
    # a service node (10.1: PBS's third license server, its NFS server): a login node, else
    # any node that is neither a compute nor a management node
    mngt = {n for c in model.cells_of_type("mngt") for n in c.nodes}
    service = sorted((n.name for n in model.nodes if "login" in n.ftypes and n.name not in mngt), key=natural_key) \
        or sorted((n.name for n in model.nodes if not n.ftypes & {"compute", "mngt"} and n.name not in mngt),
                  key=natural_key)
    entry = {"ftypes": labels, "service_node": service[0] if service else None}
    if len(managers) == 1:
        return {"manager": managers.pop(), "coupling": "none", **entry}
    if len(managers) == 2 and "lsf" in managers and managers & {"slurm", "rms"}:
        return {"manager": "lsf", "coupling": (managers - {"lsf"}).pop(), **entry}
    return None


def context(model, source: dict) -> dict:
    """What the template needs: the ClusterDB's content in plain values, and the source entry."""
    from hagen.model import NETWORK_ROLES
    from hagen.model.names import fold

    roles = {v: k for k, v in NETWORK_ROLES.items()}
    admin = model.role_network("admin")
    mngt_nodes = {n for c in model.cells_of_type("mngt") for n in c.nodes}
    compute = [n.name for n in model.nodes if "compute" in n.ftypes and n.name not in mngt_nodes]
    login = [n.name for n in model.nodes if "login" in n.ftypes and n.name not in mngt_nodes]
    return {
        "cluster": model.cluster, "source": source, "q": q, "secret_file": SECRET_FILE,
        "networks": [{"name": n.name, "role": roles.get(n.function, n.function), "techno": n.techno,
                      "subnet": n.subnet or "?", "gateway": n.gateway, "suffix": n.suffix} for n in model.networks],
        "admin_subnet": str(admin.subnet) if admin is not None and admin.subnet else "10.0.0.0/8",
        "gateway_networks": [n.name for n in model.networks if n.gateway is not None],
        "mngt": _mngt(model),
        "lustre_cells": [{"name": c.name, "nodes": c.nodes, "quorum": c.quorum_device}
                         for c in model.cells_of_type("lustre")],
        "filesystems": [{"name": fs.name, "nettype": fs.nettype} for fs in model.filesystems],
        "mgs_net": _mgs_net(model),
        "nfs_cells": [{"name": c.name, "nodes": c.nodes, "quorum": c.quorum_device, "aliases": _aliases(c)}
                      for c in model.cells_of_type("nfs")],
        "compute": fold(compute), "login": fold(login),
        "ftypes": sorted({t for n in model.nodes for t in n.ftypes}),
        "batch": batch_manager(model),
    }


def draft_site(db: str | None = None, snapshot: str | None = None, draft: Path | None = None) -> str:
    """The draft's text, from the ClusterDB --db or --snapshot names (exactly one)."""
    from hagen.load.source import choose_source, read_source
    from hagen.model.build import build_model
    from hagen.render import environment

    if db is None and snapshot is None:
        raise InputRefused(reports=[error("HA105", Where(key="--db"), "no ClusterDB source",
                                          "give --db DSN or --snapshot FILE")])
    source = choose_source(db, snapshot)
    entry = _source_entry(source, draft)
    model, reports = build_model(read_source(source))
    errors = [r for r in reports if r.severity is Severity.ERROR]
    if errors:
        raise InputRefused(f"{len(errors)} error(s) in the ClusterDB rows: no draft written", reports=errors)
    template = environment().get_template(TEMPLATE)
    values = context(model, entry)
    text = template.render(**values, shared_files=[])
    shared = shared_files_needed(model, text, (values["batch"] or {}).get("manager"))
    return template.render(**values, shared_files=shared) if shared else text


def batch_blocks(manager: str | None, site) -> set[str]:
    """The batch files the draft keeps as managed blocks (docs/managed-blocks.md): PBS's pbs.conf
    and LSF's hosts file, each read whole by a manager that has no include; slurm.conf keeps
    the site's lines by SLURM's own Include instead, and RMS's script is hagen's own."""
    from hagen.model.batch import lsf_hosts_placement

    if manager == "pbs":
        return {"/etc/pbs.conf"}
    if manager == "lsf":
        return {lsf_hosts_placement(site).path}
    return set()


def shared_files_needed(model, text: str, manager: str | None = None) -> list[str]:
    """The system files (each kind's system_paths, hagen.kinds) and the batch files kept as blocks
    (batch_blocks) a build of the draft would write: the draft lists them in shared_files, so
    that its first build writes none of them whole (HA962). A draft that does not plan yet (a
    choice left to the site) gets none."""
    import tempfile

    from hagen.load.site import load_site
    from hagen.kinds import registry
    from hagen.kinds.planning import plan

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "site.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            site = load_site(path)
            artifacts = plan(model, site, "")
        except Exception:         # the draft is checked by the site's own first `hagen check`
            return []
    return sorted((registry().system_paths() | batch_blocks(manager, site)) & {a.path for a in artifacts})


def write_draft(text: str, path: Path, force: bool = False) -> None:
    """Write the draft at path; an existing file is replaced only with force (atomically)."""
    if path.exists() and not force:
        raise InputRefused(reports=[error("HA151", Where(file=str(path)), "the file exists already: init never "
                                          "overwrites one", "give another -o FILE, or --force to replace it")])
    from hagen.base.writes import write_file

    try:
        write_file(path, text.encode("utf-8"), 0o644)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}")
