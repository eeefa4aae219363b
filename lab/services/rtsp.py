"""RTSP banner (TCP 554): OPTIONS and DESCRIBE as cameras answer them to a scanner.

OPTIONS gets 200 with ``Public`` and the profile's ``Server``; DESCRIBE without (valid)
credentials gets 401 with the profile's realm (Digest per RFC 2617, or Basic); with valid
credentials a minimal SDP.  CSeq is echoed.  Anything else gets 405 (SETUP/PLAY are
recorded: a read-only scanner has no business starting streams).

``[services.rtsp]``: ``port`` (554), ``server``, ``auth`` (``digest`` | ``basic``), ``realm``.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import OrderedDict
from typing import Any

from lab.services import _httpd
from lab.services._util import ident, runtime
from lab.services.base import DeviceContext

MAX_HEAD = 8 * 1024
IDLE_TIMEOUT = 30.0
PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"


class RtspServer:
    def __init__(self, ctx: DeviceContext) -> None:
        self.ctx = ctx
        self.conf = ctx.service("rtsp")
        self.nonces: OrderedDict[str, None] = OrderedDict()

    @property
    def realm(self) -> str:
        return str(runtime(self.ctx, self.conf.get("realm", ident(self.ctx, "model", "RTSP"))))

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) else "?"
        try:
            for _ in range(100):
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
                writer.write(self.answer(head, host))
                await writer.drain()
        except (
            TimeoutError,
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    def answer(self, head: bytes, peer: str) -> bytes:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        headers = _httpd.parse_headers(lines[1:])
        method = parts[0].upper() if len(parts) == 3 and parts[2].startswith("RTSP/") else "?"
        creds = self.check(headers, method)
        detail: dict[str, Any] = {
            "peer": peer,
            "url": parts[1] if len(parts) > 1 else "",
            **creds.detail(),
        }
        self.ctx.record("rtsp", method if method != "?" else "garbage", detail)
        cseq = headers.get("cseq", "0")
        if method == "OPTIONS":
            return self.reply(200, "OK", cseq, [("Public", PUBLIC)])
        if method == "DESCRIBE":
            if not creds.valid:
                return self.reply(401, "Unauthorized", cseq, [self.challenge()])
            sdp = (
                f"v=0\r\no=- 0 0 IN IP4 {self.ctx.ip}\r\ns=Media Presentation\r\n"
                "t=0 0\r\nm=video 0 RTP/AVP 96\r\n"
            )
            return self.reply(200, "OK", cseq, [("Content-Type", "application/sdp")], sdp)
        if method == "?":
            return b"RTSP/1.0 400 Bad Request\r\n\r\n"
        return self.reply(405, "Method Not Allowed", cseq, [("Allow", "OPTIONS, DESCRIBE")])

    def check(self, headers: dict[str, str], method: str) -> _httpd.Credentials:
        header = headers.get("authorization", "")
        return _httpd.check_authorization(self.ctx, header, method, self.realm, self.nonces)

    def challenge(self) -> tuple[str, str]:
        if self.conf.get("auth") == "basic":
            return ("WWW-Authenticate", f'Basic realm="{self.realm}"')
        nonce = secrets.token_hex(16)
        self.nonces[nonce] = None
        while len(self.nonces) > 256:
            self.nonces.popitem(last=False)
        return ("WWW-Authenticate", f'Digest realm="{self.realm}", nonce="{nonce}"')

    def reply(
        self, status: int, reason: str, cseq: str, headers: list[tuple[str, str]], body: str = ""
    ) -> bytes:
        lines = [f"RTSP/1.0 {status} {reason}", f"CSeq: {cseq}"]
        server = self.conf.get("server")
        if isinstance(server, str):
            lines.append(f"Server: {runtime(self.ctx, server)}")
        lines += [f"{name}: {value}" for name, value in headers]
        if body:
            lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("latin-1", "replace")


async def start(ctx: DeviceContext) -> None:
    server = RtspServer(ctx)
    port = ctx.service("rtsp").get("port", 554)
    sock = ctx.tcp_socket(int(port))
    listener = await asyncio.start_server(server.connection, sock=sock, limit=MAX_HEAD)
    ctx.closers.append(listener)
