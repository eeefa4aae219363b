"""UDP multicast on ``[services.beacon] group``/``port``: replies by unicast with the
device name, the source address it saw, and the namespace inode the socket lives in."""

from __future__ import annotations

import asyncio
import os

from lab.services.base import DeviceContext, udp_endpoint


async def start(ctx: DeviceContext) -> None:
    conf = ctx.service("beacon")
    group, port = str(conf["group"]), int(conf["port"])
    with ctx.in_namespace():
        # What a library opening its own sockets would see: the device's namespace.
        inode = os.stat("/proc/thread-self/ns/net").st_ino

    def on_datagram(
        data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport
    ) -> None:
        ctx.record("beacon", "probe", {"data": data.decode(errors="replace"), "peer": addr[0]})
        transport.sendto(f"{ctx.name} {ctx.ip} {ctx.mac} {inode}".encode(), addr)

    transport, _ = await udp_endpoint(
        asyncio.get_running_loop(), ctx.udp_socket(port, group), on_datagram
    )
    ctx.closers.append(transport)
