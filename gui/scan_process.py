"""Running the GUI's scan in a child process, so the GUI process never waits for the GIL.

A scan parses XML, matches regexes and builds packets; on a thread of the GUI's own process
those long C calls hold the interpreter lock and the window stutters (bench/
gui_responsiveness.py measured 70-85 ms stalls that way).  Here the scan, its assessment and
the store sink run in a spawned process that is given the user's
:class:`discovery.request.ScanRequest` as it is.  Two pipes join the processes:

* events, child to parent: first :class:`ScanStored` (the id of the scan the child stores,
  before any device), then the scan's own events pickled in batches, ending with
  ``Finished``; a child that fails sends :class:`ScanFailed` instead.
* control, parent to child: the word ``stop`` when the parent's :class:`StopSignal` is set.

Both ends wait on their pipe with ``loop.add_reader``: nothing polls.  A stopped child
finishes the scan as cancelled, so the store marks it interrupted and every device found is
kept; a child whose parent vanished (the control pipe closes) stops the same way.

No Qt here: the child imports only what a scan needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from discovery.events import Finished, ScanEvent
from discovery.request import ScanRequest
from discovery.scan import ScanHooks, scan
from discovery.stop import StopSignal

BATCH_SECONDS = 0.05  # events are sent at most this long after they happen
STOP_GRACE_SECONDS = 3.0  # a child that has not ended this long after the scan is terminated
STOP = "stop"


@dataclass(frozen=True, slots=True)
class ScanStored:
    """The child stores the scan under this id (sent before its first device)."""

    scan_id: int
    db: Path | str


@dataclass(frozen=True, slots=True)
class ScanFailed:
    """The child could not run the scan; ``message`` says why."""

    message: str


class ScanProcessError(RuntimeError):
    """The scan process failed (its own message) or ended without finishing the scan."""


ProcessEvent = ScanStored | ScanEvent


# -- the child ---------------------------------------------------------------------------
def child_main(
    request: ScanRequest, db: Path | str, events: Connection, control: Connection
) -> None:
    """Entry point of the scan process (spawned: a fresh interpreter, no Qt)."""
    try:
        asyncio.run(_child_scan(request, db, events, control))
    except Exception as exc:  # reported to the parent, which shows it
        with contextlib.suppress(OSError):
            events.send([ScanFailed(f"{type(exc).__name__}: {exc}")])
    finally:
        events.close()
        control.close()


async def _child_scan(
    request: ScanRequest, db: Path | str, events: Connection, control: Connection
) -> None:
    from inventory.scan_sink import open_store_sink  # noqa: PLC0415 - child only
    from vendors.assess import Assessor  # noqa: PLC0415
    from vendors.versions import data_versions  # noqa: PLC0415

    assessor = Assessor(request.site, request.policies)
    sink = open_store_sink(
        request.record(data_versions(assessor.packs)), db, site=request.site_name
    )
    events.send([ScanStored(sink.scan_id, sink.store.path)])
    stop = StopSignal()
    unwatch = watch_control(control, stop)
    sender = _BatchSender(events)
    try:
        async for event in scan(request, ScanHooks(stop=stop, sinks=[sink], assessor=assessor)):
            sender.add(event)
    finally:
        unwatch()
        sender.flush()
        sink.store.close()


def watch_control(control: Connection, stop: StopSignal) -> Callable[[], None]:
    """Set ``stop`` when the parent says so or goes away; returns the function that unwatches.

    Call on the running loop of the scan (the pipe is watched by that loop, not polled)."""
    loop = asyncio.get_running_loop()
    fd = control.fileno()

    def readable() -> None:
        try:
            word = control.recv()
        except (EOFError, OSError):  # the parent closed its end or died: stop too
            word = STOP
        if word == STOP:
            loop.remove_reader(fd)
            stop.set()

    def unwatch() -> None:
        loop.remove_reader(fd)

    loop.add_reader(fd, readable)
    return unwatch


class _BatchSender:
    """Sends events in batches: at most BATCH_SECONDS after the first of a batch, at once
    for ``Finished`` (a timer on the loop, not a polling loop)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: list[ScanEvent] = []
        self._later: asyncio.TimerHandle | None = None

    def add(self, event: ScanEvent) -> None:
        self._pending.append(event)
        if isinstance(event, Finished):
            self.flush()
        elif self._later is None:
            self._later = asyncio.get_running_loop().call_later(BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._pending:
            batch, self._pending = self._pending, []
            self._conn.send(batch)


# -- the parent --------------------------------------------------------------------------
async def scan_in_process(
    request: ScanRequest, stop: StopSignal, db: Path | str
) -> AsyncIterator[ProcessEvent]:
    """Run ``request`` in a child process storing into ``db``; yield :class:`ScanStored`,
    then the scan's events up to ``Finished``.  Setting ``stop`` tells the child at once."""
    ctx = mp.get_context("spawn")
    events, child_events = ctx.Pipe(duplex=False)
    child_control, control = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=child_main, args=(request, db, child_events, child_control), daemon=True
    )
    proc.start()
    child_events.close()
    child_control.close()
    unsubscribe = stop.subscribe(asyncio.get_running_loop(), lambda: _send_stop(control))
    try:
        async for event in _receive_events(events):
            yield event
            if isinstance(event, Finished):
                return
        await _ended(proc, STOP_GRACE_SECONDS)
        raise ScanProcessError(
            f"the scan process ended before the scan finished (exit code {proc.exitcode})"
        )
    finally:
        unsubscribe()
        control.close()  # a child still scanning reads the end of the pipe as stop
        try:
            await _ended(proc, STOP_GRACE_SECONDS)
        finally:
            if proc.is_alive():
                proc.terminate()
                proc.join(1.0)
            events.close()


async def _receive_events(conn: Connection) -> AsyncIterator[ProcessEvent]:
    """Every event the child sends, until it closes its end."""
    while True:
        try:
            batch = await _receive(conn)
        except EOFError:
            return
        for item in batch:
            if isinstance(item, ScanFailed):
                raise ScanProcessError(item.message)
            yield item


async def _receive(conn: Connection) -> list[ProcessEvent | ScanFailed]:
    """The next batch, waited for with the loop's reader (EOFError once the child is gone)."""
    while not conn.poll():  # poll() without a timeout only looks: nothing is waited here
        await _readable(conn.fileno())
    batch: list[ProcessEvent | ScanFailed] = conn.recv()
    return batch


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def _ended(proc: BaseProcess, timeout: float) -> None:
    """Wait (on the loop, through the process's sentinel) up to ``timeout`` for it to end."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while proc.is_alive():
                await _readable(proc.sentinel)
    proc.join(0)


def _send_stop(control: Connection) -> None:
    with contextlib.suppress(OSError):  # the child has ended already
        control.send(STOP)
