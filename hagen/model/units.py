"""What systemd unit stands for each command of the guide's start list on EL9.

An init script's name is not always its EL9 unit's (`/etc/init.d/nfs` is `nfs-server`,
`ldap` is `slapd`), and a site's own script (`/etc/HA/bin/dbmConfig`, `hacisco`) has no
unit at all until the site wraps it in one. A systemd resource whose unit does not exist
fails its start with "not installed", which bans it from the node and moves the whole
group for nothing (issue "Today's stack that works on a real EL9 pair", item 2): so each
command maps to a unit by this table or by the site's `pacemaker.units`, and a command
with neither is an error at build time (HA177), never a guess.
"""

from __future__ import annotations

# RHEL 5 init script -> EL9 systemd unit (RHEL 9 and EPEL 9 package names)
EL9_UNITS: dict[str, str] = {
    "postgresql": "postgresql",
    "snmptrapd": "snmptrapd",
    "snmpd": "snmpd",
    "gmond": "gmond",                  # EPEL ganglia-gmond
    "gmetad": "gmetad",                # EPEL ganglia-gmetad
    "dhcpd": "dhcpd",
    "ldap": "slapd",                   # openldap-servers (EPEL 9); 389 DS is dirsrv@<instance>: override
    "httpd": "httpd",
    "conman": "conman",
    "nfs": "nfs-server",
    "nfslock": "rpc-statd",
    "portmap": "rpcbind",
    "postfix": "postfix",
    "sendmail": "sendmail",
    "saslauthd": "saslauthd",
    "cyrus-imapd": "cyrus-imapd",
    "nagios": "nagios",                # EPEL nagios
    "named": "named",
    "mysqld": "mariadb",
    "ntpd": "chronyd",
    "crond": "crond",
    # xinetd: none. RHEL 9 ships no xinetd (systemd socket units replace it): a site
    # that still starts it names its replacement in pacemaker.units (HA177 otherwise)
    "smb": "smb",
    "autofs": "autofs",
    "syslog-ng": "syslog-ng",
    "lsf": "lsfd",                     # LSF 10's own unit
}


def command_name(command: str) -> str:
    return command.rstrip("/").rsplit("/", 1)[-1]


def unit_for(site, command: str) -> str | bool | None:
    """The unit for a start-list command: the site's pacemaker.units (by the command's
    name; false leaves the command out of the group), else the table for an init script;
    None when neither names one."""
    overrides = site.get("pacemaker", "units") or {}
    name = command_name(command)
    if name in overrides:
        return overrides[name]
    if command.startswith("/etc/init.d/"):
        return EL9_UNITS.get(name)
    return None


# the guide's links (2.3.7) that belong to an optional group's software: with the group off
# the link's parent folder may not exist (/usr/lib/clustmngt/rms with RMS not installed) and
# the link's start would fail on both nodes, blocking the rest of the group
LINK_GROUPS: dict[str, str] = {
    "/usr/lib/clustmngt/rms/etc": "rms",
    "/usr/lib/rms/msql": "rms",
    "/var/rms": "rms",
    "/usr/share/lsf": "lsf",
    "/var/lib/imap": "cyrus_imap",
    "/var/spool/imap": "cyrus_imap",
}


def link_is_off(site, path: str) -> bool:
    """A link of an optional group that the site does not run (off, or not in its start list)."""
    from hagen.model.services import services

    group = LINK_GROUPS.get(path.rstrip("/"))
    return group is not None and not any(s.group == group and s.live for s in services(site))
