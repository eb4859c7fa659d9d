"""Every diagnostic code hagen emits, with one line of documentation each.

Ranges:
    HA1xx  site spec and command line
    HA2xx  ClusterDB rows and the model built from them
    HA3xx  the management-node HA pair (guide chapters 2-4)
    HA4xx  networks, aliases, bonding, routes
    HA5xx  services: NTP, syslog-ng
    HA6xx  Lustre I/O cells, file systems and targets (guide chapters 5-7)
    HA7xx  NFSv3 I/O cells, exports and clients (guide chapters 8-9)
    HA8xx  batch managers (PBS, SLURM, LSF, RMS), OCFS2, /etc/hosts
    HA9xx  hagen's own validation of what it rendered, the output tree, deploying (HA94x-95x)
    HA10xx audit findings: single points of failure and warnings (hagen audit), and the
           site's accepted findings (audit.accepted)
Each code has one severity (WARNINGS below; every other code is an error): check, build,
the audit, `hagen codes` and docs/codes.md (generated from this table) all print that one.
An audit finding of severity error is a single point of failure (is_spof).
"""

import re

CODES: dict[str, str] = {
    # site spec and command line
    "HA100": "the site spec is not valid YAML",
    "HA101": "the site spec does not follow schemas/site.schema.json",
    "HA102": "a file the site spec names (snapshot, secret) is missing or unreadable, or a secret file's first "
             "line is empty or holds a control character",
    "HA103": "a secret file can be read by other users (warning)",
    "HA104": "the environment variable holding a secret is unset or empty, or holds a control character",
    "HA105": "no ClusterDB source: give --db, --snapshot, or clusterdb in the site spec",
    "HA106": "--db and --snapshot were given together",
    "HA107": "a value the site spec gives could break the grammar of the file it goes to",
    "HA108": "no file of that path is built for that host (explain, render)",
    "HA109": "--host is not a node set",
    "HA110": "a path the site spec gives for a file hagen writes has a '.', '..' or empty component, or a control character",
    "HA111": "--host would split the nodes that share a cluster.conf",
    "HA112": "--host names a host the build writes no file for",
    "HA113": "a file hagen reads (site spec, snapshot, password file) is a FIFO, a device or a directory",
    "HA114": "the site spec, a snapshot or a password file is larger than its limit (docs/limits.md)",
    "HA115": "the site spec or a snapshot holds more values than its limit once YAML aliases are expanded "
             "(an alias bomb), or a recursive alias",
    "HA116": "the site spec or a snapshot nests mappings and lists deeper than its limit",
    "HA117": "an integer of the site spec or the ClusterDB is beyond PostgreSQL's bigint, or written with too many digits",
    "HA118": "a string of the site spec or a snapshot is longer than its limit",
    "HA119": "the site spec holds a bidi, zero-width or other format character (Unicode Cf), or a line separator",
    "HA120": "a path of the site spec holds a character outside ASCII (a look-alike letter names another file)",
    "HA121": "a site value that reaches a runbook command (fencing login, mnttab device or mount point, "
             "management.links entry) is "
             "outside its grammar (a blank, a quote, a shell metacharacter)",
    "HA122": "a node, alias or hosts.extra name is one /etc/hosts reserves for the loopback (localhost...)",
    "HA123": "the build has more hosts than the output tree's file system allows links to one file",
    "HA130": "--host names more hosts than hagen accepts (counted before expanding the node set)",
    "HA131": "the --against folder of diff is missing or not a folder",
    "HA132": "a file of a tree hagen reads but did not write (diff --against) is not a regular file or link, "
             "lies below a link, is too large, or cannot be read",
    "HA133": "a push plan file is not a valid hagen-push-plan/1 document, or cannot be read or written",
    "HA134": "--format names a format the command does not write",
    "HA135": "-w/-x of push or gather names no host of the build, or together leave none",
    "HA140": "-w/-x of gather or push is not a node set of plain host names",
    "HA142": "push asks before sending and has no terminal to ask on: give --yes, or a reviewed --plan",
    "HA150": "the DSN given to hagen init is neither a libpq URI nor key=value pairs",
    "HA151": "hagen init's output file exists already (it is replaced only with --force)",
    "HA152": "the site spec's clusterdb.dsn holds a password, which goes into git with it (warning)",
    "HA160": "network.bonding.bonds[].nodes names a node that is not a node of a Lustre or NFS cell, or a "
             "management node",
    "HA161": "a node a bond is written for has no address on the bond's network, or has it on an interface that "
             "is not a slave of the bond",
    "HA162": "two bonds of one node share a name, a network or a slave",
    # the site's target (rhel5-cman, el9-pacemaker)
    "HA170": "the pacemaker section is given for target rhel5-cman, which ignores it (warning)",
    "HA171": "an /etc/HA list (cron, pid2clean, synchro, status, stop) is given for target el9-pacemaker, "
             "which writes no /etc/HA runtime (warning)",
    "HA172": "network.bonding.modprobe is given for target el9-pacemaker, whose bonds are NetworkManager "
             "keyfiles (warning)",
    "HA173": "a cman/rgmanager setting (post_join_delay, autostart) is given for target el9-pacemaker (warning)",
    "HA174": "a start-list command has no Pacemaker resource and is left out of the group (warning)",
    "HA175": "a node of an HA cell is fenced through a PAP, which has no fence agent on el9-pacemaker",
    "HA176": "audit, runbook: a cell of target el9-pacemaker is not analysed: the build writes no CIB and "
             "corosync.conf for it (no section of the site spec) (warning)",
    "HA177": "a start-list command has no systemd unit on el9-pacemaker (neither hagen's RHEL5 -> EL9 table nor "
             "pacemaker.units names one)",
    "HA178": "batch.ocfs2 is given for target el9-pacemaker: RHEL 9 ships no OCFS2",
    "HA179": "a shared LUN is named by a kernel name (/dev/sdX) on el9-pacemaker, which may change at boot (warning)",
    "HA180": "pacemaker.second_level or node_fence_delays names a cell, node or PDU outlet the ClusterDB does not have",
    "HA181": "an NFS cell on el9-pacemaker has no pacemaker.nfs_state: its state directory would be on an exported file system",
    "HA182": "a node's fence delay is more than half of priority-fencing-delay (warning)",
    "HA183": "the fence password cannot be sent by IPMI lanplus (over 20 bytes, not printable ASCII, or "
             "surrounding spaces)",
    "HA184": "an SBD or NFS state LUN of pacemaker's section is a LUN used for something else",
    "HA185": "pacemaker.units names a command that is not in the start list (warning)",
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
    "HA209": "a node name (node.name, or a Lustre row's node) is not an RFC 1123 host name starting with a letter",
    "HA210": "an alias name is not a host name (an underscore is only a warning: HA240)",
    "HA240": "an alias name holds an underscore, which RFC 1123 host names do not (warning)",
    "HA211": "an interface name in the ClusterDB is not a valid interface name",
    "HA212": "the name of a cluster, network, controller, disk array or cell holds characters no artifact may "
             "carry (blank, newline, quote)",
    "HA213": "network.suffix is not a host-name label (it makes every port's host name <node>-<suffix>)",
    "HA214": "cluster.basename or cluster.dns_domain is not a host name or domain name",
    "HA215": "a model, label, status or version of the ClusterDB holds characters outside letters, digits, "
             "'-', '_', '.', '+' (a model: such words, single blanks between them)",
    "HA216": "da_iocell.quorum_device is not a /dev/ path, holds characters no device path has, or a '.' or '..' component",
    "HA218": "a node whose ftype makes it a management, NFS or Lustre server (mngt, nfs, mds, oss) is in no HA "
             "cell of that kind: it gets only /etc/hosts, and what it serves has no failover (warning)",
    "HA217": "a key appears twice in one mapping of a snapshot (a row with two values for one column)",
    # management pair
    "HA300": "cluster.actif_ha disagrees with the presence of a mngt cell",
    "HA301": "more than one mngt cell",
    "HA302": "the mngt cell does not hold exactly two nodes",
    "HA303": "a node of an HA cell has no fencing controller, or the controller no address",
    "HA304": "a node of the mngt cell is not 'managed'",
    "HA305": "a cman cluster name is empty, longer than 15 characters, or has odd characters",
    "HA306": "two HA cells share one cman cluster name",
    "HA307": "a mngt node has no address on the heartbeat network, or on the admin network its NTP peers over",
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
    "HA320": "the ClusterDB has a mngt cell but the site spec has no management section",
    "HA350": "the site spec has a management section but the ClusterDB no mngt cell (warning)",
    "HA321": "the service name is not a valid rgmanager service name",
    "HA322": "the totem token is shorter than twice qdiskd's timeout (interval x tko: Red Hat's RHEL5 rule)",
    "HA323": "the quorum disk heuristic's interval is longer than quorumd's",
    "HA324": "the quorum disk heuristic fails later (interval x tko) than qdiskd's timeout",
    "HA325": "the quorum disk heuristic has no target (no admin gateway, no management address), or one that is "
             "not a host name or IPv4 address",
    "HA326": "a data file of /etc/HA has entries but the script that reads it is not in the start list (2.3)",
    "HA327": "the start list breaks an order rule (haunwantedfiles first; hamount before halinks; both before "
             "every /etc/init.d service) that no order override waives",
    "HA328": "an order override waives no rule the start list breaks (warning)",
    "HA329": "synchro lists a file that differs between the two management nodes by design",
    "HA330": "the management pair has no admin alias (the virtual management node, 2.2.3)",
    "HA331": "the ClusterDB has a backbone network but the management pair no backbone alias (3.1.1)",
    "HA332": "a directory halinks moves is, or holds, a mount point of the management nodes (3.1.1)",
    "HA333": "one device (LUN) has two uses: mnttab, NFS exports, quorum disks, Lustre targets, OCFS2 (5.3, 8.1)",
    # networks, aliases, bonding
    "HA400": "the site spec names a network the ClusterDB does not have",
    "HA401": "an alias lies outside its network's subnet",
    "HA402": "an alias is also a node's own address",
    "HA403": "two aliases share one address",
    "HA404": "cluster.node_backbone_ipaddr disagrees with the mngt cell's backbone alias",
    "HA405": "a mngt node has no port on the network of one of its cell's aliases, or (not bonded) not on its peer's interface",
    "HA406": "a bond's slaves do not include the interface the node's address is on",
    "HA407": "an interface is a slave of two bonds, or two bonds share a name or a network",
    "HA408": "a bond slave carries an address on another network",
    "HA409": "a bond's primary slave is not one of its slaves",
    "HA410": "routes are given for a network that has no gateway",
    "HA411": "an interface name in the site spec is not a valid interface name",
    "HA412": "a node carries two networks on one interface that no bond joins (one ifcfg file: an address would be lost)",
    "HA413": "two networks of the ClusterDB have overlapping subnets",
    "HA414": "a controller (BMC, PAP) address is also a node's, an alias's or another controller's address",
    "HA415": "network.default_route names a network the ClusterDB does not have, or one without a gateway",
    "HA416": "a node would get a default route on two networks: network.default_route must name the one",
    # services
    "HA500": "an NTP network is not an IPv4 network in CIDR form, or an NTP server not a host name or address",
    # Lustre I/O cells (guide chapters 5-7)
    "HA600": "a Lustre cell does not hold exactly two nodes",
    "HA601": "a node of a Lustre cell cannot be fenced through a BMC (no controller, not a BMC, or no address)",
    "HA602": "a Lustre cell holds both MDTs and OSTs (warning: 5.3 keeps them in separate cells)",
    "HA603": "a node serves the MDT and an OST of the same file system (5.3, figure 5-6)",
    "HA604": "a target's primary and secondary are not the two nodes of one Lustre cell, or its active node is neither",
    "HA605": "lustre_io_node disagrees with the Lustre cells (ha_node_id is not the cell peer, or pairs a node of no cell)",
    "HA606": "a file system has failover=yes but a target without a secondary node",
    "HA607": "an MDT is served by a management node (warning: 5.4, a double failure)",
    "HA608": "a node is in both a Lustre cell and an NFS cell (9.1)",
    "HA609": "a Lustre row names a node or a file system the ClusterDB does not have",
    "HA610": "a Lustre target name or device cannot go in a model file (names: letters, digits, _ -; devices: /dev/ paths)",
    "HA611": "a Lustre file system value (lustre_fs, a target's or client's fs_name, a client's mount options) cannot "
             "go in a model file (fs_name of 1-8 characters, one-line values), or two share a mount_path",
    "HA612": "a file system has not exactly one MDT, or no OST",
    "HA613": "the ClusterDB has Lustre but no management node (a mngt cell, or a node of ftype mngt)",
    "HA614": "a node of a Lustre cell has no address on the admin network, its heartbeat (6.2.1)",
    "HA615": "the sudoers fragment path is not one sudo reads (absolute; in sudoers.d no '.' and no trailing '~')",
    "HA616": "the Lustre cells have no fencing credentials (lustre.fencing or management.fencing)",
    "HA617": "an MGS host is an alias, not a management node's own name or address, or both MGS hosts are one (7.1.2)",
    "HA618": "the site spec configures Lustre but the ClusterDB has none (warning)",
    "HA619": "a file system has failover=no although every target has a secondary (warning)",
    "HA620": "a file system's failover is left to hagen (NULL) and a target has no failover partner (no secondary, "
             "or a primary in no Lustre cell): it is written 'failover: no' (warning)",
    "HA640": "a node of a Lustre cell has no lustre_io_node row (warning)",
    # NFSv3 I/O cells (guide chapters 8-9)
    "HA700": "an NFS cell does not hold exactly two nodes",
    "HA701": "a node of an NFS cell cannot be fenced through a BMC (no controller, not a BMC, or no address)",
    "HA702": "an NFS cell has no quorum device (8.3.3)",
    "HA703": "a node of an NFS cell has a Lustre role (9.1: NFS nodes strictly exclude Lustre)",
    "HA704": "an export's device is not a /dev/ path without blanks",
    "HA705": "an export's mount point is not an absolute path without blanks, or two exports share one",
    "HA706": "two exports share one fsid",
    "HA707": "an export names no NFS cell of the ClusterDB (with several NFS cells, each export names its cell)",
    "HA708": "an NFS cell has two aliases on one network, no admin alias, or an alias on a network its nodes are not on",
    "HA709": "a node of an NFS cell has no address on the heartbeat network",
    "HA710": "an NFS client is not a node (set) of the ClusterDB, or mounts a path no export serves",
    "HA711": "an export's clients or options, or a client's fstab options, hold a blank, parenthesis or other separator",
    "HA712": "the site spec configures NFS but the ClusterDB has no NFS cell, or an NFS cell has no export (warning)",
    "HA713": "the ClusterDB has NFS cells but no management node for haionfs.conf (warning)",
    "HA714": "the NFS cells have no fencing credentials (nfs.fencing or management.fencing)",
    "HA715": "the NFS client fstab path is not an absolute file path",
    # batch managers, OCFS2 and /etc/hosts (guide chapter 10, 9.4)
    "HA800": "batch settings are given for a manager outside the site's one coupling",
    "HA801": "the batch manager's HA needs the management pair: without one nothing is written for it (warning)",
    "HA802": "the FLEXlm license servers are not three nodes: the primary, the secondary and a service or login node",
    "HA803": "an ftype of batch.compute_ftypes or batch.login_ftypes has no node (warning)",
    "HA804": "the SLURM version has neither syntax hagen writes (1.0-1.2: the guide's; 18.08 and later: today's)",
    "HA805": "the SLURM state or accounting log is not on the shared OCFS2 file system",
    "HA806": "SLURM or the LSF/SLURM coupling needs OCFS2 (batch.ocfs2)",
    "HA807": "a SLURM partition's nodes are not a node set of compute nodes, or two partitions are the default",
    "HA808": "the service group the batch manager needs is switched off or missing from management.services",
    "HA809": "a link the LSF/SLURM coupling makes is also a halinks entry",
    "HA810": "the management pair has no admin alias (LSF hosts file, RMS rmshost-if), or rmshost-if is not IPv4",
    "HA811": "a management node has no address on the network a batch file needs (OCFS2, SLURM controllers)",
    "HA812": "the OCFS2 mount point is also an mnttab mount point or a halinks entry of the management pair",
    "HA813": "two /etc/hosts entries give one name different addresses",
    "HA814": "a hosts.extra entry is not an IPv4 address with host names",
    "HA815": "PBS Professional's HA has no NFS server (batch.pbs.nfs_server), or one that is not a ClusterDB node "
             "or is the primary management node (10.1)",
    "HA816": "batch.slurm.include is given for the guide's SLURM 1.x, which has no Include, or names slurm.conf itself",
    "HA830": "LSF_ENVDIR is not on the management pair's shared storage (warning)",
    # rendered artifacts and the output tree
    "HA900": "a rendered artifact failed hagen's own validation (a hagen bug if checks passed)",
    "HA901": "two artifacts claim the same path on one host",
    "HA902": "a planned file's host is not a plain name, or its path is not normalised or lies below a link or file "
             "(a hagen bug if checks passed)",
    # deploying: gather and push
    "HA940": "an entry of the output tree's manifest is not what hagen writes (host, path, sha256, mode): nothing sent",
    "HA941": "push: the output tree is stale against the inputs (rebuild first)",
    "HA942": "push --plan: the output tree changed since the plan was written",
    "HA943": "push: a cluster.conf's config_version is not greater than the one its node holds",
    "HA944": "push: a file of the output tree no longer matches its manifest sha256 or mode",
    "HA945": "a command /etc/HA/start or stop calls, not written by hagen, is missing or not executable on a node "
             "(warning)",
    "HA946": "gather: a managed path on a node is not a plain file (a link, a folder...): not fetched (warning)",
    "HA950": "an artifact kind an installed package declares (entry point group hagen.kinds) cannot be loaded",
    "HA951": "an installed artifact kind takes another kind's name or template, or one of hagen's templates/, or "
             "says its action runs other than per node, per cell or per cluster",
    "HA960": "a file gathered from a node holds two hagen blocks of one name, or a block without its end marker",
    "HA961": "a shared_files entry names a file hagen writes whole by necessity (cluster.conf, a link)",
    "HA962": "hagen writes a file the system shares (/etc/fstab, /etc/exports, /etc/modprobe.conf, /etc/sudoers, "
             "/etc/hosts-tpl) whole: it is not in shared_files (warning)",
    "HA963": "a shared file as gathered from a node is no longer in the gathered tree: gather again",
    "HA964": "a shared_files entry names no file hagen writes (warning)",
    "HA990": "deploy.topology (ClusterShell tree mode) is given, but deploy.tool is not clush",
    "HA991": "deploy.topology names no readable ClusterShell topology.conf, or one without a route from this node",
    "HA992": "gather through gateways: what a node sent back for a path is not the one plain file asked for "
             "(a link, '..', an absolute or another name, several entries, not a tar): refused, nothing of it used "
             "(warning)",
    "HA965": "push: a removal (plan or --prune) is not one hagen may make (a host not built, a file hagen did not "
             "write there or that the node changed, a shared file whose node content is unknown): nothing sent",
    "HA966": "push: a shared file is not sent to a node whose own content hagen has not gathered and verified",
    "HA967": "gather: --into is not a folder gather made (the store, the output tree, the site's folder, foreign)",
    "HA970": "diff: a cluster.conf the build would send is not above the config_version the compared tree or "
             "the nodes hold (warning)",
    "HA969": "build: a cluster.conf's next config_version would pass cman's limit (2^32-1)",
    "HA968": "gather: a node's file cannot be used (over the size limit, a config_version that cannot be read) (warning)",
    "HA971": "the nodes' record (.<out>.d/nodes.json) is not one hagen wrote: treated as absent, nothing is known "
             "of the nodes (warning)",
    # HA10xx audit findings (hagen audit; docs/audit.md): HA1000-HA1009 single points of failure, HA1010- warnings
    "HA1000": "SPOF: heartbeat and fencing share one network; losing it stops all failover (5.7.3)",
    "HA1001": "SPOF: an alias on a network other than the heartbeat rides a single unwatched link (2.4, 8.3.3)",
    "HA1002": "SPOF: a quorum disk without heuristic does not settle a heartbeat split (8.3.3)",
    "HA1003": "SPOF: a management node serves an MDT, a double failure when it fails (5.4)",
    "HA1004": "SPOF: every shared LUN of a cell lies on one disk array (5.3, 8.1, 8.3.2)",
    "HA1010": "audit warning: a node reaches the heartbeat network by a single port; losing it fails the node over (5.7.3)",
    "HA1011": "audit warning: two_node without a quorum disk; a heartbeat loss starts a fencing race (5.7.3)",
    # the site's accepted findings (audit.accepted, CLARIFICATIONS 41)
    "HA1012": "an audit.accepted entry matches no report or finding of this site (warning)",
    "HA1013": "an audit.accepted entry has expired (its until date is past): what it accepted counts again (warning)",
    "HA1014": "an audit.accepted entry names a code that cannot be accepted (unknown, or an error that refuses "
              "the inputs), a cell or node the ClusterDB does not have, or both a cell and a node",
    # el9-pacemaker cells (hagen.audit.el9_findings): HA1020-HA1029 SPOFs, HA1030-HA1039 warnings
    "HA1020": "SPOF: every fencing level of a node relies on a device that loses power with it (its BMC)",
    "HA1021": "SPOF: one corosync link, and when it splits both nodes fence each other at once or neither can",
    "HA1022": "SPOF: a service address rides a single port that no link monitor (ethmonitor, ping) guards",
    "HA1023": "SPOF: stonith is disabled, or a node no fence device can fence",
    "HA1024": "SPOF: a resource's stop has on-fail=block or ignore: a failed stop blocks its service",
    "HA1025": "SPOF: a ping monitor with a single host guards a service with a -INFINITY rule",
    "HA1030": "audit warning: one corosync link; losing it splits the cell and a fencing race restarts services",
    "HA1031": "audit warning: a service address rides a bond that no link monitor guards",
    "HA1032": "audit warning: no migration-threshold; a failing monitor restarts the service in place forever",
    "HA1033": "audit warning: a fixed delay on one node's fence device wins every race, not priority-fencing-delay",
    "HA1034": "audit warning: a link monitor's -INFINITY rule stops a service on every node when its network fails",
}

