"""The quorum disk's timing and heuristic (guide 6.2.1, 8.3.3; hagen.model.quorum).

Red Hat's RHEL5 rule: cman's totem token is at least twice qdiskd's timeout
(interval x tko). The heuristic must judge within qdiskd's cycle (its interval at most
quorumd's) and fail within qdiskd's timeout (its interval x tko at most quorumd's).
"""

from __future__ import annotations


from hagen.check.services import host_or_address
from hagen.model.quorum import quorum_settings
from hagen.base.reports import error


def check(model, site) -> list:
    cells = [c for c in model.cells if c.quorum_device]
    if not cells:
        return []
    reports = []
    s = quorum_settings(model, site)
    q = ("quorum",)
    names = ", ".join(c.name for c in cells)
    if s.token < 2 * s.timeout * 1000:
        reports.append(error("HA322", site.where(*q, "token"),
                             f"totem token {s.token} ms is shorter than twice qdiskd's timeout "
                             f"(2 x {s.interval} s x {s.tko} = {2 * s.timeout} s) in cells {names}",
                             f"Red Hat's RHEL5 rule: token >= 2 x interval x tko; set quorum.token to at least "
                             f"{2 * s.timeout * 1000} (or leave it out: hagen derives it)"))
    if s.heuristic_interval > s.interval:
        reports.append(error("HA323", site.where(*q, "heuristic", "interval"),
                             f"the heuristic runs every {s.heuristic_interval} s, less often than qdiskd's "
                             f"{s.interval} s cycle",
                             "set quorum.heuristic.interval at most quorum.interval"))
    if s.heuristic_interval * s.heuristic_tko > s.timeout:
        reports.append(error("HA324", site.where(*q, "heuristic", "tko"),
                             f"the heuristic fails after {s.heuristic_interval} x {s.heuristic_tko} = "
                             f"{s.heuristic_interval * s.heuristic_tko} s, later than qdiskd's timeout "
                             f"({s.interval} x {s.tko} = {s.timeout} s)",
                             "lower quorum.heuristic.tko or interval: a node cut from the network must lose the "
                             "quorum disk's vote before qdiskd declares it dead"))
    target = s.heuristic_target
    if target is None:
        reports.append(error("HA325", site.where(*q, "heuristic", "target"),
                             f"cells {names} have a quorum disk, but no heuristic target can be derived: the admin "
                             "network has no gateway and no management node has an admin address",
                             "set quorum.heuristic.target to an address every node of the cells can ping "
                             "(e.g. the admin network's router)"))
    elif not host_or_address(target):
        reports.append(error("HA325", site.where(*q, "heuristic", "target"),
                             f"heuristic target {target!r} is not a host name or an IPv4 address",
                             "one host name or address: it is written in ping -c1 -w1 TARGET"))
    return reports
