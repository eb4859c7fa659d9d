"""The generated runtime: the scripts of /etc/HA/bin on the management pair (guide 2.3).

They read the data files hagen/plan/mngt.py writes in /etc/HA, so that what is deployed
always matches the data it reads. One file per script under templates/runtime/, and
halib.sh, which they all source (mode 0644: it is not run by itself). A script with no
template logic is a static file, copied as it is; hasynchro, which names the node's
peer, is the one template. The scripts take
nothing from the site spec but the peer of each node (hasynchro); everything else they
read at run time, under ${HA_ROOT}.
"""

from __future__ import annotations

from hagen.model.mngt import management_pair
from hagen.plan import Artifact

BIN = "/etc/HA/bin"

# script name -> the guide's section(s)
SCRIPTS = {
    "haservices": "2.3.1",
    "hacron": "2.3.5",
    "haip": "2.3.6",
    "halinks": "2.3.7",
    "hamount": "2.3.8",
    "hapidcleaner": "2.3.9",
    "hasynchro": "2.3.10",
    "hasyslogng": "2.3.11",
    "haunwantedfiles": "2.3.12",
}

LIBRARY = "halib.sh"


def plan(model, site, secret) -> list[Artifact]:
    pair = management_pair(model)
    if pair is None or site.get("management") is None:
        return []
    both = pair.host_names
    cell_row = f"clusterdb da_iocell[name={pair.cell.name}]"
    out = [Artifact(f"{BIN}/{LIBRARY}", both, "runtime/halib.sh", {}, mode=0o644, sources=(cell_row,))]
    for name in SCRIPTS:
        template = f"runtime/{name}.sh.j2" if name == "hasynchro" else f"runtime/{name}.sh"
        if name == "hasynchro":
            for node in pair.nodes:
                peer = pair.peer(node)
                out.append(Artifact(f"{BIN}/{name}", (node.name,), template, {"peer": peer.name}, mode=0o755,
                                    sources=(cell_row, f"clusterdb node[name={peer.name}]")))
        else:
            out.append(Artifact(f"{BIN}/{name}", both, template, {}, mode=0o755, sources=(cell_row,)))
    return out
