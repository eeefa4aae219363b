"""Greetings of FTP, SSH and telnet daemons: the device speaks first, then waits.

``[services.banner]`` keys, one per service the device runs (absent: not running):

* ``ftp``, ``ssh``, ``telnet``: the greeting text (``${ip}``... filled in; ``\\n`` becomes
  CRLF on the wire, and FTP and SSH lines get their final CRLF, as the protocols want).
  The server sends it on connect, then reads and never answers: no login is possible,
  whatever a client sends.
* ``telnet_negotiate = true``: the telnet daemon first sends BusyBox telnetd's option
  requests (IAC DO ECHO, DO NAWS, WILL ECHO, WILL SGA), then its greeting without
  waiting for answers.
* ``ports``: ``{ ftp = 21, ssh = 22, telnet = 23 }`` overrides.
* hostile: ``endless = ["telnet"]`` (bytes without end, no newline, until the client
  leaves), ``slow = ["ftp"]`` (one byte of the greeting every 0.5 s), ``garbage = ["ssh"]``
  (random bytes instead of a greeting).

Every connection is recorded (``connect <service>``) and so is how it ends
(``closed <service>`` with the bytes the client sent: a read-only banner probe sends none).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from lab.services._util import runtime, seeded_bytes
from lab.services.base import DeviceContext

DEFAULT_PORTS = {"ftp": 21, "ssh": 22, "telnet": 23}
BUSYBOX_NEGOTIATION = bytes([255, 253, 1, 255, 253, 31, 255, 251, 1, 255, 251, 3])
HOLD_SECONDS = 60.0  # any connection ends after this (hostile modes included)
SLOW_INTERVAL = 0.5
MAX_ENDLESS = 64 * 1024 * 1024


class Daemon:
    def __init__(self, ctx: DeviceContext, service: str, conf: Mapping[str, Any]) -> None:
        self.ctx, self.service, self.conf = ctx, service, conf
        text = str(runtime(ctx, conf[service]))
        if service in ("ftp", "ssh") and not text.endswith("\n"):
            text += "\n"  # an FTP reply and the SSH version line end in CRLF
        self.greeting = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")

    def mode(self) -> str:
        for mode in ("endless", "slow", "garbage"):
            if self.service in self.conf.get(mode, []):
                return mode
        return "normal"

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        detail = {"peer": str(peer[0]) if peer else "?", "mode": self.mode()}
        self.ctx.record("banner", f"connect {self.service}", detail)
        speaking = asyncio.create_task(self._speak(writer))
        received = -1  # the client never left within HOLD_SECONDS
        try:
            async with asyncio.timeout(HOLD_SECONDS):
                received = await self._count(reader)
        except TimeoutError:
            pass
        finally:
            speaking.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                await speaking
            self.ctx.record("banner", f"closed {self.service}", {**detail, "received": received})
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _count(self, reader: asyncio.StreamReader) -> int:
        """Bytes the client sends until it leaves (it should send none)."""
        total = 0
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(4096):
                total += len(chunk)
        return total

    async def _speak(self, writer: asyncio.StreamWriter) -> None:
        mode = self.mode()
        if mode == "garbage":
            writer.write(seeded_bytes(f"{self.ctx.name}:{self.service}", 700))
        elif mode == "endless":
            await self._endless(writer)
        elif mode == "slow":
            for byte in self.greeting:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(SLOW_INTERVAL)
        else:
            if self.service == "telnet" and self.conf.get("telnet_negotiate"):
                writer.write(BUSYBOX_NEGOTIATION)
            writer.write(self.greeting)
        await writer.drain()

    async def _endless(self, writer: asyncio.StreamWriter) -> None:
        chunk = self.greeting.replace(b"\r\n", b" ") or b"x"
        chunk = (chunk * (4096 // len(chunk) + 1))[:4096]
        sent = 0
        while sent < MAX_ENDLESS and not writer.is_closing():
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()


async def start(ctx: DeviceContext) -> None:
    conf = ctx.service("banner")
    ports = {**DEFAULT_PORTS, **conf.get("ports", {})}
    for service in DEFAULT_PORTS:
        if not isinstance(conf.get(service), str):
            continue
        daemon = Daemon(ctx, service, conf)
        sock = ctx.tcp_socket(int(ports[service]))
        server = await asyncio.start_server(daemon.connection, sock=sock)
        ctx.closers.append(server)
