"""The window's own behaviour, driven through its real widgets.

The scan source here is a small async generator yielding the real discovery.events (and the
scan process's ScanStored) in place of gui.scan_process, so these tests check the window
(rows appear live, progress, cancel keeps rows, filters, details, the scan it stored, history
loads); the child process itself is tested in test_scan_process.py and the full scan of the
lab through the GUI lives in tests/lab/.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from core.model import Device, Scan, VerdictStatus
from discovery.events import DeviceFound, Finished, Progress
from discovery.request import ScanRequest
from discovery.stop import StopSignal
from gui.main_window import AppContext, MainWindow, ScanFactory
from gui.scan_process import ScanStored
from inventory.scan_sink import StoreSink
from inventory.store import Store
from tests.gui.factories import sample
from tests.gui.test_history_view import T0, axis, dahua, hikvision, select_rows, store_scan
from vendors.policies import load_policies

TARGETS = ("198.18.0.0/24",)
VERSIONS = {"camaudit": "test"}  # a sink given data versions does not read the data files


def _window(qtbot, factory: ScanFactory | None, db: Path | None = None) -> MainWindow:
    ctx = AppContext(
        policies=[("ndaa889", "NDAA §889")],
        scan_factory=factory,
        preset_interface="lo",
        preset_targets=list(TARGETS),
        maker_names={"hikvision": "Hikvision", "axis": "Axis"},
        db_path=db,
    )
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    return window


def test_rows_appear_live_and_details_explain(qtbot) -> None:
    requests: list[ScanRequest] = []

    async def scan(request: ScanRequest, stop: StopSignal) -> AsyncIterator[object]:
        requests.append(request)
        for i, dev in enumerate(sample()):
            yield Progress("identify", i, 4, i)
            yield DeviceFound(dev)
            await asyncio.sleep(0.01)

    window = _window(qtbot, scan)
    with qtbot.waitSignal(window.scan_finished, timeout=5000):
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == 4
    assert requests[0].targets == TARGETS
    assert "ndaa889" in requests[0].policies
    assert requests[0].origin == "gui"
    assert window.phase_label.text() == "Finished"
    window.tabs.setCurrentWidget(window.summary)  # charts are built when shown
    assert window.summary.policy.currentText() == "NDAA §889"  # the display name, not the id
    assert window.summary.current_policy() == "ndaa889"
    window.filter_text.setText("annke")
    assert window.proxy.rowCount() == 1
    window.table.setCurrentIndex(window.proxy.index(0, 0))
    text = window.details.text()
    # A brand missing from the names map reads title-cased, never as a bare id.
    assert "Sold as Annke, made by Hikvision (OEM rebrand)" in text
    assert "oui:44:19:b6" in text


async def _then_wait_for_stop(stop: StopSignal, *events: object) -> AsyncIterator[object]:
    """Yield ``events``, then run until the window's stop signal is set (as a scan does)."""
    stopped = asyncio.Event()
    stop.subscribe(asyncio.get_running_loop(), stopped.set)
    for event in events:
        yield event
    await stopped.wait()


def test_progress_shows_phase_done_total_and_devices(qtbot) -> None:
    def scan(request: ScanRequest, stop: StopSignal) -> AsyncIterator[object]:
        return _then_wait_for_stop(stop, Progress(phase="ports", done=37, total=254, devices=5))

    window = _window(qtbot, scan)
    window.start_scan()
    qtbot.waitUntil(lambda: window.phase_label.text() == "Ports", timeout=3000)
    assert (window.progress.minimum(), window.progress.maximum()) == (0, 254)
    assert window.progress.value() == 37
    assert window.progress.text() == "37/254, 5 devices"
    with qtbot.waitSignal(window.scan_finished, timeout=3000):
        window.cancel_scan()


@dataclass
class FakeProgress:
    """Named like the real event but shaped as it once was: the window must not take it."""

    phase: str
    hosts_done: int
    hosts_total: int


FakeProgress.__name__ = FakeProgress.__qualname__ = "Progress"


def test_an_event_is_matched_by_class_not_by_name(qtbot) -> None:
    device = sample()[0]

    def scan(request: ScanRequest, stop: StopSignal) -> AsyncIterator[object]:
        fake = FakeProgress("ports", 37, 254)
        return _then_wait_for_stop(stop, fake, DeviceFound(device))

    window = _window(qtbot, scan)
    window.start_scan()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=3000)
    assert type(FakeProgress("a", 1, 2)).__name__ == Progress.__name__
    assert window.phase_label.text() == "Starting"  # the fake was not taken for Progress
    assert (window.progress.minimum(), window.progress.maximum()) == (0, 0)
    with qtbot.waitSignal(window.scan_finished, timeout=3000):
        window.cancel_scan()


