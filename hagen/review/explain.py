"""hagen explain / render: where one file comes from, and what it holds, without writing.

PATH is as on the host (/etc/ntp.conf). The build is compiled against the current
output tree, so config_version is the one a build would write.
"""

from __future__ import annotations

import json

from hagen.base.errors import UsageError
from hagen.load.secrets import Secret
from hagen.base.masking import MASK, mask
from hagen.model.names import fold
from hagen.base.reports import Where, error


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


def explanation(compiled, host: str, path: str, show_secrets: bool = False) -> dict:
    """Where one file comes from, as data (explain --format json): secrets masked unless shown."""
    import hashlib

    art, data = find(compiled, host, path)
    doc = {"host": host, "path": art.path, "link_target": art.link_target,
           "template": None if art.link_target is not None else f"templates/{art.template}",
           "mode": None if art.link_target is not None else f"{art.mode:04o}",
           "sha256": None if art.link_target is not None else hashlib.sha256(data).hexdigest(),
           "bytes": None if art.link_target is not None else len(data),
           "hosts": fold(list(art.hosts)), "host_count": len(art.hosts),
           "site_keys": [s[len("site "):] for s in art.sources if s.startswith("site ")],
           "site_spec": compiled.site.display,
           "clusterdb_rows": [s[len("clusterdb "):] for s in art.sources if s.startswith("clusterdb ")],
           "clusterdb": compiled.source.display, "block": art.block, "validator": None, "validator_checks": None,
           "context": _masked(art.context, show_secrets)}
    from hagen.kinds import registry

    kind = registry().of_artifact(art)          # each kind says what its validator checks
    if kind.validate is not None:
        doc["validator"], doc["validator_checks"] = kind.name, kind.checks
    # a context value may hold a secret outside a Secret (a string built from one): mask it anyway
    masked = mask(json.dumps(doc, sort_keys=True, default=str), _secrets_of(art.context), show_secrets)
    return json.loads(masked)


def explain(compiled, host: str, path: str, show_secrets: bool = False) -> str:
    e = explanation(compiled, host, path, show_secrets)
    if e["link_target"] is not None:
        lines = [f"{e['path']} on {host}", f"  symlink    -> {e['link_target']}"]
    else:
        lines = [f"{e['path']} on {host}", f"  template   {e['template']}", f"  mode       {e['mode']}",
                 f"  sha256     {e['sha256']}  ({e['bytes']} bytes)"]
    lines.append(f"  hosts      {e['hosts']}  ({e['host_count']} host{'s' if e['host_count'] != 1 else ''} get this file)")
    lines.append("  site spec  " + (", ".join(e["site_keys"]) or "-") + f"  ({e['site_spec']})")
    lines.append("  clusterdb  " + (", ".join(e["clusterdb_rows"]) or "-") + f"  ({e['clusterdb']})")
    if e["block"] is not None:
        lines.append(f"  block      '# BEGIN hagen {e['block']}' ... '# END hagen {e['block']}' in the node's own file "
                     "(site shared_files): the rest of it is the node's")
    if e["validator"]:
        lines.append(f"  validated  {e['validator']} ({e['validator_checks']})")
    lines.append("  context")
    text = json.dumps(e["context"], indent=2, sort_keys=True, default=str)
    lines += ["    " + ln for ln in text.splitlines()]
    art, _ = find(compiled, host, path)
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
