"""What would build for el9-pacemaker but not run on a stock EL9 node (issue "Today's
stack that works on a real EL9 pair"): a start-list command with no EL9 unit (HA177),
OCFS2, which RHEL 9 does not ship (HA178), a shared LUN named /dev/sdX, a name the
kernel may give another disk at the next boot (HA179), a second fencing level or a
fence delay naming what the ClusterDB does not have (HA180), an NFS state directory on
an exported file system (HA181), a node's fence delay that outruns
priority-fencing-delay (HA182), an SBD or NFS state LUN used for something else
(HA184), a unit for a command the start list does not have (HA185). The fence
password's length is load's (HA183).
"""

from __future__ import annotations

import re

from hagen.check.target import EL9, NO_EQUIVALENT
from hagen.base.reports import error, warning

# the scripts that become Filesystem, symlink and IPaddr2 resources (hagen.plan.el9.cib)
RESOURCE_SCRIPTS = frozenset({"/etc/HA/bin/hamount", "/etc/HA/bin/halinks", "/etc/HA/bin/haip"})
KERNEL_NAME = re.compile(r"^/dev/(sd|vd|hd)[a-z]+[0-9]*$")


def check(model, site) -> list:
    if site.get("target") != EL9:
        return []
    return (_units(model, site) + _ocfs2(site) + _kernel_names(model, site) + _fencing(model, site)
            + _delays(site) + _nfs(site))


def _units(model, site) -> list:
    from hagen.model.lustre import management_policy
    from hagen.model.mngt import management_pair
    from hagen.model.services import services
    from hagen.model.units import command_name, unit_for

    if management_pair(model) is None or site.get("management") is None:
        return []
    reports = []
    listed = services(management_policy(model, site))
    names = {command_name(s.start) for s in listed}
    for name in site.get("pacemaker", "units") or {}:
        if name not in names:
            reports.append(warning("HA185", site.where("pacemaker", "units", name),
                                   f"pacemaker.units names {name}, which no command of the start list is: "
                                   "it changes nothing", "name a command of management.services by its last "
                                   "path component (dbmConfig, ldap), or remove the entry"))
    for svc in listed:
        if not svc.live or svc.start in NO_EQUIVALENT or svc.start in RESOURCE_SCRIPTS:
            continue
        if unit_for(site, svc.start) is None:
            name = command_name(svc.start)
            reports.append(error("HA177", site.where(*svc.key),
                                 f"{svc.start} has no systemd unit on {EL9}: hagen's RHEL5 -> EL9 table does not "
                                 "name one and pacemaker.units does not either; a systemd resource whose unit "
                                 "does not exist fails as 'not installed' and moves the whole group",
                                 f"add pacemaker.units: {{{name}: <unit>}} (the unit that starts it on EL9, a "
                                 f"unit wrapping the script, or false to leave it out of the group)"))
    return reports


def _ocfs2(site) -> list:
    if not site.get("batch", "ocfs2"):
        return []
    return [error("HA178", site.where("batch", "ocfs2"),
                  f"batch.ocfs2: RHEL 9 ships no OCFS2 (neither the kernel module nor ocfs2-tools), so target "
                  f"{EL9} cannot mount it",
                  "put the LSF/SLURM coupling's files on the pair's shared storage (management.links), "
                  "or on GFS2 with the Resilient Storage add-on outside hagen, and remove batch.ocfs2")]


def _own_luns(site) -> list[tuple[str, str, object]]:
    """(device, what, where) of the LUNs only this target uses: SBD's and the NFS state's."""
    named = []
    for cell, choice in (site.get("pacemaker", "second_level") or {}).items():
        if choice.get("sbd_device"):
            named.append((choice["sbd_device"], f"the SBD LUN of cell {cell}",
                          site.where("pacemaker", "second_level", cell, "sbd_device")))
    if site.get("pacemaker", "nfs_state"):
        named.append((site.get("pacemaker", "nfs_state", "device"), "the NFS state LUN",
                      site.where("pacemaker", "nfs_state", "device")))
    return named


