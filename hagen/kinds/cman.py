"""The kinds of Cluster Suite (target rhel5-cman): cluster.conf, the /etc/HA lists the
runtime reads, the start and stop lists, the lustre_failover links."""

from __future__ import annotations

from hagen.base.masking import mask
from hagen.base.readback import blank_version, cluster_conf_version
from hagen.kinds import CELL, RHEL5, Kind
from hagen.kinds.flat import diff_line_list, structured, xml_flat
from hagen.model.lustre import FAILOVER_SCRIPT
from hagen.render.validate import validate_cluster_conf


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
