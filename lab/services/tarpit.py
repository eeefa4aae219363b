"""A tarpit (hostile): accepts TCP connections, reads and discards, never answers.

Tests that a scanner's per-device time limits hold.  ``[services.tarpit] ports`` (default
80 and 554).  At most 256 connections are held (oldest dropped) and each for at most 10
minutes, so the tarpit cannot exhaust the emulator's file descriptors.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from lab.services.base import DeviceContext

MAX_HELD = 256
HOLD_SECONDS = 600.0


class Tarpit:
    def __init__(self, ctx: DeviceContext) -> None:
        self.ctx = ctx
        self.held: deque[asyncio.StreamWriter] = deque()

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        port = writer.get_extra_info("sockname")
        self.ctx.record(
            "tarpit",
            "connect",
            {"peer": str(peer[0]) if peer else "?", "port": port[1] if port else 0},
        )
        self.held.append(writer)
        if len(self.held) > MAX_HELD:
            self.held.popleft().close()
        try:
            async with asyncio.timeout(HOLD_SECONDS):
                while await reader.read(4096):
                    pass  # swallow whatever the scanner sends
        except (TimeoutError, ConnectionError):
            pass
        finally:
            with contextlib.suppress(ValueError):
                self.held.remove(writer)
            writer.close()


async def start(ctx: DeviceContext) -> None:
    tarpit = Tarpit(ctx)
    for port in ctx.service("tarpit").get("ports", [80, 554]):
        server = await asyncio.start_server(tarpit.connection, sock=ctx.tcp_socket(int(port)))
        ctx.closers.append(server)
