"""check: every rule, each returning report items. All run; errors stop the build.

One module per domain: names (host, alias and interface names, text values),
network (aliases, bonding, routes), mngt (the management pair and its /etc/HA files),
cells (what every HA cell shares: cman names). Every code is in hagen.codes.
"""

from __future__ import annotations

from hagen.check import cells, mngt, names, network

CHECKS = (names.check, network.check, cells.check, mngt.check)


def run_checks(model, site) -> list:
    reports = []
    for check in CHECKS:
        reports.extend(check(model, site))
    return reports
