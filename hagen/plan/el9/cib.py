"""The CIB of one HA cell: what rgmanager's service and failover domain said, as
Pacemaker resources, groups and location constraints (docs/migration-el9.md).

- management pair: one group, in /etc/HA/start order: ocf:heartbeat:Filesystem per
  mnttab entry where hamount stood, ocf:heartbeat:symlink per links entry where halinks
  stood, ocf:heartbeat:IPaddr2 per alias where haip stood, a systemd resource for each
  other live command (init scripts by their name, the site's own scripts by theirs);
  the start-only runtime scripts have no equivalent.
- Lustre cell: ocf:lustre:Lustre per target, preferring its primary node (100) then its
  failover node (50), as the lustre_<node> services' ordered domains did.
- NFS cell: one group of Filesystem + nfsserver + exportfs per export + IPaddr2 per alias,
  preferring the primary node as nfs_service's domain did.
Ids are XML ids derived from names, so that a diff names what changed.
"""

from __future__ import annotations

import re

from hagen.model.batch import halinks_target
from hagen.model.mngt import interface_on, management_pair
from hagen.model.names import natural_key
from hagen.model.nfs import exports_of
from hagen.check.target import NO_EQUIVALENT

HAMOUNT, HAIP, HALINKS = "/etc/HA/bin/hamount", "/etc/HA/bin/haip", "/etc/HA/bin/halinks"
LUSTRE_ROOT = "/lustre"
PRIMARY_SCORE, SECONDARY_SCORE = 100, 50

_MONITOR = {"IPaddr2": "10s", "Filesystem": "20s", "symlink": "60s", "systemd": "60s", "Lustre": "30s",
            "nfsserver": "10s", "exportfs": "10s", "fence_ipmilan": "60s", "fence_sbd": "60s"}
_TIMEOUT = {"Filesystem": "60s", "Lustre": "300s", "nfsserver": "40s", "systemd": "100s"}


def xml_id(*parts: str) -> str:
    """An XML id (NCName) from names: other characters become '_', a leading digit gets a letter."""
    text = re.sub(r"[^A-Za-z0-9_.-]", "_", "_".join(p.strip("/") for p in parts if p)) or "root"
    return text if text[0].isalpha() or text[0] == "_" else f"r{text}"


def resource(rid, cls, kind, params, provider=None) -> dict:
    timeout = _TIMEOUT.get(kind)
    return {"id": rid, "class": cls, "provider": provider, "type": kind,
            "params": [{"name": k, "value": str(v)} for k, v in params if v is not None],
            "monitor": _MONITOR[kind], "timeout": timeout}


def _ipaddr(model, alias, nic=None) -> dict:
    net = model.network(alias.network)
    return resource(xml_id("ip", alias.name), "ocf", "IPaddr2",
                    [("ip", alias.address), ("cidr_netmask", net.prefix), ("nic", nic)], "heartbeat")


def _filesystem(rid, device, directory, fstype) -> dict:
    return resource(rid, "ocf", "Filesystem", [("device", device), ("directory", directory), ("fstype", fstype)],
                    "heartbeat")


def management_group(model, site) -> list[dict]:
    pair = management_pair(model)
    fstype = site.get("pacemaker", "filesystem_type")
    mounts = [_filesystem(xml_id("fs", m["mount_point"]), m["device"], m["mount_point"], fstype)
              for m in site.get("management", "mnttab", default=[])]
    links = [resource(xml_id("link", path), "ocf", "symlink", [("link", path), ("target", halinks_target(path))],
                      "heartbeat") for path in site.get("management", "links", default=[])]
    ips = [_ipaddr(model, a, interface_on(site, pair.primary, a.network)) for a in pair.cell.aliases]
    from hagen.model.services import services

    placed, out = set(), []
    for svc in services(site):
        if not svc.live or svc.start in NO_EQUIVALENT:
            continue
        if svc.start == HAMOUNT:
            out += mounts
        elif svc.start == HALINKS:
            out += links
        elif svc.start == HAIP:
            out += ips
        else:
            unit = svc.start.rsplit("/", 1)[-1]
            out.append(resource(xml_id("svc", unit), "systemd", "systemd", []))
            out[-1]["type"] = unit
            continue
        placed.add(svc.start)
    # the shared storage first, then its links and addresses, when the list did not say where
    head = ([] if HAMOUNT in placed else mounts) + ([] if HALINKS in placed else links) \
        + ([] if HAIP in placed else ips)
    return head + out


