"""TCP on ``[services.echo] port``: answers each line with ``<device name> <line>``."""

from __future__ import annotations

import asyncio
import contextlib

from lab.services.base import DeviceContext


async def start(ctx: DeviceContext) -> None:
    port = int(ctx.service("echo").get("port", 7))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            line = (await reader.readline()).decode().strip()
            ctx.record("echo", "line", {"text": line, "peer": writer.get_extra_info("peername")[0]})
            writer.write(f"{ctx.name} {line}\n".encode())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, sock=ctx.tcp_socket(port))
    ctx.closers.append(server)
