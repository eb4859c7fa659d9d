"""Values put into the runbook's copy-paste shell commands. Every site value there is held to
a grammar at check time (hagen.check.site_values, the schema's patterns) and quoted here when
written, so that neither alone decides what a pasted command runs."""

from __future__ import annotations

import re
import shlex


def q(value) -> str:
    """A value quoted for the shell. A plain value (letters, digits, @%+=:,./-) is left as it is;
    anything else, a node set's brackets (a glob) included, is single-quoted."""
    return shlex.quote(str(value))


def arg(command: str) -> str:
    """A command given as one argument to a remote shell (ssh, pdsh): in double quotes, as the
    guide writes them, when nothing in it is special to the local shell inside double quotes
    (its values were quoted with q() for the remote one); else single-quoted whole."""
    return f'"{command}"' if not re.search(r'["$`\\!]', command) else q(command)
