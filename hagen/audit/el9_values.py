"""Values of the files an el9-pacemaker cell is read from, as their own readers read them:
Pacemaker durations, pcmk_delay_base (one value or a node map), fencing-level targets,
and the shell assignments of /etc/sysconfig/sbd (shlex, as the shell splits them)."""

from __future__ import annotations

import re
import shlex


def seconds(text: str | None) -> float:
    """A Pacemaker duration ("10s", "2min", "500ms", "5") in seconds; 0 when unset or unreadable."""
    if not text:
        return 0.0
    text = text.strip().lower()
    for unit, factor in (("ms", 0.001), ("msec", 0.001), ("min", 60), ("m", 60), ("h", 3600), ("hr", 3600),
                         ("sec", 1), ("s", 1)):
        if text.endswith(unit) and text[:-len(unit)].strip().replace(".", "", 1).isdigit():
            return float(text[:-len(unit)]) * factor
    return float(text) if text.replace(".", "", 1).isdigit() else 0.0


def sbd_settings(data: bytes) -> tuple[tuple[str, str], ...]:
    """KEY=VALUE assignments of a sysconfig file, read as the shell reads them (shlex)."""
    out = []
    for line in data.decode(errors="replace").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for word in words:
            key, sep, value = word.partition("=")
            if sep and key.isidentifier():
                out.append((key, value))
    return tuple(out)


def level_targets(level, node: str) -> bool:
    """Whether a fencing-level applies to node: by name, or by target-pattern (a regular
    expression, as Pacemaker reads it). target-attribute levels need node attributes the
    CIB hagen writes does not hold: they are not matched."""
    if level.get("target") is not None:
        return level.get("target") == node
    try:
        return bool(level.get("target-pattern") and re.fullmatch(level.get("target-pattern"), node))
    except re.error:
        return False


def delays(text: str | None, targets) -> tuple[tuple[str, float], ...]:
    """pcmk_delay_base: one duration for every target, or a map "node1:5s;node2:0" (Pacemaker 2.1)."""
    if text and ":" in text:
        pairs = [item.split(":", 1) for item in text.replace(",", ";").split(";") if ":" in item]
        given = {node.strip(): seconds(value) for node, value in pairs}
        return tuple((t, given.get(t, 0.0)) for t in targets)
    return tuple((t, seconds(text)) for t in targets)
