"""The store: round trips, upserts, secrets, scan lookup, dead writers, schema migrations.

Every test taking ``store`` (or ``store_target``) runs on SQLite and on a real PostgreSQL
server (tests/inventory/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.model import Device, Problem, ScanStatus
from core.presentation import rank, worst
from inventory import schema
from inventory.backend import Database, connect
from inventory.store import Store, StoreError, default_db_path
from tests.inventory.factories import T0, fleet, scan


@pytest.fixture
def store(store_target: str | Path) -> Iterator[Store]:
    s = Store(store_target)
    yield s
    s.close()


def _everything_stored(store: Store) -> bytes:
    """Every byte the database holds (the SQLite files; every PostgreSQL row as text)."""
    if store.dialect == "sqlite":
        return Path(store.path).read_bytes() + Path(f"{store.path}-wal").read_bytes()
    tables = store._db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    ).fetchall()
    rows = [
        r[0]
        for (name,) in tables
        for r in store._db.execute(f"SELECT CAST(t AS text) FROM {name} t").fetchall()
    ]
    assert rows
    return "\n".join(rows).encode()


def _has_table(db: Database, name: str) -> bool:
    if db.dialect == "sqlite":
        query = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?"
    else:
        query = "SELECT to_regclass(?)"
    row = db.execute(query, (name,)).fetchone()
    return row is not None and row[0] is not None


def test_scan_round_trips_with_devices_in_found_order(store: Store) -> None:
    devices = fleet(9)
    record = scan(devices)
    scan_id = store.begin_scan(record)
    for dev in devices:
        store.add_device(scan_id, dev)
    store.finish_scan(scan_id, ScanStatus.COMPLETE, T0 + dt.timedelta(minutes=5))
    loaded = store.load_scan(scan_id)
    assert [d.to_dict() for d in loaded.devices] == [d.to_dict() for d in devices]
    assert loaded.status is ScanStatus.COMPLETE
    assert loaded.targets == record.targets
    assert loaded.site == record.site
    assert loaded.data_versions == record.data_versions
    assert loaded.ended_at == T0 + dt.timedelta(minutes=5)


def test_add_device_upserts_and_is_visible_to_another_connection(store: Store) -> None:
    scan_id = store.begin_scan(scan())
    first, later = fleet(1)[0], fleet(1)[0]
    later.ips.append("198.18.9.9")
    later.verdicts.pop("fcc_covered_list")
    store.add_device(scan_id, first)
    store.add_device(scan_id, later)
    with Store(store.path) as other:  # committed at once: a reader sees it mid-scan
        (dev,) = other.load_scan(scan_id).devices
    assert dev.ips == ["198.18.0.1", "198.18.9.9"]
    assert list(dev.verdicts) == ["ndaa889"]
    assert len(dev.evidence) == len(first.evidence)


def test_scan_errors_and_device_errors_are_kept(store: Store) -> None:
    dev = fleet(1)[0]
    dev.errors.append(Problem("onvif", "timeout", "no reply in 2 s", T0, dev.ip or ""))
    scan_id = store.begin_scan(scan())
    store.add_device(scan_id, dev)
    store.add_error(scan_id, Problem("arp", "unavailable", "needs root", T0))
    loaded = store.load_scan(scan_id)
    assert loaded.devices[0].errors == dev.errors
    assert [e.kind for e in store.scan_errors(scan_id)] == ["unavailable"]


def test_credentials_never_reach_the_database(store: Store) -> None:
    options = {
        "credentials": "/home/alice/.config/camaudit/creds.toml",
        "onvif_password": "hunter2-S3cret",
        "note": "rtsp://admin:hunter2-S3cret@198.18.0.5/stream",
        "rate": 50,
    }
    scan_id = store.begin_scan(scan(options=options))
    assert store.load_scan(scan_id).options == {
        "note": "rtsp://[redacted]@198.18.0.5/stream",
        "rate": 50,
    }
    raw = _everything_stored(store)
    assert b"198.18.0.5/stream" in raw  # the scan is there, its secrets are not
    assert b"hunter2" not in raw and b"creds.toml" not in raw


def test_previous_scan_of_same_targets_skips_other_targets_and_cut_short_scans(
    store: Store,
) -> None:
    ids = {}
    for name, targets, status in (
        ("a1", ("198.18.0.0/24",), ScanStatus.COMPLETE),
        ("b1", ("198.18.1.0/24",), ScanStatus.COMPLETE),
        ("a2", ("198.18.0.0/24",), ScanStatus.INTERRUPTED),
        ("a3", ("198.18.0.0/24",), ScanStatus.COMPLETE),
    ):
        ids[name] = store.begin_scan(scan(targets=targets))
        store.finish_scan(ids[name], status)
    assert store.previous_scan(ids["a3"]) == ids["a1"]
    assert store.previous_scan(ids["a3"], complete_only=False) == ids["a2"]
    assert store.previous_scan(ids["a3"], same_targets=False) == ids["b1"]
    assert store.previous_scan(ids["a1"]) is None


def test_list_scans_counts_devices_and_flagged(store: Store) -> None:
    scan_id = store.begin_scan(scan())
    store.add_devices(scan_id, fleet(7))  # one of each kind: 3 flagged
    (summary,) = store.list_scans()
    assert (summary.id, summary.devices, summary.flagged) == (scan_id, 7, 3)
    assert summary.status is ScanStatus.RUNNING


def test_resolve_scan(store: Store) -> None:
    with pytest.raises(StoreError, match="no scans"):
        store.resolve_scan("latest")
    a, b = store.begin_scan(scan()), store.begin_scan(scan())
    assert store.resolve_scan(None) == b
    assert store.resolve_scan(str(a)) == a
    with pytest.raises(StoreError, match="no scan 99"):
        store.resolve_scan("99")
    with pytest.raises(StoreError, match="bad scan id"):
        store.resolve_scan("yesterday")


def test_running_scan_of_a_live_writer_stays_running(store: Store) -> None:
    scan_id = store.begin_scan(scan())
    with Store(store.path) as other:
        assert other.load_scan(scan_id).status is ScanStatus.RUNNING


def test_running_scan_of_a_dead_writer_shows_interrupted(store: Store) -> None:
    scan_id = store.begin_scan(scan())
    store.add_device(scan_id, fleet(1)[0])
    # The writer's record as another process that has since gone (pid 2**22+1 is never used
    # on Linux, whose pid_max is at most 2**22).
    store._db.execute("UPDATE scans SET writer_pid = ?, writer_start = 1.0", (2**22 + 1,))
    with Store(store.path) as other:
        loaded = other.load_scan(scan_id)
    assert loaded.status is ScanStatus.INTERRUPTED
    assert loaded.ended_at is not None and len(loaded.devices) == 1


def test_a_reused_pid_does_not_keep_a_dead_scan_running(store: Store) -> None:
    scan_id = store.begin_scan(scan())
    # our own pid, but an older process start
    store._db.execute("UPDATE scans SET writer_start = writer_start - 3600")
    with Store(store.path) as other:
        assert other.load_scan(scan_id).status is ScanStatus.INTERRUPTED


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    with pytest.raises(StoreError, match="newer camaudit"):
        Store(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="not a usable camaudit database"):
        Store(path)


def test_db_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAMAUDIT_DB", str(tmp_path / "x.sqlite3"))
    assert default_db_path() == tmp_path / "x.sqlite3"
    monkeypatch.setenv("CAMAUDIT_DB", "postgresql:///inventory?host=/run/postgresql")
    assert default_db_path() == "postgresql:///inventory?host=/run/postgresql"  # kept as given
    monkeypatch.delenv("CAMAUDIT_DB")
    default = default_db_path()
    assert isinstance(default, Path) and default.name == "camaudit.sqlite3"


def test_wal_and_foreign_keys_are_on(tmp_path: Path) -> None:
    store = Store(tmp_path / "inv.sqlite3")
    db = store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version == schema.LATEST


# -- migrations: every earlier schema version opens and is brought forward --------------


def _v1_database(path: Path) -> None:
    """A database as camaudit's first schema wrote it, with a scan mid-way and a decision."""
    with sqlite3.connect(path) as db:
        for statement in schema.V1:
            schema.apply(db, statement)
        db.execute("PRAGMA user_version = 1")
        site = {
            "uses": ["general_commercial"],
            "jurisdictions": ["us"],
            "assessment_date": "2026-01-05",
        }
        db.execute(
            "INSERT INTO scans (targets, methods, options, site, policies, data_versions,"
            " started_at, status, writer_pid) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                '["198.18.0.0/24"]',
                '["arp"]',
                "{}",
                json.dumps(site),
                '["ndaa889"]',
                "{}",
                "2026-01-05T10:00:00+00:00",
                "running",
                2**22 + 1,
            ),
        )
        db.execute(
            "INSERT INTO devices VALUES ('mac:44:19:b6:00:00:01', '44:19:b6:00:00:01',"
            " '2026-01-05T10:00:01+00:00', '2026-01-05T10:00:01+00:00')"
        )
        db.execute(
            "INSERT INTO scan_devices VALUES (1, 'mac:44:19:b6:00:00:01',"
            " '[\"198.18.0.7\"]', 'arp-sweep')"
        )
        db.execute(
            "INSERT INTO evidence VALUES (1, 'mac:44:19:b6:00:00:01', 'mac',"
            " '\"44:19:b6:00:00:01\"', 'arp', '2026-01-05T10:00:01+00:00')"
        )
        db.execute(
            "INSERT INTO dispositions (device_key, status, by_name, reason, recorded_at)"
            " VALUES ('mac:44:19:b6:00:00:01', 'removed', 'bob', 'replaced by Axis',"
            " '2026-01-06T09:00:00+00:00')"
        )


