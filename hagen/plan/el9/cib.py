"""The CIB of one HA cell: what rgmanager's service and failover domain said, as
Pacemaker resources, groups and constraints (docs/migration-el9.md).

- management pair: one group, in /etc/HA/start order: ocf:heartbeat:Filesystem per
  mnttab entry where hamount stood, ocf:heartbeat:symlink per links entry where halinks
  stood (with backup_suffix: a fresh node's /etc/httpd is a real directory, which the
  agent otherwise reports as "not installed"), ocf:heartbeat:IPaddr2 per alias where haip
  stood, and a systemd resource for each other live command, by its EL9 unit
  (hagen.model.units); the start-only runtime scripts have no equivalent, and the links
  of an optional group the site turned off are not written.
- Lustre cell: ocf:lustre:Lustre per target, preferring its primary node (100) then its
  failover node (50), as the lustre_<node> services' ordered domains did.
- NFS cell: one group: the state LUN's Filesystem (pacemaker.nfs_state), Filesystem per
  export, nfsserver (nfs_server_scope: the service address, so that NFSv4 clients reclaim
  their locks after a failover), exportfs per export, IPaddr2 per alias, nfsnotify last
  (NFSv3 clients learn of the new server once its address is up).
Every service interface is watched (hagen.plan.el9.monitors) and failures relocate
(migration-threshold, failure-timeout) as rgmanager's recovery="relocate" did.
Ids are XML ids derived from names, so that a diff names what changed.
"""

from __future__ import annotations

from hagen.check.target import NO_EQUIVALENT
from hagen.model.batch import halinks_target
from hagen.model.mngt import interface_on, management_pair
from hagen.model.names import natural_key
from hagen.model.nfs import exports_of
from hagen.plan.el9 import monitors
from hagen.plan.el9.ops import resource, xml_id
from hagen.model.units import link_is_off, unit_for

HAMOUNT, HAIP, HALINKS = "/etc/HA/bin/hamount", "/etc/HA/bin/haip", "/etc/HA/bin/halinks"
LUSTRE_ROOT = "/lustre"
PRIMARY_SCORE, SECONDARY_SCORE = 100, 50
BACKUP_SUFFIX = ".hagen-orig"       # what the symlink agent moves a clashing file or directory to
SERVICE_PRIORITY = 10               # priority-fencing-delay: the node running the services wins the race
# a Pacemaker CIB that every EL9 minor release reads (CLARIFICATIONS 38): the lowest schema
# its content needs (pacemaker-1.2; alerts need 2.5: tests/test_el9_cib_apply.py checks both
# against Pacemaker's own schemas), and a feature set that pcs -f requires, from that era
SCHEMA, ALERTS_SCHEMA, FEATURE_SET = "pacemaker-1.2", "pacemaker-2.5", "3.0.10"


def _ipaddr(model, alias, nic=None) -> dict:
    net = model.network(alias.network)
    return resource(xml_id("ip", alias.name), "ocf", "IPaddr2",
                    [("ip", alias.address), ("cidr_netmask", net.prefix), ("nic", nic)], "heartbeat")


def _filesystem(rid, device, directory, fstype) -> dict:
    return resource(rid, "ocf", "Filesystem", [("device", device), ("directory", directory), ("fstype", fstype)],
                    "heartbeat")


def management_links(site) -> list[dict]:
    return [resource(xml_id("link", path), "ocf", "symlink",
                     [("link", path), ("target", halinks_target(path)), ("backup_suffix", BACKUP_SUFFIX)], "heartbeat")
            for path in site.get("management", "links") or [] if not link_is_off(site, path)]


def management_group(model, site) -> tuple[list[dict], list[str]]:
    """The group's members in start order, and the interfaces of its addresses."""
    pair = management_pair(model)
    fstype = site.get("pacemaker", "filesystem_type")
    mounts = [_filesystem(xml_id("fs", m["mount_point"]), m["device"], m["mount_point"], fstype)
              for m in site.get("management", "mnttab")]
    links = management_links(site)
    nics = [interface_on(site, pair.primary, a.network) for a in pair.cell.aliases]
    ips = [_ipaddr(model, a, nic) for a, nic in zip(pair.cell.aliases, nics)]
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
            unit = unit_for(site, svc.start)
            if unit:              # None is refused by the checks (HA177); False: the site leaves it out
                out.append(resource(xml_id("svc", unit), "systemd", "systemd", [], agent=unit))
            continue
        placed.add(svc.start)
    # the shared storage first, then its links and addresses, when the list did not say where
    head = ([] if HAMOUNT in placed else mounts) + ([] if HALINKS in placed else links) \
        + ([] if HAIP in placed else ips)
    return head + out, nics


