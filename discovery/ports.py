"""TCP connect probe of camera-relevant ports, plus the pacing and send guard TCP probes share.

A full connect (no raw sockets, no privilege) tells which camera services a host runs:
web UI (80/443/8080...), RTSP (554/8554), Hikvision SDK (8000), Dahua DVRIP (37777),
Xiongmai NetSurveillance (34567), ONVIF on cheap cameras (8899).  The connection is
closed at once; nothing is sent over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from core.model import Observation, Problem
from core.netguard import check_send_allowed
from discovery.base import ProbeContext

# Camera web UIs, RTSP, vendor SDK ports (julienblitte/UniversalScanner protocols.html, nmap).
DEFAULT_PORTS: tuple[int, ...] = (
    80,
    81,
    443,
    554,
    5000,
    8000,
    8080,
    8081,
    8443,
    8554,
    8899,
    34567,
    37777,
)
T = TypeVar("T")
P = TypeVar("P")

# Errors that prove a host is there even though the port is closed.
_ALIVE_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET}


def guard_send(what: str, ips: Iterable[str]) -> None:
    """``check_send_allowed`` unless every destination is loopback (which cannot leak)."""
    for ip in ips:
        try:
            loopback = ipaddress.ip_address(ip).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            check_send_allowed(what)
            return


class Pacer:
    """Spaces out packet-sending events to at most ``rate`` per second (shared by tasks)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


def progress_callback(ctx: ProbeContext) -> Callable[[str], None]:
    """The orchestrator's "one host done" callback, or a no-op."""
    return ctx.on_host_done


async def close_quietly(writer: asyncio.StreamWriter, wait: float = 0.2) -> None:
    """Close a connection without waiting long or caring how the peer takes it."""
    writer.close()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(wait):
            await writer.wait_closed()


async def connect_state(ip: str, port: int, timeout: float) -> str:
    """``open``, ``closed`` (refused: the host is there) or ``silent`` (no answer)."""
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(ip, port)
    except TimeoutError:
        return "silent"
    except OSError as exc:
        return "closed" if exc.errno in _ALIVE_ERRNOS else "silent"
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(0.5):
            await writer.wait_closed()
    return "open"


async def scan_host(
    ip: str, ports: Sequence[int], timeout: float, pacer: Pacer, sem: asyncio.Semaphore
) -> tuple[tuple[int, ...], bool]:
    """(open ports sorted, host answered at all)."""

    async def one(port: int) -> str:
        async with sem:
            await pacer.wait()
            return await connect_state(ip, port, timeout)

    states = await asyncio.gather(*(one(p) for p in ports))
    open_ports = tuple(sorted(p for p, s in zip(ports, states, strict=True) if s == "open"))
    return open_ports, any(s != "silent" for s in states)


def ports_of(ctx: ProbeContext) -> tuple[int, ...]:
    return tuple(sorted(set(ctx.ports))) if ctx.ports else DEFAULT_PORTS


async def each_host(
    ctx: ProbeContext,
    plan: Mapping[str, P],
    what: str,
    fn: Callable[[str, P], Awaitable[list[T]]],
    workers: int | None = None,
) -> AsyncIterator[T]:
    """The per-host part of an identify probe: ``fn(ip, plan[ip])`` for each host with work
    planned, after the network guard, reporting each host done, a sliding window of workers
    (default: a quarter of the scan's concurrency)."""
    planned = {ip: work for ip, work in plan.items() if work}
    if not planned:
        return
    guard_send(what, planned)
    done = progress_callback(ctx)

    async def one(ip: str) -> list[T]:
        result = await fn(ip, planned[ip])
        done(ip)
        return result

    async for item in per_host(list(planned), one, workers or max(1, ctx.concurrency // 4)):
        yield item


async def per_host(
    hosts: Iterable[str],
    fn: Callable[[str], Awaitable[list[T]]],
    workers: int,
) -> AsyncIterator[T]:
    """Run ``fn`` over hosts with ``workers`` at a time, yielding results as they come.

    A sliding window, not waves, so one slow host never holds up the others; cancelling
    the consumer cancels every worker.
    """
    queue: asyncio.Queue[list[T] | None] = asyncio.Queue()
    pending = iter(hosts)

    async def worker() -> None:
        try:
            for ip in pending:  # one shared iterator: each host is taken exactly once
                await queue.put(await fn(ip))
        finally:
            await queue.put(None)

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, workers))]
    running = len(tasks)
    try:
        while running:
            batch = await queue.get()
            if batch is None:
                running -= 1
                continue
            for item in batch:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Yield ``ip`` + ``ports`` for every host in ``ctx.hosts`` that answered on any port."""
    hosts = list(ctx.hosts)
    if not hosts:
        return
    guard_send("TCP connects", hosts)
    ports = ports_of(ctx)
    pacer, sem = Pacer(ctx.rate), asyncio.Semaphore(max(1, ctx.concurrency))
    done = progress_callback(ctx)

    async def host_task(ip: str) -> list[Observation | Problem]:
        open_ports, alive = await scan_host(ip, ports, ctx.timeout, pacer, sem)
        done(ip)
        return [Observation.of("ports", ip=ip, ports=open_ports)] if alive else []

    # Enough hosts in flight to keep every connect slot busy.
    workers = max(4, ctx.concurrency // len(ports) * 2)
    async for item in per_host(hosts, host_task, workers):
        yield item