def test_v1_database_migrates_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    _v1_database(path)
    with Store(path) as store:
        assert store.schema_version == schema.LATEST
        assert store.integrity_check() == "ok"
        loaded = store.load_scan(1)
        assert loaded.status is ScanStatus.INTERRUPTED  # its writer is long gone
        assert [d.ips for d in loaded.devices] == [["198.18.0.7"]]
        assert loaded.devices[0].mac == "44:19:b6:00:00:01"
        (decision,) = store.disposition_history()
        assert decision.reason == "replaced by Axis"
        # and the migrated database takes new scans with the new columns
        new_id = store.begin_scan(scan())
        store.add_devices(new_id, fleet(2))
        assert len(store.load_scan(new_id).devices) == 2


def _old_schema(target: str | Path, version: int) -> Database:
    """An open database at schema ``version``, built with the frozen steps (both backends)."""
    db = connect(target)
    with db.migration_tx():
        for step in range(1, version + 1):
            for statement in schema.MIGRATIONS[step]:
                schema.apply(db, statement)
        db.write_version(version)
    return db


@pytest.mark.parametrize("version", range(schema.LATEST))
def test_every_earlier_version_reaches_the_latest(store_target: str | Path, version: int) -> None:
    _old_schema(store_target, version).close()
    with Store(store_target) as store:
        assert store.schema_version == schema.LATEST
        scan_id = store.begin_scan(scan())
        store.add_devices(scan_id, fleet(3))
        assert len(store.load_scan(scan_id).devices) == 3