def nfs_group(model, site, cell) -> list[dict]:
    rows = exports_of(model, site, cell)
    out = [_filesystem(xml_id(e.resource_name), e.device, e.mount_point, e.fstype) for e in rows]
    info = f"{rows[0].mount_point.rstrip('/')}/.nfs_shared_info" if rows else None
    out.append(resource(xml_id("nfsserver", cell.name), "ocf", "nfsserver", [("nfs_shared_infodir", info)],
                        "heartbeat"))
    for e in rows:
        out.append(resource(xml_id("export", e.resource_name), "ocf", "exportfs",
                            [("clientspec", e.clients), ("directory", e.mount_point),
                             ("options", ",".join(e.options)), ("fsid", e.fsid)], "heartbeat"))
    out += [_ipaddr(model, a) for a in cell.aliases]
    return out


def lustre_targets(model, cell) -> list[tuple[dict, list]]:
    out = []
    for target in sorted(model.lustre_targets, key=lambda t: (t.fs, t.kind, natural_key(t.name))):
        if target.primary not in cell.nodes:
            continue
        rsc = resource(xml_id("lustre", target.name), "ocf", "Lustre",
                       [("target", target.device), ("mountpoint", f"{LUSTRE_ROOT}/{target.fs}/{target.name}")],
                       "lustre")
        prefs = [(target.primary, PRIMARY_SCORE)]
        if target.secondary in cell.nodes and target.secondary != target.primary:
            prefs.append((target.secondary, SECONDARY_SCORE))
        out.append((rsc, prefs))
    return out


def _unique_ids(taken: list[str], resources: list[dict]) -> None:
    """Two names may fold to one id (/var/a-b and /var/a_b): the later resource gets a
    numbered id, in plan order."""
    seen = set(taken)
    for rsc in resources:
        rid, n = rsc["id"], 2
        while rsc["id"] in seen:
            rsc["id"] = f"{rid}_{n}"
            n += 1
        seen.add(rsc["id"])


def context(model, site, cell, name, nodes, devices, sbd) -> dict:
    groups, targets, locations = [], [], []
    if cell.type == "mngt":
        groups.append({"id": xml_id(site.get("management", "service_name")),
                       "resources": management_group(model, site)})
    elif cell.type == "nfs":
        groups.append({"id": xml_id("nfs_service", cell.name), "resources": nfs_group(model, site, cell)})
    else:
        targets = lustre_targets(model, cell)
    primitives = [rsc for rsc, _ in targets]
    _unique_ids([dev["id"] for dev in devices] + ([sbd["id"]] if sbd else []) + [g["id"] for g in groups],
                [r for g in groups for r in g["resources"]] + primitives)
    for rsc, prefs in targets:
        locations += [{"id": xml_id("prefer", rsc["id"], node), "rsc": rsc["id"], "node": node, "score": score}
                      for node, score in prefs]
    for group in groups:
        primary = cell.primary_name
        locations.append({"id": xml_id("prefer", group["id"], primary), "rsc": group["id"], "node": primary,
                          "score": PRIMARY_SCORE})
    levels = []
    if sbd is not None:
        for dev in devices:
            levels.append({"id": xml_id("fl", dev["node"], "1"), "target": dev["node"], "index": 1,
                           "devices": dev["id"]})
            levels.append({"id": xml_id("fl", dev["node"], "2"), "target": dev["node"], "index": 2,
                           "devices": sbd["id"]})
    return {"cluster": name, "nodes": nodes, "fence_devices": devices, "sbd": sbd, "groups": groups,
            "primitives": primitives, "locations": locations, "levels": levels,
            "stickiness": site.get("pacemaker", "resource_stickiness")}
