"""Scan > Open inventory…: the window switches to another inventory (file or URL).

Real SQLite files and the real window; the message box is the only thing replaced (it is
modal and would wait for a click).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

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
    assert window.open_inventory(str(second))
    qtbot.waitUntil(lambda: window.history.model.rowCount() == 2, timeout=LOAD_MS)
    assert window.store is not None and window.store.path == second
    assert window.disposition_editor.store is window.store
    assert asked == [second]  # new scans are stored in the inventory now open
    assert "south.sqlite3" in window.windowTitle()

    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(str(a[2])))
    missing = tmp_path / "typo.sqlite3"
    assert not window.open_inventory(missing)
    assert warned and "no such database" in warned[0]
    assert not missing.exists()  # opening never creates an inventory
    assert window.store.path == second  # the current one is kept
