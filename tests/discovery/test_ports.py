"""The TCP connect probe on loopback: open, closed and absent ports; pacing; progress."""

from __future__ import annotations

import asyncio
import contextlib
import time

from core.model import Observation
from discovery import ports
from discovery.base import ProbeContext
from tests.discovery.tcp_fakes import Server, collect, sync


async def _idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(0)


@sync
async def test_reports_open_ports_sorted_and_counts_hosts() -> None:
    done: list[str] = []
    async with Server(_idle) as a, Server(_idle) as b:
        closed = Server(_idle)
        async with closed:
            free = closed.port  # now closed again below
        ctx = ProbeContext(
            interface=None,
            networks=(),
            hosts=("127.0.0.1",),
            timeout=1.0,
            ports=(b.port, a.port, free),
            on_host_done=done.append,
        )
        items = await collect(ports.probe(ctx))
    assert all(isinstance(i, Observation) for i in items)
    assert [i.fields for i in items] == [
        {"ip": "127.0.0.1", "ports": tuple(sorted((a.port, b.port)))}
    ]
    assert done == ["127.0.0.1"]


@sync
async def test_host_with_only_closed_ports_is_alive_with_no_ports() -> None:
    closed = Server(_idle)
    async with closed:
        free = closed.port
    ctx = ProbeContext(interface=None, networks=(), hosts=("127.0.0.1",), ports=(free,))
    items = await collect(ports.probe(ctx))
    assert [i.fields["ports"] for i in items] == [()]


@sync
async def test_pacer_keeps_to_the_rate() -> None:
    pacer = ports.Pacer(rate=100.0)
    start = time.monotonic()
    await asyncio.gather(*(pacer.wait() for _ in range(21)))
    assert time.monotonic() - start >= 0.19


@sync
async def test_per_host_stops_workers_when_the_consumer_stops() -> None:
    started: list[str] = []

    async def slow(ip: str) -> list[str]:
        started.append(ip)
        await asyncio.sleep(10)
        return [ip]

    agen = ports.per_host([f"h{i}" for i in range(100)], slow, workers=4)
    task = asyncio.ensure_future(agen.__anext__())
    await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert len(started) == 4
    assert pending == []  # every worker was cancelled and awaited
