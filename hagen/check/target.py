"""The site's target (CLARIFICATIONS 32): a key that means nothing for the stack chosen is
a warning at its position, never silently ignored; the build goes on without it.

rhel5-cman: the pacemaker section. el9-pacemaker: the /etc/HA lists only the runtime
read (cron, pid2clean, synchro, status, stop), the bonding module's configuration file,
cman's post_join_delay and rgmanager's autostart, and start-list commands Pacemaker
needs no equivalent of (docs/migration-el9.md). A PAP controller has no fence agent on
EL9: an error there.
"""

from __future__ import annotations

from hagen.base.reports import Where, error, warning

EL9 = "el9-pacemaker"
# start-list commands Pacemaker needs no equivalent of (docs/migration-el9.md); the CIB leaves them out
NO_EQUIVALENT = frozenset({"/etc/HA/bin/haunwantedfiles", "/etc/HA/bin/hapidcleaner", "/etc/HA/bin/hasyslogng",
                           "/etc/HA/bin/hacron"})
RUNTIME_LISTS = ("cron", "pid2clean", "synchro", "status", "stop")
CMAN_ONLY = (("management", "post_join_delay"), ("lustre", "post_join_delay"), ("nfs", "post_join_delay"),
             ("management", "autostart"))


def _given(site, *path) -> bool:
    return tuple(path) in site.positions


def check(model, site) -> list:
    target = site.get("target")
    if target != EL9:
        if _given(site, "pacemaker"):
            return [warning("HA170", site.where("pacemaker"),
                            f"the pacemaker section means nothing for target {target}: it is ignored",
                            "remove it, or set target: el9-pacemaker")]
        return []
    reports = []
    for name in RUNTIME_LISTS:
        if _given(site, "management", name) and site.get("management", name):
            reports.append(warning("HA171", site.where("management", name),
                                   f"management.{name} feeds the /etc/HA runtime, which target {EL9} does not "
                                   "write: it is ignored",
                                   "remove it; Pacemaker's group and its resources' monitors do that work "
                                   "(docs/migration-el9.md)"))
    if _given(site, "network", "bonding", "modprobe"):
        reports.append(warning("HA172", site.where("network", "bonding", "modprobe"),
                               f"network.bonding.modprobe means nothing for target {EL9}: the bonding options "
                               "go to each bond's NetworkManager keyfile", "remove it"))
    for key in CMAN_ONLY:
        if _given(site, *key):
            reports.append(warning("HA173", site.where(*key),
                                   f"{'.'.join(key)} is a cman/rgmanager setting that target {EL9} has no use for: "
                                   "it is ignored", "remove it (docs/migration-el9.md)"))
    for i, entry in enumerate(site.get("management", "services") or []):
        command = entry if isinstance(entry, str) else entry.get("command")
        if command in NO_EQUIVALENT:
            reports.append(warning("HA174", site.where("management", "services", i),
                                   f"{command} has no Pacemaker resource: target {EL9} leaves it out of the group",
                                   "remove it from management.services (docs/migration-el9.md says why)"))
    for cell in model.cells:
        for name in cell.nodes:
            ctl = model.node(name).controller
            if ctl is not None and ctl.type == "pap":
                reports.append(error("HA175", Where(table="hwmanager", row=f"name={ctl.name}"),
                                     f"node {name} of cell {cell.name} is fenced through a PAP, which has no "
                                     f"fence agent on {EL9}",
                                     "give the node a BMC (fence_ipmilan), or build for target rhel5-cman"))
    return reports
