"""Running a scan off the GUI thread.

The scan is an async generator (gui/scan_process.py: the scan itself runs in a child
process); it is consumed on its own asyncio loop in a job of a :class:`gui.worker.Worker`,
which brings its events to the GUI thread in batches.  Stopping goes through the scan's
:class:`StopSignal`: the source is told at once and finishes as cancelled, keeping what it
found; one that has not finished ``GRACE_SECONDS`` later is cut off.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from PySide6.QtCore import QObject, Signal

from discovery.stop import StopSignal
from gui.worker import Put, Worker

ScanSource = Callable[[], AsyncIterator[object]]

GRACE_SECONDS = 1.0  # a graceful stop that takes longer is cut off


class ScanController(QObject):
    """Owns the worker of the running scan.

    Signals:
        events(list): a batch of scan events, in order, delivered on the GUI thread.
        finished(bool): the scan ended; True when it was cancelled.
        failed(str): the scan raised; the message says why (what was found is kept).
    """

    events = Signal(object)
    finished = Signal(bool)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = Worker(self, name="camaudit-scan")
        self._stop = StopSignal()
        self._cancelled = False

    @property
    def running(self) -> bool:
        return self._worker.busy

    def start(self, source: ScanSource, stop: StopSignal | None = None) -> None:
        """Run the scan.  With ``stop`` (the signal the source itself obeys) a cancel asks
        it to finish gracefully first; without one the source is cancelled at once."""
        if self.running:
            raise RuntimeError("a scan is already running")
        self._cancelled = False
        self._stop = stop or StopSignal()
        grace = GRACE_SECONDS if stop is not None else 0.0
        watched = self._stop
        self._worker.submit(
            lambda put: _consume(source, watched, grace, put),
            done=lambda _none: self._ended(""),
            failed=lambda exc: self._ended(f"{type(exc).__name__}: {exc}"),
            items=self.events.emit,
        )

    def cancel(self) -> None:
        """Ask the scan to stop; it keeps what it found and emits finished(True)."""
        if self.running:
            self._cancelled = True
            self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the scan's worker ends (for shutdown and tests); True if it did."""
        return self._worker.wait(timeout)

    def _ended(self, error: str) -> None:
        if error:
            self.failed.emit(error)
        self.finished.emit(self._cancelled)


# -- worker thread (no Qt here) ----------------------------------------------------------
def _consume(source: ScanSource, stop: StopSignal, grace: float, put: Put) -> None:
    """Run the source to its end on a loop of this thread, handing every event to ``put``."""

    async def consume() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def cut_off_later() -> None:
            loop.call_later(grace, task.cancel)

        unsubscribe = stop.subscribe(loop, cut_off_later)
        try:
            async for event in source():
                put(event)
        finally:
            unsubscribe()

    with contextlib.suppress(asyncio.CancelledError):  # cut off: what it found is kept
        asyncio.run(consume())