def test_cancel_keeps_found_rows_and_panel_usable(qtbot) -> None:
    async def slow(request: ScanRequest, stop: StopSignal) -> AsyncIterator[object]:
        devices = sample()
        yield DeviceFound(devices[0])
        yield DeviceFound(devices[1])
        await asyncio.sleep(30)  # deaf to stop: the window cuts it off after its grace
        yield DeviceFound(devices[2])

    window = _window(qtbot, slow)
    qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=3000)
    assert not window.panel.start_button.isEnabled()
    with qtbot.waitSignal(window.scan_finished, timeout=1500) as finished:
        qtbot.mouseClick(window.panel.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args == [True]
    assert window.model.rowCount() == 2
    assert "Cancelled" in window.phase_label.text()
    assert window.panel.start_button.isEnabled()


def test_cancel_reaches_the_scan_through_its_stop_signal(qtbot) -> None:
    stops: list[StopSignal] = []

    def scan(request: ScanRequest, stop: StopSignal) -> AsyncIterator[object]:
        stops.append(stop)
        return _then_wait_for_stop(stop, DeviceFound(sample()[0]))

    window = _window(qtbot, scan)
    window.start_scan()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=3000)
    assert not stops[0].is_set()
    with qtbot.waitSignal(window.scan_finished, timeout=900) as finished:  # within the grace
        window.cancel_scan()
    assert finished.args == [True]
    assert stops[0].is_set()


def test_public_targets_are_refused_before_scanning(qtbot) -> None:
    window = _window(qtbot, lambda request, stop: _then_wait_for_stop(stop))
    window.panel.targets.setText("8.8.8.0/24")
    said: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        said.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_and_close)
    window.start_scan()  # returns once the warning is closed
    assert not window.controller.running
    assert "public addresses" in said[0]


def test_verdict_filter_and_shortcut_focus(qtbot) -> None:
    async def scan(request: ScanRequest, stop: StopSignal) -> AsyncIterator[object]:
        for dev in sample():
            yield DeviceFound(dev)

    window = _window(qtbot, scan)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.scan_finished, timeout=5000):
        window.action_start.trigger()
    window.filter_verdict.setCurrentIndex(window.filter_verdict.findData(VerdictStatus.NOT_COVERED))
    assert window.proxy.rowCount() == 1
    window.action_filter.trigger()
    assert window.filter_text.hasFocus()


def test_about_names_versions(qtbot) -> None:
    window = _window(qtbot, None)
    window.context.data_versions["mac_registry"] = "2026-10-01"
    assert "mac_registry: 2026-10-01" in window.about_text()


# -- the scan the window stored, and stored scans --------------------------------------------
def _finish(sink: StoreSink, devices: list[Device]) -> Finished:
    final = Finished(tuple(devices), ("arp",), {}, False)
    sink(final)
    return final


def _write_other_scan(db: Path, devices: list[Device]) -> int:
    """A scheduled scan of the same targets, written by another writer meanwhile."""
    with Store(db) as store:
        other = StoreSink(store, Scan(TARGETS, ("arp",), data_versions=VERSIONS))
        for dev in devices:
            other(DeviceFound(dev))
        _finish(other, devices)
        return other.scan_id


def test_window_shows_its_own_scan_when_another_is_written_meanwhile(qtbot, tmp_path) -> None:
    db = tmp_path / "inventory.sqlite3"
    with Store(db) as store:  # an earlier complete scan of the same targets
        earlier = store_scan(store, [hikvision()])
    own_devices, other_devices = sample()[:2], [dahua()]
    ids: dict[str, int] = {}

    async def scan(request: ScanRequest, stop: StopSignal) -> AsyncIterator[object]:
        with Store(db) as store:
            mine = StoreSink(store, request.record(VERSIONS))
            ids["own"] = mine.scan_id
            yield ScanStored(mine.scan_id, db)
            ids["other"] = _write_other_scan(db, other_devices)
            for dev in own_devices:
                mine(DeviceFound(dev))
                yield DeviceFound(dev)
            yield _finish(mine, own_devices)

    window = _window(qtbot, scan, db)
    with (
        qtbot.waitSignal(window.changes_loaded, timeout=5000) as changes,
        qtbot.waitSignal(window.scan_finished, timeout=5000),
    ):
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    own, other = ids["own"], ids["other"]
    assert earlier < own < other  # the other scan is the newest in the store
    assert window.current_scan_id == own
    assert window.scan_label.text() == f"Scan {own}"
    assert changes.args == [own]
    shown = {d.key for d in window.model.devices}
    assert shown == {d.key for d in own_devices}
    assert window.store is not None
    assert {d.key for d in window.store.load_scan(own).devices} == shown
    # What changed is told against the scan before the user's, not between the other two.
    window.tabs.setCurrentWidget(window.summary)
    assert f"Scan {earlier} → scan {own}" in window.summary.diff.toPlainText()
    dialog = window.open_export("json")
    assert dialog is not None and dialog.scan_id == own
    dialog.close()