def _kernel_names(model, site) -> list:
    from hagen.check.luns import uses

    others = [(u.device, u.what, u.where) for u in uses(model, site)]
    own = _own_luns(site)
    out = []
    for i, (device, what, where) in enumerate(own):
        clash = next((w for d, w, _ in others + own[:i] if d.rstrip("/") == device.rstrip("/")), None)
        if clash:
            out.append(error("HA184", where, f"{what} is {device}, which is already {clash}: SBD would write its "
                             "slots over a file system, or two file systems share one LUN",
                             "give it a small LUN of its own"))
    named = others + own
    for device, what, where in named:
        if KERNEL_NAME.match(device or ""):
            out.append(warning("HA179", where,
                               f"{what} is {device}, a kernel name that may name another disk after a "
                               "reboot or a path failure: Pacemaker would mount or fence on the wrong LUN",
                               "name the LUN persistently: /dev/disk/by-id/..., a multipath alias "
                               "(/dev/mapper/<alias>) or /dev/disk/by-uuid/..."))
    return out


def _fencing(model, site) -> list:
    cells = {c.name: c for c in model.cells}
    nodes = {n for c in model.cells for n in c.nodes}
    out = []
    for name, choice in (site.get("pacemaker", "second_level") or {}).items():
        where = site.where("pacemaker", "second_level", name)
        if name not in cells:
            out.append(error("HA180", where, f"pacemaker.second_level names cell {name}, which the ClusterDB "
                             "does not have", f"name one of: {', '.join(sorted(cells)) or '(no HA cell)'}"))
            continue
        missing = [n for n in cells[name].nodes if n not in ((choice.get("pdu") or {}).get("ports") or {})]
        if choice.get("pdu") and missing:
            out.append(error("HA180", where, f"the PDU of cell {name} has no outlet for {', '.join(missing)}",
                             "give each node of the cell its outlet under pdu.ports"))
    for node in (site.get("pacemaker", "node_fence_delays") or {}):
        if node not in nodes:
            out.append(error("HA180", site.where("pacemaker", "node_fence_delays", node),
                             f"pacemaker.node_fence_delays names {node}, a node of no HA cell",
                             "name a node of an HA cell"))
    return out


_UNIT_SECONDS = {"ms": 0.001, "s": 1, "": 1, "m": 60, "min": 60, "h": 3600}


def seconds(text: str) -> float:
    number = re.match(r"\d+", text).group(0)
    return int(number) * _UNIT_SECONDS[text[len(number):]]


def _delays(site) -> list:
    """Pacemaker's advice: priority-fencing-delay at least twice any fixed device delay, or a
    node's own delay can outrun the one that follows the services."""
    delays = site.get("pacemaker", "node_fence_delays") or {}
    if site.get("pacemaker", "fence_delay") != "priority" or not delays:
        return []
    priority = site.get("pacemaker", "priority_fencing_delay")
    node, longest = max(delays.items(), key=lambda kv: seconds(kv[1]))
    if seconds(priority) >= 2 * seconds(longest):
        return []
    return [warning("HA182", site.where("pacemaker", "node_fence_delays", node),
                    f"{node}'s fence delay {longest} is more than half of priority-fencing-delay {priority}: "
                    "in a split the node running the services may lose the fencing race",
                    f"raise pacemaker.priority_fencing_delay to at least twice {longest}")]


def _nfs(site) -> list:
    if not site.get("nfs", "exports") or site.get("pacemaker", "nfs_state"):
        return []
    return [error("HA181", site.where("nfs", "exports"),
                    "the NFS state directory (nfsserver's nfs_shared_infodir) would be on the first export, which "
                    "its clients can read and write (exported rw, no_root_squash)",
                    "give it a small LUN of its own: pacemaker.nfs_state: {device: /dev/disk/by-id/...}")]
