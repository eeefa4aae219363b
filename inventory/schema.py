"""The store's schema and its forward migrations, one set for SQLite and PostgreSQL.

The steps are written in SQLite's dialect; on PostgreSQL ``inventory.backend`` translates
them (types, identity keys, an explicit ``rowid``).  SQLite's ``PRAGMA user_version`` (on
PostgreSQL the ``camaudit_schema`` table) holds the schema version.  ``MIGRATIONS[n]`` takes
a database at version ``n - 1`` to version ``n``; a new database runs them all from 0.  A step
is SQL text or, where data must be reshaped, a function of the connection (:func:`apply` runs
either).  Released steps are never edited: a schema change is a new step plus a test that
builds the old schema with the frozen DDL below and migrates it with data in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# A function step takes the connection (``sqlite3.Connection`` or ``backend.Database``: both
# ``execute`` SQLite-dialect SQL and return iterable cursors).
Step = str | Callable[[Any], None]

# Version 1: the first released schema.  Frozen: tests build v1 databases from it.
V1: tuple[Step, ...] = (
    """CREATE TABLE scans (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        targets TEXT NOT NULL,          -- JSON list
        methods TEXT NOT NULL,          -- JSON list
        options TEXT NOT NULL,          -- JSON object, credentials removed
        site TEXT NOT NULL,             -- JSON SiteProfile
        policies TEXT NOT NULL,         -- JSON list
        data_versions TEXT NOT NULL,    -- JSON object
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running','complete','interrupted','failed')),
        writer_pid INTEGER
    )""",
    """CREATE TABLE devices (
        key TEXT PRIMARY KEY,
        mac TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    )""",
    """CREATE TABLE scan_devices (
        scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        device_key TEXT NOT NULL REFERENCES devices(key),
        ips TEXT NOT NULL,              -- JSON list: the IPs this box had in this scan
        mac_method TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (scan_id, device_key)
    )""",
    """CREATE TABLE evidence (
        scan_id INTEGER NOT NULL,
        device_key TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,            -- JSON value (string, int or list)
        source TEXT NOT NULL,           -- the probe or importer that reported it
        seen_at TEXT NOT NULL,
        FOREIGN KEY (scan_id, device_key) REFERENCES scan_devices(scan_id, device_key)
            ON DELETE CASCADE
    )""",
    """CREATE TABLE identities (
        scan_id INTEGER NOT NULL,
        device_key TEXT NOT NULL,
        maker TEXT,
        brand TEXT,
        relationship TEXT NOT NULL,
        model TEXT,
        firmware TEXT,
        confidence REAL NOT NULL,
        data TEXT NOT NULL,             -- JSON Identity (reasons, conflicts, flags)
        PRIMARY KEY (scan_id, device_key),
        FOREIGN KEY (scan_id, device_key) REFERENCES scan_devices(scan_id, device_key)
            ON DELETE CASCADE
    )""",
    """CREATE TABLE verdicts (
        scan_id INTEGER NOT NULL,
        device_key TEXT NOT NULL,
        policy TEXT NOT NULL,
        status TEXT NOT NULL,
        data TEXT NOT NULL,             -- JSON Verdict (entry, reasons, citations)
        PRIMARY KEY (scan_id, device_key, policy),
        FOREIGN KEY (scan_id, device_key) REFERENCES scan_devices(scan_id, device_key)
            ON DELETE CASCADE
    )""",
    """CREATE TABLE errors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        device_key TEXT,                -- NULL: a scan-level error
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        ip TEXT NOT NULL DEFAULT '',
        seen_at TEXT NOT NULL
    )""",
    """CREATE TABLE dispositions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_key TEXT NOT NULL REFERENCES devices(key),
        status TEXT NOT NULL CHECK (status IN
            ('exception_granted','scheduled_for_removal','removed','false_positive')),
        by_name TEXT NOT NULL,
        reason TEXT NOT NULL,
        date TEXT,                      -- removal date for scheduled_for_removal
        recorded_at TEXT NOT NULL
    )""",
    "CREATE INDEX evidence_by_device ON evidence(scan_id, device_key)",
    "CREATE INDEX dispositions_by_device ON dispositions(device_key, id)",
)

# Version 2: a pid alone cannot tell a dead writer from a reused pid or a rebooted machine,
# so record the writer's host, boot id and process start time; and the time of the last
# write, which an interrupted scan reports as its end.
V2: tuple[Step, ...] = (
    "ALTER TABLE scans ADD COLUMN writer_host TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE scans ADD COLUMN writer_boot TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE scans ADD COLUMN writer_start REAL NOT NULL DEFAULT 0",
    "ALTER TABLE scans ADD COLUMN updated_at TEXT",
)


# Version 3: normalised verdicts.  A scan of a million devices stored each device's verdicts
# (citations, reasons, entry texts: about 1 KB per policy) once per device, 13 KB a device in
# all.  Devices of one maker at one site get the same verdicts word for word, so a device now
# points at its *verdict set* (every policy's verdict, as JSON, in judging order), stored once
# in ``blobs`` however many devices share it.  ``headline`` (the most severe status) and
# ``ip_sort`` (the address as sortable text) let a report list a scan in severity order from
# the database, without holding it in memory.
# Frozen copy of the status order at version 3 (core.presentation.STATUS_ORDER then).
_V3_STATUS_ORDER = (
    "covered",
    "covered_for_use",
    "likely_covered",
    "component_risk",
    "unknown",
    "not_judged",
    "not_covered",
    "not_applicable",
)


def ip_sort_key(ip: str | None) -> str:
    """An address as text that sorts like the report sorts: IPv4 numerically, then the rest."""
    if not ip:
        return "999"
    parts = ip.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts):
        return ".".join(p.zfill(3) for p in parts)
    return "998"  # IPv6 or a name: after every IPv4 address, then by device key


def _v3_move_verdicts(db: Any) -> None:
    rank = {s: i for i, s in enumerate(_V3_STATUS_ORDER)}
    blob_ids: dict[str, int] = {}
    sets: dict[tuple[int, str], list[tuple[str, str, str]]] = {}
    for scan_id, key, policy, status, data in db.execute(
        "SELECT scan_id, device_key, policy, status, data FROM verdicts ORDER BY rowid"
    ):
        sets.setdefault((scan_id, key), []).append((policy, status, data))
    for (scan_id, key), verdicts in sets.items():
        text = json.dumps(
            [[policy, json.loads(data)] for policy, _, data in verdicts],
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )
        if text not in blob_ids:
            db.execute("INSERT OR IGNORE INTO blobs (data) VALUES (?)", (text,))
            row = db.execute("SELECT id FROM blobs WHERE data = ?", (text,)).fetchone()
            blob_ids[text] = int(row[0])
        headline = min((s for _, s, _ in verdicts), key=lambda s: rank.get(s, 99))
        db.execute(
            "UPDATE scan_devices SET verdicts = ?, headline = ?"
            " WHERE scan_id = ? AND device_key = ?",
            (blob_ids[text], headline, scan_id, key),
        )
    for rowid, ips in db.execute("SELECT rowid, ips FROM scan_devices").fetchall():
        listed = json.loads(ips)
        v4 = [ip for ip in listed if "." in ip]
        first = (v4 or listed or [None])[0]
        db.execute(
            "UPDATE scan_devices SET ip_sort = ? WHERE rowid = ?", (ip_sort_key(first), rowid)
        )


V3: tuple[Step, ...] = (
    "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data TEXT NOT NULL UNIQUE)",
    "ALTER TABLE scan_devices ADD COLUMN verdicts INTEGER REFERENCES blobs(id)",
    "ALTER TABLE scan_devices ADD COLUMN headline TEXT NOT NULL DEFAULT 'not_judged'",
    "ALTER TABLE scan_devices ADD COLUMN ip_sort TEXT NOT NULL DEFAULT '999'",
    _v3_move_verdicts,
    "DROP TABLE verdicts",
    "CREATE INDEX scan_devices_by_headline ON scan_devices(scan_id, headline)",
)

# Version 4: many sites in one inventory (a central PostgreSQL database).  Each scan names
# its site; a device's key stays the same at every site, so the same box seen at two sites
# is one device seen in two sites' scans.  Indexes for what many writers and sites need:
# a device's scans across sites, and the per-device error rewrite of every stored device.
V4: tuple[Step, ...] = (
    "ALTER TABLE scans ADD COLUMN site_name TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX scans_by_site ON scans(site_name, id)",
    "CREATE INDEX scan_devices_by_device ON scan_devices(device_key, scan_id)",
    "CREATE INDEX errors_by_device ON errors(scan_id, device_key)",
)

MIGRATIONS: dict[int, tuple[Step, ...]] = {1: V1, 2: V2, 3: V3, 4: V4}
LATEST = max(MIGRATIONS)


def apply(db: Any, step: Step) -> None:
    """Run one migration step: SQL text, or a function that reshapes data.

    ``db`` is a ``backend.Database`` (which translates the text for its dialect) or, in
    tests that build old schemas, a plain ``sqlite3.Connection``.
    """
    if callable(step):
        step(db)
    elif hasattr(db, "run_step"):
        db.run_step(step)
    else:
        db.execute(step)
