"""One HA cell on corosync/Pacemaker: corosync.conf, the CIB and its apply script, the
fence password file, and SBD on the quorum LUN when the cell has one.

Quorum: corosync runs with `two_node: 1` (and so wait_for_all) in every cell. The
cman quorum disk (guide 8.3.3) was there to settle the fencing race when the heartbeat
network fails; Pacemaker settles it with SBD on that same LUN (poison-pill fencing that
works when the BMC network does not, a second fencing level) and with a fence delay on
the primary node's device, so that the primary wins the race. qdevice would need a
third host running qnetd, which the ClusterDB does not name (docs/migration-el9.md).
"""

from __future__ import annotations

from hagen.load.secrets import fence_secret
from hagen.model.cman import cluster_name
from hagen.model.iocell import fencing_section
from hagen.plan import Artifact
from hagen.plan.el9 import APPLY_PATH, CIB_PATH, COROSYNC_PATH, SBD_PATH

# the cell's heartbeat network role, from the site spec or fixed (CLARIFICATIONS 18)
_HEARTBEAT = {"mngt": ("management", "heartbeat"), "nfs": ("nfs", "heartbeat"), "lustre": None}
_SECTION = {"mngt": "management", "lustre": "lustre", "nfs": "nfs"}
PRIMARY_FENCE_DELAY = "10s"


def heartbeat_roles(site, cell) -> tuple[str, str]:
    """(heartbeat role, the other role) of a cell: link 0 and, where the nodes have one, link 1."""
    key = _HEARTBEAT[cell.type]
    first = (site.get(*key) if key else None) or "admin"
    return first, "backbone" if first == "admin" else "admin"


def members(model, site, cell) -> list[dict]:
    """The cell's nodes, natural order, with their link addresses (link 0 first)."""
    first, other = heartbeat_roles(site, cell)
    nets = [model.role_network(first)]
    second = model.role_network(other)
    nodes = [model.node(n) for n in cell.nodes]
    if second is not None and all(n.port_on(second.name) and n.port_on(second.name).address for n in nodes):
        nets.append(second)
    return [{"name": n.name, "nodeid": i, "links": [str(n.port_on(net.name).address) for net in nets]}
            for i, n in enumerate(nodes, 1)]


def fencing(model, site, cell, password_path: str) -> tuple[list, dict | None]:
    """fence_ipmilan per node (its BMC; the password through password_script) and, with a
    quorum LUN, fence_sbd for both nodes as the second level."""
    section = fencing_section(site, _SECTION[cell.type]) or _SECTION[cell.type]
    conf = site.get(section, "fencing") or {}
    devices = []
    for name in cell.nodes:
        ctl = model.node(name).controller
        devices.append({"id": f"fence_{name}", "node": name, "ip": str(ctl.address),
                        "username": conf.get("login", "root"), "lanplus": bool(conf.get("lanplus", True)),
                        "password_script": f"/bin/cat {password_path}",
                        "delay": PRIMARY_FENCE_DELAY if name == cell.primary_name else None})
    sbd = None
    if cell.quorum_device:
        sbd = {"id": f"fence_sbd_{cell.name}", "devices": cell.quorum_device, "hosts": ",".join(cell.nodes)}
    return devices, sbd


def plan_cell(model, site, cell, secret) -> list[Artifact]:
    from hagen.plan.el9 import cib

    name = cluster_name(cell, site)
    nodes = members(model, site, cell)
    hosts = tuple(cell.nodes)
    row = f"clusterdb da_iocell[name={cell.name}]"
    section = fencing_section(site, _SECTION[cell.type])
    if secret is None and section:
        secret = fence_secret(site, section)[0]
    password_path = site.get("pacemaker", "password_path")
    devices, sbd = fencing(model, site, cell, password_path)
    out = [
        Artifact(COROSYNC_PATH, hosts, "el9/corosync.conf.j2", {"name": name, "nodes": nodes},
                 validator="corosync.conf",
                 sources=(row, "clusterdb node_port", "clusterdb network",
                          f"site {'.'.join(_HEARTBEAT[cell.type] or ('lustre',))}")),
        Artifact(CIB_PATH, hosts, "el9/cib.xml.j2", cib.context(model, site, cell, name, nodes, devices, sbd),
                 validator="cib",
                 sources=(row, "clusterdb node", "clusterdb hwmanager_port", "clusterdb metaservice_port",
                          f"site {_SECTION[cell.type]}", "site pacemaker")),
        Artifact(APPLY_PATH, hosts, "el9/cib-apply.sh.j2", {"cib": CIB_PATH, "cluster": name}, mode=0o700,
                 sources=(row,)),
    ]
    if secret is not None:
        out.append(Artifact(password_path, hosts, "el9/fence-password.j2", {"password": secret}, mode=0o600,
                            sources=(f"site {section}.fencing", "site pacemaker.password_path")))
    if sbd is not None:
        out.append(Artifact(SBD_PATH, hosts, "el9/sbd.j2", {"device": cell.quorum_device},
                            sources=(f"{row}.quorum_device",)))
    return out
