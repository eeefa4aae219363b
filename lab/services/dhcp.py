"""A DHCP client that asks for an address: DHCPDISCOVER broadcasts from the device.

A camera that boots asks for an address and says who it is (option 60 vendor class, 12 host
name, 55 parameter list).  The lab has no DHCP server, so, like a real client that gets no
answer, the device asks again: at start and then every ``interval`` seconds.

``[services.dhcp]`` keys: ``vendor_class``, ``hostname``, ``params`` (list of option codes,
default ``[1, 3, 6, 12, 15, 28, 42]``), ``interval`` (seconds, default 2).  Sent from UDP
68 of the device to 255.255.255.255:67 on its eth0 (the source address is the device's
own: a socket cannot send from 0.0.0.0 without raw sockets; the payload is a real
DISCOVER with ciaddr 0).  The device never listens for answers and nothing is recorded
(nothing comes in).  With ``ctx.announce`` off (loopback unit tests in the machine's own
namespace) nothing is sent at all: a broadcast there would reach the real network.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import zlib
from collections.abc import Iterable

from lab.services._util import runtime
from lab.services.base import DeviceContext

DEFAULT_PARAMS = (1, 3, 6, 12, 15, 28, 42)
MAGIC_COOKIE = b"\x63\x82\x53\x63"


def discover(mac: str, xid: int, vendor_class: str, hostname: str, params: Iterable[int]) -> bytes:
    """A DHCPDISCOVER (RFC 2131) from ``mac``."""
    chaddr = bytes.fromhex(mac.replace(":", "")).ljust(16, b"\x00")
    fixed = struct.pack("!BBBBIHH4s4s4s4s", 1, 1, 6, 0, xid, 0, 0x8000, *(b"\x00" * 4,) * 4)
    options = bytearray(b"\x35\x01\x01")  # 53: DHCPDISCOVER
    options += b"\x3d\x07\x01" + chaddr[:6]  # 61: client id (type 1 + MAC)
    for code, value in ((12, hostname.encode()), (60, vendor_class.encode())):
        if value:
            options += bytes([code, len(value[:255])]) + value[:255]
    codes = bytes(int(c) & 0xFF for c in params)
    if codes:
        options += bytes([55, len(codes)]) + codes
    options += b"\xff"
    return fixed + chaddr + b"\x00" * 192 + MAGIC_COOKIE + bytes(options)


def _socket(ctx: DeviceContext) -> socket.socket:
    sock = ctx.udp_socket(68, None)
    try:
        # the device has no default route: the limited broadcast needs its interface named
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    except OSError:
        sock.close()
        raise
    return sock


async def start(ctx: DeviceContext) -> None:
    if not ctx.announce:
        return
    conf = ctx.service("dhcp")
    payload = discover(
        ctx.mac,
        zlib.crc32(ctx.mac.encode()),
        str(runtime(ctx, conf.get("vendor_class", ""))),
        str(runtime(ctx, conf.get("hostname", ""))),
        conf.get("params", DEFAULT_PARAMS),
    )
    interval = float(conf.get("interval", 2.0))
    sock = _socket(ctx)
    loop = asyncio.get_running_loop()

    async def ask() -> None:
        while True:
            with contextlib.suppress(OSError):
                await loop.sock_sendto(sock, payload, ("255.255.255.255", 67))
            await asyncio.sleep(interval)

    task = asyncio.create_task(ask())
    ctx.closers.append(_Stop(task, sock))


class _Stop:
    def __init__(self, task: asyncio.Task[None], sock: socket.socket) -> None:
        self.task, self.sock = task, sock

    def close(self) -> None:
        self.task.cancel()
        self.sock.close()
