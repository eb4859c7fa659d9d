"""One HA cell on corosync/Pacemaker: corosync.conf, the CIB and its apply script, the
fence password file, SBD where a level of the fencing topology uses it, and the drop-in
that clears the links a fenced node's disk kept.

Quorum: corosync runs with `two_node: 1` (and so wait_for_all) in every cell. The
cman quorum disk (guide 8.3.3) was there to settle the fencing race when the heartbeat
network fails; Pacemaker settles it with priority-fencing-delay (hagen.plan.el9.fencing)
and, with SBD on that same LUN, gets a second fencing level that works when the BMC
network does not. qdevice would need a third host running qnetd, which the ClusterDB
does not name (docs/migration-el9.md). Every cell has two knet links where its nodes
have a second network (backbone, else IPoIB): one link lost must not split the cell.
"""

from __future__ import annotations

from hagen.load.secrets import fence_secret
from hagen.model.cman import cluster_name
from hagen.model.iocell import fencing_section
from hagen.plan import Artifact
from hagen.plan.el9 import APPLY_PATH, CIB_PATH, COROSYNC_PATH, SBD_PATH
from hagen.plan.el9.fencing import SECTION, fencing, sbd_device

# the cell's heartbeat network role, from the site spec or fixed (CLARIFICATIONS 18)
_HEARTBEAT = {"mngt": ("management", "heartbeat"), "nfs": ("nfs", "heartbeat"), "lustre": None}
UNLINK_PATH = "/etc/hagen/unlink-stale"
UNLINK_DROPIN = "/etc/systemd/system/pacemaker.service.d/hagen-links.conf"


def heartbeat_roles(site, cell) -> tuple[str, ...]:
    """The roles a cell's knet links may ride, link 0 first: its heartbeat network, the
    other of admin and backbone, then the interconnect (IPoIB)."""
    key = _HEARTBEAT[cell.type]
    first = (site.get(*key) if key else None) or "admin"
    return first, "backbone" if first == "admin" else "admin", "interconnect"


def members(model, site, cell) -> list[dict]:
    """The cell's nodes, natural order, with their link addresses (link 0 first, then the
    first other network every node has an address on)."""
    first, *others = heartbeat_roles(site, cell)
    nets = [model.role_network(first)]
    nodes = [model.node(n) for n in cell.nodes]
    for role in others:
        net = model.role_network(role)
        if net is not None and all(n.port_on(net.name) and n.port_on(net.name).address for n in nodes):
            nets.append(net)
            break
    return [{"name": n.name, "nodeid": i, "links": [str(n.port_on(net.name).address) for net in nets]}
            for i, n in enumerate(nodes, 1)]


def _links_cleanup(site, cell, hosts) -> list[Artifact]:
    """The management pair's links, removed before Pacemaker starts on a node (a fenced node
    boots with the links it held, which the symlink agent would report running: the group
    'active on 2 nodes'), and their parent folders created (a link cannot start without)."""
    from hagen.model.batch import halinks_target
    from hagen.plan.el9.cib import management_links

    if cell.type != "mngt":
        return []
    links = [(r["params"][0]["value"], halinks_target(r["params"][0]["value"])) for r in management_links(site)]
    if not links:
        return []
    return [Artifact(UNLINK_PATH, hosts, "el9/unlink-stale.sh.j2", {"links": links}, mode=0o755,
                     sources=("site management.links",)),
            Artifact(UNLINK_DROPIN, hosts, "el9/pacemaker-dropin.conf.j2", {"script": UNLINK_PATH},
                     sources=("site management.links",))]


def plan_cell(model, site, cell, secret) -> list[Artifact]:
    from hagen.plan.el9 import cib

    name = cluster_name(cell, site)
    nodes = members(model, site, cell)
    hosts = tuple(cell.nodes)
    row = f"clusterdb da_iocell[name={cell.name}]"
    section = fencing_section(site, SECTION[cell.type])
    if secret is None and section:
        secret = fence_secret(site, section)[0]
    password_path = site.get("pacemaker", "password_path")
    fenced = fencing(model, site, cell, password_path)
    out = [
        Artifact(COROSYNC_PATH, hosts, "el9/corosync.conf.j2",
                 {"name": name, "nodes": nodes, "crypto": site.get("pacemaker", "corosync_crypto")},
                 sources=(row, "clusterdb node_port", "clusterdb network",
                          f"site {'.'.join(_HEARTBEAT[cell.type] or ('lustre',))}")),
        Artifact(CIB_PATH, hosts, "el9/cib.xml.j2", cib.context(model, site, cell, name, nodes, fenced),
                 sources=(row, "clusterdb node", "clusterdb hwmanager_port", "clusterdb metaservice_port",
                          f"site {SECTION[cell.type]}", "site pacemaker")),
        Artifact(APPLY_PATH, hosts, "el9/cib-apply.py.j2", {"cib": CIB_PATH, "cluster": name}, mode=0o700,
                 sources=(row,)),
    ]
    if secret is not None:
        out.append(Artifact(password_path, hosts, "el9/fence-password.j2", {"password": secret}, mode=0o600,
                            sources=(f"site {section}.fencing", "site pacemaker.password_path")))
    device = sbd_device(site, cell)
    if device is not None:
        # a managed block in the distribution's /etc/sysconfig/sbd: its other settings stay the
        # distribution's, and each node names itself as pcs writes it (SBD_OPTS="-n <node>")
        for node in cell.nodes:
            out.append(Artifact(SBD_PATH, (node,), "el9/sbd.j2", {"device": device, "node": node},
                                sources=(f"{row}.quorum_device", f"site pacemaker.second_level.{cell.name}"),
                                block="sbd"))
    return out + _links_cleanup(site, cell, hosts)
