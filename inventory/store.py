"""The inventory store: every scan, device, evidence item and decision, of one site or many.

An inventory is a SQLite file (one machine; the default) or a PostgreSQL database named by a
``postgresql://`` URL (many sites and writers at once); ``inventory.backend`` holds the two
connections and the dialect layer, so the SQL here is one text for both.

The scanner writes each device as soon as it is found (``add_device`` commits at once), so a
crash or a SIGKILL loses nothing already found.  WAL journaling (SQLite) and MVCC
(PostgreSQL) keep readers (the GUI, a report) from blocking writers.  A scan whose writing
process died is shown as ``interrupted``: each scan records its writer's host, boot id, pid
and process start time, and opening the store checks them (a scan written from another host
is left as it is: its writer cannot be seen from here).  Each scan names its site
(``site_name``); a device's key is the same at every site.

Secrets never reach the file: scan options pass through :func:`inventory.redact.redact_options`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from platformdirs import user_data_dir

from core.files import open_private, private_dir
from core.model import (
    Device,
    EvidenceItem,
    Identity,
    Problem,
    Scan,
    ScanStatus,
    SiteProfile,
    Verdict,
    VerdictStatus,
    utcnow,
)
from core.presentation import STATUS_ORDER, worst
from core.sanitize import terminal_safe
from inventory import schema
from inventory.backend import (
    Database,
    PasswordPrompt,
    PrivilegeError,
    RetryableError,
    StoreError,
    connect,
    db_target,
    is_postgres_url,
)
from inventory.dispositions import Disposition, DispositionError
from inventory.redact import redact_options

DB_ENV = "CAMAUDIT_DB"
DB_NAME = "camaudit.sqlite3"
MAX_SCAN_ID = 2**63 - 1  # SQLite's (and PostgreSQL's BIGINT) largest integer
MAX_SCAN_ID_DIGITS = 30  # longer is no scan id (and int() of huge text is slow)
BLOB_CACHE = 4096  # verdict sets kept parsed (or their ids known) while reading or writing
RETRIES = 5  # a PostgreSQL transaction that lost a deadlock to another writer runs again
SITE_NAME_MAX = 200


_SetKey = tuple[tuple[str, int], ...]  # (policy, id of its Verdict object) per verdict


__all__ = ["ScanSummary", "Store", "StoreError", "WriterIdentity", "default_db_path"]


def default_db_path() -> Path | str:
    """``$CAMAUDIT_DB`` (a file or a ``postgresql://`` URL), else ``camaudit.sqlite3`` in the
    user data folder."""
    env = os.environ.get(DB_ENV)
    if env:
        return db_target(env)
    return Path(user_data_dir("camaudit", appauthor=False)) / DB_NAME


def check_site_name(name: str) -> str:
    """A site name as stored: trimmed, printable, at most SITE_NAME_MAX characters."""
    text = name.strip()
    if len(text) > SITE_NAME_MAX or any(not ch.isprintable() for ch in text):
        shown = terminal_safe(name, 40)
        raise StoreError(f"bad site name {shown!r}: printable text, at most {SITE_NAME_MAX}")
    return text


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """One line of ``history list``."""

    id: int
    targets: tuple[str, ...]
    methods: tuple[str, ...]
    started_at: dt.datetime
    ended_at: dt.datetime | None
    status: ScanStatus
    devices: int
    flagged: int
    site: str = ""


@dataclass(frozen=True, slots=True)
class WriterIdentity:
    """Enough to tell later whether the process that wrote a scan is still alive."""

    host: str
    boot: str
    pid: int
    start: float

    @classmethod
    def current(cls) -> WriterIdentity:
        return cls(_hostname(), _boot_id(), os.getpid(), psutil.Process().create_time())

    def alive(self) -> bool:
        """False when this writer certainly died; True when it may still be running."""
        if self.host != _hostname():
            return True  # another machine's scan (shared folder): cannot tell, leave it
        if self.boot and self.boot != _boot_id():
            return False
        try:
            proc = psutil.Process(self.pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                return False
            # A reused pid belongs to a process that started later.
            return abs(proc.create_time() - self.start) < 1.0 or not self.start
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False


def _hostname() -> str:
    return os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return str(int(psutil.boot_time()))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _parse_ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def remove_database(path: Path) -> None:
    """Delete a database file with its WAL and shared-memory files (one this run created)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _prepare_file(path: Path, create: bool) -> None:
    if path.exists():
        if not path.is_file():
            raise StoreError(f"{path}: not a database file")
        return
    if not create:
        raise StoreError(f"{path}: no such database (check --db or ${DB_ENV})")
    private_dir(path.parent)
    try:
        open_private(path)  # SQLite gives its -wal and -shm files the database's mode
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the database ({exc.strerror or exc})") from exc


class Store:
    """The inventory database.  One instance per thread; the database may be shared by
    processes (and, on PostgreSQL, by machines)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_s: float = 10.0,
        create: bool = True,
        password_prompt: PasswordPrompt | None = None,
    ) -> None:
        """Open (``create``: or make, 0600 in 0700 folders) the database at ``path``: a SQLite
        file, or a ``postgresql://`` URL (the database must exist; its tables are made).

        ``create=False`` is for read-only commands: a missing file (or a PostgreSQL database
        with no inventory in it) is a StoreError, and nothing is made (a mistyped ``--db``
        must not leave an empty database).  ``password_prompt`` asks for a PostgreSQL
        password that neither ~/.pgpass nor the keyring holds.
        """
        self.path: Path | str = str(path) if is_postgres_url(path) else Path(path)
        if isinstance(self.path, Path) and str(path) != ":memory:":
            _prepare_file(self.path, create)
        self.location = str(self.path)
        try:
            self._db: Database = connect(
                self.path, busy_timeout_s=busy_timeout_s, prompt=password_prompt
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable camaudit database ({exc})") from exc
        try:
            self._migrate(create)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{path}: not a usable camaudit database ({exc})") from exc
        except BaseException:
            self._db.close()
            raise
        self._writer = WriterIdentity.current()
        self._blob_ids: dict[str, int] = {}  # verdict-set text -> blob id, as written
        self._sets_by_object: dict[
            tuple[tuple[str, int], ...], tuple[tuple[Verdict, ...], int]
        ] = {}
        self.mark_dead_scans_interrupted()

    # -- connection housekeeping ------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[Database]:
        try:
            with self._db.tx() as db:
                yield db
        except BaseException:
            # Blob ids learnt in a rolled-back transaction name rows that do not exist.
            self._blob_ids.clear()
            self._sets_by_object.clear()
            raise

    def _retrying(self, work: Callable[[], int]) -> int:
        """Run a write transaction, again when it lost a deadlock to another writer (two
        imports storing the same new verdict set or device in opposite orders)."""
        for attempt in range(RETRIES):
            try:
                return work()
            except RetryableError:
                if attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    @property
    def schema_version(self) -> int:
        return self._db.read_version()

    def _too_new(self, version: int) -> StoreError:
        return StoreError(
            f"{self.location} was written by a newer camaudit (schema {version}, "
            f"this version knows {schema.LATEST}); upgrade camaudit to open it"
        )

    def _migrate(self, create: bool) -> None:
        version = self._db.read_version()
        if version > schema.LATEST:
            raise self._too_new(version)
        if version == schema.LATEST:
            return
        if version == 0 and not create and self._db.dialect == "postgresql":
            raise StoreError(f"{self.location}: no camaudit inventory in this database yet")
        with self._db.migration_tx() as db:
            version = db.read_version()  # another writer may have migrated meanwhile
            if version > schema.LATEST:
                raise self._too_new(version)
            for target in range(version + 1, schema.LATEST + 1):
                for step in schema.MIGRATIONS[target]:
                    schema.apply(db, step)
                db.write_version(target)

    def integrity_check(self) -> str:
        return self._db.integrity_check()

    # -- scans ------------------------------------------------------------------------------

    def begin_scan(self, scan: Scan, site: str = "") -> int:
        """Record a new running scan (credentials dropped from its options) at ``site`` (a
        name; empty: the unnamed site); return its id."""
        w = self._writer
        site = check_site_name(site)
        with self._tx() as db:
            scan_id = db.insert_id(
                "INSERT INTO scans (targets, methods, options, site, policies, data_versions,"
                " started_at, status, writer_pid, writer_host, writer_boot, writer_start,"
                " updated_at, site_name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    _dumps(list(scan.targets)),
                    _dumps(list(scan.methods)),
                    _dumps(redact_options(scan.options)),
                    _dumps(scan.site.to_dict()),
                    _dumps(list(scan.policies)),
                    _dumps(dict(scan.data_versions)),
                    _ts(scan.started_at),
                    ScanStatus.RUNNING.value,
                    w.pid,
                    w.host,
                    w.boot,
                    w.start,
                    _ts(scan.started_at),
                    site,
                ),
            )
        scan.id = scan_id
        return scan_id

    def add_device(self, scan_id: int, device: Device) -> None:
        """Insert or replace one device's record in a scan, committed at once."""

        def work() -> int:
            with self._tx() as db:
                self._require_scan(scan_id)
                self._write_device(db, scan_id, device, replace=True)
                db.execute("UPDATE scans SET updated_at = ? WHERE id = ?", (_ts(utcnow()), scan_id))
            return 1

        self._retrying(work)

    def add_devices_bulk(
        self, scan_id: int, devices: Iterable[Device], removed: Iterable[str] = ()
    ) -> int:
        """Store a batch of devices in one transaction (an import's chunk); return the count.

        ``removed``: keys of devices stored earlier in this scan that the batch supersedes
        (fused into another or re-keyed).
        """
        batch, gone = list(devices), list(removed)

        def work() -> int:
            with self._tx() as db:
                self._require_scan(scan_id)
                for key in gone:
                    self._delete_device(db, scan_id, key)
                # Devices rows first, in key order: two sites' imports sharing boxes then
                # lock them in the same order instead of deadlocking.
                for device in sorted(batch, key=lambda d: d.key):
                    self._upsert_device(db, device)
                for device in batch:
                    self._write_device(db, scan_id, device, replace=True, upserted=True)
                db.execute("UPDATE scans SET updated_at = ? WHERE id = ?", (_ts(utcnow()), scan_id))
            return len(batch)

        return self._retrying(work)

    @staticmethod
    def _upsert_device(db: Database, device: Device) -> None:
        seen = [e.seen_at for e in device.evidence] or [utcnow()]
        first, last = _ts(min(seen)), _ts(max(seen))
        db.execute(
            "INSERT INTO devices (key, mac, first_seen, last_seen) VALUES (?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET mac = coalesce(excluded.mac, devices.mac),"
            " first_seen = CASE WHEN excluded.first_seen < devices.first_seen"
            " THEN excluded.first_seen ELSE devices.first_seen END,"
            " last_seen = CASE WHEN excluded.last_seen > devices.last_seen"
            " THEN excluded.last_seen ELSE devices.last_seen END",
            (device.key, device.mac, first, last),
        )

    def _write_device(
        self, db: Database, scan_id: int, device: Device, *, replace: bool, upserted: bool = False
    ) -> None:
        if not upserted:
            self._upsert_device(db, device)
        verdicts = self._verdict_set(db, device)
        db.execute(
            "INSERT INTO scan_devices (scan_id, device_key, ips, mac_method, verdicts, headline,"
            " ip_sort) VALUES (?,?,?,?,?,?,?) ON CONFLICT(scan_id, device_key) DO UPDATE SET"
            " ips = excluded.ips, mac_method = excluded.mac_method,"
            " verdicts = excluded.verdicts, headline = excluded.headline,"
            " ip_sort = excluded.ip_sort",
            (
                scan_id,
                device.key,
                _dumps(device.ips),
                device.mac_method,
                verdicts,
                worst(v.status for v in device.verdicts.values()),
                schema.ip_sort_key(device.ip),
            ),
        )
        if replace:
            for table in ("evidence", "identities", "errors"):
                db.execute(
                    f"DELETE FROM {table} WHERE scan_id = ? AND device_key = ?",  # noqa: S608
                    (scan_id, device.key),
                )
        self._insert_parts(db, scan_id, device)

    def _verdict_set(self, db: Database, device: Device) -> int | None:
        """The id of the stored blob holding this device's verdicts (stored once, shared)."""
        if not device.verdicts:
            return None
        # Devices judged alike share Verdict objects (vendors.assess): know them by identity
        # first, and serialise only a set not seen yet.  The cache holds the objects, so
        # their ids stay theirs while cached.
        shared = tuple((name, id(v)) for name, v in device.verdicts.items())
        known = self._sets_by_object.get(shared)
        if known is not None:
            return known[1]
        text = _dumps([[name, v.to_dict()] for name, v in device.verdicts.items()])
        cached = self._blob_ids.get(text)
        if cached is not None:
            self._remember_set(shared, device, cached)
            return cached
        db.execute("INSERT OR IGNORE INTO blobs (data) VALUES (?)", (text,))
        row = db.execute("SELECT id FROM blobs WHERE data = ?", (text,)).fetchone()
        blob_id = int(row[0])
        if len(self._blob_ids) >= BLOB_CACHE:
            self._blob_ids.clear()
        self._blob_ids[text] = blob_id
        self._remember_set(shared, device, blob_id)
        return blob_id

    def _remember_set(self, shared: _SetKey, device: Device, blob: int) -> None:
        if len(self._sets_by_object) >= BLOB_CACHE:
            self._sets_by_object.clear()
        self._sets_by_object[shared] = (tuple(device.verdicts.values()), blob)

    def _insert_parts(self, db: Database, scan_id: int, device: Device) -> None:
        key = device.key
        db.executemany(
            "INSERT INTO evidence (scan_id, device_key, field, value, source, seen_at)"
            " VALUES (?,?,?,?,?,?)",
            [
                (scan_id, key, e.field, _dumps(e.to_dict()["value"]), e.source, _ts(e.seen_at))
                for e in device.evidence
            ],
        )
        if device.identity is not None:
            ident = device.identity
            db.execute(
                "INSERT INTO identities (scan_id, device_key, maker, brand, relationship, model,"
                " firmware, confidence, data) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    scan_id,
                    key,
                    ident.maker,
                    ident.brand,
                    ident.relationship.value,
                    ident.model,
                    ident.firmware,
                    ident.confidence,
                    _dumps(ident.to_dict()),
                ),
            )
        self._insert_errors(db, scan_id, key, device.errors)

    @staticmethod
    def _insert_errors(
        db: Database, scan_id: int, key: str | None, errors: Iterable[Problem]
    ) -> None:
        db.executemany(
            "INSERT INTO errors (scan_id, device_key, source, kind, message, ip, seen_at)"
            " VALUES (?,?,?,?,?,?,?)",
            [(scan_id, key, e.source, e.kind, e.message, e.ip, _ts(e.seen_at)) for e in errors],
        )

    def remove_device(self, scan_id: int, key: str) -> None:
        """Drop a device from one scan (the scanner re-keyed or fused it into another)."""
        with self._tx() as db:
            self._delete_device(db, scan_id, key)

    @staticmethod
    def _delete_device(db: Database, scan_id: int, key: str) -> None:
        db.execute("DELETE FROM errors WHERE scan_id = ? AND device_key = ?", (scan_id, key))
        db.execute("DELETE FROM scan_devices WHERE scan_id = ? AND device_key = ?", (scan_id, key))

    def add_devices(self, scan_id: int, devices: Iterable[Device]) -> int:
        """Store many devices (each committed on its own, as the scanner does); return count."""
        count = 0
        for device in devices:
            self.add_device(scan_id, device)
            count += 1
        return count

    def add_errors(self, scan_id: int, errors: Sequence[Problem]) -> None:
        """Record scan-level problems, all in one transaction."""
        if not errors:
            return
        with self._tx() as db:
            self._require_scan(scan_id)
            self._insert_errors(db, scan_id, None, errors)

    def delete_scan(self, scan_id: int) -> None:
        """Remove a scan and everything stored with it (an import that stored nothing usable).

        Devices no other scan saw go too, and verdict sets no device uses any more.
        """
        with self._tx() as db:
            keys = [
                r[0]
                for r in db.execute(
                    "SELECT device_key FROM scan_devices WHERE scan_id = ?", (scan_id,)
                )
            ]
            db.execute("DELETE FROM scans WHERE id = ?", (scan_id,))
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                db.execute(
                    f"DELETE FROM devices WHERE key IN ({marks}) AND key NOT IN"  # noqa: S608
                    " (SELECT device_key FROM scan_devices) AND key NOT IN"
                    " (SELECT device_key FROM dispositions)",
                    part,
                )
            db.execute(
                "DELETE FROM blobs WHERE id NOT IN"
                " (SELECT verdicts FROM scan_devices WHERE verdicts IS NOT NULL)"
            )
        self._blob_ids.clear()
        self._sets_by_object.clear()

    def add_error(self, scan_id: int, error: Problem) -> None:
        """Record a scan-level problem (one that concerns no single device)."""
        with self._tx() as db:
            self._require_scan(scan_id)
            self._insert_errors(db, scan_id, None, [error])

    def scan_errors(self, scan_id: int) -> list[Problem]:
        rows = self._db.execute(
            "SELECT * FROM errors WHERE scan_id = ? AND device_key IS NULL ORDER BY id",
            (scan_id,),
        ).fetchall()
        return [_error(r) for r in rows]

    def finish_scan(
        self, scan_id: int, status: ScanStatus | str, ended_at: dt.datetime | None = None
    ) -> None:
        final = ScanStatus(status)
        if final is ScanStatus.RUNNING:
            raise StoreError("finish_scan needs a final status (complete, interrupted, failed)")
        with self._tx() as db:
            self._require_scan(scan_id)
            db.execute(
                "UPDATE scans SET status = ?, ended_at = ? WHERE id = ?",
                (final.value, _ts(ended_at or utcnow()), scan_id),
            )

    def _require_scan(self, scan_id: int) -> Any:
        row = self._db.execute("SELECT * FROM scans WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            raise StoreError(f"no scan {scan_id} in {self.location}")
        return row

    def mark_dead_scans_interrupted(self) -> list[int]:
        """Mark scans whose writer process is gone as interrupted; return their ids.

        A reporting role (no UPDATE privilege) leaves them for the next writer to mark.
        """
        rows = self._db.execute("SELECT * FROM scans WHERE status = 'running'").fetchall()
        dead = [r for r in rows if not _row_writer(r).alive()]
        if dead:
            try:
                with self._tx() as db:
                    for r in dead:
                        db.execute(
                            "UPDATE scans SET status = 'interrupted', ended_at = ?"
                            " WHERE id = ? AND status = 'running'",
                            (r["updated_at"] or r["started_at"], r["id"]),
                        )
            except PrivilegeError:
                return []
        return [int(r["id"]) for r in dead]

    # -- reading ----------------------------------------------------------------------------

    def load_scan(self, scan_id: int, *, devices: bool = True) -> Scan:
        """The scan with its devices in the order they were found (``devices=False``: the
        scan's record alone; read its devices with :meth:`iter_devices`)."""
        row = self._require_scan(scan_id)
        scan = _scan_from_row(row)
        if devices:
            scan.devices = self._load_devices(scan_id)
        return scan

    def _load_devices(self, scan_id: int) -> list[Device]:
        return list(self.iter_devices(scan_id, order="found"))

    def count_devices(self, scan_id: int) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM scan_devices WHERE scan_id = ?", (scan_id,)
        ).fetchone()
        return int(row[0])

    def iter_devices(
        self, scan_id: int, *, order: str = "found", batch: int = 500
    ) -> Iterator[Device]:
        """The scan's devices one at a time, read in batches (a million fit in little memory).

        ``order``: ``found`` (the order the scan found them) or ``severity`` (most severe
        headline status first, then IPv4 address, then key: the report's order).
        """
        if order == "found":
            order_by = "rowid"
        elif order == "severity":
            ranks = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATUS_ORDER))
            order_by = f"CASE headline {ranks} ELSE 99 END, ip_sort, device_key"
        else:
            raise ValueError(f"unknown device order {order!r}")
        rows_of = self._db.stream(
            "SELECT device_key, ips, mac_method, verdicts FROM scan_devices"  # noqa: S608
            f" WHERE scan_id = ? ORDER BY {order_by}",
            (scan_id,),
            batch,
        )
        verdict_sets: dict[int, dict[str, Verdict]] = {}
        for rows in rows_of:
            yield from self._load_batch(scan_id, rows, verdict_sets)
            if len(verdict_sets) > BLOB_CACHE:
                verdict_sets.clear()

    def _load_batch(
        self,
        scan_id: int,
        rows: Sequence[Any],
        verdict_sets: dict[int, dict[str, Verdict]],
    ) -> list[Device]:
        db = self._db
        devices: dict[str, Device] = {}
        for r in rows:
            dev = Device(key=r["device_key"], ips=json.loads(r["ips"]), mac_method=r["mac_method"])
            blob = r["verdicts"]
            if blob is not None:
                if blob not in verdict_sets:
                    verdict_sets[blob] = self._verdicts_of(blob)
                dev.verdicts = dict(verdict_sets[blob])
            devices[dev.key] = dev
        keys = list(devices)
        marks = ",".join("?" * len(keys))
        where = f"scan_id = ? AND device_key IN ({marks})"
        for r in db.execute(
            f"SELECT * FROM evidence WHERE {where} ORDER BY rowid",  # noqa: S608
            (scan_id, *keys),
        ):
            devices[r["device_key"]].evidence.append(_evidence(r))
        for r in db.execute(
            f"SELECT device_key, data FROM identities WHERE {where}",  # noqa: S608
            (scan_id, *keys),
        ):
            devices[r["device_key"]].identity = Identity.from_dict(json.loads(r["data"]))
        for r in db.execute(
            f"SELECT * FROM errors WHERE {where} ORDER BY id",  # noqa: S608
            (scan_id, *keys),
        ):
            devices[r["device_key"]].errors.append(_error(r))
        return list(devices.values())

    def _verdicts_of(self, blob: int) -> dict[str, Verdict]:
        row = self._db.execute("SELECT data FROM blobs WHERE id = ?", (blob,)).fetchone()
        return {name: Verdict.from_dict(data) for name, data in json.loads(row["data"])}

    def load_device(self, scan_id: int, key: str) -> Device | None:
        """One device of a scan as stored, or None."""
        row = self._db.execute(
            "SELECT device_key, ips, mac_method, verdicts FROM scan_devices"
            " WHERE scan_id = ? AND device_key = ?",
            (scan_id, key),
        ).fetchone()
        if row is None:
            return None
        return self._load_batch(scan_id, [row], {})[0]

    def status_counts(self, scan_id: int) -> dict[str, int]:
        """How many devices of a scan have each headline status."""
        rows = self._db.execute(
            "SELECT headline, count(*) FROM scan_devices WHERE scan_id = ? GROUP BY headline",
            (scan_id,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def verdict_sets(self, scan_id: int) -> Iterator[tuple[dict[str, Verdict], int]]:
        """Each distinct verdict set of a scan with how many devices have it (for summaries)."""
        rows = self._db.execute(
            "SELECT verdicts, count(*) FROM scan_devices WHERE scan_id = ?"
            " AND verdicts IS NOT NULL GROUP BY verdicts",
            (scan_id,),
        ).fetchall()
        for blob, count in rows:
            yield self._verdicts_of(int(blob)), int(count)

    def maker_counts(self, scan_id: int) -> dict[str | None, int]:
        """How many devices of a scan each maker id has (None: no identity or no maker)."""
        rows = self._db.execute(
            "SELECT i.maker, count(*) FROM scan_devices sd LEFT JOIN identities i"
            " ON i.scan_id = sd.scan_id AND i.device_key = sd.device_key"
            " WHERE sd.scan_id = ? GROUP BY i.maker",
            (scan_id,),
        )
        return {r[0]: int(r[1]) for r in rows}

    def list_scans(self, site: str | None = None) -> list[ScanSummary]:
        """Every scan (of ``site`` when given), oldest first."""
        flagged = tuple(s.value for s in VerdictStatus if s.flagged)
        marks = ",".join("?" * len(flagged))
        where, args = ("WHERE s.site_name = ?", (site,)) if site is not None else ("", ())
        rows = self._db.execute(
            "SELECT s.*, (SELECT count(*) FROM scan_devices d WHERE d.scan_id = s.id) AS n,"  # noqa: S608
            " (SELECT count(*) FROM scan_devices d WHERE d.scan_id = s.id"
            f" AND d.headline IN ({marks})) AS f FROM scans s {where} ORDER BY s.id",
            (*flagged, *args),  # a device is flagged when its most severe verdict is
        ).fetchall()
        return [
            ScanSummary(
                id=int(r["id"]),
                targets=tuple(json.loads(r["targets"])),
                methods=tuple(json.loads(r["methods"])),
                started_at=dt.datetime.fromisoformat(r["started_at"]),
                ended_at=_parse_ts(r["ended_at"]),
                status=ScanStatus(r["status"]),
                devices=int(r["n"]),
                flagged=int(r["f"]),
                site=r["site_name"],
            )
            for r in rows
        ]

    def sites(self) -> list[str]:
        """Every site name scans were stored under, sorted."""
        rows = self._db.execute("SELECT DISTINCT site_name FROM scans ORDER BY site_name")
        return [str(r[0]) for r in rows]

    def scan_site(self, scan_id: int) -> str:
        return str(self._require_scan(scan_id)["site_name"])

    def latest_scan(self, site: str | None = None) -> int | None:
        """The newest scan (of ``site`` when given)."""
        if site is None:
            row = self._db.execute("SELECT max(id) FROM scans").fetchone()
        else:
            row = self._db.execute(
                "SELECT max(id) FROM scans WHERE site_name = ?", (site,)
            ).fetchone()
        return int(row[0]) if row[0] is not None else None

    def latest_scans_by_site(self, complete_only: bool = True) -> dict[str, int]:
        """Each site's newest (complete) scan: the estate as last seen."""
        query = "SELECT site_name, max(id) FROM scans"
        if complete_only:
            query += " WHERE status = 'complete'"
        rows = self._db.execute(query + " GROUP BY site_name ORDER BY site_name")
        return {str(r[0]): int(r[1]) for r in rows}

    def resolve_scan(self, ref: str | int | None, site: str | None = None) -> int:
        """A scan id from user input: a number, or ``latest``/None for the newest scan (of
        ``site`` when given; a numbered scan must then be of that site)."""
        if ref is None or str(ref).strip().lower() in ("", "latest"):
            latest = self.latest_scan(site)
            if latest is None:
                where = f" of site {terminal_safe(site, 60)!r}" if site is not None else ""
                raise StoreError(f"no scans{where} in {self.location} yet")
            return latest
        text = str(ref).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > MAX_SCAN_ID_DIGITS:
            shown = terminal_safe(ref, 40)
            raise StoreError(f"bad scan id {shown!r}: give a number or 'latest'")
        scan_id = int(text)
        if scan_id > MAX_SCAN_ID:
            raise StoreError(f"no scan {scan_id} in {self.location}")
        row = self._require_scan(scan_id)
        if site is not None and row["site_name"] != site:
            shown, asked = terminal_safe(row["site_name"], 60), terminal_safe(site, 60)
            raise StoreError(f"scan {scan_id} is of site {shown!r}, not {asked!r}")
        return scan_id

    def previous_scan(
        self, scan_id: int, same_targets: bool = True, complete_only: bool = True
    ) -> int | None:
        """The newest earlier scan of the same site (and of the same target set), or None.

        By default only complete scans count: a scan that was cut short would make every device
        it did not reach look new.  Other sites never count: two buildings often use the same
        private subnets.
        """
        this = self._require_scan(scan_id)
        wanted = sorted(json.loads(this["targets"]))
        query = "SELECT id, targets FROM scans WHERE id < ? AND site_name = ?"
        if complete_only:
            query += " AND status = 'complete'"
        rows = self._db.execute(query + " ORDER BY id DESC", (scan_id, this["site_name"]))
        for r in rows:
            if not same_targets or sorted(json.loads(r["targets"])) == wanted:
                return int(r["id"])
        return None

    def seen_span(self, keys: Sequence[str] | None = None) -> dict[str, tuple[str, str]]:
        """First and last time each device was observed, over every scan: key -> (first, last)."""
        rows = self._db.execute("SELECT key, first_seen, last_seen FROM devices").fetchall()
        wanted = set(keys) if keys is not None else None
        return {
            r["key"]: (r["first_seen"], r["last_seen"])
            for r in rows
            if wanted is None or r["key"] in wanted
        }

    def first_seen(self, scan_id: int, keys: Sequence[str] | None = None) -> dict[str, str]:
        """For each device of a scan (or those of ``keys``), the start of the first scan (up to
        this one) that saw it."""
        if keys is None:
            keys = [
                r[0]
                for r in self._db.execute(
                    "SELECT device_key FROM scan_devices WHERE scan_id = ?", (scan_id,)
                )
            ]
        out: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i : i + 500])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                "SELECT sd.device_key AS key, min(s.started_at) AS first"  # noqa: S608
                " FROM scan_devices sd JOIN scans s ON s.id = sd.scan_id WHERE s.id <= ?"
                f" AND sd.device_key IN ({marks}) GROUP BY sd.device_key",
                (scan_id, *part),
            )
            out.update({r["key"]: r["first"] for r in rows})
        return out

    def device_scans(self, key: str) -> list[tuple[int, list[str]]]:
        """Every scan that saw a device, with the IPs it had then (its IP history)."""
        rows = self._db.execute(
            "SELECT scan_id, ips FROM scan_devices WHERE device_key = ? ORDER BY scan_id", (key,)
        ).fetchall()
        return [(int(r["scan_id"]), json.loads(r["ips"])) for r in rows]

    def device_sightings(self, key: str) -> list[tuple[int, str, list[str]]]:
        """Every scan that saw a device, with its site and the IPs it had then."""
        rows = self._db.execute(
            "SELECT sd.scan_id, s.site_name, sd.ips FROM scan_devices sd"
            " JOIN scans s ON s.id = sd.scan_id WHERE sd.device_key = ? ORDER BY sd.scan_id",
            (key,),
        ).fetchall()
        return [(int(r[0]), str(r[1]), json.loads(r[2])) for r in rows]

    def device_sites(self, keys: Sequence[str]) -> dict[str, list[str]]:
        """For each of ``keys`` seen at more than one site, every site that saw it (sorted)."""
        out: dict[str, list[str]] = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i : i + 500])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                "SELECT DISTINCT sd.device_key, s.site_name FROM scan_devices sd"  # noqa: S608
                f" JOIN scans s ON s.id = sd.scan_id WHERE sd.device_key IN ({marks})"
                " ORDER BY sd.device_key, s.site_name",
                part,
            )
            for r in rows:
                out.setdefault(str(r[0]), []).append(str(r[1]))
        return {k: v for k, v in out.items() if len(v) > 1}

    def has_device(self, key: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM devices WHERE key = ?", (key,)).fetchone() is not None
        )

    # -- dispositions -----------------------------------------------------------------------

    def set_disposition(self, disposition: Disposition) -> None:
        if not self.has_device(disposition.device_key):
            raise DispositionError(
                f"no device {disposition.device_key!r} in {self.location}: use the key shown by "
                "'camaudit history show' (mac:… or serial:…)"
            )
        with self._tx() as db:
            d = disposition
            db.execute(
                "INSERT INTO dispositions (device_key, status, by_name, reason, date, recorded_at)"
                " VALUES (?,?,?,?,?,?)",
                (
                    d.device_key,
                    d.status.value,
                    d.by,
                    d.reason,
                    d.date.isoformat() if d.date else None,
                    _ts(d.recorded_at),
                ),
            )

    def disposition_history(self, key: str | None = None) -> list[Disposition]:
        """Every decision recorded (for one device, or all), oldest first."""
        query, args = "SELECT * FROM dispositions", ()
        if key is not None:
            query, args = query + " WHERE device_key = ?", (key,)  # type: ignore[assignment]
        rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [_disposition(r) for r in rows]

    def current_dispositions(self, as_of: dt.datetime | None = None) -> dict[str, Disposition]:
        """The newest decision per device (recorded no later than ``as_of`` when given)."""
        out: dict[str, Disposition] = {}
        for d in self.disposition_history():
            if as_of is None or d.recorded_at <= as_of:
                out[d.device_key] = d
        return out


