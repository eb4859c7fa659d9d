"""Services of the management pair: NTP (guide 3.1.3)."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network

from hagen.base.hostnames import DNS_NAME
from hagen.base.reports import error

_HOST = DNS_NAME        # dot-separated RFC 1123 labels, at most 253 characters (the one rule)
_DOTTED = re.compile(r"[0-9.]+")


def check(model, site) -> list:
    reports = []
    for i, net in enumerate(site.get("ntp", "serve") or []):
        if not _is_cidr(net):
            reports.append(error("HA500", site.where("ntp", "serve", i),
                                 f"NTP network {net!r} is not an IPv4 network in CIDR form",
                                 "write ADDRESS/PREFIX with no host bits set, e.g. 10.0.0.0/8 "
                                 "(ntp.conf: restrict 10.0.0.0 mask 255.0.0.0)"))
    for i, server in enumerate(site.get("ntp", "servers") or []):
        if not host_or_address(server):
            reports.append(error("HA500", site.where("ntp", "servers", i),
                                 f"NTP server {server!r} is not a host name or an IPv4 address",
                                 "one server per entry, as a host name (ntp1.example.com) or an address, no blank"))
    return reports


def _is_cidr(text) -> bool:
    if not isinstance(text, str) or "/" not in text or text != text.strip():
        return False
    if not text.partition("/")[2].isdigit():
        return False
    try:
        IPv4Network(text, strict=True)
    except ValueError:
        return False
    return True


def host_or_address(text) -> bool:
    """An RFC 1123 host name or a dotted IPv4 address (an NTP server, a ping target): nothing a shell splits."""
    if not isinstance(text, str):
        return False
    if _DOTTED.fullmatch(text):
        try:
            IPv4Address(text)
        except ValueError:
            return False
        return True
    return bool(_HOST.fullmatch(text))
