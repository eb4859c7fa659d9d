"""hagen runbook: the guide's procedures, in order, with this site's values.

Sections: prerequisites (3.1.1, 6.1, 9.1), storage preparation (3.1.4.1, 3.1.6.5, 6.2.1,
9.2, 9.3), network clean-up (3.1.2), bring-up (3.1.4.2-3.1.6.6, 6.2.2, 6.3.7, 9.4.1,
9.4.2), the chapters of hagen.audit.runbook_chapters (OCFS2, SLURM, the Lustre file
systems and the MGS, the NFS clients) and a failover test plan per cell (4.1.4, 6.3.8,
9.5, 5.7.3), each step with the hosts it runs on, its commands, the result to expect
(written for that step: which node fences which, through what, and what moves), its
guide section, how to roll it back when it changes a node, and whether it erases data.
Commands never carry a secret: the BMC password is read at run time into
FENCE_PASSWORD. Templates: templates/runbook/.
"""

from __future__ import annotations

from hagen.audit.facts import CellFacts, cell_facts, fence_route
from hagen.audit.failures import owned
from hagen.audit.runbook_steps import READ_PASSWORD, anchor, environment, step
from hagen.audit.shell import arg, q
from hagen.model.names import fold



def runbook(compiled) -> dict:
    model, site = compiled.model, compiled.site
    cells = cell_facts(compiled)
    from hagen.audit import runbook_chapters as more
    from hagen.model.mngt import management_pair

    pair = management_pair(model) if _mngt(cells) is not None else None
    sections = [
        {"title": "Prerequisites", "steps": _prerequisites(model, site, cells)},
        {"title": "Storage preparation", "steps": _storage(site, cells)},
        {"title": "Network clean-up", "steps": _network(model, site, cells)},
        {"title": "Bring-up", "steps": _bring_up(model, site, cells)},
        {"title": "OCFS2 shared file system", "steps": more.ocfs2(model, site, pair, step)},
        {"title": "SLURM high availability", "steps": more.slurm(model, site, pair, step)},
        {"title": "Lustre file systems", "steps": more.lustre(model, site, cells, step)},
        {"title": "NFS clients", "steps": more.nfs_clients(model, site, step) if any(c.type == "nfs" for c in cells)
         else []},
    ]
    for cell in cells:
        sections.append({"title": f"Failover tests of cell {cell.name}", "steps": _tests(model, site, cell)})
    sections = [s for s in sections if s["steps"]]
    for number, section in enumerate(sections, 1):
        section["anchor"] = anchor(f"{number}. {section['title']}")
    from hagen.audit import not_covered

    names, why = not_covered(compiled)
    return {"cluster": model.cluster.name, "sections": sections, "not_covered": fold(names), "not_covered_why": why}


def _mngt(cells) -> CellFacts | None:
    return next((c for c in cells if c.type == "mngt"), None)


def _primary(cell) -> str:
    return min(n.name for n in cell.nodes)       # 2.2.1: first in plain string order


def _secondary(cell) -> str:
    return next(n.name for n in cell.nodes if n.name != _primary(cell))


