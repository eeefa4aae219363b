"""Long work off the GUI thread, its outcome back on it: the one way gui/ does this.

A :class:`Worker` runs the jobs submitted to it one after another on a thread of its own (the
thread exists only while there is work).  A job never touches Qt: what it produces and how it
ends go into a thread-safe queue, and a timer on the GUI thread drains that queue every
``BATCH_SECONDS`` while anything is outstanding, calling the job's callbacks there.  So no
Python object crosses threads through a Qt signal (PySide6 6.12 mishandled reference counts
of objects queued from foreign threads: "deallocating None" aborts in bench runs), widgets are
only touched on the GUI thread, and a burst of 200 scan events reaches the window as a few
batches instead of flooding its event queue.

The scan (gui/controller.py), the exports (gui/export_dialogs.py) and the history loads
(gui/history_view.py, gui/main_window.py) all run on workers.
"""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer

BATCH_SECONDS = 0.05

T = TypeVar("T")
Put = Callable[[object], None]
"""How a job hands an item to the GUI thread while it runs (call it on the worker thread)."""


@dataclass(frozen=True, eq=False)
class _Job:
    work: Callable[[Put], Any]
    done: Callable[[Any], None]
    failed: Callable[[BaseException], None]
    items: Callable[[list[object]], None] | None


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How a job ended (what it put on the way travels as ``(job, item)`` pairs)."""

    job: _Job
    result: object = None
    error: BaseException | None = None


class Worker(QObject):
    """Runs jobs in submission order on its own thread; callbacks run on the GUI thread.

    Signals: none; each job's outcome comes back through the callbacks given to ``submit``
    (called on the GUI thread, so they may touch widgets and emit the caller's signals).
    """

    def __init__(self, parent: QObject | None = None, name: str = "camaudit-worker") -> None:
        super().__init__(parent)
        self._name = name
        self._lock = threading.Lock()
        self._jobs: collections.deque[_Job] = collections.deque()
        self._thread: threading.Thread | None = None
        self._results: queue.SimpleQueue[tuple[_Job, object] | _Outcome] = queue.SimpleQueue()
        self._outstanding = 0  # submitted, outcome not yet delivered on the GUI thread
        self._draining = False
        self._timer = QTimer(self)
        self._timer.setInterval(int(BATCH_SECONDS * 1000))
        self._timer.timeout.connect(self._drain)

    @property
    def busy(self) -> bool:
        """True from ``submit`` until the last job's outcome has reached the GUI thread."""
        return self._outstanding > 0

    def submit(
        self,
        work: Callable[[Put], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None],
        items: Callable[[list[object]], None] | None = None,
    ) -> None:
        """Run ``work(put)`` after the jobs before it; then ``done(result)`` or ``failed(exc)``.

        Whatever ``work`` passes to ``put`` reaches ``items`` in order, in batches, before
        ``done``.  Call on the GUI thread.
        """
        self._outstanding += 1
        self._timer.start()
        with self._lock:
            self._jobs.append(_Job(work, done, failed, items))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the jobs so far have run (shutdown and tests); True if they have."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # -- worker thread (no Qt here) -------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._thread = None
                    return
                job = self._jobs.popleft()
            try:
                result = job.work(self._put_for(job))
            except Exception as exc:  # the caller's failed() says what went wrong
                self._results.put(_Outcome(job, error=exc))
            else:
                self._results.put(_Outcome(job, result))

    def _put_for(self, job: _Job) -> Put:
        return lambda item: self._results.put((job, item))

    # -- GUI thread -------------------------------------------------------------------------
    def _drain(self) -> None:
        if self._draining:  # a callback opened a modal dialog: its own loop ticks the timer
            return
        self._draining = True
        try:
            self._deliver_ready()
        finally:
            self._draining = False
        if not self._outstanding:
            self._timer.stop()

    def _deliver_ready(self) -> None:
        batch: list[object] = []
        batch_job: _Job | None = None
        while True:
            try:
                got = self._results.get_nowait()
            except queue.Empty:
                break
            if not isinstance(got, _Outcome):
                job, item = got
                if job is not batch_job:
                    _deliver_items(batch_job, batch)
                    batch, batch_job = [], job
                batch.append(item)
                continue
            _deliver_items(batch_job, batch)  # a job's items always precede its outcome
            batch, batch_job = [], None
            self._outstanding -= 1
            if got.error is not None:
                got.job.failed(got.error)
            else:
                got.job.done(got.result)
        _deliver_items(batch_job, batch)


def _deliver_items(job: _Job | None, batch: list[object]) -> None:
    if job is not None and job.items is not None and batch:
        job.items(batch)
