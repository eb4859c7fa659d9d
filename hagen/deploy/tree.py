"""ClusterShell tree mode: clush reaches the nodes through gateways (deploy.topology,
CLARIFICATIONS 44; docs/tree-mode.md).

Three things differ from a direct fan-out, and are handled here:

- The topology file is the admin's: it is read with ClusterShell's own parser before
  anything runs, and must route from this node (HA991); it needs `tool: clush` (HA990).
- clush exits 0 when a node failed, and 1 with no per-node line when a gateway failed
  ("rerouting commands for NODES due to the failure of gateway GW", then "No route
  available"): `failures()` reads both from its standard error, so that every node behind a
  gateway that failed is reported with the gateway's own words, and never as done.
- `clush --rcopy` through a gateway extracts each node's tar on this node as fully trusted
  (a hostile node writes where it likes: `../`, absolute names, links) and names each file
  after the node's own `hostname -s`, not the name hagen gave (a node whose hostname
  differs looks "missing"). So gather does not use it there: `fetch()` has each node send
  its file as a tar on standard output (through the exec command, the gateways doing the
  fan-out), in lines clush prefixes with the node's name as given in -w; the archive is
  read here, never extracted: it must hold exactly one regular file of the name asked for
  (HA992 otherwise), whose bytes and mode are all that is used.
"""

from __future__ import annotations

import base64
import binascii
import os
import posixpath
import re
import shlex
import stat
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass

from hagen.base.reports import error

MARK = "hagen-gather"
STATUS = re.compile(r"clush: (\S+): (exited with exit code \d+|command timeout)\Z")
REROUTE = re.compile(r"clush: rerouting commands for (\S+) due to the failure of gateway (\S+)\Z")
NO_ROUTE = "clush: TREE MODE: No route available to "
TOPOLOGY_LIMIT = 1 << 20        # a topology.conf is a few lines; a larger "file" is not one
ARCHIVE_LIMIT = 64 << 20        # one managed file's archive: /etc/hosts of 50,000 nodes is 4 MiB


def topology_reports(site, cfg: dict) -> list:
    """HA990/HA991 for deploy.topology; cfg["topology"] is made absolute when it is fine."""
    from ClusterShell.NodeSet import NodeSetException
    from ClusterShell.Task import _getshorthostname
    from ClusterShell.Topology import TopologyError, TopologyParser

    where = site.where("deploy", "topology")
    if cfg.get("tool") != "clush":
        return [error("HA990", where, f"deploy.topology is given but deploy.tool is {cfg.get('tool')!r}: only clush "
                      "reaches nodes through ClusterShell gateways", "set deploy.tool: clush, or remove deploy.topology")]
    path = site.resolve(cfg["topology"])
    why = None
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > TOPOLOGY_LIMIT:
            why = "it is not a regular file of at most 1 MiB"
        else:
            TopologyParser(str(path)).tree(_getshorthostname())
    except OSError as exc:
        why = exc.strerror or str(exc)
    except (TopologyError, NodeSetException, ValueError) as exc:
        why = f"ClusterShell refuses it: {exc}"
    if why:
        return [error("HA991", where, f"topology {str(path)!r}: {why}",
                      "name a ClusterShell topology.conf whose [routes] start from this node's short host name, "
                      "e.g. `admin: gw[1-2]` then `gw[1-2]: ns[0-999]`")]
    cfg["topology"] = str(path)
    return []


def through_gateways(cfg: dict) -> bool:
    """Whether clush goes through gateways: deploy.topology, or a topology.conf clush loads
    by itself (/etc/clustershell, $CLUSTERSHELL_CFGDIR...: its auto_tree), where its --rcopy
    is just as unsafe."""
    if cfg.get("topology"):
        return True
    if cfg.get("tool") != "clush":
        return False
    from ClusterShell.Defaults import config_paths

    return any(os.path.isfile(path) for path in config_paths("topology.conf"))


