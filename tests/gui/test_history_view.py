"""History view over a real SQLite inventory of scans built the way the scanner builds them.

The view reads the store on its worker: each test waits for the list or the diff to arrive.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from core.merge import merge
from core.model import Device, Observation, Scan, ScanStatus, SiteProfile
from gui.history_model import ScanListModel
from gui.history_view import HistoryView, diff_html
from inventory.history import diff_scans
from inventory.store import Store
from vendors.identify import identify
from vendors.judge import judge_all
from vendors.policies import load_policies

SITE = SiteProfile(assessment_date=dt.date(2026, 11, 2))
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
PACKS = load_policies(["ndaa889"]).packs


def camera(ip: str, mac: str, manufacturer: str, model: str, firmware: str) -> Device:
    """A device as a scan makes it: ARP + ONVIF observations merged, identified, judged."""
    (dev,) = merge(
        [
            Observation.of("arp", method="arp-sweep", ip=ip, mac=mac),
            Observation.of(
                "onvif",
                ip=ip,
                onvif__manufacturer=manufacturer,
                onvif__model=model,
                onvif__firmware=firmware,
            ),
        ]
    )
    dev.identity = identify(dev)
    dev.verdicts = judge_all(dev.identity, PACKS, SITE)
    return dev


def hikvision(firmware: str = "V5.5.0 build 180718") -> Device:
    return camera("198.18.0.12", "44:19:b6:00:00:01", "HIKVISION", "DS-2CD2143G0-I", firmware)


def axis() -> Device:
    return camera("198.18.0.11", "ac:cc:8e:00:00:03", "AXIS", "P1375", "10.12.114")


def dahua() -> Device:
    return camera("198.18.0.20", "3c:ef:8c:00:00:07", "Dahua", "IPC-HDW2431T-AS-S2", "2.800")


def store_scan(
    store: Store,
    devices: list[Device],
    started: dt.datetime = T0,
    status: ScanStatus = ScanStatus.COMPLETE,
) -> int:
    scan = Scan(
        targets=("198.18.0.0/24",),
        methods=("arp", "onvif"),
        site=SITE,
        policies=("ndaa889",),
        started_at=started,
    )
    scan_id = store.begin_scan(scan)
    store.add_devices(scan_id, devices)
    store.finish_scan(scan_id, status, started + dt.timedelta(minutes=2))
    return scan_id


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "inventory.sqlite3") as s:
        yield s


@pytest.fixture
def two_scans(store: Store) -> tuple[int, int]:
    first = store_scan(store, [hikvision(), axis()])
    second = store_scan(
        store,
        [hikvision("V5.7.1 build 220510"), axis(), dahua()],
        T0 + dt.timedelta(days=7),
        ScanStatus.INTERRUPTED,
    )
    return first, second


LOAD_MS = 5000


def history_view(qtbot, store: Store) -> HistoryView:
    """A view whose scan list has arrived from its worker."""
    view = HistoryView(store)
    qtbot.addWidget(view)
    # The list arrives through the event loop, never during the constructor.
    assert view.model.rowCount() == 0
    with qtbot.waitSignal(view.list_loaded, timeout=LOAD_MS):
        pass
    return view


def select_rows(view: HistoryView, rows: list[int]) -> None:
    sel = view.table.selectionModel()
    sel.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        sel.select(view.model.index(row, 0), flags)


def test_scan_list_model_passes_qtmodeltester(qtmodeltester, store, two_scans) -> None:
    model = ScanListModel()
    model.set_scans(store.list_scans())
    qtmodeltester.check(model, force_py=True)


def test_lists_stored_scans_newest_first_with_counts(qtbot, store, two_scans) -> None:
    view = history_view(qtbot, store)
    model = view.model
    assert model.rowCount() == 2
    cells = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(2)]
    first, second = two_scans
    assert [row[0] for row in cells] == [str(second), str(first)]
    assert [row[3] for row in cells] == ["interrupted", "complete"]
    assert [row[4] for row in cells] == ["198.18.0.0/24"] * 2
    # Devices, then covered: Hikvision and Dahua are flagged under NDAA 889, Axis is not.
    assert [row[5:] for row in cells] == [["3", "2"], ["2", "1"]]
    assert cells[1][1].startswith("2026-11-0")


def test_diff_of_two_stored_scans_shows_new_device_and_firmware_change(
    qtbot, store, two_scans
) -> None:
    view = history_view(qtbot, store)
    assert not view.diff_button.isEnabled()
    select_rows(view, [0, 1])
    assert view.diff_button.isEnabled()
    with qtbot.waitSignal(view.diff_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(view.diff_button, Qt.MouseButton.LeftButton)
        # The store is read on the worker: the click returns before the diff is there.
        assert "Comparing scan" in view.message.text()
    text = view.diff_text()
    assert f"Scan {two_scans[0]} → scan {two_scans[1]}" in text
    assert "New devices (1)" in text
    assert "198.18.0.20" in text and "mac:3c:ef:8c:00:00:07" in text
    assert "firmware V5.5.0 build 180718 → V5.7.1 build 220510" in text
    assert "Gone devices" not in text


def test_diff_needs_two_scans(qtbot, store, two_scans) -> None:
    view = history_view(qtbot, store)
    select_rows(view, [0])
    view.show_diff()
    assert "Select exactly two scans" in view.message.text()


def test_open_by_double_click_and_button(qtbot, store, two_scans) -> None:
    view = history_view(qtbot, store)
    view.show()
    select_rows(view, [1])
    with qtbot.waitSignal(view.open_requested, timeout=1000) as blocker:
        qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [two_scans[0]]
    rect = view.table.visualRect(view.model.index(0, 1))
    # QTest's double-click alone does not reach an item view; a press first, as a user does.
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(view.open_requested, timeout=1000) as blocker:
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [two_scans[1]]


def test_refresh_picks_up_a_new_scan(qtbot, store, two_scans) -> None:
    view = history_view(qtbot, store)
    store_scan(store, [axis()], T0 + dt.timedelta(days=14))
    with qtbot.waitSignal(view.list_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == 3


def test_a_diff_that_cannot_be_read_says_why(qtbot, store, two_scans) -> None:
    view = history_view(qtbot, store)
    select_rows(view, [0, 1])
    # The newer scan vanishes between listing and comparing (another process pruned it).
    store._db.execute("DELETE FROM scans WHERE id = ?", (two_scans[1],))
    view.show_diff()
    qtbot.waitUntil(lambda: view.message.text().startswith("Cannot compare:"), timeout=LOAD_MS)
    assert str(two_scans[1]) in view.message.text()


def test_loads_run_off_the_gui_thread(qtbot, store, two_scans, monkeypatch) -> None:
    import gui.history_view as history_view_module

    threads: list[int] = []
    real = history_view_module.load_diff

    def recording(*args):
        threads.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(history_view_module, "load_diff", recording)
    view = history_view(qtbot, store)
    select_rows(view, [0, 1])
    with qtbot.waitSignal(view.diff_loaded, timeout=LOAD_MS):
        view.show_diff()
    assert threads and threading.get_ident() not in threads


def test_diff_html_escapes_device_values() -> None:
    # Firmware strings come from the device: a hostile one must show as text, not markup.
    before = Scan(("198.18.0.0/24",), ("arp",), id=1, devices=[hikvision()])
    after = Scan(("198.18.0.0/24",), ("arp",), id=2, devices=[hikvision("<script>x</script>")])
    text = diff_html(diff_scans(before, after))
    assert "<script>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text
    assert "Changed (1)" in text


def test_diff_html_says_when_nothing_changed() -> None:
    same = [axis()]
    diff = diff_scans(Scan(("a",), (), id=4, devices=same), Scan(("a",), (), id=5, devices=same))
    text = diff_html(diff)
    assert "No changes" in text
