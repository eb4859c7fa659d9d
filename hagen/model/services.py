"""The management pair's services: the guide's knowledge, applied to the site's list.

The site lists what /etc/HA/start runs, in order (guide 2.3.2). hagen knows the
guide's optional groups and which commands stop through another one, so that the
stop file can be derived (CLARIFICATIONS 9): reverse order, each entry's stop
command, nothing for start-only actions.
"""

from __future__ import annotations

from dataclasses import dataclass

# guide 2.3.2: the optional groups, with the comment the guide writes above them
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rms": ("When using RMS Quadrics", ("/etc/init.d/msqld", "/etc/HA/bin/harms")),
    "lsf": ("When using LSF/SLURM", ("/etc/init.d/lsf",)),
    "cyrus_imap": ("If you are using cyrus/imap", ("/etc/init.d/saslauthd", "/etc/init.d/cyrus-imapd")),
    "fda_storage": ("for management FDA storage", ("/etc/HA/bin/hafda",)),
}

# actions that only make sense at start (guide 2.3.7, 2.3.9, 2.3.12; hacisco flushes ARP tables)
START_ONLY = frozenset({
    "/etc/HA/bin/haunwantedfiles", "/etc/HA/bin/halinks", "/etc/HA/bin/hapidcleaner", "/etc/HA/bin/hacisco",
})

# commands whose stop is another command (guide 2.3.2/2.3.4: dbmConfig "mostly starts nagios")
STOP_OF = {
    "/etc/HA/bin/dbmConfig": "/etc/init.d/nagios",
    "/etc/HA/bin/dbmconfig": "/etc/init.d/nagios",
    "/etc/HA/bin/hasystemimager": "/etc/init.d/systemimager",
}


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """One line of /etc/HA/start or stop. A comment line has command None."""

    command: str | None
    live: bool = True                 # False: written commented out (group switched off)
    comment: str | None = None        # a comment line
    blank_before: bool = False
    key: tuple = ()                   # where in the site spec it comes from


@dataclass(frozen=True, slots=True)
class Service:
    start: str
    stop: str | None
    live: bool
    comment: str | None
    group: str | None
    key: tuple


def services(site) -> list[Service]:
    """The site's start list with groups expanded, in start order."""
    from hagen.model.batch import groups_switched_on

    groups_on = site.get("management", "optional_groups") or {}
    out = []
    for i, entry in enumerate(site.get("management", "services") or []):
        key = ("management", "services", i)
        if isinstance(entry, str):
            out.append(Service(entry, default_stop(entry), True, None, None, key))
        elif "group" in entry:
            name = entry["group"]
            comment, commands = GROUPS[name]
            live = bool(groups_on.get(name, False)) or name in groups_switched_on(site)  # 10.2.3: batch choice
            for j, cmd in enumerate(commands):
                out.append(Service(cmd, default_stop(cmd), live, comment if j == 0 else None, name, key))
        else:
            cmd = entry["command"]
            stop = entry["stop"] if "stop" in entry else default_stop(cmd)
            out.append(Service(cmd, stop, True, entry.get("comment"), None, key))
    return out


def default_stop(command: str) -> str | None:
    if command in START_ONLY:
        return None
    return STOP_OF.get(command, command)


def start_lines(site) -> list[ServiceLine]:
    lines = []
    previous_group = None
    for svc in services(site):
        if svc.group and svc.group != previous_group:
            lines.append(ServiceLine(None, comment=_group_comment(svc.group, svc.live, site), blank_before=True, key=svc.key))
        elif svc.comment:
            lines.append(ServiceLine(None, comment=svc.comment, blank_before=True, key=svc.key))
        previous_group = svc.group
        lines.append(ServiceLine(svc.start, live=svc.live, key=svc.key))
    return lines


def stop_lines(site) -> list[ServiceLine]:
    override = site.get("management", "stop")
    if override is not None:
        return [ServiceLine(cmd, key=("management", "stop", i)) for i, cmd in enumerate(override)]
    lines = []
    previous_group = None
    for svc in reversed(services(site)):
        if svc.stop is None:
            continue
        if svc.group and svc.group != previous_group:
            lines.append(ServiceLine(None, comment=_group_comment(svc.group, svc.live, site), blank_before=True, key=svc.key))
        previous_group = svc.group
        lines.append(ServiceLine(svc.stop, live=svc.live, key=svc.key))
    return lines


def _group_comment(group: str, live: bool, site=None) -> str:
    from hagen.model.batch import groups_switched_on

    comment, commands = GROUPS[group]
    if live:
        why = groups_switched_on(site).get(group) if site is not None else None
        return f"{comment} ({why or f'management.optional_groups.{group} is on'})"
    n = len(commands)
    return f"{comment}: switch management.optional_groups.{group} on to run the next {'line' if n == 1 else f'{n} lines'}"
