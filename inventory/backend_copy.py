"""``camaudit inventory copy``: an inventory moved between SQLite and PostgreSQL, whole.

Every table is copied row for row with its ids (scan ids, verdict-set ids, decision ids), in
the order the source found them (so "found order" and report order are the same), a batch at
a time (a million devices hold a few thousand rows in memory), into an empty destination in
one transaction: a failed copy leaves the destination empty.  Report hashes therefore still
verify against the copy (``camaudit report verify --scan ID --db COPY``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inventory.backend import StoreError
from inventory.store import Store

# (table, columns, order): every column of schema 4 but the PostgreSQL-only ``rowid``
# (tests/inventory/test_postgres_copy.py fails when a migration adds one this misses).
TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("blobs", ("id", "data"), "id"),
    (
        "scans",
        (
            "id",
            "targets",
            "methods",
            "options",
            "site",
            "policies",
            "data_versions",
            "started_at",
            "ended_at",
            "status",
            "writer_pid",
            "writer_host",
            "writer_boot",
            "writer_start",
            "updated_at",
            "site_name",
        ),
        "id",
    ),
    ("devices", ("key", "mac", "first_seen", "last_seen"), "key"),
    (
        "scan_devices",
        ("scan_id", "device_key", "ips", "mac_method", "verdicts", "headline", "ip_sort"),
        "rowid",
    ),
    ("evidence", ("scan_id", "device_key", "field", "value", "source", "seen_at"), "rowid"),
    (
        "identities",
        (
            "scan_id",
            "device_key",
            "maker",
            "brand",
            "relationship",
            "model",
            "firmware",
            "confidence",
            "data",
        ),
        "rowid",
    ),
    (
        "errors",
        ("id", "scan_id", "device_key", "source", "kind", "message", "ip", "seen_at"),
        "id",
    ),
    (
        "dispositions",
        ("id", "device_key", "status", "by_name", "reason", "date", "recorded_at"),
        "id",
    ),
)
_KEYED = ("blobs", "scans", "errors", "dispositions")  # their ids go on counting after a copy
BATCH = 2000

Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class CopyResult:
    counts: dict[str, int]

    def describe(self) -> str:
        c = self.counts
        return (
            f"{c['scans']} scans, {c['devices']} devices ({c['scan_devices']} sightings), "
            f"{c['evidence']} evidence items, {c['blobs']} verdict sets, "
            f"{c['dispositions']} decisions, {c['errors']} problems"
        )


def _count(store: Store, table: str) -> int:
    return int(store._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def copy_inventory(
    source: str | Path,
    destination: str | Path,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    password_prompt: Callable[[str], str] | None = None,
) -> CopyResult:
    """Copy the inventory at ``source`` into the empty inventory at ``destination``."""
    if str(source) == str(destination):
        raise StoreError("copy an inventory to another database, not onto itself")
    with (
        Store(source, create=False, password_prompt=password_prompt) as src,
        Store(destination, password_prompt=password_prompt) as dst,
    ):
        held = _count(dst, "scans") + _count(dst, "devices") + _count(dst, "dispositions")
        if held:
            raise StoreError(
                f"{dst.location} already holds an inventory: copy only into an empty one"
            )
        counts = _copy_tables(src, dst, batch, progress)
        for table, _, _ in TABLES:  # the copy holds every row the source holds
            if _count(dst, table) != _count(src, table):
                raise StoreError(f"copy incomplete: {table} differs (the source changed?)")
    return CopyResult(counts)


def _copy_tables(src: Store, dst: Store, batch: int, progress: Progress | None) -> dict[str, int]:
    counts = {table: 0 for table, _, _ in TABLES}
    with dst._db.tx() as db:
        for table, columns, order in TABLES:
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            query = f"SELECT {names} FROM {table} ORDER BY {order}"  # noqa: S608
            for rows in src._db.stream(query, (), batch):
                db.executemany(insert, [tuple(r) for r in rows])
                counts[table] += len(rows)
                if progress:
                    progress(table, counts[table])
        if db.dialect == "postgresql":  # identity columns go on after the copied ids
            for table in _KEYED:
                db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                    f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
    return counts
