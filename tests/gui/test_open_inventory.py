"""Scan > Open inventory…: the window switches to another inventory (file or URL).

Real SQLite files and the real window; the message box is the only thing replaced (it is
modal and would wait for a click).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from gui import main_window
from gui.app import make_scan_factory
from gui.main_window import AppContext, MainWindow, ScanFactory
from inventory.store import Store
from tests.gui.test_history_view import LOAD_MS, axis, dahua, hikvision, store_scan


def _inventory(path: Path, *devices: Any) -> Path:
    with Store(path) as store:
        store_scan(store, list(devices))
    return path


def test_open_inventory_switches_history_decisions_and_new_scans(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _inventory(tmp_path / "north.sqlite3", hikvision())
    second = _inventory(tmp_path / "south.sqlite3", axis(), dahua())
    with Store(second) as store:
        store_scan(store, [axis()])
    asked: list[Path | str] = []

    def factory_for(db: Path | str) -> ScanFactory:
        asked.append(db)
        return make_scan_factory(db)

    window = MainWindow(
        AppContext(policies=[("ndaa889", "NDAA §889")], db_path=first, factory_for=factory_for)
    )
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.history.model.rowCount() == 1, timeout=LOAD_MS)
    with qtbot.waitSignal(window.inventory_opened, timeout=LOAD_MS) as opened:
        assert window.open_inventory(str(second))
    assert opened.args == [True]
    qtbot.waitUntil(lambda: window.history.model.rowCount() == 2, timeout=LOAD_MS)
    assert window.store is not None and window.store.path == second
    assert window.disposition_editor.store is window.store
    assert asked == [second]  # new scans are stored in the inventory now open
    assert "south.sqlite3" in window.windowTitle()

    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(str(a[2])))
    missing = tmp_path / "typo.sqlite3"
    with qtbot.waitSignal(window.inventory_opened, timeout=LOAD_MS) as opened:
        assert window.open_inventory(missing)  # checked on the worker, refused there
    assert opened.args == [False]
    assert warned and "no such database" in warned[0]
    assert not missing.exists()  # opening never creates an inventory
    assert window.store.path == second  # the current one is kept


def test_opening_an_inventory_does_not_block_the_window(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check runs on the worker: while it is under way the GUI thread keeps running its
    timers, a second request is refused, and the old inventory stays until it succeeds."""
    first = _inventory(tmp_path / "north.sqlite3", hikvision())
    second = _inventory(tmp_path / "south.sqlite3", axis())
    release = threading.Event()
    checked_on: list[str] = []
    real_check = main_window._check_inventory

    def slow_check(target: str | Path) -> None:  # a server that takes its time to answer
        checked_on.append(threading.current_thread().name)
        release.wait(10)
        real_check(target)

    monkeypatch.setattr(main_window, "_check_inventory", slow_check)
    window = MainWindow(AppContext(policies=[("ndaa889", "NDAA §889")], db_path=first))
    qtbot.addWidget(window)
    assert window.open_inventory(str(second))
    assert not window.open_inventory(str(second))  # one at a time
    ticks: list[int] = []
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=LOAD_MS)  # the event loop runs meanwhile
    assert window.store is not None and window.store.path == first
    with qtbot.waitSignal(window.inventory_opened, timeout=LOAD_MS) as opened:
        release.set()
    assert opened.args == [True]
    assert checked_on and checked_on[0] != threading.main_thread().name
    assert window.store.path == second
