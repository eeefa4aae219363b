"""Running the GUI's scan in a child process, so the GUI process never waits for the GIL.

A scan parses XML, matches regexes and builds packets; on a thread of the GUI's own process
those long C calls hold the interpreter lock and the window stutters (bench/
gui_responsiveness.py measured 70-85 ms stalls that way).  Here the scan, identification,
judgement and the store sink run in a spawned process; events come back pickled over a
pipe in batches, and the parent side is an async generator the ScanController consumes,
mostly asleep in ``poll``.  Stopping sets a process-shared event; the child then finishes
the scan as cancelled, so the store marks it interrupted and every device found is kept.

No Qt here: the child imports only what a scan needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import multiprocessing as mp
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from core.model import Scan, SiteProfile, SiteUse
from discovery.base import Credential
from discovery.credentials import CredentialStore
from discovery.scan import Finished, ScanEvent, ScanOptions, scan

BATCH_SECONDS = 0.05
POLL_SECONDS = 0.1
STOP_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class ScanJob:
    """Everything the child needs, picklable (no threading.Event, no Qt)."""

    interface: str | None
    targets: tuple[str, ...]
    methods: tuple[str, ...]
    site_use: SiteUse
    jurisdictions: tuple[str, ...]
    policies: tuple[str, ...]
    credentials: CredentialStore | None
    db: Path | None
    data_versions: dict[str, str]


def _no_credentials(ip: str) -> Credential | None:
    return None


async def _child_scan(job: ScanJob, conn: Connection, stop_flag: threading.Event) -> None:
    from inventory.scan_sink import open_store_sink  # noqa: PLC0415 - child only

    site = SiteProfile(uses=(job.site_use,), jurisdictions=job.jurisdictions)
    options = ScanOptions(
        interface=job.interface,
        methods=job.methods,
        site=site,
        policies=job.policies,
        credentials=job.credentials or _no_credentials,
        stop=stop_flag,
    )
    record = Scan(
        targets=job.targets,
        methods=job.methods,
        site=site,
        policies=job.policies,
        options={"interface": job.interface or "", "started_from": "gui"},
        data_versions=job.data_versions,
    )
    options.on_event.append(open_store_sink(record, job.db))
    networks = [ipaddress.IPv4Network(t, strict=False) for t in job.targets]
    pending: list[ScanEvent] = []
    last = time.monotonic()
    async for event in scan(networks, options):
        pending.append(event)
        if isinstance(event, Finished) or time.monotonic() - last >= BATCH_SECONDS:
            conn.send(pending)
            pending, last = [], time.monotonic()
        await asyncio.sleep(0)
    if pending:
        conn.send(pending)


def child_main(job: ScanJob, conn: Connection, stop: Any) -> None:
    """Entry point of the scan process (spawned: a fresh interpreter, no Qt)."""
    try:
        asyncio.run(_child_scan_with_stop(job, conn, stop))
    except Exception as exc:  # reported to the parent, which shows it
        with contextlib.suppress(OSError):
            conn.send(exc)
    finally:
        conn.close()


async def _child_scan_with_stop(job: ScanJob, conn: Connection, stop: Any) -> None:
    """Run the scan; a watcher turns the shared stop event into the scan's own stop flag."""
    stop_flag = threading.Event()
    scan_task = asyncio.create_task(_child_scan(job, conn, stop_flag))
    while not scan_task.done():
        await asyncio.wait({scan_task}, timeout=POLL_SECONDS)
        if stop.is_set():
            stop_flag.set()
    await scan_task


def _receive(conn: Connection) -> list[ScanEvent] | BaseException | None:
    """Wait up to POLL_SECONDS for a batch; None on timeout; EOFError at the end."""
    if not conn.poll(POLL_SECONDS):
        return None
    return conn.recv()  # type: ignore[no-any-return]


async def scan_in_process(job: ScanJob, stop: threading.Event) -> AsyncIterator[ScanEvent]:
    """The parent side: start the child, yield its events, stop it when ``stop`` is set."""
    ctx = mp.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    child_stop = ctx.Event()
    proc = ctx.Process(target=child_main, args=(job, child_conn, child_stop), daemon=True)
    proc.start()
    child_conn.close()
    loop = asyncio.get_running_loop()
    try:
        while True:
            if stop.is_set():
                child_stop.set()
            try:
                got = await loop.run_in_executor(None, _receive, parent_conn)
            except EOFError:
                return
            if got is None:
                continue
            if isinstance(got, BaseException):
                raise got
            for event in got:
                yield event
                if isinstance(event, Finished):
                    return
    finally:
        child_stop.set()
        await loop.run_in_executor(None, proc.join, STOP_GRACE_SECONDS)
        if proc.is_alive():
            proc.terminate()
            await loop.run_in_executor(None, proc.join, 1.0)
        parent_conn.close()
