"""Files the system shares with hagen (hagen may write its part as a managed block), and the
NAME=VALUE files of the network and of Lustre; none has a follow-up action."""

from __future__ import annotations

from hagen.kinds import Kind
from hagen.kinds.flat import diff_name_values

FSTAB = frozenset({"/etc/fstab"})

NFS_FSTAB = Kind("nfs client fstab", templates=("nfs/fstab.j2",), block_name="nfs-clients", system_paths=FSTAB)
OCFS2_FSTAB = Kind("ocfs2 fstab", templates=("batch/ocfs2.fstab.j2",), block_name="ocfs2", system_paths=FSTAB)
BONDING = Kind("bonding options", templates=("network/bonding.conf.j2",), block_name="bonding",
               system_paths=frozenset({"/etc/modprobe.conf"}))
SUDOERS = Kind("lustre sudoers", templates=("lustre/sudoers.j2",), block_name="lustre-ldap",
               system_paths=frozenset({"/etc/sudoers"}))
HOSTS_TPL = Kind("hosts template", templates=("hosts/hosts_tpl.j2",), block_name="cell-aliases",
                 system_paths=frozenset({"/etc/hosts-tpl"}))

IFCFG = Kind("ifcfg", templates=("network/ifcfg.j2", "network/route.j2"),
             recognise=lambda path, data: path.rsplit("/", 1)[-1].startswith(("ifcfg-", "route-")),
             diff=diff_name_values)
LUSTRE_CFG = Kind("lustre.cfg", templates=("lustre/lustre.cfg.j2",),
                  recognise=lambda path, data: path.rsplit("/", 1)[-1] == "lustre.cfg",
                  diff=diff_name_values)

KINDS = (NFS_FSTAB, OCFS2_FSTAB, BONDING, SUDOERS, HOSTS_TPL, IFCFG, LUSTRE_CFG)
