"""Which ClusterDB source a command reads: --db, else --snapshot, else the site spec's."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hagen.base.errors import InputRefused, UsageError
from hagen.load.rows import Rows
from hagen.base.reports import Where, error


@dataclass(frozen=True)
class Source:
    kind: str      # "db" or "snapshot"
    value: str     # DSN or path
    display: str   # for messages: never a password
    origin: Where | None = None   # the site spec key that named it, if it did

    @property
    def summary(self) -> str:
        """What the command read, for its summary line: the DSN without its password, or the
        snapshot's path with the time it was written (an old snapshot reads as old)."""
        if self.kind == "db":
            from hagen.load.dsn import shown

            return f"database {shown(self.value)}"
        exported = self.exported()
        return f"snapshot {self.display}" + (f", exported {exported}" if exported else "")

    def exported(self) -> str | None:
        """When the snapshot was written (its file's time, UTC): `hagen db export -o` writes it."""
        import os
        from datetime import datetime, timezone

        try:
            mtime = os.stat(self.value).st_mtime
        except OSError:
            return None
        return datetime.fromtimestamp(mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    def to_json(self) -> dict:
        if self.kind == "db":
            from hagen.load.dsn import shown

            return {"kind": "db", "dsn": shown(self.value)}
        doc = {"kind": "snapshot", "path": self.display}
        exported = self.exported()
        if exported:
            doc["exported"] = exported
        return doc


def choose_source(db: str | None, snapshot: str | None, site=None) -> Source:
    if db is not None and snapshot is not None:
        raise UsageError(reports=[error("HA106", Where(key="--db/--snapshot"),
                                        "--db and --snapshot were given together",
                                        "give one ClusterDB source: --db DSN or --snapshot FILE")])
    if db is not None:
        from hagen.base.masking import remember_dsn
        from hagen.load.dsn import describe

        remember_dsn(db)          # the DSN's passwords are masked in every message from now on
        return Source("db", db, describe(db))
    if snapshot is not None:
        return Source("snapshot", snapshot, snapshot)
    if site is not None:
        named = site.get("clusterdb") or {}
        if named.get("dsn"):
            from hagen.base.masking import remember_dsn
            from hagen.load.dsn import describe

            remember_dsn(named["dsn"])
            return Source("db", named["dsn"], describe(named["dsn"]))
        if named.get("snapshot"):
            path = site.resolve(named["snapshot"])
            return Source("snapshot", str(path), named["snapshot"], site.where("clusterdb", "snapshot"))
    raise InputRefused(reports=[error("HA105", site.where("clusterdb") if site else Where(key="--db"),
                                      "no ClusterDB source",
                                      "give --db DSN or --snapshot FILE, or name one under clusterdb: in the site spec")])


def read_source(source: Source) -> Rows:
    from hagen.load.snapshot import read_snapshot, rows_from_raw

    if source.kind == "snapshot":
        try:
            return read_snapshot(source.value, source.display)
        except InputRefused as exc:
            if source.origin is not None:
                # a snapshot the site spec names and that is not there: point at that key
                exc.reports = [replace(r, where=source.origin, message=f"{r.message}: {source.display}")
                               if r.code == "HA102" else r for r in exc.reports]
            raise
    from hagen.load.clusterdb import read_rows

    return rows_from_raw(read_rows(source.value), source.display)
