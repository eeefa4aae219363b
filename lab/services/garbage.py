"""Garbage UDP replies (hostile): random bytes back to any datagram on the chosen ports.

Stands for broken or malicious devices answering discovery probes (SADP 37020, DHIP 37810,
WS-Discovery 3702, SSDP 1900) with bytes no parser expects.  The bytes are deterministic per
device and datagram count, between 1 and 1400 long.  ``[services.garbage] ports``.
"""

from __future__ import annotations

import asyncio
import itertools

from lab.services._util import seeded_bytes
from lab.services.base import DeviceContext, udp_endpoint

GROUPS = {
    3702: "239.255.255.250",
    1900: "239.255.255.250",
    37020: "239.255.255.250",
    37810: "239.255.255.251",
}


async def start(ctx: DeviceContext) -> None:
    loop = asyncio.get_running_loop()
    counter = itertools.count()

    def on_datagram(
        data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport
    ) -> None:
        number = next(counter)
        port = transport.get_extra_info("sockname")[1]
        ctx.record("garbage", f"udp/{port}", {"peer": addr[0], "bytes": len(data)})
        size = 1 + (number * 523 + ctx.index * 97) % 1400
        transport.sendto(seeded_bytes(f"{ctx.name}:{port}:{number}", size), addr)

    for port in ctx.service("garbage").get("ports", [37020, 37810, 3702]):
        sock = ctx.udp_socket(int(port), GROUPS.get(int(port)))
        transport, _ = await udp_endpoint(loop, sock, on_datagram)
        ctx.closers.append(transport)
