"""A stored scan's report streams from the database and says exactly what the in-memory one says.

Issue 16 (item 9): the report of a million devices cannot be built as one list.  These tests
hold the streaming path to the in-memory one: same records in the same order, the same
summary, the same canonical SHA-256, and the single-pass hash of an export equal to it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.model import ScanStatus
from inventory.canonical import normalise, sha256_hex
from inventory.dispositions import Disposition, DispositionStatus
from inventory.exports import HashedDevices, write_report
from inventory.report_data import (
    ReportMeta,
    StoredDevices,
    build_report_data,
    report_data_from_store,
)
from inventory.store import Store
from tests.inventory.factories import T0, fleet, scan


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Store, int]:
    store = Store(tmp_path / "inv.sqlite3")
    devices = fleet(60)
    scan_id = store.begin_scan(scan(devices))
    store.add_devices_bulk(scan_id, devices[:25])
    store.add_devices_bulk(scan_id, devices[25:])
    store.finish_scan(scan_id, ScanStatus.COMPLETE, T0)
    store.set_disposition(
        Disposition(devices[3].key, DispositionStatus.REMOVED, "bob", "replaced", None, T0)
    )
    return store, scan_id


def test_streamed_report_equals_the_in_memory_one(stored: tuple[Store, int]) -> None:
    store, scan_id = stored
    meta = ReportMeta("Acme", "Plant 1", "alice")
    streamed = report_data_from_store(store, scan_id, meta)
    assert isinstance(streamed["devices"], StoredDevices)
    in_memory = build_report_data(
        store.load_scan(scan_id),
        meta,
        store.current_dispositions(as_of=meta.generated_at),
        store.first_seen(scan_id),
    )
    assert normalise(streamed) == normalise(in_memory)
    assert sha256_hex(streamed) == sha256_hex(in_memory)
    assert len(streamed["devices"]) == 60
    # The streamed devices outlive the store they came from (each pass reads the file anew).
    store.close()
    assert [r["key"] for r in streamed["devices"]] == [r["key"] for r in in_memory["devices"]]


def test_export_hashes_in_the_same_pass(stored: tuple[Store, int], tmp_path: Path) -> None:
    store, scan_id = stored
    data = report_data_from_store(store, scan_id, ReportMeta("Acme"))
    wrapped = HashedDevices(data)
    unread = wrapped.digest  # known only once the devices have all been read
    rows = list(wrapped)
    assert unread is None and len(rows) == 60 and wrapped.digest == sha256_hex(data)
    digest = write_report(data, tmp_path / "r.csv", "csv")
    assert digest == sha256_hex(data)
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.reader(f))) == 61  # header + one row per device


def test_an_edited_database_changes_the_hash(stored: tuple[Store, int]) -> None:
    store, scan_id = stored
    data = report_data_from_store(store, scan_id, ReportMeta("Acme"))
    before = sha256_hex(data)
    store._db.execute("UPDATE evidence SET value = '\"X\"' WHERE rowid = 5")
    assert sha256_hex(data) != before


def test_device_type_and_registrant_reach_the_report_and_its_csv(tmp_path: Path) -> None:
    from dataclasses import replace

    from core.model import DeviceType

    devices = fleet(3)
    first = devices[0]
    assert first.identity is not None
    first.identity = replace(
        first.identity,
        device_type=DeviceType.ACCESS_POINT,
        device_type_how="model numbering",
        registrant="Example Networks",
    )
    data = build_report_data(scan(devices), ReportMeta("Acme"))
    records = {r["key"]: r for r in data["devices"]}
    assert records[first.key]["device_type"] == "access_point"
    assert records[first.key]["registrant"] == "Example Networks"
    # Unknown type, no registrant: no key at all, so older reports rebuild to the same hash.
    assert "device_type" not in records[devices[1].key]
    assert "registrant" not in records[devices[1].key]
    write_report(data, tmp_path / "r.csv", "csv")
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = {r["Device key"]: r for r in csv.DictReader(f)}
    assert rows[first.key]["Type"] == "access point"
    assert rows[first.key]["MAC registrant"] == "Example Networks"
    assert rows[devices[1].key]["Type"] == ""
