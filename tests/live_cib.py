"""The copy of hagen's CIB that a live cell on this machine runs (tests/live_cluster.py).

Same ids, groups, order, constraints and fencing as hagen wrote; only what cannot run
here changes:
- a resource whose agent is not installed here (ocf:lustre:Lustre), or a systemd unit (the
  services of an EL9 node: postgresql, slapd, nfs-server...), becomes ocf:hagen-live:standin
  (tests/live/standin: Dummy's start, stop and monitor, its state in the node's /run); a
  unit keeps its name as the stand-in's `unit`, and the stand-in answers "not installed"
  as Pacemaker's systemd class does where the node has no such unit (the node holds a
  stock EL9 install's units and the site's own: tests/live/el9-units);
- the NFS server's agents (nfsserver, exportfs, nfsnotify) become stand-ins too: installed
  here, but they drive the host's one kernel nfsd, rpcbind and rpc.statd, which no node
  namespace owns;
- a Filesystem's device becomes a loop device both nodes see (a shared LUN) holding ext3
  (its fstype follows: mkfs.xfs is not installed here), and so does fence_sbd's SBD disk
  (the harness writes the SBD header on it, as the runbook says);
- each fence_ipmilan device gets `cipher=3`: OpenIPMI's ipmi_sim does not answer "Get
  Channel Cipher Suites", and ipmitool then spends ~14 s guessing at every call.
IPaddr2, symlink, Filesystem, ethmonitor, ping, fence_ipmilan and fence_sbd stay real.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

OCF_ROOT = Path("/usr/lib/ocf/resource.d")
HOST_WIDE_AGENTS = {"nfsserver", "exportfs", "nfsnotify"}     # the host's nfsd, not a node's
STANDIN = ("hagen-live", "standin")     # provider and type of tests/live/standin on the nodes


def _runs_here(primitive) -> bool:
    cls = primitive.get("class")
    if cls == "stonith":
        return True
    if cls != "ocf" or primitive.get("type") in HOST_WIDE_AGENTS:
        return False
    return (OCF_ROOT / primitive.get("provider", "") / primitive.get("type", "")).is_file()


def _nvpair(parent, owner: str, name: str, value: str) -> None:
    etree.SubElement(parent, "nvpair", id=f"{owner}-instance_attributes-{name}",
                     name=name, value=value)


def adapt_cib(path: Path, make_lun) -> tuple:
    """(the adapted CIB tree, {node: BMC address of its fence_ipmilan device}, {SBD device
    hagen wrote: the LUN standing for it}); make_lun(name, kind) -> the device path of a new
    shared LUN, kind "ext3" (a file system) or "sbd" (an SBD disk)."""
    tree = etree.parse(str(path), etree.XMLParser(remove_comments=True, resolve_entities=False,
                                                  no_network=True)).getroot()
    bmcs, sbd_disks = {}, {}
    for primitive in tree.iter("primitive"):
        rid = primitive.get("id")
        attrs = primitive.find("instance_attributes")
        if not _runs_here(primitive):
            unit = primitive.get("type") if primitive.get("class") == "systemd" else None
            primitive.attrib.update({"class": "ocf", "provider": STANDIN[0], "type": STANDIN[1]})
            if attrs is not None:
                primitive.remove(attrs)
            if unit:
                attrs = etree.Element("instance_attributes", id=f"{rid}-instance_attributes")
                _nvpair(attrs, rid, "unit", unit)
                primitive.insert(0, attrs)
            continue
        values = {nv.get("name"): nv for nv in primitive.iter("nvpair")}
        if primitive.get("type") == "Filesystem":
            values["device"].set("value", make_lun(rid, "ext3"))
            values["fstype"].set("value", "ext3")
        if primitive.get("type") == "fence_sbd":
            devices = values["devices"].get("value")
            if devices not in sbd_disks:
                sbd_disks[devices] = make_lun(rid, "sbd")
            values["devices"].set("value", sbd_disks[devices])
        if primitive.get("type") == "fence_ipmilan":
            _nvpair(attrs, rid, "cipher", "3")
            for node in values["pcmk_host_list"].get("value").split(","):
                bmcs[node.strip()] = values["ip"].get("value")
    return tree, bmcs, sbd_disks