def test_history_open_loads_the_scan_off_the_gui_thread(qtbot, tmp_path) -> None:
    db = tmp_path / "inventory.sqlite3"
    with Store(db) as store:
        first = store_scan(store, [hikvision(), axis()])
        second = store_scan(
            store, [hikvision("V5.7.1 build 220510"), axis(), dahua()], T0 + dt.timedelta(days=7)
        )
    window = _window(qtbot, None, db)
    with qtbot.waitSignal(window.history.list_loaded, timeout=5000):
        window.tabs.setCurrentWidget(window.history)
    select_rows(window.history, [0])  # newest first
    with qtbot.waitSignal(window.scan_opened, timeout=5000) as opened:
        qtbot.mouseClick(window.history.open_button, Qt.MouseButton.LeftButton)
        assert window.model.rowCount() == 0  # the click returned before the store was read
        assert window.phase_label.text() == f"Opening scan {second}…"
    assert opened.args == [second]
    assert window.tabs.currentIndex() == 0
    assert window.current_scan_id == second
    assert window.model.rowCount() == 3
    assert window.phase_label.text().startswith(f"Scan {second} of ")
    assert window.scan_label.text() == f"Scan {second}"
    window.tabs.setCurrentWidget(window.summary)
    changes = window.summary.diff.toPlainText()
    assert f"Scan {first} → scan {second}" in changes
    assert "firmware V5.5.0 build 180718 → V5.7.1 build 220510" in changes


def test_history_diff_inside_the_window(qtbot, tmp_path) -> None:
    db = tmp_path / "inventory.sqlite3"
    with Store(db) as store:
        first = store_scan(store, [axis()])
        second = store_scan(store, [axis(), dahua()], T0 + dt.timedelta(days=7))
    window = _window(qtbot, None, db)
    with qtbot.waitSignal(window.history.list_loaded, timeout=5000):
        pass
    select_rows(window.history, [0, 1])
    with qtbot.waitSignal(window.history.diff_loaded, timeout=5000):
        qtbot.mouseClick(window.history.diff_button, Qt.MouseButton.LeftButton)
    text = window.history.diff_text()
    assert f"Scan {first} → scan {second}" in text and "New devices (1)" in text


def test_opening_a_scan_that_cannot_be_read_says_so(qtbot, tmp_path) -> None:
    db = tmp_path / "inventory.sqlite3"
    with Store(db) as store:
        known = store_scan(store, [axis()])
    window = _window(qtbot, None, db)
    window.open_scan(known + 41)
    qtbot.waitUntil(lambda: "cannot be read" in window.phase_label.text(), timeout=5000)
    assert window.phase_label.text().startswith(f"Scan {known + 41} cannot be read:")
    assert window.current_scan_id is None
    assert window.model.rowCount() == 0


def test_the_site_profile_says_who_runs_the_site(qtbot) -> None:
    """Organisation and jurisdiction picked in the panel reach the scan request (issue 13)."""
    window = _window(qtbot, None)
    panel = window.panel
    assert panel.request().site.organisation is None  # "not declared" by default
    panel.organisation.setCurrentIndex(panel.organisation.findData("municipal_body"))
    for i in range(panel.jurisdictions.count()):
        item = panel.jurisdictions.item(i)
        wanted = item.data(Qt.ItemDataRole.UserRole) in ("ca-qc", "gb")
        item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
    site = panel.request().site
    assert site.organisation is not None and site.organisation.value == "municipal_body"
    assert set(site.jurisdictions) == {"ca-qc", "gb"}  # the codes the packs use (not "uk")
    packs = {p.id: p for p in load_policies().packs}
    assert any(j in packs["uk_sensitive_sites_2022"].jurisdictions for j in site.jurisdictions)
