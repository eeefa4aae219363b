"""Dahua DHIP discovery responder (UDP 37810, 239.255.255.251).

A DHIP datagram is a 32-byte little-endian header (u32 0x20, magic ``DHIP``, two reserved
words, body length, reserved, body length again, reserved) followed by JSON
(julienblitte/UniversalScanner ``Dahua2.cs``).  ``DHDiscover.search`` gets a
``client.notifyDevInfo`` reply carrying the profile's deviceInfo; other methods (setConfig
...) are writes: recorded and ignored; anything malformed is recorded as ``garbage``.

``[services.dhip]``: ``device_info`` (the deviceInfo object; ``${ip}`` etc. filled in),
``length_mismatch`` (hostile: the two length fields disagree with the body).
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from lab.services._util import MAX_DATAGRAM, runtime
from lab.services.base import DeviceContext, udp_endpoint

PORT = 37810
GROUP = "239.255.255.251"
HEADER = struct.Struct("<I4sIIIIII")
MAGIC = b"DHIP"


def pack(body: bytes, *, lengths: tuple[int, int] | None = None) -> bytes:
    first, second = lengths or (len(body), len(body))
    return HEADER.pack(HEADER.size, MAGIC, 0, 0, first, 0, second, 0) + body


def unpack(data: bytes) -> dict[str, Any] | None:
    """The JSON body of a well-formed DHIP datagram, or None."""
    if len(data) < HEADER.size:
        return None
    size, magic, _, _, first, _, second, _ = HEADER.unpack_from(data)
    body = data[HEADER.size :]
    if magic != MAGIC or size != HEADER.size or first != len(body) or second != len(body):
        return None
    try:
        message = json.loads(body.decode("utf-8").strip("\x00\r\n "))
    except (UnicodeDecodeError, ValueError):
        return None
    return message if isinstance(message, dict) else None


class Responder:
    def __init__(self, ctx: DeviceContext) -> None:
        self.ctx = ctx
        self.conf = ctx.service("dhip")

    def on_datagram(
        self, data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport
    ) -> None:
        message = unpack(data[:MAX_DATAGRAM])
        if message is None:
            self.ctx.record("dhip", "garbage", {"peer": addr[0], "bytes": len(data)})
            return
        method = str(message.get("method", ""))
        write = method != "DHDiscover.search"
        self.ctx.record("dhip", method or "(no method)", {"peer": addr[0], "write": write})
        if not write:
            transport.sendto(self.reply(), addr)

    def reply(self) -> bytes:
        info = runtime(self.ctx, self.conf.get("device_info", {}))
        message = {
            "mac": self.ctx.mac,
            "method": "client.notifyDevInfo",
            "params": {"deviceInfo": info},
        }
        body = json.dumps(message, indent=1).encode() + b"\n"
        if self.conf.get("length_mismatch"):
            return pack(body, lengths=(len(body) + 4096, max(0, len(body) - 17)))
        return pack(body)


async def start(ctx: DeviceContext) -> None:
    responder = Responder(ctx)
    sock = ctx.udp_socket(PORT, GROUP)
    transport, _ = await udp_endpoint(asyncio.get_running_loop(), sock, responder.on_datagram)
    ctx.closers.append(transport)
