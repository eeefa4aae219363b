"""A SIP user agent on UDP and TCP 5060 (door stations, intercoms): answers OPTIONS only.

``[services.sip]`` keys: ``port`` (5060), ``server`` and ``user_agent`` (the headers of its
answers; either may be absent), ``udp`` / ``tcp`` (default true).  OPTIONS gets ``200 OK``
with ``Allow`` and the identity headers; every other method gets ``403 Forbidden`` and is
recorded with ``write = true`` for REGISTER, INVITE, MESSAGE, PUBLISH, SUBSCRIBE, REFER,
NOTIFY, INFO, UPDATE (a read-only scanner sends none of them).  Hostile: ``garbage = true``
answers random bytes, ``huge_kb`` pads the answer with a header that long.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from lab.services._util import runtime, seeded_bytes
from lab.services.base import DeviceContext, udp_endpoint

READS = frozenset({"OPTIONS"})
MAX_REQUEST = 16 * 1024
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, MESSAGE"


def _headers(request: bytes) -> tuple[str, dict[str, str]]:
    text = request[:MAX_REQUEST].decode("utf-8", "replace")
    lines = text.split("\r\n\r\n", 1)[0].split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), value.strip())
    return lines[0], headers


class UserAgent:
    def __init__(self, ctx: DeviceContext, conf: Mapping[str, Any]) -> None:
        self.ctx, self.conf = ctx, conf

    def answer(self, request: bytes, transport: str, peer: str) -> bytes | None:
        first, headers = _headers(request)
        method = first.split(" ", 1)[0].upper() if first else ""
        write = bool(method) and method not in READS and not method.startswith("SIP/")
        self.ctx.record(
            "sip", method or "?", {"peer": peer, "transport": transport, "write": write}
        )
        if not method or method.startswith("SIP/"):
            return None  # a response, or nothing SIP: a UA stays quiet
        if self.conf.get("garbage"):
            return seeded_bytes(f"{self.ctx.name}:sip", 900)
        status = "200 OK" if method in READS else "403 Forbidden"
        lines = [f"SIP/2.0 {status}"]
        for name in ("via", "from", "to", "call-id", "cseq"):
            if name in headers:
                label = {"call-id": "Call-ID", "cseq": "CSeq"}.get(name, name.title())
                lines.append(f"{label}: {headers[name]}")
        if server := self.conf.get("server"):
            lines.append(f"Server: {runtime(self.ctx, str(server))}")
        if agent := self.conf.get("user_agent"):
            lines.append(f"User-Agent: {runtime(self.ctx, str(agent))}")
        if huge := int(self.conf.get("huge_kb", 0)):
            lines.append("X-Padding: " + "A" * (huge * 1024))
        lines += [f"Allow: {ALLOW}", "Accept: application/sdp", "Content-Length: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    async def tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            async with asyncio.timeout(10):
                request = await reader.readuntil(b"\r\n\r\n")
            reply = self.answer(request, "tcp", str(peer[0]) if peer else "?")
            if reply:
                writer.write(reply)
                await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.LimitOverrunError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def start(ctx: DeviceContext) -> None:
    conf = ctx.service("sip")
    agent = UserAgent(ctx, conf)
    port = int(conf.get("port", 5060))
    if conf.get("udp", True):

        def on_datagram(
            data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport
        ) -> None:
            reply = agent.answer(data, "udp", addr[0])
            if reply:
                transport.sendto(reply[:65000], addr)

        transport, _ = await udp_endpoint(
            asyncio.get_running_loop(), ctx.udp_socket(port, None), on_datagram
        )
        ctx.closers.append(transport)
    if conf.get("tcp", True):
        server = await asyncio.start_server(agent.tcp, sock=ctx.tcp_socket(port), limit=MAX_REQUEST)
        ctx.closers.append(server)
