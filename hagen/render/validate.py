"""hagen's own validation of cluster.conf, run on what it rendered before anything is
written (its kind, hagen.kinds.cman, names it; the other kinds' validators are their own).

cluster.conf: lxml against schemas/cluster-conf.rng, then the rules a grammar cannot
say (shared/oracles README): every domain= and device name= points at something
defined, node ids are unique, two_node="1" goes with exactly two nodes,
expected_votes="1" and no quorum disk; with a quorum disk two_node="0",
expected_votes="3" and a totem token at least twice qdiskd's
timeout; service names are unique, and so is each resource (script and fs
by name, fs by mount point, ip by address).
"""

from __future__ import annotations

from functools import cache

from hagen.base.resources import schemas_dir


@cache
def _cluster_conf_schema():
    from lxml import etree

    return etree.RelaxNG(etree.parse(str(schemas_dir() / "cluster-conf.rng")))


def validate_cluster_conf(data: bytes) -> list[str]:
    from lxml import etree

    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _cluster_conf_schema()
    if not schema.validate(root):
        return [f"schemas/cluster-conf.rng: line {e.line}: {e.message}" for e in schema.error_log]
    problems = []
    nodes = root.findall("clusternodes/clusternode")
    ids = [n.get("nodeid") for n in nodes]
    if len(set(ids)) != len(ids):
        problems.append("node ids are not unique")
    names = {n.get("name") for n in nodes}
    devices = {d.get("name") for d in root.findall("fencedevices/fencedevice")}
    if names & devices:
        problems.append("a fence device shares its name with a node")
    for dev in root.iter("device"):
        if dev.get("name") not in devices:
            problems.append(f"fence device {dev.get('name')} is not defined")
    domains = {d.get("name"): d for d in root.iter("failoverdomain")}
    for svc in root.iter("service"):
        if svc.get("domain") and svc.get("domain") not in domains:
            problems.append(f"service {svc.get('name')} names undefined domain {svc.get('domain')}")
    for dom in domains.values():
        for member in dom.findall("failoverdomainnode"):
            if member.get("name") not in names:
                problems.append(f"domain {dom.get('name')} names unknown node {member.get('name')}")
    services = [s.get("name") for s in root.iter("service")]
    if len(set(services)) != len(services):
        problems.append("two services share a name")
    # rgmanager identifies a resource by its type and primary attribute: one definition each
    for tag, key in (("script", "name"), ("fs", "name"), ("fs", "mountpoint"), ("ip", "address")):
        values = [el.get(key) for el in root.iter(tag)]
        for value in sorted({v for v in values if values.count(v) > 1}):
            problems.append(f"two {tag} resources share {key} {value}")
    cman = root.find("cman")
    quorumd = root.find("quorumd")
    if cman.get("two_node") == "1":
        if len(nodes) != 2 or cman.get("expected_votes") != "1" or quorumd is not None:
            problems.append('two_node="1" needs exactly two nodes, expected_votes="1" and no quorum disk')
    elif quorumd is not None and cman.get("expected_votes") != str(len(nodes) + 1):
        problems.append("with a quorum disk, expected_votes is the node count plus one")
    if quorumd is not None:
        totem = root.find("totem")
        timeout = int(quorumd.get("interval")) * int(quorumd.get("tko")) * 1000
        if totem is None or int(totem.get("token")) < 2 * timeout:
            problems.append("with a quorum disk, the totem token is at least twice qdiskd's timeout (interval x tko)")
    return problems
