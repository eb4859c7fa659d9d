"""hagen runbook for target el9-pacemaker: today's procedures, in order, with this site's values.

Sections: packages and fence devices, storage and SELinux, the units Pacemaker manages,
watchdog and SBD, pcsd and the cluster's bring-up, the CIB applied with
/etc/hagen/cib-apply, and a failover test plan per cell whose expectations are the
audit's own failures (hagen.audit.el9_failures). Everything is read from the files the
build writes (hagen.audit.el9_facts), so the runbook follows the CIB. Commands never
carry a secret: the BMC and hacluster passwords are typed when asked.
Templates: templates/runbook/el9.md.j2, el9.html.j2.
"""

from __future__ import annotations

from hagen.audit.el9_facts import El9Cell, el9_cell_facts
from hagen.audit.el9_failures import analyse
from hagen.audit.runbook_steps import READ_PASSWORD, anchor, environment, step
from hagen.audit.shell import q
from hagen.model.names import fold

PACKAGES = {"mngt": [], "lustre": ["lustre-resource-agents"], "nfs": ["nfs-utils"]}
REPO = ("dnf config-manager --set-enabled highavailability   # RHEL: subscription-manager repos --enable "
        "rhel-9-for-x86_64-highavailability-rpms")


def runbook(compiled) -> dict:
    from hagen.audit import not_covered

    model = compiled.model
    cells = el9_cell_facts(compiled)
    sections = [
        {"title": "Packages and fence devices", "steps": _packages(cells) + _alert_agents(compiled.site, cells)},
        {"title": "Shared storage and SELinux", "steps": _storage(cells)},
        {"title": "Units Pacemaker manages", "steps": _units(cells)},
        {"title": "Watchdog and SBD", "steps": _sbd(cells)},
        {"title": "pcsd and the cluster's bring-up", "steps": _bring_up(compiled, cells)},
        {"title": "The CIB", "steps": _cib(cells)},
    ]
    for cell in cells:
        sections.append({"title": f"Failover tests of cell {cell.name}", "steps": _tests(model, cell)})
    names, why = not_covered(compiled)
    kept = [s for s in sections if s["steps"]]
    for number, section in enumerate(kept, 1):      # the table of contents links each chapter
        section["anchor"] = anchor(f"{number}. {section['title']}")
    return {"cluster": model.cluster.name, "sections": kept, "not_covered": fold(names), "not_covered_why": why}


def _nodes(cell: El9Cell) -> str:
    return fold([n.name for n in cell.nodes])


def _primary(cell: El9Cell) -> str:
    owners = [s.preferred[0] for s in cell.services if s.preferred]
    return max((n.name for n in cell.nodes), key=owners.count)     # the first node on a tie


def _packages(cells) -> list:
    steps = []
    for cell in cells:
        # EL9 packages one agent per package: fence_apc_snmp is in fence-agents-apc-snmp
        agents = sorted({"fence-agents-" + d.agent[len("fence_"):].replace("_", "-") for d in cell.devices})
        pkgs = ["pacemaker", "pcs", "resource-agents"] + agents + (["sbd"] if cell.sbd else []) + PACKAGES[cell.type]
        listed = " ".join(map(q, pkgs))
        steps.append(step(f"HA packages on {cell.name}", _nodes(cell), [REPO, f"dnf install -y {listed}",
                                                                         f"rpm -q {listed}"],
                           "every package installed, the same versions on both nodes", "-"))
    bmc = [f"fence_ipmilan -a {q(d.address)} -l {q(d.login)}{' -P' if d.lanplus else ''} -p \"$FENCE_PASSWORD\" -o status"
           f"   # {d.id}" for c in cells for d in c.devices if d.agent == "fence_ipmilan" and d.address]
    if bmc:
        steps.append(step("every fence device answers", "each node's peer", [READ_PASSWORD] + bmc +
                           ["unset FENCE_PASSWORD"], "each command reports the chassis power status (ON); the "
                           "password is typed, never written down", "-"))
    return steps


# the alert agents Pacemaker ships, as samples only (pacemaker-schemas, /usr/share/pacemaker/alerts)
ALERT_SAMPLES = "/usr/share/pacemaker/alerts"
SHIPPED_ALERTS = ("alert_file.sh", "alert_smtp.sh", "alert_snmp.sh")


def _alert_agents(site, cells) -> list:
    """Each alert's agent on every node of each cell. Pacemaker ships them as .sample files
    only: an alert whose path holds no executable is 'not installed' at every event, and the
    dead fence device it was meant to report goes unseen (found by the live cell)."""
    alerts = site.get("pacemaker", "alerts") or []
    if not alerts:
        return []
    commands, rollback = [], []
    for alert in alerts:
        path = alert["path"]
        name = path.rsplit("/", 1)[-1]
        if name in SHIPPED_ALERTS:
            commands.append(f"install -m 0755 {q(f'{ALERT_SAMPLES}/{name}.sample')} {q(path)}")
            rollback.append(f"rm -f {q(path)}")
        else:
            commands.append(f"test -x {q(path)} && echo installed   # the site's own agent: install it first")
    commands.append("ls -l " + " ".join(q(a["path"]) for a in alerts))
    return [step(f"alert agents on {cell.name}", _nodes(cell), commands,
                  "each alert's agent is an executable file on both nodes", "-", rollback) for cell in cells]


