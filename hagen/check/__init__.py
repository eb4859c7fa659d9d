"""check: every rule, each returning report items. All run; errors stop the build.

One module per domain: names (host, alias and interface names, text values),
network (aliases, bonding, routes), mngt (the management pair and its /etc/HA files),
cells (what every HA cell shares: cman names), services (NTP), batch (chapter 10:
PBS, SLURM, LSF, RMS, OCFS2), hosts (/etc/hosts), lustre and nfs (the I/O cells,
chapters 5-9), paths (where the site spec puts files). Every code is in hagen.codes.
"""

from __future__ import annotations

from hagen.check import batch, cells, hosts, lustre, mngt, names, network, nfs, paths, services
from hagen.check import target   # the site's target: keys that mean nothing for it

CHECKS = (names.check, network.check, cells.check, mngt.check, services.check, batch.check, hosts.check,
          lustre.check, nfs.check, paths.check, target.check)


def run_checks(model, site) -> list:
    reports = []
    for check in CHECKS:
        reports.extend(check(model, site))
    return reports
