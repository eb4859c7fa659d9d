#!/usr/bin/env python3
"""Generate a synthetic ClusterDB of any size that respects hagen's contract, with a
site spec for it, for benchmarks and scale tests.

    python3 bench/gen_cluster.py --size xl -o /tmp/xl          # the reference size XL
    python3 bench/gen_cluster.py --size half -o /tmp/half      # half of it
    python3 bench/gen_cluster.py --size xxl -o /tmp/xxl        # five times XL: room beyond today's machines
    python3 bench/gen_cluster.py --compute 500 --lustre-cells 10 --fs 2 --osts 40 -o /tmp/small

writes DIR/clusterdb.json (a snapshot), DIR/clusterdb.sql (the same rows for psql after
schemas/clusterdb.sql), DIR/site.yaml and DIR/fence-password (mode 0600).

XL: 10,000 compute nodes, 16 login nodes, the management pair, 200 Lustre cells (400
nodes, 20 file systems, 1,800 OSTs), 8 NFS cells; admin, backbone, interconnect and BMC
networks. XXL is five times XL (50,000 compute nodes, 1,000 Lustre cells). Everything is
derived from the counts: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = {
    "xxl": dict(compute=50_000, login=80, lustre_cells=1_000, fs=100, osts=9_000, nfs_cells=40),
    "xl": dict(compute=10_000, login=16, lustre_cells=200, fs=20, osts=1_800, nfs_cells=8),
    "half": dict(compute=5_000, login=8, lustre_cells=100, fs=10, osts=900, nfs_cells=4),
    "small": dict(compute=200, login=2, lustre_cells=4, fs=2, osts=12, nfs_cells=1),
}

NETWORKS = [  # name, function, techno, subnet, gateway, suffix
    ("admin", "mn", "ethernet", "10.0.0.0/14", "10.3.255.254", None),
    ("backbone", "bb", "ethernet", "172.16.0.0/16", None, "bk"),
    ("interconnect", "ic", "infiniband", "10.8.0.0/14", None, "ic0"),
    ("bmc", "bmc", "ethernet", "10.16.0.0/14", None, "bmc"),
]


class Rows:
    def __init__(self):
        self.t: dict = {}

    def add(self, table, **row):
        lst = self.t.setdefault(table, [])
        if "id" not in row and table not in ("node_ftype", "da_iocell_component", "lustre_io_node",
                                             "lustre_fs", "lustre_mdt", "lustre_ost", "lustre_mount"):
            row = {"id": len(lst) + 1, **row}
        lst.append(row)
        return row


def generate(compute, login, lustre_cells, fs, osts, nfs_cells, basename="xl") -> dict:
    r = Rows()
    r.add("cluster", name=basename, basename=basename, dns_domain="cluster", dbversion="21.3", actif_ha=True,
          node_backbone_ipaddr="172.16.255.1")
    nets = {}
    for name, fn, techno, subnet, gw, suffix in NETWORKS:
        nets[name] = (r.add("network", cluster_id=1, name=name, function=fn, techno=techno, subnet=subnet,
                            gateway=gw, suffix=suffix), ipaddress.ip_network(subnet))
    ftypes = {label: r.add("ftype", label=label)["id"] for label in ("compute", "io", "login", "mds", "mngt", "nfs", "oss")}

    counter = {"n": 0}

    def address(net: str, index: int) -> str:
        return str(nets[net][1].network_address + index)

    def node(name, labels, networks):
        counter["n"] += 1
        i = counter["n"]
        hw = r.add("hwmanager", name=f"{name}-bmc", type="bmc", model="iDRAC")
        r.add("hwmanager_port", hwmanager_id=hw["id"], network_id=nets["bmc"][0]["id"], ipaddr=address("bmc", i),
              hwaddr=None)
        n = r.add("node", name=name, model="R423", status="managed", hwmanager_id=hw["id"])
        for label in labels:
            r.add("node_ftype", node_id=n["id"], ftype_id=ftypes[label])
        for net, iface in networks:
            r.add("node_port", node_id=n["id"], network_id=nets[net][0]["id"], interface_name=iface,
                  ipaddr=address(net, i), hwaddr=None)
        return n

    def cell(name, kind, members, quorum=None):
        c = r.add("da_iocell", name=name, type=kind, quorum_device=quorum)
        for m in members:
            r.add("da_iocell_component", iocell_id=c["id"], node_id=m["id"], disk_array_id=None)
        da = r.add("disk_array", name=f"{name}-da", model="FDA2500")
        r.add("da_iocell_component", iocell_id=c["id"], node_id=None, disk_array_id=da["id"])
        return c

    mngt = [node(f"{basename}{i}", ["mngt"], [("admin", "eth0"), ("backbone", "eth1")]) for i in (0, 1)]
    mc = cell(f"{basename}_mngt", "mngt", mngt)
    r.add("metaservice_port", name=basename, type="alias", network_id=nets["admin"][0]["id"],
          ipaddr=str(nets["admin"][1].broadcast_address - 1), iocell_id=mc["id"])
    r.add("metaservice_port", name=f"{basename}-bk", type="alias", network_id=nets["backbone"][0]["id"],
          ipaddr="172.16.255.1", iocell_id=mc["id"])
    for i in range(login):
        node(f"{basename}login{i}", ["login"], [("admin", "eth0"), ("backbone", "eth1"), ("interconnect", "ib0")])
    computes = [node(f"{basename}c{i}", ["compute"], [("admin", "eth0"), ("interconnect", "ib0")])
                for i in range(1, compute + 1)]

    # Lustre: the first tenth of the cells hold the MDTs, the rest the OSTs (5.3)
    mdt_cells = max(1, lustre_cells // 10) if fs else 0
    io = []
    for c in range(1, lustre_cells + 1):
        role = "mds" if c <= mdt_cells else "oss"
        pair = [node(f"{basename}io{2 * c - 1 + k}", ["io", role], [("admin", "eth0"), ("interconnect", "ib0")])
                for k in (0, 1)]
        cell(f"{basename}lu{c}", "lustre", pair, quorum=f"/dev/mapper/qdisk{c}")
        r.add("lustre_io_node", node_id=pair[0]["id"], ha_node_id=pair[1]["id"], cluster_id=1,
              net_status="OK", storage_status="OK", lustre_status="OK")
        r.add("lustre_io_node", node_id=pair[1]["id"], ha_node_id=pair[0]["id"], cluster_id=1,
              net_status="OK", storage_status="OK", lustre_status="OK")
        io.append(pair)
    for f in range(1, fs + 1):
        name = f"fs{f}"
        r.add("lustre_fs", fs_name=name, mount_path=f"/lustre/{name}", mount_options="defaults", stripe_size=1048576,
              stripe_count=1, stripe_pattern=0, nettype="o2ib", fstype="ldiskfs", failover="yes", ha_timeout=30,
              mdt_mkfs_options=None, mdt_inode_size=512, mdt_mount_options=None, ost_mkfs_options=None,
              ost_inode_size=256, ost_mount_options=None, quota="no", quota_options=None, description=None)
        pair = io[(f - 1) % mdt_cells]
        p, s = (pair[0], pair[1]) if f % 2 else (pair[1], pair[0])
        r.add("lustre_mdt", mdt_name=f"{name}_mdt", fs_name=name, mds_node_name=p["name"], mds_ha_node=s["name"],
              mds_active_node=p["name"], mdt_dev=f"/dev/mapper/{name}_mdt", mdt_size=104857600,
              config_status="formated", status="online")
    ost_cells = io[mdt_cells:]
    for o in range(osts if fs and ost_cells else 0):
        name = f"fs{o % fs + 1}"
        pair = ost_cells[o % len(ost_cells)]
        p, s = (pair[0], pair[1]) if o % 2 == 0 else (pair[1], pair[0])
        r.add("lustre_ost", ost_name=f"{name}_ost{o}", fs_name=name, oss_node_name=p["name"], oss_ha_node=s["name"],
              oss_active_node=p["name"], ost_dev=f"/dev/mapper/ost{o}", ost_size=4294967296,
              config_status="formated", status="online")
    for i, c in enumerate(computes):
        for f in {i % fs + 1, (i + 1) % fs + 1} if fs else ():
            r.add("lustre_mount", fs_name=f"fs{f}", mnt_node_name=c["name"], mount_options=None)

    # NFS cells (8, 9): two nodes, a quorum disk, aliases on admin, backbone and InfiniBand
    for c in range(1, nfs_cells + 1):
        pair = [node(f"{basename}nas{2 * c - 1 + k}", ["nfs"], [("admin", "eth0"), ("backbone", "eth1"),
                                                             ("interconnect", "ib0")]) for k in (0, 1)]
        nc = cell(f"{basename}nfs{c}", "nfs", pair, quorum=f"/dev/mapper/nfsq{c}")
        for net, suffix in (("admin", ""), ("backbone", "-bk"), ("interconnect", "-ic0")):
            r.add("metaservice_port", name=f"{basename}nfs{c}{suffix}", type="alias",
                  network_id=nets[net][0]["id"], ipaddr=str(nets[net][1].broadcast_address - 1 - c),
                  iocell_id=nc["id"])
    return r.t


def site_spec(nfs_cells: int, compute: int, basename: str = "xl") -> str:
    """The site spec of a generated cluster: the bas5-guide policy, SLURM, Lustre and NFS."""
    import yaml

    site = {
        "clusterdb": {"snapshot": "clusterdb.json"},
        "management": {
            "cluster_name": f"{basename}_mngt",
            "fencing": {"login": "root", "password_file": "fence-password"},
            "services": ["/etc/HA/bin/haunwantedfiles", "/etc/HA/bin/hamount", "/etc/HA/bin/halinks",
                         "/etc/HA/bin/hapidcleaner", "/etc/init.d/postgresql", "/etc/HA/bin/haip",
                         {"command": "/etc/HA/bin/dbmConfig", "comment": "the following line mostly starts nagios"},
                         "/etc/HA/bin/hasyslogng", "/etc/init.d/ldap", "/etc/init.d/httpd", "/etc/init.d/conman",
                         {"group": "lsf"}, "/etc/HA/bin/hacron"],
            "links": ["/etc/httpd", "/var/lib/pgsql", "/var/log/conman"],
            "mnttab": [{"device": "/dev/sdf", "mount_point": "/etcha"}, {"device": "/dev/sdg", "mount_point": "/usrha"},
                       {"device": "/dev/sdh", "mount_point": "/varha"}],
            "pid2clean": ["/var/lib/pgsql/data/postmaster.pid"],
            "synchro": ["/etc/HA/start", "/etc/HA/stop", "/etc/hosts"],
        },
        "network": {"bonding": {"bonds": [{"name": "bond0", "network": "admin", "slaves": ["eth0", "eth2"]}]},
                    "routes": {"admin": ["10.0.0.0/8"]}},
        "ntp": {"serve": ["10.0.0.0/8"]},
        "batch": {"manager": "slurm", "slurm": {"version": "22.05"},
                  "ocfs2": {"cluster_name": "ocfs2", "mount_point": "/ocfs2shared", "network": "admin",
                            "device": "/dev/sdj1"}},
        "lustre": {"fencing": {"login": "root", "password_file": "fence-password"}},
        "nfs": {
            "fencing": {"login": "root", "password_file": "fence-password"},
            "exports": [{"cell": f"{basename}nfs{c}", "device": f"/dev/mapper/nfs{c}", "mount_point": f"/export{c}",
                         "fstype": "xfs", "fsid": c} for c in range(1, nfs_cells + 1)],
            "clients": [{"nodes": [f"{basename}c[1-{compute}]"], "mounts": ["/export1"]}] if nfs_cells and compute else [],
        },
    }
    return "# generated by bench/gen_cluster.py\n" + yaml.safe_dump(site, sort_keys=False)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=sorted(SIZES), help="a named size (xxl, xl, half, small)")
    for key in ("compute", "login", "lustre_cells", "fs", "osts", "nfs_cells"):
        p.add_argument("--" + key.replace("_", "-"), type=int)
    p.add_argument("-o", "--output", required=True, help="the folder to write")
    args = p.parse_args(argv)
    counts = dict(SIZES[args.size or "small"])
    for key in counts:
        if getattr(args, key) is not None:
            counts[key] = getattr(args, key)
    from hagen.load.snapshot import dump_snapshot, dump_sql, rows_from_raw

    raw = generate(**counts)
    rows = rows_from_raw(raw, "generated")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "clusterdb.json").write_text(dump_snapshot(rows, as_json=True))
    (out / "clusterdb.sql").write_text(dump_sql(rows))
    secret = out / "fence-password"
    secret.write_text("bench-dummy-secret\n")
    os.chmod(secret, 0o600)
    (out / "site.yaml").write_text(site_spec(counts["nfs_cells"], counts["compute"]))
    nodes = len(rows["node"])
    print(f"{out}: {nodes} nodes, {len(rows['da_iocell'])} HA cells, {len(rows['lustre_ost'])} OSTs, "
          f"{sum(len(v) for v in rows.values())} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
