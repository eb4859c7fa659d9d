"""Two events of an el9-pacemaker cell's life that the live scenarios play besides the failures:
corosync killed on a node, and a fenced node rejoining.

- corosync killed: the node leaves the membership without a goodbye, as in a crash: the
  peer fences it (its pacemaker cannot run without corosync) and takes its services.
- rejoin: whether the services fail back is a sum of scores: on the node they run on,
  their location score there plus their stickiness (a group's is the sum of its
  members', resource-stickiness from its meta attributes or rsc_defaults); on the node
  they prefer, its location score. They move back only if the second is higher.
"""

from __future__ import annotations

from hagen.audit.el9_facts import El9Cell
from hagen.audit.el9_fencing import fence, route
from hagen.audit.failures import ROWS, _failure


def _score(text) -> int:
    text = (text or "0").lstrip("+")
    return 1000000 if text == "INFINITY" else -1000000 if text == "-INFINITY" else int(text) if \
        text.lstrip("-").isdigit() else 0


def stickiness(cell: El9Cell, svc) -> int:
    own = dict(svc.meta).get("resource-stickiness")
    if own is not None:
        return _score(own) * (len(svc.members) if svc.kind == "group" else 1)
    return sum(_score(dict(r.meta).get("resource-stickiness", cell.default("resource-stickiness", "0")))
               for r in svc.members)


def location(cell: El9Cell, svc, node: str) -> int:
    return sum(_score(c.score) for c in cell.constraints
               if c.kind == "rsc_location" and c.rsc == svc.name and c.other == node and not c.rule_attributes)


def lifecycle(cell: El9Cell) -> list[dict]:
    out = []
    for node in cell.nodes:
        out.append(_corosync_killed(cell, node.name))
    for node in cell.nodes:
        out.append(_rejoin(cell, node.name))
    return out


def _corosync_killed(cell, victim) -> dict:
    peer = cell.peer(victim).name
    way = fence(cell, victim)
    row = ROWS[(cell.type, "node_crash")]
    if way is None:
        return _failure("daemon_killed", f"corosync on {victim}", f"{victim} leaves the membership uncleanly and "
                        f"{peer} cannot fence it: its services are not recovered", row,
                        lost=[s.name for s in cell.owned(victim)])
    moves = [{"service": s.name, "from": victim, "to": peer} for s in cell.owned(victim)]
    effect = (f"{victim} leaves the membership without a goodbye; its Pacemaker cannot run without corosync: "
              f"{peer} fences it through {way[1].id} and starts "
              + (", ".join(m["service"] for m in moves) or "nothing (no service ran there)"))
    return _failure("daemon_killed", f"corosync on {victim}", effect, row, moves,
                    [{"node": victim, "by": peer, "via": route(cell, peer, way[1])}], lost=[f"{victim} until restarted"])


def _rejoin(cell, node) -> dict:
    """node, fenced and rebooted, joins again while its services run on the peer."""
    peer = cell.peer(node).name
    back, stay = [], []
    for svc in cell.owned(node):
        here, home = location(cell, svc, peer) + stickiness(cell, svc), location(cell, svc, node)
        (back if home > here else stay).append(f"{svc.name} ({home} on {node} against {here} on {peer})")
    if not back and not stay:
        effect = f"{node} joins again; it ran no service in the standard state: nothing moves"
    elif back:
        effect = (f"{node} joins again and {', '.join(back)} move back to it: a second interruption"
                  + (f"; {', '.join(stay)} stay on {peer}" if stay else ""))
    else:
        effect = f"{node} joins again; stickiness keeps {', '.join(stay)} on {peer}: no failback"
    moves = [{"service": b.split(" ")[0], "from": peer, "to": node} for b in back]
    return _failure("node_rejoins", node, effect, "5.4 lustre_migrate relocate brings services home by hand; "
                    "9.4.1 nofailback", moves, lost=[f"{m['service']} while it moves back" for m in moves])
