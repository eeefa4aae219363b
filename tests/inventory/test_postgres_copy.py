"""``camaudit inventory copy`` between SQLite and PostgreSQL, and the many-site commands on both.

A copy loses nothing: every row of every table, in the same order; the report of each scan
hashes the same from the copy, and a signed PDF made from the original verifies against the
copy (``report verify --scan``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import main
from core.model import Problem, ScanStatus
from inventory.backend_copy import TABLES
from inventory.canonical import sha256_hex
from inventory.dispositions import make_disposition
from inventory.report_data import ReportMeta, report_data_from_store
from inventory.store import Store
from tests.inventory.factories import T0, fleet, scan
from tests.inventory.test_postgres import write_csv

WHEN = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _fill(target: str | Path) -> None:
    """Two sites, a shared box, errors, a decision and an interrupted scan."""
    with Store(target) as store:
        for site, devices in (("north", fleet(25)), ("south", fleet(12, offset=20))):
            scan_id = store.begin_scan(scan(devices), site=site)
            store.add_devices_bulk(scan_id, devices)
            store.add_error(scan_id, Problem("arp", "unavailable", "needs root", T0))
            store.finish_scan(scan_id, ScanStatus.COMPLETE, T0 + dt.timedelta(minutes=3))
        cut = store.begin_scan(scan(), site="east")
        store.add_devices(cut, fleet(3, offset=100))
        store.finish_scan(cut, ScanStatus.INTERRUPTED)
        store.set_disposition(
            make_disposition(fleet(1)[0].key, "exception_granted", "ann", "waiver 12", None)
        )


def _tables(target: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    with Store(target, create=False) as store:
        return {
            table: [
                tuple(r)
                for r in store._db.execute(
                    f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}"
                ).fetchall()
            ]
            for table, cols, order in TABLES
        }


def _hashes(target: str | Path) -> list[str]:
    with Store(target, create=False) as store:
        return [
            sha256_hex(report_data_from_store(store, s.id, ReportMeta(generated_at=WHEN)))
            for s in store.list_scans()
        ]


def test_copy_sqlite_to_postgresql_and_back_loses_nothing(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original, back = tmp_path / "site.sqlite3", tmp_path / "back.sqlite3"
    _fill(original)
    code, out, err = _run(capsys, "inventory", "copy", "--from", str(original), "--to", pg_url)
    assert code == 0, err
    assert "3 scans" in out and "1 decisions" in out
    code, _, err = _run(capsys, "inventory", "copy", "--from", pg_url, "--to", str(back))
    assert code == 0, err
    before = _tables(original)
    assert all(before[t] for t in ("blobs", "scans", "evidence", "errors", "dispositions"))
    assert _tables(pg_url) == before == _tables(back)
    assert _hashes(pg_url) == _hashes(original) == _hashes(back)
    with Store(pg_url) as store:  # the copy goes on numbering after the copied ids
        assert store.begin_scan(scan(), site="west") == 4


def test_copy_refuses_a_destination_that_holds_an_inventory(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(tmp_path / "a.sqlite3")
    _fill(pg_url)
    code, _, err = _run(capsys, "inventory", "copy", "--from", str(tmp_path / "a.sqlite3"),
                        "--to", pg_url)  # fmt: skip
    assert code == 1
    (line,) = err.splitlines()
    assert "already holds an inventory" in line


def test_every_stored_column_is_copied(store_target: str | Path) -> None:
    Store(store_target).close()
    with Store(store_target) as store:
        for table, columns, _ in TABLES:
            row = store._db.execute(f"SELECT * FROM {table} WHERE 1 = 0")
            names = {d[0] for d in row.description} - {"rowid"}
            assert names == set(columns), table


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_sites_imported_listed_and_reported(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = str(tmp_path / "estate.sqlite3")
    if backend == "postgresql":
        db = request.getfixturevalue("pg_url")
    for n, site in ((1, "north"), (2, "south")):
        code, out, err = _run(capsys, "import", str(write_csv(tmp_path / f"{site}.csv", n, 9)),
                              "--db", db, "--site", site)  # fmt: skip
        assert code == 0 and f"at site {site}" in out, err
    code, out, _ = _run(capsys, "history", "list", "--db", db)
    assert code == 0
    assert [line.split()[8] for line in out.splitlines()] == ["north", "south"]
    code, out, _ = _run(capsys, "history", "device", "mac:44:19:b6:00:00:01", "--db", db)
    assert code == 0 and "at 2 sites (north, south)" in out
    pdf = tmp_path / "north.pdf"
    code, _, err = _run(capsys, "report", "--db", db, "--site", "north", "-o", str(pdf))
    assert code == 0, err
    copy = str(tmp_path / "copy.sqlite3") if backend == "postgresql" else None
    if copy is None:
        copy = request.getfixturevalue("pg_url")
    assert _run(capsys, "inventory", "copy", "--from", db, "--to", copy)[0] == 0
    code, out, err = _run(capsys, "report", "verify", str(pdf), "--scan", "1", "--db", copy)
    assert code == 0, out + err