def _prerequisites(model, site, cells) -> list:
    steps = []
    m = _mngt(cells)
    if m is not None:
        both = fold([n.name for n in m.nodes])
        steps.append(step("HA packages and management nodes", both,
                           ["rpm -q HighAvailability", "/etc/HA/bin/haadminnodes"],
                           "the package is installed on both nodes; haadminnodes lists "
                           + " and ".join(n.name for n in m.nodes), "3.1.1"))
        steps.append(step("same RPMs on both management nodes", _primary(m), ["/etc/HA/bin/harpms fullstatus"],
                           "no difference between the two nodes", "3.1.1"))
        steps.append(step("secondary management node managed", _primary(m),
                           [f"dbmNode set --name {q(_secondary(m))} --status managed",
                            "dbmConfig configure --service syshosts"],
                           f"{_secondary(m)} has status managed in the ClusterDB", "3.1.1",
                           rollback=[f"dbmNode set --name {q(_secondary(m))} --status STATUS   # the status it had before",
                                     "dbmConfig configure --service syshosts"]))
    if any(c.type == "nfs" for c in cells):
        nodes = fold([n.name for c in cells if c.type == "nfs" for n in c.nodes])
        steps.append(step("NFS HA packages", nodes, ["rpm -q HighAvailability-nfs"],
                           "installed on every NFS I/O node (HighAvailability-conignfs on the management node)", "9.1"))
    bmc = []
    for cell in cells:
        for n in cell.nodes:
            f = n.fencing
            if f is None or f.agent != "fence_ipmilan":
                continue
            lanplus = " -P" if f.lanplus else ""
            bmc.append(f"fence_ipmilan -a {q(f.address)} -l {q(f.login)}{lanplus} -p \"$FENCE_PASSWORD\" -o status   # {n.name}")
    if bmc:
        steps.append(step("BMC of every HA node reachable", "each node's peer (or the management node)",
                           [READ_PASSWORD] + bmc + ["unset FENCE_PASSWORD"],
                           "each command reports the chassis power status (ON); the password is typed, never "
                           "written down (PAP-managed nodes are not concerned)", "3.1.1"))
    lustre = [c for c in cells if c.type == "lustre"]
    if lustre:
        nodes = fold([n.name for c in lustre for n in c.nodes])
        from hagen.model.iocell import management_host

        steps.append(step("Lustre HA pairs", "the management node", ["lustre_migrate nodestat -n all"],
                           "every pair listed with its HA node, status OK", "6.1.1"))
        steps.append(step("I/O nodes reach the management node", "the management node",
                           [f'pdsh -w {q(nodes)} {arg(f"ssh {q(management_host(model))} echo OK")}'], "one OK per I/O node", "6.1.2"))
        for c in lustre:
            steps.append(step(f"same storage links on both nodes of {c.name}", "the management node",
                               [f'pdsh -w {q(fold([n.name for n in c.nodes]))} "stormap -l | sort" | dshbak -c'],
                               "one identical list for both nodes (stormap -c names a missing link)", "6.1.3"))
    return steps


def _label(cell) -> str:
    return cell.quorum.label or cell.cluster_name


def _storage(site, cells) -> list:
    steps = []
    for cell in cells:
        qd = cell.quorum
        if qd.device:
            first = _primary(cell)
            steps.append(step(f"quorum disk of {cell.name}", first, [f"mkqdisk -c {q(qd.device)} -l {q(_label(cell))}"],
                               f"`mkqdisk -L` on both nodes shows {qd.device} labelled {_label(cell)}",
                               "9.2, 6.2.1 (note)",
                               rollback=[f"nothing to undo on the nodes: what {qd.device} held before is lost"]))
    m = _mngt(cells)
    if m is not None:
        mnttab = site.get("management", "mnttab") or []
        points = [e["mount_point"] for e in mnttab]
        commands = [f"mkfs.ext3 {q(e['device'])}   # {e['mount_point']}" for e in mnttab]
        if "/tftpboot" in points:
            commands.append("mv /tftpboot /tftpboot.orig")
        commands += [f"mkdir {' '.join(map(q, points))}", "/etc/HA/bin/hamount start"]
        if "/tftpboot" in points:
            commands.append("cp -af /tftpboot.orig/* /tftpboot/.")
        commands.append("df -h")
        undo = ["/etc/HA/bin/hamount stop", f"rmdir {' '.join(q(p) for p in points if p != '/tftpboot')}"]
        if "/tftpboot" in points:
            undo.append("rmdir /tftpboot && mv /tftpboot.orig /tftpboot")
        steps.append(step("shared file systems of the management pair", _primary(m), commands,
                           f"df shows {', '.join(points)} mounted", "3.1.4.1",
                           rollback=undo + ["# the LUNs' former content is lost: restore it from a backup"]))
        steps.append(step("mount points on the secondary", _secondary(m),
                           [f"mkdir {' '.join(q(p) for p in points if p != '/tftpboot')}"],
                           "the directories exist, nothing is mounted", "3.1.6.5",
                           rollback=[f"rmdir {' '.join(q(p) for p in points if p != '/tftpboot')}"]))
    for cell in cells:
        if cell.type != "nfs":
            continue
        fs = [(dev, mp) for s in cell.services for dev, mp in s.filesystems]
        kinds = {e["mount_point"]: e["fstype"] for e in site.get("nfs", "exports") or []}
        if fs:
            steps.append(step(f"file systems of {cell.name}", _primary(cell),
                               [f"mkfs.{q(kinds.get(mp, 'ext3'))} {q(dev)}   # {mp}" for dev, mp in fs],
                               "each file system created; none of them in /etc/fstab", "9.3",
                               rollback=["nothing to undo on the nodes: the LUNs' former content is lost "
                                         "(restore it from a backup)"]))
            steps.append(step(f"mount points of {cell.name}", fold([n.name for n in cell.nodes]),
                               [f"mkdir -p {' '.join(q(mp) for _, mp in fs)}"], "the directories exist on both nodes",
                               "9.4 step 1 (note)", rollback=[f"rmdir {' '.join(q(mp) for _, mp in fs)}"]))
    return steps


