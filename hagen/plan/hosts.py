"""/etc/hosts for every node of the ClusterDB (guide 3.1.1 and 9.4 steps 2-3, in place of
`dbmConfig configure --service syshosts`). One file for all: emit stores it once and the
manifest folds the hosts that share it."""

from __future__ import annotations

from hagen.model.hosts import host_sections
from hagen.model.iocell import management_nodes
from hagen.plan import Artifact


def _names(entry, domain: str | None) -> list[str]:
    """An entry's names as hosts(5) wants them: with cluster.dns_domain, the canonical name
    first as a FQDN, then the short name (RHEL's `hostname -f` reads the first). The site's
    extras are written as the site gives them."""
    names = list(entry.names)
    if domain and entry.table is not None and names and "." not in names[0]:
        return [f"{names[0]}.{domain}"] + names
    return names


def _context_sections(sections, domain) -> list[dict]:
    return [{"title": s.title, "entries": [{"address": e.address, "names": _names(e, domain)} for e in s.entries]}
            for s in sections]


def plan(model, site, secret) -> list[Artifact]:
    if not site.get("hosts", "enabled") or not model.nodes:
        return []
    sections = _context_sections(host_sections(model, site), model.cluster.dns_domain)
    context = {"cluster": model.cluster.name, "localhost": bool(site.get("hosts", "localhost")),
               "sections": sections}
    return [Artifact(site.get("hosts", "path"), tuple(n.name for n in model.nodes),
                     "hosts/hosts.j2", context,
                     sources=("clusterdb node_port", "clusterdb network", "clusterdb hwmanager_port", "clusterdb cluster",
                              "clusterdb metaservice_port", "site hosts"))] + plan_template(model, site)


def plan_template(model, site) -> list[Artifact]:
    """/etc/hosts-tpl on the management node(s) (9.4 steps 2-3): the cell aliases and the site's
    extras, which dbmConfig's syshosts service copies into /etc/hosts, so that running it
    keeps them."""
    path = site.get("hosts", "template")
    mgmt = tuple(n.name for n in management_nodes(model))
    if not path or not mgmt or not site.get("hosts", "enabled"):
        return []
    sections = _context_sections([s for s in host_sections(model, site)
                                  if s.title.startswith(("aliases of", "site entries"))], model.cluster.dns_domain)
    if not sections:
        return []
    return [Artifact(path, mgmt, "hosts/hosts_tpl.j2", {"cluster": model.cluster.name, "sections": sections},
                     sources=("clusterdb metaservice_port", "site hosts.extra", "site hosts.template"))]
