"""Readers and validators of today's stack's files: the Pacemaker CIB, corosync.conf and
chrony.conf (their kinds, with their structural diffs: hagen.kinds.pacemaker).

The validators are hagen's own checks, run before anything is written; the real
consumers (crm_verify, corosync -t, chronyd -p) judge the built tree in the tests.
"""

from __future__ import annotations


MAX_SCHEMA = (3, 9)           # Debian 12's Pacemaker 2.1.5 (CLARIFICATIONS 38)
MAX_FEATURE_SET = (3, 16, 1)
_REFS = (("rsc_location", "rsc"), ("rsc_colocation", "rsc"), ("rsc_colocation", "with-rsc"),
         ("rsc_order", "first"), ("rsc_order", "then"))
SECRET_NAMES = frozenset({"passwd", "password"})


def is_cib(data: bytes) -> bool:
    from lxml import etree

    from hagen.base.readback import parse_xml

    try:
        return parse_xml(data).tag == "cib"
    except etree.XMLSyntaxError:
        return False


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


def corosync_tree(text: str) -> dict:
    """corosync.conf as nested dicts; repeated sections (node, interface) become lists."""
    stack: list[dict] = [{}]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            child: dict = {}
            stack[-1].setdefault(name, []).append(child)
            stack.append(child)
        elif line == "}":
            if len(stack) == 1:
                raise ValueError(f"line {number}: '}}' closes nothing")
            stack.pop()
        elif ":" in line:
            key, value = line.split(":", 1)
            stack[-1][key.strip()] = value.strip()
        else:
            raise ValueError(f"line {number}: neither 'key: value' nor a section: {raw.strip()}")
    if len(stack) != 1:
        raise ValueError("a section is not closed")
    return stack[0]


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
