"""Lustre high availability: the guide's knowledge (chapters 5-7) applied to the model.

Naming (5.5): the failover service of the Lustre targets whose primary is node N is
`lustre_N`; its script is `/usr/sbin/lustre_failover_N`, a symbolic link to the
generic `/usr/sbin/lustre_failover`, which finds N's targets by parsing its own name.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from hagen.model import LustreFS, Model
from hagen.model.iocell import management_host, management_nodes
from hagen.model.mngt import management_pair

FAILOVER_SCRIPT = "/usr/sbin/lustre_failover"
CONFIG = "/etc/lustre/lustre.cfg"
MODELS = "/etc/lustre/models"

# 7.1.1, 7.1.3: what the management pair shares and runs when the cluster has Lustre
ETC_LUSTRE = "/etc/lustre"
LDAP_DATA = "/var/lib/ldap/lustre"
LDAP_SERVICE = "/etc/init.d/ldap"
LUSTREDBD_SERVICE = "/etc/init.d/lustredbd.sh"

# 6.3.3: what the ldap user may run as root (the guide's list, its typos fixed)
SUDO_RULES = (
    "/usr/sbin/lustre_ost_dba *",
    "/usr/sbin/lustre_mdt_dba *",
    "/usr/sbin/lustre_io_node_dba *",
    "/usr/sbin/lustre_ldap *",
    "/usr/sbin/lustre_util tune_servers, /usr/sbin/lustre_util tune_servers *",
)


def service_name(node: str) -> str:
    return f"lustre_{node}"


def script_path(node: str) -> str:
    return f"{FAILOVER_SCRIPT}_{node}"


def failover(fs: LustreFS) -> bool:
    """`failover: yes` in the model file (6.3.9): as lustre_fs.failover says, else yes when
    every target has a secondary node."""
    if fs.failover in ("yes", "no"):
        return fs.failover == "yes"
    return bool(fs.targets) and all(t.secondary for t in fs.targets)


def mgs_hosts(model: Model, site) -> list[str]:
    """LUSTRE_MGS_HOST (and its failover): the site's, else the management nodes' own
    admin host names, primary first (7.1.2: two distinct names, never an alias)."""
    named = site.get("lustre", "mgs_hosts") or []
    if named:
        return list(named)
    admin = model.role_network("admin")
    return [admin.host_name(n.name) if admin else n.name for n in management_nodes(model)]


def config_context(model: Model, site) -> dict:
    """The values of /etc/lustre/lustre.cfg (6.3.3, 6.3.5, 7.1.2-7.1.4)."""
    host = management_host(model)
    mgs = mgs_hosts(model, site)
    return {
        "mgs_host": mgs[0] if mgs else host,
        "mgs_failover_host": mgs[1] if len(mgs) > 1 else None,
        "mgs_net": site.get("lustre", "mgs_net"),
        "ldap_url": f"ldap://{host}/",
        "db_daemon_host": host,
        "db_daemon_port": site.get("lustre", "db_daemon_port"),
        "debug": bool(site.get("lustre", "debug")),
    }


def _covered(path: str, entries) -> bool:
    """Whether path or one of its parent directories is already an entry."""
    return any(path == e or path.startswith(e.rstrip("/") + "/") for e in entries)


def added_links(model: Model, site) -> list[str]:
    """7.1.1, 7.1.3: the Lustre data the management pair keeps on shared storage."""
    if management_pair(model) is None or not model.has_lustre or site.get("management") is None:
        return []
    links = site.get("management", "links") or []
    return [p for p in (ETC_LUSTRE, LDAP_DATA) if not _covered(p, links)]


def _command(entry) -> str | None:
    if isinstance(entry, str):
        return entry
    return entry.get("command") if isinstance(entry, dict) else None


def mgs_on_pair(model: Model, site) -> bool:
    """Whether the MGS lives on the management pair: every MGS host is one of its nodes, by
    name, admin host name or admin address (7.1.2)."""
    pair = management_pair(model)
    if pair is None:
        return False
    admin = model.role_network("admin")
    own = set()
    for node in pair.nodes:
        own.add(node.name)
        if admin is not None:
            own.add(admin.host_name(node.name))
            port = node.port_on(admin.name)
            if port is not None and port.address is not None:
                own.add(str(port.address))
    hosts = mgs_hosts(model, site)
    return bool(hosts) and all(h in own for h in hosts)


def lustre_services(model: Model, site) -> list[str]:
    """7.1.1, 7.1.3, 7.1.4: what the HA scripts start for Lustre, in start order: the MGS
    (when it lives on the pair), LDAP, lustredbd."""
    mgs = [site.get("lustre", "mgs_service")] if mgs_on_pair(model, site) else []
    return mgs + [LDAP_SERVICE, LUSTREDBD_SERVICE]


def management_policy(model: Model, site):
    """The site spec the management pair's files are planned from (7.1): with Lustre in
    the ClusterDB and an HA management pair, /etc/lustre and the LDAP data join the
    links, and the MGS (on the pair), LDAP and lustredbd the services: the ones the site
    does not start go in order, before LDAP when it starts LDAP, else right after
    postgresql (or at the end). The stop override gets their stops in reverse order.
    Otherwise the site itself."""
    if management_pair(model) is None or not model.has_lustre or site.get("management") is None:
        return site
    data = copy.deepcopy(site.data)
    m = data["management"]
    m["links"] = list(m.get("links") or []) + added_links(model, site)
    services = list(m.get("services") or [])
    wanted = lustre_services(model, site)
    for i, command in enumerate(wanted):
        commands = [_command(e) for e in services]
        if command in commands:
            continue
        later = [commands.index(c) for c in wanted[i + 1:] if c in commands]
        earlier = [commands.index(c) + 1 for c in wanted[:i] if c in commands]
        if earlier:
            at = max(earlier)
        elif later:
            at = min(later)
        elif "/etc/init.d/postgresql" in commands:
            at = commands.index("/etc/init.d/postgresql") + 1
        else:
            at = len(services)
        services.insert(at, command)
    m["services"] = services
    stop = m.get("stop")
    if stop is not None:
        stop = list(stop)
        for i, command in enumerate(reversed(wanted)):
            if command in stop:
                continue
            before = list(reversed(wanted))[:i]
            earlier = [stop.index(c) + 1 for c in before if c in stop]
            stop.insert(max(earlier) if earlier else 0, command)
        m["stop"] = stop
    return replace(site, data=data)          # the same fencing: the secrets load read come along
