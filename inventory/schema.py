"""The store's SQLite schema and its forward migrations.

``PRAGMA user_version`` holds the schema version.  ``MIGRATIONS[n]`` takes a database at
version ``n - 1`` to version ``n``; a new database runs them all from 0.  Released steps are
never edited: a schema change is a new step plus a test that builds the old schema with the
frozen DDL below and migrates it with data in it.
"""

from __future__ import annotations

# Version 1: the first released schema.  Frozen: tests build v1 databases from it.
V1: tuple[str, ...] = (
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
V2: tuple[str, ...] = (
    "ALTER TABLE scans ADD COLUMN writer_host TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE scans ADD COLUMN writer_boot TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE scans ADD COLUMN writer_start REAL NOT NULL DEFAULT 0",
    "ALTER TABLE scans ADD COLUMN updated_at TEXT",
)

MIGRATIONS: dict[int, tuple[str, ...]] = {1: V1, 2: V2}
LATEST = max(MIGRATIONS)
