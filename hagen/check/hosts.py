"""/etc/hosts (guide 9.4 steps 2-3): one address per name, and valid site extras."""

from __future__ import annotations

from hagen.base.hostnames import HOSTS_FILE_NAME
from hagen.model.hosts import host_sections, is_ipv4
from hagen.base.reports import error

_NAME = HOSTS_FILE_NAME     # dot-separated labels, underscores as the guide's aliases have them (the one rule)


# names every RHEL /etc/hosts (and the template hagen writes) gives the loopback: a second line is a lie
RESERVED = frozenset({"localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4",
                      "localhost6", "localhost6.localdomain6", "ip6-localhost", "ip6-loopback"})


def check(model, site) -> list:
    if not site.get("hosts", "enabled"):
        return []
    reports = []
    for i, item in enumerate(site.get("hosts", "extra") or []):
        if not is_ipv4(item["address"]):
            reports.append(error("HA814", site.where("hosts", "extra", i, "address"),
                                 f"{item['address']!r} is not an IPv4 address",
                                 "an address such as 10.1.0.76, one entry per address"))
        for j, name in enumerate(item["names"]):
            if not isinstance(name, str) or not _NAME.match(name):
                reports.append(error("HA814", site.where("hosts", "extra", i, "names", j),
                                     f"{name!r} is not a host name",
                                     "letters, digits, '-', '_' and dots between labels, no blank"))
    if reports:
        return reports
    first: dict = {}
    for section in host_sections(model, site):
        for entry in section.entries:
            for name in entry.names:
                key = name.lower()
                if key in RESERVED:
                    reports.append(error("HA122", entry.where, f"/etc/hosts would give {name} to {entry.address}: "
                                         "the name is the system's own (every /etc/hosts has it for the loopback)",
                                         "rename the node, alias or extra: localhost and its kin are reserved"))
                    continue
                if key not in first:
                    first[key] = entry
                elif first[key].address != entry.address:
                    reports.append(error("HA813", entry.where,
                                         f"/etc/hosts would give {name} two addresses: {first[key].address} "
                                         f"({first[key].where}) and {entry.address}",
                                         "rename one of them: a name resolves to one address"))
    return reports