def _network(model, site, cells) -> list:
    from hagen.model.mngt import bond_for

    m = _mngt(cells)
    admin = model.role_network("admin")
    if m is None or admin is None:
        return []
    first = model.node(_primary(m))
    port = first.port_on(admin.name)
    iface = port.interface if port else "eth0"
    bond = bond_for(site, admin.name)
    scripts = "/etc/sysconfig/network-scripts"
    saved = "/root/network-scripts.before-ha"
    commands = [f"cp -a {scripts} {saved}", f"rm -f {q(f'{scripts}/ifcfg-{iface}:1')}"]
    if bond is not None:
        route = q(f"{scripts}/route-{iface}")
        commands.append(f"[ -f {route} ] && mv {route} {q(f'{scripts}/route-{bond.name}')}")
    commands.append("service network restart")
    device = bond.name if bond else iface
    return [step("the old alias and route files", _primary(m), commands,
                  f"no {iface}:1 left (haip manages the alias); ip addr show {device} gives the node's own address only",
                  "3.1.2", rollback=[f"cp -a {saved}/. {scripts}/", "service network restart"])]


def _bring_up(model, site, cells) -> list:
    name = q(site.path.name if getattr(site, "path", None) else "site.yaml")
    hosts = fold([n.name for c in cells for n in c.nodes])
    # the README's deploying workflow: what the nodes hold, the build against it, the plan reviewed, sent
    steps = [step("the configuration files on every node", "the management node",
                   [f"hagen build --site {name}", f"hagen gather --site {name}",
                    f"hagen build --site {name}   # again: cluster.conf's config_version follows the nodes'",
                    f"hagen diff --site {name} --against gathered/ --save-plan plan.json",
                    f"hagen push --site {name} --plan plan.json --reload"],
                   f"diff lists what changes on each node and saves it; push sends exactly that plan and ends with "
                   f"every node done (exit 0): /etc/cluster/cluster.conf and the HA files on {hosts} as built, "
                   "each file's follow-up action run (hagen writes what cs-config-admin, stordepha and stordepha.nfs "
                   "generate)", "3.1.4.3, 6.2.1, 9.4 step 7",
                   rollback=["# with the previous site spec and ClusterDB (git checkout; hagen db load of the "
                             "snapshot); gathered/ holds what the nodes had",
                             f"hagen build --site {name}",
                             f"hagen diff --site {name} --against gathered/ --save-plan rollback.json",
                             f"hagen push --site {name} --plan rollback.json --reload"])] if cells else []
    m = _mngt(cells)
    if m is not None:
        p, s = _primary(m), _secondary(m)
        svc = m.services[0].name if m.services else "HA_NSM"
        steps += [
            step("crons off", fold([p, s]), ["/etc/HA/bin/hacron stop"], "the crons of /etc/HA/cron are asleep",
                  "3.1.4.2", rollback=["/etc/HA/bin/hacron start"]),
            step("boot-time services and links (primary)", p,
                  ["/etc/HA/bin/haunwantedfiles repair", "/etc/HA/bin/halinks repair"], "both end with OK",
                  "3.1.4.4, 3.1.4.5", rollback=["/etc/HA/bin/halinks undo", "/etc/HA/bin/haunwantedfiles undo"]),
            step("Cluster Suite on the primary", p, ["cs -c start", f"clusvcadm -e {q(svc)}", "clustat"],
                  f"{svc} started, owner {p}; /var/log/ha.log shows no error. Enable {svc} on this node only",
                  "3.1.5", rollback=[f"clusvcadm -d {q(svc)}", "cs -c stop"]),
            step("files the secondary needs", p, ["/etc/HA/bin/hasynchro repair", "/etc/HA/bin/hasynchro repair"],
                  "the second run returns OK", "3.1.6.2",
                  rollback=[f"nothing to undo: the files copied to {s} are the primary's, as the secondary needs them"]),
            step("boot-time services and links (secondary)", s,
                  ["/etc/HA/bin/haunwantedfiles repair", "/etc/HA/bin/halinks repair", "/etc/HA/bin/halinks repair"],
                  "the second halinks run prints OK", "3.1.6.3, 3.1.6.4",
                  rollback=["/etc/HA/bin/halinks undo", "/etc/HA/bin/haunwantedfiles undo"]),
            step("Cluster Suite on the secondary", s, ["cs -c start", "clustat"],
                  f"Quorate; {p} and {s} Online; {svc} started, owner {p}", "3.1.6.6", rollback=["cs -c stop"]),
        ]
    lustre = [c for c in cells if c.type == "lustre"]
    if lustre:
        nodes = q(fold([n.name for c in lustre for n in c.nodes]))
        listed = q(",".join(n.name for c in lustre for n in c.nodes))
        owners = "; ".join(f"{s.name} on {s.members[0]}" for c in lustre for s in c.services if s.members)
        steps += [
            step("Cluster Suite on the Lustre cells", "the management node",
                  [f"stordepha -c start -i {listed}", f"stordepha -c status -i {listed}"],
                  "the daemons run on every node; no service is started yet (manual start)", "6.2.2, 6.2.3",
                  rollback=[f"stordepha -c stop -i {listed}"]),
            step("Lustre failover services", "the management node",
                  [f"lustre_migrate hastart -n {nodes}", f"lustre_migrate hastat -n {nodes}"],
                  owners + ". Start them before the file systems", "6.3.7",
                  rollback=[f"lustre_migrate hastop -n {nodes}"]),
        ]
    for cell in cells:
        if cell.type != "nfs":
            continue
        nodes = q(",".join(n.name for n in cell.nodes))
        p = _primary(cell)
        svc = cell.services[0].name if cell.services else "nfs_service"
        enable, disable = (arg(f"clusvcadm -{x} {q(svc)}") for x in "ed")
        steps += [
            step(f"Cluster Suite on {cell.name}", "the management node",
                  [f"stordepha.nfs -c start -i {nodes}", f"stordepha.nfs -c status -i {nodes}"],
                  "the daemons run on both nodes", "9.4.1", rollback=[f"stordepha.nfs -c stop -i {nodes}"]),
            step(f"the NFS service of {cell.name}", "the management node", [f"ssh {q(p)} {enable}"],
                  f"{svc} started on {p}. Run it on ONE node only", "9.4.1",
                  rollback=[f"ssh {q(p)} {disable}"]),
            step(f"exports of {cell.name}", fold([n.name for n in cell.nodes]), ["exportfs -va"],
                  "every /etc/exports entry exported", "9.4.2", rollback=["exportfs -ua"]),
        ]
    return steps


