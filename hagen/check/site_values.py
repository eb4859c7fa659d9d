"""Site spec values that their schema types let through but the files they land in cannot take.

Each rule here closes a value the schema's "string" admits: a cron entry `..` (hacron would
move /etc/cron.d itself aside at failover), a sudoers path holding shell or sudoers
metacharacters. The codes are those of the section the key belongs to.
"""

from __future__ import annotations

import re

from hagen.reports import error

# what a path of a file hagen writes may hold: no blank, no shell or sudoers metacharacter
SAFE_PATH = re.compile(r"/[A-Za-z0-9_.+/~@:-]*\Z")


def check(model, site) -> list:
    reports = []
    for i, name in enumerate(site.get("management", "cron", default=[]) or []):
        if isinstance(name, str) and name in (".", ".."):
            reports.append(error("HA318", site.where("management", "cron", i),
                                 f"cron entry {name!r} is the folder /etc/cron.d or its parent, not a file in it",
                                 "guide 2.3.5: the bare name of a file in /etc/cron.d, e.g. clusterdb-backup"))
    sudoers = site.get("lustre", "sudoers")
    if isinstance(sudoers, str) and not SAFE_PATH.match(sudoers):
        reports.append(error("HA615", site.where("lustre", "sudoers"),
                             f"sudoers path {sudoers!r} holds a blank, a control character or a shell or sudoers "
                             "metacharacter ($ ( ) ; | & ...)",
                             "an absolute path of letters, digits and _ . + / ~ @ : -; the default is "
                             "/etc/sudoers.d/lustre"))
    return reports
