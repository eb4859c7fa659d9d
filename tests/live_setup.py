"""What a live cell (tests/live_cluster.py) reads from hagen's files to lay out its nodes,
its switch and its BMCs, and what it writes on each node's disk and each BMC's config.

The switch namespace is the site's network: one bridge per network hagen configures on
the nodes (a bond is one veth of its name: no bonding module here), each bridge a fixed
MAC (a bridge's MAC otherwise follows its lowest port, and every node joining or leaving
would change the gateway's MAC under the others' ARP caches). The switch routes: the
gateways of the routes in hagen's keyfiles (the admin network's 10.1.255.254, which hagen's
ping clone also pings) are its addresses, and the BMCs sit behind it on a network of their
own, as the audit assumes (a node reaches a BMC through the admin network's router).
"""

from __future__ import annotations

import configparser
import ipaddress
import os
import re
import stat
from pathlib import Path

LIVE = Path(__file__).resolve().parent / "live"
BMC_BRIDGE = "brbmc"
BMC_GATEWAY = "192.0.2.254"        # the router's end of the BMC network (TEST-NET-1)


def _keyfiles(out: Path, node: str):
    for path in sorted((out / node / "etc/NetworkManager/system-connections").glob("*.nmconnection")):
        keyfile = configparser.ConfigParser(interpolation=None)
        keyfile.read(path)
        yield keyfile


def node_nics(out: Path, node: str) -> list[tuple[str, str]]:
    """(interface, address/prefix) of each NetworkManager keyfile hagen wrote with an address."""
    return [(k["connection"]["interface-name"], k.get("ipv4", "address1").split(",")[0])
            for k in _keyfiles(out, node) if k.get("ipv4", "address1", fallback=None)]


def node_routes(out: Path, node: str) -> list[tuple[str, str]]:
    """(destination, gateway) of each routeN of hagen's keyfiles for the node."""
    routes = []
    for keyfile in _keyfiles(out, node):
        if keyfile.has_section("ipv4"):
            for key, value in sorted(keyfile.items("ipv4")):
                if re.fullmatch(r"route\d+", key) and "," in value:
                    destination, gateway = value.split(",")[:2]
                    routes.append((destination, gateway))
    return routes


def bridge_of(nics: list[tuple[str, str]], address: str) -> tuple[str, int]:
    """(the switch bridge of the network holding address, that network's prefix length)."""
    for nic, cidr in nics:
        network = ipaddress.ip_interface(cidr).network
        if ipaddress.ip_address(address) in network:
            return f"br-{nic}", network.prefixlen
    raise AssertionError(f"{address} is on none of the networks hagen configured ({nics})")


def switch_addresses(cib, nics: list[tuple[str, str]], routes) -> dict[str, tuple[str, int]]:
    """{address the switch holds: (bridge, prefix)}: the routes' gateways and the hosts
    hagen's ping clones ping."""
    hosts = {gateway for _, gateway in routes}
    for host_list in cib.xpath("//primitive[@type='ping']//nvpair[@name='host_list']/@value"):
        hosts.update(host_list.split())
    return {host: bridge_of(nics, host) for host in sorted(hosts)}


def ping_hosts(cib) -> list[str]:
    return sorted({h for hosts in cib.xpath("//primitive[@type='ping']//nvpair"
                                            "[@name='host_list']/@value") for h in hosts.split()})


def sbd_config(disk: Path, sbd_disks: dict[str, str]) -> None:
    """hagen's /etc/sysconfig/sbd with the SBD disk's stand-in LUN, and no watchdog
    (SBD_WATCHDOG_DEV=/dev/null, sbd's own "none": see live_cluster's docstring)."""
    config = disk / "etc/sysconfig/sbd"
    if not config.is_file():
        return
    text = config.read_text()
    for device, lun in sbd_disks.items():
        text = text.replace(f'SBD_DEVICE="{device}"', f'SBD_DEVICE="{lun}"')
    text = re.sub(r"^SBD_WATCHDOG_DEV=.*$", "SBD_WATCHDOG_DEV=/dev/null", text, flags=re.M)
    config.write_text(text)


