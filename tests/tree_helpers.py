"""ClusterShell tree mode on one machine (CLARIFICATIONS 44): an OpenSSH server on 127.0.0.1
plays the gateways, simulated nodes sit behind them.

- sshd runs on a free port with a host key and a user key made for the test, in a private
  mount namespace (its privilege separation folder, /run/sshd, exists only there); it is
  started and stopped by pid. Every gateway name (gw1, gw2) is an alias of it in the ssh
  client configuration the test writes, and every other host has `ProxyCommand /bin/false`:
  nothing leaves the machine. A gateway that is "down" points to a port nobody listens on.
- On the gateway side, sshd puts a stand-in `ssh` first on PATH. For a gateway name it runs
  the real ssh (a second level); for a simulated node it runs the command in the node's own
  folder: a private mount namespace and UTS namespace (the node's hostname), the machine's
  /usr under an overlay of the node's own (what it writes there stays in its folder), chroot
  into the folder. Real sh, tar, mkdir, chown, ln and rm run there, as on
  a node. A node can be down (fails as ssh does, status 255), hung (sleeps until the test
  stops it, by pid), named otherwise (`hostname -s` differs from the name in -w), or hostile
  (its `tar` writes an archive the test made, whatever it was asked); a node's own commands
  (`service`...) are scripts the test gives it.
- ssh keeps one master connection to the gateways (ControlMaster), ended by its pid.
- clush finds the ssh client configuration through $CLUSTERSHELL_CFGDIR/clush.conf, and
  runs the gateway with $CLUSTERSHELL_GW_PYTHON_EXECUTABLE, the interpreter of the tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"

# The gateway side's ssh: a gateway name goes to the real ssh, a node name to its folder.
SSH_STANDIN = r'''
import json, os, signal, sys
args = sys.argv[1:]
WITH_VALUE = set("BbcDEeFIiJLlmOoPpQRSWw")
i = 0
while i < len(args) and args[i].startswith("-"):
    i += 2 if args[i][-1] in WITH_VALUE and len(args[i]) == 2 else 1
host, command = args[i], " ".join(args[i + 1:])
nodes = os.environ["TREE_NODES"]
if not os.path.isdir(os.path.join(nodes, host)):
    os.execv("/usr/bin/ssh", ["ssh", *args])        # another gateway (two levels)
conf = json.load(open(os.environ["TREE_CONF"]))
if host in conf.get("down", []):
    sys.stderr.write(f"ssh: connect to host {host} port 22: Connection refused\n")
    sys.exit(255)
if host in conf.get("hung", []):
    with open(os.environ["TREE_PIDS"], "a") as pids:
        pids.write(f"{os.getpid()}\n")
    while True:
        signal.pause()
root = os.path.join(nodes, host)
hostname = conf.get("hostnames", {}).get(host, host)
script = """set -e
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$1/.usr-upper,workdir=$1/.usr-work" "$1/usr"
hostname "$2"
PATH=/node-bin:/usr/bin:/bin exec /usr/sbin/chroot "$1" /bin/sh -c "$3"
"""
os.execvp("unshare", ["unshare", "-m", "-u", "--propagation", "private", "sh", "-c", script, "node", root,
                      hostname, command])
'''


def missing_reason() -> str | None:
    """Why tree-mode tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "tree mode needs root (sshd, mount namespaces, chroot for the simulated nodes)"
    for tool in (SSHD, "/usr/bin/ssh", "/usr/bin/ssh-keygen"):
        if not os.access(tool, os.X_OK):
            return f"{tool} is not installed (Debian: openssh-server, openssh-client)"
    for tool in ("clush", "unshare", "chroot", "tar", "base64"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not (os.path.islink("/bin") and os.path.islink("/lib")):
        return "the simulated nodes borrow a merged /usr (/bin and /lib links to usr/), which this machine has not"
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ("upper", "work", "usr"):
            os.mkdir(f"{tmp}/{folder}")
        overlay = f"lowerdir=/usr,upperdir={tmp}/upper,workdir={tmp}/work"
        probe = subprocess.run(["unshare", "-m", "-u", "--propagation", "private", "mount", "-t", "overlay",
                                "overlay", "-o", overlay, f"{tmp}/usr"], capture_output=True)
    if probe.returncode != 0:
        return "no mount namespaces or overlay mounts here (unshare -m -u, mount -t overlay fail)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tree:
    """sshd as the gateways, simulated nodes behind them, clush's configuration.

    gateways: the gateway names sshd answers for; down_gateways: names that point to a
    closed port; routes: topology.conf's [routes] lines, the admin node written ADMIN."""

    def __init__(self, tmp: Path, nodes: list[str], gateways=("gw1",), down_gateways=(), routes=None):
        self.tmp = tmp
        self.nodes = list(nodes)
        self.sshdir = tmp / "ssh"
        self.sshdir.mkdir(parents=True)
        self.noderoot = tmp / "nodes"
        self.conf = tmp / "nodes.json"
        self.pids = tmp / "hung.pids"
        self.cfgdir = tmp / "clustershell"
        self.topology = tmp / "topology.conf"
        self.port = _free_port()
        self.masters = Path(tempfile.mkdtemp(prefix="hagen-cm-"))    # a socket path has at most 107 bytes
        self.proc: subprocess.Popen | None = None
        self.behave()
        for node in self.nodes:
            self._make_node(node)
        self._keys()
        self._client_config(gateways, down_gateways)
        admin = socket.gethostname().split(".")[0]
        routes = routes or [f"ADMIN: {','.join(gateways + tuple(down_gateways))}",
                            f"{','.join(gateways + tuple(down_gateways))}: {','.join(self.nodes)}"]
        self.topology.write_text("[routes]\n" + "".join(r.replace("ADMIN", admin) + "\n" for r in routes))

    # -- nodes -----------------------------------------------------------------------
    def _make_node(self, node: str) -> None:
        root = self.noderoot / node
        for folder in ("etc", "usr", "dev", "tmp", ".usr-upper", ".usr-work"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        for link in ("bin", "sbin", "lib", "lib64"):
            if os.path.islink(f"/{link}"):          # merged /usr: the same links as the machine
                (root / link).symlink_to(os.readlink(f"/{link}"))
        os.mknod(root / "dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        for name in ("passwd", "group"):            # chown root:root resolves names
            shutil.copy(f"/etc/{name}", root / "etc" / name)

    def node_file(self, node: str, path: str) -> Path:
        """Where node's path is here: what a node writes under /usr lands in its own layer."""
        if path.startswith("/usr/"):
            return self.noderoot / node / ".usr-upper" / path[len("/usr/"):]
        return self.noderoot / node / path.lstrip("/")

    def behave(self, down=(), hung=(), hostnames=None) -> None:
        self.conf.write_text(json.dumps({"down": list(down), "hung": list(hung), "hostnames": hostnames or {}}))

    def give_command(self, node: str, name: str, script: str) -> None:
        """node runs script (sh) for the command name: /node-bin comes first on its PATH."""
        bindir = self.noderoot / node / "node-bin"
        bindir.mkdir(exist_ok=True)
        (bindir / name).write_text("#!/bin/sh\n" + script)
        (bindir / name).chmod(0o755)

    def make_hostile(self, node: str, archive: bytes) -> None:
        """node's tar writes archive, whatever it is asked."""
        (self.noderoot / node / "hostile.tar").write_bytes(archive)
        self.give_command(node, "tar", "cat /hostile.tar\n")

    # -- ssh -------------------------------------------------------------------------
    def _keys(self) -> None:
        for name in ("host_key", "user_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"hagen-test-{name}",
                            "-f", str(self.sshdir / name)], check=True)
        shutil.copy(self.sshdir / "user_key.pub", self.sshdir / "authorized_keys")
        host_pub = (self.sshdir / "host_key.pub").read_text().split()
        (self.sshdir / "known_hosts").write_text(f"hagen-test-gateway {host_pub[0]} {host_pub[1]}\n")
        gwbin = self.tmp / "gwbin"
        gwbin.mkdir()
        (gwbin / "ssh").write_text(f"#!{sys.executable} -S\n{SSH_STANDIN}")
        (gwbin / "ssh").chmod(0o755)
        (self.sshdir / "sshd_config").write_text(f"""\
Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.sshdir}/host_key
PidFile none
AuthorizedKeysFile {self.sshdir}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
SetEnv PATH={gwbin}:/usr/sbin:/usr/bin:/sbin:/bin TREE_NODES={self.noderoot} TREE_CONF={self.conf} TREE_PIDS={self.pids} \
PYTHONDONTWRITEBYTECODE=1 HOME={self.tmp}/gwhome
""")

    def _client_config(self, gateways, down_gateways) -> None:
        # a gateway that is down: a port held bound (so that no other test's sshd takes it) but never listened on
        self.closed = socket.socket()
        self.closed.bind(("127.0.0.1", 0))
        closed = self.closed.getsockname()[1]
        lines = []
        for gw in [*gateways, *down_gateways]:
            lines += [f"Host {gw}", "  HostName 127.0.0.1", f"  Port {closed if gw in down_gateways else self.port}",
                      "  ProxyCommand none", "  HostKeyAlias hagen-test-gateway",
                      # one connection for every call (a master process stop() ends by its pid)
                      "  ControlMaster auto", f"  ControlPath {self.masters}/%C", "  ControlPersist yes"]
        lines += ["Host *", "  User root", f"  IdentityFile {self.sshdir}/user_key", "  IdentitiesOnly yes",
                  f"  UserKnownHostsFile {self.sshdir}/known_hosts", "  GlobalKnownHostsFile /dev/null",
                  "  StrictHostKeyChecking yes", "  BatchMode yes", "  ConnectTimeout 10",
                  "  ProxyCommand /bin/false"]       # any other host: never reached
        (self.sshdir / "ssh_config").write_text("\n".join(lines) + "\n")
        self.cfgdir.mkdir()
        (self.cfgdir / "clush.conf").write_text(f"[Main]\nssh_options: -F {self.sshdir}/ssh_config\n")

    def env(self) -> dict:
        return {"CLUSTERSHELL_CFGDIR": str(self.cfgdir), "CLUSTERSHELL_GW_PYTHON_EXECUTABLE": sys.executable}

    # -- the server ------------------------------------------------------------------
    def start(self) -> "Tree":
        log = open(self.tmp / "sshd.log", "wb")
        script = 'mount -t tmpfs -o mode=755 none /run && mkdir /run/sshd && exec "$0" -D -e -f "$1"'
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script, SSHD,
                                      str(self.sshdir / "sshd_config")], stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + 20      # a readiness wait, not a timing assumption
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd did not start: {(self.tmp / 'sshd.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("sshd does not accept connections")
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop what the test started, by pid: the hung nodes' stand-ins, then sshd."""
        if self.pids.exists():
            for pid in {int(p) for p in self.pids.read_text().split()}:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.pids.unlink()
        for master in self.masters.iterdir():
            check = subprocess.run(["ssh", "-o", f"ControlPath={master}", "-O", "check", "gateway"],
                                   capture_output=True, text=True)
            found = re.search(r"pid=(\d+)", check.stdout + check.stderr)
            if found:
                try:
                    os.kill(int(found.group(1)), signal.SIGTERM)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.masters, ignore_errors=True)
        self.closed.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
