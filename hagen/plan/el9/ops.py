"""A Pacemaker resource as the CIB template takes it, with the operations its agent advises.

The timeouts are each agent's own advice (its meta-data's <actions>, resource-agents and
pacemaker 2.1 as installed on Debian 12 and EL9; tests/test_el9_agents.py compares them
with the installed agents): a default 20 s stop fences an NFS server whose unexport is
slow (exportfs advises 120 s). systemd units get pcs's 100 s.
"""

from __future__ import annotations

import re

# agent -> (monitor interval, monitor timeout, start timeout, stop timeout)
ADVISED: dict[str, tuple[str, str, str, str]] = {
    "IPaddr2": ("10s", "20s", "20s", "20s"),
    "Filesystem": ("20s", "40s", "60s", "60s"),
    "symlink": ("60s", "15s", "15s", "15s"),
    "nfsserver": ("10s", "20s", "40s", "20s"),
    "exportfs": ("10s", "20s", "40s", "120s"),
    "nfsnotify": ("30s", "90s", "90s", "90s"),
    "ethmonitor": ("10s", "60s", "60s", "20s"),
    "ping": ("10s", "60s", "60s", "20s"),
    "systemd": ("60s", "100s", "100s", "100s"),
    "Lustre": ("20s", "300s", "450s", "300s"),       # lustre-resource-agents' Lustre
    "healthLNET": ("10s", "60s", "60s", "20s"),     # lustre-resource-agents' healthLNET
}


def xml_id(*parts: str) -> str:
    """An XML id (NCName) from names: other characters become '_', a leading digit gets a letter."""
    text = re.sub(r"[^A-Za-z0-9_.-]", "_", "_".join(p.strip("/") for p in parts if p)) or "root"
    return text if text[0].isalpha() or text[0] == "_" else f"r{text}"


def resource(rid, cls, kind, params, provider=None, agent=None) -> dict:
    """kind: the agent's name for ADVISED (a systemd resource's type is its unit, `agent`)."""
    interval, monitor, start, stop = ADVISED[kind]
    return {"id": rid, "class": cls, "provider": provider, "type": agent or kind, "meta": [],
            "params": [{"name": k, "value": str(v)} for k, v in params if v is not None],
            "ops": [{"name": "monitor", "interval": interval, "timeout": monitor},
                    {"name": "start", "interval": "0s", "timeout": start},
                    {"name": "stop", "interval": "0s", "timeout": stop}]}
