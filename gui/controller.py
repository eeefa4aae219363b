"""Running a scan off the GUI thread.

The scan is an async generator (gui/scan_process.py: the scan itself runs in a child
process); it is consumed on its own asyncio loop in a worker thread.  The worker never
touches Qt: it puts events in a thread-safe queue, and a timer on the GUI thread drains the
queue every ``BATCH_SECONDS`` and emits the batch.  So no Python object crosses threads
through a Qt signal (PySide6 has mishandled reference counts of objects queued from
foreign threads: "deallocating None" aborts in bench runs), widgets are only touched on the
GUI thread, and a 200-device burst arrives as a few batches instead of flooding the GUI
event queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

ScanFactory = Callable[[], AsyncIterator[object]]

BATCH_SECONDS = 0.05
GRACE_SECONDS = 1.0  # a graceful stop that takes longer is cut off


@dataclass(frozen=True)
class _Ended:
    cancelled: bool
    error: str = ""


class ScanController(QObject):
    """Owns the worker thread and loop of the running scan.

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
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._cancelled = False
        self._active = False
        self._on_cancel: Callable[[], None] | None = None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._timer = QTimer(self)
        self._timer.setInterval(int(BATCH_SECONDS * 1000))
        self._timer.timeout.connect(self._drain)

    @property
    def running(self) -> bool:
        return self._active

    def start(self, factory: ScanFactory, on_cancel: Callable[[], None] | None = None) -> None:
        """Run the scan; ``on_cancel`` asks it to stop gracefully (it then reports what it
        found and finishes); if it has not within ``GRACE_SECONDS`` its task is cancelled."""
        if self.running:
            raise RuntimeError("a scan is already running")
        self._cancelled = False
        self._on_cancel = on_cancel
        self._active = True
        self._queue = queue.SimpleQueue()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(factory, ready), name="camaudit-scan", daemon=True
        )
        self._thread.start()
        self._timer.start()
        ready.wait(5)

    def cancel(self) -> None:
        """Ask the scan to stop; it keeps what it found and emits finished(True)."""
        self._cancelled = True
        loop, task = self._loop, self._task
        if loop is None or task is None or loop.is_closed():
            return
        if self._on_cancel is not None:
            self._on_cancel()
        # The loop may close between the check above and here (the scan just ended): then
        # there is nothing left to cancel.
        with contextlib.suppress(RuntimeError):
            if self._on_cancel is not None:
                loop.call_soon_threadsafe(lambda: loop.call_later(GRACE_SECONDS, task.cancel))
            else:
                loop.call_soon_threadsafe(task.cancel)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker ends (for shutdown and tests); True if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- GUI thread ---------------------------------------------------------------------
    def _drain(self) -> None:
        batch: list[object] = []
        ended: _Ended | None = None
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Ended):
                ended = item
                break
            batch.append(item)
        if batch:
            self.events.emit(batch)
        if ended is not None:
            self._timer.stop()
            self._active = False
            if ended.error:
                self.failed.emit(ended.error)
            self.finished.emit(ended.cancelled)

    # -- worker thread (no Qt here) ------------------------------------------------------
    def _run(self, factory: ScanFactory, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        error = ""
        try:
            self._task = loop.create_task(self._consume(factory))
            ready.set()
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # any scan failure is reported, not raised
            error = f"{type(exc).__name__}: {exc}"
        finally:
            ready.set()
            self._loop = None
            _close_loop(loop)
            self._queue.put(_Ended(self._cancelled, error))

    async def _consume(self, factory: ScanFactory) -> None:
        async for event in factory():
            self._queue.put(event)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the scan left running, finish async generators, close (as asyncio.run)."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
