"""Running a scan off the GUI thread.

The scan is an async generator (discovery.scan); it runs on its own asyncio loop in a
worker thread.  Events cross to the GUI thread only through Qt signals (queued
connections), so widgets are never touched from the worker.  Events are batched: the worker
hands over what arrived at most every ``BATCH_SECONDS``, which keeps a 200-device burst from
flooding the GUI thread's event queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable

from PySide6.QtCore import QObject, Signal

ScanFactory = Callable[[], AsyncIterator[object]]

BATCH_SECONDS = 0.05
GRACE_SECONDS = 1.0  # a graceful stop that takes longer is cut off


class ScanController(QObject):
    """Owns the worker thread and loop of the running scan.

    Signals:
        events(list): a batch of scan events, in order, delivered on the GUI thread.
        finished(bool): the scan ended; True when it was cancelled.
        failed(str): the scan raised; the message says why (what was found is kept).
    """

    events = Signal(list)
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
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(factory, ready), name="camaudit-scan", daemon=True
        )
        self._thread.start()
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

    def _run(self, factory: ScanFactory, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._task = loop.create_task(self._consume(factory))
            ready.set()
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # any scan failure is reported, not raised
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            ready.set()
            self._loop = None
            _close_loop(loop)
            self._active = False
            self.finished.emit(self._cancelled)

    async def _consume(self, factory: ScanFactory) -> None:
        pending: list[object] = []

        def flush() -> None:
            if pending:
                self.events.emit(list(pending))
                pending.clear()

        async def flusher() -> None:
            while True:
                await asyncio.sleep(BATCH_SECONDS)
                flush()

        ticker = asyncio.get_running_loop().create_task(flusher())
        try:
            async for event in factory():
                pending.append(event)
        finally:
            ticker.cancel()
            flush()


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
