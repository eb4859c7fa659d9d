"""Storage failures of an el9-pacemaker cell: a disk array or one shared LUN lost.

Both nodes see the same LUNs: what a lost array holds is lost on both, so the services
using it stop wherever Pacemaker starts them (a Filesystem or Lustre start fails on
the peer too, then the resource stays stopped: start-failure-is-fatal). An SBD disk on
the lost array takes the SBD fencing level with it; with SBD_PACEMAKER=yes the nodes
keep running while they are quorate and healthy (sbd's Pacemaker integration), so only
fencing through that level is lost.
"""

from __future__ import annotations

from hagen.audit.el9_facts import El9Cell
from hagen.audit.failures import ROWS, _failure


def uses(cell: El9Cell, svc) -> set[str]:
    """The shared devices a service cannot run without."""
    out = set()
    for r in svc.members:
        if r.type == "Filesystem" and r.param("device"):
            out.add(r.param("device"))
        elif r.type == "Lustre" and r.param("target"):
            out.add(r.param("target"))
    return out


def storage_failures(cell: El9Cell) -> list[dict]:
    out = [_array_lost(cell, array) for array in cell.disk_arrays]
    out += [_lun_lost(cell, dev) for dev in cell.storage]
    return out


def _sbd_note(cell, paths) -> str:
    sbd = [d for d in cell.devices if set(d.disks) & paths]
    if not sbd:
        return ""
    return (f"; SBD loses its disk: {', '.join(d.id for d in sbd)} can no longer fence (the nodes keep running "
            "while quorate, SBD_PACEMAKER), fencing falls back on the other levels")


def _array_lost(cell, array) -> dict:
    devs = [d for d in cell.storage if d.array == array]
    paths = {d.path for d in devs}
    stopped = [s.name for s in cell.services if uses(cell, s) & paths]
    effect = (f"both nodes lose what {array} holds: "
              + (f"{', '.join(stopped)} cannot start on either node and stay{'s' if len(stopped) == 1 else ''} "
                 "stopped" if stopped else "no service uses it") + _sbd_note(cell, paths))
    return _failure("disk_array_lost", array, effect, ROWS[(cell.type, "storage")],
                    lost=[f"{d.use} ({d.path})" for d in devs])


def _lun_lost(cell, dev) -> dict:
    users = [s.name for s in cell.services if dev.path in uses(cell, s)]
    if not users:
        effect = f"no service mounts {dev.path} ({dev.use})" + _sbd_note(cell, {dev.path})
        return _failure("lun_lost", dev.path, effect, ROWS[(cell.type, "storage")], lost=[dev.use])
    effect = (f"I/O errors on {dev.path} ({dev.use}): the monitor of {', '.join(users)} fails; the peer sees the "
              "same LUN and cannot start it either: it stays stopped (a failed stop fences the node first)")
    return _failure("lun_lost", dev.path, effect, ROWS[(cell.type, "storage")], lost=[f"{dev.use} ({dev.path})"],
                    differs="the guide's rows cover a path to the LUN failing on one node, which a failover cures")