def failures(stderr: str, hosts: set) -> dict:
    """{host: message} for what clush reports on standard error whatever its exit status:
    a node's exit status or timeout (with the node's own first line, e.g. ssh's), and every
    node behind a gateway that failed when clush found no other route."""
    said: dict = {}
    status: dict = {}
    behind: dict = {}
    no_route = False
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith(NO_ROUTE):
            no_route = True
        elif (m := STATUS.match(line)) is not None:
            status.setdefault(m.group(1), m.group(2))
        elif (m := REROUTE.match(line)) is not None:
            behind.setdefault(m.group(2), []).append(m.group(1))
        elif not line.startswith("clush: "):
            name, sep, message = line.partition(": ")
            if sep and message:
                said.setdefault(name, message[:300])
    failed = {node: said.get(node, why) for node, why in status.items() if node in hosts}
    if no_route:
        from ClusterShell.NodeSet import NodeSet

        for gateway, sets in behind.items():
            words = said.get(gateway, "it does not answer")
            for node in NodeSet.fromlist(sets):
                if node in hosts:
                    failed[node] = f"unreachable: gateway {gateway} failed: {words}"
    return failed


def fetch_script(path: str) -> str:
    """What each node runs to send path: a marker line (odd, missing), or its tar in base64."""
    folder, name = posixpath.split(path)
    p, d, b = shlex.quote(path), shlex.quote(folder or "/"), shlex.quote(name)
    return (f"if [ -L {p} ] || {{ [ -e {p} ] && [ ! -f {p} ]; }}; then echo '{MARK} odd'; "
            f"elif [ -f {p} ]; then tar -cf - -C {d} -- {b} | base64 -w 65536 | sed 's/^/{MARK}-tar /' && "
            f"echo '{MARK} end'; else echo '{MARK} missing'; fi")


@dataclass
class Fetched:
    kind: str                  # file, missing, odd, refused, unreachable
    why: str = ""
    data: bytes = b""
    mode: int = 0


def fetch(argv: list[str], hosts: list[str], path: str, workdir: str) -> dict:
    """{host: Fetched} for one call of argv (the exec command running fetch_script(path)).
    The answer goes to a private file, each node's archive to a private spool: nothing of
    it is extracted, only the one member asked for is read."""
    wanted = set(hosts)
    spools: dict = {}
    marks: dict = {}
    bad: dict = {}
    with tempfile.TemporaryFile(dir=workdir) as answer:
        try:
            proc = subprocess.run(argv, stdout=answer, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        except OSError as exc:
            return {h: Fetched("unreachable", f"{argv[0]}: {exc.strerror or exc}") for h in hosts}
        answer.seek(0)
        for raw in answer:
            node, sep, text = raw.decode("utf-8", "replace").rstrip("\n").partition(": ")
            if not sep or node not in wanted:
                continue
            if text.startswith(f"{MARK}-tar "):
                try:
                    chunk = base64.b64decode(text[len(MARK) + 5:], validate=True)
                except (binascii.Error, ValueError):
                    bad.setdefault(node, "its answer is not base64")
                    continue
                spool = spools.setdefault(node, tempfile.SpooledTemporaryFile(1 << 20, dir=workdir))
                if spool.tell() + len(chunk) > ARCHIVE_LIMIT:
                    bad.setdefault(node, f"its archive is larger than {ARCHIVE_LIMIT} bytes")
                    continue
                spool.write(chunk)
            elif text.startswith(f"{MARK} "):
                marks.setdefault(node, text[len(MARK) + 1:])
    stderr = proc.stderr.decode("utf-8", "replace")
    failed = failures(stderr, wanted)
    last = (stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:300]
    result = {}
    for host in hosts:
        mark = marks.get(host)
        if mark == "end":
            result[host] = Fetched("refused", bad[host]) if host in bad else _read(spools.get(host), path)
        elif mark in ("odd", "missing"):
            result[host] = Fetched(mark)
        else:
            result[host] = Fetched("unreachable", failed.get(host) or f"no answer ({argv[0]}: {last})")
    for spool in spools.values():
        spool.close()
    return result


def _read(spool, path: str) -> Fetched:
    """The one regular file named basename(path) in the archive, or why it is refused."""
    name = posixpath.basename(path)
    if spool is None:
        return Fetched("refused", "it sent no archive")
    spool.seek(0)
    try:
        with tarfile.open(fileobj=spool, mode="r:") as archive:
            first, second = archive.next(), archive.next()
            if first is None or second is not None:
                return Fetched("refused", "its archive does not hold exactly one entry")
            if first.name != name:
                return Fetched("refused", f"its archive holds {first.name!r}, not {name!r}")
            if not first.isreg():
                return Fetched("refused", f"its archive's {name!r} is not a regular file (a link, a folder...)")
            data = archive.extractfile(first).read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        return Fetched("refused", f"its archive cannot be read: {exc}")
    return Fetched("file", data=data, mode=stat.S_IMODE(first.mode))