def undo_halinks(disk: Path, cib) -> None:
    """The migration guide's preparation of a node: no real directory where a link
    resource goes (an overlay whiteout hides the host's). A link's missing parent is left
    missing: hagen's unlink-stale drop-in creates it before Pacemaker starts (item 7)."""
    for link in cib.xpath("//primitive[@type='symlink']//nvpair[@name='link']/@value"):
        path = Path(link)
        if path.exists() and not path.is_symlink():
            whiteout = disk / path.relative_to("/")
            whiteout.parent.mkdir(parents=True, exist_ok=True)
            os.mknod(whiteout, 0o600 | stat.S_IFCHR, os.makedev(0, 0))


def stock_el9_units() -> set[str]:
    """The units of a stock EL9 install (tests/live/el9-units, one per line, # comments)."""
    lines = (LIVE / "el9-units").read_text().splitlines()
    return {line.split("#")[0].strip() for line in lines} - {""}


def site_units(site: dict) -> set[str]:
    """The units a site spec says it provides itself (pacemaker.units; false is none)."""
    return {u for u in ((site.get("pacemaker") or {}).get("units") or {}).values() if isinstance(u, str)}


def install_standin(disk: Path, units: set[str]) -> None:
    """tests/live/standin as ocf:hagen-live:standin on the node's disk, and the node's
    systemd units as the stand-in reads them (files named <unit>.service)."""
    agent = disk / "usr/lib/ocf/resource.d/hagen-live/standin"
    agent.parent.mkdir(parents=True, exist_ok=True)
    agent.write_bytes((LIVE / "standin").read_bytes())
    agent.chmod(0o755)
    here = disk / "usr/lib/hagen-live/units"
    here.mkdir(parents=True, exist_ok=True)
    for unit in sorted(units):
        (here / f"{unit}.service").write_text(f"# {unit}: a unit this node has\n")


def bmc_files(here: Path, node: str, bmc: str, user: str, password: str, chassis: str) -> None:
    """ipmi_sim's lan.conf (one admin user, the node's chassis command) and emulator script."""
    (here / "persist").mkdir(parents=True, exist_ok=True)
    (here / "lan.conf").write_text(
        f'name "{node}-bmc"\nset_working_mc 0x20\n  startlan 1\n    addr {bmc} 623\n'
        "    priv_limit admin\n"
        + "".join(f"    allowed_auths_{p} none md2 md5 straight\n"
                  for p in ("callback", "user", "operator", "admin"))
        + "    guid a123456789abcdefa123456789abcdef\n  endlan\n"
        f'  chassis_control "{chassis}"\n'
        f'  user 2 true "{user}" "{password}" admin 10 none md2 md5 straight\n')
    (here / "emu").write_text(
        "mc_setbmc 0x20\n"
        "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\n"
        "mc_enable 0x20\n")


def snapshot_network(snapshot: Path, node: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(NICs, routes) of a node hagen writes no keyfiles for (el9 writes none for an NFS or
    Lustre node: its NICs are the site's own), from the ClusterDB snapshot the audit reads:
    (interface, address/prefix of its network) of each node_port, and the BMC network
    reached through the admin network's router, as the audit assumes ("via admin"): the
    admin network's gateway, or its last host address when the ClusterDB names none."""
    import yaml
    tables = yaml.safe_load(snapshot.read_text())["tables"]
    networks = {n["id"]: n for n in tables["network"]}
    (node_id,) = [n["id"] for n in tables["node"] if n["name"] == node]
    nics = [(port["interface_name"], f"{port['ipaddr']}/"
             f"{ipaddress.ip_network(networks[port['network_id']]['subnet']).prefixlen}")
            for port in tables["node_port"] if port["node_id"] == node_id]
    admin = next(n for n in networks.values() if n["function"] == "mn")
    gateway = admin["gateway"] or str(ipaddress.ip_network(admin["subnet"])[-2])
    routes = [(n["subnet"], gateway) for n in networks.values() if n["function"] == "bmc"]
    return nics, routes
