"""hagen explain / render: where one file comes from, and what it holds, without writing.

PATH is as on the host (/etc/ntp.conf). The build is compiled against the current
output tree, so config_version is the one a build would write.
"""

from __future__ import annotations

import json

from hagen.errors import UsageError
from hagen.load.secrets import Secret
from hagen.masking import MASK, mask
from hagen.model.names import fold
from hagen.reports import Where, error


def find(compiled, host: str, path: str):
    """The artifact and the bytes a build writes at host:path."""
    path = "/" + path.lstrip("/")
    for art in compiled.artifacts:
        if art.path == path and host in art.hosts:
            data = next(f.data for f in compiled.files if f.host == host and f.path == path)
            return art, data
    hosts = sorted({f.host for f in compiled.files})
    near = sorted({f.path for f in compiled.files if f.host == host})
    if host not in hosts:
        hint = f"hosts of this build: {fold(hosts)}" if hosts else "this build writes no file"
    else:
        import difflib

        close = difflib.get_close_matches(path, near, n=3, cutoff=0.6)
        listed = close or near
        hint = ("did you mean " if close else "files of this host: ") + ", ".join(listed[:40]) \
            + (" ..." if len(listed) > 40 else "")
    raise UsageError(reports=[error("HA108", Where(host=host), f"no file {path} is built for host {host}", hint)])


def _masked(value, show: bool):
    if isinstance(value, Secret):
        return value.reveal() if show else MASK
    if isinstance(value, dict):
        return {k: _masked(v, show) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v, show) for v in value]
    return value


def explain(compiled, host: str, path: str, show_secrets: bool = False) -> str:
    art, data = find(compiled, host, path)
    import hashlib

    if art.link_target is not None:
        what = [f"{art.path} on {host}", f"  symlink    -> {art.link_target}"]
    else:
        what = [f"{art.path} on {host}",
                f"  template   templates/{art.template}",
                f"  mode       {art.mode:04o}",
                f"  sha256     {hashlib.sha256(data).hexdigest()}  ({len(data)} bytes)"]
    lines = what + [
        f"  hosts      {fold(list(art.hosts))}  ({len(art.hosts)} host{'s' if len(art.hosts) != 1 else ''} get this file)",
    ]
    site_keys = [s[len("site "):] for s in art.sources if s.startswith("site ")]
    rows = [s[len("clusterdb "):] for s in art.sources if s.startswith("clusterdb ")]
    lines.append("  site spec  " + (", ".join(site_keys) if site_keys else "-") + f"  ({compiled.site.display})")
    lines.append("  clusterdb  " + (", ".join(rows) if rows else "-") + f"  ({compiled.source.display})")
    if art.block is not None:
        lines.append(f"  block      '# BEGIN hagen {art.block}' ... '# END hagen {art.block}' in the node's own file "
                     "(site shared_files): the rest of it is the node's")
    if art.validator:
        from hagen.formats import FORMATS   # each kind says what its validator checks

        lines.append(f"  validated  {art.validator} ({FORMATS[art.validator].checks})")
    lines.append("  context")
    text = json.dumps(_masked(art.context, show_secrets), indent=2, sort_keys=True, default=str)
    lines += ["    " + ln for ln in text.splitlines()]
    # a context value may hold a secret outside a Secret (a string built from one): mask it anyway
    return mask("\n".join(lines) + "\n", _secrets_of(art.context), show_secrets)


def render_one(compiled, host: str, path: str, show_secrets: bool = False) -> bytes:
    art, data = find(compiled, host, path)
    if show_secrets:
        return data
    # every form: cluster.conf holds the password XML-escaped (&amp; &lt; &#34; &#39;)
    return mask(data.decode("utf-8", "replace"), _secrets_of(art.context)).encode()


def _secrets_of(value) -> list[str]:
    if isinstance(value, Secret):
        return [value.reveal()]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _secrets_of(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _secrets_of(v)]
    return []


def secrets_of(compiled) -> list[str]:
    """Every secret value of a build, to mask in diff output: the ones load read (hagen.load.secrets
    is where every Secret is made, once per site spec), longest first."""
    found = {secret.reveal() for secret, _ in compiled.site.secrets.values() if secret is not None}
    return sorted(found, key=len, reverse=True)
