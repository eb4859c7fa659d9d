"""Names and text values from the ClusterDB that end up in artifacts: the rules beyond the
characters each column may hold (hagen.load.grammar checked those when the rows were loaded)."""

from __future__ import annotations

from hagen.base.hostnames import ALIAS_NAME, NODE_NAME as HOSTNAME
from hagen.model.names import INTERFACE
from hagen.base.reports import Where, error, warning


def _shown(name: str) -> str:
    """A name as a location shows it: quoted when it holds a blank or a control character."""
    return name if name.isprintable() and not any(c.isspace() for c in name) else repr(name)


def check(model, site) -> list:
    reports = []
    bad_interfaces = {i for i in {p.interface for n in model.nodes for p in n.ports} if not INTERFACE.match(i)}
    for node in model.nodes:
        if not HOSTNAME.match(node.name):
            where = Where(table="node", row=f"name={_shown(node.name)}")
            reports.append(error("HA209", where, f"node name {node.name!r} is not a valid host name",
                                 "node names are RFC 1123 host names that start with a letter: letters, digits, "
                                 "hyphens, at most 63 characters (dbmNode --name)"))
        for port in node.ports if bad_interfaces else ():     # each distinct name checked once, above
            if port.interface in bad_interfaces:
                reports.append(error("HA211", Where(table="node_port", row=f"node={node.name}, interface={port.interface!r}"),
                                     f"interface name {port.interface!r} is not a valid interface name",
                                     "an interface name has at most 15 characters, starts with a letter, "
                                     "and holds no blank, slash or colon"))
    for cell in model.cells:
        for alias in cell.aliases:
            where = Where(table="metaservice_port", row=f"name={_shown(alias.name)}")
            if not ALIAS_NAME.match(alias.name):
                reports.append(error("HA210", where, f"alias name {alias.name!r} is not a host name",
                                     "alias names are host names (letters, digits, hyphens; underscores tolerated)"))
            elif "_" in alias.name:
                reports.append(warning("HA240", where, f"alias name {alias.name!r} holds an underscore",
                                       "RFC 1123 host names have no underscore; resolvers usually accept it, "
                                       "as the guide's xenanfs_BK shows"))
        if cell.quorum_device is not None and not cell.quorum_device.startswith("/dev/"):
            reports.append(error("HA216", Where(table="da_iocell", row=f"name={cell.name}"),
                                 f"quorum_device {cell.quorum_device!r} is not a device path under /dev/",
                                 "give the quorum LUN as both nodes see it, e.g. /dev/sdq1"))
    # the characters of every name (cluster, network, cell, controller, ...) are held to their
    # column's grammar when the rows are loaded: hagen.load.grammar, docs/clusterdb-grammar.md
    return reports
