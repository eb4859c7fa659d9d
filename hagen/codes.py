"""Every diagnostic code hagen emits, with one line of documentation each.

Ranges:
    HA1xx  site spec and command line
    HA2xx  ClusterDB rows and the model built from them
    HA3xx  the management-node HA pair (guide chapters 2-4)
    HA4xx  networks, aliases, bonding, routes
    HA5xx  services: NTP, syslog-ng
    HA9xx  hagen's own validation of what it rendered, and the output tree
`hagen codes` prints this table; docs/codes.md is generated from it.
"""

CODES: dict[str, str] = {
    # site spec and command line
    "HA100": "the site spec is not valid YAML",
    "HA101": "the site spec does not follow schemas/site.schema.json",
    "HA102": "a file the site spec names (snapshot, secret) is missing or unreadable",
    "HA103": "a secret file can be read by other users (warning)",
    "HA104": "the environment variable holding a secret is unset or empty",
    "HA105": "no ClusterDB source: give --db, --snapshot, or clusterdb in the site spec",
    "HA106": "--db and --snapshot were given together",
    "HA107": "a value the site spec gives could break the grammar of the file it goes to",
    # ClusterDB rows
    "HA200": "the ClusterDB snapshot cannot be read or is not a snapshot",
    "HA201": "a ClusterDB row lacks a column, has one of the wrong type, or has an unknown one",
    "HA202": "two ClusterDB rows share a natural key (name)",
    "HA203": "the cluster table must hold exactly one row",
    "HA204": "a ClusterDB row refers to a row that does not exist",
    "HA205": "an address or subnet in the ClusterDB is not valid",
    "HA206": "an address is stored with a prefix different from its network's",
    "HA207": "an address lies outside its network's subnet",
    "HA208": "two ports share one address on one network",
    "HA209": "a node name is not an RFC 1123 host name starting with a letter",
    "HA210": "an alias name is not a host name (an underscore is only a warning)",
    "HA211": "an interface name in the ClusterDB is not a valid interface name",
    "HA212": "a ClusterDB text value holds characters no artifact may carry (blank, newline, quote)",
    # management pair
    "HA300": "cluster.actif_ha disagrees with the presence of a mngt cell",
    "HA301": "more than one mngt cell",
    "HA302": "the mngt cell does not hold exactly two nodes",
    "HA303": "a node of an HA cell has no fencing controller, or the controller no address",
    "HA304": "a node of the mngt cell is not 'managed'",
    "HA305": "a cman cluster name is empty, longer than 15 characters, or has odd characters",
    "HA306": "two HA cells share one cman cluster name",
    "HA307": "a mngt node has no address on the heartbeat network",
    "HA308": "a PAP-fenced node has no PAP domain in the site spec",
    "HA309": "the /etc/HA/status file must stay empty (guide 2.3.3)",
    "HA310": "a start/stop entry is not a full command path without options",
    "HA311": "a command appears twice in the start list",
    "HA312": "an mnttab device does not start with /dev/ or a field has blanks",
    "HA313": "an mnttab mount point is not an absolute path, or appears twice",
    "HA314": "a links entry is not an absolute directory path",
    "HA315": "a links entry is itself a mount point listed in mnttab (guide 3.1.1)",
    "HA316": "the shared counterpart of a links entry is on no mnttab mount point",
    "HA317": "a pid2clean or synchro entry is not an absolute file path",
    "HA318": "a cron entry is not a plain file name of /etc/cron.d",
    "HA319": "a stop override names a command the start list does not run",
    "HA320": "the site spec has a management section and the ClusterDB no mngt cell, or the reverse",
    "HA321": "the service name is not a valid rgmanager service name",
    # networks, aliases, bonding
    "HA400": "the site spec names a network the ClusterDB does not have",
    "HA401": "an alias lies outside its network's subnet",
    "HA402": "an alias is also a node's own address",
    "HA403": "two aliases share one address",
    "HA404": "cluster.node_backbone_ipaddr disagrees with the mngt cell's backbone alias",
    "HA405": "a mngt node has no port on the network of one of its cell's aliases",
    "HA406": "a bond's slaves do not include the interface the node's address is on",
    "HA407": "an interface is a slave of two bonds",
    "HA408": "a bond slave carries an address on another network",
    "HA409": "a bond's primary slave is not one of its slaves",
    "HA410": "routes are given for a network that has no gateway",
    "HA411": "an interface name in the site spec is not a valid interface name",
    # services
    "HA500": "an NTP network is not a valid network address",
    # rendered artifacts and the output tree
    "HA900": "a rendered artifact failed hagen's own validation (a hagen bug if checks passed)",
    "HA901": "two artifacts claim the same path on one host",
}


def doc(code: str) -> str:
    return CODES[code]
