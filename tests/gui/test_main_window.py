"""The window's own behaviour, driven through its real widgets.

The scan source here is a small async generator standing in for discovery.scan, so these
tests check the window (rows appear live, progress, cancel keeps rows, filters, details);
the full scan of the lab through the GUI lives in tests/lab/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from PySide6.QtCore import Qt

from core.model import Device, VerdictStatus
from gui.main_window import AppContext, MainWindow
from gui.scan_panel import ScanRequest
from tests.gui.factories import sample


@dataclass
class DeviceFound:
    device: Device


@dataclass
class Progress:
    phase: str
    hosts_done: int
    hosts_total: int


def _window(qtbot, factory) -> MainWindow:
    ctx = AppContext(
        policies=[("ndaa889", "NDAA §889")],
        scan_factory=factory,
        preset_interface="lo",
        preset_targets=["198.18.0.0/24"],
        maker_names={"hikvision": "Hikvision", "axis": "Axis"},
    )
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    return window


def test_rows_appear_live_and_details_explain(qtbot) -> None:
    requests: list[ScanRequest] = []

    async def scan(request: ScanRequest) -> AsyncIterator[object]:
        requests.append(request)
        for i, dev in enumerate(sample()):
            yield Progress("probing", i, 4)
            yield DeviceFound(dev)
            await asyncio.sleep(0.01)

    window = _window(qtbot, scan)
    with qtbot.waitSignal(window.scan_finished, timeout=5000):
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == 4
    assert requests[0].targets == ("198.18.0.0/24",)
    assert "ndaa889" in requests[0].policies
    assert window.phase_label.text() == "Finished"
    window.tabs.setCurrentWidget(window.summary)  # charts are built when shown
    assert window.summary.policy.currentText() == "ndaa889"
    window.filter_text.setText("annke")
    assert window.proxy.rowCount() == 1
    window.table.setCurrentIndex(window.proxy.index(0, 0))
    text = window.details.text()
    assert "Sold as Annke, made by Hikvision (OEM rebrand)" in text
    assert "oui:44:19:b6" in text


def test_cancel_keeps_found_rows_and_panel_usable(qtbot) -> None:
    async def slow(request: ScanRequest) -> AsyncIterator[object]:
        devices = sample()
        yield DeviceFound(devices[0])
        yield DeviceFound(devices[1])
        await asyncio.sleep(30)
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


def test_verdict_filter_and_shortcut_focus(qtbot) -> None:
    async def scan(request: ScanRequest) -> AsyncIterator[object]:
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