def _row_writer(row: Any) -> WriterIdentity:
    return WriterIdentity(
        host=row["writer_host"] or _hostname(),
        boot=row["writer_boot"],
        pid=int(row["writer_pid"] or 0),
        start=float(row["writer_start"] or 0.0),
    )


def _scan_from_row(row: Any) -> Scan:
    return Scan(
        id=int(row["id"]),
        targets=tuple(json.loads(row["targets"])),
        methods=tuple(json.loads(row["methods"])),
        site=SiteProfile.from_dict(json.loads(row["site"])),
        policies=tuple(json.loads(row["policies"])),
        options=json.loads(row["options"]),
        started_at=dt.datetime.fromisoformat(row["started_at"]),
        ended_at=_parse_ts(row["ended_at"]),
        status=ScanStatus(row["status"]),
        data_versions=json.loads(row["data_versions"]),
    )


def _evidence(row: Any) -> EvidenceItem:
    value = json.loads(row["value"])
    return EvidenceItem(
        field=row["field"],
        value=tuple(value) if isinstance(value, list) else value,
        source=row["source"],
        seen_at=dt.datetime.fromisoformat(row["seen_at"]),
    )


def _error(row: Any) -> Problem:
    return Problem(
        source=row["source"],
        kind=row["kind"],
        message=row["message"],
        seen_at=dt.datetime.fromisoformat(row["seen_at"]),
        ip=row["ip"],
    )


def _disposition(row: Any) -> Disposition:
    return Disposition.from_dict(
        {
            "device_key": row["device_key"],
            "status": row["status"],
            "by": row["by_name"],
            "reason": row["reason"],
            "date": row["date"],
            "recorded_at": row["recorded_at"],
        }
    )