def _storage(cells) -> list:
    steps = []
    for cell in cells:
        fs = [r for s in cell.services for r in s.members if r.type == "Filesystem"]
        links = [r for s in cell.services for r in s.members if r.type == "symlink"]
        if not fs:
            continue
        p = _primary(cell)
        def v(r, name, default=None) -> str:
            return q(r.param(name, default) if default is not None else r.param(name))

        commands = [f"mkfs.{v(r, 'fstype', 'xfs')} {v(r, 'device')}   # {r.param('directory')}" for r in fs]
        points = " ".join(v(r, "directory") for r in fs)
        labels = [f"semanage fcontext -a -e {v(r, 'link')} {v(r, 'target')}" for r in links]
        commands += [f"mkdir -p {points}"] + labels
        for r in fs:
            commands += [f"mount {v(r, 'device')} {v(r, 'directory')}",
                         f"restorecon -Rv {v(r, 'directory')}", f"ls -Zd {v(r, 'directory')}",
                         f"umount {v(r, 'directory')}"]
        expect = ("each file system created once, labelled by restorecon (ls -Z shows the context its path should "
                  "have), unmounted again: Pacemaker mounts it; none of them in /etc/fstab")
        if links:
            expect += "; the link targets carry the labels of the paths they stand for (semanage fcontext -e)"
        steps.append(step(f"file systems of {cell.name}", p, commands, expect, "3.1.4.1, 9.3"))
        steps.append(step(f"mount points and labels on the peer of {cell.name}", cell.peer(p).name,
                           [f"mkdir -p {points}"] + labels,
                           "the directories exist, nothing mounted; the same file-context rules as the primary",
                           "3.1.6.5"))
        if cell.type == "nfs":
            steps.append(step(f"SELinux lets {cell.name} export", _nodes(cell),
                               ["getsebool nfs_export_all_rw nfs_export_all_ro"], "both on", "9.4.2"))
    return steps


def _units(cells) -> list:
    steps = []
    for cell in cells:
        units = [r.type for s in cell.services for r in s.members if r.agent.startswith("systemd:")]
        if any(r.type == "nfsserver" for s in cell.services for r in s.members):
            units.append("nfs-server")
        if not units:
            continue
        steps.append(step(f"units of {cell.name} left to Pacemaker", _nodes(cell),
                           [f"systemctl disable --now {' '.join(map(q, units))}",
                            f"systemctl is-enabled {' '.join(map(q, units))}"],
                           "every unit disabled and stopped on both nodes: Pacemaker alone starts them, on one node",
                           "2.3.12"))
    return steps


def _sbd(cells) -> list:
    steps = []
    for cell in cells:
        conf = dict(cell.sbd)
        if not conf.get("SBD_DEVICE"):
            continue
        dev, wd = q(conf["SBD_DEVICE"]), conf.get("SBD_WATCHDOG_DEV", "/dev/watchdog")
        steps.append(step(f"watchdog on {cell.name}", _nodes(cell), [f"ls -l {q(wd)}", "wdctl",
                                                                     "# no hardware watchdog: echo softdog > "
                                                                     "/etc/modules-load.d/softdog.conf; modprobe softdog"],
                           f"{wd} exists and wdctl names its driver (a hardware one rather than softdog)", "-"))
        # the header's timeouts said, not left to sbd's defaults: msgwait (twice the watchdog's, as
        # sbd advises) is what fence_sbd waits, and stonith-timeout (60 s) must exceed it with margin
        watchdog = conf.get("SBD_WATCHDOG_TIMEOUT", "5")
        watchdog = watchdog if watchdog.isdigit() else "5"
        steps.append(step(f"SBD disk of {cell.name}", _primary(cell),
                          [f"sbd -d {dev} -1 {watchdog} -4 {2 * int(watchdog)} create", f"sbd -d {dev} dump"],
                          f"the header lists the timeouts (watchdog {watchdog}, msgwait {2 * int(watchdog)}); run it "
                          "once, on one node", "6.2.1"))
        steps.append(step(f"sbd enabled on {cell.name}", _nodes(cell), ["systemctl enable sbd", f"sbd -d {dev} list"],
                           "sbd starts with the cluster; after the bring-up, list shows both nodes' slots clear",
                           "-"))
    return steps