def _tests(model, site, cell) -> list:
    steps = []
    p, s = _primary(cell), _secondary(cell)
    if cell.type == "mngt":
        svc = cell.services[0].name if cell.services else "HA_NSM"
        alias = ", ".join(a.address for a in cell.aliases)
        steps.append(step("relocate the management services", p,
                           [f"clusvcadm -r {q(svc)} -m {q(s)}", "clustat", f"clusvcadm -r {q(svc)} -m {q(p)}"],
                           f"{svc} runs on {s} with the aliases {alias}, then back on {p}", "4.1.4",
                           rollback=[f"clusvcadm -r {q(svc)} -m {q(p)}"]))
    elif cell.type == "lustre":
        steps.append(step("migrate and relocate the Lustre services", "the management node",
                           [f"lustre_migrate export -n {q(p)}", f"lustre_migrate hastat -n {q(fold([p, s]))}",
                            f"lustre_migrate relocate -n {q(p)}"],
                           f"lustre_{p} runs on {s}, then back on {p}; clients recover", "6.3.8",
                           rollback=[f"lustre_migrate relocate -n {q(p)}"]))
    else:
        from hagen.model.nfs import client_mounts

        svc = cell.services[0].name if cell.services else "nfs_service"
        clients = [(node, mounts) for node, mounts in client_mounts(model, site).items()
                   if any(e.cell == cell.name for e, _ in mounts)]
        commands = [f"clusvcadm -r {q(svc)} -m {q(s)}", "clustat"]
        expect = f"{svc} runs on {s}"
        if clients:
            node, mounts = min(clients, key=lambda c: c[0])
            mp = next(e.mount_point for e, _ in mounts if e.cell == cell.name)
            commands.append(f"ssh {q(node)} {arg('df ' + q(mp))}")
            expect += f"; df on {node} still shows {mp}, served through the alias"
        commands.append(f"clusvcadm -r {q(svc)} -m {q(p)}")
        steps.append(step("relocate the NFS service", p, commands, expect + f"; then back on {p}", "9.5, 4.1.4",
                           rollback=[f"clusvcadm -r {q(svc)} -m {q(p)}"]))
    steps += _breaking_tests(model, cell, p, s)
    return steps


