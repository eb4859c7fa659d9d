"""The kinds of today's stack (target el9-pacemaker): the CIB, corosync.conf, chrony.conf,
with their structural diffs. Their readers and validators: hagen.render.pacemaker.

The CIB and corosync.conf carry no revision of hagen's: Pacemaker bumps the CIB's epoch
when the apply script replaces the configuration, and corosync compares
totem.config_version only when nodes rejoin (corosync-cfgtool -R reloads the whole file).
"""

from __future__ import annotations

from hagen.base.masking import mask
from hagen.kinds import CELL, EL9, Kind
from hagen.render.pacemaker import (SECRET_NAMES, corosync_tree, is_cib, validate_chrony, validate_cib,
                                    validate_corosync)


def cib_flat(text: str) -> dict:
    """The CIB's configuration as {what: value}, keyed by resource id and attribute name,
    so that a moved or renumbered element reads as what it is: `primitive fs_etcha:
    directory`, `group HA_NSM: members`, `rsc_location loc-x: score`."""
    from lxml import etree

    from hagen.base.readback import parse_xml

    try:
        root = parse_xml(text.encode())
    except etree.XMLSyntaxError as exc:
        raise ValueError(str(exc))
    flat = {}
    for attr in ("validate-with", "crm_feature_set"):
        if root.get(attr) is not None:
            flat[f"cib: {attr}"] = root.get(attr)
    config = root.find("configuration")
    if config is None:
        return flat
    for el in config.iter():
        if not isinstance(el.tag, str) or el.tag in ("nvpair", "op") or el.get("id") is None:
            continue
        if el.tag in ("instance_attributes", "meta_attributes", "cluster_property_set", "operations"):
            continue
        owner = f"{el.tag} {el.get('id')}"
        for key, value in sorted(el.attrib.items()):
            if key != "id":
                flat[f"{owner}: @{key}"] = value
        for nv in el.findall("*/nvpair") + ([n for n in el.findall("nvpair")]):
            kind = "meta " if nv.getparent().tag == "meta_attributes" else ""
            flat[f"{owner}: {kind}{nv.get('name')}"] = nv.get("value")
        for op in el.findall("operations/op"):
            flat[f"{owner}: op {op.get('name')} {op.get('interval')}"] = op.get("timeout") or ""
        if el.tag == "group":
            flat[f"{owner}: members"] = ",".join(p.get("id") for p in el.findall("primitive"))
    for props in config.iter("cluster_property_set"):
        for nv in props.findall("nvpair"):
            flat[f"property {nv.get('name')}"] = nv.get("value")
    return flat


def _structured(old: dict, new: dict, show: bool = False) -> list[str]:
    """Two flat trees compared as every format's are (hagen.base.flatdiff), a password's value masked."""
    from hagen.base.flatdiff import flat_changes
    from hagen.base.masking import MASK

    def shown(key, value):
        return MASK if not show and key.rsplit(" ", 1)[-1].lower() in SECRET_NAMES else value

    return flat_changes(old, new, shown)


def diff_cib(old: str, new: str, show: bool = False) -> list[str]:
    """`hagen diff` on two CIBs: one line per resource attribute added (+), removed (-)
    or changed (~), by resource id and attribute name; [] when they configure the same."""
    return _structured(cib_flat(old), cib_flat(new), show)


def corosync_flat(text: str) -> dict:
    flat = {}

    def walk(node, here):
        for key, value in node.items():
            if isinstance(value, list):
                for i, child in enumerate(value, 1):
                    label = child.get("name") or child.get("linknumber") or str(i)
                    walk(child, f"{here}{key}[{label}].")
            else:
                flat[f"{here}{key}"] = value

    walk(corosync_tree(text), "")
    return flat


def diff_corosync(old: str, new: str, show: bool = False) -> list[str]:
    return _structured(corosync_flat(old), corosync_flat(new), show)


def diff_lines(old: str, new: str, show: bool = False) -> list[str]:
    def lines(t):
        return [ln.strip() for ln in t.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]

    a, b = lines(old), lines(new)
    return [f"+ {ln}" for ln in b if ln not in a] + [f"- {ln}" for ln in a if ln not in b]


def _masked(diff):
    """A diff of (old, new, show) as a kind's (old, new, secrets, show): every known secret masked too."""
    def run(old: str, new: str, secrets=(), show: bool = False) -> list[str]:
        return [mask(line, secrets, show) for line in diff(old, new, show)]
    return run


CIB = Kind(
    "cib", templates=("el9/cib.xml.j2",), targets=(EL9,),
    recognise=lambda path, data: path.endswith(".xml") and is_cib(data),     # at any path (CLARIFICATIONS 32)
    validate=validate_cib, diff=_masked(diff_cib),
    checks="validate-with <= pacemaker-3.9, feature set, unique ids, references, stonith, no password",
    action="/etc/hagen/cib-apply", runs=CELL,           # the apply script replaces the cell's CIB
    audited=True)

COROSYNC = Kind(
    "corosync.conf", templates=("el9/corosync.conf.j2",), targets=(EL9,),
    recognise=lambda path, data: path == "/etc/corosync/corosync.conf",
    validate=validate_corosync, diff=_masked(diff_corosync),
    checks="sections, knet, cluster name, one name, id and address per node, quorum",
    action="corosync-cfgtool -R", runs=CELL,            # reloads every member
    cell_config=True, audited=True)

CHRONY = Kind(
    "chrony.conf", templates=("el9/chrony.conf.j2",), targets=(EL9,),
    recognise=lambda path, data: path in ("/etc/chrony.conf", "/etc/chrony/chrony.conf"),
    validate=validate_chrony, diff=_masked(diff_lines), checks="known directives",
    action="systemctl restart chronyd")

KINDS = (CIB, COROSYNC, CHRONY)