def nfs_group(model, site, cell) -> tuple[list[dict], list[str]]:
    rows = exports_of(model, site, cell)
    state = site.get("pacemaker", "nfs_state")
    out = []
    if state:
        out.append(_filesystem(xml_id("fs_nfs_state", cell.name), state["device"],
                               site.get("pacemaker", "nfs_state", "mount_point"),
                               site.get("pacemaker", "nfs_state", "fstype")))
        info = f"{site.get('pacemaker', 'nfs_state', 'mount_point').rstrip('/')}/{cell.name}"
    else:
        info = f"{rows[0].mount_point.rstrip('/')}/.nfs_shared_info" if rows else None
    out += [_filesystem(xml_id(e.resource_name), e.device, e.mount_point, e.fstype) for e in rows]
    service = model.admin_alias(cell) or (cell.aliases[0] if cell.aliases else None)
    address = str(service.address) if service is not None else None
    out.append(resource(xml_id("nfsserver", cell.name), "ocf", "nfsserver",
                        [("nfs_shared_infodir", info), ("nfs_server_scope", address)], "heartbeat"))
    for e in rows:
        out.append(resource(xml_id("export", e.resource_name), "ocf", "exportfs",
                            [("clientspec", e.clients), ("directory", e.mount_point),
                             ("options", ",".join(e.options)), ("fsid", e.fsid)], "heartbeat"))
    nics = [_nfs_interface(model, cell, a) for a in cell.aliases]
    out += [_ipaddr(model, a) for a in cell.aliases]
    out.append(resource(xml_id("nfsnotify", cell.name), "ocf", "nfsnotify", [("source_host", address)],
                        "heartbeat"))
    return out, nics


def _nfs_interface(model, cell, alias) -> str | None:
    port = model.node(cell.primary_name).port_on(alias.network)
    return port.interface if port is not None else None


def lustre_targets(model, site, cell) -> list[tuple[dict, list]]:
    options = site.get("pacemaker", "lustre_mountoptions")
    out = []
    for target in sorted(model.lustre_targets, key=lambda t: (t.fs, t.kind, natural_key(t.name))):
        if target.primary not in cell.nodes:
            continue
        rsc = resource(xml_id("lustre", target.name), "ocf", "Lustre",
                       [("target", target.device), ("mountpoint", f"{LUSTRE_ROOT}/{target.fs}/{target.name}"),
                        ("mountoptions", options)], "lustre")
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


def _services(model, site, cell) -> tuple[list, list, list]:
    """(groups, primitives with their preferred nodes, watched interfaces) of the cell."""
    if cell.type == "mngt":
        members, nics = management_group(model, site)
        return [{"id": xml_id(site.get("management", "service_name")), "resources": members}], [], nics
    if cell.type == "nfs":
        members, nics = nfs_group(model, site, cell)
        return [{"id": xml_id("nfs_service", cell.name), "resources": members}], [], nics
    return [], lustre_targets(model, site, cell), []


def _watch(site, cell, nics) -> list[tuple[dict, str]]:
    watched = monitors.link_monitors(nics)
    extra = monitors.lnet_monitor(site) if cell.type == "lustre" else monitors.ping_monitor(site)
    return watched + ([extra] if extra else [])


def properties(site, cluster) -> list[tuple[str, str]]:
    props = [("cluster-name", cluster), ("stonith-enabled", "true")]
    if site.get("pacemaker", "fence_delay") == "priority":
        props.append(("priority-fencing-delay", site.get("pacemaker", "priority_fencing_delay")))
    return props


def rsc_defaults(site) -> list[tuple[str, str]]:
    return [("resource-stickiness", str(site.get("pacemaker", "resource_stickiness"))),
            ("migration-threshold", str(site.get("pacemaker", "migration_threshold"))),
            ("failure-timeout", site.get("pacemaker", "failure_timeout")),
            # Pacemaker >= 2.1.3: an instance found where it should not run (a link left on a fenced
            # node's disk) is stopped there, without restarting the group where it runs
            ("multiple-active", "stop_unexpected")]


def context(model, site, cell, name, nodes, fencing) -> dict:
    devices, levels, second = fencing
    groups, targets, nics = _services(model, site, cell)
    watched = _watch(site, cell, nics)
    clones = [clone for clone, _ in watched]
    primitives = [rsc for rsc, _ in targets]
    _unique_ids([d["id"] for d in devices] + ([second["id"]] if second else []) + [g["id"] for g in groups]
                + [c["id"] for c in clones] + [c["resource"]["id"] for c in clones],
                [r for g in groups for r in g["resources"]] + primitives)
    priority = site.get("pacemaker", "fence_delay") == "priority"
    locations, rules = [], []
    for rsc, prefs in targets:
        locations += [{"id": xml_id("prefer", rsc["id"], node), "rsc": rsc["id"], "node": node, "score": score}
                      for node, score in prefs]
        rules += monitors.ban_rules(rsc["id"], [attr for _, attr in watched])
        if priority:
            rsc["meta"].append({"name": "priority", "value": "1"})
    for group in groups:
        locations.append({"id": xml_id("prefer", group["id"], cell.primary_name), "rsc": group["id"],
                          "node": cell.primary_name, "score": PRIMARY_SCORE})
        rules += monitors.ban_rules(group["id"], [attr for _, attr in watched])
        group["meta"] = [{"name": "priority", "value": str(SERVICE_PRIORITY)}] if priority else []
    alerts = site.get("pacemaker", "alerts") or []
    return {"cluster": name, "nodes": nodes, "schema": ALERTS_SCHEMA if alerts else SCHEMA, "feature_set": FEATURE_SET,
            "fence_devices": devices + ([second] if second else []), "groups": groups, "primitives": primitives,
            "clones": clones, "locations": locations, "rules": rules, "levels": levels,
            "properties": properties(site, name), "defaults": rsc_defaults(site),
            "alerts": [{"id": xml_id("alert", str(i)), **a} for i, a in enumerate(alerts, 1)]}
