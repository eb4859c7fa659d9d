"""How the peer fences a node of an el9-pacemaker cell, and who survives a split: the
mechanics every failure of hagen.audit.el9_failures (and the network and lifecycle
events beside it) plays, kept apart so that those modules share them without importing
each other."""

from __future__ import annotations

from hagen.audit.el9_facts import DISK_AGENTS, El9Cell

MUTUAL, BLOCKED = "both", "none"


def route(cell: El9Cell, fencer: str, dev) -> str:
    """The way fencer's request reaches dev: the shared disk, the fencer's port on the
    device's network, else the admin network."""
    if dev.disks or dev.agent in DISK_AGENTS:
        return "shared disk " + (",".join(dev.disks) or "(sbd's own)")
    if dev.network and cell.node(fencer).links and any(ln.network == dev.network for ln in cell.node(fencer).links):
        return dev.network
    return cell.admin or "?"


def fence(cell: El9Cell, victim: str, down=frozenset(), powerless=None, lost=frozenset()):
    """(level, device) by which the peer fences victim, or None: the first level whose devices
    all work while the networks `down` are down, node `powerless` has no power and the
    devices `lost` are dead."""
    fencer = cell.peer(victim).name

    def works(d) -> bool:
        return (d is not None and d.enabled and d.id not in lost and (powerless is None or d.powered_by != powerless)
                and (d.agent in DISK_AGENTS or route(cell, fencer, d) not in down))

    for level in cell.node(victim).levels:
        devs = [cell.device(d) for d in level.devices]
        if level.written and devs and all(works(d) for d in devs):
            return level, devs[0]
        # no fencing-topology: Pacemaker tries each device able to fence the node in turn
        alive = [d for d in devs if works(d)] if not level.written else []
        if alive:
            return level, alive[0]
    return None


def priority(cell: El9Cell, node: str) -> int:
    total = 0
    for s in cell.owned(node):
        value = dict(s.meta).get("priority") or max((dict(r.meta).get("priority", "0") for r in s.members), default="0")
        total += int(value) if value.lstrip("-").isdigit() else 0
    return total


def delay(cell: El9Cell, victim: str, dev) -> tuple[float, bool]:
    """(seconds the fencing of victim waits, whether part of it is random)."""
    extra = cell.priority_fencing_delay if priority(cell, victim) > priority(cell, cell.peer(victim).name) else 0
    return dev.delay(victim) + extra, dev.delay_max > 0


def race(cell: El9Cell, down=frozenset()) -> tuple[str | None, dict]:
    """Who survives a split: a node name, MUTUAL (both are fenced), BLOCKED (neither can
    fence), or None (a random delay: one survives, not known which); and how each is fenced."""
    ways = {n.name: fence(cell, n.name, down) for n in cell.nodes}
    a, b = (n.name for n in cell.nodes)
    if ways[a] is None and ways[b] is None:
        return BLOCKED, ways
    if ways[a] is None or ways[b] is None:
        return (a if ways[a] is None else b), ways
    (da, ra), (db, rb) = delay(cell, a, ways[a][1]), delay(cell, b, ways[b][1])
    if da != db:
        return (a if da > db else b), ways
    return (None if ra or rb else MUTUAL), ways


def race_text(cell: El9Cell, winner, ways) -> str:
    if winner == BLOCKED:
        return ("neither node can fence the other: each keeps what it runs, nothing is recovered until the "
                "link is back")
    if winner == MUTUAL:
        devs = ", ".join(sorted({w[1].id for w in ways.values()}))
        return (f"both nodes fence each other at the same moment ({devs}, no delay tells them apart): both go down "
                "and every service stops")
    if winner is None:
        return "a random delay (pcmk_delay_max) makes one node fence the other first: which one is not known"
    loser = cell.peer(winner).name
    dev = ways[loser][1]
    return f"{winner} wins the fencing race and fences {loser} through {dev.id} ({dev.agent})"
