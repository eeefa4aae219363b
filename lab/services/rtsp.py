"""RTSP banner (TCP 554): OPTIONS and DESCRIBE as cameras answer them to a scanner.

OPTIONS gets 200 with ``Public`` and the profile's ``Server``; DESCRIBE without (valid)
credentials gets 401 with the profile's realm (Digest per RFC 2617, or Basic); with valid
credentials a minimal SDP.  CSeq is echoed.  Anything else gets 405 (SETUP/PLAY are
recorded: a read-only scanner has no business starting streams).

``[services.rtsp]``: ``port`` (554), ``server``, ``auth`` (``digest`` | ``basic``), ``realm``,
``options_auth`` (OPTIONS needs credentials too), ``style`` (``generic``; ``dahua``: header
order and the 405 to a request without CSeq, nmap l.11363; ``hikvision``: Digest with
``stale="FALSE"`` plus ``Basic realm="/"``, nmap l.12141).
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
        if method == "?":
            return b"RTSP/1.0 400 Bad Request\r\n\r\n"
        cseq = headers.get("cseq")
        if cseq is None and self.style == "dahua":
            # Dahua refuses a request without CSeq this way (nmap l.11363).
            return self.reply(405, "Method Not Allowed", "0", [])
        if method in ("OPTIONS", "DESCRIBE") and not creds.valid and self.needs_auth(method):
            return self.reply(401, "Unauthorized", cseq, self.challenge())
        if method == "OPTIONS":
            return self.reply(200, "OK", cseq, [("Public", PUBLIC)])
        if method == "DESCRIBE":
            sdp = (
                f"v=0\r\no=- 0 0 IN IP4 {self.ctx.ip}\r\ns=Media Presentation\r\n"
                "t=0 0\r\nm=video 0 RTP/AVP 96\r\n"
            )
            return self.reply(200, "OK", cseq, [("Content-Type", "application/sdp")], sdp)
        return self.reply(405, "Method Not Allowed", cseq, [("Allow", "OPTIONS, DESCRIBE")])

    @property
    def style(self) -> str:
        return str(self.conf.get("style", "generic"))

    def needs_auth(self, method: str) -> bool:
        # Some firmware (Hikvision DVRs, Lorex: nmap l.12141, l.14561) wants credentials
        # even for OPTIONS.
        return method == "DESCRIBE" or bool(self.conf.get("options_auth", False))

    def check(self, headers: dict[str, str], method: str) -> _httpd.Credentials:
        header = headers.get("authorization", "")
        return _httpd.check_authorization(self.ctx, header, method, self.realm, self.nonces)

    def challenge(self) -> list[tuple[str, str]]:
        if self.conf.get("auth") == "basic":
            return [("WWW-Authenticate", f'Basic realm="{self.realm}"')]
        nonce = secrets.token_hex(16)
        self.nonces[nonce] = None
        while len(self.nonces) > 256:
            self.nonces.popitem(last=False)
        if self.style == "hikvision":  # nmap l.12141: Digest with stale, then Basic realm="/"
            return [
                (
                    "WWW-Authenticate",
                    f'Digest realm="{self.realm}", nonce="{nonce}", stale="FALSE"',
                ),
                ("WWW-Authenticate", 'Basic realm="/"'),
            ]
        return [("WWW-Authenticate", f'Digest realm="{self.realm}", nonce="{nonce}"')]

    def reply(
        self,
        status: int,
        reason: str,
        cseq: str | None,
        headers: list[tuple[str, str]],
        body: str = "",
    ) -> bytes:
        """Header order per style: Dahua puts Server and Content-Length before CSeq."""
        server = self.conf.get("server")
        banner = [("Server", str(runtime(self.ctx, server)))] if isinstance(server, str) else []
        sequence = [("CSeq", cseq)] if cseq is not None else []
        length = [("Content-Length", str(len(body.encode())))] if body else []
        if self.style == "dahua":
            ordered = [*headers, *banner, ("Content-Length", str(len(body.encode()))), *sequence]
        else:
            ordered = [*sequence, *banner, *headers, *length]
        lines = "".join(f"{name}: {value}\r\n" for name, value in ordered)
        return f"RTSP/1.0 {status} {reason}\r\n{lines}\r\n{body}".encode("latin-1", "replace")


async def start(ctx: DeviceContext) -> None:
    server = RtspServer(ctx)
    port = ctx.service("rtsp").get("port", 554)
    sock = ctx.tcp_socket(int(port))
    listener = await asyncio.start_server(server.connection, sock=sock, limit=MAX_HEAD)
    ctx.closers.append(listener)
