"""A real two-node corosync + Pacemaker cell on this machine, from the files hagen builds.

Each node runs corosync and pacemakerd in its own network, mount, UTS, IPC and PID
namespaces (tests/live/node-init.sh), with its own disk (overlays of /etc, /usr, /var), a
fresh /run and /dev/shm, and NICs plugged into bridges of a switch namespace on the
addresses of hagen's NetworkManager keyfiles. Each node has a BMC: OpenIPMI's ipmi_sim
in a namespace of its own on the address of the node's fence device in hagen's CIB, whose
power commands kill and boot the node (tests/live/bmc-chassis.sh); Pacemaker fences
through the real fence_ipmilan, and through fence_sbd on a second level: each node runs
the real sbd daemon from hagen's /etc/sysconfig/sbd on an SBD disk both nodes see. Shared
LUNs are loop devices. The hosts hagen's ping clone pings are addresses of the switch's
bridges (they exist only in its namespace).

What cannot be real here, and stands in:
- the watchdog: this machine has no /dev/watchdog and loads no module (softdog would reset
  the whole machine, not one node): each node's sbd runs with SBD_WATCHDOG_DEV=/dev/null,
  which is sbd's own "no watchdog". A reset message still ends the node: sbd's reboot()
  inside the node's PID namespace kills that namespace (node-init.sh hides
  /proc/sysrq-trigger from it first), and the node stays off until its BMC powers it on;
- the bonds: no bonding module here; each bond hagen configures is one veth of that name.
The switch, its routes and the BMCs' network: tests/live_setup.py.

Nothing here exists outside the namespaces it creates; `LiveCell.destroy` removes every
process (by pid), mount, namespace and loop device it made.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from lxml import etree

from live_cib import adapt_cib
from live_setup import (BMC_BRIDGE, BMC_GATEWAY, LIVE, bmc_files, bridge_of, install_standin,
                        node_nics, node_routes, ping_hosts, sbd_config, stock_el9_units,
                        switch_addresses, undo_halinks)

TOOLS = ("unshare", "nsenter", "ip", "losetup", "mkfs.ext3", "corosync", "corosync-cfgtool",
         "pacemakerd", "crm_mon", "cibadmin", "crm_resource", "stonith_admin", "ipmi_sim",
         "ipmitool", "fence_ipmilan", "xmllint", "crm_verify", "sbd", "fence_sbd", "ping")


def missing_requirement() -> str | None:
    """Why the live tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "the live cluster tests need root (namespaces, mounts, loop devices)"
    absent = [t for t in TOOLS if shutil.which(t) is None]
    if absent:
        return "the live cluster tests need " + ", ".join(absent) + " (see .ci/run)"
    probe = subprocess.run(["unshare", "--net", "--mount", "--uts", "--ipc", "--pid", "--fork",
                            "ip", "link", "add", "probe", "type", "bridge"], capture_output=True)
    if probe.returncode != 0:
        return "no network namespaces or bridges here: " + probe.stderr.decode(errors="replace")
    if not Path("/dev/loop-control").exists():
        return "no loop devices here (/dev/loop-control)"
    if "overlay" not in Path("/proc/filesystems").read_text():
        return "no overlay file system here"
    return None


def sh(*argv: str, check: bool = True, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=check, timeout=timeout, capture_output=True, text=True, **kw)


def wait_for(what: str, probe, timeout: float, interval: float = 0.5):
    """Poll probe() until it returns something true, for at most timeout seconds; return
    that value, or fail saying what was awaited and what probe last answered."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = probe()
        except (subprocess.SubprocessError, OSError, ValueError) as e:
            last = e
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what} (last answer: {last!r})")
        time.sleep(interval)


def members_of(mon, name: str) -> list:
    """crm_mon's <resource> elements of the group `name` (or the primitive itself)."""
    return ([r for g in mon.iter("group") if g.get("id") == name for r in g.iter("resource")]
            or [r for r in mon.iter("resource") if r.get("id") == name])


def started_on(mon, name: str) -> str | None:
    """In one crm_mon reading: the one node where every member of the group (or the
    primitive) is started, else None."""
    members = members_of(mon, name)
    places = {n.get("name") for r in members for n in r.iter("node")}
    good = all(r.get("role") == "Started" and r.get("failed") == "false" for r in members)
    return places.pop() if members and good and len(places) == 1 else None