def test_migration_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v1.sqlite3"
    _v1_database(path)
    broken = {**schema.MIGRATIONS, 2: (*schema.V2, "THIS IS NOT SQL")}
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    with pytest.raises(StoreError):
        Store(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = [r[1] for r in db.execute("PRAGMA table_info(scans)")]
    assert "writer_boot" not in columns


def _v2_database_with_verdicts(
    target: str | Path,
) -> tuple[list[dict[str, dict[str, Any]]], int]:
    """A version-2 database holding a scan as 0.2 stored it: verdicts copied per device."""
    devices = fleet(20)
    db = _old_schema(target, 2)
    with db.tx():
        db.execute(
            "INSERT INTO scans (targets, methods, options, site, policies, data_versions,"
            " started_at, ended_at, status) VALUES ('[]','[]','{}',?,'[]','{}',?,?,'complete')",
            (json.dumps(scan().site.to_dict()), T0.isoformat(), T0.isoformat()),
        )
        for dev in devices:
            db.execute(
                "INSERT INTO devices (key, mac, first_seen, last_seen) VALUES (?,?,?,?)",
                (dev.key, dev.mac, T0.isoformat(), T0.isoformat()),
            )
            db.execute(
                "INSERT INTO scan_devices (scan_id, device_key, ips, mac_method)"
                " VALUES (1, ?, ?, '')",
                (dev.key, json.dumps(dev.ips)),
            )
            for name, verdict in dev.verdicts.items():
                db.execute(
                    "INSERT INTO verdicts (scan_id, device_key, policy, status, data)"
                    " VALUES (1, ?, ?, ?, ?)",
                    (dev.key, name, verdict.status.value, json.dumps(verdict.to_dict())),
                )
    db.close()
    distinct = {json.dumps(sorted(d.to_dict()["verdicts"].items())) for d in devices}
    wanted = [{k: v.to_dict() for k, v in d.verdicts.items()} for d in devices]
    return wanted, len(distinct)


def test_v2_verdicts_move_into_shared_verdict_sets(store_target: str | Path) -> None:
    wanted, distinct = _v2_database_with_verdicts(store_target)
    with Store(store_target) as store:
        assert store.integrity_check() == "ok"
        loaded = store.load_scan(1)
        assert [{k: v.to_dict() for k, v in d.verdicts.items()} for d in loaded.devices] == wanted
        db = store._db
        assert db.execute("SELECT count(*) FROM blobs").fetchone()[0] == distinct < len(wanted)
        assert _has_table(db, "blobs") and not _has_table(db, "verdicts")
        (summary,) = store.list_scans()
        flagged = sum(
            1 for d in loaded.devices if any(v.status.flagged for v in d.verdicts.values())
        )
        assert summary.flagged == flagged > 0


def test_devices_share_one_stored_verdict_set(store: Store) -> None:
    devices = fleet(40)
    scan_id = store.begin_scan(scan(devices))
    store.add_devices_bulk(scan_id, devices)
    distinct = {json.dumps([[k, v.to_dict()] for k, v in d.verdicts.items()]) for d in devices}
    assert store._db.execute("SELECT count(*) FROM blobs").fetchone()[0] == len(distinct) < 40
    loaded = list(store.iter_devices(scan_id, batch=7))
    assert [d.to_dict() for d in loaded] == [d.to_dict() for d in devices]


def test_severity_order_comes_from_the_database(store: Store) -> None:
    devices = fleet(30)
    scan_id = store.begin_scan(scan(devices))
    store.add_devices_bulk(scan_id, devices)
    ordered = list(store.iter_devices(scan_id, order="severity", batch=4))

    def headline(dev: Device) -> str:
        return worst(v.status for v in dev.verdicts.values())

    def report_order(dev: Device) -> tuple[int, tuple[int, ...], str]:
        return (rank(headline(dev)), tuple(int(p) for p in (dev.ip or "").split(".")), dev.key)

    assert [d.key for d in ordered] == [d.key for d in sorted(devices, key=report_order)]
    assert store.status_counts(scan_id) == dict(Counter(headline(d) for d in devices))
