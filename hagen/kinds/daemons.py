"""Files a daemon reads at start, each with what makes it read them again (rhel5-cman and
every target that writes them), in the order their actions run after cluster.conf's."""

from __future__ import annotations

from hagen.kinds import RHEL5, Kind
from hagen.kinds.flat import diff_name_values

SLURM = Kind("slurm.conf", templates=("batch/slurm.conf.j2",), action="scontrol reconfigure")

# the NFS cells' exports; on el9-pacemaker they are exportfs resources (an /etc/exports listing
# them too would export them at boot, outside the cluster's control)
EXPORTS = Kind("exports", templates=("nfs/exports.j2",), targets=(RHEL5,), action="exportfs -ra",
               block_name="nfs-exports", system_paths=frozenset({"/etc/exports"}))

SYSLOG_NG = Kind("syslog-ng.conf", templates=("mngt/syslog-ng.conf.j2",), action="service syslog-ng reload")

NTP = Kind("ntp.conf", templates=("mngt/ntp.conf.j2",), action="service ntpd restart")

PBS = Kind("pbs.conf", templates=("batch/pbs.conf.j2",), recognise=lambda path, data: path.rsplit("/", 1)[-1] == "pbs.conf",
           diff=diff_name_values, action="service pbs restart")

KINDS = (SLURM, EXPORTS, SYSLOG_NG, NTP, PBS)