def _bring_up(compiled, cells) -> list:
    if not cells:
        return []
    name = q(compiled.site.path.name if getattr(compiled.site, "path", None) else "site.yaml")
    hosts = fold([n.name for c in cells for n in c.nodes])
    steps = [step("the configuration files on every node", "the management node",
                   [f"hagen build --site {name}", f"hagen push --site {name} --dry-run", f"hagen push --site {name}"],
                   f"/etc/corosync/corosync.conf, /etc/hagen/cib.xml and the other files on {hosts} as built", "-")]
    for cell in cells:
        nodes = " ".join(q(n.name) for n in cell.nodes)
        commands = ["systemctl enable --now pcsd", "passwd hacluster   # typed, the same on both nodes"]
        steps.append(step(f"pcsd on {cell.name}", _nodes(cell), commands, "pcsd runs on both nodes", "-"))
        start = [f"pcs host auth {nodes} -u hacluster", "pcs cluster start --all", "pcs cluster enable --all",
                 "corosync-cfgtool -s", "pcs status"]
        if cell.crypto != "none":
            start[1:1] = ["corosync-keygen", f"scp -p /etc/corosync/authkey "
                          f"{q(cell.peer(_primary(cell)).name + ':/etc/corosync/authkey')}"]
        links = ", ".join(f"link {ln.number} ({ln.network})" for ln in cell.knet)
        steps.append(step(f"cluster {cell.cluster_name} up", _primary(cell), start,
                           f"corosync-cfgtool -s shows {links} connected to the peer; pcs status shows both nodes "
                           "online and no resource yet", "3.1.5"))
    return steps


def _cib(cells) -> list:
    steps = []
    for cell in cells:
        where = "; ".join(f"{s.name} on {s.preferred[0]}" for s in cell.services if s.preferred)
        steps.append(step(f"the CIB of {cell.name}", _primary(cell),
                           ["/etc/hagen/cib-apply --dry-run", "/etc/hagen/cib-apply", "crm_verify -L -V",
                            "pcs stonith level config", "pcs status --full"],
                           f"the dry run shows what changes; crm_verify prints nothing; {where}", "3.1.5, 9.4.1"))
    return steps


def _effect(failures, kind, subject_start: str) -> str:
    """The effect the audit predicts for the failure of that class whose subject starts so."""
    f = next((f for f in failures if f["failure"] == kind and f["subject"].startswith(subject_start)), None)
    return f["effect"] if f else "see hagen audit"


def _tests(model, cell: El9Cell) -> list:
    failures = analyse(cell, model)
    p = _primary(cell)
    s = cell.peer(p).name
    steps = []
    for svc in cell.services[:1]:
        steps.append(step(f"move {svc.name}", p, [f"pcs resource move {q(svc.name)} {q(s)}", "pcs status",
                                                   f"pcs resource clear {q(svc.name)}"],
                           f"{svc.name} runs on {s} and stays there after the clear (stickiness); move it back "
                           "the same way", "4.1.4"))
        steps.append(step(f"a monitor failure of {svc.name}", p,
                           [f"crm_resource --fail -r {q(svc.members[-1].id)} -N {q(p)}", "pcs status",
                            f"pcs resource cleanup {q(svc.name)}"],
                           _effect(failures, "monitor_failure", svc.name), "5.7.1, 8.3.1"))
    if cell.knet:
        link = cell.node(s).links and next((ln for ln in cell.node(s).links if ln.network == cell.knet[0].network),
                                           None)
        if link:
            steps.append(step(f"corosync link {cell.knet[0].number} of {s} down", s,
                               [f"ip link set {q(link.interface)} down   # from the console", "corosync-cfgtool -s",
                                f"ip link set {q(link.interface)} up"],
                               _effect(failures, "knet_link_lost", f"link {cell.knet[0].number}"), "5.7.3"))
    for a in cell.addresses[:1]:
        link = next((ln for ln in cell.node(p).links if ln.network == a.network), None)
        if link and not link.redundant:
            steps.append(step(f"service NIC {link.interface} of {p} down", p,
                               [f"ip link set {q(link.interface)} down   # from the console", "pcs status",
                                f"ip link set {q(link.interface)} up"],
                               _effect(failures, "service_nic_lost", f"{p} {link.interface}"), "8.3.3"))
    bmc = next((d for d in cell.devices if p in d.targets and d.address), None)
    if bmc:
        steps.append(step(f"fence device {bmc.id} unreachable", _nodes(cell),
                           [f"ip route add blackhole {q(bmc.address + '/32')}", f"pcs status --full   # after "
                            f"{bmc.id}'s next monitor", f"ip route del blackhole {q(bmc.address + '/32')}",
                            f"pcs resource cleanup {q(bmc.id)}"],
                           _effect(failures, "fence_device_lost", bmc.id), "5.3, 8.1"))
    # the node running the services is the one whose loss tests the cell
    steps.append(step(f"fence {p}", s, [f"pcs stonith fence {q(p)}", "pcs status"],
                       _effect(failures, "node_crash", p), "5.7.1, 8.3.1"))
    steps.append(step(f"{p} back in the cluster", p, ["pcs cluster start", "pcs status"],
                       _effect(failures, "node_rejoins", p), "5.4, 9.4.1"))
    if any(d.powered_by == p for d in cell.devices):
        steps.append(step(f"power of {p} lost", s,
                           [f"# pull every power cord of {p}: its BMC goes dark with it", "pcs status",
                            f"stonith_admin --history {q(p)}"],
                           _effect(failures, "node_power_lost", p), "5.3, 8.1"))
    return steps


def render(compiled, fmt: str) -> str:
    return environment().get_template(f"runbook/el9.{fmt}.j2").render(**runbook(compiled))
