"""The kinds of Cluster Suite (target rhel5-cman): cluster.conf, the /etc/HA lists the
runtime reads, the start and stop lists, the lustre_failover links.

cluster.conf's validator, hagen's own, runs on what was rendered before anything is
written: lxml against schemas/cluster-conf.rng, then the rules a grammar cannot say
(shared/oracles README): every domain= and device name= points at something defined,
node ids are unique, two_node="1" goes with exactly two nodes, expected_votes="1" and no
quorum disk; with a quorum disk two_node="0", expected_votes="3" and a totem token at
least twice qdiskd's timeout; service names are unique, and so is each resource (script
and fs by name, fs by mount point, ip by address).
"""

from __future__ import annotations

from functools import cache

from hagen.base.masking import mask
from hagen.base.readback import blank_version, cluster_conf_version
from hagen.base.resources import schemas_dir
from hagen.kinds import CELL, RHEL5, Kind
from hagen.kinds.flat import diff_line_list, structured, xml_flat
from hagen.model.lustre import FAILOVER_SCRIPT


@cache
def _cluster_conf_schema():
    from lxml import etree

    return etree.RelaxNG(etree.parse(str(schemas_dir() / "cluster-conf.rng")))


def validate_cluster_conf(data: bytes) -> list[str]:
    from lxml import etree

    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _cluster_conf_schema()
    if not schema.validate(root):
        return [f"schemas/cluster-conf.rng: line {e.line}: {e.message}" for e in schema.error_log]
    problems = []
    nodes = root.findall("clusternodes/clusternode")
    ids = [n.get("nodeid") for n in nodes]
    if len(set(ids)) != len(ids):
        problems.append("node ids are not unique")
    names = {n.get("name") for n in nodes}
    devices = {d.get("name") for d in root.findall("fencedevices/fencedevice")}
    if names & devices:
        problems.append("a fence device shares its name with a node")
    for dev in root.iter("device"):
        if dev.get("name") not in devices:
            problems.append(f"fence device {dev.get('name')} is not defined")
    domains = {d.get("name"): d for d in root.iter("failoverdomain")}
    for svc in root.iter("service"):
        if svc.get("domain") and svc.get("domain") not in domains:
            problems.append(f"service {svc.get('name')} names undefined domain {svc.get('domain')}")
    for dom in domains.values():
        for member in dom.findall("failoverdomainnode"):
            if member.get("name") not in names:
                problems.append(f"domain {dom.get('name')} names unknown node {member.get('name')}")
    services = [s.get("name") for s in root.iter("service")]
    if len(set(services)) != len(services):
        problems.append("two services share a name")
    # rgmanager identifies a resource by its type and primary attribute: one definition each
    for tag, key in (("script", "name"), ("fs", "name"), ("fs", "mountpoint"), ("ip", "address")):
        values = [el.get(key) for el in root.iter(tag)]
        for value in sorted({v for v in values if values.count(v) > 1}):
            problems.append(f"two {tag} resources share {key} {value}")
    cman = root.find("cman")
    quorumd = root.find("quorumd")
    if cman.get("two_node") == "1":
        if len(nodes) != 2 or cman.get("expected_votes") != "1" or quorumd is not None:
            problems.append('two_node="1" needs exactly two nodes, expected_votes="1" and no quorum disk')
    elif quorumd is not None and cman.get("expected_votes") != str(len(nodes) + 1):
        problems.append("with a quorum disk, expected_votes is the node count plus one")
    if quorumd is not None:
        totem = root.find("totem")
        timeout = int(quorumd.get("interval")) * int(quorumd.get("tko")) * 1000
        if totem is None or int(totem.get("token")) < 2 * timeout:
            problems.append("with a quorum disk, the totem token is at least twice qdiskd's timeout (interval x tko)")
    return problems


def _cluster_conf_diff(old: str, new: str, secrets=(), show: bool = False) -> list[str]:
    return [mask(line, secrets, show) for line in structured(xml_flat(old), xml_flat(new), (), show)]


def _ha_list(path: str, data: bytes) -> bool:
    return path.startswith("/etc/HA/") and "/bin/" not in path


CLUSTER_CONF = Kind(
    "cluster.conf",
    templates=("cluster/mngt.conf.xml.j2", "cluster/lustre.conf.xml.j2", "cluster/nfs.conf.xml.j2"),
    recognise=lambda path, data: path.endswith("/cluster/cluster.conf") and not path.startswith("/etc/ocfs2"),
    targets=(RHEL5,),
    validate=validate_cluster_conf, checks="schemas/cluster-conf.rng and hagen's reference rules",
    version_reader=cluster_conf_version, version_blanker=blank_version, diff=_cluster_conf_diff,
    # ccs_tool update propagates the file to every member and cman_tool version -r tells them all
    action="ccs_tool update {path} && cman_tool version -r {config_version}", runs=CELL,
    may_be_block=False,            # its config_version is the whole file's: never a block in the node's own
    cell_config=True, audited=True)

# the start and stop lists: the commands a failover runs, in order (a move is a change of its own)
SERVICE_LIST = Kind(
    "service list", templates=("mngt/ha_services.j2",),
    recognise=lambda path, data: _ha_list(path, data) and path in ("/etc/HA/start", "/etc/HA/stop"),
    diff=diff_line_list, service_list=True)

HA_LISTS = Kind(
    "/etc/HA list", templates=("mngt/ha_ip.j2", "mngt/ha_list.j2", "mngt/ha_mnttab.j2", "mngt/ha_status.j2"),
    recognise=_ha_list, diff=diff_line_list)

# rgmanager's script resource for a Lustre cell; Pacemaker runs the targets as resources
LUSTRE_FAILOVER_LINK = Kind("lustre_failover link", links=(FAILOVER_SCRIPT,), targets=(RHEL5,), may_be_block=False)

KINDS = (CLUSTER_CONF, SERVICE_LIST, HA_LISTS, LUSTRE_FAILOVER_LINK)