class LiveCell:
    """One el9 cell of a built tree, up on this machine. Use `start()` then `destroy()`."""

    def __init__(self, out: Path, nodes: list[str], state: Path, *, luns_mib: int = 16,
                 group: str = "HA_NSM", network: dict | None = None, units: set[str] = frozenset()):
        # network: {node: (NICs, routes)} where hagen writes no keyfiles (snapshot_network);
        # units: the site's own systemd units (pacemaker.units), beside a stock EL9 install's
        self.out, self.nodes, self.state = out, nodes, state
        self.units = stock_el9_units() | set(units)
        self.group, self.network, self.luns_mib = group, network or {}, luns_mib
        self.loops: list[str] = []
        self.mounted: list[Path] = []
        self.supervisor: subprocess.Popen | None = None
        self.cib = None             # the adapted copy (lxml tree) every node holds
        self.notes: dict = {}       # outcomes of scenarios played once, for several tests

    # --- bring-up -------------------------------------------------------------------------

    def start(self, timeout: float = 150) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "bin").mkdir(exist_ok=True)
        for script in ("node-init.sh", "bmc-chassis.sh"):
            shutil.copy2(LIVE / script, self.state / "bin" / script)
            (self.state / "bin" / script).chmod(0o755)      # whatever the checkout kept
        self.cib, self.bmcs, self.sbd_disks = adapt_cib(
            self.out / self.nodes[0] / "etc/hagen/cib.xml", self._make_lun)
        self._make_switch()
        for node in self.nodes:
            self._make_disk(node)
            self._make_bmc_namespace(node)
        self._start_supervisor()
        for node in self.nodes:
            self.ipmi(node, "chassis", "power", "on")
        wait_for("both nodes online in corosync and pacemaker",
                 lambda: all(self.online(n) == set(self.nodes) for n in self.nodes), timeout)

    def _make_switch(self) -> None:
        ns = self.state / "ns"
        ns.mkdir(exist_ok=True)
        sh("mount", "--bind", str(ns), str(ns))
        self.mounted.append(ns)
        sh("mount", "--make-private", str(ns))
        switch = self._new_netns("switch")
        bridges = {BMC_BRIDGE}
        for node in self.nodes:
            bridges |= {f"br-{nic}" for nic, _ in self.nics(node)}
        for index, bridge in enumerate(sorted(bridges), start=1):
            self.in_switch("ip", "link", "add", bridge, "address", f"02:00:00:00:00:{index:02x}",
                           "type", "bridge")
            self.in_switch("ip", "link", "set", bridge, "up")
        sh("nsenter", f"--net={switch}", "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")
        self.in_switch("ip", "address", "add", f"{BMC_GATEWAY}/32", "dev", BMC_BRIDGE)
        for bmc in self.bmcs.values():
            self.in_switch("ip", "route", "add", f"{bmc}/32", "dev", BMC_BRIDGE)
        nics = self.nics(self.nodes[0])
        for address, (bridge, prefix) in switch_addresses(
                self.cib, nics, self.routes(self.nodes[0])).items():
            self.in_switch("ip", "address", "add", f"{address}/{prefix}", "dev", bridge)

    def _new_netns(self, name: str) -> Path:
        path = self.state / "ns" / name
        path.touch()
        sh("unshare", f"--net={path}", "ip", "link", "set", "lo", "up")
        self.mounted.insert(0, path)
        return path

    def ping_targets(self) -> list[str]:
        """The hosts hagen's ping clones ping (addresses of the switch)."""
        return ping_hosts(self.cib)

    def ping_target(self, host: str, answers: bool) -> None:
        """The pinged host (a router: the admin network's gateway) answers, or is down."""
        bridge, prefix = bridge_of(self.nics(self.nodes[0]), host)
        self.in_switch("ip", "address", "add" if answers else "del", f"{host}/{prefix}",
                       "dev", bridge)

    def in_switch(self, *argv: str) -> subprocess.CompletedProcess:
        return sh("nsenter", f"--net={self.state / 'ns' / 'switch'}", *argv)

    def _make_lun(self, name: str, kind: str) -> str:
        """A shared LUN both nodes see: a loop device on a file, with an ext3 file system,
        or initialised as an SBD disk (`sbd create`, as hagen's runbook does it)."""
        image = self.state / "luns" / f"{name}.img"
        image.parent.mkdir(exist_ok=True)
        with open(image, "wb") as f:
            f.truncate(self.luns_mib << 20)
        if kind == "ext3":
            sh("mkfs.ext3", "-q", "-F", str(image))
        device = sh("losetup", "--find", "--show", str(image)).stdout.strip()
        self.loops.append(device)
        if kind == "sbd":
            sh("sbd", "-d", device, "create")
        return device

    def _make_disk(self, node: str) -> None:
        """The node's disk as the migration guide leaves it, holding what hagen wrote for it."""
        here = self.state / "nodes" / node
        for top in ("etc", "usr", "var"):
            (here / "disk" / top).mkdir(parents=True, exist_ok=True)
            (here / "work" / top).mkdir(parents=True, exist_ok=True)
        built = self.out / node
        for path in sorted(built.rglob("*")):
            target = here / "disk" / path.relative_to(built)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        self.write_cib(node)
        sbd_config(here / "disk", self.sbd_disks)
        undo_halinks(here / "disk", self.cib)
        install_standin(here / "disk", self.units)
        logs = here / "disk/var/log/pacemaker"
        logs.mkdir(parents=True, exist_ok=True)
        shutil.chown(logs, "hacluster", "haclient")
        nics = [f"{nic} {node}-{i} br-{nic} {address}" for i, (nic, address) in
                enumerate(self.nics(node))]
        (here / "nics").write_text("\n".join(nics) + "\n")
        (here / "routes").write_text("".join(f"{destination} via {gateway}\n" for destination, gateway
                                             in self.routes(node)))
        (here / "power.pid").write_text("")

    def write_cib(self, node: str) -> None:
        path = self.state / "nodes" / node / "disk/etc/hagen/cib.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(etree.tostring(self.cib, xml_declaration=True, encoding="utf-8"))

    def _make_bmc_namespace(self, node: str) -> None:
        path = self._new_netns(f"bmc-{node}")
        port = f"{node}-ipmi"
        sh("nsenter", f"--net={path}", "sh", "-c",
           f'nsenter --net="$0" ip link add {port} type veth peer name eth0 netns $$',
           str(self.state / "ns" / "switch"))
        self.in_switch("ip", "link", "set", port, "master", BMC_BRIDGE, "up")
        bmc = self.bmcs[node]
        for argv in (["ip", "address", "add", f"{bmc}/32", "dev", "eth0"],
                     ["ip", "link", "set", "eth0", "up"],
                     ["ip", "route", "add", f"{BMC_GATEWAY}/32", "dev", "eth0"],
                     ["ip", "route", "add", "default", "via", BMC_GATEWAY]):
            sh("nsenter", f"--net={path}", *argv)
        password = (self.out / node / "etc/hagen/fence-password").read_text().strip()
        bmc_files(self.state / "bmc" / node, node, bmc, self.fence_user(), password,
                  f"{self.state}/bin/bmc-chassis.sh {node} {self.state}")

    def fence_user(self) -> str:
        return self.cib.xpath("string(//primitive[@type='fence_ipmilan']"
                              "//nvpair[@name='username']/@value)")

    def _start_supervisor(self) -> None:
        commands = []
        for node in self.nodes:
            here = self.state / "bmc" / node
            commands.append([str(here / "sim.pid"), str(here / "sim.log"), "nsenter",
                             f"--net={self.state / 'ns' / f'bmc-{node}'}", "ipmi_sim", "-n",
                             "-c", str(here / "lan.conf"), "-f", str(here / "emu"),
                             "-s", str(here / "persist")])
        (self.state / "supervise.json").write_text(json.dumps(commands))
        self.supervisor = subprocess.Popen(
            ["python3", str(LIVE / "supervisor.py"), str(self.state / "supervise.json")],
            stdin=subprocess.DEVNULL, start_new_session=True)
        wait_for("ipmi_sim of every BMC started", lambda: all(
            self._pid(self.state / "bmc" / n / "sim.pid") for n in self.nodes), 10, 0.1)
        wait_for("every BMC answers", lambda: all(
            self.ipmi(n, "chassis", "power", "status", check=False).returncode == 0
            for n in self.nodes), 20)

    # --- looking at it and acting on it ---------------------------------------------------

    def ipmi(self, node: str, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        """ipmitool toward the node's BMC, from inside the BMC's own namespace."""
        password = self.out / self.nodes[0] / "etc/hagen/fence-password"
        return sh("nsenter", f"--net={self.state / 'ns' / f'bmc-{node}'}", "ipmitool",
                  "-I", "lanplus", "-C", "3", "-H", self.bmcs[node], "-U", self.fence_user(),
                  "-f", str(password), *command, check=check, timeout=30)

    def _pid(self, path: Path) -> int | None:
        """The pid a file of this cell names, if that process is still one of this cell's
        (its command line names the cell's folder): a pid is never trusted after reuse."""
        try:
            text = path.read_text().strip()
            if not text.isdigit():
                return None
            cmdline = Path(f"/proc/{text}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return None
        return int(text) if str(self.state) in cmdline else None

    def init_pid(self, node: str) -> int | None:
        """The host pid of the node's PID 1 (the child of its unshare), None when it is off."""
        unshare = self._pid(self.state / "nodes" / node / "power.pid")
        if unshare is None:
            return None
        try:
            children = Path(f"/proc/{unshare}/task/{unshare}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def run(self, node: str, *argv: str, check: bool = True, timeout: float = 60,
            input: str | None = None) -> subprocess.CompletedProcess:
        """A command inside the node (all its namespaces)."""
        pid = self.init_pid(node)
        if pid is None:
            raise OSError(f"{node} is powered off")
        return sh("nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "--", *argv,
                  check=check, timeout=timeout, input=input)

    def mon(self, node: str):
        """crm_mon's XML as the node sees the cluster."""
        return etree.fromstring(self.run(node, "crm_mon", "--one-shot", "--output-as=xml",
                                         timeout=20).stdout.encode())

    def online(self, node: str) -> set[str]:
        if self.init_pid(node) is None:
            return set()
        result = self.run(node, "crm_mon", "--one-shot", "--output-as=xml", check=False, timeout=20)
        if result.returncode != 0:
            return set()
        tree = etree.fromstring(result.stdout.encode())
        return {n.get("name") for n in tree.iterfind("nodes/node") if n.get("online") == "true"}

    def where(self, node: str, resource: str) -> set[str]:
        """The nodes the resource is started on, as crm_mon on `node` says."""
        tree = self.mon(node)
        return {n.get("name") for r in tree.iter("resource") if r.get("id") == resource
                and r.get("role") == "Started" and r.get("failed") == "false" for n in r.iter("node")}

    def group_started_on(self, node: str, group: str) -> str | None:
        """The one node where every member of the group (or the primitive) is started, else None."""
        return started_on(self.mon(node), group)

    def power_cut(self, node: str) -> None:
        """The node loses power (no clean stop): its whole process namespace is killed."""
        pid = self._pid(self.state / "nodes" / node / "power.pid")
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def boots(self, node: str) -> int:
        """How many times the node's BMC has powered it on."""
        try:
            return len((self.state / "nodes" / node / "boots").read_text().splitlines())
        except FileNotFoundError:
            return 0

    def hold_in_post(self, node: str, hold: bool = True) -> None:
        """While held, a node powered on waits before booting (as a real one takes minutes)."""
        flag = self.state / "nodes" / node / "hold-in-post"
        flag.touch() if hold else flag.unlink(missing_ok=True)

    def nics(self, node: str) -> list[tuple[str, str]]:
        """(interface, address) of the node's NICs hagen configured, in keyfile order."""
        return self.network[node][0] if node in self.network else node_nics(self.out, node)

    def routes(self, node: str) -> list[tuple[str, str]]:
        return self.network[node][1] if node in self.network else node_routes(self.out, node)

    def ring_nic(self, node: str, ring: int) -> str:
        """The NIC carrying the node's knet link `ring` (ringN_addr of hagen's corosync.conf)."""
        conf = (self.out / node / "etc/corosync/corosync.conf").read_text()
        block = next(b for b in conf.split("node {")[1:] if re.search(rf"name:\s*{node}\s", b))
        address = re.search(rf"ring{ring}_addr:\s*(\S+)", block).group(1)
        return next(nic for nic, cidr in self.nics(node) if cidr.split("/")[0] == address)

    def link(self, node: str, nic: str, up: bool, check: bool = True) -> None:
        """Plug (up) or unplug the switch's end of one of the node's NICs."""
        index = [n for n, _ in self.nics(node)].index(nic)
        sh("nsenter", f"--net={self.state / 'ns' / 'switch'}", "ip", "link", "set",
           f"{node}-{index}", "up" if up else "down", check=check)

    def isolate_nodes(self, isolated: bool) -> None:
        """Every node's switch ports stop (or start again) talking to each other, each still
        reaching the switch's own addresses (the gateways, and so the BMCs): a split."""
        for node in self.nodes:
            for index in range(len(self.nics(node))):
                sh("nsenter", f"--net={self.state / 'ns' / 'switch'}", "bridge", "link", "set",
                   "dev", f"{node}-{index}", "isolated", "on" if isolated else "off",
                   check=isolated)          # a node fenced meanwhile took its ports along

    def bmc_link(self, node: str, up: bool) -> None:
        self.in_switch("ip", "link", "set", f"{node}-ipmi", "up" if up else "down")

    # --- tear-down --------------------------------------------------------------------------

    def destroy(self) -> None:
        """Every process (by pid), namespace, mount and loop device this cell made."""
        for node in self.nodes:               # the BMCs first: no power-on after this
            sim = self._pid(self.state / "bmc" / node / "sim.pid")
            if sim:
                try:
                    os.kill(sim, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for node in self.nodes:
            self.power_cut(node)
        if self.supervisor is not None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
                self.supervisor.wait()
        for path in self.mounted:
            sh("umount", "--lazy", str(path), check=False)
        for device in self.loops:
            sh("losetup", "--detach", device, check=False)

