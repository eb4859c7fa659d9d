"""The start list and its data files (guide 2.3): each data file with entries has the
script that reads it in the start list; the order rules of 2.3.4 ("the starting order
of the commands is important"); synchro never lists a file that differs between the
two nodes by design (2.3.10: hasynchro would overwrite the passive node's own file)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from hagen.model.lustre import management_policy
from hagen.model.mngt import management_pair
from hagen.model.services import services
from hagen.base.reports import Where, error, warning

BIN = "/etc/HA/bin"
UNWANTED, MOUNT, LINKS = f"{BIN}/haunwantedfiles", f"{BIN}/hamount", f"{BIN}/halinks"

# data file -> the script that reads it (2.3.5-2.3.9); synchro's hasynchro is run by hand (2.3.10)
READERS = {"mnttab": "hamount", "links": "halinks", "pid2clean": "hapidcleaner", "cron": "hacron"}

# files each node has its own of (3.1.2, 3.1.3), whatever the site writes
PER_NODE = ("/etc/ntp.conf", "/etc/sysconfig/network", "/etc/sysconfig/network-scripts/ifcfg-*",
            "/etc/sysconfig/network-scripts/route-*")


def check(model, site) -> list:
    pair = management_pair(model)
    if pair is None or site.get("management") is None:
        return []
    if site.get("target") == "el9-pacemaker":     # no /etc/HA runtime: hagen.check.target warns of its lists
        return []
    policy = management_policy(model, site)
    return _readers(model, site, policy, pair) + _order(site) + _synchro(site)


def _live(site) -> dict:
    return {s.start: s for s in services(site) if s.live}


def _readers(model, site, policy, pair) -> list:
    reports = []
    live = _live(policy)
    wanted = []
    if pair.cell.aliases and f"{BIN}/haip" not in live:
        alias = pair.cell.aliases[0]
        wanted.append(("ip", "haip", Where(table="metaservice_port", row=f"name={alias.name}"),
                       f"the pair's aliases ({', '.join(a.name for a in pair.cell.aliases)}) go to /etc/HA/ip"))
    for name, script in READERS.items():
        entries = policy.get("management", name, default=[]) or []
        if entries and f"{BIN}/{script}" not in live:
            key = ("management", name) if site.get("management", name) else ("management", "services")
            why = f"management.{name} has {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
            if not site.get("management", name):
                why = f"/etc/HA/{name} gets {', '.join(entries)} (guide 7.1: Lustre)"
            wanted.append((name, script, site.where(*key), why))
    for name, script, where, why in wanted:
        reports.append(error("HA326", where, f"{why}, but {BIN}/{script}, which reads /etc/HA/{name}, is not started",
                             f"add {BIN}/{script} to management.services (guide 2.3), or empty the data file"))
    return reports


def _violations(site) -> list[tuple[str, str, tuple]]:
    """(first, then, key of then): each pair the start list starts in the wrong order."""
    order = [s for s in services(site) if s.live]
    index = {s.start: i for i, s in enumerate(order)}
    found = []
    if UNWANTED in index:
        found += [(UNWANTED, s.start, s.key) for s in order[:index[UNWANTED]]]
    if MOUNT in index and LINKS in index and index[LINKS] < index[MOUNT]:
        found.append((MOUNT, LINKS, order[index[LINKS]].key))
    for first in (MOUNT, LINKS):
        if first in index:
            found += [(first, s.start, s.key) for s in order[:index[first]]
                      if s.start.startswith("/etc/init.d/") and (first, s.start) not in {(a, b) for a, b, _ in found}]
    return found


_WHY = {UNWANTED: "haunwantedfiles cleans what a crashed node left before anything starts (2.3.12)",
        MOUNT: "the shared file systems must be mounted first (2.3.8)",
        LINKS: "the service's data lives behind the links halinks makes (2.3.7)"}


def _order(site) -> list:
    reports = []
    overrides = site.get("management", "order_overrides") or []
    waived = {(o["first"], o["then"]): i for i, o in enumerate(overrides)}
    used = set()
    for first, then, key in _violations(site):
        if (first, then) in waived:
            used.add(waived[(first, then)])
            continue
        reports.append(error("HA327", site.where(*key), f"{then} starts before {first}: {_WHY[first]}",
                             f"move {then} after {first} in management.services, or waive the rule with "
                             f"management.order_overrides: {{first: {first}, then: {then}, reason: ...}}"))
    for i, o in enumerate(overrides):
        if i not in used:
            reports.append(warning("HA328", site.where("management", "order_overrides", i),
                                   f"no rule needs {o['first']} before {o['then']} in this start list: the override "
                                   "waives nothing", "remove it, or check the command paths"))
    return reports


def per_node_files(site) -> list[str]:
    """Paths (glob patterns) that differ between the two management nodes by design."""
    found = list(PER_NODE)
    if site.get("batch", "manager") == "pbs":
        found.append("/etc/pbs.conf")                   # 10.1.2: PBS_START_SERVER differs
    return found


def _synchro(site) -> list:
    reports = []
    patterns = per_node_files(site)
    for i, path in enumerate(site.get("management", "synchro") or []):
        hit = next((p for p in patterns if fnmatchcase(path, p)), None)
        if hit is not None:
            reports.append(error("HA329", site.where("management", "synchro", i),
                                 f"synchro lists {path}, which differs between the two nodes by design ({hit}): "
                                 "hasynchro would overwrite the passive node's own file",
                                 "remove it from management.synchro; hagen writes each node's own copy"))
    return reports


def synchro_of_planned_files(site, artifacts, pair) -> list:
    """HA329 for what the plan shows: a synchro entry that hagen writes differently on the two
    nodes (one artifact per node, or on one node only), beyond the patterns check() knows."""
    if pair is None:
        return []
    patterns = per_node_files(site)
    nodes = pair.host_names
    serving: dict = {}
    for art in artifacts:
        if art.block is None:
            for host in set(art.hosts) & set(nodes):
                serving.setdefault(art.path, {})[host] = id(art)
    reports = []
    for i, path in enumerate(site.get("management", "synchro") or []):
        by_host = serving.get(path)
        if not by_host or any(fnmatchcase(path, p) for p in patterns):
            continue
        if len(by_host) == 2 and len(set(by_host.values())) == 1:
            continue
        why = "each node its own" if len(by_host) == 2 else f"on {', '.join(sorted(by_host))} only"
        reports.append(error("HA329", site.where("management", "synchro", i),
                             f"synchro lists {path}, which hagen writes {why}: hasynchro would overwrite the "
                             "passive node's own file", "remove it from management.synchro"))
    return reports
