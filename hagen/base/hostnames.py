"""What a host name may be: one label rule, composed here for every use of it.

Every check, grammar and reader that asks "is this a host name?" takes its pattern from this
module, so that one name is accepted or refused alike everywhere (a node name the ClusterDB
grammar lets through is judged by the node-name rule, never by a second spelling of it).
The patterns end in \\Z, not $: $ also matches before a trailing newline, and "ns1\\n" is no
host name. Use them with match() or fullmatch().
"""

from __future__ import annotations

import re

# an RFC 1123 label: letters, digits, inner '-', at most 63 characters
_TAIL = r"(?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
LABEL = r"[A-Za-z0-9]" + _TAIL
# the guide's alias names carry underscores (xenanfs_BK): accepted with a warning (CLARIFICATIONS 16)
_TAIL_UNDERSCORE = r"(?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
LABEL_UNDERSCORE = r"[A-Za-z0-9]" + _TAIL_UNDERSCORE


def _dotted(label: str) -> str:
    """Dot-separated labels, at most 253 characters in all (a fully qualified name)."""
    return rf"(?=.{{1,253}}\Z){label}(?:\.{label})*"


# a node's name: one label starting with a letter (CLARIFICATIONS 16; the guide's node names)
NODE_NAME = re.compile(r"[A-Za-z]" + _TAIL + r"\Z")
# an alias's name: the same, underscores allowed
ALIAS_NAME = re.compile(r"[A-Za-z]" + _TAIL_UNDERSCORE + r"\Z")
# a host a file names (an NTP server, a domain): dotted RFC 1123 labels
DOTTED_PATTERN = rf"{LABEL}(?:\.{LABEL})*"          # the length checked apart (a grammar's max_length)
DNS_NAME = re.compile(_dotted(LABEL) + r"\Z")
# a name /etc/hosts may carry (a site's extra names): dotted labels, underscores as the guide's aliases have
HOSTS_FILE_NAME = re.compile(_dotted(LABEL_UNDERSCORE) + r"\Z")

# The safety floor: what any host name hagen reads or writes is made of (the ClusterDB's
# host columns, the output tree's folders, a manifest's or a record's hosts, -w/-x): letters,
# digits, '_', '.', '-', never '-' first (never an option: -oProxyCommand=...). The rules
# above are finer; this is the floor under them.
PLAIN_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
PLAIN_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}\Z")


def is_plain_host(host) -> bool:
    """A host name as hagen writes it: the floor above, at most 253 characters, never '..'."""
    return isinstance(host, str) and bool(PLAIN_HOST.match(host)) and ".." not in host
