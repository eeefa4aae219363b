"""The GUI's scan process, for real: a spawned child running discovery.scan into the store.

The scans here choose no methods, so the child runs every phase of a real scan (request,
assessor, store sink, Finished) without sending a packet; the stop path is tested on the
child's own pipe watcher.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from core.model import Scan, ScanStatus
from discovery.events import Finished
from discovery.request import ScanRequest
from discovery.stop import StopSignal
from gui.app import make_scan_factory
from gui.main_window import AppContext, MainWindow
from gui.scan_process import (
    STOP,
    ProcessEvent,
    ScanProcessError,
    ScanStored,
    scan_in_process,
    watch_control,
)
from inventory.scan_sink import StoreSink
from inventory.store import Store

REQUEST = ScanRequest(targets=("198.18.0.0/30",), methods=(), origin="test")
PROCESS_MS = 60_000  # a spawned interpreter importing the scan and the store


def run(request: ScanRequest, db: Path, stop: StopSignal | None = None) -> list[ProcessEvent]:
    async def collect() -> list[ProcessEvent]:
        return [e async for e in scan_in_process(request, stop or StopSignal(), db)]

    return asyncio.run(collect())


def test_the_child_says_which_scan_it_stores_before_anything_else(tmp_path) -> None:
    db = tmp_path / "inventory.sqlite3"
    with Store(db) as store:  # an earlier scan, so the id is not simply 1
        store.begin_scan(Scan(("198.18.9.0/24",), ("arp",), data_versions={"camaudit": "x"}))
    events = run(REQUEST, db)
    first, last = events[0], events[-1]
    assert isinstance(first, ScanStored)
    assert first.db == db
    assert not any(isinstance(e, ScanStored) for e in events[1:])
    assert isinstance(last, Finished) and not last.cancelled
    with Store(db) as store:
        saved = store.load_scan(first.scan_id)
    assert saved.targets == REQUEST.targets
    assert saved.status is ScanStatus.COMPLETE
    assert saved.options["started_from"] == "test"
    assert any(key.startswith("policy:") for key in saved.data_versions)  # the one writer's keys


def test_a_child_that_cannot_store_says_why(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ScanProcessError, match=re.escape(str(blocker))):
        run(REQUEST, blocker / "inventory.sqlite3")


def test_the_child_hears_stop_and_a_vanished_parent_without_polling() -> None:
    async def watched(send_stop: bool) -> bool:
        reader, writer = mp.Pipe(duplex=False)
        stop = StopSignal()
        heard = asyncio.Event()
        stop.subscribe(asyncio.get_running_loop(), heard.set)
        unwatch = watch_control(reader, stop)
        if send_stop:
            writer.send(STOP)
        else:
            writer.close()  # the parent died: its end of the pipe closes
        try:
            await asyncio.wait_for(heard.wait(), 5)
        finally:
            unwatch()
            reader.close()
        return stop.is_set()

    assert asyncio.run(watched(send_stop=True))
    assert asyncio.run(watched(send_stop=False))


def test_window_keeps_the_id_its_scan_process_sent(qtbot, tmp_path) -> None:
    """Another writer stores a scan while the user's runs: the window keeps the user's."""
    db = tmp_path / "inventory.sqlite3"
    window = MainWindow(
        AppContext(
            policies=[("ndaa889", "NDAA §889")],
            scan_factory=make_scan_factory(db),
            preset_interface="lo",
            preset_targets=["198.18.0.0/30"],
            db_path=db,
        )
    )
    qtbot.addWidget(window)
    for box in window.panel.method_boxes.values():
        box.setChecked(False)  # nothing is sent: the scan runs its phases with no probe
    qtbot.keyClicks(window.panel.site_name, "  north   building ")
    stored: list[int] = []
    others: list[int] = []

    def meanwhile(batch: list[object]) -> None:
        for event in batch:
            if isinstance(event, ScanStored):
                stored.append(event.scan_id)
                with Store(db) as store:  # e.g. a scheduled `camaudit scan` of the same net
                    record = Scan(("198.18.0.0/30",), ("arp",), data_versions={"camaudit": "x"})
                    other = StoreSink(store, record)
                    other(Finished((), ("arp",), {}, False))
                    others.append(other.scan_id)

    window.controller.events.connect(meanwhile)
    with qtbot.waitSignal(window.scan_finished, timeout=PROCESS_MS) as finished:
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    assert finished.args == [False]
    assert stored and others and others[0] > stored[0]
    with Store(db) as store:  # the scan panel's site name is the stored scan's site
        assert store.scan_site(stored[0]) == "north building"
        assert store.scan_site(others[0]) == ""
    with Store(db) as store:
        assert store.latest_scan() == others[0]
    assert window.current_scan_id == stored[0]
    assert window.scan_label.text() == f"Scan {stored[0]}"
