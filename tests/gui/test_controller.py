from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from discovery.stop import StopSignal
from gui.controller import GRACE_SECONDS, ScanController


def test_events_arrive_on_gui_thread_in_order(qtbot) -> None:
    controller = ScanController()
    seen: list[object] = []
    threads: set[int] = set()

    def on_events(batch: list[object]) -> None:
        threads.add(threading.get_ident())
        seen.extend(batch)

    controller.events.connect(on_events)

    async def scan() -> AsyncIterator[object]:
        for i in range(50):
            await asyncio.sleep(0.001)
            yield i

    with qtbot.waitSignal(controller.finished, timeout=5000) as finished:
        controller.start(scan)
    assert finished.args == [False]
    assert seen == list(range(50))
    assert threads == {threading.get_ident()}


def test_cancel_stops_quickly_and_keeps_what_was_found(qtbot) -> None:
    controller = ScanController()
    seen: list[object] = []
    controller.events.connect(seen.extend)

    async def endless() -> AsyncIterator[object]:
        i = 0
        while True:
            yield i
            i += 1
            await asyncio.sleep(0.01)

    controller.start(endless)
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=3000)
    with qtbot.waitSignal(controller.finished, timeout=1000) as finished:
        controller.cancel()
    assert finished.args == [True]
    assert seen[:3] == [0, 1, 2]
    assert not controller.running


def test_failure_is_reported_not_raised(qtbot) -> None:
    controller = ScanController()
    seen: list[object] = []
    controller.events.connect(seen.extend)

    async def broken() -> AsyncIterator[object]:
        yield "found-before-failure"
        raise OSError("interface went away")

    with qtbot.waitSignal(controller.failed, timeout=3000) as failed:
        controller.start(broken)
    qtbot.waitUntil(lambda: not controller.running, timeout=3000)
    assert "interface went away" in failed.args[0]
    assert seen == ["found-before-failure"]


def test_cancel_asks_the_scan_to_stop_through_its_stop_signal(qtbot) -> None:
    controller = ScanController()
    seen: list[object] = []
    controller.events.connect(seen.extend)
    stop = StopSignal()

    async def graceful() -> AsyncIterator[object]:
        stopped = asyncio.Event()
        stop.subscribe(asyncio.get_running_loop(), stopped.set)
        yield "found"
        await stopped.wait()
        yield "finished as cancelled"

    controller.start(graceful, stop)
    qtbot.waitUntil(lambda: seen == ["found"], timeout=3000)
    with qtbot.waitSignal(controller.finished, timeout=GRACE_SECONDS * 1000 - 200) as finished:
        controller.cancel()
    assert finished.args == [True]
    assert seen == ["found", "finished as cancelled"]  # it ended itself, within the grace


def test_a_scan_deaf_to_stop_is_cut_off_after_the_grace(qtbot) -> None:
    controller = ScanController()
    stop = StopSignal()

    async def deaf() -> AsyncIterator[object]:
        yield "found"
        await asyncio.sleep(60)
        yield "never"

    seen: list[object] = []
    controller.events.connect(seen.extend)
    controller.start(deaf, stop)
    qtbot.waitUntil(lambda: seen == ["found"], timeout=3000)
    with qtbot.waitSignal(controller.finished, timeout=GRACE_SECONDS * 1000 + 1500) as finished:
        controller.cancel()
    assert finished.args == [True]
    assert seen == ["found"]
    assert controller.wait(2.0)
