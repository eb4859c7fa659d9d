"""The quorum disk of an HA cell (guide 6.2.1, 8.3.3): qdiskd's timing, its ping
heuristic and cman's totem token, from the site's `quorum` key.

A quorum disk alone is no better than two_node on RHEL5: without a heuristic both
nodes keep its vote when the heartbeat network fails, and race to fence each other.
With `ping -c1 -w1 TARGET` the node cut from the network loses the vote. Red Hat's
RHEL5 rule: cman's token timeout is at least twice qdiskd's (interval x tko), else
cman declares a node dead while qdiskd still counts it. `master_wins` is never
written: RHEL5's schema has no such attribute.
"""

from __future__ import annotations

from dataclasses import dataclass

from hagen.model import Model
from hagen.model.iocell import management_nodes

PING = "ping -c1 -w1 {target}"


@dataclass(frozen=True, slots=True)
class QuorumSettings:
    interval: int                      # seconds
    tko: int
    votes: int
    token: int                         # milliseconds
    heuristic_target: str | None       # None: no target could be derived (reported)
    heuristic_interval: int
    heuristic_tko: int
    heuristic_score: int

    @property
    def timeout(self) -> int:
        """qdiskd's timeout in seconds."""
        return self.interval * self.tko

    @property
    def heuristic_program(self) -> str:
        return PING.format(target=self.heuristic_target)


def default_target(model: Model) -> str | None:
    """The admin network's gateway, else the management node's admin address (the pair's
    admin alias: the virtual management node), else None."""
    admin = model.role_network("admin")
    if admin is None:
        return None
    if admin.gateway is not None:
        return str(admin.gateway)
    for cell in model.cells_of_type("mngt"):
        alias = model.admin_alias(cell)
        if alias is not None and alias.address is not None:
            return str(alias.address)
    for node in management_nodes(model):
        port = node.port_on(admin.name)
        if port is not None and port.address is not None:
            return str(port.address)
    return None


def quorum_settings(model: Model, site) -> QuorumSettings:
    interval, tko = site.get("quorum", "interval"), site.get("quorum", "tko")
    token = site.get("quorum", "token")
    if token is None:
        token = 2 * interval * tko * 1000 + 1000
    return QuorumSettings(interval, tko, site.get("quorum", "votes"), token,
                          site.get("quorum", "heuristic", "target") or default_target(model),
                          *(site.get("quorum", "heuristic", key) for key in ("interval", "tko", "score")))


def quorum_context(model: Model, site, cell) -> dict | None:
    """What the cluster.conf templates write for a cell's quorum disk, or None without one."""
    if not cell.quorum_device:
        return None
    s = quorum_settings(model, site)
    return {"device": cell.quorum_device, "votes": s.votes, "interval": s.interval, "tko": s.tko,
            "token": s.token, "heuristic": {"program": s.heuristic_program, "score": s.heuristic_score,
                                            "interval": s.heuristic_interval, "tko": s.heuristic_tko}}
