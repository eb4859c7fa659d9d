"""check: every rule, each returning report items. All run; errors stop the build.

One module per domain: names (host, alias and interface names, text values),
network (aliases, bonding, routes), mngt (the management pair and its /etc/HA files),
cells (what every HA cell shares: cman names), services (NTP), batch (chapter 10:
PBS, SLURM, LSF, RMS, OCFS2), hosts (/etc/hosts), lustre and nfs (the I/O cells,
chapters 5-9), paths (where the site spec puts files), quorum (the quorum disk's timing
and heuristic), luns (one use per shared device), startlist (the start list against its
data files and order rules), site_values (site values the schema's types let through:
cron '..', a sudoers path with metacharacters). Every code is in hagen.base.codes.
"""

from __future__ import annotations

from hagen.check import (batch, cells, hosts, luns, lustre, mngt, names, network, nfs, paths, quorum, services,
                         site_values, startlist)
from hagen.check import el9, target   # the site's target: keys that mean nothing for it; el9's own rules
from hagen.check import accepted  # the site's accepted findings (audit.accepted)
from hagen.check import node_bonds  # the bonds of Lustre and NFS nodes

CHECKS = (names.check, network.check, cells.check, mngt.check, services.check, batch.check, hosts.check,
          lustre.check, nfs.check, paths.check, quorum.check, luns.check, startlist.check, site_values.check,
          target.check, el9.check, accepted.check, node_bonds.check)


def run_checks(model, site) -> list:
    reports = []
    for check in CHECKS:
        reports.extend(check(model, site))
    return reports
