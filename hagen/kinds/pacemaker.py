"""The kinds of today's stack (target el9-pacemaker): the CIB, corosync.conf, chrony.conf,
with their validators and structural diffs (their readers: hagen.render.pacemaker).

The validators are hagen's own checks, run before anything is written; the real
consumers (crm_verify, corosync -t, chronyd -p) judge the built tree in the tests.

The CIB and corosync.conf carry no revision of hagen's: Pacemaker bumps the CIB's epoch
when the apply script replaces the configuration, and corosync compares
totem.config_version only when nodes rejoin (corosync-cfgtool -R reloads the whole file).
"""

from __future__ import annotations

from hagen.base.masking import mask
from hagen.kinds import CELL, EL9, Kind
from hagen.render.pacemaker import SECRET_NAMES, corosync_tree, is_cib

MAX_SCHEMA = (3, 9)           # Debian 12's Pacemaker 2.1.5 (CLARIFICATIONS 38)
MAX_FEATURE_SET = (3, 16, 1)
_REFS = (("rsc_location", "rsc"), ("rsc_colocation", "rsc"), ("rsc_colocation", "with-rsc"),
         ("rsc_order", "first"), ("rsc_order", "then"))


def _version(text: str | None, prefix: str = "") -> tuple | None:
    if not text or not text.startswith(prefix):
        return None
    try:
        return tuple(int(p) for p in text[len(prefix):].split("."))
    except ValueError:
        return None


def validate_cib(data: bytes) -> list[str]:
    from lxml import etree

    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != "cib":
        return ["the root element is not <cib>"]
    problems = []
    schema = _version(root.get("validate-with"), "pacemaker-")
    if schema is None or schema > MAX_SCHEMA:
        problems.append(f"validate-with {root.get('validate-with')!r} is not pacemaker-3.9 or older")
    feature = root.get("crm_feature_set")
    if feature is None:
        problems.append("no crm_feature_set: pcs -f refuses the CIB")
    elif _version(feature) is None or _version(feature) > MAX_FEATURE_SET:
        problems.append(f"crm_feature_set {feature} is newer than 3.16.1: crm_simulate would discard updates")
    ids = [el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id") is not None]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"id {dup} is used twice")
    resources = {el.get("id") for el in root.iter("primitive", "group", "clone")}
    for tag, attr in _REFS:
        for el in root.iter(tag):
            if el.get(attr) is not None and el.get(attr) not in resources:
                problems.append(f"{tag} {el.get('id')} names unknown resource {el.get(attr)}")
    nodes = {n.get("uname") for n in root.iter("node")}
    for el in root.iter("rsc_location"):
        if el.get("node") is not None and el.get("node") not in nodes:
            problems.append(f"rsc_location {el.get('id')} names unknown node {el.get('node')}")
    for level in root.iter("fencing-level"):
        for dev in (level.get("devices") or "").split(","):
            if dev not in resources:
                problems.append(f"fencing-level {level.get('id')} names unknown device {dev}")
    for nv in root.iter("nvpair"):
        if nv.get("name", "").lower() in SECRET_NAMES:
            problems.append(f"nvpair {nv.get('id')} holds a password: the CIB must name a password_script")
    enabled = [nv.get("value") for nv in root.iter("nvpair") if nv.get("name") == "stonith-enabled"]
    if enabled != ["true"]:
        problems.append("stonith-enabled must be set to true, once")
    return problems


def validate_corosync(data: bytes) -> list[str]:
    try:
        tree = corosync_tree(data.decode())
    except (ValueError, UnicodeDecodeError) as exc:
        return [str(exc)]
    problems = []
    totem = (tree.get("totem") or [{}])[0]
    if totem.get("transport") != "knet":
        problems.append("totem.transport is not knet")
    if not 0 < len(totem.get("cluster_name", "")) <= 15:
        problems.append("totem.cluster_name is empty or longer than 15 characters")
    nodes = [n for nl in tree.get("nodelist", []) for n in nl.get("node", [])]
    for key in ("name", "nodeid", "ring0_addr"):
        values = [n.get(key) for n in nodes]
        if None in values or len(set(values)) != len(values):
            problems.append(f"every node needs its own {key}")
    links = {tuple(sorted(k for k in n if k.endswith("_addr"))) for n in nodes}
    if len(links) > 1:
        problems.append("the nodes do not have the same links")
    quorum = (tree.get("quorum") or [{}])[0]
    if quorum.get("provider") != "corosync_votequorum":
        problems.append("quorum.provider is not corosync_votequorum")
    if quorum.get("two_node") == "1" and len(nodes) != 2:
        problems.append("two_node: 1 needs exactly two nodes")
    return problems


CHRONY_DIRECTIVES = frozenset({
    "server", "peer", "pool", "allow", "deny", "local", "driftfile", "makestep", "rtcsync", "logdir",
    "keyfile", "ntsdumpdir", "leapsectz", "minsources", "bindcmdaddress", "cmdallow", "log", "stratumweight",
    "sourcedir", "confdir", "orphan",
})


def validate_chrony(data: bytes) -> list[str]:
    problems = []
    for number, line in enumerate(data.decode(errors="replace").splitlines(), 1):
        s = line.strip()
        if not s or s[0] in "#!;%":
            continue
        if s.split()[0] not in CHRONY_DIRECTIVES:
            problems.append(f"line {number}: unknown directive {s.split()[0]}")
    return problems


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
