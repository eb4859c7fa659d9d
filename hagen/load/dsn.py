"""A ClusterDB DSN: read once, by libpq's own parser, for every question asked of it.

Whether a DSN holds a password (the site spec's warning, `hagen init`'s draft), what it
names (messages, the summary line, JSON) and the DSN without its password are all
answered from libpq's reading of it (psycopg's conninfo_to_dict), so that a URI and its
key=value form give one answer everywhere. hagen.base.masking keeps its own search for
passwords by shape: it must mask a DSN that libpq refuses, whose text libpq's error echoes.
"""

from __future__ import annotations

import re


def conninfo(dsn: str) -> dict | None:
    """The DSN's parameters as libpq reads them (a URI or key=value pairs), None when libpq
    refuses it. It remembers nothing: whoever takes a DSN in (choose_source, connect, the
    --db of `hagen db` and `hagen init`) gives its passwords to hagen.base.masking.remember_dsn."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        return {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    except Exception:
        return None


def has_password(dsn: str) -> bool:
    """Whether the DSN itself carries a password (as userinfo, ?password= or password=)."""
    params = conninfo(dsn)
    return bool(params and params.get("password"))


def describe(dsn: str) -> str:
    """What the DSN names, for messages: database DB on HOST:PORT, never a password."""
    params = conninfo(dsn)
    if params is None:
        return "the ClusterDB (a DSN libpq cannot parse)"
    host = params.get("host") or "local socket"
    port = params.get("port") or "5432"
    db = params.get("dbname") or params.get("user") or "default database"
    return f"database {db} on {host}:{port}"


def shown(dsn: str) -> str:
    """The DSN as conninfo key=value pairs without its password: the summary line's and JSON's."""
    params = conninfo(dsn)
    if params is None:
        return "(a DSN libpq cannot parse)"
    from psycopg.conninfo import make_conninfo

    return make_conninfo(**{k: v for k, v in params.items() if k != "password"}) \
        or "(libpq defaults: PGHOST, PGDATABASE...)"


def as_written_without_password(dsn: str) -> tuple[str, bool] | None:
    """(the DSN in the administrator's own form, URI or key=value, its password removed,
    whether it had one), None when libpq cannot read it. Whether it had one is libpq's
    answer (has_password); only the removal is done on the text, to keep its form."""
    params = conninfo(dsn)
    if params is None:
        return None
    had = bool(params.get("password"))
    if re.match(r"postgres(ql)?://", dsn):
        return _uri_without_password(dsn), had
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params.pop("password", None)
    kept = make_conninfo(**params)
    # in the administrator's order (make_conninfo keeps the dict's, which is not theirs)
    order = sorted(params, key=lambda k: (m.start() if (m := re.search(rf"\b{re.escape(k)}\s*=", dsn)) else len(dsn), k))
    text = " ".join(make_conninfo(**{k: params[k]}) for k in order)
    return (text if conninfo_to_dict(text) == conninfo_to_dict(kept) else kept), had


def _uri_without_password(dsn: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(dsn)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k != "password"]
    netloc = parts.netloc.rpartition("@")
    if parts.password is not None:
        user = netloc[0].partition(":")[0]
        netloc = (user, "@", netloc[2])
    return urlunsplit(parts._replace(netloc="".join(netloc), query=urlencode(kept)))
