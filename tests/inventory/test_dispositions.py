"""Dispositions: validated input, kept history, newest wins, carried over by device key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from inventory.dispositions import DispositionError, DispositionStatus, make_disposition
from inventory.report_data import ReportMeta, report_data_from_store
from inventory.store import Store
from tests.inventory.factories import T0, fleet, scan


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("mac:x", "retired", "bob", "gone"), "unknown status 'retired'"),
        (("mac:x", "removed", " ", "gone"), "say who decided"),
        (("mac:x", "removed", "bob", ""), "say why"),
        (("mac:x", "scheduled_for_removal", "bob", "old"), "needs the removal date"),
        (("mac:x", "scheduled_for_removal", "bob", "old", "31/12/2026"), "bad date"),
    ],
)
def test_bad_input_is_refused_with_a_reason(args: tuple[str, ...], message: str) -> None:
    key, status, by, reason, *rest = args
    with pytest.raises(DispositionError, match=message):
        make_disposition(key, status, by, reason, rest[0] if rest else None)


def test_scheduled_removal_keeps_its_date() -> None:
    d = make_disposition("mac:x", "scheduled_for_removal", "bob", "budget Q1", "2027-01-15")
    assert d.status is DispositionStatus.SCHEDULED_FOR_REMOVAL
    assert d.date == dt.date(2027, 1, 15)
    assert "scheduled for removal (2027-01-15): budget Q1 (bob," in d.describe()


def test_unknown_device_key_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "i.sqlite3") as store, pytest.raises(DispositionError, match="no device"):
        store.set_disposition(make_disposition("mac:00:11:22:33:44:55", "removed", "b", "r"))


def test_newest_wins_history_kept_and_carried_to_later_scans(tmp_path: Path) -> None:
    with Store(tmp_path / "i.sqlite3") as store:
        first = store.begin_scan(scan(fleet(3)))
        store.add_devices(first, fleet(3))
        key = fleet(1)[0].key
        store.set_disposition(
            make_disposition(key, "exception_granted", "carol", "waiver 2026-17", recorded_at=T0)
        )
        store.set_disposition(
            make_disposition(
                key,
                "scheduled_for_removal",
                "dave",
                "waiver withdrawn",
                "2026-12-01",
                recorded_at=T0 + dt.timedelta(days=2),
            )
        )
        # A later scan sees the same box at another address.
        moved = fleet(3)
        moved[0].ips[:] = ["198.18.200.9"]
        second = store.begin_scan(scan(moved))
        store.add_devices(second, moved)

        history = store.disposition_history(key)
        assert [d.status.value for d in history] == ["exception_granted", "scheduled_for_removal"]
        now = report_data_from_store(
            store, second, ReportMeta(generated_at=T0 + dt.timedelta(days=3))
        )
        then = report_data_from_store(
            store, second, ReportMeta(generated_at=T0 + dt.timedelta(days=1))
        )

    rec = next(r for r in now["devices"] if r["key"] == key)
    assert rec["ip"] == "198.18.200.9"
    assert rec["disposition"]["status"] == "scheduled_for_removal"
    assert rec["disposition"]["by"] == "dave" and rec["disposition"]["date"] == "2026-12-01"
    # A report made before the second decision shows the first one (as it stood then).
    assert next(r for r in then["devices"] if r["key"] == key)["disposition"]["status"] == (
        "exception_granted"
    )
    others = [r for r in now["devices"] if r["key"] != key]
    assert all(r["disposition"] is None for r in others)
