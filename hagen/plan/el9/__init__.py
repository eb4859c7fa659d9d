"""The el9-pacemaker target: today's stack from the same inputs (docs/migration-el9.md).

Per HA cell (the management pair, each Lustre cell, each NFS cell), on both nodes:
corosync.conf (knet), the CIB (hagen.plan.el9.cib) with its apply script, the fence
password file the CIB's password_script reads and, for a cell with a quorum LUN, the
SBD configuration. On the management pair: chrony.conf in place of ntp.conf and
NetworkManager keyfiles in place of ifcfg (hagen.plan.el9.host). What is not tied to
cman (hosts, batch, Lustre's model files, client fstabs, syslog-ng) comes from
the same planners as the rhel5-cman target; cluster.conf, the /etc/HA runtime and its
data files, the lustre_failover links and the NFS cells' /etc/exports are not written.
The planners run in order: hagen.plan.el9.target (this module imports none of them).
"""

from __future__ import annotations

CIB_PATH = "/etc/hagen/cib.xml"
APPLY_PATH = "/etc/hagen/cib-apply"
COROSYNC_PATH = "/etc/corosync/corosync.conf"
SBD_PATH = "/etc/sysconfig/sbd"


