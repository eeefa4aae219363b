"""A TLS-only port: completes the handshake with the device's certificate, then says nothing.

Stands for the TLS ports cameras run beside their web UI (Hikvision's SDK over TLS, say)
and, with ``[services.tls.tls] pad_kb``, for a hostile peer with a huge certificate.
``[services.tls]`` keys: ``ports`` (default ``[8443]``), ``tls_org`` and a ``tls`` table as
in lab/services/_tls.py.  Each connection is recorded (``connect``) and, when the client
leaves, how many application bytes it sent after the handshake (``closed``: a read-only
certificate probe sends none).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from lab.services import _tls
from lab.services.base import DeviceContext

HOLD_SECONDS = 30.0  # a silent client is let go after this
MAX_READ = 64 * 1024


async def start(ctx: DeviceContext) -> None:
    conf = ctx.service("tls")
    context = _tls.context_for(ctx, conf)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        port = writer.get_extra_info("sockname")[1]
        detail = {"peer": str(peer[0]) if peer else "?", "port": port}
        ctx.record("tls", "connect", detail)
        received = 0
        try:
            async with asyncio.timeout(HOLD_SECONDS):
                while received < MAX_READ and (chunk := await reader.read(4096)):
                    received += len(chunk)
        except (TimeoutError, ConnectionError, ssl.SSLError):
            pass
        finally:
            ctx.record("tls", "closed", {**detail, "bytes": received})
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    for port in conf.get("ports", [8443]):
        server = await asyncio.start_server(
            connection, sock=ctx.tcp_socket(int(port)), ssl=context, ssl_handshake_timeout=10
        )
        ctx.closers.append(server)