# Each code has one severity: these are warnings (the build goes on), every other code
# is an error (exit 2, nothing written). tests/test_codes.py holds the source to it.
WARNINGS: frozenset[str] = frozenset({
    "HA1030", "HA1031", "HA1032", "HA1033", "HA1034",  # audit warnings of el9-pacemaker cells
    "HA103", "HA240", "HA316", "HA319", "HA350", "HA602", "HA607", "HA618", "HA619", "HA640",
    "HA712", "HA713", "HA801", "HA803", "HA830", "HA328", "HA945", "HA946", "HA962", "HA964", "HA968", "HA970", "HA971",
    "HA170", "HA171", "HA172", "HA173", "HA174", "HA176", "HA179", "HA182", "HA185", "HA992",
    "HA1010", "HA1011", "HA1012", "HA1013",
    "HA218", "HA620", "HA152",
})

# the site's accepted findings (audit.accepted): HA10xx codes that are not findings
ACCEPTANCE_CODES: frozenset[str] = frozenset({"HA1012", "HA1013", "HA1014"})
# the audit's findings: every other HA10xx code; an error is a single point of failure (is_spof)
AUDIT_CODES: frozenset[str] = frozenset(c for c in CODES if re.fullmatch(r"HA10\d\d", c)) - ACCEPTANCE_CODES


def severity(code: str) -> str:
    """'warning' or 'error': the one severity a registered code is reported with."""
    if code not in CODES:
        raise KeyError(f"{code} is not a registered code (hagen/base/codes.py)")
    return "warning" if code in WARNINGS else "error"


def is_spof(code: str) -> bool:
    """Whether an audit finding of this code is a single point of failure: an audit code of
    severity error (the audit's exit status 1 counts them)."""
    return code in AUDIT_CODES and severity(code) == "error"


def acceptable(code: str) -> bool:
    """Whether audit.accepted may name the code: an audit finding, or a warning (an error
    refuses the inputs; accepting it would write what the checks refused)."""
    return code in AUDIT_CODES or (code in CODES and severity(code) == "warning")