# after a node was fenced and is back: what brings it into its cell again
REJOIN = {"mngt": "cs -c start   # on {s} once it is back, then clustat",
          "lustre": "stordepha -c start -i {s}; lustre_migrate relocate -n {s}   # from the management node",
          "nfs": "stordepha.nfs -c start -i {s}   # from the management node: Cluster Suite is restarted by hand (9.4.1)"}


def _breaking_tests(model, cell, p, s) -> list:
    """The heartbeat cable pull and the fence test, each with what that very test shows."""
    steps = []
    victim = cell.node(s)
    moved = ", ".join(x.name for x in owned(cell, s))
    takes = f"{moved} restart{'s' if len(owned(cell, s)) == 1 else ''} on {p}" if moved else \
        f"nothing moves ({s} runs no service in the standard state)"
    f = victim.fencing
    how = (f"through {f.device} ({f.agent} at {f.address}, by the {fence_route(cell, cell.node(p), victim)} "
           "network)") if f else "through its fence device"
    rejoin = REJOIN[cell.type].format(s=q(s))
    hb = victim.link(cell.heartbeat)
    if hb is not None:
        cable = " and ".join(hb.slaves) if hb.slaves else hb.interface
        if hb.redundant:
            expect = (f"one cable out: {hb.interface} carries on over the other slave (cat /proc/net/bonding/"
                      f"{hb.interface} names it active); clustat on {p} shows no change. Both out: {s} is cut from "
                      f"the heartbeat; {p} fences it {how} and {takes}")
        else:
            expect = (f"{s} is cut from the heartbeat on {cell.heartbeat}: clustat on {p} shows {s} Offline; {p} "
                      f"fences it {how} and {takes}")
        steps.append(step(f"pull the heartbeat cable of {s}", s, [f"# unplug {cable} ({cell.heartbeat} network)"],
                           expect, "5.7.3", rollback=[f"# plug {cable} back", rejoin]))
    steps.append(step(f"fence {s}", p, [f"fence_node {q(victim.heartbeat_host)}", "clustat"],
                       f"{p} power-cycles {s} {how} (the agent's default action, a reboot); clustat shows {s} Offline "
                       f"while it reboots, and {takes}",
                       {"mngt": "2.1.1", "lustre": "5.7.1", "nfs": "8.3.1"}[cell.type], rollback=[rejoin]))
    return steps


def render_runbook(compiled, fmt: str = "md") -> str:
    from hagen.check.target import EL9

    if compiled.site.get("target") == EL9:
        from hagen.audit.el9_runbook import render

        return render(compiled, fmt)
    return environment().get_template(f"runbook/runbook.{fmt}.j2").render(**runbook(compiled))
